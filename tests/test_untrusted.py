"""Returns are untrusted input: nothing in one reaches a message or a log, links are not
followed, dates and numbers are never reinterpreted, and reading stays within bounds however
the file is built."""

from __future__ import annotations

import datetime as dt
import logging
import re
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl.xml
import pytest
from openpyxl import load_workbook

from tees_dataset.catalogue.models import Catalogue, Column
from tees_dataset.quarter import Quarter
from tees_dataset.report import Issue, Level
from tees_dataset.returns import (
    FileResult,
    QuarterReturns,
    discover,
    extent,
    limits,
    load_quarter,
    read,
)
from tees_dataset.returns.cache import ReturnCache, quarter_key
from tees_dataset.returns.cells import _date_limits
from tees_dataset.returns.read import ReturnFileError, Workbook, blank_cell_causes
from tees_dataset.returns.sample import write_return
from tees_dataset.returns.workbook import append_row, as_found, sheet_columns, xml_safe

from .fixture_returns import FIXTURE, SECRET, Q, strategy, workforce, write_fixture

D = dt.date
MARKER = "ZQX7MARK"  # stands for any text an agency might put anywhere in its workbook


def write(tmp_path: Path, catalogue: Catalogue, agency_id: str, name: str | None = None,
          rows: dict[str, Any] | None = None, quarter: Quarter = Q, **kwargs: Any) -> Path:  # fmt: skip
    agency = catalogue.agency(agency_id)
    assert agency is not None
    rows = {**FIXTURE[agency_id], **(rows or {})}
    return write_return(catalogue, agency, quarter, rows, tmp_path / str(Q), name, **kwargs)


def edit(path: Path, change: Callable[[Any], None]) -> None:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


def sheet_part(path: Path, title: str) -> str:
    wb = load_workbook(path, read_only=True)
    return f"xl/worksheets/sheet{wb.sheetnames.index(title) + 1}.xml"


