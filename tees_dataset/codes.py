"""The registry of issue codes: every problem the tool can report, as one entry each.

An entry has its code, a title, a description (what it means and why it matters), a severity
and a fix template, and every `Issue` in the package is built from one (`F_LINK.issue(...)`), so
no module spells a code itself and `tees-dataset rules` can list them all.

Codes are upper case, hyphenated, and start with where the problem is:
- `C-` the catalogue (indicators.yaml) and the reference data beside it;
- `F-` a return file as a whole, or the quarter's folder;
- `V-` a return's sheet and its cells (the validation of its contents);
- `R<objective>-<nnn>` a cross-field rule written in the catalogue (its own code).

Over 400 lines because it is a table, not logic: one entry for each problem the tool reports,
kept whole so that the reference it generates (and whoever adds a code) finds them in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tees_dataset.report import Issue, Level, Location

# Where an issue is, by the first letter of its code, for the reference's headings.
STAGES = {
    "C": "Catalogue and reference data",
    "F": "Return files",
    "V": "Return sheets and cells",
    "R": "Cross-field rules of the catalogue",
}


@dataclass(frozen=True, slots=True)
class Code:
    """One kind of problem. `fix` is a template: `{name}` fields are filled from `fields` (when
    none are given it is used as it is, braces and all).

    A family (`family=True`, a code ending in `*`) stands for codes made when the issue is:
    the catalogue's own cross-field rules, or pydantic's error types; `issue(code=...)` names
    the member, which must start with the family's prefix."""

    code: str
    title: str
    level: Level
    description: str
    fix: str = ""
    family: bool = False

    @property
    def prefix(self) -> str:
        return self.code.rstrip("*")

    def issue(
        self,
        message: str,
        location: Location | None = None,
        fix: str | None = None,
        *,
        level: Level | None = None,
        code: str | None = None,
        fields: Mapping[str, Any] | None = None,
        agency: str | None = None,
        return_id: str | None = None,
        value: str | None = None,
        personal: bool = False,
        record: str | None = None,
    ) -> Issue:
        """An issue of this kind. `fix` overrides the template (a fix that names what was
        found); `level` overrides the entry's severity where the catalogue or the column says
        (a rule's own severity, an optional column)."""
        if code is None:
            if self.family:
                raise ValueError(f"{self.code} is a family: name the code")
            code = self.code
        elif not (self.family and code.startswith(self.prefix)):
            raise ValueError(f"{code} is not a member of {self.code}")
        return Issue(
            level or self.level,
            code,
            message,
            location or Location(),
            fix if fix is not None else self.fix.format_map(fields) if fields else self.fix,
            agency=agency,
            return_id=return_id,
            value=value,
            personal=personal,
            record=record,
        )


REGISTRY: dict[str, Code] = {}


def _code(
    code: str, title: str, level: Level, description: str, fix: str = "", *, family: bool = False
) -> Code:
    if code in REGISTRY:
        raise ValueError(f"code {code} registered twice")
    entry = Code(code, title, level, description, fix, family)
    REGISTRY[code] = entry
    return entry


def entries() -> Iterator[Code]:
    """Every entry, in the order of the reference: by stage, then code."""
    order = list(STAGES)
    yield from sorted(REGISTRY.values(), key=lambda c: (order.index(c.code[0]), c.code))


def reference_text(rules: Iterable[tuple[str, str, str]] = ()) -> str:
    """Every code as a table for a terminal: code, severity and title, by stage; `rules` are the
    catalogue's own cross-field rules (code, severity, message), listed under `R*`."""
    entries_ = list(entries())
    width = max(len(c.code) for c in entries_) + 2
    lines: list[str] = []
    for stage, heading in STAGES.items():
        lines += ["", heading] if lines else [heading]
        for entry in (c for c in entries_ if c.code.startswith(stage)):
            lines.append(f"  {entry.code:<{width}}{entry.level.value:<9}{entry.title}")
            if entry is V_RULE:
                lines += [
                    f"    {code:<{width - 2}}{level:<9}{message}" for code, level, message in rules
                ]
    return "\n".join(lines) + "\n"


