"""Suppression on random small tables: nothing hidden can be worked out from what is shown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.compute import RESULT_COLUMNS
from tees_dataset.compute.suppress import suppress, suppress_quarters

PARTNERSHIPS = {
    "HSSCP": ["Hartlepool", "Stockton-on-Tees"],
    "STSCP": ["Middlesbrough", "Redcar and Cleveland"],
}
AUTHORITIES = [la for las in PARTNERSHIPS.values() for la in las]
AREAS = [*PARTNERSHIPS["HSSCP"], "HSSCP", *PARTNERSHIPS["STSCP"], "STSCP", "Tees"]
MEMBERS = {la: [la] for la in AUTHORITIES} | PARTNERSHIPS | {"Tees": AUTHORITIES}
SCHEMA = {
    c: (pl.Float64 if c in ("numerator", "denominator", "value") else pl.String)
    for c in RESULT_COLUMNS
}
HEADLINE = ("", "")
Cell = tuple[str, str]  # breakdown, breakdown value
Figures = tuple[int, int | None]  # numerator, denominator (None for counts)


@dataclass(frozen=True)
class Table:
    """One indicator's rows, and the additive relations a reader can see in them."""

    unit: str
    rows: list[dict[str, Any]]
    cells: list[Cell]  # the breakdown cells, headline first
    within: list[tuple[Cell, list[Cell]]]  # a total and its parts, in every area


@st.composite
def tables(draw: st.DrawFn) -> Table:
    unit = draw(st.sampled_from(["count", "percent"]))
    shape = draw(st.sampled_from(["headline", "one-way", "two-way", "two-way with margins"]))
    firsts = ["Police", "Health", "Education"][: draw(st.integers(2, 3))]
    seconds = ["Council", "School"][: draw(st.integers(1, 2))]
    if shape == "headline":
        leaves: list[Cell] = [HEADLINE]
    elif shape == "one-way":
        leaves = [("raised_by", a) for a in firsts]
    else:
        leaves = [("raised_by|raised_to", f"{a}|{b}") for a in firsts for b in seconds]
    within: list[tuple[Cell, list[Cell]]] = [] if shape == "headline" else [(HEADLINE, leaves)]
    margins: dict[Cell, list[Cell]] = {}
    if shape == "two-way with margins":
        for a in firsts:
            margins[("raised_by", a)] = [("raised_by|raised_to", f"{a}|{b}") for b in seconds]
        for b in seconds:
            margins[("raised_to", b)] = [("raised_by|raised_to", f"{a}|{b}") for a in firsts]
        within += [(m, parts) for m, parts in margins.items()]
        within += [
            (HEADLINE, [m for m in margins if m[0] == by]) for by in ("raised_by", "raised_to")
        ]
    small = st.integers(0, 8) | st.integers(0, 40)
    leaf: dict[tuple[str, Cell], Figures] = {}
    for la in AUTHORITIES:
        for cell in leaves:
            if unit == "count":
                leaf[(la, cell)] = (draw(small), None)
            else:
                denominator = draw(small)
                leaf[(la, cell)] = (draw(st.integers(0, denominator)), denominator)
    # An authority may have sent nothing (its rows missing) or lack some breakdown rows.
    missing = {la for la in AUTHORITIES if draw(st.integers(0, 5)) == 0}
    gaps = {
        (la, cell)
        for la in AUTHORITIES
        for cell in leaves
        if cell != HEADLINE and draw(st.integers(0, 12)) == 0
    }
    cells = list(dict.fromkeys([HEADLINE, *margins, *leaves]))
    rows = []
    for area in AREAS:
        for cell in cells:
            parts = _leaves(cell, leaves, margins)
            known = not any(la in missing or (la, p) in gaps for la in MEMBERS[area] for p in parts)
            figures = [leaf[(la, p)] for la in MEMBERS[area] for p in parts]
            numerator = sum(n for n, _ in figures)
            denominator = None if unit == "count" else sum(d or 0 for _, d in figures)
            rows.append(_row(area, cell, unit, numerator, denominator, known))
    return Table(unit, rows, cells, within)


