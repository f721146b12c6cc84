"""Plain-English formulas for measures, for `tees-dataset indicators` and the pack's appendix."""

from __future__ import annotations

from tees_dataset.catalogue.models import (
    CountMeasure,
    Measure,
    MedianDaysMeasure,
    ProportionMeasure,
    RateMeasure,
    RatioMeasure,
    TotalMeasure,
    WithinDaysMeasure,
)


def formula(measure: Measure) -> str:
    """The measure as a formula an analyst can check by hand."""
    where = f" where {measure.filter}" if measure.filter else ""
    text: str
    if isinstance(measure, CountMeasure):
        text = f"number of rows{where}"
    elif isinstance(measure, TotalMeasure):
        text = f"sum of ({measure.value}){where}"
    elif isinstance(measure, ProportionMeasure):
        text = f"100 × (rows{where} and {measure.numerator}) / (rows{where})"
    elif isinstance(measure, WithinDaysMeasure):
        days = "working days" if measure.kind == "within_working_days" else "calendar days"
        ends = (
            f"rows with no {measure.end} count as not within"
            if measure.no_end == "not_within"
            else "rows missing either date are left out"
        )
        text = (
            f"100 × (rows{where} with {days} from {measure.start} to {measure.end} <= "
            f"{measure.days}) / (rows{where}); {ends}"
        )
    elif isinstance(measure, MedianDaysMeasure):
        days = "working days" if measure.kind == "median_working_days" else "calendar days"
        text = f"median of {days} from {measure.start} to {measure.end} over rows{where}"
    elif isinstance(measure, RatioMeasure):
        text = f"100 × sum of ({measure.numerator}) / sum of ({measure.denominator}){where}"
        if measure.rolling_quarters:
            text += (
                f"; also with the numerator summed over the last {measure.rolling_quarters} "
                "quarters"
            )
    elif isinstance(measure, RateMeasure):
        counted = f"sum of ({measure.value})" if measure.value else "rows"
        text = f"{measure.per:,} × {counted}{where} / children aged 0 to 17"
    else:  # pragma: no cover - the union is closed
        raise TypeError(measure.kind)
    if measure.breakdown:
        text += f"; broken down by {' and '.join(measure.breakdown)}"
    if isinstance(measure, ProportionMeasure) and measure.numerators:
        text += f"; also for each of: {', '.join(measure.numerators)}"
    if isinstance(measure, ProportionMeasure) and measure.shares_of:
        text += f"; with the share of rows for each {measure.shares_of}"
    if isinstance(measure, TotalMeasure) and measure.parts:
        text += f"; in parts: {', '.join(measure.parts)}"
    return text + ". Partnership and Tees figures pool the parts, never average them."
