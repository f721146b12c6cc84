"""Validating a return sheet: header, types, pandera schema from the catalogue, cross-field rules."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from typing import Any

import pandera.polars as pa
import polars as pl

from tees_dataset.catalogue.models import Agency, Catalogue, Column, ReturnSpec
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level, Location
from tees_dataset.returns.read import RawSheet
from tees_dataset.returns.workbook import AREA_COLUMN, normalise_header, sheet_columns

ROW = "_row"
HEADER_SEARCH_ROWS = 30
_TOTAL_WORDS = frozenset({"total", "totals", "grand_total", "sum"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_POLARS_TYPE: dict[str, pl.DataType] = {
    "text": pl.String(),
    "code": pl.String(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "date": pl.Date(),
}


@dataclass
class SheetResult:
    """A validated sheet: typed rows (with `_row`, the Excel row) and every issue found."""

    frame: pl.DataFrame | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.frame is None or any(i.level is Level.ERROR for i in self.issues)


@dataclass(frozen=True)
class _Where:
    file: str
    sheet: str
    agency: str
    return_id: str

    def issue(
        self,
        level: Level,
        code: str,
        message: str,
        fix: str,
        cell: str | None = None,
        value: Any = None,
        personal: bool = False,
    ) -> Issue:
        return Issue(
            level,
            code,
            message,
            Location(self.file, sheet=self.sheet, cell=cell),
            fix,
            agency=self.agency,
            return_id=self.return_id,
            value=None if value is None else str(value),
            personal=personal,
        )


def validate_sheet(
    raw: RawSheet,
    spec: ReturnSpec,
    catalogue: Catalogue,
    agency: Agency,
    quarter: Quarter,
    file: str,
) -> SheetResult:
    where = _Where(file, spec.sheet, agency.id, spec.id)
    columns = sheet_columns(spec)
    header_index = _find_header(raw.frame, columns)
    if header_index is None:
        expected = ", ".join(c.title for c in spec.columns)
        return SheetResult(
            None,
            [
                where.issue(
                    Level.ERROR,
                    "V-HEADER",
                    f"the header row was not found in the first {HEADER_SEARCH_ROWS} rows",
                    f"Keep the template's header row; it names: {expected}.",
                )
            ],
        )
    issues: list[Issue] = []
    if not raw.visible:
        issues.append(
            where.issue(
                Level.WARNING,
                "V-SHEET-HIDDEN",
                "the sheet is hidden; it was read all the same",
                "Unhide the sheet (right-click a sheet tab › Unhide) so what you send is what we read.",
            )
        )
    mapping = _map_columns(raw, header_index, columns, agency, where, issues)
    if any(i.level is Level.ERROR for i in issues):
        return SheetResult(None, issues)
    frame = _data_rows(raw.frame, header_index, mapping, columns, where, issues)
    letters = {name: raw.letters[raw.frame.columns.index(src)] for name, src in mapping.items()}
    frame = _parse_types(frame, columns, letters, where, issues)
    if spec.area_level == "local_authority":
        frame = _resolve_area(frame, catalogue, agency, letters.get(AREA_COLUMN), where, issues)
    frame = _code_canonical(frame, spec, catalogue)
    issues += _schema_issues(frame, spec, catalogue, quarter, letters, where, issues)
    issues += _rule_issues(_with_quarter(frame, quarter), spec, letters, where)
    issues += _coverage_issues(frame, spec, catalogue, agency, where)
    return SheetResult(frame, _with_records(issues, frame, spec))


def _with_records(issues: list[Issue], frame: pl.DataFrame, spec: ReturnSpec) -> list[Issue]:
    """Attach each row's child reference (personal) so the agency's feedback can name it."""
    personal = next((c.name for c in spec.columns if c.personal), None)
    if personal is None or frame.is_empty() or not issues:
        return issues
    rows = [re.sub(r"^[A-Z]+", "", issue.location.cell or "") for issue in issues]
    wanted = {int(r) for r in rows if r.isdigit()}
    records = dict(frame.filter(pl.col(ROW).is_in(list(wanted))).select(ROW, personal).iter_rows())
    return [
        replace(issue, record=records[int(r)]) if r.isdigit() and records.get(int(r)) else issue
        for issue, r in zip(issues, rows, strict=True)
    ]


def _coverage_issues(
    frame: pl.DataFrame, spec: ReturnSpec, catalogue: Catalogue, agency: Agency, where: _Where
) -> list[Issue]:
    """Aggregate figures must be there for every area the agency reports for: a blank sheet
    is not a zero. A record-level sheet with no rows may be a true nil return."""
    if spec.record_level:
        if frame.is_empty():
            return [where.issue(
                Level.WARNING, "V-NO-ROWS", "the sheet has no rows",
                "If there were none this quarter, nothing needs doing; otherwise fill it in and resend.",
            )]  # fmt: skip
        return []
    if frame.is_empty():
        return [where.issue(
            Level.ERROR, "V-EMPTY", "the sheet has no figures",
            "Fill it in; where a figure is nil, enter 0 rather than leaving it blank.",
        )]  # fmt: skip
    if spec.area_level != "local_authority":
        return []
    present = set(frame[AREA_COLUMN].drop_nulls().to_list())
    names = {la.id: la.name for la in catalogue.local_authorities}
    return [
        where.issue(
            Level.ERROR,
            "V-AREA-MISSING",
            f"there are no figures for {names[la]}",
            f"Add rows for {names[la]}; where a figure is nil, enter 0.",
        )
        for la in agency.covers
        if la not in present
    ]


def _find_header(frame: pl.DataFrame, columns: list[Column]) -> int | None:
    wanted = {normalise_header(c.name) for c in columns} | {
        normalise_header(c.title) for c in columns
    }
    best, best_score = None, 0
    for index, row in enumerate(frame.head(HEADER_SEARCH_ROWS).iter_rows()):
        score = sum(1 for cell in row if cell is not None and normalise_header(cell) in wanted)
        if score > best_score:
            best, best_score = index, score
    needed = max(1, (len(columns) - 1 + 1) // 2)
    return best if best_score >= needed else None


def _map_columns(
    raw: RawSheet,
    header_index: int,
    columns: list[Column],
    agency: Agency,
    where: _Where,
    issues: list[Issue],
) -> dict[str, str]:
    """Expected column name -> frame column holding it; missing and extra columns reported."""
    header = raw.frame.row(header_index)
    keys = {normalise_header(c.name): c.name for c in columns}
    keys |= {normalise_header(c.title): c.name for c in columns}
    mapping: dict[str, str] = {}
    extras: list[tuple[str, str]] = []
    for src, cell, letter in zip(raw.frame.columns, header, raw.letters, strict=True):
        if cell is None or not cell.strip():
            continue
        name = keys.get(normalise_header(cell))
        if name is None or name in mapping:
            extras.append((cell, f"{letter}{header_index + 1}"))
        else:
            mapping[name] = src
    missing = [c for c in columns if c.name not in mapping]
    titles = [c.title for c in missing]
    for column in missing:
        if column.name == AREA_COLUMN and len(agency.covers) == 1:
            continue
        close = get_close_matches(column.title, [e for e, _ in extras], n=1, cutoff=0.5)
        fix = (
            f"Rename the column '{close[0]}' to '{column.title}'."
            if close
            else f"Add the column '{column.title}' as in the template."
        )
        required = column.required or column.name == AREA_COLUMN
        issues.append(
            where.issue(
                Level.ERROR if required else Level.WARNING,
                "V-COLUMN-MISSING",
                f"the column '{column.title}' is missing",
                fix,
            )
        )
    for text, cell in extras:
        close = get_close_matches(text, titles, n=1, cutoff=0.5)
        fix = (
            f"Did you mean '{close[0]}'? Rename it."
            if close
            else "Remove the column, or leave it: it is ignored."
        )
        issues.append(
            where.issue(
                Level.WARNING,
                "V-COLUMN-EXTRA",
                f"the column '{text}' is not part of the return",
                fix,
                cell,
            )
        )
    return mapping


def _data_rows(
    frame: pl.DataFrame,
    header_index: int,
    mapping: dict[str, str],
    columns: list[Column],
    where: _Where,
    issues: list[Issue],
) -> pl.DataFrame:
    body = frame.with_row_index(ROW, offset=1).slice(header_index + 1)
    exprs = [pl.col(ROW).cast(pl.Int64)]
    for column in columns:
        if column.name in mapping:
            exprs.append(pl.col(mapping[column.name]).str.strip_chars().alias(column.name))
        else:
            exprs.append(pl.lit(None, pl.String).alias(column.name))
    body = body.select(exprs)
    names = [c.name for c in columns]
    body = body.with_columns(
        [pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names]
    ).filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))
    first_text = pl.coalesce(pl.col(n) for n in names)
    totals = body.filter(normalised(first_text).is_in(list(_TOTAL_WORDS)))
    for row in totals[ROW].to_list():
        issues.append(
            where.issue(
                Level.WARNING,
                "V-TOTALS-ROW",
                f"row {row} looks like a totals row and was ignored",
                "Leave totals out: they are calculated.",
                f"A{row}",
            )
        )
    return body.filter(~pl.col(ROW).is_in(totals[ROW].implode()))


def _parse_types(
    frame: pl.DataFrame,
    columns: list[Column],
    letters: dict[str, str],
    where: _Where,
    issues: list[Issue],
) -> pl.DataFrame:
    parsed = frame.with_columns(_parse_expr(c).alias(c.name) for c in columns)
    for column in columns:
        if column.type in ("text", "code"):
            continue
        bad = (
            frame.select(ROW, pl.col(column.name).alias("raw"))
            .with_columns(parsed[column.name].alias("value"))
            .filter(pl.col("raw").is_not_null() & pl.col("value").is_null())
        )
        for row, raw in bad.select(ROW, "raw").iter_rows():
            issues.append(
                where.issue(
                    Level.ERROR,
                    f"V-TYPE-{column.type.upper()}",
                    f"'{column.title}' is not {_TYPE_WORDS[column.type]}",
                    _TYPE_FIX[column.type],
                    f"{letters.get(column.name, '?')}{row}",
                    raw,
                    column.personal,
                )
            )
    return parsed


_TYPE_WORDS = {"integer": "a whole number", "number": "a number", "date": "a real date"}
_TYPE_FIX = {
    "integer": "Enter a whole number with no text or units.",
    "number": "Enter a number with no text or units.",
    "date": "Enter a real date as dd/mm/yyyy (check the day exists in that month).",
}


def _parse_expr(column: Column) -> pl.Expr:
    raw = pl.col(column.name)
    if column.type == "date":
        serial = raw.cast(pl.Float64, strict=False)
        return pl.coalesce(
            raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
            raw.str.to_date("%d/%m/%Y", strict=False),
            pl.when(serial.is_between(1, 2958465) & (serial == serial.floor())).then(
                pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial.cast(pl.Int64))
            ),
        )
    if column.type in ("integer", "number"):
        number = raw.str.replace_all(",", "").cast(pl.Float64, strict=False)
        if column.type == "number":
            return number
        return pl.when(number == number.floor()).then(number.cast(pl.Int64, strict=False))
    return raw


def _resolve_area(
    frame: pl.DataFrame,
    catalogue: Catalogue,
    agency: Agency,
    letter: str | None,
    where: _Where,
    issues: list[Issue],
) -> pl.DataFrame:
    """Local authority names, codes or ids become ids; councils may leave the column blank."""
    lookup: dict[str, str] = {}
    for la in catalogue.local_authorities:
        for key in (la.id, la.code, la.name):
            lookup[normalise_header(key)] = la.id
    default = agency.covers[0] if len(agency.covers) == 1 else None
    names = ", ".join(la.name for la in catalogue.local_authorities if la.id in agency.covers)
    area = pl.col(AREA_COLUMN)
    resolved = frame.with_columns(
        pl.when(area.is_null())
        .then(pl.lit(default, pl.String))
        .otherwise(
            normalised(area).replace_strict(lookup, default=pl.lit("?"), return_dtype=pl.String)
        )
        .alias(AREA_COLUMN)
    )
    check = (
        resolved.select(ROW, pl.col(AREA_COLUMN).alias("id"))
        .with_columns(frame[AREA_COLUMN].alias("raw"))
        .filter(~pl.col("id").is_in(list(agency.covers)) | pl.col("id").is_null())
    )  # only the rows in error are looked at one by one
    for row, la_id, raw in check.iter_rows():
        if la_id in agency.covers:
            continue
        if la_id is None:
            message = "the local authority is blank"
        elif la_id == "?":
            message = f"'{raw}' is not a local authority"
        else:
            message = f"'{raw}' is not an area {agency.name} reports for"
        issues.append(
            where.issue(
                Level.ERROR,
                "V-AREA",
                message,
                f"Choose one of: {names}.",
                f"{letter or 'A'}{row}",
                raw,
            )
        )
    return resolved


def _schema(
    spec: ReturnSpec, catalogue: Catalogue, quarter: Quarter
) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], tuple[str, str, str]]]:
    """A pandera schema generated from the return's spec, and what each check means to an agency."""
    schema_columns: dict[str, pa.Column] = {}
    meaning: dict[tuple[str, int], tuple[str, str, str]] = {}
    for column in spec.columns:
        checks: list[pa.Check] = []
        explain: list[tuple[str, str, str]] = []
        if column.type == "code" and column.codes:
            code_list = catalogue.code_list(column.codes)
            values = code_list.values if code_list else []
            checks.append(pa.Check.isin(values))
            explain.append(
                (
                    "V-CODE",
                    f"'{column.title}' is not one of the allowed values",
                    f"Choose from the drop-down: {'; '.join(values)}.",
                )
            )
        if column.minimum is not None:
            checks.append(pa.Check.ge(column.minimum))
            explain.append(
                (
                    "V-MIN",
                    f"'{column.title}' is below {column.minimum:g}",
                    f"Enter a value of at least {column.minimum:g}.",
                )
            )
        if column.maximum is not None:
            checks.append(pa.Check.le(column.maximum))
            explain.append(
                (
                    "V-MAX",
                    f"'{column.title}' is above {column.maximum:g}",
                    f"Enter a value of at most {column.maximum:g}.",
                )
            )
        if column.in_quarter:
            checks.append(pa.Check.in_range(quarter.start, quarter.end))
            explain.append(
                (
                    "V-QUARTER",
                    f"'{column.title}' is outside {quarter} "
                    f"({quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y})",
                    "Only records for this quarter belong in this return; move it to the "
                    "return for its own quarter.",
                )
            )
        for number, text in enumerate(explain):
            meaning[(column.name, number)] = text
        schema_columns[column.name] = pa.Column(
            _POLARS_TYPE[column.type], nullable=not column.required, checks=checks
        )
    return pa.DataFrameSchema(schema_columns, strict=False), meaning


