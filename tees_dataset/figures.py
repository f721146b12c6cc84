"""The figures a build is made from, and the CSV files written from them.

`compute_figures` reads the quarter and the 7 before it (unchanged earlier quarters from the read
cache), computes every quarter oldest first, suppresses small numbers for the publishable
variant, and adds the changes from a quarter and a year before. `results.csv`, `trend.csv` and
`benchmarks.csv` are written from what it gives.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.logs import stage
from tees_dataset.quarter import Quarter
from tees_dataset.quarter_work import BATCH_BYTES, Planned, QuarterWork, batched, span_of
from tees_dataset.report import printable

if TYPE_CHECKING:
    from tees_dataset.build import BuildOptions
    from tees_dataset.reader import Reader

TREND_QUARTERS = 8
# As much history as the returns folder holds, for the trend and SPC (12 quarters or more make
# an XmR chart), up to ten years: enough for any chart, and a bound on the work.
MAX_HISTORY = 40
log = logging.getLogger(__name__)


def history(returns_dir: Path, quarter: Quarter) -> list[Quarter]:
    """The quarters a build reads, oldest first: the quarter itself, the 7 before it, and every
    earlier quarter back to the oldest folder the returns folder has (at most MAX_HISTORY).

    Only a real folder with something in it counts: an empty folder, a link (never followed
    out of the returns folder) or a name that is not a quarter does not stretch the history."""
    oldest = quarter.shift(-(TREND_QUARTERS - 1))
    floor = quarter.shift(-(MAX_HISTORY - 1))
    try:
        paths = list(returns_dir.iterdir()) if returns_dir.is_dir() else []
    except OSError:
        paths = []
    for path in paths:
        found = Quarter.named(path.name)
        if found is None or not floor <= found < oldest:
            continue
        if path.is_symlink():
            log.warning("%s is a link: it was not followed and is not part of the history",
                        printable(path.name))  # fmt: skip
            continue
        try:
            filled = path.is_dir() and any(path.iterdir())
        except OSError:
            filled = True  # unreadable: reading it will say so
        if filled:
            oldest = found
    return oldest.through(quarter)


@dataclass
class Figures:
    """A quarter's figures with their history: what every output is made from."""

    returns: Any  # QuarterReturns of the built quarter
    results: Any  # polars DataFrame: the quarter's rows, with changes
    trend: Any  # polars DataFrame: headline rows of up to 8 quarters
    files: list[Any]  # every FileResult read, history included
    computed: list[Quarter] = field(default_factory=list)  # every quarter with figures
    recomputed: list[Quarter] = field(default_factory=list)  # those not taken from the cache
    files_read: int = 0  # the files opened and validated (the others' outcomes were cached)
    # Waits for the cache entries still being written in the background; with abandon=True,
    # for the one being written only (QuarterWork.close).
    settle: Callable[..., None] = field(default=lambda **_: None, repr=False)


def partnership_areas(catalogue: Catalogue) -> dict[str, list[str]]:
    """Partnership area names and the names of the authorities that add up to them."""
    names = {la.id: la.name for la in catalogue.local_authorities}
    return {p.id: [names[la] for la in p.local_authorities] for p in catalogue.partnerships}


def reference_dir(loaded: LoadedCatalogue) -> Path:
    """Reference data the analyst updates lives in reference/ beside the catalogue."""
    return loaded.path.resolve().parent / "reference"


def _read_plan(options: BuildOptions, cache: Any, catalogue_sha256: str) -> list[list[Planned]]:
    """The quarters to read, oldest first, in batches: a quarter found in the cache on its own,
    runs of the others together up to BATCH_BYTES of files. The quarter being built is always
    read afresh, so that its feedback is complete."""
    from tees_dataset.fingerprint import tool_key
    from tees_dataset.returns.cache import quarter_key

    planned: list[Planned] = []
    for q in history(options.returns_dir, options.quarter):
        n = q != options.quarter
        folder = options.returns_dir / str(q)
        if n and not folder.is_dir():
            continue
        key = quarter_key(folder, catalogue_sha256, tool_key()) if cache and n else None
        if key and cache.has(key):
            planned.append(Planned(q, key, cached=True))
        else:
            planned.append(Planned(q, key, cached=False, size=_folder_bytes(folder)))
    return batched(planned, BATCH_BYTES)


# The share of the bytes to be read that a second process reads (and computes) beside the build,
# once the build has had a head start of SECOND_HEAD_START_BYTES: what it reads while the second
# process starts (about half a second).
SECOND_SHARE = 0.5
SECOND_HEAD_START_BYTES = 2 * 1024 * 1024
# A build reading more than this many bytes of returns with a second process starts its render
# server (about 100 MB once WeasyPrint is loaded) only once the second process is done: at 100
# times Tees volumes the two reading processes hold about 970 MB at their peak. A smaller read
# starts it at once, so that WeasyPrint loads as the returns are read.
EARLY_RENDER_BYTES = 64 * 1024 * 1024
# A second process is started when it would read at least this many quarters (it costs about
# half a second of one core to start).
SECOND_MIN_QUARTERS = 2
# ... and when two processes reading at once stay within SECOND_MEMORY_BYTES: reading a quarter
# holds about READ_PEAK_BASE plus READ_PEAK_PER_BYTE times its files' bytes at its peak (about
# 490 MB for the 23 MB of a quarter at 100 times Tees volumes, measured).
SECOND_MEMORY_BYTES = 1024 * 1024 * 1024
READ_PEAK_BASE = 100 * 1024 * 1024
READ_PEAK_PER_BYTE = 17


