"""Semantic rules for the catalogue: each is a small function returning a list of issues."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from tees_dataset import codes
from tees_dataset.catalogue.loader import LoadedYaml, Path_
from tees_dataset.catalogue.models import (
    LOCAL_AUTHORITY,
    UNIT_OF_MEASURE,
    Catalogue,
    CodeList,
    Indicator,
    Measure,
    MedianDaysMeasure,
    ProportionMeasure,
    RateMeasure,
    RatioMeasure,
    ReturnSpec,
    TotalMeasure,
    WithinDaysMeasure,
)
from tees_dataset.codes import Code
from tees_dataset.report import Issue, Level, Location

if TYPE_CHECKING:
    from pathlib import Path

AREA_COLUMN = LOCAL_AUTHORITY


@dataclass(frozen=True)
class Context:
    catalogue: Catalogue
    source: LoadedYaml

    def issue(
        self,
        code: Code,
        message: str,
        path: Path_,
        fix: str | None = None,
        level: Level | None = None,
    ) -> Issue:
        return code.issue(message, self.source.location(path), fix, level=level)


RuleFn = Callable[[Context], list[Issue]]


def indicator_paths(cat: Catalogue) -> Iterable[tuple[Path_, Indicator]]:
    for a, aim in enumerate(cat.aims):
        for o, objective in enumerate(aim.objectives):
            for i, indicator in enumerate(objective.indicators):
                yield ("aims", a, "objectives", o, "indicators", i), indicator


def _duplicates(ctx: Context, kind: str, items: Iterable[tuple[Path_, str]]) -> list[Issue]:
    pairs = list(items)
    counts = Counter(identifier for _, identifier in pairs)
    seen: set[str] = set()
    issues = []
    for path, identifier in pairs:
        if counts[identifier] > 1 and identifier in seen:
            issues.append(
                ctx.issue(
                    codes.C_DUPLICATE_ID[kind],
                    f"{kind} id '{identifier}' is used more than once",
                    (*path, "id"),
                    f"Give each {kind} its own id.",
                )
            )
        seen.add(identifier)
    return issues


def unique_ids(ctx: Context) -> list[Issue]:
    cat = ctx.catalogue
    issues = _duplicates(ctx, "indicator", ((p, i.id) for p, i in indicator_paths(cat)))
    issues += _duplicates(
        ctx, "return", ((("returns", n), r.id) for n, r in enumerate(cat.returns))
    )
    issues += _duplicates(
        ctx, "agency", ((("agencies", n), a.id) for n, a in enumerate(cat.agencies))
    )
    issues += _duplicates(
        ctx,
        "local-authority",
        ((("local_authorities", n), la.id) for n, la in enumerate(cat.local_authorities)),
    )
    issues += _duplicates(
        ctx, "partnership", ((("partnerships", n), p.id) for n, p in enumerate(cat.partnerships))
    )
    issues += _duplicates(ctx, "aim", ((("aims", n), a.id) for n, a in enumerate(cat.aims)))
    issues += _duplicates(
        ctx,
        "objective",
        (
            (("aims", a, "objectives", o), obj.id)
            for a, aim in enumerate(cat.aims)
            for o, obj in enumerate(aim.objectives)
        ),
    )
    for n, spec in enumerate(cat.returns):
        issues += _duplicates(
            ctx,
            "column",
            ((("returns", n, "columns", c), col.name) for c, col in enumerate(spec.columns)),
        )
    return issues


def references(ctx: Context) -> list[Issue]:
    """Every id that names something else names something that exists."""
    cat = ctx.catalogue
    la_ids = {la.id for la in cat.local_authorities}
    agency_ids = {a.id for a in cat.agencies}
    list_ids = {c.id for c in cat.code_lists}
    issues: list[Issue] = []
    for n, partnership in enumerate(cat.partnerships):
        for k, la in enumerate(partnership.local_authorities):
            if la not in la_ids:
                issues.append(
                    _unknown(
                        ctx,
                        "local authority",
                        la,
                        ("partnerships", n, "local_authorities", k),
                        la_ids,
                    )
                )
    for n, agency in enumerate(cat.agencies):
        for k, la in enumerate(agency.covers):
            if la not in la_ids:
                issues.append(
                    _unknown(ctx, "local authority", la, ("agencies", n, "covers", k), la_ids)
                )
    for n, spec in enumerate(cat.returns):
        for k, agency_id in enumerate(spec.submitted_by):
            if agency_id not in agency_ids:
                issues.append(
                    _unknown(
                        ctx, "agency", agency_id, ("returns", n, "submitted_by", k), agency_ids
                    )
                )
        for c, column in enumerate(spec.columns):
            path = ("returns", n, "columns", c)
            if column.name == AREA_COLUMN:
                issues.append(
                    ctx.issue(
                        codes.C_RESERVED_COLUMN,
                        f"'{AREA_COLUMN}' is added to every return automatically",
                        (*path, "name"),
                        "Remove this column from the return.",
                    )
                )
            if column.type == "code" and column.codes is None:
                issues.append(
                    ctx.issue(
                        codes.C_CODE_LIST_MISSING,
                        f"column '{column.name}' is of type code but names no code list",
                        path,
                        "Add `codes: <code list id>`.",
                    )
                )
            if column.codes is not None and column.codes not in list_ids:
                issues.append(_unknown(ctx, "code list", column.codes, (*path, "codes"), list_ids))
    for ind_path, indicator in indicator_paths(cat):
        if indicator.owner is not None and indicator.owner not in agency_ids:
            issues.append(
                _unknown(ctx, "agency", indicator.owner, (*ind_path, "owner"), agency_ids)
            )
        if cat.return_spec(indicator.source) is None:
            issues.append(
                _unknown(
                    ctx,
                    "return",
                    indicator.source,
                    (*ind_path, "source"),
                    {r.id for r in cat.returns},
                )
            )
    return issues


def _unknown(ctx: Context, kind: str, name: str, path: Path_, known: set[str]) -> Issue:
    close = get_close_matches(name, sorted(known), n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"Known: {', '.join(sorted(known))}."
    return ctx.issue(codes.C_UNKNOWN[kind], f"unknown {kind} '{name}'", path, hint)


def _expression_issues(
    ctx: Context, expression: str, path: Path_, spec: ReturnSpec, what: str
) -> list[Issue]:
    """A SQL expression parses, and names only columns of the return."""
    import polars as pl

    try:
        expr = pl.sql_expr(expression)
        names = expr.meta.root_names()
    except Exception as exc:  # polars raises several error types for bad SQL
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return [
            ctx.issue(
                codes.C_EXPRESSION_SYNTAX,
                f"the {what} `{expression}` does not parse: {reason}",
                path,
                "Write it as a SQL condition, e.g. `outcome = 'No further action'`; "
                "quote text values with single quotes.",
            )
        ]
    unknown = [
        _unknown_column(ctx, name, path, spec)
        for name in dict.fromkeys(names)
        if not _has(spec, name)
    ]
    return unknown + _code_value_issues(ctx, expression, path, spec, what)


def _code_lists(ctx: Context, spec: ReturnSpec) -> dict[str, CodeList]:
    """The return's code columns whose code list exists, by column name."""
    lists = {}
    for column in spec.columns:
        code_list = ctx.catalogue.code_list(column.codes) if column.codes else None
        if column.type == "code" and code_list is not None:
            lists[column.name] = code_list
    return lists


