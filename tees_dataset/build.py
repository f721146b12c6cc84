"""The build: validate, compute and render a quarter into `<out>/<quarter>/`, all or nothing."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tees_dataset import __version__
from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.errors import BuildError, ExitCode
from tees_dataset.logs import stage
from tees_dataset.output import (
    MANIFEST,
    STAGING_MARK,
    SYNTHETIC_MARK,
    Folders,
    check_folders,
    check_replaceable,
    discard,
    new_staging,
    output_lock,
    read_manifest,
    recover,
    swap_into_place,
    write_manifest,
)
from tees_dataset.quarter import Quarter
from tees_dataset.render.pool import RenderPool
from tees_dataset.render.xlsx_marks import mark_workbooks
from tees_dataset.report import Issue, Level, printable

log = logging.getLogger("tees_dataset")

__all__ = ["BuildError", "BuildOptions", "BuildOutcome", "ExitCode", "run_build", "run_validate"]


@dataclass
class BuildOptions:
    quarter: Quarter
    returns_dir: Path
    out_dir: Path
    html: bool = False
    strict: bool = False
    publish: bool = False
    cache: bool = True
    wait: float = 0
    # Where the folders came from (command line, environment, config file), for the manifest.
    folders: Folders | None = None

    @property
    def folder_name(self) -> str:
        """`<quarter>`, or `<quarter>-published` for the publishable variant."""
        return f"{self.quarter}-published" if self.publish else str(self.quarter)


@dataclass
class BuildOutcome:
    exit_code: int
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    synthetic: bool = False
    unchanged: bool = False  # the outputs were already up to date: nothing was written
    errors: int = 0  # return errors (kept when the issues themselves are not)


def _write_results_csv(results: Any, path: Path) -> None:
    import polars as pl

    def tidy(column: str) -> pl.Expr:
        x = pl.col(column)
        whole = x.is_not_null() & (x == x.round(0))
        return (
            pl.when(whole)
            .then(x.cast(pl.Int64).cast(pl.String))
            .otherwise(x.round(4).cast(pl.String))
            .alias(column)
        )

    results.with_columns(tidy(c) for c in ("numerator", "denominator", "value")).write_csv(path)


def check_inputs(returns_dir: Path, out_dir: Path, quarter: Quarter) -> None:
    """Before anything is written: the folders are apart, the returns folder exists, and the
    quarter has at least one return in it. A build that finds none writes nothing and leaves
    the previous outputs (exit 5): a mistyped path must never replace a good pack."""
    from tees_dataset.returns import discover, folder_outside

    if not returns_dir.is_dir():
        raise BuildError(
            f"the returns folder {returns_dir} "
            + ("is a file, not a folder" if returns_dir.exists() else "does not exist")
            + ": check the path (nothing was written)",
            ExitCode.USAGE,
        )
    check_folders(returns_dir, out_dir)
    folder = returns_dir / str(quarter)
    if folder_outside(returns_dir, folder):
        raise BuildError(
            f"{folder} is a link to a folder outside the returns folder {returns_dir}: put the "
            "quarter's returns inside it (nothing was written)",
            ExitCode.USAGE,
        )
    if folder.exists() and not folder.is_dir():
        raise BuildError(
            f"{folder} is a file, not a folder of returns (nothing was written)", ExitCode.USAGE
        )
    found, _ = discover(folder)
    if not found:
        raise BuildError(
            f"no return for {quarter} in {folder}"
            + ("" if folder.is_dir() else " (the folder does not exist)")
            + ": nothing was written and the previous outputs are as they were",
            ExitCode.NO_RETURNS,
        )


def run_build(loaded: LoadedCatalogue, options: BuildOptions) -> BuildOutcome:
    """Build everything for the quarter. Raises BuildError; never leaves half-written outputs,
    and never replaces anything it did not write."""
    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    check_inputs(options.returns_dir, options.out_dir, options.quarter)
    name = options.folder_name
    final = options.out_dir / name
    started = dt.datetime.now(dt.UTC)
    if options.folders:
        log.info(
            "returns from %s (%s); outputs to %s (%s)",
            options.folders.returns, options.folders.returns_from,
            options.folders.out, options.folders.out_from,
        )  # fmt: skip
    with output_lock(options.out_dir, options.wait):
        recover(options.out_dir, name)
        check_replaceable(final)
        key = _build_key(loaded, options)
        unchanged = _unchanged(final, key) if options.cache else None
        if unchanged is not None:
            return unchanged
        staging = new_staging(options.out_dir, name)
        try:
            outcome = _build_into(catalogue, loaded, options, staging, started, key)
            if options.strict and outcome.exit_code == ExitCode.INCOMPLETE:
                raise BuildError(
                    "returns are missing or rejected (--strict): no pack was written; "
                    + "; ".join(outcome.missing),
                    ExitCode.INCOMPLETE,
                )
            _no_samples_over_real(final, outcome.synthetic)
            swap_into_place(staging, final)
        finally:
            discard(staging)
    outcome.folder = final
    outcome.outputs = [final / p.name for p in outcome.outputs]
    return outcome


def _build_key(loaded: LoadedCatalogue, options: BuildOptions) -> str:
    """A digest of everything the build would read and every option that shapes its outputs."""
    from tees_dataset.fingerprint import build_key, code_sha256, folder_files

    quarters = [options.quarter.shift(-n) for n in range(TREND_QUARTERS - 1, -1, -1)]
    return build_key({
        "code": code_sha256(),
        "catalogue": loaded.sha256,
        "reference": _reference_files(loaded),
        "options": {"quarter": str(options.quarter), "html": options.html,
                    "strict": options.strict, "publish": options.publish},
        "returns": {str(q): folder_files(options.returns_dir / str(q)) for q in quarters},
    })  # fmt: skip


def _unchanged(final: Path, key: str) -> BuildOutcome | None:
    """The outcome of the build already in `final`, when it was made from exactly the same
    inputs, code and options (and nothing in it has changed since): then nothing is written."""
    previous = read_manifest(final) if final.is_dir() else None
    if previous is None or previous.get("build_key") != key:
        return None
    recorded = previous.get("outcome")
    if not isinstance(recorded, dict) or not isinstance(recorded.get("exit_code"), int):
        return None
    log.info(
        "unchanged: %s was built from these same returns, catalogue, reference data and code; "
        "nothing was written", final, extra={"event": "unchanged"},
    )  # fmt: skip
    outputs = sorted(final / name for name in [*previous["outputs"], MANIFEST] if "/" not in name)
    return BuildOutcome(
        recorded["exit_code"],
        final,
        outputs,
        [str(m) for m in recorded.get("missing", [])],
        [],
        bool(previous.get("synthetic")),
        unchanged=True,
        errors=int(recorded.get("errors", 0)),
    )


TREND_QUARTERS = 8


def write_validation_reports(catalogue: Catalogue, returns: Any, folder: Path) -> None:
    """validation.json, validation.xlsx and feedback/ into `folder` (which may be staging)."""
    from tees_dataset.returns.feedback import (
        write_agency_feedback,
        write_validation_json,
        write_validation_xlsx,
    )

    write_validation_json(catalogue, returns, folder / "validation.json")
    write_validation_xlsx(catalogue, returns, folder / "validation.xlsx")
    write_agency_feedback(catalogue, returns, folder / "feedback")


def _no_samples_over_real(final: Path, synthetic: bool) -> None:
    """A pack built from synthetic returns never replaces one built from real returns."""
    previous = read_manifest(final) if final.is_dir() else None
    if synthetic and previous is not None and previous.get("synthetic") is False:
        raise BuildError(
            f"{final} holds outputs built from real returns, and this build read synthetic "
            "(sample) returns: it would replace them. Check --returns, or choose another --out "
            "(nothing was replaced)",
            ExitCode.USAGE,
        )


VALIDATION_OUTPUTS = ("validation.json", "validation.xlsx", "feedback")


def run_validate(
    loaded: LoadedCatalogue,
    quarter: Quarter,
    returns_dir: Path,
    out_dir: Path,
    *,
    wait: float = 0,
    folders: Folders | None = None,
) -> tuple[Any, Path]:
    """Validate a quarter and refresh only the validation reports in `<out>/<quarter>/`.

    The folder is rebuilt whole beside its final place (a pack already there is linked in,
    untouched) with a manifest that stays true: it says when the reports were refreshed and
    from which inputs. The new folder is swapped in under the output lock, as a build's is.
    """
    from tees_dataset.returns import load_quarter

    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    check_inputs(returns_dir, out_dir, quarter)
    name = str(quarter)
    final = out_dir / name
    started = dt.datetime.now(dt.UTC)
    with output_lock(out_dir, wait):
        recover(out_dir, name)
        check_replaceable(final)
        returns = load_quarter(catalogue, quarter, returns_dir)
        _found_some(returns)
        staging = new_staging(out_dir, name)
        try:
            previous = read_manifest(final) if final.is_dir() else None
            if previous is not None:
                _link_files(final, staging, previous["outputs"], skip=VALIDATION_OUTPUTS)
            write_validation_reports(catalogue, returns, staging)
            inputs = _inputs(returns.files)
            validation = {
                "refreshed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": sorted(VALIDATION_OUTPUTS),
                "inputs": inputs,
            }
            synthetic = any(getattr(f, "synthetic", False) for f in returns.files)
            write_manifest(
                staging,
                quarter=name,
                catalogue=_catalogue_info(loaded),
                inputs=previous["inputs"] if previous else inputs,
                started=_parse_time(previous.get("started")) if previous else started,
                folders=folders,
                synthetic=synthetic or bool(previous and previous.get("synthetic")),
                extra={"validation": validation} | ({"kind": "validation"} if not previous else {}),
            )
            swap_into_place(staging, final)
        finally:
            discard(staging)
    return returns, final


def _link_files(source: Path, target: Path, names: dict[str, Any], skip: tuple[str, ...]) -> None:
    """Hard-link (or copy, across file systems) into `target` the files of `source` that its
    manifest lists, except those under `skip`: never anything else that is there."""
    for name in sorted(names):
        relative = Path(name)
        path = source / relative
        if relative.parts[0] in skip or ".." in relative.parts or relative.is_absolute():
            continue
        if path.is_symlink() or not path.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)


def _parse_time(text: object) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return dt.datetime.now(dt.UTC)


def _inputs(files: list[Any]) -> list[dict[str, Any]]:
    return [
        {"path": str(f.path), "sha256": f.sha256, "agency": f.agency_id} for f in files if f.sha256
    ]


def _catalogue_info(loaded: LoadedCatalogue) -> dict[str, Any]:
    return {
        "path": str(loaded.path),
        "sha256": loaded.sha256,
        "version": loaded.catalogue.version if loaded.catalogue else None,
    }


@dataclass
class Figures:
    """A quarter's figures with their history: what every output is made from."""

    returns: Any  # QuarterReturns of the built quarter
    results: Any  # polars DataFrame: the quarter's rows, with changes
    trend: Any  # polars DataFrame: headline rows of up to 8 quarters
    files: list[Any]  # every FileResult read, history included


