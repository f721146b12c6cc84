"""The build: validate, compute and render a quarter into `<out>/<quarter>/`, all or nothing."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import platform
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from tees_dataset import __version__
from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.logs import stage
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue

log = logging.getLogger("tees_dataset")


class ExitCode:
    """Documented exit codes, shared by every command."""

    OK = 0
    INCOMPLETE = 1  # built (or validated), but returns are missing or have errors
    USAGE = 2  # bad options or a catalogue error
    FAILED = 3  # something else went wrong; previous outputs are untouched
    LOCKED = 4  # another build holds the output folder


class BuildError(Exception):
    """A build that cannot go on; carries the exit code and a message for the user."""

    def __init__(self, message: str, code: int = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code


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


@contextmanager
def output_lock(out_dir: Path, timeout: float = 0) -> Iterator[None]:
    """Only one build writes to an output folder at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out_dir / ".tees-dataset.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise BuildError(
            f"another tees-dataset run is writing to {out_dir}"
            + (f" and did not finish within {timeout:g} s" if timeout else "")
            + "; try again when it has finished, or pass --wait SECONDS",
            ExitCode.LOCKED,
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _recover(out_dir: Path, quarter: str) -> None:
    """Undo what a build killed mid-swap left behind; drop stale staging folders."""
    final = out_dir / quarter
    olds = sorted(out_dir.glob(f".old-{quarter}-*"))
    if not final.exists() and olds:
        olds[-1].rename(final)
        olds = olds[:-1]
    for stale in [*olds, *out_dir.glob(f".staging-{quarter}-*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _swap_into_place(staging: Path, final: Path) -> None:
    """Replace `final` with `staging`; at every instant one whole copy exists on disk."""
    old = final.parent / f".old-{final.name}-{os.getpid()}"
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


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


def run_build(loaded: LoadedCatalogue, options: BuildOptions) -> BuildOutcome:
    """Build everything for the quarter. Raises BuildError; never leaves half-written outputs."""
    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    quarter = options.folder_name
    started = dt.datetime.now(dt.UTC)
    with output_lock(options.out_dir, options.wait):
        _recover(options.out_dir, quarter)
        staging = options.out_dir / f".staging-{quarter}-{os.getpid()}"
        staging.mkdir(parents=True)
        try:
            outcome = _build_into(catalogue, loaded, options, staging, started)
            if options.strict and outcome.exit_code == ExitCode.INCOMPLETE:
                raise BuildError(
                    "returns are missing or rejected (--strict): no pack was written; "
                    + "; ".join(outcome.missing),
                    ExitCode.INCOMPLETE,
                )
            final = options.out_dir / quarter
            _swap_into_place(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    outcome.folder = final
    outcome.outputs = [final / p.name for p in outcome.outputs]
    return outcome


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


def run_validate(
    loaded: LoadedCatalogue, quarter: Quarter, returns_dir: Path, out_dir: Path
) -> tuple[Any, Path]:
    """Validate a quarter and refresh only the validation reports in `<out>/<quarter>/`.

    Each report is written beside its final place and renamed over it, under the output
    lock, so a pack already built there is never touched or half-overwritten.
    """
    from tees_dataset.returns import load_quarter

    catalogue = loaded.catalogue
    if catalogue is None:
        raise BuildError("the catalogue has errors; run `tees-dataset check`", ExitCode.USAGE)
    returns = load_quarter(catalogue, quarter, returns_dir)
    final = out_dir / str(quarter)
    with output_lock(out_dir):
        _recover(out_dir, str(quarter))
        staging = out_dir / f".staging-{quarter}-{os.getpid()}"
        staging.mkdir(parents=True)
        try:
            write_validation_reports(catalogue, returns, staging)
            final.mkdir(parents=True, exist_ok=True)
            for name in ("validation.json", "validation.xlsx"):
                (staging / name).replace(final / name)
            _swap_into_place(staging / "feedback", final / "feedback")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return returns, final


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
    from tees_dataset.returns.cache import quarter_key

    plan: list[list[_Planned]] = []
    batch_bytes = 0
    for n in range(TREND_QUARTERS - 1, -1, -1):
        q = options.quarter.shift(-n)
        folder = options.returns_dir / str(q)
        if n and not folder.is_dir():
            continue
        key = quarter_key(folder, catalogue_sha256, __version__) if cache and n else None
        if key and cache.has(key):
            plan.append([_Planned(q, key, cached=True)])
            continue
        files = folder.iterdir() if folder.is_dir() else iter(())
        size = sum(p.stat().st_size for p in files if p.is_file())
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
        from tees_dataset.compute.suppress import suppress

        with stage("suppressing small numbers"):
            groups = partnership_areas(catalogue)
            results = {q: suppress(r, groups) for q, r in results.items()}
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


def _read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _build_into(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    staging: Path,
    started: dt.datetime,
) -> BuildOutcome:
    from tees_dataset.compute import areas
    from tees_dataset.render.context import MARKING
    from tees_dataset.render.xlsx import write_dataset_workbook
    from tees_dataset.returns.feedback import summary

    quarter = str(options.quarter)
    # The render workers start now, so that they load WeasyPrint while the returns are read.
    pool = _start_render_pool(len(catalogue.partnerships))
    try:
        figures = compute_figures(catalogue, loaded, options)
        returns = figures.returns
        if not returns.folder.is_dir():
            log.warning("no returns folder %s: every figure will be missing", returns.folder)
        rows = figures.results.to_dicts()
        trend = figures.trend.to_dicts()
        returns_summary = summary(catalogue, returns)
        contexts = _pack_contexts(
            catalogue, loaded, options, figures, rows, trend, returns_summary, started
        )

        def meanwhile() -> None:
            """What the build writes while the packs render."""
            if not options.publish:  # validation reports are internal: never published
                write_validation_reports(catalogue, returns, staging)
            _write_results_csv(figures.results, staging / "results.csv")
            _write_results_csv(figures.trend, staging / "trend.csv")
            write_dataset_workbook(
                catalogue,
                rows,
                trend,
                [a.name for a in areas(catalogue)],
                staging / f"dataset-{quarter}.xlsx",
                quarter=quarter,
                marking="" if options.publish else MARKING,
            )

        with stage(f"rendering {len(contexts)} packs"):
            _render_all(contexts, staging, html=options.html, pool=pool, meanwhile=meanwhile)
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    missing = [
        f"{r['agency_name']}: {r['return_title']} {r['status']}"
        for r in returns_summary
        if r["status"] != "received"
    ]
    _write_manifest(loaded, options, figures.files, staging, started)
    code = ExitCode.INCOMPLETE if missing else ExitCode.OK
    outputs = sorted(p for p in staging.iterdir() if p.is_file())
    return BuildOutcome(code, staging, outputs, missing, returns.issues)


def _pack_contexts(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    figures: Figures,
    rows: list[dict[str, Any]],
    trend: list[dict[str, Any]],
    returns_summary: list[dict[str, Any]],
    started: dt.datetime,
) -> list[Any]:
    """What each partnership's pack shows."""
    from tees_dataset.render.context import CompletenessRow, SourceFile, build_context

    agency_names = {a.id: a.name for a in catalogue.agencies}
    sources = [
        SourceFile(
            f.path.parent.name,
            f.path.name,
            agency_names.get(f.agency_id or "", "unidentified"),
            f.sha256,
        )
        for f in figures.files
        if f.sha256
    ]
    comparators = _read_csv(reference_dir(loaded) / "comparators.csv")
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
                r["comment"],
            )
            for r in returns_summary
            if _agency_serves(catalogue, r["agency"], partnership.local_authorities)
        ]
        contexts.append(
            build_context(
                catalogue, partnership, options.quarter, rows, completeness,
                tool_version=__version__, produced=started, trend=trend, comparators=comparators,
                sources=sources, published=options.publish,
            )
        )  # fmt: skip
    return contexts


def _agency_serves(catalogue: Catalogue, agency_id: str, las: list[str]) -> bool:
    agency = catalogue.agency(agency_id)
    return agency is not None and bool(set(agency.covers) & set(las))


def _render_one(context: Any, pdf_path: Path, html_path: Path | None) -> None:
    from tees_dataset.render.pdf import render_pack

    render_pack(context, pdf_path, html_path)


def _warm_up() -> None:
    """Load WeasyPrint and its fonts in a render worker before there is a pack to render."""
    from tees_dataset.render.pdf import warm_up

    warm_up()


def _watch_build(build: int) -> None:
    """Run in each render worker: end it when the build that started it has gone, even killed
    (SIGKILL, or a cron timeout's SIGTERM), so that no worker is left waiting forever.

    A worker that is told to stop ends at once: its packs are written and closed, so tearing
    down WeasyPrint's objects one by one (about a second after a pack) is time the build would
    wait for."""
    atexit.register(os._exit, 0)
    parent = os.getppid()  # the build, or the fork server, which ends with the build

    def watch() -> None:
        while os.getppid() == parent and _alive(build):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-build", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else: not ours, but alive
        return True
    return True


def _start_render_pool(packs: int) -> ProcessPoolExecutor | None:
    """A process per partnership's pack (WeasyPrint layout is single-threaded), or None when
    there is one pack or one CPU.

    Where the platform has a fork server (Linux, macOS), WeasyPrint and its fonts are loaded
    once, in the server, and the workers forked from it start ready; the server is started from
    a thread because it loads them before it answers, while the build reads its returns. Elsewhere
    each worker is a fresh interpreter that loads them itself."""
    workers = min(packs, os.cpu_count() or 1)
    if workers < 2:
        return None
    context: BaseContext
    if "forkserver" in get_all_start_methods():
        server = get_context("forkserver")
        server.set_forkserver_preload(["tees_dataset.render.preload"])
        context = server
    else:
        context = get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_watch_build,
        initargs=(os.getpid(),),
    )

    def start() -> None:
        for _ in range(workers):
            pool.submit(_warm_up)

    threading.Thread(target=start, name="start-render-pool", daemon=True).start()
    return pool


