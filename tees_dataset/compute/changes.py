"""The change of each figure from a quarter and a year before."""

from __future__ import annotations

import polars as pl


def add_changes(
    current: pl.DataFrame, previous: pl.DataFrame | None, last_year: pl.DataFrame | None
) -> pl.DataFrame:
    """Add the figure a quarter earlier and a year earlier, and the change from each."""
    keys = ["area", "indicator_id", "breakdown", "breakdown_value"]
    out = current
    for name, other in (("previous", previous), ("last_year", last_year)):
        column = f"{name}_value"
        if other is None:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(column))
        else:
            out = out.join(
                other.filter(pl.col("status") == "ok").select(*keys, pl.col("value").alias(column)),
                on=keys, how="left",
            )  # fmt: skip
        out = out.with_columns(
            (pl.col("value") - pl.col(column))
            .round(1, mode="half_away_from_zero")
            .alias(f"change_{name}")
        )
    return out