def partnership_areas(catalogue: Catalogue) -> dict[str, list[str]]:
    """Partnership area names and the names of the authorities that add up to them."""
    names = {la.id: la.name for la in catalogue.local_authorities}
    return {p.id: [names[la] for la in p.local_authorities] for p in catalogue.partnerships}


def reference_dir(loaded: LoadedCatalogue) -> Path:
    """Reference data the analyst updates lives in reference/ beside the catalogue."""
    return loaded.path.resolve().parent / "reference"


# Quarters whose return files add up to at most this many bytes are read and validated together
# (one pass per return over all of them); larger quarters are read one at a time, which bounds
# memory. Sample returns at Tees volumes are about 0.6 MB a quarter (at 100 times those, 23 MB).
BATCH_BYTES = 16 * 1024 * 1024


def _span(quarters: list[Quarter]) -> str:
    return str(quarters[0]) if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"


@dataclass(frozen=True)
class _Planned:
    quarter: Quarter
    key: str | None  # its cache key; None for the quarter being built, or with no cache
    cached: bool


def _read_plan(options: BuildOptions, cache: Any, catalogue_sha256: str) -> list[list[_Planned]]:
    """The quarters to read, oldest first, in batches: a quarter found in the cache on its own,
    runs of the others together up to BATCH_BYTES of files. The quarter being built is always
    read afresh, so that its feedback is complete."""
    from tees_dataset.fingerprint import tool_key
    from tees_dataset.returns.cache import quarter_key

    plan: list[list[_Planned]] = []
    batch_bytes = 0
    for n in range(TREND_QUARTERS - 1, -1, -1):
        q = options.quarter.shift(-n)
        folder = options.returns_dir / str(q)
        if n and not folder.is_dir():
            continue
        key = quarter_key(folder, catalogue_sha256, tool_key()) if cache and n else None
        if key and cache.has(key):
            plan.append([_Planned(q, key, cached=True)])
            continue
        files = folder.iterdir() if folder.is_dir() else iter(())
        size = sum(p.stat().st_size for p in files if p.is_file() and not p.is_symlink())
        if plan and not plan[-1][0].cached and batch_bytes + size <= BATCH_BYTES:
            plan[-1].append(_Planned(q, key, cached=False))
            batch_bytes += size
        else:
            plan.append([_Planned(q, key, cached=False)])
            batch_bytes = size
    return plan