def _render_all(
    contexts: list[Any],
    staging: Path,
    *,
    html: bool,
    pool: ProcessPoolExecutor | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Render every pack (in the pool's workers when there is one), running `meanwhile` in this
    process as they render."""
    jobs = [
        (
            c,
            staging / f"{c.partnership_id}-{c.quarter}.pdf",
            staging / f"{c.partnership_id}-{c.quarter}.html" if html else None,
        )
        for c in contexts
    ]
    if pool is None:
        for job in jobs:
            _render_one(*job)
        if meanwhile:
            meanwhile()
        return
    futures = [pool.submit(_render_one, *job) for job in jobs]
    if meanwhile:
        meanwhile()
    for future in futures:
        future.result()


def _write_manifest(
    loaded: LoadedCatalogue,
    options: BuildOptions,
    files: list[Any],
    staging: Path,
    started: dt.datetime,
) -> None:
    outputs = {
        str(p.relative_to(staging)): _sha256(p) for p in sorted(staging.rglob("*")) if p.is_file()
    }
    manifest = {
        "quarter": str(options.quarter),
        "tool": {
            "name": "tees-dataset",
            "version": __version__,
            "python": platform.python_version(),
        },
        "catalogue": {
            "path": str(loaded.path),
            "sha256": loaded.sha256,
            "version": loaded.catalogue.version if loaded.catalogue else None,
        },
        "inputs": [
            {"path": str(f.path), "sha256": f.sha256, "agency": f.agency_id}
            for f in files
            if f.sha256
        ],
        "outputs": outputs,
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _sha256(path: Path) -> str:
    from tees_dataset.returns import sha256_of

    return sha256_of(path)