def _code_value_issues(
    ctx: Context, expression: str, path: Path_, spec: ReturnSpec, what: str
) -> list[Issue]:
    """Values a code column is compared to are codes of its list, spelt as the list spells them.

    Validation turns every accepted value into the list's own spelling, and SQL compares text
    exactly, so `outcome = 'S47 Joint'` would match no row at all, with no error anywhere."""
    lists = _code_lists(ctx, spec)
    if not any(name in expression for name in lists):
        return []  # sqlglot is only imported when there may be something to look at
    from tees_dataset.catalogue import sql

    tree = sql.parse(expression)
    if tree is None:
        # Polars reads it, so compute will run it: only the check of its codes is lost.
        return [
            ctx.issue(
                codes.C_EXPRESSION_UNCHECKED,
                f"the {what} `{expression}` could not be read to check its code values",
                path,
                "Check the values it compares code columns to against their code lists by "
                "hand, or write it more plainly (`column = 'code'`, `column IN (...)`).",
            )
        ]
    issues = []
    for compared in sql.compared_values(tree, lists):
        code_list = lists[compared.column]
        values = code_list.values
        where = f"column '{compared.column}' (code list '{code_list.id}')"
        shown = f"'{compared.value}'" if compared.text else compared.value
        if compared.comparison != "equals":
            ignore_case = compared.comparison == "ilike"
            if not any(
                sql.like_matches(compared.value, c, ignore_case=ignore_case) for c in values
            ):
                issues.append(
                    ctx.issue(
                        codes.C_UNKNOWN_CODE,
                        f"the {what} `{expression}`: the pattern '{compared.value}' matches "
                        f"none of the codes of {where}, so no row would ever match it",
                        path,
                        f"Its codes are: {'; '.join(values)}.",
                    )
                )
        elif compared.value in values and not compared.text:
            issues.append(
                ctx.issue(
                    codes.C_CODE_NOT_TEXT,
                    f"the {what} `{expression}` compares {where} to the number "
                    f"{compared.value}; codes are text and polars cannot compare the two",
                    path,
                    f"Quote it: '{compared.value}'.",
                )
            )
        elif compared.value not in values:
            issues.append(
                ctx.issue(
                    codes.C_UNKNOWN_CODE,
                    f"the {what} `{expression}` compares {where} to {shown}, which "
                    "is not one of its codes, so it would never match a row",
                    path,
                    _closest_code(compared.value, values),
                )
            )
    return issues