def patch_part(path: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of a workbook's archive, as a hand-made (or hostile) file would be."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[part] = change(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def codes(returns: QuarterReturns, file: str) -> list[tuple[str | None, str | None, str]]:
    return [(i.location.sheet, i.location.cell, i.code) for i in returns.issues
            if i.location.file == file]  # fmt: skip


# ------------------------------------------------------------- 1. characters XML cannot hold


def test_characters_a_workbook_cannot_hold_are_removed_and_reported(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = write(tmp_path, catalogue, "hartlepool_csc")
    part = sheet_part(path, "Strategy discussions")
    # A child reference and a code with control characters in them, as pasted from a case
    # management system (calamine reads the raw byte and the character reference alike).
    patch_part(path, part, lambda xml: xml.replace(b">CHILD-SECRET-001<", b">CHILD-SECRET-\x02001<")
               .replace(b"<t>S47 joint</t>", b"<t>S47 &#x1;joint\xef\xbf\xbe</t>", 1))  # fmt: skip
    loaded = load_quarter(catalogue, Q, tmp_path)
    found = [i for i in loaded.issues if i.code == "V-CHARACTER"]
    assert [(i.location.sheet, i.location.cell, i.level.value) for i in found] == [
        ("Strategy discussions", "B2", "warning"),
        ("Strategy discussions", "H2", "warning"),
    ]
    assert all(i.value is None and "removed" in i.message and i.fix for i in found)
    assert found[0].record == f"{SECRET}001"  # cleaned: the agency can find the row
    assert loaded.status[("hartlepool_csc", "strategy_discussions")] == "received"
    assert loaded.frames["strategy_discussions"]["outcome"].to_list()[:1] == ["S47 joint"]


def test_metadata_and_comment_are_cleaned_too(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write(tmp_path, catalogue, "cleveland_police", comment="Figures are final.")
    patch_part(path, sheet_part(path, "Guidance"),
               lambda xml: xml.replace(b"Figures are final.", b"Figures are\x07 final."))  # fmt: skip
    loaded = load_quarter(catalogue, Q, tmp_path)
    (file,) = [f for f in loaded.files if f.agency_id == "cleveland_police"]
    assert file.comment == "Figures are final."
    assert [(i.code, i.location.sheet) for i in file.issues] == [("F-CHARACTER", "Guidance")]


def test_every_workbook_writer_drops_what_xml_cannot_hold_and_keeps_formulas_as_text() -> None:
    from openpyxl import Workbook as OpenpyxlWorkbook

    assert xml_safe("a\x00b\x1fc\td\ne\rf\ud800g\ufffeh\uffffi") == "abc\td\ne\rfghi"
    wb = OpenpyxlWorkbook()
    ws = wb.active
    assert ws is not None
    append_row(ws, ["ref\x02", "\x01=HYPERLINK(1)", 3, None])
    assert [c.value for c in ws[1]] == ["ref", "=HYPERLINK(1)", 3, None]
    assert ws["B1"].data_type == "s"  # text, never a formula


def test_feedback_and_reports_are_written_whatever_an_issue_holds(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    from tees_dataset.returns.feedback import write_agency_feedback, write_validation_xlsx

    issue = Issue(Level.WARNING, "X", "message\x02", fix="=fix\x0b", agency="hartlepool_csc",
                  value="\x02value", personal=True, record="REF\x03")  # fmt: skip
    returns = QuarterReturns(Q, tmp_path, [FileResult(tmp_path / "f.xlsx", "", issues=[issue])],
                             {}, {("hartlepool_csc", "workforce"): "received"})  # fmt: skip
    write_validation_xlsx(catalogue, returns, tmp_path / "validation.xlsx")
    (own,) = write_agency_feedback(catalogue, returns, tmp_path / "feedback")
    row = [c.value for c in next(load_workbook(own)["Issues"].iter_rows(min_row=2))]
    assert row[6:] == ["message", "=fix", "value", "REF"]


# ------------------------------------------------------------- 2. no value in any message


def _hostile(tmp_path: Path, catalogue: Catalogue) -> None:
    """Workbooks with the marker in every cell, metadata field and sheet name they can hold."""
    # Every cell of every return sheet, headings too on one sheet; extra columns and sheets
    # named with it; the comment; metadata fields the template does not need.
    path = write(tmp_path, catalogue, "hartlepool_csc", comment=MARKER)

    def fill(wb: Any) -> None:
        for spec in catalogue.returns_of("hartlepool_csc"):
            ws = wb[spec.sheet]
            width = len(sheet_columns(spec))
            for row in range(2, max(ws.max_row, 3) + 1):
                for column in range(1, width + 3):
                    ws.cell(row=row, column=column, value=f"{MARKER}{row}")
            ws.cell(row=1, column=width + 1, value=MARKER)
        for column in range(1, 6):
            wb["Exploitation"].cell(row=1, column=column, value=MARKER)
        wb["Workforce"].title = MARKER
        wb.create_sheet(f"{MARKER} notes")
        wb["_meta"].append(["catalogue_version", MARKER])
        wb["_meta"].append([MARKER, MARKER])

    edit(path, fill)
    # Metadata naming an agency, and a quarter, that are any text at all.
    for agency_id, key, name in (("stockton_csc", "agency", "stockton return.xlsx"),
                                 ("middlesbrough_csc", "quarter", "middlesbrough return.xlsx")):  # fmt: skip
        other = write(tmp_path, catalogue, agency_id, name)

        def meta(wb: Any, key: str = key) -> None:
            for row in wb["_meta"].iter_rows():
                if row[0].value == key:
                    row[1].value = f"{MARKER} '{key}' <b>"

        edit(other, meta)
    # A sheet calamine cannot read, whose error quotes the file's text.
    redcar = write(tmp_path, catalogue, "redcar_csc")
    patch_part(redcar, sheet_part(redcar, "Referrals"),
               lambda xml: xml.replace(b"<t>Police</t>", f"<t>&{MARKER};</t>".encode(), 1))  # fmt: skip


def test_nothing_from_a_return_reaches_a_message_or_a_log(
    tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    import tees_dataset.returns.load as returns_module

    _hostile(tmp_path, catalogue)
    real = returns_module.validate_sheets

    def faulty(spec: Any, catalogue: Catalogue, sheets: Any) -> Any:
        if spec.id == "early_help":  # a fault whose text quotes a cell
            raise ValueError(f"could not parse {MARKER}")
        return real(spec, catalogue, sheets)

    monkeypatch.setattr(returns_module, "validate_sheets", faulty)
    caplog.set_level(logging.DEBUG)
    loaded = load_quarter(catalogue, Q, tmp_path)
    issues = loaded.issues
    found = {i.code for i in issues}
    assert {"V-TYPE-DATE", "V-CODE", "V-AREA", "V-COLUMN-EXTRA", "V-HEADER", "V-SHEET-MISSING",
            "F-UNKNOWN-AGENCY", "F-WRONG-QUARTER", "V-SHEET-UNREADABLE", "V-INTERNAL"} <= found  # fmt: skip
    for issue in issues:
        shown = [issue.message, issue.fix, str(issue), issue.location.sheet or "",
                 issue.location.cell or "", *(issue.to_dict()["location"].values())]  # fmt: skip
        assert not any(MARKER in str(text) for text in shown), issue
    assert MARKER not in caplog.text
    # The marker was read: it is in the issues' values (kept out of shared reports when the
    # column holds a child reference).
    assert any(MARKER in (i.value or "") for i in issues if not i.personal)
    assert all("value" not in i.to_dict() for i in issues)  # shared reports: no values at all


def test_labels_from_a_workbook_are_kept_only_as_values() -> None:
    # Never quoted in a message, however short and plain: a child reference is both.
    assert as_found("Workforce Q2") == "Workforce Q2"
    assert as_found("FTE  in posts ") == "FTE in posts"
    assert as_found("Workforce\x02") == "Workforce"


def test_an_unknown_agency_is_never_named(tmp_path: Path, catalogue: Catalogue) -> None:
    write(tmp_path, catalogue, "cleveland_police", "police_service-2024Q3.xlsx")
    for path in (tmp_path / str(Q)).iterdir():
        edit(path, lambda wb: wb.remove(wb["_meta"]))
    loaded = load_quarter(catalogue, Q, tmp_path)
    (issue,) = loaded.issues
    assert issue.message == "the file name names an agency that is not in the catalogue"
    assert issue.value == "police_service"


# ------------------------------------------------------------- 3. metadata and file name


def _misfiled(tmp_path: Path, catalogue: Catalogue, genuine: bool) -> None:
    """Stockton's return saved under Hartlepool's name, beside Stockton's own (or not)."""
    write(tmp_path, catalogue, "stockton_csc", "hartlepool_csc-2024Q3.xlsx")
    if genuine:
        write(tmp_path, catalogue, "stockton_csc")


def test_a_misnamed_return_does_not_knock_out_the_genuine_one(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    _misfiled(tmp_path, catalogue, genuine=True)
    loaded = load_quarter(catalogue, Q, tmp_path)
    (issue,) = loaded.issues
    assert (issue.code, issue.level.value, issue.location.file, issue.agency) == (
        "F-NAME-MISMATCH", "error", "hartlepool_csc-2024Q3.xlsx", "stockton_csc",
    )  # fmt: skip
    assert "stockton_csc-2024Q3.xlsx is used" in issue.message
    assert "Hartlepool" in issue.message and "Stockton" in issue.message
    assert loaded.status[("stockton_csc", "workforce")] == "received"
    assert loaded.status[("hartlepool_csc", "workforce")] == "missing"
    (used,) = [f for f in loaded.files if f.received]
    assert used.path.name == "stockton_csc-2024Q3.xlsx"


def test_a_misnamed_return_alone_is_not_used(tmp_path: Path, catalogue: Catalogue) -> None:
    _misfiled(tmp_path, catalogue, genuine=False)
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert [(i.code, i.location.file) for i in loaded.issues] == [
        ("F-NAME-MISMATCH", "hartlepool_csc-2024Q3.xlsx")
    ]
    assert "it was not used" in loaded.issues[0].message
    assert loaded.status[("stockton_csc", "workforce")] == "rejected"
    assert loaded.status[("hartlepool_csc", "workforce")] == "missing"


def test_two_misnamed_returns_are_duplicates(tmp_path: Path, catalogue: Catalogue) -> None:
    write(tmp_path, catalogue, "stockton_csc", "hartlepool_csc-2024Q3.xlsx")
    write(tmp_path, catalogue, "stockton_csc", "redcar_csc-2024Q3.xlsx")
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert [i.code for i in loaded.issues] == ["F-DUPLICATE", "F-DUPLICATE"]
    assert loaded.status[("stockton_csc", "workforce")] == "rejected"


# ------------------------------------------------------------------------------ 4. links


def test_links_in_the_quarter_folder_are_not_followed(tmp_path: Path, catalogue: Catalogue) -> None:
    write(tmp_path, catalogue, "cleveland_police")
    folder = tmp_path / str(Q)
    outside = tmp_path / "target_dir"
    outside.mkdir()
    secret = outside / "passwd"
    secret.write_text("root:x:0:0\n")
    real = write(tmp_path, catalogue, "stockton_csc")
    real.rename(outside / real.name)
    (folder / "stockton_csc-2024Q3.xlsx").symlink_to(outside / real.name)
    (folder / "passwd.xlsx").symlink_to(secret)
    (folder / "received.csv").symlink_to(secret)
    paths, issues = discover(folder)
    assert [p.name for p in paths] == ["cleveland_police-2024Q3.xlsx"]
    assert sorted((i.code, i.location.file) for i in issues) == [
        ("F-LINK", "passwd.xlsx"), ("F-LINK", "received.csv"),
        ("F-LINK", "stockton_csc-2024Q3.xlsx"),
    ]  # fmt: skip
    assert not any("target_dir" in str(i) or "root:" in str(i) for i in issues)
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert [f.path.name for f in loaded.files if f.sha256] == ["cleveland_police-2024Q3.xlsx"]
    assert loaded.status[("stockton_csc", "workforce")] == "missing"
    # What a link points to is never hashed: changing it changes no cache key.
    key = quarter_key(folder, "c", "v")
    secret.write_text("changed\n")
    assert quarter_key(folder, "c", "v") == key


def test_a_quarter_folder_linked_from_outside_is_refused(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, catalogue, "cleveland_police")
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / str(Q)).symlink_to(elsewhere / str(Q))
    loaded = load_quarter(catalogue, Q, returns)
    assert [(i.code, i.level.value) for i in loaded.issues] == [("F-FOLDER-LINK", "error")]
    assert loaded.status[("cleveland_police", "workforce")] == "missing"
    assert quarter_key(returns / str(Q), "c", "v") is None
    # A link to a folder inside the returns folder is followed.
    (returns / str(Q)).unlink()
    (elsewhere / str(Q)).rename(returns / "archive")
    (returns / str(Q)).symlink_to(returns / "archive")
    loaded = load_quarter(catalogue, Q, returns)
    assert loaded.issues == []
    assert loaded.status[("cleveland_police", "workforce")] == "received"


# ------------------------------------------------------------- 5. dates and numbers


def test_dates_and_numbers_are_never_reinterpreted(tmp_path: Path, catalogue: Catalogue) -> None:
    short = strategy(1, D(2024, 7, 1), D(2024, 7, 1))
    short["referral_date"] = "01/07/24"  # not the year 24
    old = strategy(2, D(2024, 7, 1), D(2024, 7, 1))
    old["referral_date"] = "01/07/1924"
    row = workforce("hartlepool", 10, 1)
    row["fte_in_post"] = "1,5"  # not 15
    plans = [{"child_ref": f"{SECRET}P1", "plan_start": "01/07/1989", "category": "Neglect",
              "subsequent_plan": "No"}]  # fmt: skip
    missing = [
        {"child_ref": f"{SECRET}M1", "missing_from": D(2024, 7, 1), "returned": D(2026, 1, 1)},
        {"child_ref": f"{SECRET}M2", "missing_from": D(2024, 7, 1), "returned": D(2025, 9, 30)},
    ]  # the second is within a year of the quarter's end: read
    contacts = [{"source": "Police", "contacts": "1,500", "became_referrals": "4"}]
    write(tmp_path, catalogue, "hartlepool_csc", rows={
        "strategy_discussions": [short, old], "workforce": [row],
        "child_protection_plans": plans, "contacts": contacts, "missing_episodes": missing,
    })  # fmt: skip
    loaded = load_quarter(catalogue, Q, tmp_path)
    got = {(i.location.sheet, i.location.cell): i for i in loaded.issues}
    assert sorted((s, c, i.code) for (s, c), i in got.items()) == [
        ("Child protection plans", "C2", "V-DATE-RANGE"),
        ("Missing episodes", "D2", "V-DATE-RANGE"),
        ("Strategy discussions", "C2", "V-DATE-YEAR"),
        ("Strategy discussions", "C3", "V-DATE-RANGE"),
        ("Workforce", "C2", "V-DECIMAL-COMMA"),
    ]
    assert got[("Strategy discussions", "C2")].fix == "Write the year in full, e.g. 01/07/2024."
    assert "before 01/01/1990" in got[("Child protection plans", "C2")].message
    assert "after 30/09/2025" in got[("Missing episodes", "D2")].message
    assert got[("Workforce", "C2")].value == "1,5"
    for issue in got.values():  # the value is in `value`, never in the message
        assert issue.value and issue.value not in issue.message
    assert loaded.frames["contacts"]["contacts"].to_list() == [1500]  # thousands: read
    assert loaded.status[("hartlepool_csc", "missing_episodes")] == "rejected"


def test_plausible_dates_depend_on_the_column() -> None:
    def column(name: str) -> Column:
        return Column(name=name, title=name.replace("_", " ").capitalize(), type="date")

    assert _date_limits(column("referral_date")) == (D(1990, 1, 1), 365)
    assert _date_limits(column("date_of_birth")) == (D(1900, 1, 1), 0)
    assert _date_limits(column("due_date"))[1] > 365


# ------------------------------------------------------------- 6. bounded reading


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.mark.parametrize("sheet", ["Workforce", "_meta"])
def test_entity_expansion_is_refused(tmp_path: Path, catalogue: Catalogue, sheet: str) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    write(tmp_path, catalogue, "stockton_csc")

    def laughs(xml: bytes) -> bytes:
        text = xml.decode()
        text = text.replace("<worksheet", _LAUGHS + "<worksheet", 1)
        return re.sub(r"<t>[^<]*</t>", "<t>&lol9;</t>", text, count=1).encode()

    patch_part(path, sheet_part(path, sheet), laughs)
    started = time.monotonic()
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert time.monotonic() - started < 30
    assert codes(loaded, path.name) == [(None, None, "F-UNSAFE")]
    assert loaded.status[("stockton_csc", "workforce")] == "received"
    # The streaming reads refuse it too, should such a file get that far.
    assert blank_cell_causes(path, sheet, {"B2"}) == {}


def _lie_about_sizes(path: Path, member: str) -> None:
    """Say in the archive's headers that `member` unpacks to one byte."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = struct.pack("<I", 1)
            at += 4
    path.write_bytes(bytes(data))


def test_a_bomb_that_lies_about_its_size_is_refused(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * 30_000_000)
    _lie_about_sizes(path, "xl/media/padding.bin")
    with zipfile.ZipFile(path) as archive:
        assert sum(i.file_size for i in archive.infolist()) < 1_000_000  # what it declares
    with pytest.raises(ReturnFileError) as refused:
        read.inspect_file(path)
    assert refused.value.issue.code == "F-TOO-LARGE"


def test_an_archive_of_too_many_parts_is_refused(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    monkeypatch.setattr(limits, "MAX_PARTS", 5)
    with pytest.raises(ReturnFileError) as refused:
        read.inspect_file(path)
    assert refused.value.issue.code == "F-TOO-LARGE"


class _NoLoading:
    """Stands in for calamine's sheet loader: a sheet over the limits must never get there."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)

    def load_sheet(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("calamine was asked to load a sheet over the limits")


def _extra_cells(cells: str) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", cells.encode() + b"</sheetData>", 1)


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ('<row r="2000000"><c r="A2000000"><v>1</v></c></row>', "V-TOO-MANY-ROWS"),
        ('<row r="50000"><c r="XFD50000"><v>1</v></c></row>', "V-SHEET-TOO-LARGE"),
        (
            '<row r="40000"><c r="A1"><v>1</v></c><c r="ZZ39999" t="n"><v>1</v></c></row>',
            "V-SHEET-TOO-LARGE",
        ),
        ('<row r="99"><c s="0" r="B1048577"><v>1</v></c></row>', "V-TOO-MANY-ROWS"),
        ("<row r='1500000'><c><v>1</v></c></row>", "V-TOO-MANY-ROWS"),
        ('<row r="3000"><c r = "a1100000"><v>1</v></c></row>', "V-TOO-MANY-ROWS"),
    ],
)
def test_a_sheet_over_the_limits_is_refused_before_it_is_loaded(
    tmp_path: Path, catalogue: Catalogue, cells: str, code: str
) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    patch_part(path, sheet_part(path, "Workforce"), _extra_cells(cells))
    workbook = Workbook(path)
    workbook._reader = _NoLoading(workbook._reader)
    with pytest.raises(ReturnFileError) as refused:
        workbook.raw_sheet("Workforce")
    assert (refused.value.issue.code, refused.value.issue.location.sheet) == (code, "Workforce")
    workbook = Workbook(path)
    assert workbook.raw_sheet("Information sharing").frame.height == 5  # the others are read


def test_the_screen_reads_a_sheet_the_same_however_it_is_cut(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(sheet_part(path, "Workforce"))
    far = _extra_cells('<row r="2000000"><c r="A2000000"><v>1</v></c></row>')(xml)
    for size in (1, 7, 64, len(xml)):
        for data, flagged in ((xml, False), (far, True)):
            screen = extent.Screen()
            for at in range(0, len(data), size):
                screen.feed(data[at : at + size])
            screen.close()
            assert screen.flagged is flagged, size


def test_cells_written_otherwise_are_measured_exactly(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write(tmp_path, catalogue, "cleveland_police")
    # Formatted but empty cells far away take no room; cells without a place take the next one.
    cells = '<row r="900000"><c r="Z900000" s="1"/></row><row r="6"><c><v>1</v></c><c><v>2</v></c></row>'
    patch_part(path, sheet_part(path, "Workforce"), _extra_cells(cells))
    workbook = Workbook(path)
    assert workbook.extent("Workforce") == read.Extent(6, 6)
    assert workbook.raw_sheet("Workforce").frame.height == 6


def test_repeated_cells_in_an_ods_are_counted_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def bomb(rows: int, columns: int) -> Path:
        doc = OpenDocumentSpreadsheet()
        table = Table(name="Workforce")
        row = TableRow(numberrowsrepeated=rows)
        cell = TableCell(valuetype="string", numbercolumnsrepeated=columns)
        cell.addElement(P(text="x"))
        row.addElement(cell)
        table.addElement(row)
        tail = TableRow(numberrowsrepeated=1_000_000)  # LibreOffice ends each table so: harmless
        tail.addElement(TableCell(numbercolumnsrepeated=1_024))
        table.addElement(tail)
        doc.spreadsheet.addElement(table)
        path = tmp_path / f"bomb-{rows}.ods"
        doc.save(str(path))
        return path

    assert Workbook(bomb(30, 20)).extent("Workforce") == read.Extent(30, 20)
    # A few hundred bytes that calamine would spread over as many cells as they say, every
    # table as it opens the file (here kept small, with the limit lowered to match).
    path = bomb(1_000, 100)
    assert path.stat().st_size < 10_000
    monkeypatch.setattr(limits, "MAX_CELLS", 50_000)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("calamine was given the file")

    monkeypatch.setattr(read.fastexcel, "read_excel", never)
    with pytest.raises(ReturnFileError) as refused:
        Workbook(path)
    assert refused.value.issue.code == "V-SHEET-TOO-LARGE"


def test_a_legacy_workbook_with_a_cell_past_its_grid_is_refused_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Workforce")
    sheet.write(0, 0, "Local authority")
    sheet.write(5, 3, 12.5)
    path = tmp_path / "police.xls"
    book.save(str(path))
    assert Workbook(path).extent("Workforce") == read.Extent(6, 4)
    # The number's record (RK) moved to row 60,000, column 60,000: past the 256 columns of the
    # format, and a sheet calamine would lay out whole (every sheet, as it opens the file).
    data = path.read_bytes()
    record = struct.pack("<HHHH", 0x027E, 10, 5, 3)
    assert data.count(record) == 1
    path.write_bytes(data.replace(record, struct.pack("<HHHH", 0x027E, 10, 60_000, 60_000)))

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("calamine was given the file")

    monkeypatch.setattr(read.fastexcel, "read_excel", never)
    with pytest.raises(ReturnFileError) as refused:
        Workbook(path, known_sheets={"Workforce"})  # a sheet is named only if the template's
    assert (refused.value.issue.code, refused.value.issue.location.sheet) == (
        "V-SHEET-TOO-LARGE", "Workforce",
    )  # fmt: skip


def test_blank_cells_are_explained_from_a_streamed_sheet(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    path = write(tmp_path, catalogue, "cleveland_police")
    edit(path, lambda wb: wb["Workforce"].merge_cells("B2:B3"))
    patch_part(path, sheet_part(path, "Workforce"),
               lambda xml: re.sub(rb'<c r="C4"[^>]*>.*?</c>', b'<c r="C4"><f>1+2</f></c>', xml))  # fmt: skip

    def no_full_load(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the sheet was loaded whole")

    monkeypatch.setattr(openpyxl, "load_workbook", no_full_load)
    causes = blank_cell_causes(path, "Workforce", {"B3", "C4", "D5"})
    assert sorted(causes) == ["B3", "C4"]
    assert "merged cells B2:B3" in causes["B3"][0]
    assert "formula" in causes["C4"][0]
    # Within its bound, or it gives up quietly: a blank is then only a blank.
    monkeypatch.setattr(limits, "MAX_EXPLAIN_BYTES", 100)
    assert blank_cell_causes(path, "Workforce", {"B3", "C4"}) == {}


# ------------------------------------------------------------- 7. the synthetic mark


def test_synthetic_returns_are_marked_and_the_mark_survives_the_cache(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    write(tmp_path, catalogue, "cleveland_police", synthetic=True)
    write(tmp_path, catalogue, "stockton_csc")
    loaded = load_quarter(catalogue, Q, tmp_path)
    marks = {f.agency_id: f.synthetic for f in loaded.files}
    assert marks == {"cleveland_police": True, "stockton_csc": False}
    cache = ReturnCache(tmp_path / "cache")
    cache.save("key", loaded)
    again = cache.load("key", Q, loaded.folder)
    assert again is not None
    assert {f.agency_id: f.synthetic for f in again.files} == marks


def test_the_fixture_quarter_reads_as_before(tmp_path: Path, catalogue: Catalogue) -> None:
    """The fixture's one bad sheet (Redcar's strategy before its referral) is all there is."""
    write_fixture(catalogue, tmp_path)
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert {i.code for i in loaded.issues} == {"R3.2-001"}
