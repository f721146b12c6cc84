"""The catalogue as typed, frozen models: partnerships, agencies, returns, aims and indicators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Names the stages share, kept here at the bottom of the pipeline. `LOCAL_AUTHORITY` is an area
# level and type, and the column that names a row's authority; `PARTNERSHIP` an area level and
# type; `TEES` is the whole area's name in every output, and `TEES_TYPE` its area type.
LOCAL_AUTHORITY = "local_authority"
PARTNERSHIP = "partnership"
TEES = "Tees"
TEES_TYPE = "tees"

Identifier = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalAuthority(Model):
    """A local authority: the smallest area the dataset reports on."""

    id: Identifier
    code: Annotated[str, Field(pattern=r"^E0[6-9]\d{6}$", description="ONS GSS code")]
    name: str


class Partnership(Model):
    """A safeguarding children partnership and the local authorities it covers."""

    id: Identifier
    name: str
    local_authorities: list[Identifier] = Field(min_length=1)


class Agency(Model):
    """An organisation that submits returns, and the local authorities its returns cover."""

    id: Identifier
    name: str
    sector: str = Field(description="the agency's sector, a value of the 'organisation' code list")
    covers: list[Identifier] = Field(min_length=1, description="local authority ids")
    contact: str = ""


class CodeList(Model):
    """Allowed values for a column, e.g. strategy outcomes or DfE participation codes."""

    id: Identifier
    title: str
    values: list[str] = Field(min_length=1)


ColumnType = Literal["text", "integer", "number", "date", "code"]


class Column(Model):
    """A column of a return's sheet, as the agency fills it in."""

    name: Identifier
    title: str
    type: ColumnType
    description: str = ""
    required: bool = True
    codes: Identifier | None = Field(
        default=None, description="code list id, for columns of type code"
    )
    minimum: float | None = None
    maximum: float | None = None
    in_quarter: bool = Field(
        default=False, description="a date column whose dates must fall inside the quarter"
    )
    personal: bool = Field(
        default=False,
        description="holds a pseudonymous child reference: never shown beyond the agency's "
        "own feedback",
    )


class Rule(Model):
    """A cross-field rule: a SQL expression every row must satisfy."""

    code: Annotated[str, Field(pattern=r"^R[0-9A-Z.]+-\d{3}$")]
    severity: Literal["error", "warning"] = "error"
    check: str = Field(description="SQL expression, true for a valid row; null counts as valid")
    columns: list[Identifier] = Field(
        default_factory=list, description="the columns to point the agency at (first is the cell)"
    )
    message: str
    fix: str


class ReturnSpec(Model):
    """A dataset an agency submits each quarter: one sheet of its return workbook."""

    id: Identifier
    title: str
    sheet: Annotated[str, Field(min_length=1, max_length=31)]
    description: str
    submitted_by: list[Identifier] = Field(min_length=1)
    record_level: bool = Field(description="one row per case (true) or aggregate figures (false)")
    area_level: Literal["local_authority", "partnership"] = Field(
        default="local_authority",
        description="local_authority: each row names its local authority (councils may leave it "
        "blank); partnership: the return is about the submitting partnership as a whole",
    )
    snapshot: bool = Field(
        default=False, description="figures as at the quarter's end, rather than in the quarter"
    )
    columns: list[Column] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


class _MeasureBase(Model):
    filter: str | None = Field(
        default=None,
        description="SQL expression: only rows where it is true are counted. Besides the "
        "return's columns it may use `agency`, `quarter_start` and `quarter_end`.",
    )
    breakdown: list[Identifier] = Field(
        default_factory=list,
        max_length=2,
        description="one or two columns to break the figure down by (the same measure within "
        "each group)",
    )


class CountMeasure(_MeasureBase):
    """Number of rows (after the filter)."""

    kind: Literal["count"]


class TotalMeasure(_MeasureBase):
    """Sum of an expression over the rows: figures an agency reports already counted."""

    kind: Literal["total"]
    value: str = Field(description="SQL expression summed, e.g. a count column")
    parts: dict[str, str] = Field(
        default_factory=dict,
        description="labelled expressions, each summed into a breakdown row ('part')",
    )


