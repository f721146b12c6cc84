"""The pack built from the committed sample returns (12 quarters) as a reader, a screen reader
and pdfinfo see it: overview first, at most six key lines of enquiry, at most 32 pages, a
tagged structure, symbols and charts with text alternatives, and no text under 9 pt."""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_returns"
PACKS = ("HSSCP", "STSCP")


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "out"
    result = CliRunner().invoke(app, [
        "build", "--html", "--quarter", "2024Q3", "--returns", str(SAMPLES), "--out", str(out),
        "--catalogue", str(ROOT / "indicators.yaml"),
    ])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return out / "2024Q3"


def _html(folder: Path, pack: str) -> str:
    return (folder / f"{pack}-2024Q3.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("pack", PACKS)
def test_the_pack_is_at_most_32_pages(sample_build: Path, pack: str) -> None:
    assert len(PdfReader(sample_build / f"{pack}-2024Q3.pdf").pages) <= 32


@pytest.mark.parametrize("pack", PACKS)
def test_the_overview_comes_first_and_holds_every_indicator(
    sample_build: Path, pack: str, catalogue: Catalogue
) -> None:
    html = _html(sample_build, pack)
    sections = re.findall(r"<h2>([^<]+)</h2>", html)
    assert sections[1:4] == [
        "Overview: every indicator at a glance", "Key lines of enquiry", "Data completeness",
    ]  # fmt: skip
    overview = html[html.index('<table class="overview">') : html.index('id="enquiries"')]
    shown = set(re.findall(r'href="#indicator-([^"]+)"', overview))
    assert shown == {i.id for _, _, i in catalogue.indicators()}
    # Concerns first: no concern row after the first row that is not one.
    kinds = re.findall(r'<tr class="kind-(concern|strength|none)">', overview)
    assert kinds == sorted(kinds, key=["concern", "strength", "none"].index)


@pytest.mark.parametrize("pack", PACKS)
def test_at_most_six_enquiries_and_no_indicator_is_both_a_concern_and_a_strength(
    sample_build: Path, pack: str
) -> None:
    html = _html(sample_build, pack)
    enquiries = html[html.index('id="enquiries"') : html.index('id="completeness"')]
    assert 1 <= enquiries.count("<li><h3>") <= 6
    overview = html[html.index('<table class="overview">') : html.index('id="enquiries"')]
    concerns = set(re.findall(r'kind-concern">\s*<th[^>]*><a href="#indicator-([^"]+)"', overview))
    strengths = set(
        re.findall(r'kind-strength">\s*<th[^>]*><a href="#indicator-([^"]+)"', overview)
    )
    assert concerns and not concerns & strengths
    listed = enquiries[enquiries.index("<h3>Strengths</h3>") :]
    assert not set(re.findall(r'href="#indicator-([^"]+)"', listed)) & concerns


def test_results_csv_carries_intervals_and_signals(sample_build: Path) -> None:
    with (sample_build / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"ci_lower", "ci_upper", "signal", "signal_basis"} <= set(rows[0])
    assert {r["signal"] for r in rows} <= {
        "improvement", "concern", "no_significant_change", "not_assessed",
    }  # fmt: skip
    headline = [r for r in rows if r["breakdown"] == "" and r["status"] == "ok"]
    # The samples hold 12 quarters: headlines are judged by SPC, and some show special cause.
    assert any(r["signal_basis"].startswith("SPC over 12 quarters") for r in headline)
    assert any(r["signal"] in ("improvement", "concern") for r in headline)
    for r in headline:
        if r["unit"] == "percent" and r["ci_lower"]:
            assert float(r["ci_lower"]) <= float(r["value"]) <= float(r["ci_upper"])
    assert (sample_build / "enquiries.csv").is_file()


def _struct(pdf: Path) -> str:
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo (poppler-utils) is needed: make dev installs it")
    return subprocess.run(
        ["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True, check=True
    ).stdout


def test_pdfinfo_sees_a_tagged_structure(sample_build: Path) -> None:
    text = _struct(sample_build / "HSSCP-2024Q3.pdf")
    assert text.startswith("Document")
    for tag in (
        "H1 ",
        "H2 ",
        "H3 ",
        "H4 ",
        "Table ",
        "TH ",
        "TD:",
        "/Headers",
        "Figure",
        "Caption",
    ):
        assert tag in text, tag
    # The contents are a table of sections and page numbers: no dot leaders to read out.
    assert "...." not in text and "leader" not in text
    # Label-value pairs are table rows with header cells, not flat lists.
    about = text[text.index('"About this pack"') :][:800]
    assert "TH" in about and '"Quarter"' in about and "/Headers" in about
    assert re.search(r'TH[^\n]*\n\s+Span \(inline\)\n\s+"Definition"', text)


def _figures(reader: PdfReader) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        if node.get("/S") == "/Figure":
            found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object"):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_symbols_and_charts_have_text_alternatives(sample_build: Path) -> None:
    figures = _figures(PdfReader(sample_build / "HSSCP-2024Q3.pdf"))
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert all(alts), "every figure has a text alternative"
    symbols = {a for a in alts if len(a) < 20}
    assert symbols and symbols <= {"not available", "not applicable", "suppressed"}
    charts = [a for a in alts if len(a) >= 20]
    assert len(charts) >= 40
    # Each chart's text alternative opens with one sentence on the trend.
    assert all(re.match(r"^\S.* (rose|fell|was|has) .*?\.", a) for a in charts)


def test_no_text_is_under_9_points(sample_build: Path) -> None:
    reader = PdfReader(sample_build / "HSSCP-2024Q3.pdf")
    smallest = math.inf

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        nonlocal smallest
        if text.strip():
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            smallest = min(smallest, size * scale)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert 9.0 - 0.05 <= smallest < 20


def test_tables_whose_cells_break_anywhere_are_laid_out_fixed() -> None:
    """A cell that may break after any character has a narrowest width of one character; an auto
    table layout finds it by trying a break after every character of every such cell. The 51
    "about" tables of a pack took three quarters of its rendering time that way. (Headers that
    may break anywhere hold a word or two, and cost little.)"""
    css = (ROOT / "templates" / "pack.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    anywhere: set[str] = set()
    fixed: set[str] = set()
    for prelude, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        body = body.replace(" ", "")
        for selector in prelude.split(","):
            words = selector.split()
            if not words or not words[0].startswith("table."):
                continue
            if "overflow-wrap:anywhere" in body and words[-1] == "td":
                anywhere.add(words[0])
            if "table-layout:fixed" in body and len(words) == 1:
                fixed.add(words[0])
    assert {"table.about", "table.carried"} <= anywhere
    assert anywhere <= fixed, f"auto layout with cells that break anywhere: {anywhere - fixed}"
