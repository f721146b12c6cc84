"""Nothing a return holds reaches a shared output; one bad input never stops the others; figures
are right or missing. Each test here stands for a way those promises were once broken."""

from __future__ import annotations

import datetime as dt
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

from .fixture_returns import FIXTURE, SECRET, Q, strategy, write_fixture

ROOT = Path(__file__).resolve().parent.parent
# Stands for anything an agency may type anywhere: a child reference is short and plain too.
MARKER = "MARKER-Q7Z"
HARTLEPOOL = "hartlepool_csc-2024Q3.xlsx"
POLICE = "cleveland_police-2024Q3.xlsx"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """The fixture quarter with every return valid."""
    base = tmp_path_factory.mktemp("pristine")
    write_fixture(catalogue, base)
    agency = catalogue.agency("redcar_csc")
    assert agency is not None
    rows = {**FIXTURE["redcar_csc"], "strategy_discussions": [strategy(11, Q.start, Q.start)]}
    write_return(catalogue, agency, Q, rows, base / str(Q))
    return base


@pytest.fixture
def returns(tmp_path: Path, pristine: Path) -> Path:
    shutil.copytree(pristine, tmp_path / "returns")
    return tmp_path / "returns"


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

    from tees_dataset.returns import read

    book = xlwt.Workbook()
    for name in ("Workforce", f"{MARKER} notes"):
        sheet = book.add_sheet(name)
        for row in range(6):
            sheet.write(row, 0, "x")
    path = tmp_path / "police.xls"
    book.save(str(path))
    monkeypatch.setattr(read, "MAX_ROWS", 5)
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