def reference_markdown(rules: Iterable[tuple[str, str, str]] = ()) -> str:
    """Every code as Markdown, for docs: a table per stage with what each means and its fix."""
    out: list[str] = []
    for stage, heading in STAGES.items():
        out += [f"## {heading}", "", "| code | severity | title | what it means | fix |",
                "| --- | --- | --- | --- | --- |"]  # fmt: skip
        for entry in (c for c in entries() if c.code.startswith(stage)):
            cells = [f"`{entry.code}`", entry.level.value, entry.title, entry.description,
                     entry.fix]  # fmt: skip
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            if entry is V_RULE:
                out += [
                    f"| `{code}` | {level} | {_cell(message)} | | |"
                    for code, level, message in rules
                ]
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


E, W = Level.ERROR, Level.WARNING

# fmt: off

# --- the catalogue: reading it ----------------------------------------------------------------
C_UNREADABLE = _code(
    "C-UNREADABLE", "Catalogue unreadable", E,
    "The catalogue file cannot be opened or is not UTF-8 text.",
    "Check the path and that the file is UTF-8 text.",
)
C_YAML_SYNTAX = _code(
    "C-YAML-SYNTAX", "Not valid YAML", E,
    "The catalogue does not parse as YAML.",
    "Check indentation and quoting on this line and the one above it.",
)
C_DUPLICATE_KEY = _code(
    "C-DUPLICATE-KEY", "Key given twice", E,
    "A mapping names the same key twice; YAML would silently keep only the last one.",
    "Remove or rename one of them.",
)
C_NOT_A_MAPPING = _code(
    "C-NOT-A-MAPPING", "Catalogue not a mapping", E,
    "The catalogue's top level is not a YAML mapping.",
    "Start the file with `version:` and the other top-level keys.",
)
C_SCHEMA = _code(
    "C-SCHEMA-*", "Against the catalogue's schema", E,
    "A key or value the catalogue's schema does not allow; the code ends in pydantic's error "
    "type (e.g. C-SCHEMA-MISSING, C-SCHEMA-EXTRA-FORBIDDEN).",
    "Correct the value.", family=True,
)
C_RULE_CRASHED = _code(
    "C-RULE-CRASHED", "A check of the catalogue failed", E,
    "One of the catalogue's checks stopped with a fault; the others still ran.",
    "This is a fault in tees-dataset; please report it with the catalogue.",
)

# --- the catalogue: ids and references ----------------------------------------------------------
_DUPLICATE_FIX = "Give each {kind} its own id."
C_DUPLICATE_ID = {
    kind: _code(
        f"C-DUPLICATE-{kind.upper()}-ID", f"Duplicate {kind.replace('-', ' ')} id", E,
        f"Two {kind.replace('-', ' ')} entries share an id; ids must be unique.", _DUPLICATE_FIX,
    )
    for kind in (
        "indicator", "return", "agency", "local-authority", "partnership", "aim", "objective",
        "column", "theme",
    )
}
C_UNKNOWN = {
    kind: _code(
        f"C-UNKNOWN-{kind.upper().replace(' ', '-')}", f"Unknown {kind}", E,
        f"A {kind} is named that the catalogue does not define.",
        "Use one of the known ids (the message suggests the closest).",
    )
    for kind in ("return", "local authority", "agency", "code list", "benchmark statistic")
}
C_UNKNOWN_COLUMN = _code(
    "C-UNKNOWN-COLUMN", "Unknown column", E,
    "An expression or breakdown names a column its return does not have.",
    "Use one of the return's columns (the message suggests the closest).",
)
C_RESERVED_COLUMN = _code(
    "C-RESERVED-COLUMN", "Reserved column name", E,
    "A return declares a column the tool adds to every return itself (the local authority).",
    "Remove this column from the return.",
)
C_CODE_LIST_MISSING = _code(
    "C-CODE-LIST-MISSING", "Code column without a list", E,
    "A column of type code names no code list.",
    "Add `codes: <code list id>`.",
)
C_PARTNERSHIP_COVERAGE = _code(
    "C-PARTNERSHIP-COVERAGE", "Local authority not in one partnership", E,
    "Each local authority must belong to exactly one partnership.",
    "List it under exactly one partnership's local_authorities.",
)
C_DUPLICATE_RULE_CODE = _code(
    "C-DUPLICATE-RULE-CODE", "Rule code used twice", E,
    "Two cross-field rules share a code; rule codes are quoted back to agencies.",
    "Rule codes are quoted back to agencies: give each rule its own.",
)
C_THEME_INDICATOR = _code(
    "C-THEME-INDICATOR", "Theme names an unknown indicator", E,
    "A theme under `pack.themes` lists an indicator id the catalogue does not define, so the "
    "pack's key lines of enquiry could not group it.",
    "Use one of the catalogue's indicator ids (the message suggests the closest).",
)
C_THEME_OVERLAP = _code(
    "C-THEME-OVERLAP", "Indicator in two themes", E,
    "An indicator is listed in more than one theme (or twice in one); the pack groups each "
    "indicator's evidence under one theme, so the earlier listing would be silently ignored.",
    "List the indicator in one theme only.",
)

