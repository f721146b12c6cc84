"""Small-number suppression for publishable outputs: primary (counts 1 to 5) and secondary
(so that no suppressed figure can be worked out from a total and the figures beside it)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

SMALL = range(1, 6)  # counts of 1 to 5 are suppressed; 0 is shown
SUPPRESSED = "suppressed"


def _small(value: float | None) -> bool:
    return value is not None and round(value) in SMALL and float(value).is_integer()


def primary(row: dict[str, object]) -> bool:
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


def _unknown(cell: dict[str, object], hidden: set[int]) -> bool:
    """A reader cannot see this cell's figure: suppressed, or not shown for another reason."""
    return id(cell) in hidden or cell["status"] != "ok"


def _secondary(cells: list[dict[str, object]], hidden: set[int]) -> set[int]:
    """Cells that add up (parts and their total): if exactly one is unknown, it could be worked
    out from the others, so hide one more: the smallest shown figure, zeros last."""
    unknown = [c for c in cells if _unknown(c, hidden)]
    # One unknown that is merely missing protects nothing; one suppressed must not be derivable.
    if len(unknown) != 1 or id(unknown[0]) not in hidden:
        return set()
    shown = [c for c in cells if not _unknown(c, hidden) and isinstance(c["numerator"], float)]
    if not shown:
        return set()
    smallest = min(shown, key=lambda c: (c["numerator"] == 0, c["numerator"]))
    return {id(smallest)}


def suppress(results: pl.DataFrame, partnerships: dict[str, list[str]]) -> pl.DataFrame:
    """Results with small numbers replaced by status `suppressed` (value, numerator and
    denominator blank). `partnerships` maps partnership area names to their authorities' names."""
    rows = results.to_dicts()
    hidden = {id(r) for r in rows if primary(r)}
    groups = list(_groups(rows, partnerships))
    changed = True
    while changed:  # secondary suppression can cascade from one group to the next
        changed = False
        for cells in groups:
            extra = _secondary(cells, hidden) - hidden
            if extra:
                hidden |= extra
                changed = True
    for row in rows:
        if id(row) in hidden:
            row.update(value=None, numerator=None, denominator=None, status=SUPPRESSED)
    return pl.DataFrame(rows, schema=results.schema)


def _groups(
    rows: list[dict[str, object]], partnerships: dict[str, list[str]]
) -> Iterable[list[dict[str, object]]]:
    """Sets of figures whose numerators add up: parts together with their total."""
    by_key: dict[tuple[object, ...], dict[str, object]] = {
        (r["quarter"], r["indicator_id"], r["breakdown"], r["breakdown_value"], r["area"]): r
        for r in rows
        if r["unit"] != "days"  # medians do not add up
    }
    all_las = [la for las in partnerships.values() for la in las]
    for quarter, indicator, breakdown, value in {k[:4] for k in by_key}:

        def cells(
            areas: list[str], key: tuple[object, ...] = (quarter, indicator, breakdown, value)
        ) -> list[dict[str, object]]:
            return [by_key[(*key, a)] for a in areas if (*key, a) in by_key]

        # Authorities add up to their partnership, partnerships and authorities to Tees.
        for partnership, las in partnerships.items():
            yield cells([*las, partnership])
        yield cells([*partnerships, "Tees"])
        yield cells([*all_las, "Tees"])
    # Within an area, the values of a one-way breakdown of a count add up to the headline.
    by_area: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for r in rows:
        if r["breakdown"] and "|" not in str(r["breakdown"]) and r["unit"] == "count":
            by_area.setdefault(
                (r["quarter"], r["indicator_id"], r["area"], r["breakdown"]), []
            ).append(r)
    for (quarter, indicator, area, _), parts in by_area.items():
        total = by_key.get((quarter, indicator, "", "", area))
        yield [*parts, total] if total is not None else parts
