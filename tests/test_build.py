"""The whole pipeline on the fixture quarter: figures, outputs, exit codes, no child references."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app

from .fixture_returns import SECRET, write_fixture

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
CONTRACT = [
    "quarter",
    "area",
    "area_type",
    "indicator_id",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
    "unit",
    "status",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> tuple[Path, int, str]:
    base = tmp_path_factory.mktemp("build")
    write_fixture(catalogue, base / "returns")
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--html",
            "--quarter",
            "2024Q3",
            "--returns",
            str(base / "returns"),
            "--out",
            str(base / "out"),
            "--catalogue",
            str(ROOT / "indicators.yaml"),
        ],
    )
    return base / "out" / "2024Q3", result.exit_code, result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_exit_code_says_a_return_was_rejected(built: tuple[Path, int, str]) -> None:
    _, code, output = built
    assert code == 1, output
    assert "Strategy discussions rejected" in output


def test_outputs_of_the_contract_exist(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    for name in [
        "HSSCP-2024Q3.pdf",
        "STSCP-2024Q3.pdf",
        "results.csv",
        "dataset-2024Q3.xlsx",
        "validation.xlsx",
        "validation.json",
        "manifest.json",
    ]:
        assert (folder / name).is_file(), name
    assert not list(folder.parent.glob(".staging-*"))


def test_headline_figures_match_the_hand_worked_golden_file(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    rows = read_csv(folder / "results.csv")
    assert list(rows[0])[: len(CONTRACT)] != [] and set(CONTRACT) <= set(rows[0])
    got = [
        {k: r[k] for k in ("area", "indicator_id", "numerator", "denominator", "value", "status")}
        for r in rows
        if r["breakdown"] == ""
    ]
    expected = read_csv(GOLDEN / "fixture-2024Q3-headline.csv")
    covered = {r["indicator_id"] for r in expected}
    key = lambda r: (r["indicator_id"], r["area"])  # noqa: E731
    assert sorted((r for r in got if r["indicator_id"] in covered), key=key) == sorted(
        expected, key=key
    )


def test_area_types_and_units(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    rows = read_csv(folder / "results.csv")
    types = {r["area"]: r["area_type"] for r in rows}
    assert types == {
        "Hartlepool": "local_authority",
        "Stockton-on-Tees": "local_authority",
        "Middlesbrough": "local_authority",
        "Redcar and Cleveland": "local_authority",
        "HSSCP": "partnership",
        "STSCP": "partnership",
        "Tees": "tees",
    }
    units = {r["indicator_id"]: r["unit"] for r in rows}
    assert (units["3.2.1"], units["4.2.2"], units["E1.1"], units["1.1.2"], units["2.1.4"]) == (
        "percent",
        "count",
        "percent",
        "rate_per_10000",
        "days",
    )


def test_challenge_matrix_breakdown(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    rows = read_csv(folder / "results.csv")
    hsscp = {
        r["breakdown_value"]: r["value"]
        for r in rows
        if r["indicator_id"] == "4.2.2" and r["area"] == "HSSCP" and r["breakdown"]
    }
    assert hsscp["Police|Health"] == "2"
    assert hsscp["Health|Education"] == "1"
    assert hsscp["Education|Children's social care"] == "1"
    assert hsscp["Health|Police"] == "0"  # only in STSCP
    assert {r["breakdown"] for r in rows if r["indicator_id"] == "4.2.2" and r["breakdown"]} == {
        "raising_organisation|receiving_organisation"
    }


def test_validation_names_file_sheet_cell_and_rule(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    report = json.loads((folder / "validation.json").read_text())
    errors = [
        (i["location"]["file"], i["location"]["sheet"], i["location"]["cell"], i["code"])
        for i in report["issues"]
        if i["level"] == "error"
    ]
    assert errors == [("redcar_csc-2024Q3.xlsx", "Strategy discussions", "D2", "R3.2-001")]
    status = {(r["agency"], r["return"]): r["status"] for r in report["returns"]}
    assert status[("redcar_csc", "strategy_discussions")] == "rejected"
    assert status[("redcar_csc", "workforce")] == "received"


def test_packs_show_the_figures_and_the_marking_on_every_page(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    reader = PdfReader(folder / "HSSCP-2024Q3.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert all("OFFICIAL-SENSITIVE" in text for text in pages)
    text = "\n".join(pages)
    # 3.2.1: HSSCP 5 of 8 and Hartlepool 3 of 5, 3.1.1: HSSCP 4 of 6, below the minimum base
    # of 10 cases, so shown as counts; E1.1 turnover: HSSCP 6 of 145 FTE = 4.1%, Hartlepool
    # 3 of 62.5 = 4.8%, Tees 18 of 290 = 6.2%.
    for figure in ("5 of 8", "3 of 5", "4 of 6", "4.1%", "4.8%", "6.2%"):
        assert figure in text, figure
    assert "Hartlepool and Stockton-on-Tees Safeguarding Children Partnership" in text
    assert "2024/25 Q2" in text
    assert (
        reader.metadata is not None and reader.metadata.title == "HSSCP safeguarding dataset 2024Q3"
    )
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp  # declared PDF/UA-1
    assert root["/MarkInfo"]["/Marked"] and root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_no_child_reference_in_any_shared_output(built: tuple[Path, int, str]) -> None:
    folder, _, output = built
    assert SECRET not in output
    for path in [folder / "results.csv", folder / "validation.json", folder / "manifest.json"]:
        assert SECRET not in path.read_text(), path
    for pdf in folder.glob("*.pdf"):
        assert SECRET not in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    from openpyxl import load_workbook

    for book in [folder / "validation.xlsx", folder / "dataset-2024Q3.xlsx"]:
        wb = load_workbook(book, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                assert not any(isinstance(v, str) and SECRET in v for v in row), book


def test_manifest_lists_inputs_with_checksums(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["inputs"]) == 15
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert len(manifest["catalogue"]["sha256"]) == 64
    assert manifest["quarter"] == "2024Q3"


def _pages(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


@pytest.mark.parametrize("partnership", ["HSSCP", "STSCP"])
def test_each_indicators_page_shows_the_figures_in_results_csv(
    built: tuple[Path, int, str], catalogue: Catalogue, partnership: str
) -> None:
    from html import escape

    from tees_dataset.render.views import figure_text

    folder, _, _ = built
    text = " ".join(_pages(folder / f"{partnership}-2024Q3.pdf"))
    html = (folder / f"{partnership}-2024Q3.html").read_text(encoding="utf-8")
    rows = [r for r in read_csv(folder / "results.csv") if not r["breakdown"]]
    p = next(x for x in catalogue.partnerships if x.id == partnership)
    las = [la.name for la in catalogue.local_authorities if la.id in p.local_authorities]

    def section(ind_id: str) -> str:
        start = html.index(f'id="indicator-{ind_id}"')
        end = html.find('<section class="indicator"', start + 1)
        found = html[start : end if end > 0 else None]
        same = re.search(r'those of <a href="#indicator-([^"]+)"', found)
        return section(same.group(1)) if same else found

    for _, _, ind in catalogue.indicators():
        assert f"{ind.id} {ind.title.split()[0]}" in text, (
            f"{ind.id} is not in the {partnership} pack"
        )
        shown_in = section(ind.id)
        for area in [*las, partnership]:
            (row,) = [r for r in rows if r["indicator_id"] == ind.id and r["area"] == area]
            number = {
                k: float(row[k]) if row[k] else None for k in ("value", "numerator", "denominator")
            }
            shown = figure_text(row | number, catalogue.pack.minimum_base)
            assert escape(shown) in shown_in, (ind.id, area, shown)


def test_free_text_from_a_return_is_printed_as_text(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    html = (folder / "HSSCP-2024Q3.html").read_text()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html
    assert '<img src="file:///etc/passwd"' not in html
    text = " ".join(_pages(folder / "HSSCP-2024Q3.pdf"))
    assert "<b>Bold</b>" in text and "file:///etc/" in text  # shown, not followed
    reader = PdfReader(folder / "HSSCP-2024Q3.pdf")
    assert all(not page.images for page in reader.pages)  # no image was fetched and drawn


def test_pack_structure_summary_and_appendix(built: tuple[Path, int, str]) -> None:
    folder, _, _ = built
    reader = PdfReader(folder / "HSSCP-2024Q3.pdf")

    def flat(items: list[Any]) -> list[str]:
        return [t for o in items for t in (flat(o) if isinstance(o, list) else [o.title])]

    titles = flat(reader.outline)  # PDF bookmarks, from the headings
    assert titles[:2] == [
        "Hartlepool and Stockton-on-Tees Safeguarding Children Partnership",
        "Contents",
    ]
    assert "3.2.1 Number of strategy discussions within 1 working day of referral" in titles
    # The overview and the key lines of enquiry come first, the appendix last.
    assert titles[2:4] == ["Overview: every indicator at a glance", "Key lines of enquiry"]
    assert "Appendix: methods, symbols and sources" in titles
    text = " ".join(_pages(folder / "HSSCP-2024Q3.pdf"))
    assert "Data completeness" in text and "Key lines of enquiry" in text
    assert "✘ rejected" not in text  # Redcar's rejection is not an HSSCP agency's
    assert "July to September 2024 (2024/25 Q2)" in text
    for digest in ("Data sources", "SHA-256"):
        assert digest in text


def test_publishable_variant(tmp_path: Path, catalogue: Catalogue) -> None:
    write_fixture(catalogue, tmp_path / "returns")
    result = CliRunner().invoke(
        app,
        ["build", "--quarter", "2024Q3", "--publish", "--returns", str(tmp_path / "returns"),
         "--out", str(tmp_path / "out"), "--catalogue", str(ROOT / "indicators.yaml")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    folder = tmp_path / "out" / "2024Q3-published"
    rows = {
        (r["indicator_id"], r["area"]): r
        for r in read_csv(folder / "results.csv")
        if not r["breakdown"]
    }
    # 3.2.1: Hartlepool 3 of 5 and Stockton 2 of 3 are small; HSSCP 5 of 8 too.
    assert [rows[("3.2.1", a)]["status"] for a in ("Hartlepool", "Stockton-on-Tees", "HSSCP")] == [
        "suppressed"
    ] * 3
    assert (
        rows[("3.2.1", "Hartlepool")]["value"] == rows[("3.2.1", "Hartlepool")]["numerator"] == ""
    )
    # E1.1 Tees: 18 leavers of 290 is not small, and nothing beside it gives a small number away.
    assert rows[("E1.1", "Tees")]["value"] == "6.2"
    pages = _pages(folder / "HSSCP-2024Q3.pdf")
    assert not any("OFFICIAL-SENSITIVE" in p for p in pages)
    assert not (folder / "validation.json").exists() and not (folder / "feedback").exists()
    assert (tmp_path / "out" / "2024Q3").exists() is False  # the internal build is separate
