"""What an indicator's `benchmark:` asks for: the statistic it names, the imported datasets the
catalogue needs, and the label of a ratio's rolling rows that a benchmark's breakdown points to.
Used by the catalogue's check and by the computed benchmarks alike."""

from __future__ import annotations

from tees_dataset.catalogue.models import Benchmark, Catalogue, Indicator, RatioMeasure
from tees_dataset.reference import POPULATION_MEASURE, STATISTICS, Statistic


def statistic_of(indicator: Indicator) -> tuple[Benchmark, Statistic] | None:
    """The indicator's benchmark and the statistic it names (None: it has none, or an unknown
    one, which `check` reports)."""
    benchmark = indicator.benchmark
    if not isinstance(benchmark, Benchmark) or benchmark.statistic not in STATISTICS:
        return None
    return benchmark, STATISTICS[benchmark.statistic]


def datasets_used(catalogue: Catalogue) -> set[str]:
    """The imported datasets the catalogue's benchmarks need (with the ONS population, the
    base of the rates DfE gives as counts)."""
    used = {m[1].dataset for _, _, i in catalogue.indicators() if (m := statistic_of(i))}
    return used | {POPULATION_MEASURE[0]} if used else used


def rolling_label(indicator: Indicator) -> str | None:
    """The `period` breakdown value of a ratio's rolling rows ('12 months to quarter end')."""
    measure = indicator.measure
    if isinstance(measure, RatioMeasure) and measure.rolling_quarters:
        return f"{3 * measure.rolling_quarters} months to quarter end"
    return None
