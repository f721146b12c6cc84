"""The shape of the compute stage's frames: result columns, breakdown labels, and the columns
of the per-unit figures that are pooled into areas."""

from __future__ import annotations

from typing import Literal

import polars as pl

from tees_dataset.compute.measures import AREA, DENOMINATOR, NUMERATOR

# A quarter's rows fit in memory many times over, and its queries are small: polars' in-memory
# engine runs them about twice as fast as the streaming one it may otherwise choose.
ENGINE: Literal["in-memory"] = "in-memory"
RESULT_COLUMNS = (
    "quarter", "area", "area_code", "area_type", "indicator_id", "breakdown", "breakdown_value",
    "numerator", "denominator", "value", "unit", "status", "note",
)  # fmt: skip
BREAKDOWN_SEPARATOR = "|"
ROLLING = "period"
# Why a figure cannot be made: sentences, carried with each unit's numbers and pooled with them.
REASONS = "reasons"
# The breakdown columns whose rows come from particular agencies: a row for one sector needs
# only the returns of that sector's agencies.
AGENCY_COLUMNS = ("agency", "sector")
KEYS = ["breakdown", "breakdown_value"]
PER_UNIT_SCHEMA: dict[str, pl.DataType] = {
    AREA: pl.String(), "breakdown": pl.String(), "breakdown_value": pl.String(),
    NUMERATOR: pl.Float64(), DENOMINATOR: pl.Float64(), "complete": pl.Boolean(),
    REASONS: pl.List(pl.String()),
}  # fmt: skip
