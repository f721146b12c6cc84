"""Last quarter's key lines of enquiry carried forward with the Group's recorded responses."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

from tees_dataset.compute.findings import Enquiry, Evidence
from tees_dataset.responses import (
    COLUMNS,
    MAX_BYTES,
    RESPONSES,
    carried,
    read_rows,
    write_enquiries,
)


def read_responses(
    folder: Path, quarter: str, partnership: str
) -> tuple[list[tuple[str, str, str]], str]:
    """What a pack is given: the partnership's enquiries of `quarter` in responses.csv."""
    return carried(read_rows(folder), quarter, partnership)


def _context(partnership: str, quarter: str, *enquiries: Enquiry) -> SimpleNamespace:
    return SimpleNamespace(
        partnership_id=partnership, quarter=quarter,
        findings=SimpleNamespace(enquiries=list(enquiries)),
    )  # fmt: skip


def test_enquiries_csv_lists_each_packs_enquiries_ready_for_responses(tmp_path: Path) -> None:
    enquiry = Enquiry(
        "partner-attendance", "Partner attendance", "Who is missing?", 4.0,
        [Evidence("", "", "concern", 1.0, "=Police: Conferences missing"),
         Evidence("3.3.2", "Agency attendance", "concern", 2.0, "HSSCP 40.0% (40 of 100)")],
    )  # fmt: skip
    write_enquiries([_context("HSSCP", "2024Q3", enquiry)], tmp_path / "enquiries.csv")
    with (tmp_path / "enquiries.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(COLUMNS)
    assert rows == [{
        "quarter": "2024Q3", "partnership": "HSSCP", "rank": "1", "theme": "partner-attendance",
        "title": "Partner attendance", "enquiry": "Who is missing?",
        # Text that a spreadsheet would read as a formula is written as text.
        "evidence": "'=Police: Conferences missing | 3.3.2: HSSCP 40.0% (40 of 100)",
        "response": "",
    }]  # fmt: skip


def _responses(folder: Path, rows: list[dict[str, str]]) -> None:
    with (folder / RESPONSES).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows({c: r.get(c, "") for c in COLUMNS} for r in rows)


def test_the_previous_quarters_responses_for_the_partnership_are_carried(tmp_path: Path) -> None:
    _responses(tmp_path, [
        {"quarter": "2024Q2", "partnership": "HSSCP", "title": "Workforce", "enquiry": "Why?",
         "response": "The Group asked HR for a\nretention plan."},
        {"quarter": "2024Q2", "partnership": "STSCP", "title": "Voice", "enquiry": "How?"},
        {"quarter": "2024Q1", "partnership": "HSSCP", "title": "Old", "enquiry": "Then?"},
    ])  # fmt: skip
    carried, note = read_responses(tmp_path, "2024Q2", "HSSCP")
    assert carried == [("Workforce", "Why?", "The Group asked HR for a retention plan.")]
    assert note == ""


def test_without_a_record_the_pack_says_so(tmp_path: Path) -> None:
    carried, note = read_responses(tmp_path, "2024Q2", "HSSCP")
    assert carried == [] and "No responses to 2024Q2's enquiries were found" in note
    _responses(tmp_path, [{"quarter": "2024Q1", "partnership": "HSSCP", "enquiry": "Then?"}])
    assert read_responses(tmp_path, "2024Q2", "HSSCP")[0] == []


def test_a_bad_responses_file_is_reported_and_ignored_never_fatal(tmp_path: Path) -> None:
    (tmp_path / RESPONSES).write_bytes(b"\xff\xfe\x00garbage\x00")
    assert read_responses(tmp_path, "2024Q2", "HSSCP")[0] == []
    (tmp_path / RESPONSES).write_bytes(b"quarter,partnership,enquiry\n" + b"x" * (MAX_BYTES + 1))
    assert read_responses(tmp_path, "2024Q2", "HSSCP")[0] == []
    (tmp_path / RESPONSES).unlink()
    elsewhere = tmp_path / "elsewhere.csv"
    _responses(tmp_path, [{"quarter": "2024Q2", "partnership": "HSSCP", "enquiry": "Why?"}])
    (tmp_path / RESPONSES).rename(elsewhere)
    (tmp_path / RESPONSES).symlink_to(elsewhere)  # a link is never followed
    assert read_responses(tmp_path, "2024Q2", "HSSCP")[0] == []
