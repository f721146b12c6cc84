"""Small-number suppression for publishable outputs.

Primary suppression hides every figure built on 1 to 5 children or cases (see `primary`).

Secondary suppression hides more, so that no hidden figure can be worked out from the figures
that are shown. The outputs show these additive relations (a total and its parts), each for
numerators and for denominators separately:

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
* labelled parts of a total (`part`), where the figures show that they add up to it.

Not relations: labelled numerators (`measure`: one row may count under several, as attendance
by agency does; their denominator is the headline's); the rolling 12-month figure (`period`:
its numerator spans other quarters, its denominator is the headline's); medians in days (their
case counts, the denominators, do add up across areas); the child populations under rates
(published by the ONS anyway).

A figure is unknown to a reader when every row that shows it is hidden (suppressed), or when no
row shows it (missing, not applicable, or no row at all); a zero base that is not applicable
does show its zeros. A relation gives a suppressed figure away when that figure is the only
unknown one in it. Such a relation is mended by hiding one more of its shown figures, chosen by:

1. non-zero before zero (a hidden zero beside a small count protects little);
2. the smallest (it discloses least; and a total is never smaller than its parts, so parts go
   before totals);
3. on a tie, a part before the total, then the figure shown by fewest rows, then the figure
   whose first row comes first in the results.

Hiding a figure hides every row that shows it, whole (value, numerator and denominator), so the
row's other figure goes too. Every relation such a change touches is checked again, until no
relation gives a suppressed figure away.

Relations together can still pin a figure down when none does alone (the parts of one being
the total of another, and so on). So each indicator's relations are then solved together, as
linear equations in the unknown figures. A suppressed figure that they determine is mended by
hiding one of the shown figures it would be worked out from (by rules 1 and 2, then fewest
rows, then first row); then every relation is checked again, alone and together. Relations are
visited in a fixed order, so the same results are always suppressed in the same way.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from itertools import combinations

import polars as pl

from tees_dataset.compute import BREAKDOWN_SEPARATOR, ROLLING, TEES

SMALL = range(1, 6)  # counts of 1 to 5 are suppressed; 0 is shown
SUPPRESSED = "suppressed"
MEASURE = "measure"  # labelled numerators over the same rows: they overlap
PART = "part"  # labelled parts of a total
MOST_SHARES = 12  # values a headline's numerator is looked for among (2 ** 12 sums to try)
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


def suppress(results: pl.DataFrame, partnerships: dict[str, list[str]]) -> pl.DataFrame:
    """Results with small numbers, and the figures that would give them away, replaced by
    status `suppressed` with value, numerator and denominator blank (see the module's
    docstring). `partnerships` maps partnership area names to their authorities' names; Tees
    is all of them."""
    rows = results.to_dicts()
    hidden = [primary(r) for r in rows]
    _Figures(rows, partnerships).protect(hidden)
    for row, suppressed in zip(rows, hidden, strict=True):
        if suppressed:
            row.update(value=None, numerator=None, denominator=None, status=SUPPRESSED)
    return pl.DataFrame(rows, schema=results.schema)


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _adds_up(total: float | None, parts: Sequence[float | None]) -> bool:
    """Whether the parts add up to the total (False when any of them is not known)."""
    if total is None or any(p is None for p in parts):
        return False
    return math.isclose(total, sum(p for p in parts if p is not None), rel_tol=1e-9, abs_tol=1e-6)


class _Figures:
    """The additive figures the results show, the rows that show each, and their relations."""

    def __init__(self, rows: list[Row], partnerships: dict[str, list[str]]) -> None:
        self.ids: dict[Key, int] = {}
        self.values: list[float] = []
        self.shown_by: list[list[int]] = []  # figure -> the rows that show it
        self.shows: list[list[int]] = [[] for _ in rows]  # row -> the figures it shows
        self.relations: list[tuple[int, ...]] = []  # the total first, then its parts
        self.indicators: list[range] = []  # the relations of each indicator (and quarter)
        self._seen: set[tuple[int, ...]] = set()
        by_indicator: dict[tuple[object, object], list[int]] = {}
        for i, row in enumerate(rows):
            by_indicator.setdefault((row["quarter"], row["indicator_id"]), []).append(i)
        for (quarter, indicator), indices in by_indicator.items():
            start = len(self.relations)
            _Indicator(self, quarter, indicator, [(i, rows[i]) for i in indices], partnerships)
            self.indicators.append(range(start, len(self.relations)))

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
        if len(relation) < 2 or len(set(relation)) < len(relation) or relation in self._seen:
            return
        if any(self.shown_by[f] for f in relation):  # else there is nothing in it to give away
            self._seen.add(relation)
            self.relations.append(relation)

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
        # An indicator's relations hold only its own figures: each is solved on its own.
        for group in self.indicators:
            while True:
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

    def _worked_out(self, shown: list[int], relations: range) -> dict[int, list[int]]:
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
        self.same_base: set[Cell] = set()  # rows whose denominator is their headline's
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
        head_d = self._headline(area, DENOMINATOR)
        numerators = [_float(r[NUMERATOR]) for r in group]
        denominators = [_float(r[DENOMINATOR]) for r in group]
        shares = (
            NUMERATOR in self.additive
            and DENOMINATOR in self.additive
            and breakdown not in (MEASURE, PART, ROLLING)
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
        if shares or breakdown in (MEASURE, ROLLING):
            for row, denominator in zip(group, denominators, strict=True):
                if denominator is not None and denominator == head_d:
                    self.same_base.add(_cell(row))

    def key(self, area: str, breakdown: str, value: str, field: str) -> Key:
        """A figure's key: a row that shows its headline's denominator shows the same one."""
        if field == DENOMINATOR and (area, breakdown, value) in self.same_base:
            breakdown, value = "", ""
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

        if breakdown in (MEASURE, ROLLING):
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
