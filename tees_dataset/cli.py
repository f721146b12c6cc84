"""Command line: thin Typer commands that parse options, call the library, and exit with its code."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tees_dataset import __version__

if TYPE_CHECKING:
    from tees_dataset.catalogue import Catalogue, LoadedCatalogue
from tees_dataset.quarter import Quarter, QuarterError
from tees_dataset.report import Level, Report

app = typer.Typer(
    help="Quarterly multi-agency safeguarding dataset for the Tees Safeguarding Children Partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

USAGE = 2
DEFAULT_CATALOGUE = Path("indicators.yaml")

CatalogueOpt = Annotated[
    Path,
    typer.Option(
        "--catalogue", envvar="TEES_DATASET_CATALOGUE", help="The catalogue (indicators.yaml)."
    ),
]
QuarterOpt = Annotated[
    str,
    typer.Option(
        "--quarter", "-q", help="Quarter like 2024Q3, or 'previous' (the last complete quarter)."
    ),
]
ReturnsOpt = Annotated[
    Path, typer.Option("--returns", help="Folder holding <quarter>/ folders of agency returns.")
]
OutOpt = Annotated[
    Path, typer.Option("--out", help="Output folder; a build writes <out>/<quarter>/.")
]


def _fail(message: str, code: int = USAGE) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except QuarterError as exc:
        _fail(str(exc))


def _print_report(report: Report, *, show_warnings: bool = True) -> None:
    for issue in report.issues:
        if issue.level is Level.ERROR or show_warnings:
            typer.echo(str(issue), err=True)


def _catalogue(path: Path) -> LoadedCatalogue:
    """The catalogue, or a usage error (exit 2) listing what is wrong with it."""
    from tees_dataset.catalogue import load_catalogue

    if not path.is_file():
        _fail(f"catalogue not found: {path} (pass --catalogue PATH or set TEES_DATASET_CATALOGUE)")
    loaded = load_catalogue(path)
    if loaded.catalogue is None:
        _print_report(loaded.report)
        _fail(f"the catalogue {path} has errors; fix them and run `tees-dataset check`")
    return loaded


def _loaded(path: Path) -> Catalogue:
    loaded = _catalogue(path)
    assert loaded.catalogue is not None
    return loaded.catalogue


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Say what each stage is doing.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="auto: colour and a spinner at a terminal, plain lines otherwise; plain; "
            "json: one JSON object a line, for log shippers.",
        ),
    ] = "auto",
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", help="Also append the log (stages and timings) here."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Quarterly multi-agency safeguarding dataset for the Tees Safeguarding Children Partnerships."""
    if version:
        typer.echo(f"tees-dataset {__version__}")
        raise typer.Exit(0)
    if log_format not in ("auto", "plain", "json"):
        _fail(f"--log-format must be auto, plain or json, not '{log_format}'")
    from tees_dataset.logs import configure

    try:
        configure(verbose=verbose, fmt=log_format, log_file=log_file)  # type: ignore[arg-type]
    except OSError as exc:
        _fail(f"cannot write the log file {log_file}: {exc}")


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="The catalogue to check.")] = DEFAULT_CATALOGUE,
    samples: Annotated[
        Path | None,
        typer.Option(
            "--samples",
            help="Also run every indicator against the latest quarter of these returns and warn "
            "about definitions that compute nothing useful. Default: sample_returns/ beside the "
            "catalogue, when it is there.",
        ),
    ] = None,
    no_samples: Annotated[
        bool, typer.Option("--no-samples", help="Only the static checks.")
    ] = False,
) -> None:
    """Check the catalogue: exit 0 when clean (warnings allowed), 2 with file:line for every error.

    Example: tees-dataset check indicators.yaml --samples sample_returns
    """
    from tees_dataset.catalogue import load_catalogue

    if not path.is_file():
        _fail(f"catalogue not found: {path}")
    loaded = load_catalogue(path)
    report = loaded.report
    folder = samples if samples is not None else path.resolve().parent / "sample_returns"
    if loaded.catalogue is not None and loaded.source is not None and not no_samples:
        if folder.is_dir():
            from tees_dataset.catalogue.samples import sample_issues

            report.extend(sample_issues(loaded.catalogue, loaded.source, folder))
        elif samples is not None:
            _fail(f"no sample returns folder {samples}")
    _print_report(report)
    errors, warnings = len(report.errors), len(report.warnings)
    typer.echo(f"{path}: {errors} error(s), {warnings} warning(s)")
    raise typer.Exit(USAGE if errors else 0)