def compute_figures(
    catalogue: Catalogue, loaded: LoadedCatalogue, options: BuildOptions
) -> Figures:
    """Read the quarter and the 7 before it (where the archive has them) and compute them all."""
    import polars as pl

    from tees_dataset.catalogue.models import RatioMeasure
    from tees_dataset.compute import (
        Inputs,
        QuarterData,
        add_changes,
        compute_quarter,
        population_for,
    )
    from tees_dataset.returns import QuarterReturns, load_quarters
    from tees_dataset.returns.cache import ReturnCache

    cache = ReturnCache(options.out_dir / ".cache" / "returns") if options.cache else None
    population_table = pl.read_csv(reference_dir(loaded) / "population.csv")
    detailed = {options.quarter.shift(-n) for n in (0, 1, 4)}
    # Returns a later quarter still needs (rolling 12-month figures); others are dropped as soon
    # as their quarter is computed, so memory holds one batch of quarters' rows at a time.
    kept = {
        ind.source for _, _, ind in catalogue.indicators()
        if isinstance(ind.measure, RatioMeasure) and ind.measure.rolling_quarters
    }  # fmt: skip
    datas: dict[Quarter, QuarterData] = {}
    results = {}
    files = []
    current_returns = None
    for batch in _read_plan(options, cache, loaded.sha256):
        # Oldest first: a quarter's rolling figures need only earlier ones.
        quarters = [p.quarter for p in batch]
        read: list[QuarterReturns] | None = None
        if cache and batch[0].cached and batch[0].key:
            hit = cache.load(batch[0].key, quarters[0], options.returns_dir / str(quarters[0]))
            read = [hit] if hit else None
        if read is None:
            with stage(f"reading returns for {_span(quarters)}", quarter=str(quarters[-1])):
                read = load_quarters(catalogue, quarters, options.returns_dir)
            for planned, returns in zip(batch, read, strict=True):
                if cache and planned.key:
                    cache.save(planned.key, returns)
        for q, returns in zip(quarters, read, strict=True):
            files += returns.files
            if q == options.quarter:
                current_returns = returns
            datas[q] = QuarterData(
                returns.frames, {k: v == "received" for k, v in returns.status.items()}
            )
            with stage(f"computing {q}", quarter=str(q)):
                inputs = Inputs(
                    q, datas[q], history=datas,
                    population=population_for(population_table, catalogue, q),
                    # Earlier quarters feed the trend (headlines) and the changes (every row).
                    detail=q in detailed,
                )  # fmt: skip
                results[q] = compute_quarter(catalogue, inputs)
            datas[q] = QuarterData(
                {k: v for k, v in returns.frames.items() if k in kept}, datas[q].accepted
            )
        del read, returns
    del datas  # the rows are done with: only figures, issues and who sent what go further
    if options.publish:
        from tees_dataset.compute.suppress import suppress_quarters

        # Together: the trend and the rolling figures relate one quarter's figures to another's.
        with stage("suppressing small numbers"):
            results = suppress_quarters(results, partnership_areas(catalogue), catalogue)
    assert current_returns is not None
    current = add_changes(
        results[options.quarter],
        results.get(options.quarter.shift(-1)),
        results.get(options.quarter.shift(-4)),
    )
    trend = pl.concat(
        [r.filter(pl.col("breakdown") == "") for q, r in sorted(results.items())], how="vertical"
    ).select(
        "quarter",
        "area",
        "area_type",
        "indicator_id",
        "numerator",
        "denominator",
        "value",
        "unit",
        "status",
    )
    return Figures(replace(current_returns, frames={}), current, trend, files)