def _closest_code(value: str, values: list[str]) -> str:
    from tees_dataset.catalogue import sql

    same = [c for c in values if sql.folded(c) == sql.folded(value)]
    by_fold = {c.casefold(): c for c in values}
    close = same or [by_fold[c] for c in get_close_matches(value.casefold(), list(by_fold), n=1)]
    if close:
        return f"Did you mean '{close[0]}'? Codes are compared exactly, as the list spells them."
    return f"Its codes are: {'; '.join(values)}."


# Columns every return's rows carry besides its own: who sent them and the quarter's dates.
IMPLICIT_COLUMNS = frozenset({AREA_COLUMN, "agency", "sector", "quarter_start", "quarter_end"})


def _has(spec: ReturnSpec, column: str) -> bool:
    return column in IMPLICIT_COLUMNS or spec.column(column) is not None


def _unknown_column(ctx: Context, name: str, path: Path_, spec: ReturnSpec) -> Issue:
    known = [c.name for c in spec.columns]
    close = get_close_matches(name, known, n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"Its columns are: {', '.join(known)}."
    return ctx.issue(
        codes.C_UNKNOWN_COLUMN, f"return '{spec.id}' has no column '{name}'", path, hint
    )


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
            issues += _expression_issues(ctx, measure.filter, (*mpath, "filter"), spec, "filter")
        if isinstance(measure, MedianDaysMeasure) and measure.breakdown:
            # Its columns are not looked at: compute never groups a median, whatever they are.
            issues.append(_median_breakdown(ctx, measure, (*mpath, "breakdown")))
        else:
            for k, column in enumerate(measure.breakdown):
                if not _has(spec, column):
                    issues.append(_unknown_column(ctx, column, (*mpath, "breakdown", k), spec))
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
            "Break down by a column of type code (add a code list) or integer.",
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
            if _has(spec, measure.shares_of):
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
                    "Use a count, or a return whose rows name their local authority.",
                )
            )
    elif isinstance(measure, WithinDaysMeasure | MedianDaysMeasure):
        for key in ("start", "end"):
            column = getattr(measure, key)
            col = spec.column(column)
            if col is None and column not in IMPLICIT_COLUMNS:
                issues.append(_unknown_column(ctx, column, (*mpath, key), spec))
            elif col is not None and col.type != "date":
                issues.append(
                    ctx.issue(
                        codes.C_NOT_A_DATE,
                        f"'{column}' is a {col.type} column; counting days needs dates",
                        (*mpath, key),
                        "Name a date column of the return.",
                    )
                )
    for expression, path in expressions:
        issues += _expression_issues(ctx, expression, path, spec, "expression")
    for column, path in columns:
        if not _has(spec, column):
            issues.append(_unknown_column(ctx, column, path, spec))
    return issues


