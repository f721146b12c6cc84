"""Reading and validating returns: round trip, cell-level messages, bad files survived."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.quarter import Quarter
from tees_dataset.returns import load_quarter, load_quarters
from tees_dataset.returns.sample import write_return, write_samples
from tees_dataset.returns.template import write_template

from .fixture_returns import FIXTURE, SECRET, Q, strategy, workforce

D = dt.date
Flat = list[tuple[str, str | None, str | None, str]]


def flat(returns_dir: Path, catalogue: Catalogue) -> tuple[Flat, dict[Any, str]]:
    loaded = load_quarter(catalogue, Q, returns_dir)
    issues = [(i.location.file, i.location.sheet, i.location.cell, i.code) for i in loaded.issues]
    return issues, dict(loaded.status)


def write_one(
    tmp_path: Path, catalogue: Catalogue, agency_id: str, rows: dict[str, Any] | None = None,
    name: str | None = None, quarter: Quarter = Q,
) -> Path:  # fmt: skip
    """The agency's fixture return, with `rows` in place of the fixture's for those sheets."""
    agency = catalogue.agency(agency_id)
    assert agency is not None
    return write_return(
        catalogue, agency, quarter, {**FIXTURE[agency_id], **(rows or {})}, tmp_path / str(Q), name
    )


def test_filled_template_is_identified_by_metadata_whatever_its_name(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = write_one(tmp_path, catalogue, "cleveland_police")
    path.rename(path.parent / "Police return FINAL v2.xlsx")
    issues, status = flat(tmp_path, catalogue)
    assert issues == []
    assert status[("cleveland_police", "workforce")] == "received"
    assert status[("hartlepool_csc", "workforce")] == "missing"


def test_a_blank_template_is_rejected_for_its_aggregate_sheets(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    agency = catalogue.agency("cleveland_police")
    assert agency is not None
    write_template(catalogue, agency, Q, tmp_path / "2024Q3")
    issues, status = flat(tmp_path, catalogue)
    assert sorted(i[1:] for i in issues) == [
        ("Information sharing", None, "V-EMPTY"),
        ("Workforce", None, "V-EMPTY"),
    ]
    assert status[("cleveland_police", "workforce")] == "rejected"


def test_aggregate_figures_are_needed_for_every_area_an_agency_covers(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    write_one(
        tmp_path,
        catalogue,
        "cleveland_police",
        {"workforce": FIXTURE["cleveland_police"]["workforce"][:3]},
    )
    issues, status = flat(tmp_path, catalogue)
    assert [i[1:] for i in issues] == [("Workforce", None, "V-AREA-MISSING")]
    assert status[("cleveland_police", "workforce")] == "rejected"
    assert status[("cleveland_police", "police_activity")] == "received"


def test_template_has_guidance_frozen_header_and_drop_downs(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    agency = catalogue.agency("hartlepool_csc")
    assert agency is not None
    wb = load_workbook(write_template(catalogue, agency, Q, tmp_path))
    assert wb.sheetnames[0] == "Guidance"
    ws = wb["Strategy discussions"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:4] == [
        "Local authority",
        "Child reference",
        "Referral date",
        "Strategy discussion date",
    ]
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "date"} <= kinds
    assert wb["_meta"].sheet_state == "hidden"


def test_sample_returns_are_filled_templates_that_validate_clean(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    write_samples(catalogue, [Q], tmp_path, seed=7)
    issues, status = flat(tmp_path, catalogue)
    assert [i for i in issues if i[3] != "V-NO-ROWS"] == []  # a nil return is only noted
    assert set(status.values()) == {"received"}


def test_samples_are_deterministic_for_a_seed(tmp_path: Path, catalogue: Catalogue) -> None:
    write_samples(catalogue, [Q], tmp_path / "a", seed=3)
    write_samples(catalogue, [Q], tmp_path / "b", seed=3)
    a, b = load_quarter(catalogue, Q, tmp_path / "a"), load_quarter(catalogue, Q, tmp_path / "b")
    assert a.frames.keys() == b.frames.keys() and len(a.frames) == len(catalogue.returns)
    for return_id, frame in a.frames.items():
        assert frame.equals(b.frames[return_id]), return_id


def test_bad_cells_are_reported_with_their_cell_and_the_return_is_rejected(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    bad = strategy(1, D(2024, 7, 1), D(2024, 10, 1))  # strategy after the quarter
    bad["outcome"] = "Strategy meeting"  # not in the code list
    good = strategy(2, D(2024, 7, 1), D(2024, 7, 1))
    good["police_attended"] = "yes"  # case differs from the code list: accepted as "Yes"
    write_one(tmp_path, catalogue, "hartlepool_csc", {"strategy_discussions": [good, bad]})
    issues, status = flat(tmp_path, catalogue)
    assert sorted(issues) == [
        ("hartlepool_csc-2024Q3.xlsx", "Strategy discussions", "D3", "V-QUARTER"),
        ("hartlepool_csc-2024Q3.xlsx", "Strategy discussions", "H3", "V-CODE"),
    ]
    assert status[("hartlepool_csc", "strategy_discussions")] == "rejected"
    assert status[("hartlepool_csc", "workforce")] == "received"


def test_text_in_number_and_date_columns(tmp_path: Path, catalogue: Catalogue) -> None:
    row = workforce("hartlepool", 10, 1)
    row["fte_in_post"] = "ten"
    s = strategy(1, D(2024, 7, 1), D(2024, 7, 1))
    s["referral_date"] = "31/02/2024"  # no such day
    write_one(
        tmp_path, catalogue, "hartlepool_csc", {"strategy_discussions": [s], "workforce": [row]}
    )
    issues, _ = flat(tmp_path, catalogue)
    # Strategy sheet: A area, B child ref, C referral date. Workforce: A area, B service, C FTE in post.
    assert sorted(i[1:] for i in issues) == [
        ("Strategy discussions", "C2", "V-TYPE-DATE"),
        ("Workforce", "C2", "V-TYPE-NUMBER"),
    ]


def test_dates_typed_as_text_in_uk_order_are_read(tmp_path: Path, catalogue: Catalogue) -> None:
    s = strategy(1, D(2024, 7, 1), D(2024, 7, 1))
    s["referral_date"] = "01/07/2024"
    write_one(tmp_path, catalogue, "hartlepool_csc", {"strategy_discussions": [s]})
    loaded = load_quarter(catalogue, Q, tmp_path)
    assert loaded.issues == []
    assert loaded.frames["strategy_discussions"]["referral_date"].to_list() == [D(2024, 7, 1)]


def test_title_rows_above_the_header_keep_cell_references_true(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    s = strategy(1, D(2024, 7, 3), D(2024, 7, 1))  # strategy before referral
    path = write_one(tmp_path, catalogue, "hartlepool_csc", {"strategy_discussions": [s]})
    wb = load_workbook(path)
    wb["Strategy discussions"].insert_rows(1, 2)
    wb["Strategy discussions"]["A1"] = "Hartlepool strategy discussions, July to September"
    wb.save(path)
    issues, _ = flat(tmp_path, catalogue)
    assert [i[2:] for i in issues] == [("D4", "R3.2-001")]


def test_missing_sheet_suggests_the_renamed_one(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_one(tmp_path, catalogue, "hartlepool_csc")
    wb = load_workbook(path)
    wb["Strategy discussions"].title = "Strategy discussion"
    wb.save(path)
    loaded = load_quarter(catalogue, Q, tmp_path)
    (issue,) = loaded.issues
    assert issue.code == "V-SHEET-MISSING"
    assert (
        issue.fix
        == "Rename the sheet named under Value in your feedback to 'Strategy discussions'."
    )
    assert issue.value == "Strategy discussion"  # shown only in the agency's own feedback
    assert loaded.status[("hartlepool_csc", "workforce")] == "received"


def test_bad_files_never_stop_the_others(tmp_path: Path, catalogue: Catalogue) -> None:
    folder = tmp_path / str(Q)
    folder.mkdir()
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "notes.xlsx").write_text("this is not a workbook")
    (folder / "truncated.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    write_one(tmp_path, catalogue, "cleveland_police")
    issues, status = flat(tmp_path, catalogue)
    assert sorted(i[3] for i in issues) == ["F-CORRUPT", "F-EMPTY", "F-NOT-A-WORKBOOK"]
    assert status[("cleveland_police", "workforce")] == "received"


def test_a_return_for_another_quarter_is_rejected(tmp_path: Path, catalogue: Catalogue) -> None:
    write_one(tmp_path, catalogue, "cleveland_police", quarter=Quarter(2024, 2))
    issues, status = flat(tmp_path, catalogue)
    assert [i[3] for i in issues] == ["F-WRONG-QUARTER"]
    assert status[("cleveland_police", "workforce")] == "missing"


def test_two_returns_from_one_agency_are_both_held_back(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    write_one(tmp_path, catalogue, "cleveland_police")
    write_one(tmp_path, catalogue, "cleveland_police", name="police-final.xlsx")
    issues, status = flat(tmp_path, catalogue)
    assert [i[3] for i in issues] == ["F-DUPLICATE", "F-DUPLICATE"]
    assert status[("cleveland_police", "workforce")] == "rejected"


def _two_quarters(tmp_path: Path, catalogue: Catalogue) -> tuple[Quarter, Quarter]:
    """Hartlepool's returns for 2024Q2 and 2024Q3, each with one strategy discussion dated
    in the other quarter, and Stockton's Q3 return clean. (The fixture's other sheets are dated
    in 2024Q3, so in the 2024Q2 return they are out of quarter too.)"""
    q2, q3 = Quarter(2024, 2), Quarter(2024, 3)
    hartlepool, stockton = catalogue.agency("hartlepool_csc"), catalogue.agency("stockton_csc")
    assert hartlepool is not None and stockton is not None
    rows = {
        q2: [strategy(1, D(2024, 6, 3), D(2024, 6, 3)), strategy(2, D(2024, 6, 28), D(2024, 7, 1))],
        q3: [
            strategy(3, D(2024, 7, 1), D(2024, 7, 2)),
            strategy(4, D(2024, 6, 27), D(2024, 6, 28)),
        ],
    }
    for q in (q2, q3):
        fixture = {**FIXTURE["hartlepool_csc"], "strategy_discussions": rows[q]}
        write_return(catalogue, hartlepool, q, fixture, tmp_path / str(q))
    write_return(catalogue, stockton, q3, FIXTURE["stockton_csc"], tmp_path / str(q3))
    return q2, q3


def test_quarters_validated_together_keep_each_finding_with_its_own_quarter(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    q2, q3 = _two_quarters(tmp_path, catalogue)
    together = load_quarters(catalogue, [q2, q3], tmp_path)
    # Strategy sheet: A area, B child ref, C referral date, D strategy date; data from row 2.
    for returns, quarter, start, end in (
        (together[0], "2024Q2", "01/04/2024", "30/06/2024"),
        (together[1], "2024Q3", "01/07/2024", "30/09/2024"),
    ):
        (issue,) = [i for i in returns.issues if i.location.sheet == "Strategy discussions"]
        assert (issue.location.file, issue.location.cell, issue.code) == (
            f"hartlepool_csc-{quarter}.xlsx", "D3", "V-QUARTER",
        )  # fmt: skip
        assert issue.message == (
            f"'Strategy discussion date' is outside {quarter} ({start} to {end})"
        )
        assert issue.record == f"{SECRET}{2 if quarter == '2024Q2' else 4:03d}"
        assert returns.status[("hartlepool_csc", "strategy_discussions")] == "rejected"
        assert returns.status[("hartlepool_csc", "workforce")] == "received"
    assert together[0].status[("stockton_csc", "workforce")] == "missing"
    assert together[1].status[("stockton_csc", "workforce")] == "received"
    # Each quarter's rows are its own, and the same as reading the quarter alone.
    for returns, quarter in zip(together, (q2, q3), strict=True):
        alone = load_quarter(catalogue, quarter, tmp_path)
        assert alone.status == returns.status
        assert [str(i) for i in alone.issues] == [str(i) for i in returns.issues]
        assert sorted(alone.frames) == sorted(returns.frames)
        for name, frame in alone.frames.items():
            assert frame.equals(returns.frames[name]), name
    workforce_q3 = together[1].frames["workforce"]
    assert sorted(set(workforce_q3["agency"].to_list())) == ["hartlepool_csc", "stockton_csc"]
    assert set(together[0].frames["workforce"]["agency"].to_list()) == {"hartlepool_csc"}


def test_a_fault_checking_one_sheet_rejects_only_that_sheet(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: Any
) -> None:
    import tees_dataset.returns.load as returns_module

    q2, q3 = _two_quarters(tmp_path, catalogue)
    real = returns_module.validate_sheets

    def faulty(spec: Any, catalogue: Catalogue, sheets: Any) -> Any:
        if spec.id == "workforce" and any(s.agency.id == "stockton_csc" for s in sheets):
            raise ZeroDivisionError("a fault in the checks")
        return real(spec, catalogue, sheets)

    monkeypatch.setattr(returns_module, "validate_sheets", faulty)
    q2_returns, q3_returns = load_quarters(catalogue, [q2, q3], tmp_path)
    internal = [i for i in q3_returns.issues if i.code == "V-INTERNAL"]
    assert [(i.agency, i.location.sheet) for i in internal] == [("stockton_csc", "Workforce")]
    assert q3_returns.status[("stockton_csc", "workforce")] == "rejected"
    assert q3_returns.status[("hartlepool_csc", "workforce")] == "received"
    assert q2_returns.status[("hartlepool_csc", "workforce")] == "received"
    assert set(q3_returns.frames["workforce"]["agency"].to_list()) == {"hartlepool_csc"}
