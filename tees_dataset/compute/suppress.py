"""Small-number suppression for publishable outputs.

Primary suppression hides every figure built on 1 to 5 children or cases (see `primary`).

Secondary suppression hides more, so that no hidden figure can be worked out from the figures
that are shown. A build publishes the quarter's results and the headlines of up to 8 quarters
(the trend), so the quarters are suppressed together (`suppress_quarters`), and a headline is
suppressed in the trend exactly as in its own quarter's results. The outputs show these additive
relations (a total and its parts), each for numerators and for denominators separately:

* areas: each partnership is the sum of its authorities, and Tees both the sum of all the
  authorities and the sum of the partnerships, for the headline and for every breakdown row;
* a breakdown by one column: its rows add up to the headline (each row of a return is in
  exactly one of them, blanks being one of their own);
* a breakdown by two columns: all its cells add up to the headline, and each row and each column
  of cells to its margin where that margin is published too (a breakdown of the same indicator
  by one of the two columns);
* shares (`shares_of`: how many of the rows have each value of a column, out of all of them):
  their numerators add up to the headline's denominator, which each share row shows as its own;
  and the headline's numerator is the sum of some of them (neglect among the categories of
  plan, say: those whose shares add up to it in every area);
* labelled parts of a total (`part`), where the figures show that they add up to it;
* the rolling figure (`period`, from `rolling_quarters` in the catalogue): its numerator is the
  sum of the headline numerators of the quarters it spans, and each `period|<column>` row's the
  sum of that column's breakdown rows over those quarters (a quarter whose breakdown is not
  published still has one: its rows add up to its headline); its denominator is the quarter's
  own (the headline's, or the breakdown row's), and the `period|<column>` rows add up to the
  `period` row;
* indicators computed from the same return (given the catalogue). Each figure is a sum over the
  return's rows of some term: which rows, its conditions (the measure's filter, split at AND;
  a proportion's numerator; a breakdown cell's column values), and which term (1 for a row, or
  the measure's expression, split at + and - into the columns it adds when they are required
  numbers). Then, in each quarter and area:
  - figures with the same conditions whose terms add up are related: the same term is the same
    figure (4.2.2's and 4.2.3's headlines both count every professional challenge; a rate's
    numerator is the count beside it), and terms that add up give figures that do (E1.2's
    denominator, vacancies plus FTE in post, is E1.2's numerator plus E1.1's denominator);
  - a figure is the sum of some rows of a breakdown by one column, of another indicator (or a
    share of its own), when its conditions are that breakdown's and more conditions on the
    column alone: the rows whose values meet them, the conditions worked out (in SQL, as the
    measure does) for each value of the quarter's rows (3.2.4's S47 enquiries are two of
    3.2.3's outcomes and its numerator one; 4.2.4's headline is 4.2.3's outcomes that are
    resolved; E1.4's police and health figures are E1.2's).
  A relation the catalogue gives is left out where all its figures are shown and do not add up
  (a row made otherwise than its measure says: none is known of, as a share's denominator is
  not taken from the catalogue, an area without the share's value showing 0 of 0).

Not relations: labelled numerators (`measure`: one row may count under several, as attendance
by agency does; their denominator is the headline's); medians in days (their case counts, the
denominators, do add up across areas); the child populations under rates (published by the ONS
anyway); conditions written differently that pick the same rows (only the same text after
spacing is the same condition, and only a condition on the breakdown's column alone is worked
out for its values); and between indicators, cells of a breakdown by two columns as parts (as
totals they are related like any figure).

A figure is unknown to a reader when every row that shows it is hidden (suppressed), or when no
row shows it (missing, not applicable, or no row at all); a zero base that is not applicable
does show its zeros. A relation gives a suppressed figure away when that figure is the only
unknown one in it. Such a relation is mended by hiding one more of its shown figures, chosen by:

1. non-zero before zero (a hidden zero beside a small count protects little);
2. the smallest (it discloses least; and a total is never smaller than its parts, so parts go
   before totals);
3. on a tie, a part before the total, then the figure shown by fewest rows, then the figure
   whose first row comes first in the results (the earliest quarter's first).

Hiding a figure hides every row that shows it, whole (value, numerator and denominator), so the
row's other figure goes too. Every relation such a change touches is checked again, until no
relation gives a suppressed figure away.

Relations together can still pin a figure down when none does alone (the parts of one being
the total of another, and so on). So the relations are then solved together, as linear
equations in the unknown figures, a set at a time: those that share figures (or rows), which
is an indicator's in a quarter, with any other indicator's of the same return and any other
quarter's that its relations reach. A suppressed figure that they determine is mended by
hiding one of the shown figures it would be worked out from (by rules 1 and 2, then fewest
rows, then first row); then every relation is checked again, alone and together. Relations are
visited in a fixed order, so the same results are always suppressed in the same way.

Rows that a build computes but does not publish whole (the earlier quarters' breakdowns, of
which results.csv shows only the values beside the quarter's) count as shown: a reader is
assumed to know more than is published, never less.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

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
from tees_dataset.compute import AGENCY_COLUMNS, BREAKDOWN_SEPARATOR, ROLLING, TEES
from tees_dataset.quarter import Quarter, QuarterError

SMALL = range(1, 6)  # counts of 1 to 5 are suppressed; 0 is shown
SUPPRESSED = "suppressed"
MEASURE = "measure"  # labelled numerators over the same rows: they overlap
PART = "part"  # labelled parts of a total
MOST_SHARES = 12  # values a headline's numerator is looked for among (2 ** 12 sums to try)
MOST_COVERS = 4  # ways a figure's term is looked for as a sum of other figures' terms
BLANK = "(blank)"  # a breakdown value for rows with none
NUMERATOR, DENOMINATOR = "numerator", "denominator"
# The figures of each unit that add up: rates' denominators are populations, medians do not add.
ADDITIVE = {
    "count": (NUMERATOR,),
    "rate_per_10000": (NUMERATOR,),
    "percent": (NUMERATOR, DENOMINATOR),
    "days": (DENOMINATOR,),
}

Row = dict[str, object]
Cell = tuple[str, str, str]  # area, breakdown, breakdown value
Key = tuple[object, object, str, str, str, str]  # quarter, indicator, *cell, numerator or not
K = TypeVar("K")


def _small(value: float | None) -> bool:
    return value is not None and round(value) in SMALL and float(value).is_integer()


def primary(row: Row) -> bool:
    """A figure built on 1 to 5 children (or cases) could identify them."""
    if row["status"] != "ok":
        return False
    numerator, denominator = row["numerator"], row["denominator"]
    if row["unit"] == "days":  # a median of 1 to 5 cases
        return _small(denominator)  # type: ignore[arg-type]
    if _small(numerator):  # type: ignore[arg-type]
        return True
    # A percentage of a small base, or one whose complement is small, reveals small counts too.
    if row["unit"] == "percent" and isinstance(numerator, float) and isinstance(denominator, float):
        return _small(denominator) or _small(denominator - numerator)
    return False


def suppress(
    results: pl.DataFrame,
    partnerships: dict[str, list[str]],
    catalogue: Catalogue | None = None,
) -> pl.DataFrame:
    """Results with small numbers, and the figures that would give them away, replaced by
    status `suppressed` with value, numerator and denominator blank (see the module's
    docstring). `partnerships` maps partnership area names to their authorities' names; Tees
    is all of them. With the catalogue, relations between indicators and across the quarters
    in the results are protected too."""
    return suppress_quarters({0: results}, partnerships, catalogue)[0]


def suppress_quarters(
    results: Mapping[K, pl.DataFrame],
    partnerships: dict[str, list[str]],
    catalogue: Catalogue | None = None,
) -> dict[K, pl.DataFrame]:
    """`suppress` for the results of several quarters (each with its `quarter`) together, as a
    build publishes them: a figure that one quarter's hides is not given away by another's."""
    frames = [(name, frame, frame.to_dicts()) for name, frame in results.items()]
    rows = [row for _, _, quarter_rows in frames for row in quarter_rows]
    hidden = [primary(r) for r in rows]
    _Figures(rows, partnerships, catalogue).protect(hidden)
    for row, suppressed in zip(rows, hidden, strict=True):
        if suppressed:
            row.update(value=None, numerator=None, denominator=None, status=SUPPRESSED)
    return {
        name: pl.DataFrame(quarter_rows, schema=frame.schema)
        for name, frame, quarter_rows in frames
    }


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _adds_up(total: float | None, parts: Sequence[float | None]) -> bool:
    """Whether the parts add up to the total (False when any of them is not known)."""
    if total is None or any(p is None for p in parts):
        return False
    return math.isclose(total, sum(p for p in parts if p is not None), rel_tol=1e-9, abs_tol=1e-6)


class _Figures:
    """The additive figures the results show, the rows that show each, and their relations."""

    def __init__(
        self,
        rows: list[Row],
        partnerships: dict[str, list[str]],
        catalogue: Catalogue | None = None,
    ) -> None:
        self.ids: dict[Key, int] = {}
        self.values: list[float] = []
        self.shown_by: list[list[int]] = []  # figure -> the rows that show it
        self.shows: list[list[int]] = [[] for _ in rows]  # row -> the figures it shows
        self.relations: list[tuple[int, ...]] = []  # the total first, then its parts
        self._seen: set[tuple[int, tuple[int, ...]]] = set()
        # (quarter, indicator) -> its rows' figures and relations
        self.tables: dict[tuple[object, object], _Indicator] = {}
        by_indicator: dict[tuple[object, object], list[int]] = {}
        for i, row in enumerate(rows):
            by_indicator.setdefault((row["quarter"], row["indicator_id"]), []).append(i)
        for (quarter, indicator), indices in by_indicator.items():
            self.tables[(quarter, indicator)] = _Indicator(
                self, quarter, indicator, [(i, rows[i]) for i in indices], partnerships
            )
        if catalogue is not None:
            _Links(self, catalogue)

    def figure(self, key: Key) -> int:
        """The figure's id; a figure no row shows has one too (a reader does not know it)."""
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.values)
            self.values.append(0.0)
            self.shown_by.append([])
        return found

    def show(self, key: Key, row: int, value: float) -> None:
        figure = self.figure(key)
        self.values[figure] = value
        self.shown_by[figure].append(row)
        self.shows[row].append(figure)

    def relate(self, total: Key, parts: Iterable[Key]) -> None:
        relation = (self.figure(total), *(self.figure(p) for p in parts))
        if len(relation) < 2 or len(set(relation)) < len(relation):
            return
        # One relation however it is written: its total and its parts (either figure of two).
        seen = (
            (min(relation), (max(relation),))
            if len(relation) == 2
            else (relation[0], tuple(sorted(relation[1:])))
        )
        if seen in self._seen:
            return
        if any(self.shown_by[f] for f in relation):  # else there is nothing in it to give away
            self._seen.add(seen)
            self.relations.append(relation)

    def _groups(self) -> list[list[int]]:
        """The relations in sets that share no figure, nor a row: each is solved on its own
        (a figure hidden for one set hides only rows whose figures are in it)."""
        parent = list(range(len(self.values)))

        def root(figure: int) -> int:
            while parent[figure] != figure:
                parent[figure] = parent[parent[figure]]
                figure = parent[figure]
            return figure

        def join(figures: Sequence[int]) -> None:
            first = root(figures[0])
            for other in figures[1:]:
                parent[root(other)] = first

        for relation in self.relations:
            join(relation)
        for figures in self.shows:
            if figures:
                join(figures)
        groups: dict[int, list[int]] = {}
        for n, relation in enumerate(self.relations):
            groups.setdefault(root(relation[0]), []).append(n)
        return list(groups.values())

    def protect(self, hidden: list[bool]) -> None:
        """Hide more rows (in place) until no hidden figure can be worked out: from any one
        relation, or from all of them together."""
        shown = [sum(not hidden[r] for r in rows) for rows in self.shown_by]
        member_of: list[list[int]] = [[] for _ in self.values]
        for n, relation in enumerate(self.relations):
            for figure in relation:
                member_of[figure].append(n)
        queue = list(range(len(self.relations)))  # already a heap: visited in order
        queued = [True] * len(self.relations)

        def hide(figure: int) -> None:
            for row in self.shown_by[figure]:
                if hidden[row]:
                    continue
                hidden[row] = True
                for other in self.shows[row]:
                    shown[other] -= 1
                    if shown[other]:
                        continue
                    for n in member_of[other]:
                        if not queued[n]:
                            queued[n] = True
                            heapq.heappush(queue, n)

        def settle() -> None:
            while queue:
                n = heapq.heappop(queue)
                queued[n] = False
                relation = self.relations[n]
                unknown = [f for f in relation if not shown[f]]
                # Alone, an unknown figure that is merely not given needs no protection.
                if len(unknown) == 1 and self.shown_by[unknown[0]]:
                    hide(self._choose(relation, shown))

        settle()
        for group in self._groups():
            members = {f for n in group for f in self.relations[n]}
            while any(self.shown_by[f] and not shown[f] for f in members):  # one is suppressed
                given = next((g for g in self._worked_out(shown, group).values() if g), None)
                if given is None:
                    break
                hide(min(given, key=lambda f: self._rank(f, shown)))
                settle()

    def _choose(self, relation: tuple[int, ...], shown: list[int]) -> int:
        """The shown figure of the relation to hide (the rule in the module's docstring)."""
        return min((f for f in relation if shown[f]), key=lambda f: self._rank(f, shown, relation))

    def _rank(
        self, figure: int, shown: list[int], relation: tuple[int, ...] = ()
    ) -> tuple[bool, float, bool, int, int]:
        value = self.values[figure]
        total = bool(relation) and figure == relation[0]
        return (value == 0, abs(value), total, shown[figure], min(self.shown_by[figure]))

    def _worked_out(self, shown: list[int], relations: list[int]) -> dict[int, list[int]]:
        """Suppressed figures that these relations pin down together, each with the shown
        figures it would be worked out from (first rows first).

        Each relation is an equation; they are brought to reduced row echelon form, exactly
        (in whole numbers), with pivots among the unknown figures only. A figure is pinned
        down when its pivot's row holds no other unknown: the rest of the row is the shown
        figures that give it away."""
        reduced: dict[int, dict[int, int]] = {}  # pivot -> its row; no other pivot in it
        holders: dict[int, set[int]] = {}  # unknown figure -> the pivots whose rows hold it
        for n in relations:
            equation = {f: 1 if k == 0 else -1 for k, f in enumerate(self.relations[n])}
            for pivot in [f for f in equation if f in reduced]:
                equation = _eliminate(equation, reduced[pivot], pivot)
            unknown = [f for f in equation if not shown[f]]
            if not unknown:
                continue  # shown figures that agree with each other
            pivot = min(unknown)
            for other in sorted(holders.pop(pivot, ())):
                before = reduced[other]
                reduced[other] = after = _eliminate(before, equation, pivot)
                for f in before.keys() - after.keys():
                    holders.get(f, set()).discard(other)
                for f in after.keys() - before.keys():
                    if not shown[f]:
                        holders.setdefault(f, set()).add(other)
            reduced[pivot] = equation
            for f in equation:
                if f != pivot and not shown[f]:
                    holders.setdefault(f, set()).add(pivot)

        def first_row(figure: int) -> int:
            return min(self.shown_by[figure])

        pinned = [
            p
            for p, row in reduced.items()
            if self.shown_by[p] and all(shown[f] for f in row if f != p)
        ]
        return {
            p: sorted((f for f in reduced[p] if f != p), key=first_row)
            for p in sorted(pinned, key=first_row)
        }