# --- the catalogue: expressions and measures ----------------------------------------------------
C_EXPRESSION_SYNTAX = _code(
    "C-EXPRESSION-SYNTAX", "Expression does not parse", E,
    "A filter, numerator or rule check is not a SQL condition polars can read.",
    "Write it as a SQL condition, e.g. `outcome = 'No further action'`; quote text values "
    "with single quotes.",
)
C_EXPRESSION_UNCHECKED = _code(
    "C-EXPRESSION-UNCHECKED", "Expression's codes not checked", W,
    "An expression polars reads could not be read to check the code values it compares with.",
    "Check the values it compares code columns to against their code lists by hand, or write "
    "it more plainly (`column = 'code'`, `column IN (...)`).",
)
C_UNKNOWN_CODE = _code(
    "C-UNKNOWN-CODE", "Not one of the column's codes", E,
    "An expression compares a code column with a value (or pattern) none of its codes match, "
    "so no row would ever match.",
    "Use the code list's own spelling (the message gives the closest).",
)
C_CODE_NOT_TEXT = _code(
    "C-CODE-NOT-TEXT", "Code compared as a number", E,
    "A code column is compared with an unquoted number; codes are text.",
    "Quote the value.",
)
C_UNIT_MISMATCH = _code(
    "C-UNIT-MISMATCH", "Unit does not match the measure", E,
    "An indicator's unit is not the unit its kind of measure gives.",
    "Set `unit:` to the measure's unit.",
)
C_BREAKDOWN_ON_MEDIAN = _code(
    "C-BREAKDOWN-ON-MEDIAN", "Breakdown of a median", E,
    "A median measure gives one median per area; a breakdown would never be computed.",
    "Remove `breakdown`; for one group's median, add an indicator with a `filter`.",
)
C_BREAKDOWN_NOT_A_CODE = _code(
    "C-BREAKDOWN-NOT-A-CODE", "Breakdown by free text", E,
    "Breakdowns and shares group by code lists or whole numbers, never free text.",
    "Break down by a column of type code (add a code list) or integer.",
)
C_RATE_NEEDS_LOCAL_AUTHORITY = _code(
    "C-RATE-NEEDS-LOCAL-AUTHORITY", "Rate without local authority figures", E,
    "A rate per 10,000 children needs a return whose rows name their local authority.",
    "Use a count, or a return whose rows name their local authority.",
)
C_NOT_A_DATE = _code(
    "C-NOT-A-DATE", "Days counted from a column that is not a date", E,
    "A days measure names a column that is not of type date.",
    "Name a date column of the return.",
)

# --- the catalogue: reference data and benchmarks -----------------------------------------------
C_POPULATION_MISSING = _code(
    "C-POPULATION-MISSING", "No population for an authority", E,
    "Rates per 10,000 need each local authority's child population in reference/population.csv.",
    "Add its ONS mid-year estimate (children aged 0 to 17) to population.csv.",
)
C_POPULATION_INVALID = _code(
    "C-POPULATION-INVALID", "Population estimate not usable", E,
    "A row of population.csv has no four-digit year or no positive estimate.",
    "Import the ONS estimates again (tees-dataset reference import) rather than editing "
    "population.csv by hand.",
)
C_BENCHMARK_UNSTATED = _code(
    "C-BENCHMARK-UNSTATED", "Benchmark not stated", W,
    "An indicator does not say whether it has a national benchmark.",
    "Add `benchmark: {statistic: ...}` naming the DfE statistic it compares with, or "
    "`benchmark: {none: <why there is no fair national equivalent>}`.",
)
C_BENCHMARK_UNIT = _code(
    "C-BENCHMARK-UNIT", "Benchmark of another unit", E,
    "The benchmark statistic's unit is not the indicator's.",
    "Name a statistic of the same unit, or `benchmark: {none: ...}`.",
)
C_BENCHMARK_LOCAL = _code(
    "C-BENCHMARK-LOCAL", "Local figure cannot be compared", E,
    "The benchmark's `local` figure cannot be made from the indicator's rows.",
    "Change `local` or `breakdown`.",
)
C_BENCHMARK_BREAKDOWN = _code(
    "C-BENCHMARK-BREAKDOWN", "Benchmark breakdown does not match", E,
    "The benchmark's breakdown does not name the indicator's breakdown columns in order.",
    "Give one value for each breakdown column, in the measure's order.",
)
C_BENCHMARK_NO_DATA = _code(
    "C-BENCHMARK-NO-DATA", "No published figures for a benchmark", E,
    "reference/ lacks the statistic's figures for England, the North East or an authority.",
    "Import DfE's latest file with `tees-dataset reference import FILE` (README, Reference data).",
)

