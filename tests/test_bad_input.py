"""Every kind of bad return an agency might send: a clear message naming the file (and sheet and
cell), the right exit code, and the other returns' figures still computed."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import load_workbook
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app
from tees_dataset.compute import Inputs, QuarterData, compute_quarter
from tees_dataset.returns import limits, load_quarter
from tees_dataset.returns.sample import write_return
from tees_dataset.returns.workbook import sheet_columns

from .fixture_returns import FIXTURE, SECRET, Q

ROOT = Path(__file__).resolve().parent.parent
POLICE = "cleveland_police-2024Q3.xlsx"
HARTLEPOOL = "hartlepool_csc-2024Q3.xlsx"


def folder(returns: Path) -> Path:
    return returns / str(Q)


class Outcome:
    def __init__(self, catalogue: Catalogue, returns: Path, out: Path) -> None:
        result = CliRunner().invoke(
            app, ["validate", "--quarter", str(Q), "--returns", str(returns), "--out", str(out),
                  "--catalogue", str(ROOT / "indicators.yaml")],
        )  # fmt: skip
        self.code, self.output = result.exit_code, result.output
        self.report = json.loads((out / str(Q) / "validation.json").read_text())
        loaded = load_quarter(catalogue, Q, returns)
        data = QuarterData(loaded.frames, {k: v == "received" for k, v in loaded.status.items()})
        self.results = compute_quarter(catalogue, Inputs(Q, data))
        self.status = {(r["agency"], r["return"]): r["status"] for r in self.report["returns"]}

    def issues(self, file: str) -> list[tuple[str | None, str | None, str, str]]:
        return [(i["location"]["sheet"], i["location"]["cell"], i["code"], i["message"])
                for i in self.report["issues"] if i["location"]["file"] == file]  # fmt: skip

    def headline(self, indicator: str, area: str) -> tuple[Any, str]:
        row = self.results.filter(
            (pl.col("indicator_id") == indicator)
            & (pl.col("area") == area)
            & (pl.col("breakdown") == "")
        ).row(0, named=True)
        return row["value"], row["status"]

    def others_still_computed(self) -> None:
        # LADO referrals (4.1.1) come from four other agencies: 2 each, 8 for Tees.
        assert self.headline("4.1.1", "Tees") == (8.0, "ok")
        assert self.headline("3.1.1", "Hartlepool") in {(75.0, "ok"), (None, "missing")}


@pytest.fixture
def outcome(tmp_path: Path, catalogue: Catalogue) -> Callable[[Path], Outcome]:
    return lambda returns: Outcome(catalogue, returns, tmp_path / "out")


# ----------------------------------------------------------------------------- whole files


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "F-EMPTY", "the file is empty"),
        (b"Local authority,FTE\nHartlepool,4\n", "F-NOT-A-WORKBOOK", "not an Excel workbook"),
        (None, "F-CORRUPT", "damaged"),  # None: the real file cut in half
    ],
)
def test_unreadable_files(
    returns: Path, outcome: Callable[[Path], Outcome], content: bytes | None, code: str, words: str
) -> None:
    path = folder(returns) / POLICE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if content is None else content)
    got = outcome(returns)
    assert got.code == 1
    ((sheet, cell, issue_code, message),) = got.issues(POLICE)
    assert (sheet, cell, issue_code) == (None, None, code) and words in message
    assert POLICE in got.output
    assert got.status[("cleveland_police", "workforce")] == "missing"
    got.others_still_computed()


def test_password_protected_workbook(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    path = folder(returns) / POLICE
    encrypted = io.BytesIO()
    with path.open("rb") as handle:
        OOXMLFile(handle).encrypt("secret", encrypted)
    path.write_bytes(encrypted.getvalue())
    got = outcome(returns)
    assert got.code == 1
    assert [i[2:] for i in got.issues(POLICE)] == [
        ("F-ENCRYPTED", "the workbook is password-protected")
    ]
    got.others_still_computed()


def test_decompression_bomb_is_refused_before_reading(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    path = folder(returns) / POLICE
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/media/padding.bin", b"\0" * 30_000_000
        )  # 30 MB of zeros packs to ~30 KB
    got = outcome(returns)
    assert [i[2] for i in got.issues(POLICE)] == ["F-TOO-LARGE"]
    assert "unpacks to 30 MB" in got.issues(POLICE)[0][3]
    got.others_still_computed()


def test_limits_on_file_size_and_rows(
    returns: Path, outcome: Callable[[Path], Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", (folder(returns) / POLICE).stat().st_size - 1)
    got = outcome(returns)
    assert [i[2] for i in got.issues(POLICE)] == ["F-TOO-LARGE"]
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 50_000_000)
    monkeypatch.setattr(limits, "MAX_ROWS", 3)  # each police sheet has a header and 4 rows
    got = outcome(returns)
    assert sorted(i[:3] for i in got.issues(POLICE)) == [
        ("Information sharing", None, "V-TOO-MANY-ROWS"),
        ("Workforce", None, "V-TOO-MANY-ROWS"),
    ]
    assert got.status[("cleveland_police", "workforce")] == "rejected"
    got.others_still_computed()


def _xls(catalogue: Catalogue, agency_id: str, path: Path) -> None:
    """The agency's fixture return saved as a legacy .xls workbook."""
    book = xlwt.Workbook()
    names = {la.id: la.name for la in catalogue.local_authorities}
    for spec in catalogue.returns_of(agency_id):
        sheet = book.add_sheet(spec.sheet)
        columns = sheet_columns(spec)
        for c, column in enumerate(columns):
            sheet.write(0, c, column.title)
        for r, row in enumerate(FIXTURE[agency_id][spec.id], start=1):
            for c, column in enumerate(columns):
                value = row.get(column.name)
                sheet.write(r, c, names.get(value, value) if isinstance(value, str) else value)
    book.save(str(path))


