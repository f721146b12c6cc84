"""Relations the catalogue shows between indicators of one return, and across quarters (see
suppress.py): figures whose terms add up over the same rows, a figure that is some rows of
another's breakdown, and rolling figures as sums of the quarters they span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from tees_dataset.catalogue.models import (
    Catalogue,
    CountMeasure,
    Indicator,
    MedianDaysMeasure,
    ProportionMeasure,
    RateMeasure,
    RatioMeasure,
    ReturnSpec,
    TotalMeasure,
    WithinDaysMeasure,
)
from tees_dataset.compute.columns import AGENCY_COLUMNS, BREAKDOWN_SEPARATOR, ROLLING
from tees_dataset.compute.suppress_terms import (
    BLANK,
    MEASURE,
    MOST_COVERS,
    NUMERATOR,
    PART,
    Key,
    adds_up,
    as_float,
    cell_of,
    is_rolling,
)
from tees_dataset.compute.suppress_within import IndicatorRelations
from tees_dataset.quarter import Quarter, QuarterError

if TYPE_CHECKING:
    from tees_dataset.compute.suppress import _Figures


# The relations the catalogue shows: between indicators of one return, and across quarters.

Atom = tuple[str, ...]  # ("sql", condition), ("cell", column, value), or a measure's own test
ONE: frozenset[tuple[str, int]] = frozenset({("1", 1)})  # a row counts 1
_SUM = re.compile(r"^[A-Za-z_]\w*(?: ?[+-] ?[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class _Sum:
    """What a figure adds up: a term (its pieces, each with its sign) over the return's rows
    that meet every condition."""

    conditions: frozenset[Atom]
    term: frozenset[tuple[str, int]]

    def where(self, *more: Atom) -> _Sum:
        return _Sum(self.conditions | frozenset(more), self.term)


def _conditions(text: str | None) -> list[Atom]:
    """A SQL condition as conditions that must all hold: its parts at AND, outside brackets
    and quotes (whole when it has an OR or a BETWEEN outside them)."""
    if not text:
        return []
    text = " ".join(text.split())
    upper = text.upper()
    parts: list[str] = []
    depth, quoted, start, i = 0, False, 0, 0
    while i < len(text):
        if text[i] == "'":
            quoted = not quoted
        elif not quoted and text[i] in "()":
            depth += 1 if text[i] == "(" else -1
        elif not quoted and depth == 0 and upper.startswith((" OR ", " BETWEEN "), i):
            return [("sql", text)]
        elif not quoted and depth == 0 and upper.startswith(" AND ", i):
            parts.append(text[start:i])
            start = i = i + len(" AND ")
            continue
        i += 1
    parts.append(text[start:])
    return [("sql", part.strip()) for part in parts if part.strip()]


def _term(expression: str, spec: ReturnSpec) -> frozenset[tuple[str, int]]:
    """A summed expression's pieces: the columns it adds or takes away, when each is a required
    number (a blank one would blank the whole row's sum); else the expression as one piece."""
    text = " ".join(expression.split())
    if _SUM.match(text):
        tokens = re.split(r" ?([+-]) ?", text)
        names = tokens[0::2]
        signs = [1, *(1 if t == "+" else -1 for t in tokens[1::2])]
        columns = [spec.column(name) for name in names]
        if len(set(names)) == len(names) and all(
            c is not None and c.required and c.type in ("integer", "number") for c in columns
        ):
            return frozenset(zip(names, signs, strict=True))
    return frozenset({(text, 1)})


class _Recipe:
    """What each of an indicator's figures adds up, from its measure (`measures.row_terms`)."""

    def __init__(self, indicator: Indicator, spec: ReturnSpec) -> None:
        measure = indicator.measure
        self.source = indicator.source
        self.spec = spec
        self.columns = list(measure.breakdown)
        self.rolling = measure.rolling_quarters if isinstance(measure, RatioMeasure) else None
        self.shares_of: str | None = None
        self.labelled: dict[str, _Sum] = {}  # `measure` rows' numerators
        self.parts: dict[str, _Sum] = {}  # `part` rows' numerators
        self.num: _Sum | None = None
        self.den: _Sum | None = None
        rows = _Sum(frozenset(_conditions(measure.filter)), ONE)
        if isinstance(measure, CountMeasure):
            self.num = rows
        elif isinstance(measure, TotalMeasure):
            self.num = _Sum(rows.conditions, _term(measure.value, spec))
            self.parts = {
                label: _Sum(rows.conditions, _term(expression, spec))
                for label, expression in measure.parts.items()
            }
        elif isinstance(measure, RateMeasure):  # its denominator is a population
            self.num = _Sum(rows.conditions, _term(measure.value, spec)) if measure.value else rows
        elif isinstance(measure, ProportionMeasure):
            self.num, self.den = rows.where(*_conditions(measure.numerator)), rows
            self.labelled = {
                label: rows.where(*_conditions(expression))
                for label, expression in measure.numerators.items()
            }
            self.shares_of = measure.shares_of
        elif isinstance(measure, WithinDaysMeasure):
            self.den = rows.where(("dates", measure.start, measure.end, measure.no_end))
            self.num = self.den.where(
                ("within", measure.kind, measure.start, measure.end, str(measure.days))
            )
        elif isinstance(measure, MedianDaysMeasure):  # its cases: rows whose days are known
            self.den = rows.where(("elapsed", measure.kind, measure.start, measure.end))
        elif isinstance(measure, RatioMeasure):
            self.num = _Sum(rows.conditions, _term(measure.numerator, spec))
            self.den = _Sum(rows.conditions, _term(measure.denominator, spec))

    def _share(self, breakdown: str) -> bool:
        return breakdown == self.shares_of and breakdown not in self.columns

    def figure(self, breakdown: str, value: str, field: str) -> _Sum | None:
        """What a row's numerator or denominator adds up (None: not known)."""
        headline = self.num if field == NUMERATOR else self.den
        if not breakdown:
            return headline
        if breakdown == MEASURE:
            return self.labelled.get(value) if field == NUMERATOR else self.den
        if breakdown == PART:
            return self.parts.get(value) if field == NUMERATOR else None
        if self._share(breakdown):  # its denominator: the headline's, but 0 where it has none
            if field != NUMERATOR or self.den is None:
                return None
            return self.den.where(("cell", breakdown, value))
        names, values = breakdown.split(BREAKDOWN_SEPARATOR), value.split(BREAKDOWN_SEPARATOR)
        if headline is None or is_rolling(breakdown) or len(names) != len(values):
            return None
        if not set(names) <= set(self.columns):
            return None
        return headline.where(*(("cell", n, v) for n, v in zip(names, values, strict=True)))

    def family(self, breakdown: str, field: str) -> tuple[str, _Sum] | None:
        """For a breakdown by one column (shares too): the column, and what its rows add up
        but for their value."""
        if self._share(breakdown):
            return (breakdown, self.den) if field == NUMERATOR and self.den else None
        headline = self.num if field == NUMERATOR else self.den
        return (breakdown, headline) if breakdown in self.columns and headline else None


@dataclass(frozen=True, eq=False)
class _Family:
    """One quarter's rows of a breakdown by one column, for numerators or denominators."""

    table: IndicatorRelations
    breakdown: str
    column: str
    field: str
    base: _Sum  # what every row adds up, but for the column's value
    values: tuple[str, ...]  # the values of its rows in any area
    spec: ReturnSpec


class CatalogueLinks:
    """The relations that the catalogue shows between indicators of one return, and across
    quarters (see the module's docstring). Adds them to `figures`."""

    def __init__(self, figures: _Figures, catalogue: Catalogue) -> None:
        self.figures = figures
        self.recipes: dict[str, _Recipe] = {}
        for _, _, entry in catalogue.indicators():
            spec = catalogue.return_spec(entry.source)
            if spec is not None:
                self.recipes[entry.id] = _Recipe(entry, spec)
        self._chosen: dict[tuple[frozenset[Atom], _Family], tuple[str, ...] | None] = {}
        # (quarter, area, return) -> the figures rows show: what each adds up, and its rows
        found: dict[tuple[object, str, str], dict[Key, tuple[_Sum, IndicatorRelations, str]]] = {}
        families: dict[tuple[object, str], list[_Family]] = {}
        for (quarter, indicator), table in figures.tables.items():
            recipe = self.recipes.get(str(indicator))
            if recipe is None:
                continue
            values: dict[str, list[str]] = {}
            for (area, breakdown, value), row in table.cells.items():
                values.setdefault(breakdown, []).append(value)
                for field in table.additive:
                    total = recipe.figure(breakdown, value, field)
                    if total is not None and as_float(row[field]) is not None:
                        key = table.key(area, breakdown, value, field)
                        found.setdefault((quarter, area, recipe.source), {}).setdefault(
                            key, (total, table, breakdown)
                        )
            for breakdown, seen in values.items():
                for field in table.additive:
                    rows = recipe.family(breakdown, field)
                    if rows is not None:
                        families.setdefault((quarter, recipe.source), []).append(
                            _Family(
                                table, breakdown, rows[0], field, rows[1],
                                tuple(dict.fromkeys(seen)), recipe.spec,
                            )
                        )  # fmt: skip
        for (quarter, area, source), shown in found.items():
            self._same_rows(shown)
            for key, (total, table, breakdown) in shown.items():
                for family in families.get((quarter, source), []):
                    if family.table is not table or family.breakdown != breakdown:
                        self._of_family(area, key, total, family)
        self._rolling()

    def _relate(self, total: Key, parts: list[Key]) -> None:
        """Relate the figures, unless every one is shown and they do not add up (a row made
        otherwise than its measure says, such as a share's zero base where it has no rows)."""
        figures = self.figures
        ids = [figures.figure(k) for k in (total, *parts)]
        values = [figures.values[f] for f in ids]
        if all(figures.shown_by[f] for f in ids) and not adds_up(values[0], values[1:]):
            return
        figures.relate(total, parts)

    def _same_rows(self, shown: dict[Key, tuple[_Sum, IndicatorRelations, str]]) -> None:
        """Figures over the same rows: the same term is the same figure, and terms that add
        up give figures that do."""
        by_rows: dict[frozenset[Atom], dict[frozenset[tuple[str, int]], Key]] = {}
        for key, (total, _, _) in shown.items():
            first = by_rows.setdefault(total.conditions, {}).setdefault(total.term, key)
            if first != key:
                self._relate(first, [key])
        for terms in by_rows.values():
            for term, key in terms.items():
                if len(term) > 1:
                    parts = [(t, k) for t, k in terms.items() if t < term]
                    for cover in _covers(term, parts):
                        self._relate(key, cover)

    def _of_family(self, area: str, key: Key, total: _Sum, family: _Family) -> None:
        """The figure as the sum of some rows of a breakdown by one column: those whose value
        meets its conditions, when the breakdown's are among them and the rest are on the
        column alone."""
        if family.base.term != total.term or not family.base.conditions <= total.conditions:
            return
        residual = total.conditions - family.base.conditions
        chosen = self._chosen.get((residual, family), ())
        if chosen == ():
            chosen = self._chosen[(residual, family)] = _select(residual, family)
        if chosen:
            self._relate(
                key, [family.table.key(area, family.breakdown, v, family.field) for v in chosen]
            )

    def _rolling(self) -> None:
        """A rolling row's numerator is the sum of the quarters' it spans: the headlines', or
        the same breakdown value's; and in each of those quarters the breakdown's rows add up
        to the headline (published or not)."""
        for (quarter, indicator), table in self.figures.tables.items():
            recipe = self.recipes.get(str(indicator))
            if recipe is None or not recipe.rolling or NUMERATOR not in table.additive:
                continue
            try:
                ending = Quarter.parse(str(quarter))
            except QuarterError:
                continue
            spans = [str(ending.shift(-n)) for n in range(recipe.rolling)]
            values: dict[str, list[str]] = {}  # `period|<column>` -> its rows' column values
            for breakdowns in table.groups.values():
                for breakdown, group in breakdowns.items():
                    if is_rolling(breakdown) and breakdown != ROLLING:
                        values.setdefault(breakdown, []).extend(
                            cell_of(r)[2].partition(BREAKDOWN_SEPARATOR)[2] for r in group
                        )
            for area, breakdowns in table.groups.items():
                for breakdown, group in breakdowns.items():
                    if not is_rolling(breakdown):
                        continue
                    by = breakdown[len(ROLLING) + len(BREAKDOWN_SEPARATOR) :]
                    for row in group:
                        label = cell_of(row)[2]
                        value = label.partition(BREAKDOWN_SEPARATOR)[2] if by else ""
                        self._relate(
                            table.key(area, breakdown, label, NUMERATOR),
                            [(q, indicator, area, by, value, NUMERATOR) for q in spans],
                        )
                    for q in spans if by else []:
                        self._relate(
                            (q, indicator, area, "", "", NUMERATOR),
                            [
                                (q, indicator, area, by, v, NUMERATOR)
                                for v in dict.fromkeys(values[breakdown])
                            ],
                        )


def _covers(
    term: frozenset[tuple[str, int]], parts: list[tuple[frozenset[tuple[str, int]], Key]]
) -> list[list[Key]]:
    """A few sets of the parts whose pieces together are the term's, each piece once."""
    out: list[list[Key]] = []

    def extend(left: frozenset[tuple[str, int]], chosen: list[Key]) -> None:
        if len(out) >= MOST_COVERS:
            return
        if not left:
            out.append(chosen)
            return
        piece = min(left)
        for pieces, key in parts:
            if piece in pieces and pieces <= left:
                extend(left - pieces, [*chosen, key])

    extend(term, [])
    return out


def _select(residual: frozenset[Atom], family: _Family) -> tuple[str, ...] | None:
    """The family's values that meet every condition (None: one is not on its column alone,
    or cannot be worked out for its values)."""
    keep = [True] * len(family.values)
    for atom in sorted(residual):
        if atom[0] == "cell" and atom[1] == family.column:
            hits: list[bool] | None = [v == atom[2] for v in family.values]
        elif atom[0] == "sql":
            hits = _holds(atom[1], family)
        else:
            return None
        if hits is None:
            return None
        keep = [k and h for k, h in zip(keep, hits, strict=True)]
    return tuple(v for v, k in zip(family.values, keep, strict=True) if k)


def _holds(condition: str, family: _Family) -> list[bool] | None:
    """Whether each of the family's values meets a SQL condition on its column (a blank one
    counting as not met, as in `measures.row_terms`)."""
    column = family.column
    found = family.spec.column(column)
    kind = found.type if found else ("text" if column in AGENCY_COLUMNS else None)
    raw = [None if v in (BLANK, "") else v for v in family.values]
    try:
        expression = pl.sql_expr(condition)
        if not set(expression.meta.root_names()) <= {column}:
            return None
        strings = pl.Series(column, raw, dtype=pl.String)
        if kind in ("text", "code"):
            typed = strings
        elif kind in ("integer", "number"):
            typed = strings.cast(pl.Float64)
        elif kind == "date":
            typed = strings.str.to_date("%Y-%m-%d")
        else:
            return None
        hits = pl.DataFrame([typed]).with_columns(hit=expression.fill_null(False))["hit"]
    except (pl.exceptions.PolarsError, ValueError, TypeError):
        return None
    if hits.dtype != pl.Boolean:
        return None
    return [bool(h) for h in hits.to_list()]