# --- the catalogue against sample returns (`check --samples`) ------------------------------------
_SAMPLE = "Only with `check --samples`: a definition that parses but computes nothing useful."
C_SAMPLES_NONE = _code(
    "C-SAMPLES-NONE", "No sample quarters", W, "The samples folder holds no quarter folders.",
    "Run `make samples`.",
)
C_SAMPLE_NO_ROWS = _code(
    "C-SAMPLE-NO-ROWS", "Sample return has no rows", W, _SAMPLE,
    "Check the sample returns validate: `tees-dataset validate`.",
)
C_SAMPLE_BLANK_COLUMN = _code(
    "C-SAMPLE-BLANK-COLUMN", "Column blank in every sample row", W, _SAMPLE,
    "Check the column is the one meant, and that agencies fill it.",
)
C_SAMPLE_FILTER_EMPTY = _code(
    "C-SAMPLE-FILTER-EMPTY", "Filter keeps no sample row", W, _SAMPLE,
    "Check the values in the filter against the code list (spelling, case).",
)
C_SAMPLE_NO_DENOMINATOR = _code(
    "C-SAMPLE-NO-DENOMINATOR", "Nothing to measure in the samples", W, _SAMPLE,
    "Check the filter and the denominator.",
)
C_SAMPLE_NUMERATOR_ZERO = _code(
    "C-SAMPLE-NUMERATOR-ZERO", "Numerator never met in the samples", W, _SAMPLE,
    "Check the numerator's values against the code list (spelling, case).",
)

