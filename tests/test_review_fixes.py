"""Nothing a return holds reaches a shared output; one bad input never stops the others; figures
are right or missing. Each test here stands for a way those promises were once broken."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app
from tees_dataset.returns import load_quarter
from tees_dataset.returns.sample import write_return

from .fixture_returns import FIXTURE, SECRET, Q
from .test_untrusted import patch_part, sheet_part

ROOT = Path(__file__).resolve().parent.parent
# Stands for anything an agency may type anywhere: a child reference is short and plain too.
MARKER = "MARKER-Q7Z"
HARTLEPOOL = "hartlepool_csc-2024Q3.xlsx"
POLICE = "cleveland_police-2024Q3.xlsx"


def edit(path: Path, change: Callable[[Any], None]) -> None:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


class Validated:
    """`tees-dataset validate` run over the returns: what it printed and logged, and wrote."""

    def __init__(self, returns: Path, out: Path) -> None:
        log = out.parent / "run.log"
        result = CliRunner().invoke(
            app, ["--log-file", str(log), "validate", "--quarter", str(Q), "--returns",
                  str(returns), "--out", str(out), "--catalogue", str(ROOT / "indicators.yaml")],
        )  # fmt: skip
        self.code, self.output = result.exit_code, result.output
        self.log = log.read_text(encoding="utf-8") if log.exists() else ""
        self.folder = out / str(Q)
        self.json_text = (self.folder / "validation.json").read_text(encoding="utf-8")
        self.report = json.loads(self.json_text)

    def shared_cells(self) -> list[str]:
        wb = load_workbook(self.folder / "validation.xlsx")
        return [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]

    def feedback(self, agency: str) -> list[dict[str, Any]]:
        ws = load_workbook(self.folder / "feedback" / f"{agency}-{Q}-feedback.xlsx")["Issues"]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    def issues(self, file: str) -> list[dict[str, Any]]:
        return [i for i in self.report["issues"] if i["location"]["file"] == file]

    def assert_nothing_shared(self, text: str) -> None:
        assert text not in self.output
        assert text not in self.log
        assert text not in self.json_text
        assert not any(text in cell for cell in self.shared_cells())


@pytest.fixture
def validate(tmp_path: Path) -> Callable[[Path], Validated]:
    return lambda returns: Validated(returns, tmp_path / "out")


# ------------------------------------------- 1. the shared reports carry no value of a cell


def test_shared_reports_carry_no_cell_value_only_the_agencys_feedback_does(
    returns: Path, validate: Callable[[Path], Validated]
) -> None:
    def hartlepool(wb: Any) -> None:
        wb["Referrals"]["G1"] = f"{MARKER} notes"  # a heading: V-COLUMN-EXTRA
        wb["Referrals"]["C2"] = f"{MARKER}-date"  # a date: V-TYPE-DATE
        wb["Referrals"]["D3"] = f"{MARKER}-code"  # a code: V-CODE
        wb["Workforce"]["C2"] = f"{MARKER}-number"  # a number: V-TYPE-NUMBER
        wb["Contacts"]["D2"] = 999  # more referrals than contacts: rule R1.2-001

    edit(returns / str(Q) / HARTLEPOOL, hartlepool)
    edit(returns / str(Q) / POLICE, lambda wb: wb["Workforce"].__setitem__("A2", MARKER))  # V-AREA
    got = validate(returns)
    codes = {i["code"] for i in got.report["issues"]}
    assert {"V-COLUMN-EXTRA", "V-TYPE-DATE", "V-CODE", "V-TYPE-NUMBER", "V-AREA",
            "R1.2-001"} <= codes  # fmt: skip
    got.assert_nothing_shared(MARKER)
    assert not any({"value", "record", "personal"} & set(i) for i in got.report["issues"])
    headers = load_workbook(got.folder / "validation.xlsx")["Issues"][1]
    assert [c.value for c in headers][-1] == "What to do"
    assert "Value" not in [c.value for c in headers]
    # The agency's own feedback shows what its cells hold, so it can put them right.
    own = {(i["Sheet"], i["Cell"]): i for i in got.feedback("hartlepool_csc")}
    assert own[("Referrals", "G1")]["Value"] == f"{MARKER} notes"
    assert own[("Referrals", "C2")]["Value"] == f"{MARKER}-date"
    assert own[("Referrals", "C2")]["Record (child reference)"].startswith(SECRET)
    assert own[("Contacts", "D2")]["Value"] == "Contacts that became referrals = 999; Contacts = 10"
    police = {(i["Sheet"], i["Cell"]): i for i in got.feedback("cleveland_police")}
    assert police[("Workforce", "A2")]["Value"] == MARKER


# ------------------------------------------ 2. messages quote the catalogue, never the workbook


def test_messages_never_quote_a_sheet_name_or_heading_however_plain(
    returns: Path, validate: Callable[[Path], Validated]
) -> None:
    def rename(wb: Any) -> None:
        wb["Referrals"].title = f"{MARKER} Referrals"
        wb["Contacts"]["B1"] = f"Contact source {MARKER}"

    edit(returns / str(Q) / HARTLEPOOL, rename)
    got = validate(returns)
    issues = {(i["location"]["sheet"], i["code"]): i for i in got.issues(HARTLEPOOL)}
    sheet = issues[(None, "V-SHEET-MISSING")]
    assert (
        sheet["message"] == "the sheet 'Referrals' is missing; a sheet with a similar name is there"
    )
    assert sheet["fix"] == "Rename the sheet named under Value in your feedback to 'Referrals'."
    column = issues[("Contacts", "V-COLUMN-MISSING")]
    assert column["fix"] == "Rename the column headed in B1 to 'Contact source'."
    got.assert_nothing_shared(MARKER)
    own = {(i["Sheet"], i["Code"]): i["Value"] for i in got.feedback("hartlepool_csc")}
    assert own[(None, "V-SHEET-MISSING")] == f"{MARKER} Referrals"
    assert own[("Contacts", "V-COLUMN-MISSING")] == f"Contact source {MARKER}"
    assert own[("Contacts", "V-COLUMN-EXTRA")] == f"Contact source {MARKER}"


def test_an_unknown_agency_is_never_echoed_and_the_closest_known_one_is_suggested(
    returns: Path, validate: Callable[[Path], Validated]
) -> None:
    def meta(value: str) -> Callable[[Any], None]:
        def change(wb: Any) -> None:
            for row in wb["_meta"].iter_rows():
                if row[0].value == "agency":
                    row[1].value = value

        return change

    edit(returns / str(Q) / POLICE, meta("markerq7z_childref"))
    edit(returns / str(Q) / HARTLEPOOL, meta("hartlepool_cs"))
    got = validate(returns)
    (police,) = got.issues(POLICE)
    assert police["code"] == "F-UNKNOWN-AGENCY"
    assert police["message"] == "the metadata names an agency that is not in the catalogue"
    assert police["fix"] == "Use your agency's template."
    (hartlepool,) = got.issues(HARTLEPOOL)
    assert hartlepool["fix"] == "Did you mean 'hartlepool_csc'? Use that agency's template."
    got.assert_nothing_shared("markerq7z")
    got.assert_nothing_shared("hartlepool_cs'")


@pytest.mark.parametrize(
    ("written", "shown"), [("2024Q2", "2024Q2"), ("1234Q1", None), ("MARKERQ7Z", None)]
)
def test_a_wrong_quarter_is_named_only_when_it_is_a_real_quarter(
    tmp_path: Path, catalogue: Catalogue, written: str, shown: str | None
) -> None:
    agency = catalogue.agency("cleveland_police")
    assert agency is not None
    path = write_return(catalogue, agency, Q, FIXTURE["cleveland_police"], tmp_path / str(Q))

    def change(wb: Any) -> None:
        for row in wb["_meta"].iter_rows():
            if row[0].value == "quarter":
                row[1].value = written

    edit(path, change)
    (issue,) = load_quarter(catalogue, Q, tmp_path).issues
    assert issue.code == "F-WRONG-QUARTER"
    if shown:
        assert issue.message == f"this is the return for {shown}, not {Q}"
    else:
        assert issue.message == f"this is the return for an unknown quarter, not {Q}"
        assert issue.value == written
        assert written not in str(issue)


def test_a_refused_sheet_of_a_legacy_workbook_is_named_only_by_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlwt

    from tees_dataset.returns import limits, read

    book = xlwt.Workbook()
    for name in ("Workforce", f"{MARKER} notes"):
        sheet = book.add_sheet(name)
        for row in range(6):
            sheet.write(row, 0, "x")
    path = tmp_path / "police.xls"
    book.save(str(path))
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    with pytest.raises(read.ReturnFileError) as refused:
        read.Workbook(path, known_sheets={"Workforce"})
    assert refused.value.issue.location.sheet == "Workforce"
    book = xlwt.Workbook()
    book.add_sheet("Workforce").write(0, 0, "x")
    sheet = book.add_sheet(f"{MARKER} notes")
    for row in range(6):
        sheet.write(row, 0, "x")
    book.save(str(path))
    with pytest.raises(read.ReturnFileError) as refused:
        read.Workbook(path, known_sheets={"Workforce"})
    issue = refused.value.issue
    assert issue.location.sheet is None and issue.value == f"{MARKER} notes"
    assert MARKER not in str(issue)


# ------------------------------------------------- 3. a bad received.csv never stops a run

_GOOD_LOG = f"agency,received\ncleveland_police,2024-10-09\nhartlepool_csc,{MARKER}\n"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_GOOD_LOG.replace("09", "09 £").encode("cp1252"), id="cp1252"),
        pytest.param(_GOOD_LOG.encode("utf-16"), id="utf-16"),
        pytest.param(_GOOD_LOG.encode("utf-16-le"), id="utf-16 without a mark"),
        pytest.param(bytes(range(256)) * 64, id="binary"),
        pytest.param(
            f'agency,received\n"{MARKER * 20_000}",2024-10-09\n'.encode(), id="200 KB field"
        ),
        pytest.param(_GOOD_LOG.encode() + b"x" * (1 << 20), id="over 1 MB"),
    ],
)
def test_a_received_log_that_cannot_be_read_is_a_warning_and_file_dates_stand_in(
    returns: Path, validate: Callable[[Path], Validated], content: bytes
) -> None:
    (returns / str(Q) / "received.csv").write_bytes(content)
    got = validate(returns)
    assert got.code == 0, got.output  # not 3: no fault, and nothing is refused for it
    log_issues = got.issues("received.csv")
    assert [(i["code"], i["level"]) for i in log_issues] == [("F-RECEIVED-UNREADABLE", "warning")]
    assert "file date" in log_issues[0]["fix"]
    got.assert_nothing_shared(MARKER)
    police = next(r for r in got.report["returns"] if r["agency"] == "cleveland_police")
    today = dt.date.today().isoformat()  # the file's date: the fixture was written today
    assert police["received"] == today


def test_a_readable_received_log_is_used_and_a_bad_date_in_it_only_warns(
    returns: Path, validate: Callable[[Path], Validated]
) -> None:
    (returns / str(Q) / "received.csv").write_text(_GOOD_LOG, encoding="utf-8")
    got = validate(returns)
    assert got.code == 0, got.output
    assert [i["code"] for i in got.issues("received.csv")] == ["F-RECEIVED-DATE"]
    police = next(r for r in got.report["returns"] if r["agency"] == "cleveland_police")
    assert police["received"] == "2024-10-09"
    got.assert_nothing_shared(MARKER)


# ------------------------------------------- 4. a small file never takes a lot of memory or time


class _NoLoading:
    """Stands in for calamine's reader: a data sheet must never be laid out."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)

    def load_sheet(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not name.startswith("_") and name != "Guidance":
            raise AssertionError(f"calamine was asked to lay out {name}")
        return self.reader.load_sheet(name, *args, **kwargs)


def _patch_sheet(path: Path, sheet: str, change: Callable[[bytes], bytes]) -> None:
    patch_part(path, sheet_part(path, sheet), change)


def _far_cell(cell: str) -> Callable[[bytes], bytes]:
    row = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    tag = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    return lambda xml: xml.replace(b"</sheetData>", tag.encode() + b"</sheetData>", 1)


@pytest.mark.parametrize(
    "cell",
    [
        "T999999",  # 20 million cells: within the old limit, 3 GB and a minute for four returns
        "E999999",  # 5 million: within the cell limit, but one cell of five million
        "K454545",
        "Z192307",  # the furthest the screen lets through unmeasured
        "A50000",
    ],
)
def test_one_far_cell_is_refused_before_the_sheet_is_laid_out(
    tmp_path: Path, catalogue: Catalogue, cell: str
) -> None:
    from tees_dataset.returns import read

    agency = catalogue.agency("hartlepool_csc")
    assert agency is not None
    path = write_return(catalogue, agency, Q, FIXTURE["hartlepool_csc"], tmp_path)
    _patch_sheet(path, "Referrals", _far_cell(cell))
    assert path.stat().st_size < 100_000
    workbook = read.Workbook(path)
    workbook._reader = _NoLoading(workbook._reader)
    with pytest.raises(read.ReturnFileError) as refused:
        workbook.raw_sheet("Referrals")
    issue = refused.value.issue
    assert (issue.code, issue.location.sheet) == ("V-SHEET-TOO-LARGE", "Referrals")
    assert "Ctrl+End" in issue.fix
    assert read.Workbook(path).raw_sheet("Contacts").frame.height == 2  # the others are read


def test_one_far_cell_in_every_sheet_of_four_returns_is_quick(
    returns: Path, catalogue: Catalogue
) -> None:
    import time

    for agency in ("hartlepool_csc", "stockton_csc", "middlesbrough_csc", "redcar_csc"):
        path = returns / str(Q) / f"{agency}-{Q}.xlsx"
        for spec in catalogue.returns_of(agency):
            _patch_sheet(path, spec.sheet, _far_cell("T999999"))
    started = time.monotonic()
    loaded = load_quarter(catalogue, Q, returns)
    assert time.monotonic() - started < 10  # was a minute, at 3 GB
    refused = {(i.agency, i.location.sheet) for i in loaded.issues if i.code == "V-SHEET-TOO-LARGE"}
    assert len(refused) == 4 * len(catalogue.returns_of("hartlepool_csc"))
    assert loaded.status[("cleveland_police", "workforce")] == "received"


def test_the_largest_sheets_at_100_times_tees_volumes_are_read(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """125,000 referrals is the most `sample --scale 100` makes (750,000 cells): with room to
    spare, such a sheet is neither refused nor measured cell by cell."""
    from tees_dataset.returns import limits, read

    agency = catalogue.agency("hartlepool_csc")
    assert agency is not None
    path = write_return(catalogue, agency, Q, FIXTURE["hartlepool_csc"], tmp_path)
    last = 191_999  # past the largest by half as much again, 11 columns wide
    body = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGHIJK")
        + "</row>"
        for r in range(10, last + 1)
    )
    _patch_sheet(path, "Conferences",
                 lambda xml: xml.replace(b"</sheetData>", body.encode() + b"</sheetData>", 1))  # fmt: skip
    workbook = read.Workbook(path)
    assert not workbook._layout.screens[workbook._layout.parts["Conferences"]].flagged
    extent = workbook.extent("Conferences")
    assert extent is not None and extent.rows == last and extent.cells <= limits.MAX_CELLS
    assert workbook.raw_sheet("Conferences").frame.height == last


def test_the_screen_flags_exactly_the_rows_past_its_bound() -> None:
    import re

    from tees_dataset.returns import extent, limits

    for bound in (1, 4, 10, 99, 192_308, 200_000):
        pattern = re.compile(extent._at_least(bound))
        for number in [*range(1, 2_000), *range(bound - 50, bound + 50), 10 * bound, 999_999]:
            if number > 0:
                assert bool(pattern.match(str(number))) == (number >= bound), (bound, number)
    rows, columns = extent._fast_bounds()
    assert (rows - 1) * columns <= limits.MAX_CELLS and rows > 125_000


def test_issues_of_one_kind_are_listed_up_to_a_hundred_then_counted(
    returns: Path, catalogue: Catalogue, validate: Callable[[Path], Validated]
) -> None:
    from tees_dataset.returns import batch

    agency = catalogue.agency("hartlepool_csc")
    assert agency is not None
    bad = [
        {"child_ref": f"{SECRET}{n}", "referral_date": f"{MARKER}{n}", "source": "Police",
         "multi_agency_triage": "Yes", "re_referral": "No"}
        for n in range(1, 351)
    ]  # fmt: skip
    write_return(catalogue, agency, Q, {**FIXTURE["hartlepool_csc"], "referrals": bad},
                 returns / str(Q))  # fmt: skip
    got = validate(returns)
    dates = [i for i in got.issues(HARTLEPOOL) if i["code"] == "V-TYPE-DATE"]
    assert len(dates) == batch.MAX_CELL_ISSUES + 1
    assert dates[-1]["location"]["cell"] is None
    assert dates[-1]["message"] == (
        "and 250 more cells like this in column C ('Referral date'): only the first 100 of "
        "this sheet are listed one by one"
    )
    assert dates[-1]["fix"] == dates[0]["fix"]
    # Blanked by the bad date, the cells past the hundredth are not reported again as blank.
    assert not [i for i in got.issues(HARTLEPOOL) if i["code"] == "V-REQUIRED"]
    status = {(r["agency"], r["return"]): r["status"] for r in got.report["returns"]}
    assert status[("hartlepool_csc", "referrals")] == "rejected"  # as before
    assert len(got.log.splitlines()) < 200
    got.assert_nothing_shared(MARKER)
    own = got.feedback("hartlepool_csc")
    assert sum(1 for i in own if i["Code"] == "V-TYPE-DATE") == 101


# ------------------------------------------------------ 5. rows given twice are never counted twice


def _figure(catalogue: Catalogue, returns: Path, indicator: str, area: str) -> tuple[Any, str]:
    import polars as pl

    from tees_dataset.compute import Inputs, QuarterData, compute_quarter

    loaded = load_quarter(catalogue, Q, returns)
    data = QuarterData(loaded.frames, {k: v == "received" for k, v in loaded.status.items()})
    row = (
        compute_quarter(catalogue, Inputs(Q, data))
        .filter(
            (pl.col("indicator_id") == indicator)
            & (pl.col("area") == area)
            & (pl.col("breakdown") == "")
        )
        .row(0, named=True)
    )
    return row["value"], row["status"]


def _rewrite(catalogue: Catalogue, returns: Path, agency_id: str, rows: dict[str, Any]) -> None:
    agency = catalogue.agency(agency_id)
    assert agency is not None
    write_return(catalogue, agency, Q, {**FIXTURE[agency_id], **rows}, returns / str(Q))


def test_a_record_row_copied_whole_is_an_error_naming_the_first(
    returns: Path, catalogue: Catalogue
) -> None:
    referrals = FIXTURE["hartlepool_csc"]["referrals"]
    assert _figure(catalogue, returns, "3.1.1", "Hartlepool") == (75.0, "ok")  # 3 of 4 triaged
    # The last referral pasted twice more (rows 6 and 7 repeat row 5), and one for the same
    # child on the same day from another source: a second referral, not a copy.
    other = {**referrals[0], "source": "Housing"}
    _rewrite(catalogue, returns, "hartlepool_csc",
             {"referrals": [*referrals, referrals[3], referrals[3], other]})  # fmt: skip
    loaded = load_quarter(catalogue, Q, returns)
    copies = [i for i in loaded.issues if i.code == "V-DUPLICATE-ROW"]
    assert [(i.level.value, i.location.sheet, i.location.cell) for i in copies] == [
        ("error", "Referrals", "A6"), ("error", "Referrals", "A7"),
    ]  # fmt: skip
    assert copies[0].message == "row 6 repeats row 5 in every column: it would be counted twice"
    assert copies[1].message == "row 7 repeats row 5 in every column: it would be counted twice"
    assert copies[0].record == referrals[3]["child_ref"]  # the agency's feedback names it
    assert SECRET not in str(copies[0])
    assert loaded.status[("hartlepool_csc", "referrals")] == "rejected"
    assert loaded.status[("hartlepool_csc", "contacts")] == "received"
    # Missing, not 3 of 6 (50%, the copies counted as referrals not triaged).
    assert _figure(catalogue, returns, "3.1.1", "Hartlepool") == (None, "missing")


def test_rows_alike_but_one_in_error_are_not_called_copies(
    returns: Path, catalogue: Catalogue
) -> None:
    referrals = FIXTURE["hartlepool_csc"]["referrals"]
    bad = [{**referrals[0], "referral_date": "soon"}, {**referrals[0], "referral_date": "later"}]
    _rewrite(catalogue, returns, "hartlepool_csc", {"referrals": [*referrals[1:], *bad]})
    codes = [i.code for i in load_quarter(catalogue, Q, returns).issues]
    assert codes == ["V-TYPE-DATE", "V-TYPE-DATE"]


@pytest.mark.parametrize(
    ("agency", "return_id", "rows", "cell", "what"),
    [
        ("hartlepool_csc", "contacts",
         [{"source": "Police", "contacts": 10, "became_referrals": 4},
          {"source": "Housing", "contacts": 7, "became_referrals": 2},
          {"source": "police", "contacts": 5, "became_referrals": 1}],
         "A4", "local authority and 'Contact source'"),
        ("hartlepool_csc", "early_help",
         [{"assessments_started": 21, "step_ups": 2}, {"assessments_started": 3, "step_ups": 0}],
         "A3", "local authority"),
        ("cleveland_police", "police_activity",
         [*FIXTURE["cleveland_police"]["police_activity"],
          {"local_authority": "hartlepool", "pitstop_cases": 1, "investigations_concluded": 1,
           "outcomes_notified": 1}],
         "A6", "local authority"),
        ("cleveland_police", "workforce",
         [*FIXTURE["cleveland_police"]["workforce"],
          {"local_authority": "stockton", "service": "SAFEGUARDING ", "fte_in_post": 5,
           "fte_leavers": 0, "fte_vacancies": 0, "fte_agency": 0}],
         "A6", "local authority and 'Service or team'"),
    ],
)  # fmt: skip
def test_a_second_row_for_the_same_area_in_an_aggregate_sheet_is_an_error(
    returns: Path, catalogue: Catalogue, agency: str, return_id: str, rows: list[Any], cell: str,
    what: str,
) -> None:  # fmt: skip
    _rewrite(catalogue, returns, agency, {return_id: rows})
    loaded = load_quarter(catalogue, Q, returns)
    (issue,) = [i for i in loaded.issues if i.agency == agency]
    first = {"A4": 2, "A3": 2, "A6": 2 if return_id == "police_activity" else 3}[cell]
    assert (issue.code, issue.level.value, issue.location.cell) == (
        "V-DUPLICATE-KEY",
        "error",
        cell,
    )
    assert issue.message == (
        f"row {cell[1:]} has figures for the same {what} as row {first}: they would be added "
        "together"
    )
    assert loaded.status[(agency, return_id)] == "rejected"


def test_aggregate_rows_for_other_areas_or_categories_are_not_duplicates(
    returns: Path, catalogue: Catalogue
) -> None:
    contacts = [{"source": "Police", "contacts": 10, "became_referrals": 4},
                {"source": "Housing", "contacts": 10, "became_referrals": 4}]  # fmt: skip
    workforce = [*FIXTURE["cleveland_police"]["workforce"],
                 {**FIXTURE["cleveland_police"]["workforce"][0], "service": "Missing"}]  # fmt: skip
    _rewrite(catalogue, returns, "hartlepool_csc", {"contacts": contacts})
    _rewrite(catalogue, returns, "cleveland_police", {"workforce": workforce})
    loaded = load_quarter(catalogue, Q, returns)
    assert loaded.issues == []
    assert _figure(catalogue, returns, "1.2.1", "Hartlepool") == (20.0, "ok")


def test_sample_returns_at_high_volumes_have_no_copied_rows(catalogue: Catalogue) -> None:
    import random

    from tees_dataset.returns import sample

    agency = catalogue.agency("hsscp_business_unit")
    assert agency is not None
    maker = sample._Maker(agency, Q, random.Random(1), 100.0)
    rows = [tuple(sorted(r.items())) for r in sample.training(maker)]
    assert len(rows) > 1_000 and len(set(rows)) == len(rows)
    for seed in range(30):  # MACE meets three times a quarter, never twice on one day
        maker = sample._Maker(agency, Q, random.Random(seed), 1.0)
        rows = [tuple(sorted(r.items())) for r in sample.meeting_attendance(maker)]
        assert len(set(rows)) == len(rows), seed


# ---------------------------------------------- 6. a population that is not one gives no rate


def _population(value: str) -> Any:
    import polars as pl

    text = (ROOT / "reference" / "population.csv").read_text(encoding="utf-8")
    lines = [
        line.replace(",2024,21090,", f",2024,{value},") if line.startswith("E06000001,") else line
        for line in text.splitlines()
    ]
    assert sum(",2024," in line and line.startswith("E06000001,") for line in lines) == 1
    return pl.read_csv(io.StringIO("\n".join(lines)))


@pytest.mark.parametrize("value", ["0", "-45000", "unknown", "NaN"])
def test_a_population_that_is_not_a_positive_number_leaves_its_rates_missing(
    pristine: Path, catalogue: Catalogue, value: str
) -> None:
    import polars as pl

    from tees_dataset.compute import Inputs, QuarterData, compute_quarter, population_for

    loaded = load_quarter(catalogue, Q, pristine)
    data = QuarterData(loaded.frames, {k: v == "received" for k, v in loaded.status.items()})
    good = population_for(_population("21090"), catalogue, Q)
    bad = population_for(_population(value), catalogue, Q)

    def rates(population: dict[str, float]) -> dict[str, tuple[Any, str, str]]:
        results = compute_quarter(catalogue, Inputs(Q, data, population=population))
        rows = results.filter((pl.col("indicator_id") == "1.2.2") & (pl.col("breakdown") == ""))
        return {r["area"]: (r["value"], r["status"], r["note"]) for r in rows.iter_rows(named=True)}

    before, after = rates(good), rates(bad)
    assert before["Hartlepool"][1] == before["Tees"][1] == "ok"
    for area in ("Hartlepool", "HSSCP", "Tees"):
        assert after[area][:2] == (None, "missing"), area  # never not_applicable, never a sum
        assert (
            "for Hartlepool up to 2024 (reference/population.csv) is not a positive number"
            in (after[area][2])
        )
    assert after["Stockton-on-Tees"] == before["Stockton-on-Tees"]
    assert after["STSCP"] == before["STSCP"]


def test_check_refuses_a_population_that_is_not_a_positive_number(tmp_path: Path) -> None:
    shutil.copy(ROOT / "indicators.yaml", tmp_path / "indicators.yaml")
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    population = tmp_path / "reference" / "population.csv"
    text = population.read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("E06000001,Hartlepool,2024,"))
    lines[at] = lines[at].replace(",2024,21090,", ",2024,-45000,")
    population.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "indicators.yaml"), "--no-samples"])
    assert result.exit_code == 2, result.output
    assert (
        f"population.csv:{at + 1}: error C-POPULATION-INVALID: the population of Hartlepool "
        in (result.output)
    )
    assert "for 2024 is '-45000', not a positive number" in result.output


def test_characters_removed_from_the_metadata_are_listed_up_to_a_hundred(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    agency = catalogue.agency("cleveland_police")
    assert agency is not None
    path = write_return(catalogue, agency, Q, FIXTURE["cleveland_police"], tmp_path / str(Q))
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>note&#x1;{r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>x&#x2;</t></is></c></row>'
        for r in range(20, 170)
    )
    _patch_sheet(
        path, "_meta", lambda xml: xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>", 1)
    )
    loaded = load_quarter(catalogue, Q, tmp_path)
    found = [i for i in loaded.issues if i.code == "F-CHARACTER"]
    assert len(found) == 101
    assert found[-1].message == (
        "such characters were removed from 200 more cells of the template's sheets"
    )
    assert loaded.status[("cleveland_police", "workforce")] == "received"