def normalised(expr: pl.Expr) -> pl.Expr:
    """The vectorised twin of `normalise_header`."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


def _code_canonical(frame: pl.DataFrame, spec: ReturnSpec, catalogue: Catalogue) -> pl.DataFrame:
    """Code values that differ from the list only in case or spacing take the list's spelling."""
    exprs = []
    for column in spec.columns:
        code_list = catalogue.code_list(column.codes) if column.codes else None
        if column.type == "code" and code_list:
            canonical = {normalise_header(v): v for v in code_list.values}
            exprs.append(
                normalised(pl.col(column.name))
                .replace_strict(canonical, default=pl.col(column.name), return_dtype=pl.String)
                .alias(column.name)
            )
    return frame.with_columns(exprs) if exprs else frame


def _schema_issues(
    frame: pl.DataFrame,
    spec: ReturnSpec,
    catalogue: Catalogue,
    quarter: Quarter,
    letters: dict[str, str],
    where: _Where,
    earlier: list[Issue],
) -> list[Issue]:
    schema, meaning = _schema(spec, catalogue, quarter)
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    reported = {i.location.cell for i in earlier}
    issues = []
    rows = frame[ROW]
    by_name = {c.name: c for c in spec.columns}
    for case, column_name, check, number, index in failures.select(
        "failure_case", "column", "check", "check_number", "index"
    ).iter_rows():
        column = by_name.get(column_name)
        if column is None or index is None:
            issues.append(
                where.issue(
                    Level.ERROR,
                    "V-SCHEMA",
                    f"{column_name}: {check}",
                    "Check the sheet against the template.",
                )
            )
            continue
        cell = f"{letters.get(column_name, '?')}{rows[index]}"
        if cell in reported:
            continue  # already reported as unreadable
        if check == "not_nullable":
            code, message, fix = (
                "V-REQUIRED",
                f"'{column.title}' is blank",
                "Fill it in: it is required.",
            )
        else:
            code, message, fix = meaning.get((column_name, number or 0), ("V-SCHEMA", check, ""))
        issues.append(where.issue(Level.ERROR, code, message, fix, cell, case, column.personal))
    return issues


def _with_quarter(frame: pl.DataFrame, quarter: Quarter) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(quarter.start).alias("quarter_start"), pl.lit(quarter.end).alias("quarter_end")
    )


def _rule_issues(
    frame: pl.DataFrame, spec: ReturnSpec, letters: dict[str, str], where: _Where
) -> list[Issue]:
    issues: list[Issue] = []
    by_name = {c.name: c for c in spec.columns}
    for rule in spec.rules:
        failing = frame.filter(pl.sql_expr(rule.check).not_())
        first = rule.columns[0] if rule.columns else None
        for row in failing.select(ROW, *rule.columns).iter_rows(named=True):
            shown = [
                f"{by_name[c].title if c in by_name else c} = {row[c]}"
                for c in rule.columns
                if c in by_name and not by_name[c].personal
            ]
            cell = f"{letters.get(first, '?')}{row[ROW]}" if first else f"A{row[ROW]}"
            issues.append(
                where.issue(
                    Level(rule.severity),
                    rule.code,
                    rule.message,
                    rule.fix,
                    cell,
                    "; ".join(shown) or None,
                )
            )
    return issues