def _leaves(cell: Cell, leaves: list[Cell], margins: dict[Cell, list[Cell]]) -> list[Cell]:
    if cell in leaves:
        return [cell]
    return margins.get(cell, leaves)


def _row(
    area: str, cell: Cell, unit: str, numerator: int, denominator: int | None, known: bool
) -> dict[str, Any]:
    status = "ok" if known else "missing"
    value: float | None = float(numerator)
    if unit == "percent":
        assert denominator is not None
        value = round(100 * numerator / denominator, 1) if denominator else None
        if known and not denominator:
            status = "not_applicable"
    return {
        "quarter": "2024Q3", "area": area, "area_code": "", "area_type": "",
        "indicator_id": "X", "breakdown": cell[0], "breakdown_value": cell[1],
        "numerator": float(numerator) if known else None,
        "denominator": float(denominator) if known and denominator is not None else None,
        "value": value if known else None, "unit": unit, "status": status, "note": "",
    }  # fmt: skip


def _relations(table: Table) -> list[tuple[tuple[str, Cell], list[tuple[str, Cell]]]]:
    """Every total and its parts, as (area, cell): by area, and within each area."""
    out = []
    for cell in table.cells:
        for partnership, las in PARTNERSHIPS.items():
            out.append(((partnership, cell), [(la, cell) for la in las]))
        out.append((("Tees", cell), [(p, cell) for p in PARTNERSHIPS]))
        out.append((("Tees", cell), [(la, cell) for la in AUTHORITIES]))
    for area in AREAS:
        for total, parts in table.within:
            out.append(((area, total), [(area, p) for p in parts]))
    return out


def _primary(row: dict[str, Any]) -> bool:
    if row["status"] != "ok":
        return False
    n, d = row["numerator"], row["denominator"]
    small = {1.0, 2.0, 3.0, 4.0, 5.0}
    return n in small or (d is not None and (d in small or d - n in small))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_nothing_suppressed_can_be_worked_out(table: Table) -> None:
    frame = pl.DataFrame(table.rows, schema=SCHEMA)
    out = suppress(frame, PARTNERSHIPS).to_dicts()
    assert len(out) == len(table.rows)
    by_cell = {(r["area"], (r["breakdown"], r["breakdown_value"])): r for r in out}
    fields = ["numerator"] if table.unit == "count" else ["numerator", "denominator"]
    for before, after in zip(table.rows, out, strict=True):
        if _primary(before):
            assert after["status"] == "suppressed", before
        if after["status"] == "suppressed":
            assert after["value"] is None and after["numerator"] is None, after
            assert after["denominator"] is None, after
        else:
            assert after == before  # published rows keep their figures
    for field in fields:
        for total, parts in _relations(table):
            members = [by_cell[m] for m in (total, *parts)]
            unknown = [r for r in members if r[field] is None]
            # A lone unknown figure that was suppressed would be the total less the parts.
            assert not (len(unknown) == 1 and unknown[0]["status"] == "suppressed"), (
                field,
                total,
                [(r["area"], r["breakdown_value"], r[field], r["status"]) for r in members],
            )