def _build_into(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    staging: Path,
    started: dt.datetime,
    key: str = "",
) -> BuildOutcome:
    from tees_dataset.compute import areas
    from tees_dataset.render.context import MARKING
    from tees_dataset.render.xlsx import write_dataset_workbook
    from tees_dataset.returns.feedback import summary

    quarter = str(options.quarter)
    # The render server starts now, so that it loads WeasyPrint while the returns are read.
    pool = _start_render_pool(len(catalogue.partnerships))
    try:
        figures = compute_figures(catalogue, loaded, options)
        returns = figures.returns
        _found_some(returns)
        marked = [f for f in figures.files if getattr(f, "synthetic", False)]
        synthetic = bool(marked)
        if synthetic:
            log.warning("built from synthetic returns: every output is marked %s", SYNTHETIC_MARK)
        if synthetic and len(marked) < sum(1 for f in figures.files if f.agency_id):
            log.warning(
                "only some returns are marked synthetic (%s): check where they came from",
                ", ".join(printable(f"{f.path.parent.name}/{f.path.name}") for f in marked[:5]),
            )
        rows = figures.results.to_dicts()
        trend = figures.trend.to_dicts()
        benchmarks = _benchmarks(catalogue, loaded, options, rows, trend)
        returns_summary = summary(catalogue, returns)
        contexts = _pack_contexts(
            catalogue, loaded, options, figures, rows, trend, returns_summary, started, benchmarks
        )
        if synthetic:
            contexts = [replace(c, synthetic=SYNTHETIC_MARK) for c in contexts]

        def meanwhile() -> None:
            """What the build writes while the packs render."""
            if not options.publish:  # validation reports are internal: never published
                write_validation_reports(catalogue, returns, staging)
            _write_results_csv(figures.results, staging / "results.csv")
            _write_results_csv(figures.trend, staging / "trend.csv")
            _write_benchmarks_csv(benchmarks, staging / "benchmarks.csv")
            write_dataset_workbook(
                catalogue,
                rows,
                trend,
                [a.name for a in areas(catalogue)],
                staging / f"dataset-{quarter}.xlsx",
                quarter=quarter,
                marking="" if options.publish else MARKING,
                synthetic=SYNTHETIC_MARK if synthetic else "",
            )
            if synthetic:
                mark_workbooks(staging, SYNTHETIC_MARK)

        with stage(f"rendering {len(contexts)} packs"):
            _render_all(contexts, staging, html=options.html, pool=pool, meanwhile=meanwhile)
    except BaseException:
        if pool is not None:
            pool.abort()
        raise
    if pool is not None:
        pool.close()

    missing = [
        f"{r['agency_name']}: {r['return_title']} {r['status']}"
        for r in returns_summary
        if r["status"] != "received"
    ]
    code = ExitCode.INCOMPLETE if missing else ExitCode.OK
    errors = sum(1 for i in returns.issues if i.level is Level.ERROR)
    _write_manifest(
        loaded, options, figures.files, staging, started, synthetic=synthetic,
        outcome={"build_key": key, "outcome": {"exit_code": code, "missing": missing,
                                               "errors": errors}},
    )  # fmt: skip
    outputs = sorted(p for p in staging.iterdir() if p.is_file() and p.name != STAGING_MARK)
    return BuildOutcome(code, staging, outputs, missing, returns.issues, synthetic, errors=errors)