class ProportionMeasure(_MeasureBase):
    """Percentage of rows (after the filter) for which `numerator` is true."""

    kind: Literal["proportion"]
    numerator: str = Field(description="SQL expression marking the rows counted in the numerator")
    numerators: dict[str, str] = Field(
        default_factory=dict,
        description="further labelled numerators over the same rows, each a breakdown row, "
        "e.g. attendance by agency",
    )
    shares_of: Identifier | None = Field(
        default=None,
        description="a column whose values each get a breakdown row: their share of the rows",
    )


class WithinDaysMeasure(_MeasureBase):
    """Percentage of rows whose `end` date is within `days` (working) days of `start`."""

    kind: Literal["within_working_days", "within_days"]
    start: Identifier
    end: Identifier
    days: int = Field(ge=0)
    no_end: Literal["excluded", "not_within"] = Field(
        default="excluded",
        description="rows with a start but no end date: left out, or counted as not within",
    )


class MedianDaysMeasure(_MeasureBase):
    """Median (working) days from `start` to `end`; areas are pooled from the rows themselves."""

    kind: Literal["median_working_days", "median_days"]
    start: Identifier
    end: Identifier


class RatioMeasure(_MeasureBase):
    """Sum of one expression over the sum of another, as a percentage (workforce rates)."""

    kind: Literal["ratio"]
    numerator: str = Field(description="SQL expression summed for the numerator")
    denominator: str = Field(description="SQL expression summed for the denominator")
    rolling_quarters: int | None = Field(
        default=None,
        ge=2,
        le=8,
        description="also give the numerator summed over this many quarters to the quarter's "
        "end over the quarter's denominator (e.g. 4: a rolling 12-month turnover)",
    )


class RateMeasure(_MeasureBase):
    """Rows (or the sum of `value`) per 10,000 children aged 0 to 17 (ONS mid-year estimate)."""

    kind: Literal["rate"]
    value: str | None = Field(default=None, description="SQL expression summed; default: rows")
    per: int = 10000


Measure = Annotated[
    CountMeasure
    | TotalMeasure
    | ProportionMeasure
    | WithinDaysMeasure
    | MedianDaysMeasure
    | RatioMeasure
    | RateMeasure,
    Field(discriminator="kind"),
]

Unit = Literal["count", "percent", "rate_per_10000", "days"]
UNIT_OF_MEASURE: dict[str, Unit] = {
    "count": "count",
    "total": "count",
    "proportion": "percent",
    "within_working_days": "percent",
    "within_days": "percent",
    "median_working_days": "days",
    "median_days": "days",
    "ratio": "percent",
    "rate": "rate_per_10000",
}
AreaType = Literal["local_authority", "partnership", "tees"]


class Target(Model):
    """A target the framework sets: the figure should be at least, or at most, `value`."""

    value: float
    direction: Literal["at_least", "at_most"]
    per: Literal["quarter", "year"] = Field(
        default="quarter",
        description="year: compared with the sum of the last four quarters (counts only)",
    )
    source: str = ""


class Benchmark(Model):
    """The national statistic an indicator is set beside, and how its local figure is made
    comparable with it."""

    statistic: Identifier = Field(
        description="a statistic imported from DfE's publications with `tees-dataset reference "
        "import`, e.g. referrals_per_10000 (`check` lists them)"
    )
    local: Literal["quarter", "last_12_months"] = Field(
        default="quarter",
        description="quarter: the quarter's figure as it is (a snapshot at the quarter's end is "
        "set beside DfE's at 31 March or 30 September); last_12_months: the four quarters to "
        "the quarter's end pooled (numerators and denominators added; a rate's count over the "
        "quarter's population), beside DfE's figure for a year",
    )
    breakdown: dict[Identifier, str] = Field(
        default_factory=dict,
        description="the breakdown row whose figure is set beside it, column by value, e.g. "
        "{sector: Children's social care}; `period` names the rolling row of a ratio with "
        "rolling_quarters",
    )
    note: str = Field(default="", description="what still differs between the two figures")


class NoBenchmark(Model):
    """An indicator with no fair national equivalent, and why."""

    none: str = Field(min_length=1, description="why there is no fair national equivalent")


