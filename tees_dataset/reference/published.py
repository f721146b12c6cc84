"""DfE's published figures as a benchmark shows them: a statistic's figure for an area and year
(or why there is none), and the years it is published for. Pure: imported reference data in,
figures out, so that both the catalogue's check and the computed benchmarks use the same."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tees_dataset.reference import ENGLAND, POPULATION_MEASURE, BenchmarkData, Statistic

SYMBOL_WORDS = {
    "c": "suppressed by DfE (c)",
    "x": "not available (x)",
    "z": "not applicable (z)",
    "u": "of low reliability (u)",
    "low": "below 0.5 (low)",
    "k": "below 0.5 (k)",
}


def round1(value: float) -> float:
    """One decimal place, halves away from zero (as every figure of the dataset)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Published:
    """A published figure for an area and year: its value, or None and why not."""

    value: float | None
    note: str = ""


def published(data: BenchmarkData, statistic: Statistic, year: int, area: str) -> Published:
    """The statistic as DfE publishes it for an area (a GSS code for England and the regions,
    DfE's three-digit code for an authority). A rate DfE gives only as a count is worked out
    as DfE does: the count per 10,000 children aged 0 to 17 at the mid-year before (the ONS
    estimate of mid-2024 for the year to 31 March 2025), rounded to one decimal place."""
    figure = data.figures.get((statistic.dataset, statistic.measure, year, area))
    if figure is None:
        return Published(None, "not in the published file")
    if figure.value is None:
        return Published(None, SYMBOL_WORDS.get(figure.symbol, f"shown as {figure.symbol}"))
    if not statistic.per_10000:
        return Published(figure.value)
    base = data.figures.get((*POPULATION_MEASURE, year - 1, area))
    if base is None or not base.value:
        return Published(None, f"no ONS estimate of children aged 0 to 17 for mid-{year - 1}")
    return Published(round1(10000 * figure.value / base.value))


def published_years(data: BenchmarkData, statistic: Statistic) -> list[int]:
    """Every year with a figure for England (and, for a rate, its population)."""
    return [
        y for y in data.years(statistic.dataset, statistic.measure, ENGLAND)
        if published(data, statistic, y, ENGLAND).value is not None
    ]  # fmt: skip
