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
Where the parts are: the relations within one indicator's rows are found in suppress_within.py,
those the catalogue shows between indicators and across quarters in suppress_between.py, and
what both read from a row in suppress_terms.py; this module holds the rules above, the figures
and their relations (`_Figures`), and finds what they give away.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import polars as pl

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.compute.suppress_between import CatalogueLinks
from tees_dataset.compute.suppress_terms import (
    SMALL,
    SUPPRESSED,
    Key,
    Row,
)
from tees_dataset.compute.suppress_within import IndicatorRelations

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
        self.tables: dict[tuple[object, object], IndicatorRelations] = {}
        by_indicator: dict[tuple[object, object], list[int]] = {}
        for i, row in enumerate(rows):
            by_indicator.setdefault((row["quarter"], row["indicator_id"]), []).append(i)
        for (quarter, indicator), indices in by_indicator.items():
            self.tables[(quarter, indicator)] = IndicatorRelations(
                self, quarter, indicator, [(i, rows[i]) for i in indices], partnerships
            )
        if catalogue is not None:
            CatalogueLinks(self, catalogue)

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
