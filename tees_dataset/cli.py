"""Command line: thin Typer commands that parse options, call the library, and exit with its code.

How a command fails (one line, a documented exit code) is in `cli_errors`. Over 400 lines because
it is one function a command with its options, kept together so that every command and option
is in one place, as the README's command reference (generated from `--help`) shows them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tees_dataset import __version__

if TYPE_CHECKING:
    from tees_dataset.catalogue import Catalogue, LoadedCatalogue
    from tees_dataset.output import Folders
from tees_dataset.cli_errors import USAGE, fail, guard, run
from tees_dataset.errors import BuildError, describe
from tees_dataset.quarter import Quarter, QuarterError
from tees_dataset.report import Issue, Level, Report

log = logging.getLogger("tees_dataset")

app = typer.Typer(
    help="Quarterly multi-agency safeguarding dataset for the Tees Safeguarding Children Partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from tees_dataset.reference.commands import reference_app  # noqa: E402 - light: csv only

app.add_typer(reference_app, name="reference")

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
    Path | None,
    typer.Option(
        "--returns",
        help="Folder holding <quarter>/ folders of agency returns. Default: $TEES_DATASET_RETURNS, "
        "or returns = in tees-dataset.toml beside the catalogue.",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Output folder; a build writes <out>/<quarter>/. Default: $TEES_DATASET_OUT, or "
        "out = in tees-dataset.toml beside the catalogue.",
    ),
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="If another run holds the output folder, wait up to this many seconds.",
    ),
]


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text).check_supported()
    except QuarterError as exc:
        fail(str(exc))


def _print_issue(issue: Issue) -> None:
    """A problem found in the catalogue or a return, in the log's format (never its value)."""
    from tees_dataset.logs import configured

    if not configured():
        typer.echo(str(issue), err=True)
        return
    level = logging.ERROR if issue.level is Level.ERROR else logging.WARNING
    log.log(level, "%s", issue, extra={"event": "issue", "code": issue.code})


def _print_report(report: Report, *, show_warnings: bool = True) -> None:
    for issue in report.issues:
        if issue.level is Level.ERROR or show_warnings:
            _print_issue(issue)


def _folders(returns: Path | None, out: Path | None, catalogue: Path) -> tuple[Path, Path, Folders]:
    """The returns and output folders (command line, environment or config file), or a usage
    error saying how to give them."""
    from tees_dataset.output import Folders
    from tees_dataset.settings import resolve_folder

    for option, given in (("--returns", returns), ("--out", out)):
        if given is not None and not str(given).strip():
            fail(f"{option} is empty: give a folder")
    try:
        returns_dir, returns_from = resolve_folder("returns", returns, catalogue)
        out_dir, out_from = resolve_folder("out", out, catalogue)
    except BuildError as exc:
        fail(str(exc), exc.code)
    return returns_dir, out_dir, Folders(returns_dir, returns_from, out_dir, out_from)


def _catalogue(path: Path) -> LoadedCatalogue:
    """The catalogue, or a usage error (exit 2) listing what is wrong with it."""
    from tees_dataset.catalogue import load_catalogue

    if not path.is_file():
        fail(f"catalogue not found: {path} (pass --catalogue PATH or set TEES_DATASET_CATALOGUE)")
    loaded = load_catalogue(path)
    if loaded.catalogue is None:
        _print_report(loaded.report)
        fail(f"the catalogue {path} has errors; fix them and run `tees-dataset check`")
    return loaded