def _folder_bytes(folder: Path) -> int:
    try:
        paths = list(folder.iterdir()) if folder.is_dir() else []
        return sum(p.stat().st_size for p in paths if p.is_file() and not p.is_symlink())
    except OSError:
        return 0


def _shares(
    plan: list[list[Planned]], options: BuildOptions, work: QuarterWork
) -> tuple[list[list[Planned]], list[list[Planned]]]:
    """The batches this process reads, and those a second process reads meanwhile: the oldest
    quarters to be read, up to about SECOND_SHARE of the bytes to be read after a head start
    (SECOND_HEAD_START_BYTES), while their two peaks fit in memory, none from the read
    cache and none computed in detail. It reads them newest first: the rows a quarter computed
    in detail needs of them (`QuarterWork.needed`) come back soonest. None on a machine with
    one core."""
    if (os.cpu_count() or 1) < 2:
        return plan, []
    to_read = [p for batch in plan for p in batch if not p.cached]
    largest = max((p.size for p in to_read), default=0)
    if 2 * (READ_PEAK_BASE + READ_PEAK_PER_BYTE * largest) > SECOND_MEMORY_BYTES:
        return plan, []
    budget = (sum(p.size for p in to_read) - SECOND_HEAD_START_BYTES) * SECOND_SHARE
    theirs: list[Planned] = []
    for planned in to_read:  # oldest first
        if planned.quarter >= min(work.detailed) or planned.size > budget:
            break
        theirs.append(planned)
        budget -= planned.size
    if len(theirs) < SECOND_MIN_QUARTERS:
        return plan, []
    own = [p for batch in plan for p in batch if p not in theirs]
    return batched(own, BATCH_BYTES), batched(theirs, BATCH_BYTES)[::-1]


def _start_reader(work: QuarterWork, batches: list[list[Planned]]) -> Reader | None:
    if not batches:
        return None
    from tees_dataset.reader import Reader

    reader = Reader()
    reader.submit(work, batches)
    return reader


def _log_reader(reader: Reader, batches: list[list[Planned]]) -> None:
    quarters = sorted(p.quarter for batch in batches for p in batch)
    name = f"reading returns for {span_of(quarters)} (in a second process)"
    if reader.failure is None:
        seconds = round(reader.seconds, 3)
        log.info("%s: done in %.1f s", name, seconds,
                 extra={"stage": name, "event": "end", "seconds": seconds, "quarter": str(quarters[-1])})  # fmt: skip
    else:
        log.warning("the second process reading %s failed (%s): they are read here instead",
                    span_of(quarters), reader.failure)  # fmt: skip