# --- return files and the quarter's folder -------------------------------------------------------
F_LINK = _code(
    "F-LINK", "Link to a file elsewhere", W,
    "A link in the quarter's folder is never followed or read.",
    "Put the return itself in the folder, not a link to it.",
)
F_FOLDER_LINK = _code(
    "F-FOLDER-LINK", "Quarter folder outside the returns folder", E,
    "The quarter's folder links outside the returns folder; nothing in it is read.",
    "Keep each quarter's returns in a folder inside the returns folder (a link to another "
    "folder inside it is fine).",
)
F_NOT_A_RETURN = _code(
    "F-NOT-A-RETURN", "Not a workbook", W,
    "A file in the quarter's folder is not a workbook by its extension; it is ignored.",
    "Returns are Excel workbooks (.xlsx) made from the template.",
)
F_RECEIVED_UNREADABLE = _code(
    "F-RECEIVED-UNREADABLE", "Received log unreadable", W,
    "received.csv cannot be read; each return's file date stands in for when it arrived.",
    "Save it as CSV UTF-8 (in Excel: Save As › CSV UTF-8), with columns agency and received.",
)
F_RECEIVED_DATE = _code(
    "F-RECEIVED-DATE", "Received date not a date", W,
    "A line of received.csv has no date like 2024-10-15; the file's date is used.",
    "Correct it; until then the file's date is used.",
)
F_EMPTY = _code(
    "F-EMPTY", "Empty file", E, "The file has no bytes.", "Save the return again and resend it.",
)
F_TOO_LARGE = _code(
    "F-TOO-LARGE", "File too large", E,
    "The file, or what it unpacks to, is over the limit a return can be.",
    "Remove anything other than the return's sheets (pictures, pivot caches) and resend.",
)
F_ENCRYPTED = _code(
    "F-ENCRYPTED", "Password-protected", E, "The workbook is encrypted and cannot be read.",
    "Remove the password (File › Info › Protect Workbook) and resend; send it by a secure "
    "route instead.",
)
F_NOT_A_WORKBOOK = _code(
    "F-NOT-A-WORKBOOK", "Not an Excel workbook", E,
    "The file's content is not a workbook, whatever its name says.",
    "Send the return as an Excel workbook (.xlsx) made from the template.",
)
F_CORRUPT = _code(
    "F-CORRUPT", "Damaged workbook", E, "The workbook is damaged and cannot be opened.",
    "Open it in Excel, save it again, and resend.",
)
F_UNSAFE = _code(
    "F-UNSAFE", "Unsafe XML", E,
    "The workbook holds XML with a document type, which spreadsheets never write; not read.",
    "Open it in Excel, save it as a new .xlsx workbook, and resend.",
)
F_UNREADABLE = _code(
    "F-UNREADABLE", "File unreadable", E, "The file could not be read.",
    "Check the file opens in Excel and that the folder lets it be read; resend it.",
)
F_UNIDENTIFIED = _code(
    "F-UNIDENTIFIED", "Agency not identified", E,
    "Neither the workbook's metadata nor its file name says which agency sent it.",
    "Use the template for your agency (it identifies itself), or name the file "
    "<agency id>-<quarter>.xlsx, e.g. cleveland_police-2024Q3.xlsx.",
)
F_UNKNOWN_AGENCY = _code(
    "F-UNKNOWN-AGENCY", "Unknown agency", E,
    "The workbook names an agency that is not in the catalogue.", "Use your agency's template.",
)
F_WRONG_QUARTER = _code(
    "F-WRONG-QUARTER", "Return for another quarter", E,
    "The workbook is the return for another quarter than the folder's.",
    "Send the {quarter} return, made from the {quarter} template.",
)
F_CHARACTER = _code(
    "F-CHARACTER", "Control character removed", W,
    "A character no workbook can hold was removed from a cell of the template's sheets.",
    "Retype the text in this cell; it was probably pasted from another system.",
)
F_NAME_MISMATCH = _code(
    "F-NAME-MISMATCH", "File name and metadata disagree", E,
    "The file name names another agency than the workbook's metadata; it is not used.",
    "Make each agency's return from its own template and name it <agency id>-<quarter>.xlsx; "
    "remove the file if it is a copy.",
)
F_DUPLICATE = _code(
    "F-DUPLICATE", "More than one return", E,
    "An agency sent several returns for the quarter; none is used until one is left.",
    "Keep only the final return in the folder and rebuild.",
)

# --- return sheets --------------------------------------------------------------------------------
V_SHEET_MISSING = _code(
    "V-SHEET-MISSING", "Sheet missing", E, "The workbook has no sheet for one of its returns.",
    "Add the sheet '{sheet}' from the template.",
)
V_SHEET_UNREADABLE = _code(
    "V-SHEET-UNREADABLE", "Sheet unreadable", E, "A sheet cannot be read.",
    "Open the workbook in Excel, check the sheet, save and resend.",
)
V_TOO_MANY_ROWS = _code(
    "V-TOO-MANY-ROWS", "Too many rows", E, "A sheet has more rows than a return can hold.",
    "Check for rows filled down by accident; delete them and resend.",
)
V_SHEET_TOO_LARGE = _code(
    "V-SHEET-TOO-LARGE", "Sheet reaches too far", E,
    "A sheet's cells reach far beyond its figures (or further than a return can hold).",
    "Press Ctrl+End to find the last cell; delete the rows and columns beyond your figures, "
    "save and resend.",
)
V_SHEET_HIDDEN = _code(
    "V-SHEET-HIDDEN", "Sheet hidden", W, "The sheet is hidden; it is read all the same.",
    "Unhide the sheet (right-click a sheet tab › Unhide) so what you send is what we read.",
)
V_HEADER = _code(
    "V-HEADER", "Header row not found", E,
    "The template's header row is not in the sheet's first rows.",
    "Keep the template's header row; it names: {expected}.",
)
V_COLUMN_MISSING = _code(
    "V-COLUMN-MISSING", "Column missing", E,
    "A column of the template is missing (a warning when the column is optional).",
    "Add the column '{title}' as in the template.",
)
V_COLUMN_EXTRA = _code(
    "V-COLUMN-EXTRA", "Column not in the return", W, "A column the return does not have.",
    "Remove the column, or leave it: it is ignored.",
)
V_CHARACTER = _code(
    "V-CHARACTER", "Control character removed", W,
    "A character no workbook can hold was removed from a cell.",
    "Check the cell reads as you meant; retype it if it was pasted from another system.",
)
V_TOTALS_ROW = _code(
    "V-TOTALS-ROW", "Totals row ignored", W,
    "A row whose first filled cell says Total is the agency's own sum: left out.",
    "Leave totals out: they are calculated.",
)
V_NO_ROWS = _code(
    "V-NO-ROWS", "No rows", W, "A record-level sheet has no rows: a nil return, or forgotten.",
    "If there were none this quarter, nothing needs doing; otherwise fill it in and resend.",
)
V_EMPTY = _code(
    "V-EMPTY", "No figures", E, "An aggregate sheet has no figures: a blank sheet is not a zero.",
    "Fill it in; where a figure is nil, enter 0 rather than leaving it blank.",
)
V_AREA_MISSING = _code(
    "V-AREA-MISSING", "No figures for an area", E,
    "An aggregate sheet has no rows for one of the areas the agency reports for.",
    "Add rows for {area}; where a figure is nil, enter 0.",
)
V_INTERNAL = _code(
    "V-INTERNAL", "Sheet could not be checked", E,
    "A fault in tees-dataset stopped the sheet being checked; it is not used.",
    "This is a fault in tees-dataset, not in your return: the analyst will report it.",
)