def _ods(catalogue: Catalogue, agency_id: str, path: Path) -> None:
    """The agency's fixture return saved as an OpenDocument spreadsheet."""
    doc = OpenDocumentSpreadsheet()
    names = {la.id: la.name for la in catalogue.local_authorities}
    for spec in catalogue.returns_of(agency_id):
        table = Table(name=spec.sheet)
        columns = sheet_columns(spec)
        rows = [[c.title for c in columns]] + [
            [row.get(c.name) for c in columns] for row in FIXTURE[agency_id][spec.id]
        ]
        for values in rows:
            tr = TableRow()
            for value in values:
                text = (
                    ""
                    if value is None
                    else str(names.get(value, value) if isinstance(value, str) else value)
                )
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=text))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


@pytest.mark.parametrize("write", [_xls, _ods])
def test_xls_and_ods_are_read(returns: Path, outcome: Callable[[Path], Outcome], catalogue: Catalogue,
                              write: Callable[[Catalogue, str, Path], None]) -> None:  # fmt: skip
    (folder(returns) / POLICE).unlink()
    suffix = ".xls" if write is _xls else ".ods"
    write(catalogue, "cleveland_police", folder(returns) / f"cleveland_police-2024Q3{suffix}")
    got = outcome(returns)
    assert got.status[("cleveland_police", "workforce")] == "received", got.output
    assert got.headline("4.1.4", "Tees") == (82.5, "ok")  # 33 of 40 outcomes notified
    assert got.headline("E1.1", "Tees") == (6.2, "ok")


# ------------------------------------------------------------------------ sheets and columns


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