@app.command()
def build(
    quarter: QuarterOpt,
    returns: ReturnsOpt = Path("sample_returns"),
    out: OutOpt = Path("out"),
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
    html: Annotated[bool, typer.Option("--html", help="Also write each pack as HTML.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Fail (exit 1, no outputs) when any return is missing or rejected."
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="If another build holds the output folder, wait up to this many seconds.",
        ),
    ] = 0,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse earlier quarters' validated rows when their files are unchanged.",
        ),
    ] = True,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="The publishable variant, into <out>/<quarter>-published/: small numbers "
            "suppressed, no protective marking, no validation reports.",
        ),
    ] = False,
) -> None:
    """Validate, compute and render everything for a quarter into <out>/<quarter>/.

    Exit codes: 0 built from complete returns; 1 built, but returns are missing or rejected
    (with --strict: nothing written); 2 usage or catalogue error; 3 build failed (previous
    outputs untouched); 4 another build holds the output folder.

    Example: tees-dataset build --quarter 2024Q3 --returns sample_returns --out out
    """
    from tees_dataset.build import BuildError, BuildOptions, run_build

    q = _quarter(quarter)
    loaded = _catalogue(catalogue)
    options = BuildOptions(
        q, returns, out, html=html, strict=strict, publish=publish, cache=cache, wait=wait
    )
    try:
        outcome = run_build(loaded, options)
    except BuildError as exc:
        _fail(str(exc), exc.code)
    except OSError as exc:
        _fail(f"cannot read or write files: {exc}", 3)
    except Exception as exc:  # a fault in the tool: say so plainly, keep the old outputs
        logging.getLogger("tees_dataset").debug("build failed", exc_info=True)
        _fail(
            f"the build failed ({exc.__class__.__name__}: {exc}); previous outputs are untouched. "
            "Run again with -v for details and report it.",
            3,
        )
    errors = sum(1 for i in outcome.issues if i.level is Level.ERROR)
    typer.echo(
        f"Built {q} into {outcome.folder}: {len(outcome.outputs)} files, {errors} return error(s)."
    )
    for line in outcome.missing:
        typer.echo(f"  missing or rejected: {line}")
    if outcome.missing:
        typer.echo(f"  details: {outcome.folder / 'validation.xlsx'}")
    raise typer.Exit(outcome.exit_code)


@app.command()
def template(
    out: OutOpt,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency id; default: every agency.")
    ] = None,
    quarter: QuarterOpt = "previous",
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Write blank return workbooks, one per agency, generated from the catalogue.

    Example: tees-dataset template --agency cleveland_police --quarter 2024Q3 --out templates_out
    """
    from tees_dataset.returns.template import write_template

    q = _quarter(quarter)
    cat = _loaded(catalogue)
    agencies = [a for a in cat.agencies if agency in (None, a.id) and cat.returns_of(a.id)]
    if not agencies:
        _fail(f"no agency '{agency}' submits returns; see the agencies in {catalogue}")
    for a in agencies:
        typer.echo(str(write_template(cat, a, q, out)))


@app.command()
def sample(
    quarters: Annotated[
        str, typer.Option("--quarters", help="A quarter or range, e.g. 2023Q4..2024Q3.")
    ],
    out: OutOpt = Path("sample_returns"),
    scale: Annotated[
        float, typer.Option("--scale", min=0.01, help="Multiply Tees-realistic volumes.")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same returns.")] = 1,
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Write synthetic returns (no real people) as filled templates into <out>/<quarter>/.

    Example: tees-dataset sample --quarters 2023Q4..2024Q3 --out sample_returns --seed 1
    """
    from tees_dataset.returns.sample import write_samples

    try:
        qs = Quarter.parse_range(quarters)
    except QuarterError as exc:
        _fail(str(exc))
    cat = _loaded(catalogue)
    paths = write_samples(cat, qs, out, seed=seed, scale=scale)
    typer.echo(f"Wrote {len(paths)} returns for {len(qs)} quarter(s) into {out}")


