"""The figures a build is made from, and the CSV files written from them.

`compute_figures` reads the quarter and the 7 before it (unchanged earlier quarters from the read
cache), computes every quarter oldest first, suppresses small numbers for the publishable
variant, and adds the changes from a quarter and a year before. `results.csv`, `trend.csv` and
`benchmarks.csv` are written from what it gives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.logs import stage
from tees_dataset.quarter import Quarter
from tees_dataset.report import printable

if TYPE_CHECKING:
    from tees_dataset.build import BuildOptions

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
    for q in history(options.returns_dir, options.quarter):
        n = q != options.quarter
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
    """Read the quarter and its history (`history`: where the archive has them) and compute them
    all; the quarter's figures gain their changes, intervals and signals."""
    import polars as pl

    from tees_dataset.catalogue.models import RatioMeasure
    from tees_dataset.compute import (
        Inputs,
        QuarterData,
        add_changes,
        compute_quarter,
        population_for,
    )
    from tees_dataset.compute.signals import add_signals
    from tees_dataset.figure_cache import FigureCache, figure_key
    from tees_dataset.fingerprint import tool_key
    from tees_dataset.returns import QuarterReturns, load_quarters
    from tees_dataset.returns.cache import ReturnCache, quarter_key

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
    # Each quarter's figures are cached, keyed by the files they are computed from (see
    # figure_cache.py): a rebuild recomputes only the quarters whose inputs changed.
    figure_cache = FigureCache(options.out_dir / ".cache" / "figures") if options.cache else None
    span = max(
        (ind.measure.rolling_quarters or 1 for _, _, ind in catalogue.indicators()
         if isinstance(ind.measure, RatioMeasure)),
        default=1,
    )  # fmt: skip
    folder_keys: dict[Quarter, str | None] = {}

    def folder_key(q: Quarter) -> str | None:
        if q not in folder_keys:
            folder_keys[q] = quarter_key(options.returns_dir / str(q), loaded.sha256, tool_key())
        return folder_keys[q]

    recomputed: list[Quarter] = []
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
            population = population_for(population_table, catalogue, q)
            # Earlier quarters feed the trend (headlines) and the changes (every row).
            detail = q in detailed
            # Its own returns, and for its rolling figures those of the quarters they span.
            spanned = [q.shift(-n) for n in range(span if detail else 1)]
            key = figure_key(
                q, [folder_key(s) if s in datas else None for s in spanned], population,
                detail=detail,
            ) if figure_cache else None  # fmt: skip
            cached = figure_cache.load(key) if figure_cache and key else None
            if cached is not None:
                results[q] = cached
            else:
                with stage(f"computing {q}", quarter=str(q)):
                    inputs = Inputs(
                        q, datas[q], history=datas, population=population, detail=detail
                    )
                    results[q] = compute_quarter(catalogue, inputs)
                recomputed.append(q)
                if figure_cache and key:
                    figure_cache.save(key, results[q])
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
    return Figures(
        replace(current_returns, frames={}), current, trend, files, sorted(results), recomputed
    )


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
