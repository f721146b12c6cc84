"""Rules about indicators' measures: real columns, parsing expressions, matching units, groupable
breakdowns, dates where days are counted, rates over local authority figures."""

from __future__ import annotations

from tees_dataset import codes
from tees_dataset.catalogue.context import (
    AREA_COLUMN,
    IMPLICIT_COLUMNS,
    Context,
    has_column,
    indicator_paths,
    unknown_column,
)
from tees_dataset.catalogue.expressions import expression_issues
from tees_dataset.catalogue.loader import Path_
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    UNIT_OF_MEASURE,
    Measure,
    MedianDaysMeasure,
    ProportionMeasure,
    RateMeasure,
    RatioMeasure,
    ReturnSpec,
    TotalMeasure,
    WithinDaysMeasure,
)
from tees_dataset.report import Issue


def measures(ctx: Context) -> list[Issue]:
    """Measures name real columns of their return, parse, and carry the matching unit."""
    cat = ctx.catalogue
    issues: list[Issue] = []
    for path, indicator in indicator_paths(cat):
        measure = indicator.measure
        mpath = (*path, "measure")
        expected_unit = UNIT_OF_MEASURE[measure.kind]
        if indicator.unit != expected_unit:
            issues.append(
                ctx.issue(
                    codes.C_UNIT_MISMATCH,
                    f"a {measure.kind} measure gives a {expected_unit}, but unit is '{indicator.unit}'",
                    (*path, "unit"),
                    f"Set `unit: {expected_unit}`.",
                )
            )
        spec = cat.return_spec(indicator.source)
        if spec is None:
            continue  # reported by `references`
        if measure.filter is not None:
            issues += expression_issues(ctx, measure.filter, (*mpath, "filter"), spec, "filter")
        if isinstance(measure, MedianDaysMeasure) and measure.breakdown:
            # Its columns are not looked at: compute never groups a median, whatever they are.
            issues.append(_median_breakdown(ctx, measure, (*mpath, "breakdown")))
        else:
            for k, column in enumerate(measure.breakdown):
                if not has_column(spec, column):
                    issues.append(unknown_column(ctx, column, (*mpath, "breakdown", k), spec))
                else:
                    issues += _groupable(ctx, spec, column, (*mpath, "breakdown", k))
        issues += _measure_specifics(ctx, measure, mpath, spec)
    return issues


def _median_breakdown(ctx: Context, measure: MedianDaysMeasure, path: Path_) -> Issue:
    """Compute pools every row of an area into one median and never groups it: a breakdown
    would be dropped without a word, and the pack would show the headline alone."""
    columns = ", ".join(measure.breakdown)
    return ctx.issue(
        codes.C_BREAKDOWN_ON_MEDIAN,
        f"a {measure.kind} measure gives one median per area: its breakdown by {columns} "
        "is never computed",
        path,
        "Remove `breakdown`. For the median of one group, add an indicator for it with a "
        f"`filter`, e.g. `filter: \"{measure.breakdown[0]} = '...'\"`.",
    )


GROUPABLE_IMPLICIT = frozenset({"agency", "sector", AREA_COLUMN})


def _groupable(ctx: Context, spec: ReturnSpec, column: str, path: Path_) -> list[Issue]:
    """Breakdowns and shares group by code lists or whole numbers: free text from a return
    would turn every spelling into a row of the pack."""
    col = spec.column(column)
    if column in GROUPABLE_IMPLICIT or (col is not None and col.type in ("code", "integer")):
        return []
    kind = col.type if col is not None else "implicit"
    return [
        ctx.issue(
            codes.C_BREAKDOWN_NOT_A_CODE,
            f"'{column}' is a {kind} column; breakdowns need a code list or whole numbers",
            path,
        )
    ]


def _measure_specifics(
    ctx: Context, measure: Measure, mpath: Path_, spec: ReturnSpec
) -> list[Issue]:
    """Every expression parses and names real columns; dates are dates; rates have a population."""
    issues: list[Issue] = []
    expressions: list[tuple[str, Path_]] = []
    columns: list[tuple[str, Path_]] = []
    if isinstance(measure, ProportionMeasure):
        expressions.append((measure.numerator, (*mpath, "numerator")))
        expressions += [(e, (*mpath, "numerators", k)) for k, e in measure.numerators.items()]
        if measure.shares_of:
            columns.append((measure.shares_of, (*mpath, "shares_of")))
            if has_column(spec, measure.shares_of):
                issues += _groupable(ctx, spec, measure.shares_of, (*mpath, "shares_of"))
    elif isinstance(measure, RatioMeasure):
        expressions.append((measure.numerator, (*mpath, "numerator")))
        expressions.append((measure.denominator, (*mpath, "denominator")))
    elif isinstance(measure, TotalMeasure):
        expressions.append((measure.value, (*mpath, "value")))
        expressions += [(e, (*mpath, "parts", k)) for k, e in measure.parts.items()]
    elif isinstance(measure, RateMeasure):
        if measure.value:
            expressions.append((measure.value, (*mpath, "value")))
        if spec.area_level != LOCAL_AUTHORITY:
            issues.append(
                ctx.issue(
                    codes.C_RATE_NEEDS_LOCAL_AUTHORITY,
                    "a rate per 10,000 children needs local authority figures, but "
                    f"return '{spec.id}' is made for the partnership as a whole",
                    (*mpath, "kind"),
                )
            )
    elif isinstance(measure, WithinDaysMeasure | MedianDaysMeasure):
        for key in ("start", "end"):
            column = getattr(measure, key)
            col = spec.column(column)
            if col is None and column not in IMPLICIT_COLUMNS:
                issues.append(unknown_column(ctx, column, (*mpath, key), spec))
            elif col is not None and col.type != "date":
                issues.append(
                    ctx.issue(
                        codes.C_NOT_A_DATE,
                        f"'{column}' is a {col.type} column; counting days needs dates",
                        (*mpath, key),
                    )
                )
    for expression, path in expressions:
        issues += expression_issues(ctx, expression, path, spec, "expression")
    for column, path in columns:
        if not has_column(spec, column):
            issues.append(unknown_column(ctx, column, path, spec))
    return issues