def _loaded(path: Path) -> Catalogue:
    loaded = _catalogue(path)
    assert loaded.catalogue is not None
    return loaded.catalogue


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tees-dataset {__version__}")
        raise typer.Exit(0)


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
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Quarterly multi-agency safeguarding dataset for the Tees Safeguarding Children Partnerships."""
    if log_format not in ("auto", "plain", "json"):
        fail(f"--log-format must be auto, plain or json, not '{log_format}'")
    from tees_dataset.logs import configure

    if log_file is not None and (
        log_file.is_dir() or (log_file.exists() and not log_file.is_file())
    ):
        fail(f"--log-file {log_file} is not a file: give a file to append the log to")
    try:
        configure(verbose=verbose, fmt=log_format, log_file=log_file)  # type: ignore[arg-type]
    except OSError as exc:
        fail(f"cannot write the log file {log_file}: {exc.strerror or describe(exc)}")


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
        fail(f"catalogue not found: {path}")
    loaded = load_catalogue(path)
    report = loaded.report
    folder = samples if samples is not None else path.resolve().parent / "sample_returns"
    if loaded.catalogue is not None and loaded.source is not None and not no_samples:
        if folder.is_dir():
            from tees_dataset.checking import sample_issues

            report.extend(sample_issues(loaded.catalogue, loaded.source, folder))
        elif samples is not None:
            fail(f"no sample returns folder {samples}")
    _print_report(report)
    if loaded.catalogue is not None:
        from tees_dataset.checking import benchmark_years

        for line in benchmark_years(loaded.catalogue, path):
            typer.echo(line)
    errors, warnings = len(report.errors), len(report.warnings)
    typer.echo(f"{path}: {errors} error(s), {warnings} warning(s)")
    raise typer.Exit(USAGE if errors else 0)


@app.command()
def build(
    quarter: QuarterOpt,
    returns: ReturnsOpt = None,
    out: OutOpt = None,
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
    html: Annotated[bool, typer.Option("--html", help="Also write each pack as HTML.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Fail (exit 1, no outputs) when any return is missing or rejected."
        ),
    ] = False,
    wait: WaitOpt = 0,
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
    (with --strict: nothing written); 2 usage error (a wrong path, bad option, catalogue error);
    3 build failed (previous outputs untouched); 4 another run holds the output folder; 5 no
    return at all for the quarter (nothing written); 130/143 stopped by SIGINT/SIGTERM.

    Example: tees-dataset build --quarter 2024Q3 --returns sample_returns --out out
    """
    q = _quarter(quarter)
    loaded = _catalogue(catalogue)
    returns_dir, out_dir, folders = _folders(returns, out, catalogue)
    with guard("build"):
        from tees_dataset.build import BuildOptions, run_build

        options = BuildOptions(
            q, returns_dir, out_dir, html=html, strict=strict, publish=publish, cache=cache,
            wait=wait, folders=folders,
        )  # fmt: skip
        outcome = run_build(loaded, options)
    errors = outcome.errors
    done = "Unchanged since the last build of" if outcome.unchanged else "Built"
    summary = (
        f"{done} {q} into {outcome.folder}: {len(outcome.outputs)} files, "
        f"{errors} return error(s)."
        + (" SYNTHETIC DATA – NOT REAL CHILDREN." if outcome.synthetic else "")
    )
    typer.echo(summary)
    for line in outcome.missing:
        typer.echo(f"  missing or rejected: {line}")
    if outcome.missing:
        typer.echo(f"  details: {outcome.folder / 'validation.xlsx'}")
    log.info(
        "%s", summary,
        extra={"event": "outcome", "exit_code": outcome.exit_code, "missing": len(outcome.missing)},
    )  # fmt: skip
    raise typer.Exit(outcome.exit_code)


@app.command()
def template(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the blank workbooks into.")],
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency id; default: every agency.")
    ] = None,
    quarter: QuarterOpt = "previous",
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Write blank return workbooks, one per agency, generated from the catalogue.

    Example: tees-dataset template --agency cleveland_police --quarter 2024Q3 --out templates_out
    """
    from tees_dataset.returns.template import TemplateExistsError, write_template

    q = _quarter(quarter)
    cat = _loaded(catalogue)
    agencies = [a for a in cat.agencies if agency in (None, a.id) and cat.returns_of(a.id)]
    if not agencies:
        fail(f"no agency '{agency}' submits returns; see the agencies in {catalogue}")
    with guard("template"):
        for a in agencies:
            try:
                typer.echo(str(write_template(cat, a, q, out)))
            except TemplateExistsError as exc:
                fail(f"{exc}; remove it or choose another --out", USAGE)


@app.command()
def sample(
    quarters: Annotated[
        str, typer.Option("--quarters", help="A quarter or range, e.g. 2023Q4..2024Q3.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for <quarter>/ folders of synthetic returns.")
    ],
    scale: Annotated[
        float, typer.Option("--scale", min=0.01, help="Multiply Tees-realistic volumes.")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same returns.")] = 1,
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Write synthetic returns (no real people) as filled templates into <out>/<quarter>/.

    Example: tees-dataset sample --quarters 2023Q4..2024Q3 --out sample_returns --seed 1
    """
    from tees_dataset.returns.sample import NotSampleFolderError, write_samples

    try:
        qs = [q.check_supported() for q in Quarter.parse_range(quarters)]
    except QuarterError as exc:
        fail(str(exc))
    cat = _loaded(catalogue)
    with guard("sample"):
        try:
            paths = write_samples(cat, qs, out, seed=seed, scale=scale)
        except NotSampleFolderError as exc:
            fail(str(exc), USAGE)
    typer.echo(f"Wrote {len(paths)} returns for {len(qs)} quarter(s) into {out}")


