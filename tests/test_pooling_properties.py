"""Property: a pooled figure (partnership, Tees) is the sum over all its authorities, or
`missing`; it never pools the subset of its authorities that happen to have data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from .test_compute import EVERY_KIND, run, tiny_catalogue

AREAS = ("A", "B")


@st.composite
def quarters(draw: st.DrawFn) -> tuple[dict[str, Any], str, pl.DataFrame, dict, dict]:
    measure, unit = draw(st.sampled_from(EVERY_KIND))
    n_rows = draw(st.integers(0, 6))
    rows = pl.DataFrame(
        {
            "local_authority": draw(st.lists(st.sampled_from(["a", "b"]), min_size=n_rows,
                                             max_size=n_rows)),
            "n": draw(st.lists(st.integers(0, 9), min_size=n_rows, max_size=n_rows)),
            "flag": draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)),
            "referral_date": [dt.date(2024, 7, 1)] * n_rows,
            "strategy_date": draw(st.lists(
                st.sampled_from([dt.date(2024, 7, d) for d in (1, 2, 3, 8)]),
                min_size=n_rows, max_size=n_rows)),
        },
        schema_overrides={"n": pl.Int64, "local_authority": pl.String, "flag": pl.Boolean,
                          "referral_date": pl.Date, "strategy_date": pl.Date},
    )  # fmt: skip
    accepted = {(agency, "r"): draw(st.booleans()) for agency in ("ca", "cb", "police")}
    population = {
        la: draw(st.sampled_from([1e4, 2.5e4])) for la in ("a", "b") if draw(st.booleans())
    }
    return measure, unit, rows, accepted, population


@settings(max_examples=150, deadline=None)
@given(quarters())
def test_a_pooled_figure_adds_up_every_authority_or_is_missing(
    case: tuple[dict[str, Any], str, pl.DataFrame, dict, dict],
) -> None:
    measure, unit, rows, accepted, population = case
    # A rejected return's rows never reach compute.
    kept = rows.filter(
        pl.col("local_authority").is_in([la for la, c in (("a", "ca"), ("b", "cb"))
                                         if accepted[(c, "r")]]) & accepted[("police", "r")]
    )  # fmt: skip
    results = run(tiny_catalogue(measure, unit), kept, accepted, population=population)
    got = {r["area"]: r for r in results.filter(pl.col("breakdown") == "").to_dicts()}
    parts = [got[a] for a in AREAS]
    for pooled in ("AB", "Tees"):
        row = got[pooled]
        if any(p["status"] == "missing" for p in parts):
            assert row["status"] == "missing" and row["value"] is None, (pooled, row)
            continue
        assert row["status"] != "missing", (pooled, row, parts)
        additive = ["denominator"] if unit == "days" else ["numerator", "denominator"]
        for column in additive:
            if row[column] is None:
                assert all(p[column] in (None, 0) for p in parts), (column, row, parts)
            else:
                assert row[column] == sum(p[column] or 0 for p in parts), (column, row, parts)
