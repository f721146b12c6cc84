"""What suppression reads from a row of results: the figures of each unit that add up, a row's
cell, and the constants the relations are described with (see suppress.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tees_dataset.compute.columns import BREAKDOWN_SEPARATOR, ROLLING

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


def as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def adds_up(total: float | None, parts: Sequence[float | None]) -> bool:
    """Whether the parts add up to the total (False when any of them is not known)."""
    if total is None or any(p is None for p in parts):
        return False
    return math.isclose(total, sum(p for p in parts if p is not None), rel_tol=1e-9, abs_tol=1e-6)


def cell_of(row: Row) -> Cell:
    return (str(row["area"]), str(row["breakdown"] or ""), str(row["breakdown_value"] or ""))


def is_rolling(breakdown: str) -> bool:
    return breakdown == ROLLING or breakdown.startswith(ROLLING + BREAKDOWN_SEPARATOR)