class Indicator(Model):
    """One indicator of the dataset: what it means, where it comes from, how it is computed."""

    id: Annotated[str, Field(pattern=r"^([1-4]|E[12])\.\d+(\.\d+)?$")]
    title: str
    definition: str
    source: Identifier = Field(description="the return it is computed from")
    measure: Measure
    unit: Unit
    polarity: Literal["higher_is_better", "lower_is_better", "neither"]
    frequency: Literal["quarterly"] = "quarterly"
    owner: Identifier | None = Field(default=None, description="agency id")
    status: Literal["framework", "proposed"] = "framework"
    target: Target | None = None
    not_applicable: dict[AreaType, str] = Field(
        default_factory=dict,
        description="area types the indicator has no meaning for, each with the reason",
    )
    benchmark: Benchmark | NoBenchmark | None = Field(
        default=None,
        description="the national statistic set beside it (England, the North East, each "
        "authority's statistical neighbours and its own published figure), or `none:` with the "
        "reason there is no fair equivalent",
    )
    notes: str = ""


class Objective(Model):
    """An objective of an aim (3.2); an enabler's indicators sit under one named like it (E1)."""

    id: Annotated[str, Field(pattern=r"^([1-4]\.\d+|E[12])$")]
    title: str
    indicators: list[Indicator] = Field(min_length=1)


class Aim(Model):
    """An aim (1 to 4) or an enabler (E1, E2) of the framework."""

    id: Annotated[str, Field(pattern=r"^([1-4]|E[12])$")]
    kind: Literal["aim", "enabler"]
    title: str
    objectives: list[Objective] = Field(min_length=1)

    @property
    def label(self) -> str:
        number = self.id.removeprefix("E")
        return f"{self.kind.capitalize()} {number}"


class Theme(Model):
    """Indicators the pack's key lines of enquiry treat as one question (partner attendance
    across 3.3.2, 4.3.2 and 4.3.3 is one theme, not three). An indicator in no theme is
    grouped with the others of its objective."""

    id: Identifier
    title: str = Field(description="the theme as the pack names it, e.g. Partner attendance")
    indicators: list[str] = Field(min_length=1, description="indicator ids")
    question: str = Field(
        default="",
        description="the enquiry the Group is asked when the evidence points at this theme",
    )


class PackSettings(Model):
    """How the pack judges figures and groups its key lines of enquiry."""

    minimum_base: int = Field(
        default=10,
        ge=1,
        description="a percentage of fewer cases than this is shown as 'n of d' and no signal "
        "is drawn from it",
    )
    themes: list[Theme] = Field(default_factory=list)


class Catalogue(Model):
    """The whole catalogue: the single source of truth for the dataset."""

    version: str = Field(description="catalogue version, shown on every pack")
    title: str
    due_days: int = Field(
        default=20, ge=0, description="returns are due this many days after the quarter ends"
    )
    pack: PackSettings = Field(default_factory=lambda: PackSettings())
    local_authorities: list[LocalAuthority] = Field(min_length=1)
    partnerships: list[Partnership] = Field(min_length=1)
    agencies: list[Agency] = Field(min_length=1)
    code_lists: list[CodeList] = Field(default_factory=list)
    returns: list[ReturnSpec] = Field(min_length=1)
    aims: list[Aim] = Field(min_length=1)

    def indicators(self) -> Iterator[tuple[Aim, Objective, Indicator]]:
        for aim in self.aims:
            for objective in aim.objectives:
                for indicator in objective.indicators:
                    yield aim, objective, indicator

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for _, _, i in self.indicators() if i.id == indicator_id), None)

    def return_spec(self, return_id: str) -> ReturnSpec | None:
        return next((r for r in self.returns if r.id == return_id), None)

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)

    def code_list(self, list_id: str) -> CodeList | None:
        return next((c for c in self.code_lists if c.id == list_id), None)

    def returns_of(self, agency_id: str) -> list[ReturnSpec]:
        return [r for r in self.returns if agency_id in r.submitted_by]

    def partnership_of(self, agency: Agency) -> Partnership | None:
        """The partnership whose local authorities an agency covers exactly (business units)."""
        return next(
            (p for p in self.partnerships if set(p.local_authorities) == set(agency.covers)), None
        )