def _pinned(equations: list[dict[Any, int]]) -> set[Any]:
    """The unknowns that linear equations (unknown -> coefficient, constants left out)
    determine: pivots whose row in reduced row echelon form holds nothing else."""
    unknowns = sorted({u for e in equations for u in e}, key=repr)
    matrix = [[e.get(u, 0) for u in unknowns] for e in equations]
    pivots: list[tuple[int, int]] = []  # (row, column)
    for column in range(len(unknowns)):
        row = len(pivots)
        found = next((r for r in range(row, len(matrix)) if matrix[r][column]), None)
        if found is None:
            continue
        matrix[row], matrix[found] = matrix[found], matrix[row]
        lead = matrix[row][column]
        for r, other in enumerate(matrix):
            if r != row and other[column]:  # whole numbers: scale, subtract, divide back
                factor = other[column]
                new = [lead * x - factor * y for x, y in zip(other, matrix[row], strict=True)]
                common = math.gcd(*new) or 1
                matrix[r] = [x // common for x in new]
        pivots.append((row, column))
    return {unknowns[c] for r, c in pivots if sum(1 for x in matrix[r] if x) == 1}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_nothing_suppressed_follows_from_the_relations_together(table: Table) -> None:
    # One relation's parts may be another's total: solved together, the relations must still
    # leave every suppressed figure open.
    out = suppress(pl.DataFrame(table.rows, schema=SCHEMA), PARTNERSHIPS).to_dicts()
    by_cell = {(r["area"], (r["breakdown"], r["breakdown_value"])): r for r in out}
    fields = ["numerator"] if table.unit == "count" else ["numerator", "denominator"]
    for field in fields:
        equations = []
        for total, parts in _relations(table):
            equation = {
                member: 1 if member == total else -1
                for member in (total, *parts)
                if by_cell[member][field] is None
            }
            if equation:
                equations.append(equation)
        pinned = {m for m in _pinned(equations) if by_cell[m]["status"] == "suppressed"}
        assert not pinned, (field, pinned)


# Several quarters of a rolling 12-month figure (E1.1 in the catalogue: four quarters, by
# sector), shaped as a build computes them.

QUARTERS = ["2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3"]
ROLLING_QUARTERS = 4
LABEL = "12 months to quarter end"
Figure = tuple[str, str, str, str, str]  # quarter, area, breakdown, value, field


@dataclass(frozen=True)
class Turnover:
    """Rows of several quarters, and the figures their rows show: what a reader can see."""

    rows: dict[str, list[dict[str, Any]]]  # quarter -> its rows
    relations: list[tuple[Figure, list[Figure]]]  # a total and its parts


def _turnover_row(
    quarter: str, area: str, cell: Cell, numerator: int, denominator: int, known: bool
) -> dict[str, Any]:
    row = _row(area, cell, "percent", numerator, denominator, known)
    return row | {"quarter": quarter, "indicator_id": "E1.1"}


@st.composite
def turnover(draw: st.DrawFn) -> Turnover:
    sectors = ["Police", "Health", "Children's social care"][: draw(st.integers(1, 3))]
    current = QUARTERS[-1]
    # The build's detail: breakdowns and rolling rows for the quarter, the one before and the
    # year before (here the year before is too early for a rolling row of its own).
    detailed = {QUARTERS[0], QUARTERS[-2], current}
    rolling = [q for q in (QUARTERS[-2], current) if draw(st.booleans()) or q == current]
    small = st.integers(0, 8) | st.integers(0, 40)
    leaf: dict[tuple[str, str, str], tuple[int, int]] = {}
    for q in QUARTERS:
        for la in AUTHORITIES:
            for sector in sectors:
                denominator = draw(small)
                leaf[(q, la, sector)] = (draw(st.integers(0, denominator)), denominator)
    missing = {(q, la) for q in QUARTERS for la in AUTHORITIES if draw(st.integers(0, 15)) == 0}

    def spans(q: str) -> list[str]:
        return QUARTERS[QUARTERS.index(q) - ROLLING_QUARTERS + 1 : QUARTERS.index(q) + 1]

    rows: dict[str, list[dict[str, Any]]] = {q: [] for q in QUARTERS}
    for q in QUARTERS:
        for area in AREAS:
            complete = not any((q, la) in missing for la in MEMBERS[area])
            figures = [leaf[(q, la, s)] for la in MEMBERS[area] for s in sectors]
            total = (sum(n for n, _ in figures), sum(d for _, d in figures))
            rows[q].append(_turnover_row(q, area, HEADLINE, *total, complete))
            for sector in sectors if q in detailed and complete else []:
                figures = [leaf[(q, la, sector)] for la in MEMBERS[area]]
                cell = ("sector", sector)
                numerator, denominator = sum(n for n, _ in figures), sum(d for _, d in figures)
                rows[q].append(_turnover_row(q, area, cell, numerator, denominator, True))
            if q not in rolling:
                continue
            complete = not any((p, la) in missing for p in spans(q) for la in MEMBERS[area])
            numerator = sum(leaf[(p, la, s)][0] for p in spans(q) for la in MEMBERS[area] for s in sectors)  # fmt: skip
            rows[q].append(_turnover_row(q, area, ("period", LABEL), numerator, total[1], complete))
            for sector in sectors:
                numerator = sum(leaf[(p, la, sector)][0] for p in spans(q) for la in MEMBERS[area])
                denominator = sum(leaf[(q, la, sector)][1] for la in MEMBERS[area])
                cell = ("period|sector", f"{LABEL}|{sector}")
                rows[q].append(_turnover_row(q, area, cell, numerator, denominator, complete))

    relations: list[tuple[Figure, list[Figure]]] = []
    cells = [HEADLINE, *(("sector", s) for s in sectors)]
    for q in QUARTERS:
        for cell in cells:
            for field in ("numerator", "denominator"):
                for partnership, las in PARTNERSHIPS.items():
                    relations.append(((q, partnership, *cell, field), [(q, la, *cell, field) for la in las]))  # fmt: skip
                relations.append(((q, "Tees", *cell, field), [(q, p, *cell, field) for p in PARTNERSHIPS]))  # fmt: skip
                relations.append(((q, "Tees", *cell, field), [(q, la, *cell, field) for la in AUTHORITIES]))  # fmt: skip
        for area in AREAS:
            for field in ("numerator", "denominator"):  # published or not, sectors add up
                relations.append(((q, area, *HEADLINE, field), [(q, area, *c, field) for c in cells[1:]]))  # fmt: skip
    for q in rolling:
        for area in AREAS:
            period = (q, area, "period", LABEL, "numerator")
            relations.append((period, [(p, area, *HEADLINE, "numerator") for p in spans(q)]))
            by_sector = [(q, area, "period|sector", f"{LABEL}|{s}", "numerator") for s in sectors]
            relations.append((period, by_sector))
            for sector, figure in zip(sectors, by_sector, strict=True):
                relations.append((figure, [(p, area, "sector", sector, "numerator") for p in spans(q)]))  # fmt: skip
        for partnership, las in PARTNERSHIPS.items():
            for cell in [("period", LABEL), *(("period|sector", f"{LABEL}|{s}") for s in sectors)]:
                relations.append(((q, partnership, *cell, "numerator"), [(q, la, *cell, "numerator") for la in las]))  # fmt: skip
    return Turnover(rows, relations)


def _figures(out: dict[str, list[dict[str, Any]]]) -> tuple[dict[Figure, float], set[Figure]]:
    """The figures shown, and those suppressed (and nowhere shown). A rolling row shows its
    quarter's denominator: the headline's, or the sector row's."""
    shown: dict[Figure, float] = {}
    suppressed: set[Figure] = set()
    for q, rows in out.items():
        for r in rows:
            cell = (r["breakdown"], r["breakdown_value"])
            for field in ("numerator", "denominator"):
                if field == "denominator" and cell[0] == "period":
                    cell = HEADLINE
                elif field == "denominator" and cell[0] == "period|sector":
                    cell = ("sector", cell[1].partition("|")[2])
                figure = (q, r["area"], *cell, field)
                if r["status"] == "suppressed":
                    suppressed.add(figure)
                elif r[field] is not None:
                    shown[figure] = r[field]
    return shown, suppressed - set(shown)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turnover())
def test_no_quarter_can_be_worked_out_from_the_others(catalogue: Catalogue, data: Turnover) -> None:
    frames = {q: pl.DataFrame(rows, schema=SCHEMA) for q, rows in data.rows.items()}
    out = {q: f.to_dicts() for q, f in suppress_quarters(frames, PARTNERSHIPS, catalogue).items()}
    for q, rows in data.rows.items():
        assert len(out[q]) == len(rows)
        for before, after in zip(rows, out[q], strict=True):
            if _primary(before):
                assert after["status"] == "suppressed", before
            if after["status"] != "suppressed":
                assert after == before
    shown, suppressed = _figures(out)
    equations = []
    for total, parts in data.relations:
        unknown = [m for m in (total, *parts) if m not in shown]
        assert not (len(unknown) == 1 and unknown[0] in suppressed), (total, parts, unknown)
        equation: dict[Any, int] = {}
        for member, coefficient in [(total, 1), *((p, -1) for p in parts)]:
            if member not in shown:
                equation[member] = equation.get(member, 0) + coefficient
        if equation:
            equations.append(equation)
    pinned = _pinned(equations) & suppressed
    assert not pinned, pinned
