"""Relations within one indicator's rows for a quarter (see suppress.py): areas adding up,
breakdowns adding up to their headline, shares, labelled parts, and rolling rows' bases."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import TYPE_CHECKING

from tees_dataset.compute.areas import TEES
from tees_dataset.compute.columns import BREAKDOWN_SEPARATOR, ROLLING
from tees_dataset.compute.suppress_terms import (
    ADDITIVE,
    DENOMINATOR,
    MEASURE,
    MOST_SHARES,
    NUMERATOR,
    PART,
    Cell,
    Key,
    Row,
    adds_up,
    as_float,
    cell_of,
    is_rolling,
)

if TYPE_CHECKING:
    from tees_dataset.compute.suppress import _Figures


class IndicatorRelations:
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
            cell = cell_of(row)
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
                figure = as_float(row[field])
                if figure is not None:
                    figures.show(self.key(*cell_of(row), field), i, figure)
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
        return None if row is None else as_float(row[field])

    def _classify(self, area: str, breakdown: str, group: list[Row]) -> None:
        """Shares or parts; and which rows show their headline's denominator."""
        if is_rolling(breakdown):
            self._rolling_base(area, breakdown, group)
            return
        head_d = self._headline(area, DENOMINATOR)
        numerators = [as_float(r[NUMERATOR]) for r in group]
        denominators = [as_float(r[DENOMINATOR]) for r in group]
        shares = (
            NUMERATOR in self.additive
            and DENOMINATOR in self.additive
            and breakdown not in (MEASURE, PART)
            and BREAKDOWN_SEPARATOR not in breakdown
            and adds_up(head_d, numerators)
        )
        parts = adds_up(self._headline(area, NUMERATOR), numerators) and adds_up(
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
                    self.base[cell_of(row)] = ("", "")

    def _rolling_base(self, area: str, breakdown: str, group: list[Row]) -> None:
        """A rolling row's denominator is its quarter's: the headline's (`period`), or the
        breakdown row's of the same value (`period|<column>`)."""
        by = breakdown[len(ROLLING) + len(BREAKDOWN_SEPARATOR) :]
        for row in group:
            cell = cell_of(row)
            under = (by, cell[2].partition(BREAKDOWN_SEPARATOR)[2]) if by else ("", "")
            own, other = as_float(row[DENOMINATOR]), self.cells.get((area, *under))
            theirs = None if other is None else as_float(other[DENOMINATOR])
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
        values = [cell_of(r)[2] for r in group]

        def relate(
            field: str, parts: Iterable[str], total: tuple[str, str] = ("", ""), part: str = ""
        ) -> None:
            self.figures.relate(
                self.key(area, *total, field),
                (self.key(area, breakdown, v, part or field) for v in parts),
            )

        if breakdown == MEASURE:
            return
        if is_rolling(breakdown):  # `period|<column>` rows add up to the `period` row
            if breakdown != ROLLING:
                label = values[0].partition(BREAKDOWN_SEPARATOR)[0]
                for field in self.additive:
                    relate(field, values, (ROLLING, label))
            return
        if breakdown == PART:
            numerators = [as_float(r[NUMERATOR]) for r in group]
            if NUMERATOR in self.additive and adds_up(self._headline(area, NUMERATOR), numerators):
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
                    label = cell_of(margin)[2]
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
            shares = {cell_of(r)[2]: as_float(r[NUMERATOR]) for r in self.groups[area][breakdown]}
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
                    adds_up(head, [shares.get(v, 0.0) for v in chosen])
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
