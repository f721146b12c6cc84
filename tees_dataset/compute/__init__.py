"""Compute stage: indicator figures per local authority, partnership and Tees, with no I/O.

Where things are: `areas` (what figures are reported for), `inputs` (what a quarter's figures
are computed from), `gaps` (why a figure cannot be made), `indicators` (an indicator's figures,
and `compute_quarter`), `rolling` (figures over several quarters), `changes` (from a quarter and
a year before), `measures` (the measures' sums over rows), `suppress` (small numbers, for
publishing), `benchmarks` (beside DfE's published figures). This module only re-exports.
"""

from tees_dataset.compute.areas import TEES, AreaDef, areas, expected_coverage, units_of
from tees_dataset.compute.changes import add_changes
from tees_dataset.compute.columns import (
    AGENCY_COLUMNS,
    BREAKDOWN_SEPARATOR,
    ENGINE,
    REASONS,
    RESULT_COLUMNS,
    ROLLING,
)
from tees_dataset.compute.gaps import Gap
from tees_dataset.compute.indicators import (
    PARTNERSHIP_LEVEL_NOTE,
    ZERO_BASE_NOTE,
    compute_quarter,
    indicator_plan,
)
from tees_dataset.compute.inputs import (
    Inputs,
    QuarterData,
    population_for,
    usable_population,
    with_quarter_columns,
)

__all__ = [
    "AGENCY_COLUMNS",
    "BREAKDOWN_SEPARATOR",
    "ENGINE",
    "PARTNERSHIP_LEVEL_NOTE",
    "REASONS",
    "RESULT_COLUMNS",
    "ROLLING",
    "TEES",
    "ZERO_BASE_NOTE",
    "AreaDef",
    "Gap",
    "Inputs",
    "QuarterData",
    "add_changes",
    "areas",
    "compute_quarter",
    "expected_coverage",
    "indicator_plan",
    "population_for",
    "units_of",
    "usable_population",
    "with_quarter_columns",
]
