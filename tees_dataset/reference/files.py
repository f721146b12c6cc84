"""The published files reference/ is made from, as the importer recognises them: DfE's Explore
Education Statistics downloads (their columns, and the measures kept of each), the ONS
population estimates and DfE's statistical neighbour model. csv and the standard library only."""

from __future__ import annotations

from dataclasses import dataclass

# The columns of DfE's download of the ONS mid-year estimates that the import reads; the file
# has others (time_identifier, old_la_code), which it ignores.
ONS_POPULATION_COLUMNS = (
    "time_period",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "la_name",
    "age_group",
    "population_estimate",
)
ONS_AGE_GROUP = "Children aged 0 to 17 years"
# Every Explore Education Statistics download has these columns before its own.
DFE_COMMON_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
)  # fmt: skip
# GSS symbols DfE uses in place of a figure: c suppressed, x not available, z not applicable,
# u low reliability, low a figure below 0.5, k a figure below 0.5 (older releases).
DFE_SYMBOLS = frozenset({"c", "x", "z", "u", "low", "k", ":", ".."})


@dataclass(frozen=True)
class DfeMeasure:
    """A published figure: the column that holds it, in the rows whose other columns say so."""

    name: str
    column: str
    where: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DfeFile:
    """A DfE download the import knows, recognised by `signature` (columns no other has)."""

    id: str
    title: str
    published_as: str
    signature: frozenset[str]
    measures: tuple[DfeMeasure, ...]
    # Every row of the file is of this kind (e.g. category = Referrals and Re-referrals).
    kind: tuple[str, str] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        own = [m.column for m in self.measures] + [c for m in self.measures for c, _ in m.where]
        if self.kind:
            own.append(self.kind[0])
        return tuple(dict.fromkeys([*DFE_COMMON_COLUMNS, *own]))


_CLA_31_MARCH = (("population_type", "Children looked after on 31 March each year"),)
_CLA_ON_31_MARCH = "CLA on 31 March"
_CLA_UNDER_16 = (
    "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years"
)
DFE_FILES: tuple[DfeFile, ...] = (
    DfeFile(
        "c1_referrals",
        "Children in need: referrals and re-referrals (c1)",
        "c1_children_in_need_referrals_and_rereferrals_<years>.csv",
        frozenset({"referral_count", "rereferral_percent"}),
        (
            DfeMeasure("referral_count", "referral_count"),
            DfeMeasure("rereferral_count", "rereferral_count"),
            DfeMeasure("rereferral_percent", "rereferral_percent"),
        ),
        ("category", "Referrals and Re-referrals"),
    ),
    DfeFile(
        "b1_children_in_need",
        "Children in need (b1)",
        "b1_children_in_need_<years>.csv",
        frozenset({"At31_episodes", "Started_episodes"}),
        (
            DfeMeasure("at31_episodes", "At31_episodes"),
            DfeMeasure("started_episodes", "Started_episodes"),
        ),
        ("category", "Children in Need"),
    ),
    DfeFile(
        "d3_cp_plans_subsequent",
        "Child protection plans starting in the year that were a second or subsequent plan (d3)",
        "d3_cpps_subsequent_plan_<years>.csv",
        frozenset({"CPP_subsequent", "CPP_subsequent_percent"}),
        (
            DfeMeasure("cpp_start", "CPP_start"),
            DfeMeasure("cpp_subsequent", "CPP_subsequent"),
            DfeMeasure("cpp_subsequent_percent", "CPP_subsequent_percent"),
        ),
        ("category", "Child Protection Plans which are a second or subsequent plan"),
    ),
    DfeFile(
        "d5_cp_plans_duration",
        "Child protection plans at 31 March by how long they had lasted (d5)",
        "d5_cpps_at31march_by_duration_<years>.csv",
        frozenset({"CPP_At31", "2_years_or_more_percent"}),
        (
            DfeMeasure("cpp_at31", "CPP_At31"),
            DfeMeasure("cpp_2_years_or_more", "2_years_or_more"),
            DfeMeasure("cpp_2_years_or_more_percent", "2_years_or_more_percent"),
        ),
        ("category", "Child Protection Plans by length of time"),
    ),
    DfeFile(
        "cla_rate",
        "Children looked after: number and rate per 10,000 children",
        "cla_number_and_rate_per_10k_children.csv",
        frozenset({"population_type", "rate_per_10000", "children_count"}),
        (
            DfeMeasure("cla_31_march_count", "children_count", _CLA_31_MARCH),
            DfeMeasure("cla_31_march_rate_per_10000", "rate_per_10000", _CLA_31_MARCH),
        ),
    ),
    DfeFile(
        "cla_placement_stability",
        "Children looked after: placement stability",
        "la_cla_placement_stability.csv",
        frozenset({"cla_group", "placement_stability", "children_percent"}),
        (
            DfeMeasure(
                "three_or_more_placements_percent",
                "children_percent",
                (
                    ("cla_group", _CLA_ON_31_MARCH),
                    ("placement_stability", "With 3 or more placements during the year"),
                ),
            ),
            DfeMeasure(
                "same_carer_2_years_percent",
                "children_percent",
                (
                    ("cla_group", _CLA_UNDER_16),
                    ("placement_stability", "Living with the same carer for at least 2 years"),
                ),
            ),
        ),
    ),
    DfeFile(
        "csww_workforce",
        "Children's social work workforce (FTE, at 30 September)",
        "csww_indicators_<years>.csv",
        frozenset({"inpost_fte", "turnover_rate_fte", "vacancy_rate_fte"}),
        (
            DfeMeasure("turnover_rate_fte", "turnover_rate_fte"),
            DfeMeasure("vacancy_rate_fte", "vacancy_rate_fte"),
            DfeMeasure("agency_rate_fte", "agency_rate_fte"),
        ),
    ),
)
ONS_DATASET = DfeFile(
    "ons_population",
    "ONS mid-year population estimates, children aged 0 to 17 (as DfE publishes them)",
    "ons_mid-year_population_estimates_<years>.csv",
    frozenset({"population_estimate", "age_group"}),
    (DfeMeasure("children_0_17", "population_estimate"),),
    ("age_group", ONS_AGE_GROUP),
)
NEIGHBOUR_SIGNATURE = frozenset({"old_la_code", "la_name", "SN_1", "SN_10"})
NEIGHBOURS = 10
NEIGHBOUR_DATASET = "sn_model"
NEIGHBOUR_TITLE = "DfE statistical neighbour model"


def dataset_title(dataset: str) -> str:
    known = {d.id: d.title for d in (*DFE_FILES, ONS_DATASET)}
    return known.get(dataset, NEIGHBOUR_TITLE if dataset == NEIGHBOUR_DATASET else dataset)