@app.command()
def validate(
    quarter: QuarterOpt,
    returns: ReturnsOpt = Path("sample_returns"),
    out: OutOpt = Path("out"),
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Validate a quarter's returns: a summary per agency, and the feedback reports.

    Writes validation.xlsx, validation.json and feedback/<agency>-<quarter>-feedback.xlsx
    (each agency's own issues, to send back) into <out>/<quarter>/, leaving any pack there
    untouched. Exit 0 when no return has errors (missing returns are listed), 1 when any has.

    Example: tees-dataset validate --quarter 2024Q3 --returns returns/
    """
    from tees_dataset.build import BuildError, run_validate
    from tees_dataset.returns.feedback import summary

    q = _quarter(quarter)
    loaded = _catalogue(catalogue)
    assert loaded.catalogue is not None
    if not (returns / str(q)).is_dir():
        _fail(f"no returns folder {returns / str(q)}: put each agency's workbook there", 1)
    try:
        checked, folder = run_validate(loaded, q, returns, out)
    except BuildError as exc:
        _fail(str(exc), exc.code)
    for issue in checked.issues:
        typer.echo(str(issue), err=True)
    rows = summary(loaded.catalogue, checked)
    for row in rows:
        typer.echo(
            f"{row['agency_name']}: {row['return_title']}: {row['status']}, "
            f"{row['errors']} error(s), {row['warnings']} warning(s)"
        )
    missing = sum(1 for r in rows if r["status"] == "missing")
    if missing:
        typer.echo(f"{missing} expected return(s) not received yet (listed above as missing).")
    typer.echo(f"Reports in {folder}: validation.xlsx, validation.json, feedback/")
    raise typer.Exit(1 if any(i.level is Level.ERROR for i in checked.issues) else 0)


@app.command()
def indicators(
    indicator_id: Annotated[str | None, typer.Argument(help="An indicator id, e.g. 3.2.1.")] = None,
    out: OutOpt = Path("out"),
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """List the indicators, or explain one: definition, source, formula and latest values.

    Example: tees-dataset indicators 3.2.1
    """
    from tees_dataset.catalogue.explain import formula

    cat = _loaded(catalogue)
    if indicator_id is None:
        for aim, _, ind in cat.indicators():
            flag = "  (proposed)" if ind.status == "proposed" else ""
            typer.echo(f"{ind.id:<7} {ind.title}  [{aim.label}; {ind.unit}]{flag}")
        return
    found = cat.indicator(indicator_id)
    if found is None:
        _fail(f"no indicator '{indicator_id}'; run `tees-dataset indicators` for the list")
    ind = found
    spec = cat.return_spec(ind.source)
    lines = [
        f"{ind.id} {ind.title}",
        "",
        f"Definition:  {ind.definition}",
        f"Source:      {spec.title if spec else ind.source} return ({ind.source}), from "
        + ", ".join(a.name for a in map(cat.agency, spec.submitted_by if spec else []) if a),
        f"Formula:     {formula(ind.measure)}",
        f"Unit:        {ind.unit}; {ind.polarity.replace('_', ' ')}; {ind.status}",
    ]
    if ind.target:
        lines.append(
            f"Target:      {ind.target.direction.replace('_', ' ')} {ind.target.value:g} a {ind.target.per}"
        )
    for area_type, reason in ind.not_applicable.items():
        lines.append(f"Not for:     {area_type}: {reason}")
    if ind.notes:
        lines.append(f"Notes:       {ind.notes}")
    lines += ["", *_latest_values(out, ind.id)]
    typer.echo("\n".join(lines))


def _latest_values(out: Path, indicator_id: str) -> list[str]:
    """The indicator's headline figures from the newest build in `out`, if there is one."""
    import csv

    builds = sorted(p for p in out.glob("*/results.csv") if p.parent.name[:4].isdigit())
    if not builds:
        return [f"Latest values: none yet (no build in {out}/)"]
    latest = builds[-1]
    with latest.open(newline="", encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["indicator_id"] == indicator_id and not r["breakdown"]
        ]
    lines = [f"Latest values ({latest.parent.name}, from {latest}):"]
    for row in rows:
        shown = row["value"] or row["status"]
        if row["value"] and row["unit"] == "percent":
            shown = f"{float(row['value']):.1f}%  ({row['numerator']} of {row['denominator']})"
        lines.append(f"  {row['area']:<22} {shown}")
    return lines


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of printing.")
    ] = None,
) -> None:
    """Print (or write) the catalogue's JSON Schema, for editors that validate as you type.

    Example: tees-dataset schema --out schema/indicators.schema.json
    """
    from tees_dataset.catalogue.schema import catalogue_schema_text

    text = catalogue_schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def main() -> None:
    """The console script. Once the command has finished (its outputs written, closed and renamed
    into place, its logs flushed), the process ends at once: tearing the interpreter down object
    by object after a build takes about half a second and does nothing for the user."""
    try:
        app()
    except SystemExit as done:
        code = done.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        _leave(code or 0)


def _leave(code: int) -> NoReturn:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