def return_rules(ctx: Context) -> list[Issue]:
    """Cross-field rules of each return parse and name its columns; codes are unique."""
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    for n, spec in enumerate(ctx.catalogue.returns):
        for k, rule in enumerate(spec.rules):
            path = ("returns", n, "rules", k)
            issues += _expression_issues(ctx, rule.check, (*path, "check"), spec, "rule check")
            for c, column in enumerate(rule.columns):
                if not _has(spec, column):
                    issues.append(_unknown_column(ctx, column, (*path, "columns", c), spec))
            if rule.code in seen:
                issues.append(
                    ctx.issue(
                        codes.C_DUPLICATE_RULE_CODE,
                        f"rule code {rule.code} is already used in return '{seen[rule.code]}'",
                        (*path, "code"),
                        "Rule codes are quoted back to agencies: give each rule its own.",
                    )
                )
            seen.setdefault(rule.code, spec.id)
    return issues


def agency_coverage(ctx: Context) -> list[Issue]:
    """Each local authority belongs to exactly one partnership."""
    cat = ctx.catalogue
    issues: list[Issue] = []
    owners = Counter(la for p in cat.partnerships for la in p.local_authorities)
    for n, la in enumerate(cat.local_authorities):
        if owners[la.id] != 1:
            issues.append(
                ctx.issue(
                    codes.C_PARTNERSHIP_COVERAGE,
                    f"local authority '{la.id}' is in {owners[la.id]} partnerships; it must be in one",
                    ("local_authorities", n),
                    "List it under exactly one partnership's local_authorities.",
                )
            )
    return issues


def reference_data(ctx: Context) -> list[Issue]:
    """The populations the catalogue's rates rely on are in reference/ beside it."""
    import csv
    from pathlib import Path

    folder = Path(ctx.source.file).resolve().parent / "reference"
    issues: list[Issue] = []
    paths = list(indicator_paths(ctx.catalogue))
    if any(isinstance(i.measure, RateMeasure) for _, i in paths):
        population = folder / "population.csv"
        values: set[str] = set()
        if population.is_file():
            with population.open(newline="", encoding="utf-8") as handle:
                rows = list(enumerate(csv.DictReader(handle), start=2))
            values = {row.get("area_code") or "" for _, row in rows}
            issues += _population_rows(population, rows)
        for n, la in enumerate(ctx.catalogue.local_authorities):
            if la.code not in values:
                issues.append(
                    ctx.issue(
                        codes.C_POPULATION_MISSING,
                        f"rates per 10,000 need the child population of {la.name} ({la.code}), "
                        f"which is not in {population}",
                        ("local_authorities", n),
                        "Add its ONS mid-year estimate (children aged 0 to 17) to population.csv.",
                    )
                )
    return issues