def _benchmarks(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    rows: list[dict[str, Any]],
    trend: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """benchmarks.csv's rows: the quarter's figures beside DfE's, from reference/."""
    from tees_dataset.compute.benchmarks import benchmark_rows, datasets_used
    from tees_dataset.reference import load_benchmark_data

    data = load_benchmark_data(reference_dir(loaded), datasets_used(catalogue))
    return benchmark_rows(catalogue, options.quarter, rows, trend, data)


def _write_benchmarks_csv(rows: list[dict[str, Any]], path: Path) -> None:
    import csv

    from tees_dataset.compute.benchmarks import BENCHMARK_COLUMNS

    def shown(value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, BENCHMARK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: shown(r[k]) for k in BENCHMARK_COLUMNS} for r in rows)


def _found_some(returns: Any) -> None:
    """No return identified for the quarter (only other quarters' files, or unidentifiable
    ones): like an empty folder, nothing is written and the previous outputs stay (exit 5)."""
    if any(status != "missing" for status in returns.status.values()):
        return
    for issue in returns.issues:
        log.warning("%s", issue)
    raise BuildError(
        f"no return for {returns.quarter} was found among the files in {returns.folder} "
        f"({len(returns.files)} looked at; see the warnings above): nothing was written and "
        "the previous outputs are as they were",
        ExitCode.NO_RETURNS,
    )