def _eliminate(row: dict[int, int], by: dict[int, int], pivot: int) -> dict[int, int]:
    """`row` times `by`'s pivot coefficient, less `by` times `row`'s: the pivot is gone."""
    keep, take = by[pivot], row[pivot]
    out = {f: keep * x for f, x in row.items() if f != pivot}
    for f, y in by.items():
        if f != pivot:
            x = out.get(f, 0) - take * y
            if x:
                out[f] = x
            else:
                del out[f]
    common = math.gcd(*out.values())
    return {f: x // common for f, x in out.items()} if common > 1 else out


class _Indicator:
    """One quarter's rows of one indicator: which of their figures are one and the same, and
    which add up. Adds both to `figures`."""

    def __init__(
        self,
        figures: _Figures,
        quarter: object,
        indicator: object,
        rows: list[tuple[int, Row]],
        partnerships: dict[str, list[str]],
    ) -> None:
        self.figures = figures
        self.quarter, self.indicator = quarter, indicator
        self.partnerships = partnerships
        self.additive = ADDITIVE.get(str(rows[0][1]["unit"]), (NUMERATOR, DENOMINATOR))
        self.cells: dict[Cell, Row] = {}
        # area -> breakdown -> its rows (the headline apart), in the results' order
        self.groups: dict[str, dict[str, list[Row]]] = {}
        for _, row in rows:
            cell = _cell(row)
            self.cells.setdefault(cell, row)
            if cell[1]:
                self.groups.setdefault(cell[0], {}).setdefault(cell[1], []).append(row)
        # Rows that show another row's denominator (their headline's, or a rolling row its
        # quarter's) -> that row's breakdown and value.
        self.base: dict[Cell, tuple[str, str]] = {}
        self.shares: set[tuple[str, str]] = set()  # (area, breakdown): shares, not parts
        self.both: set[tuple[str, str]] = set()  # shares whose figures are parts as well
        for area, breakdowns in self.groups.items():
            for breakdown, group in breakdowns.items():
                self._classify(area, breakdown, group)
        for i, row in rows:
            for field in self.additive:
                figure = _float(row[field])
                if figure is not None:
                    figures.show(self.key(*_cell(row), field), i, figure)
        for area, breakdowns in self.groups.items():
            for breakdown, group in breakdowns.items():
                self._within(area, breakdown, group, breakdowns)
        of_shares = self.shares | self.both
        for breakdown in dict.fromkeys(b for a in self.groups for b in self.groups[a]):
            if any((a, breakdown) in of_shares for a in self.groups):
                self._headline_of_shares(breakdown)
        self._across_areas()

    def _headline(self, area: str, field: str) -> float | None:
        row = self.cells.get((area, "", ""))
        return None if row is None else _float(row[field])

    def _classify(self, area: str, breakdown: str, group: list[Row]) -> None:
        """Shares or parts; and which rows show their headline's denominator."""
        if _rolling(breakdown):
            self._rolling_base(area, breakdown, group)
            return
        head_d = self._headline(area, DENOMINATOR)
        numerators = [_float(r[NUMERATOR]) for r in group]
        denominators = [_float(r[DENOMINATOR]) for r in group]
        shares = (
            NUMERATOR in self.additive
            and DENOMINATOR in self.additive
            and breakdown not in (MEASURE, PART)
            and BREAKDOWN_SEPARATOR not in breakdown
            and _adds_up(head_d, numerators)
        )
        parts = _adds_up(self._headline(area, NUMERATOR), numerators) and _adds_up(
            head_d, denominators
        )
        if shares and parts:  # the figures fit both: relate them both ways
            self.both.add((area, breakdown))
            return
        if shares:
            self.shares.add((area, breakdown))
        if shares or breakdown == MEASURE:
            for row, denominator in zip(group, denominators, strict=True):
                if denominator is not None and denominator == head_d:
                    self.base[_cell(row)] = ("", "")

    def _rolling_base(self, area: str, breakdown: str, group: list[Row]) -> None:
        """A rolling row's denominator is its quarter's: the headline's (`period`), or the
        breakdown row's of the same value (`period|<column>`)."""
        by = breakdown[len(ROLLING) + len(BREAKDOWN_SEPARATOR) :]
        for row in group:
            cell = _cell(row)
            under = (by, cell[2].partition(BREAKDOWN_SEPARATOR)[2]) if by else ("", "")
            own, other = _float(row[DENOMINATOR]), self.cells.get((area, *under))
            theirs = None if other is None else _float(other[DENOMINATOR])
            if own is not None and theirs in (None, own):
                self.base[cell] = under

    def key(self, area: str, breakdown: str, value: str, field: str) -> Key:
        """A figure's key: a row that shows another's denominator shows the same one."""
        if field == DENOMINATOR:
            breakdown, value = self.base.get((area, breakdown, value), (breakdown, value))
        return (self.quarter, self.indicator, area, breakdown, value, field)

    def _within(
        self, area: str, breakdown: str, group: list[Row], breakdowns: dict[str, list[Row]]
    ) -> None:
        """Relations between the rows of one area: breakdown rows and their headline."""
        values = [_cell(r)[2] for r in group]

        def relate(
            field: str, parts: Iterable[str], total: tuple[str, str] = ("", ""), part: str = ""
        ) -> None:
            self.figures.relate(
                self.key(area, *total, field),
                (self.key(area, breakdown, v, part or field) for v in parts),
            )

        if breakdown == MEASURE:
            return
        if _rolling(breakdown):  # `period|<column>` rows add up to the `period` row
            if breakdown != ROLLING:
                label = values[0].partition(BREAKDOWN_SEPARATOR)[0]
                for field in self.additive:
                    relate(field, values, (ROLLING, label))
            return
        if breakdown == PART:
            numerators = [_float(r[NUMERATOR]) for r in group]
            if NUMERATOR in self.additive and _adds_up(self._headline(area, NUMERATOR), numerators):
                relate(NUMERATOR, values)
            return
        if (area, breakdown) in self.shares | self.both:
            relate(DENOMINATOR, values, part=NUMERATOR)
        if (area, breakdown) in self.shares:
            return
        for field in self.additive:
            relate(field, values)
        # Two columns: each row and each column of cells adds up to its margin, if published.
        columns = breakdown.split(BREAKDOWN_SEPARATOR)
        split = [v.split(BREAKDOWN_SEPARATOR) for v in values]
        for size in range(1, len(columns)):
            for chosen in combinations(range(len(columns)), size):
                name = BREAKDOWN_SEPARATOR.join(columns[c] for c in chosen)
                for margin in breakdowns.get(name, []):
                    label = _cell(margin)[2]
                    wanted = label.split(BREAKDOWN_SEPARATOR)
                    cells = [
                        v
                        for v, parts in zip(values, split, strict=True)
                        if len(parts) == len(columns) and [parts[c] for c in chosen] == wanted
                    ]
                    for field in self.additive:
                        relate(field, cells, (name, label))

    def _headline_of_shares(self, breakdown: str) -> None:
        """The headline's numerator counts the rows with some of the values that the shares
        are of (neglect among categories of plan, say): the shares of those values add up to
        it. Which values the figures say: those whose shares add up to the headline's
        numerator in every area (any that do)."""
        of_shares = self.shares | self.both
        figures: dict[str, tuple[float, dict[str, float]]] = {}
        for area in (a for a in self.groups if (a, breakdown) in of_shares):
            head = self._headline(area, NUMERATOR)
            shares = {_cell(r)[2]: _float(r[NUMERATOR]) for r in self.groups[area][breakdown]}
            if head is not None and None not in shares.values():
                figures[area] = (head, {v: x or 0.0 for v, x in shares.items()})
        values = [
            v
            for v in dict.fromkeys(v for _, shares in figures.values() for v in shares)
            if any(shares.get(v) for _, shares in figures.values())
        ]
        if not figures or len(values) > MOST_SHARES:
            return
        for size in range(1, len(values) + 1):
            for chosen in combinations(values, size):
                if all(
                    _adds_up(head, [shares.get(v, 0.0) for v in chosen])
                    for head, shares in figures.values()
                ):
                    for area in figures:
                        self.figures.relate(
                            self.key(area, "", "", NUMERATOR),
                            (self.key(area, breakdown, v, NUMERATOR) for v in chosen),
                        )

    def _across_areas(self) -> None:
        """Each partnership is its authorities' sum; Tees is theirs and the partnerships'."""
        authorities = [la for las in self.partnerships.values() for la in las]
        for breakdown, value in dict.fromkeys(cell[1:] for cell in self.cells):
            for field in self.additive:

                def key(area: str, b: str = breakdown, v: str = value, f: str = field) -> Key:
                    return self.key(area, b, v, f)

                for partnership, las in self.partnerships.items():
                    self.figures.relate(key(partnership), map(key, las))
                self.figures.relate(key(TEES), map(key, self.partnerships))
                self.figures.relate(key(TEES), map(key, authorities))


def _cell(row: Row) -> Cell:
    return (str(row["area"]), str(row["breakdown"] or ""), str(row["breakdown_value"] or ""))


def _rolling(breakdown: str) -> bool:
    return breakdown == ROLLING or breakdown.startswith(ROLLING + BREAKDOWN_SEPARATOR)


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
        if headline is None or _rolling(breakdown) or len(names) != len(values):
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

    table: _Indicator
    breakdown: str
    column: str
    field: str
    base: _Sum  # what every row adds up, but for the column's value
    values: tuple[str, ...]  # the values of its rows in any area
    spec: ReturnSpec


class _Links:
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
        found: dict[tuple[object, str, str], dict[Key, tuple[_Sum, _Indicator, str]]] = {}
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
                    if total is not None and _float(row[field]) is not None:
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
        if all(figures.shown_by[f] for f in ids) and not _adds_up(values[0], values[1:]):
            return
        figures.relate(total, parts)

    def _same_rows(self, shown: dict[Key, tuple[_Sum, _Indicator, str]]) -> None:
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
                    if _rolling(breakdown) and breakdown != ROLLING:
                        values.setdefault(breakdown, []).extend(
                            _cell(r)[2].partition(BREAKDOWN_SEPARATOR)[2] for r in group
                        )
            for area, breakdowns in table.groups.items():
                for breakdown, group in breakdowns.items():
                    if not _rolling(breakdown):
                        continue
                    by = breakdown[len(ROLLING) + len(BREAKDOWN_SEPARATOR) :]
                    for row in group:
                        label = _cell(row)[2]
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