def _population_rows(path: Path, rows: list[tuple[int, dict[str, str]]]) -> list[Issue]:
    """Each estimate in population.csv is a positive number for a year: a rate cannot be worked
    out from nothing, or from less."""
    issues = []
    fix = (
        "Import the ONS estimates again (tees-dataset reference import) rather than editing "
        "population.csv by hand."
    )
    for line, row in rows:
        area = row.get("area_name") or row.get("area_code") or "an area"
        year, estimate = (row.get("year") or "").strip(), (row.get("population_0_17") or "").strip()
        if not (year.isdigit() and len(year) == 4):
            message = f"the year '{year[:20]}' of the population of {area} is not a year"
        elif not _positive_number(estimate):
            message = (
                f"the population of {area} for {year} is '{estimate[:20]}', not a positive "
                "number: the rates per 10,000 that use it would be missing"
            )
        else:
            continue
        issues.append(codes.C_POPULATION_INVALID.issue(message,
                            Location(str(path), line=line), fix))  # fmt: skip
    return issues


def _positive_number(text: str | None) -> bool:
    """A population a rate can divide by: a finite number above zero."""
    try:
        number = float((text or "").strip())
    except ValueError:
        return False
    return math.isfinite(number) and number > 0


def benchmarks(ctx: Context) -> list[Issue]:
    """Every indicator says whether it has a national benchmark; each benchmark names a known
    statistic of its unit, a local figure the indicator gives, and data in reference/ for
    England, the North East and each authority (its own figure and its neighbours')."""
    from pathlib import Path

    from tees_dataset.catalogue.models import Benchmark
    from tees_dataset.compute.benchmarks import datasets_used
    from tees_dataset.reference import load_benchmark_data

    folder = Path(ctx.source.file).resolve().parent / "reference"
    paths = list(indicator_paths(ctx.catalogue))
    datasets = datasets_used(ctx.catalogue)
    data = load_benchmark_data(folder, datasets) if datasets else None
    issues: list[Issue] = []
    for path, indicator in paths:
        benchmark = indicator.benchmark
        if benchmark is None:
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_UNSTATED,
                    f"{indicator.id} does not say whether it has a national benchmark",
                    path,
                    "Add `benchmark: {statistic: ...}` naming the DfE statistic it compares "
                    "with, or `benchmark: {none: <why there is no fair national equivalent>}`.",
                )
            )
        elif isinstance(benchmark, Benchmark):
            issues += _benchmark_issues(ctx, indicator, benchmark, (*path, "benchmark"), data)
    return issues


def _benchmark_issues(
    ctx: Context, indicator: Indicator, benchmark: Any, path: Path_, data: Any
) -> list[Issue]:
    from tees_dataset.compute.benchmarks import rolling_label
    from tees_dataset.reference import STATISTICS

    statistic = STATISTICS.get(benchmark.statistic)
    if statistic is None:
        return [_unknown(ctx, "benchmark statistic", benchmark.statistic, (*path, "statistic"),
                         set(STATISTICS))]  # fmt: skip
    issues: list[Issue] = []
    if statistic.unit != indicator.unit:
        issues.append(
            ctx.issue(
                codes.C_BENCHMARK_UNIT,
                f"{indicator.id} is a {indicator.unit} but the benchmark {statistic.id} is a "
                f"{statistic.unit}: the two cannot be set side by side",
                (*path, "statistic"),
                "Name a statistic of the same unit, or `benchmark: {none: ...}`.",
            )
        )
    spec = ctx.catalogue.return_spec(indicator.source)
    measure = indicator.measure
    if benchmark.local == "last_12_months":
        reason = ""
        if spec is not None and spec.snapshot:
            reason = f"return '{spec.id}' is a snapshot at the quarter's end: use `local: quarter`"
        elif isinstance(measure, RatioMeasure | MedianDaysMeasure):
            reason = (
                f"a {measure.kind} cannot be pooled over four quarters from the headlines; "
                "for a ratio, use its `rolling_quarters` row (`breakdown: {period: ...}`)"
            )
        elif benchmark.breakdown:
            reason = "only the headline is kept for earlier quarters: leave out `breakdown`"
        if reason:
            issues.append(ctx.issue(codes.C_BENCHMARK_LOCAL, f"{indicator.id}: {reason}",
                                    (*path, "local"), "Change `local` or `breakdown`."))  # fmt: skip
    if benchmark.breakdown:
        label = rolling_label(indicator)
        expected = list(measure.breakdown) if "period" not in benchmark.breakdown else (
            ["period", *measure.breakdown] if label else []
        )  # fmt: skip
        if list(benchmark.breakdown) != expected:
            shown = ", ".join(expected) if expected else "no breakdown"
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_BREAKDOWN,
                    f"{indicator.id}: the benchmark's breakdown names "
                    f"{', '.join(benchmark.breakdown)}, but the indicator's rows are broken "
                    f"down by {shown}",
                    (*path, "breakdown"),
                    "Give one value for each breakdown column, in the measure's order "
                    + (f"(`period: {label}` first for the rolling rows)." if label else "."),
                )
            )
        elif label and benchmark.breakdown.get("period", label) != label:
            issues.append(
                ctx.issue(
                    codes.C_BENCHMARK_BREAKDOWN,
                    f"{indicator.id}: its rolling rows are '{label}', not "
                    f"'{benchmark.breakdown['period']}'",
                    (*path, "breakdown", "period"),
                    f"Write `period: {label}`.",
                )
            )
    if data is not None:
        issues += _benchmark_data_issues(ctx, indicator, statistic, path, data)
    return issues