def test_missing_and_renamed_sheets(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    _edit(folder(returns) / POLICE, lambda wb: setattr(wb["Workforce"], "title", "Workforce Q2"))
    got = outcome(returns)
    assert got.code == 1
    assert [i[2] for i in got.issues(POLICE)] == ["V-SHEET-MISSING"]
    # The workbook's own name for the sheet is never quoted: only its feedback shows it.
    assert got.report["issues"][0]["fix"] == (
        "Rename the sheet named under Value in your feedback to 'Workforce'."
    )
    assert "Workforce Q2" not in got.output
    assert got.status[("cleveland_police", "police_activity")] == "received"
    got.others_still_computed()


def test_renamed_column_suggests_the_expected_name(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    _edit(
        folder(returns) / POLICE, lambda wb: setattr(wb["Workforce"]["C1"], "value", "FTE in posts")
    )
    got = outcome(returns)
    issues = [i for i in got.report["issues"] if i["location"]["file"] == POLICE]
    assert [(i["code"], i["level"]) for i in issues] == [
        ("V-COLUMN-MISSING", "error"),
        ("V-COLUMN-EXTRA", "warning"),
    ]
    assert issues[0]["fix"] == "Rename the column headed in C1 to 'FTE in post'."
    assert issues[1]["location"]["cell"] == "C1"
    got.others_still_computed()


def test_missing_column_and_extra_column(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    def change(wb: Any) -> None:
        wb["Workforce"].delete_cols(4)  # FTE leavers
        wb["Information sharing"]["F1"] = "Comments"
        wb["Information sharing"]["F2"] = "late figures"

    _edit(folder(returns) / POLICE, change)
    got = outcome(returns)
    assert sorted(i[:3] for i in got.issues(POLICE)) == [
        ("Information sharing", "F1", "V-COLUMN-EXTRA"),
        ("Workforce", None, "V-COLUMN-MISSING"),
    ]
    assert (
        got.status[("cleveland_police", "police_activity")] == "received"
    )  # extra column: a warning
    assert got.status[("cleveland_police", "workforce")] == "rejected"


def test_title_rows_blank_rows_and_a_totals_row(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    def change(wb: Any) -> None:
        ws = wb["Information sharing"]
        ws.insert_rows(1, 2)
        ws["A1"] = "Cleveland Police: information sharing, July to September 2024"
        ws.insert_rows(5)  # a blank row between data rows
        last = ws.max_row + 1
        for col, value in zip("ABCD", ("Total", 12, 40, 33), strict=True):
            ws[f"{col}{last}"] = value

    _edit(folder(returns) / POLICE, change)
    got = outcome(returns)
    assert got.code == 0, got.output
    assert [i[1:3] for i in got.issues(POLICE)] == [("A9", "V-TOTALS-ROW")]
    assert got.headline("4.1.2", "Tees") == (
        12.0,
        "ok",
    )  # 3 a local authority; the total not added again


def test_hidden_sheet_is_read_with_a_warning(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    _edit(folder(returns) / POLICE, lambda wb: setattr(wb["Workforce"], "sheet_state", "hidden"))
    got = outcome(returns)
    assert got.code == 0
    assert [i[:3] for i in got.issues(POLICE)] == [("Workforce", None, "V-SHEET-HIDDEN")]
    assert got.headline("E1.1", "Tees") == (6.2, "ok")


# ------------------------------------------------------------------------------ cell values


def test_dates_and_numbers_typed_as_text(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    def change(wb: Any) -> None:
        wb["Information sharing"]["C2"] = " 10 "  # investigations concluded, as text
        wb["Information sharing"]["B2"] = "1,000"  # thousands separator
        wb["Information sharing"]["B2"] = "3"

    _edit(folder(returns) / POLICE, change)
    path = folder(returns) / HARTLEPOOL
    _edit(path, lambda wb: setattr(wb["Strategy discussions"]["C2"], "value", "23/08/2024"))
    got = outcome(returns)
    assert got.issues(POLICE) == [] and got.issues(HARTLEPOOL) == []
    assert got.headline("4.1.4", "Tees") == (82.5, "ok")
    assert got.headline("3.2.1", "Hartlepool") == (60.0, "ok")


def test_impossible_dates_and_words_for_numbers(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    _edit(
        folder(returns) / HARTLEPOOL,
        lambda wb: setattr(wb["Strategy discussions"]["D3"], "value", "30/02/2024"),
    )
    _edit(folder(returns) / POLICE, lambda wb: setattr(wb["Workforce"]["C3"], "value", "ten"))
    got = outcome(returns)
    assert got.code == 1
    assert [i[:3] for i in got.issues(HARTLEPOOL)] == [
        ("Strategy discussions", "D3", "V-TYPE-DATE")
    ]
    assert [i[:3] for i in got.issues(POLICE)] == [("Workforce", "C3", "V-TYPE-NUMBER")]
    assert got.status[("hartlepool_csc", "referrals")] == "received"
    got.others_still_computed()


def _cached_formula(
    path: Path, sheet_xml: str, cell: str, formula: str, cached: str | None
) -> None:
    """Put a formula in a cell, with (or without) the value Excel saves beside it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts[sheet_xml].decode()
    start = xml.index(f'<c r="{cell}"')
    end = xml.index("</c>", start) + 4
    value = f"<v>{cached}</v>" if cached is not None else ""
    parts[sheet_xml] = (
        xml[:start] + f'<c r="{cell}"><f>{formula}</f>{value}</c>' + xml[end:]
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _sheet_part(path: Path, title: str) -> str:
    wb = load_workbook(path, read_only=True)
    return f"xl/worksheets/sheet{wb.sheetnames.index(title) + 1}.xml"


def test_formulas_use_their_saved_values(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    path = folder(returns) / POLICE
    _cached_formula(path, _sheet_part(path, "Information sharing"), "B2", "1+2", "3")
    got = outcome(returns)
    assert got.issues(POLICE) == []
    assert got.headline("4.1.2", "Tees") == (12.0, "ok")


def test_formula_without_a_saved_value_says_so(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    path = folder(returns) / POLICE
    _cached_formula(path, _sheet_part(path, "Information sharing"), "B2", "1+2", None)
    got = outcome(returns)
    ((sheet, cell, code, message),) = got.issues(POLICE)
    assert (sheet, cell, code) == ("Information sharing", "B2", "V-REQUIRED")
    assert "formula whose result was not saved" in message
    got.others_still_computed()


def test_merged_cells_say_so(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    def change(wb: Any) -> None:
        wb["Workforce"].merge_cells("B2:B3")  # Service or team, rows 2 and 3

    _edit(folder(returns) / POLICE, change)
    got = outcome(returns)
    ((sheet, cell, code, message),) = got.issues(POLICE)
    assert (sheet, cell, code) == ("Workforce", "B3", "V-REQUIRED")
    assert "merged cells B2:B3" in message


def test_value_outside_its_code_list_and_text_that_looks_like_a_formula(
    returns: Path, outcome: Callable[[Path], Outcome], tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://example.invalid","click")'

    def change(wb: Any) -> None:
        cell = wb["Referrals"]["D2"]
        cell.value = formula
        cell.data_type = "s"  # typed as text, as an agency pasting it would send it

    _edit(folder(returns) / HARTLEPOOL, change)
    got = outcome(returns)
    ((sheet, cell, code, _),) = got.issues(HARTLEPOOL)
    assert (sheet, cell, code) == ("Referrals", "D2", "V-CODE")
    assert got.status[("hartlepool_csc", "strategy_discussions")] == "received"
    book = tmp_path / "out" / "2024Q3" / "feedback" / "hartlepool_csc-2024Q3-feedback.xlsx"
    ws = load_workbook(book)["Issues"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells), book  # text, never a formula
    shared = load_workbook(tmp_path / "out" / "2024Q3" / "validation.xlsx")["Issues"]
    assert not any(c.value == formula for row in shared.iter_rows() for c in row)  # no values


def test_control_characters_in_a_child_reference_and_a_code(
    returns: Path, outcome: Callable[[Path], Outcome], tmp_path: Path
) -> None:
    path = folder(returns) / HARTLEPOOL
    part = _sheet_part(path, "Strategy discussions")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[part] = (
        parts[part]
        .replace(f">{SECRET}001<".encode(), f">{SECRET}\x02001<".encode())
        .replace(b"<t>Yes</t>", b"<t>Yes&#x1f;</t>", 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    got = outcome(returns)
    assert got.code == 0, got.output  # warnings only: no traceback, nothing refused
    assert [i[:3] for i in got.issues(HARTLEPOOL)] == [
        ("Strategy discussions", "B2", "V-CHARACTER"),
        ("Strategy discussions", "E2", "V-CHARACTER"),
    ]
    assert SECRET not in got.output
    own = load_workbook(
        tmp_path / "out" / "2024Q3" / "feedback" / "hartlepool_csc-2024Q3-feedback.xlsx"
    )
    records = [row[-1].value for row in own["Issues"].iter_rows(min_row=2)]
    assert records == [f"{SECRET}001", f"{SECRET}001"]
    assert got.headline("3.2.1", "Hartlepool") == (60.0, "ok")


def test_child_references_only_in_the_agencys_own_feedback(
    returns: Path, outcome: Callable[[Path], Outcome], tmp_path: Path
) -> None:
    _edit(
        folder(returns) / HARTLEPOOL,
        lambda wb: setattr(wb["Strategy discussions"]["H2"], "value", "Maybe"),
    )
    got = outcome(returns)
    assert SECRET not in got.output
    out = tmp_path / "out" / "2024Q3"
    assert SECRET not in (out / "validation.json").read_text()
    shared = load_workbook(out / "validation.xlsx")
    assert not any(SECRET in str(c.value) for ws in shared for row in ws.iter_rows() for c in row)
    own = load_workbook(out / "feedback" / "hartlepool_csc-2024Q3-feedback.xlsx")["Issues"]
    records = [row[-1].value for row in own.iter_rows(min_row=2)]
    assert records == [f"{SECRET}001"]  # the row's child reference, so the agency can find it
    other = load_workbook(out / "feedback" / "stockton_csc-2024Q3-feedback.xlsx")["Issues"]
    assert other.max_row == 1


# ---------------------------------------------------------------------- which return is it


def test_two_returns_from_one_agency(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    shutil.copy(folder(returns) / POLICE, folder(returns) / "police final v2.xlsx")
    got = outcome(returns)
    assert [i[2] for i in got.issues(POLICE)] == ["F-DUPLICATE"]
    assert "sent 2 returns for 2024Q3" in got.issues(POLICE)[0][3]
    got.others_still_computed()


def test_a_return_for_another_quarter(
    returns: Path, outcome: Callable[[Path], Outcome], catalogue: Catalogue
) -> None:
    agency = catalogue.agency("cleveland_police")
    assert agency is not None
    (folder(returns) / POLICE).unlink()
    write_return(
        catalogue, agency, Q.shift(-1), FIXTURE["cleveland_police"], folder(returns), "police.xlsx"
    )
    got = outcome(returns)
    assert [i[2:] for i in got.issues("police.xlsx")] == [
        ("F-WRONG-QUARTER", "this is the return for 2024Q2, not 2024Q3")
    ]
    got.others_still_computed()


def test_a_workbook_that_names_no_agency(returns: Path, outcome: Callable[[Path], Outcome]) -> None:
    _edit(folder(returns) / POLICE, lambda wb: wb.remove(wb["_meta"]))
    (folder(returns) / POLICE).rename(folder(returns) / "police figures.xlsx")
    got = outcome(returns)
    assert [i[2] for i in got.issues("police figures.xlsx")] == ["F-UNIDENTIFIED"]
    got.others_still_computed()


def test_named_by_file_name_when_the_metadata_is_gone(
    returns: Path, outcome: Callable[[Path], Outcome]
) -> None:
    _edit(folder(returns) / POLICE, lambda wb: wb.remove(wb["_meta"]))
    got = outcome(returns)
    assert got.code == 0 and got.issues(POLICE) == []
