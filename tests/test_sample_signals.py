"""The sample returns carry the signals the pack's statistics should find (issue #12)."""

from __future__ import annotations

import itertools

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.quarter import Quarter
from tees_dataset.returns import sample

QUARTERS = Quarter(2021, 4).through(Quarter(2024, 3))
COUNCILS = ("hartlepool_csc", "stockton_csc", "middlesbrough_csc", "redcar_csc")


def _count(catalogue: Catalogue, return_id: str, quarter: Quarter) -> int:
    """Tees's count for a quarter, drawn as the sample returns draw it (seed 1)."""
    total = 0
    for agency_id in COUNCILS:
        agency = catalogue.agency(agency_id)
        assert agency is not None
        rng = sample._rng(1, agency.id, str(quarter), return_id)
        maker = sample._Maker(agency, quarter, rng, 1.0)
        total += sum(maker.count(return_id, la) for la in agency.covers)
    return total


def test_the_series_spans_12_quarters() -> None:
    assert [sample._position(q) for q in QUARTERS] == list(range(12))
    assert sample._position(Quarter(2020, 1)) == 0 and sample._position(Quarter(2026, 1)) == 11


def test_children_in_care_rise_every_quarter_for_7_quarters(catalogue: Catalogue) -> None:
    counts = [_count(catalogue, "children_in_care", q) for q in QUARTERS]
    rising = counts[sample.RISE_FROM :]
    assert len(rising) == 8 and all(b > a for a, b in itertools.pairwise(rising))


def test_missing_episodes_spike_in_one_quarter_only(catalogue: Catalogue) -> None:
    counts = [_count(catalogue, "missing_episodes", q) for q in QUARTERS]
    spike = counts.pop(sample.OUTLIER_AT)
    assert spike > 1.5 * max(counts)
    assert max(counts) < 1.2 * min(counts)  # the other quarters vary by chance only


def test_shifts_and_last_quarter_changes_fall_where_they_should(catalogue: Catalogue) -> None:
    agency = catalogue.agency("stockton_csc")
    assert agency is not None
    makers = [sample._Maker(agency, q, sample._rng(1, "x"), 1.0) for q in QUARTERS]
    assert [m.shifted(0, 1) for m in makers] == [0] * 5 + [1] * 7  # 7 quarters on the new level
    assert [m.last(0.55, 0.72) for m in makers] == [0.55] * 11 + [0.72]