def _benchmark_data_issues(
    ctx: Context, indicator: Indicator, statistic: Any, path: Path_, data: Any
) -> list[Issue]:
    """The statistic's figures are in reference/ for England, the North East and each of the
    catalogue's authorities (and their neighbours) in the latest year published."""
    from tees_dataset.compute.benchmarks import published, published_years
    from tees_dataset.reference import NORTH_EAST

    fix = (
        "Import DfE's latest file with `tees-dataset reference import FILE` (README, "
        "Reference data)."
    )
    years = published_years(data, statistic)
    if not years:
        return [
            ctx.issue(
                codes.C_BENCHMARK_NO_DATA,
                f"{indicator.id}: no figure for England for {statistic.id} "
                f"({statistic.title}) in reference/benchmarks/{statistic.dataset}.csv"
                + (" or no ONS population for its rates" if statistic.per_10000 else ""),
                (*path, "statistic"),
                fix,
            )
        ]
    year = years[-1]
    gaps = []
    if published(data, statistic, year, NORTH_EAST).value is None:
        gaps.append("the North East")
    for la in ctx.catalogue.local_authorities:
        old = data.old_codes.get(la.code)
        if old is None or (statistic.dataset, statistic.measure, year, old) not in data.figures:
            gaps.append(f"{la.name} ({la.code})")
        elif not data.neighbours.get(old):
            gaps.append(f"{la.name}'s statistical neighbours (reference/neighbours.csv)")
    if gaps:
        return [
            ctx.issue(
                codes.C_BENCHMARK_NO_DATA,
                f"{indicator.id}: {statistic.id} for {statistic.period(year)}, the latest "
                f"year published, has no figure for {', '.join(gaps)}",
                (*path, "statistic"),
                fix,
            )
        ]
    return []


DEFAULT_RULES: tuple[RuleFn, ...] = (
    unique_ids,
    references,
    measures,
    return_rules,
    agency_coverage,
    reference_data,
    benchmarks,
)


def run_rules(ctx: Context, rules: Iterable[RuleFn] = DEFAULT_RULES) -> list[Issue]:
    """Run every rule; a rule that crashes becomes an issue, not a traceback."""
    issues: list[Issue] = []
    for rule in rules:
        try:
            issues += rule(ctx)
        except Exception as exc:
            issues.append(
                codes.C_RULE_CRASHED.issue(
                    f"the check '{rule.__name__}' failed: {exc.__class__.__name__}: {exc}",
                    ctx.source.location(()),
                    "This is a fault in tees-dataset; please report it with the catalogue.",
                )
            )
    return issues