def compute_figures(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    starting: Callable[[], None] | None = None,
) -> Figures:
    """Read the quarter and its history (`history`: where the archive has them) and compute them
    all; the quarter's figures gain their changes, intervals and signals. The oldest quarters
    to be read may be read and computed in a second process meanwhile (`_shares`). `starting`
    (the render server's start) is called as the reading begins, or for a large read as it
    ends (EARLY_RENDER_BYTES)."""
    import polars as pl

    from tees_dataset.catalogue.models import RatioMeasure
    from tees_dataset.compute import QuarterData, add_changes
    from tees_dataset.compute.signals import add_signals
    from tees_dataset.returns.cache import ReturnCache

    # Returns a later quarter still needs (rolling 12-month figures); others are dropped as soon
    # as their quarter is computed, so memory holds one batch of quarters' rows at a time.
    kept = frozenset(
        ind.source for _, _, ind in catalogue.indicators()
        if isinstance(ind.measure, RatioMeasure) and ind.measure.rolling_quarters
    )  # fmt: skip
    span = max(
        (ind.measure.rolling_quarters or 1 for _, _, ind in catalogue.indicators()
         if isinstance(ind.measure, RatioMeasure)),
        default=1,
    )  # fmt: skip
    # Each file's outcome, each earlier quarter's rows and each quarter's figures are cached,
    # keyed by what they are made from: a rebuild reads and computes only what changed.
    work = QuarterWork(
        catalogue, loaded.sha256, options.returns_dir,
        options.out_dir / ".cache" if options.cache else None,
        pl.read_csv(reference_dir(loaded) / "population.csv"), kept,
        frozenset(options.quarter.shift(-n) for n in (0, 1, 4)), span,
    )  # fmt: skip
    cache = ReturnCache(options.out_dir / ".cache" / "returns") if options.cache else None
    own, theirs = _shares(_read_plan(options, cache, loaded.sha256), options, work)
    datas: dict[Quarter, QuarterData] = {}
    results: dict[Quarter, Any] = {}
    files: dict[Quarter, list[Any]] = {}
    opened: dict[Quarter, int] = {}
    recomputed: list[Quarter] = []
    current_returns = None
    reader = _start_reader(work, theirs)
    pending = {p.quarter for batch in theirs for p in batch}

    def take_theirs() -> None:
        """What the second process did; what it could not do is done here."""
        assert reader is not None
        reader.wait()
        done = reader.done
        for q in sorted(pending & set(done)):
            files[q], results[q] = done[q].returns.files, done[q].figures
            opened[q] = len(done[q].returns.opened)
            if done[q].recomputed:
                recomputed.append(q)
        _log_reader(reader, theirs)
        left = sorted((p for batch in theirs for p in batch if p.quarter not in done),
                      key=lambda p: p.quarter)  # fmt: skip
        pending.clear()
        for batch in [[p] for p in left]:
            take(work.read(batch))

    def need(q: Quarter) -> None:
        """The rows a quarter computed in detail needs of the second process's quarters."""
        wanted = pending & {q.shift(-n) for n in range(span)}
        if not wanted:
            return
        assert reader is not None
        reader.wait_for(wanted)
        for s in wanted & reader.done.keys():
            returns = reader.done[s].returns
            datas[s] = QuarterData(returns.frames, returns.acceptance)
        if not wanted <= reader.done.keys():  # it failed: the quarters left are read here
            take_theirs()

    def take(read: list[Any]) -> None:
        nonlocal current_returns
        for returns in read:
            q = returns.quarter
            files[q] = returns.files
            opened[q] = len(returns.opened)
            if q == options.quarter:
                current_returns = returns
            datas[q] = QuarterData(returns.frames, returns.acceptance)
            if q in work.detailed:
                need(q)
            results[q], computed = work.figures(q, datas)
            if computed:
                recomputed.append(q)
            datas[q] = QuarterData(
                {k: v for k, v in returns.frames.items() if k in kept}, datas[q].accepted
            )

    late = sum(p.size for batch in own + theirs for p in batch) > EARLY_RENDER_BYTES

    def start_rendering(now: bool = False) -> None:
        """Call `starting`, if now is the time (see EARLY_RENDER_BYTES)."""
        nonlocal starting
        if starting is not None and (now or not late or reader is None or reader.finished):
            starting()
            starting = None

    # A small read holds back each file's cache entry until it is done (they are written while
    # the packs are made, `Figures.settle` waits for them); a large one writes them as it goes.
    work.hold_writes = not late
    done = False
    try:
        for batch in own:  # oldest first: a quarter's rolling figures need only earlier ones
            start_rendering()
            take(work.read(batch))
        if pending:
            take_theirs()
        start_rendering(now=True)
        done = True
    finally:
        if reader is not None:
            reader.close()
        if done:
            work.release()  # the entries held back are written while the packs are made
        else:
            work.close(abandon=True)  # only the entry being written is finished
    recomputed.sort()
    datas.clear()  # the rows are done with: only figures, issues and who sent what go further
    if options.publish:
        from tees_dataset.compute.suppress import suppress_quarters

        # Together: the trend and the rolling figures relate one quarter's figures to another's.
        with stage("suppressing small numbers"):
            results = suppress_quarters(results, partnership_areas(catalogue), catalogue)
    assert current_returns is not None
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
    previous, last_year = (results.get(options.quarter.shift(-n)) for n in (1, 4))
    current = add_changes(results[options.quarter], previous, last_year)
    # Intervals, the change calls and each figure's signal (SPC over 12 quarters or more).
    current = add_signals(catalogue, current, previous, last_year, trend)
    every_file = [f for q in sorted(files) for f in files[q]]
    return Figures(
        replace(current_returns, frames={}), current, trend, every_file, sorted(results),
        recomputed, sum(opened.values()), work.close,
    )  # fmt: skip


def write_results_csv(results: Any, path: Path) -> None:
    """results.csv or trend.csv: whole numbers without a decimal point, others to 4 places."""
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


def benchmark_figures(
    catalogue: Catalogue,
    loaded: LoadedCatalogue,
    options: BuildOptions,
    rows: list[dict[str, Any]],
    trend: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """benchmarks.csv's rows: the quarter's figures beside DfE's, from reference/."""
    from tees_dataset.catalogue.benchmark_spec import datasets_used
    from tees_dataset.compute.benchmarks import benchmark_rows
    from tees_dataset.reference import load_benchmark_data

    data = load_benchmark_data(reference_dir(loaded), datasets_used(catalogue))
    return benchmark_rows(catalogue, options.quarter, rows, trend, data)


def write_benchmarks_csv(rows: list[dict[str, Any]], path: Path) -> None:
    import csv

    from tees_dataset.compute.benchmarks import BENCHMARK_COLUMNS

    def shown(value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, BENCHMARK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: shown(r[k]) for k in BENCHMARK_COLUMNS} for r in rows)