@app.command()
def validate(
    quarter: QuarterOpt,
    returns: ReturnsOpt = None,
    out: OutOpt = None,
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
    wait: WaitOpt = 0,
) -> None:
    """Validate a quarter's returns: a summary per agency, and the feedback reports.

    Writes validation.xlsx, validation.json and feedback/<agency>-<quarter>-feedback.xlsx
    (each agency's own issues, to send back) into <out>/<quarter>/, leaving any pack there
    untouched (its manifest records the refresh). Exit 0 when no return has errors (missing
    returns are listed), 1 when any has, 5 when the quarter has no return at all.

    Example: tees-dataset validate --quarter 2024Q3 --returns returns/ --out out/
    """
    q = _quarter(quarter)
    loaded = _catalogue(catalogue)
    assert loaded.catalogue is not None
    returns_dir, out_dir, folders = _folders(returns, out, catalogue)
    with guard("validate"):
        from tees_dataset.build import run_validate
        from tees_dataset.returns.feedback import summary

        checked, folder = run_validate(loaded, q, returns_dir, out_dir, wait=wait, folders=folders)
        rows = summary(loaded.catalogue, checked)
    for issue in checked.issues:
        _print_issue(issue)
    for row in rows:
        typer.echo(
            f"{row['agency_name']}: {row['return_title']}: {row['status']}, "
            f"{row['errors']} error(s), {row['warnings']} warning(s)"
        )
    missing = sum(1 for r in rows if r["status"] == "missing")
    if missing:
        typer.echo(f"{missing} expected return(s) not received yet (listed above as missing).")
    typer.echo(f"Reports in {folder}: validation.xlsx, validation.json, feedback/")
    code = 1 if any(i.level is Level.ERROR for i in checked.issues) else 0
    log.info(
        "validated %s: %d return(s) missing",
        q,
        missing,
        extra={"event": "outcome", "exit_code": code},
    )
    raise typer.Exit(code)


@app.command()
def indicators(
    indicator_id: Annotated[str | None, typer.Argument(help="An indicator id, e.g. 3.2.1.")] = None,
    out: OutOpt = None,
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
        fail(f"no indicator '{indicator_id}'; run `tees-dataset indicators` for the list")
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
    lines += ["", *_latest_values(_builds_folder(out, catalogue), ind.id)]
    typer.echo("\n".join(lines))


def _builds_folder(out: Path | None, catalogue: Path) -> Path:
    """Where to look for builds: --out, TEES_DATASET_OUT, the config file, or ./out."""
    from tees_dataset.settings import resolve_folder

    try:
        return resolve_folder("out", out, catalogue)[0]
    except BuildError:
        return Path("out")


def _latest_values(out: Path, indicator_id: str) -> list[str]:
    """The indicator's headline figures from the newest build in `out`, if there is one."""
    import csv

    builds = sorted(p for p in out.glob("*/results.csv") if p.parent.name[:4].isdigit())
    if not builds:
        return [f"Latest values: none yet (no build in {out}/)"]
    latest = builds[-1]
    try:
        with latest.open(newline="", encoding="utf-8") as handle:
            rows = [
                r
                for r in csv.DictReader(handle)
                if r["indicator_id"] == indicator_id and not r["breakdown"]
            ]
    except (OSError, UnicodeDecodeError, KeyError, csv.Error):
        return [f"Latest values: {latest} is not a results.csv that tees-dataset wrote"]
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
        return
    if out.is_dir():
        fail(
            f"--out {out} is a folder: give the file to write, e.g. {out / 'indicators.schema.json'}"
        )
    with guard("schema"):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


@app.command()
def rules(
    fmt: Annotated[
        str,
        typer.Option("--format", help="table: for a terminal; markdown: for docs."),
    ] = "table",
    catalogue: CatalogueOpt = DEFAULT_CATALOGUE,
) -> None:
    """Print every issue code: its severity and title (and, as Markdown, meaning and fix).

    The catalogue's own cross-field rules are listed under R* when the catalogue can be read.

    Example: tees-dataset rules --format markdown > docs/codes.md
    """
    from tees_dataset import codes
    from tees_dataset.catalogue import load_catalogue

    if fmt not in ("table", "markdown"):
        fail(f"--format must be table or markdown, not '{fmt}'")
    loaded = load_catalogue(catalogue) if catalogue.is_file() else None
    found = loaded.catalogue if loaded is not None else None
    rules_ = [
        (rule.code, rule.severity, f"{spec.title}: {rule.message}")
        for spec in (found.returns if found is not None else [])
        for rule in spec.rules
    ]
    if fmt == "markdown":
        typer.echo(codes.reference_markdown(rules_), nl=False)
    else:
        typer.echo(codes.reference_text(rules_), nl=False)


def main() -> None:
    """The console script: the command, its failures as one line and an exit code
    (`cli_errors.run`)."""
    run(app)