def _pack_contexts(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    figures: Figures,
    rows: list[dict[str, Any]],
    trend: list[dict[str, Any]],
    returns_summary: list[dict[str, Any]],
    started: dt.datetime,
    benchmarks: list[dict[str, Any]] | None = None,
) -> list[Any]:
    """What each partnership's pack shows."""
    from tees_dataset.reference import read_sources
    from tees_dataset.render.context import (
        CompletenessRow,
        ReferenceSource,
        SourceFile,
        build_context,
    )

    agency_names = {a.id: a.name for a in catalogue.agencies}
    sources = [
        SourceFile(
            f.path.parent.name,
            "" if options.publish else f.path.name,
            agency_names.get(f.agency_id or "", "unidentified"),
            f.sha256,
        )
        for f in figures.files
        # File names are the senders' own text: the published pack names agencies only.
        if f.sha256
    ]
    reference_sources = [
        ReferenceSource(r["title"], r["file"], r["publication_year"], r["sha256"])
        for r in read_sources(reference_dir(loaded))
    ]
    contexts = []
    for partnership in catalogue.partnerships:
        completeness = [
            CompletenessRow(
                r["agency_name"],
                r["return_title"],
                r["status"],
                r["errors"],
                r["received"],
                r["late"],
                "" if options.publish else r["comment"],  # an agency's free text stays internal
            )
            for r in returns_summary
            if _agency_serves(catalogue, r["agency"], partnership.local_authorities)
        ]
        contexts.append(
            build_context(
                catalogue, partnership, options.quarter, rows, completeness,
                tool_version=__version__, produced=started, trend=trend, benchmarks=benchmarks,
                sources=sources, reference_sources=reference_sources, published=options.publish,
            )
        )  # fmt: skip
    return contexts


def _agency_serves(catalogue: Catalogue, agency_id: str, las: list[str]) -> bool:
    agency = catalogue.agency(agency_id)
    return agency is not None and bool(set(agency.covers) & set(las))


def _start_render_pool(packs: int) -> RenderPool | None:
    """The render server: one process that loads WeasyPrint once and forks a renderer per pack,
    up to the number of CPUs (WeasyPrint layout is single-threaded)."""
    if packs < 1:
        return None
    return RenderPool(min(packs, os.cpu_count() or 1))


def _render_all(
    contexts: list[Any],
    staging: Path,
    *,
    html: bool,
    pool: RenderPool | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Render every pack in the render server, running `meanwhile` in this process as they
    render; without a server (a test, the benchmark's floor), one after another here."""
    jobs = [
        (
            c,
            staging / f"{c.partnership_id}-{c.quarter}.pdf",
            staging / f"{c.partnership_id}-{c.quarter}.html" if html else None,
        )
        for c in contexts
    ]
    if pool is None:
        from tees_dataset.render.pdf import render_pack

        for job in jobs:
            render_pack(*job)
        if meanwhile:
            meanwhile()
        return
    failure: list[BaseException] = []

    def render() -> None:
        try:
            pool.render(jobs)
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)

    thread = threading.Thread(target=render, name="render", daemon=True)
    thread.start()
    if meanwhile:
        meanwhile()
    while thread.is_alive():  # in short waits, so that a signal is acted on at once
        thread.join(0.2)
    if failure:
        raise failure[0]


def _write_manifest(
    loaded: LoadedCatalogue,
    options: BuildOptions,
    files: list[Any],
    staging: Path,
    started: dt.datetime,
    *,
    synthetic: bool = False,
    outcome: dict[str, Any] | None = None,
) -> None:
    write_manifest(
        staging,
        quarter=str(options.quarter),
        catalogue=_catalogue_info(loaded),
        inputs=_inputs(files),
        started=started,
        folders=options.folders,
        synthetic=synthetic,
        extra={"reference": _reference_files(loaded)}
        | (outcome or {})
        | ({"kind": "published"} if options.publish else {}),
    )


def _reference_files(loaded: LoadedCatalogue) -> list[dict[str, str]]:
    """Every reference file beside the catalogue (population, benchmarks), with its checksum."""
    from tees_dataset.digest import sha256_of

    folder = reference_dir(loaded)
    if not folder.is_dir():
        return []
    return [
        {"path": str(p.relative_to(folder.parent)), "sha256": sha256_of(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    ]