# --- cells -----------------------------------------------------------------------------------------
V_TYPE = {
    kind: _code(
        f"V-TYPE-{kind.upper()}", f"Not {words}", E, f"A cell of a {kind} column is not {words}.",
        fix,
    )
    for kind, words, fix in (
        ("integer", "a whole number", "Enter a whole number with no text or units."),
        ("number", "a number", "Enter a number with no text or units."),
        ("date", "a real date",
         "Enter a real date as dd/mm/yyyy (check the day exists in that month)."),
    )
}
V_DATE_YEAR = _code(
    "V-DATE-YEAR", "Two-digit year", E,
    "A date with a two-digit year could be read as more than one year; it is never guessed.",
    "Write the year in full, e.g. 01/07/2024.",
)
V_DATE_RANGE = _code(
    "V-DATE-RANGE", "Implausible date", E,
    "A date before 1990 (1900 for a date of birth) or too far after the quarter's end.",
    "Check the year, and enter the date as dd/mm/yyyy.",
)
V_DECIMAL_COMMA = _code(
    "V-DECIMAL-COMMA", "Decimal comma", E,
    "A comma is read only between groups of three digits; anywhere else it is an error.",
    "Use a full stop for decimals, e.g. 1.5 (a comma is read only between thousands, as in "
    "1,500).",
)
V_REQUIRED = _code(
    "V-REQUIRED", "Required cell blank", E, "A cell of a required column is blank.",
    "Fill it in: it is required.",
)
V_AREA = _code(
    "V-AREA", "Local authority not recognised", E,
    "The local authority is blank, unknown, or not one the agency reports for.",
    "Choose one of: {areas}.",
)
V_CODE = _code(
    "V-CODE", "Not an allowed value", E, "A cell of a code column is not one of its codes.",
    "Choose from the drop-down: {codes}.",
)
V_MIN = _code(
    "V-MIN", "Below the minimum", E, "A number below its column's minimum.",
    "Enter a value of at least {minimum:g}.",
)
V_MAX = _code(
    "V-MAX", "Above the maximum", E, "A number above its column's maximum.",
    "Enter a value of at most {maximum:g}.",
)
V_QUARTER = _code(
    "V-QUARTER", "Date outside the quarter", E,
    "A date that must fall in the return's quarter does not.",
    "Only records for this quarter belong in this return; move it to the return for its own "
    "quarter.",
)
V_DUPLICATE_ROW = _code(
    "V-DUPLICATE-ROW", "Row repeated", E,
    "A record-level row repeats an earlier row in every column: it would be counted twice.",
    "Delete the row if it is a copy; if it is another record, correct what was copied over it.",
)
V_DUPLICATE_KEY = _code(
    "V-DUPLICATE-KEY", "Figures given twice", E,
    "An aggregate row has figures for the same area and categories as an earlier row.",
    "Give one row for each; if both rows are right, add their figures together.",
)
V_RULE = _code(
    "R*", "A cross-field rule of the catalogue", E,
    "A row fails one of the return's cross-field rules (indicators.yaml, `rules:`); each rule "
    "has its own code, message, fix and severity, listed below.",
    family=True,
)

# fmt: on
del E, W
