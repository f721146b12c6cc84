"""National benchmarks: DfE's files imported as published, the year and the figures a quarter is
set beside, the local figure made comparable, and how the outputs and the pack show them.

Every expected figure is worked by hand from the published rows quoted here (copied from DfE's
files as downloaded), never taken from the code's own output."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Benchmark, Catalogue
from tees_dataset.cli import app
from tees_dataset.compute.benchmarks import (
    BENCHMARK_COLUMNS,
    benchmark_rows,
    local_figure,
    neighbour_average,
    year_for,
)
from tees_dataset.quarter import Quarter
from tees_dataset.reference import STATISTICS, load_benchmark_data
from tees_dataset.reference.commands import reference_app
from tees_dataset.reference.importer import import_file
from tees_dataset.reference.published import published, round1
from tees_dataset.render.context import build_context

from .fixture_returns import write_fixture

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
DFE = ROOT.parent / "shared" / "reference" / "dfe"
C1_NAME = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
C1_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,category,referral_count,rereferral_count,"
    "rereferral_percent,no_further_action_count,no_further_action_percent,not_in_need_count,"
    "not_in_need_percent,referral_child_count,rereferral_child_count,rereferral_child_percent"
)
# Rows of c1 as DfE published them: England and the North East in 2024 and 2025, and in 2025
# Hartlepool, Stockton-on-Tees and Hartlepool's ten statistical neighbours.
C1_ROWS = """\
2025,Reporting year,National,E92000001,England,,,,,,Referrals and Re-referrals,632830,142900,22.6,41340,6.5,194620,30.8,557810,116950,21
2024,Reporting year,National,E92000001,England,,,,,,Referrals and Re-referrals,621880,139080,22.4,38920,6.3,188300,30.3,551060,115550,21
2025,Reporting year,Regional,E92000001,England,E12000001,North East,,,,Referrals and Re-referrals,32490,6730,20.7,390,1.2,10160,31.3,29100,5710,19.6
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,840,E06000047,County Durham,Referrals and Re-referrals,5378,1003,18.7,0,0,1106,20.6,4860,861,17.7
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,390,E08000037,Gateshead,Referrals and Re-referrals,1613,224,13.9,15,0.9,482,29.9,1508,217,14.4
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool,Referrals and Re-referrals,2020,536,26.5,12,0.6,366,18.1,1762,440,25
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,806,E06000002,Middlesbrough,Referrals and Re-referrals,3636,921,25.3,134,3.7,1050,28.9,3041,718,23.6
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,807,E06000003,Redcar and Cleveland,Referrals and Re-referrals,1967,287,14.6,c,c,103,5.2,1795,263,14.7
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,393,E08000023,South Tyneside,Referrals and Re-referrals,1562,268,17.2,c,c,578,37,1460,241,16.5
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,808,E06000004,Stockton-on-Tees,Referrals and Re-referrals,3959,1140,28.8,c,c,2034,51.4,3427,951,27.8
2025,Reporting year,Local authority,E92000001,England,E12000001,North East,394,E08000024,Sunderland,Referrals and Re-referrals,3193,590,18.5,0,0,1023,32,2892,508,17.6
2025,Reporting year,Local authority,E92000001,England,E12000002,North West,890,E06000009,Blackpool,Referrals and Re-referrals,2707,634,23.4,0,0,958,35.4,2349,531,22.6
2025,Reporting year,Local authority,E92000001,England,E12000002,North West,876,E06000006,Halton,Referrals and Re-referrals,1717,327,19,26,1.5,543,31.6,1577,283,17.9
2025,Reporting year,Local authority,E92000001,England,E12000002,North West,340,E08000011,Knowsley,Referrals and Re-referrals,1547,240,15.5,59,3.8,244,15.8,1420,222,15.6
2025,Reporting year,Local authority,E92000001,England,E12000003,Yorkshire and The Humber,372,E08000018,Rotherham,Referrals and Re-referrals,2909,570,19.6,287,9.9,1218,41.9,2589,490,18.9
"""
# Hartlepool's row of sn_model_2025_wide.csv: its ten neighbours, closest first.
HARTLEPOOL_NEIGHBOURS = ["807", "394", "393", "890", "806", "390", "840", "876", "372", "340"]
# From the rows above (2025): each neighbour's re-referral percentage and referrals, and its
# children aged 0 to 17 at mid-2024 (ons_mid-year_population_estimates_2012_to_2024.csv).
NEIGHBOURS_2025 = {
    "807": (14.6, 1967, 27499),
    "394": (18.5, 3193, 56770),
    "393": (17.2, 1562, 30513),
    "890": (23.4, 2707, 28923),
    "806": (25.3, 3636, 35617),
    "390": (13.9, 1613, 40414),
    "840": (18.7, 5378, 100432),
    "876": (19.0, 1717, 27739),
    "372": (19.6, 2909, 59521),
    "340": (15.5, 1547, 36039),
}
ENGLAND_CHILDREN_MID_2024 = 12183016
HARTLEPOOL_CHILDREN_MID_2024 = 21090


@pytest.fixture(scope="module")
def data() -> Any:
    """The shipped reference data: DfE's files as `tees-dataset reference import` wrote them."""
    return load_benchmark_data(REFERENCE)


def write_c1(folder: Path, rows: str = C1_ROWS, header: str = C1_HEADER) -> Path:
    path = folder / C1_NAME
    path.write_text(f"{header}\n{rows}", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ import


def test_import_keeps_every_figure_as_published_with_its_source(tmp_path: Path) -> None:
    source = write_c1(tmp_path)
    reference = tmp_path / "reference"
    done = import_file(source, reference)
    assert (done.dataset, done.publication_year, done.changed) == ("c1_referrals", 2025, True)
    with (reference / "benchmarks" / "c1_referrals.csv").open(newline="") as handle:
        tidy = list(csv.DictReader(handle))
    england = {
        (r["year"], r["measure"]): (r["value"], r["symbol"]) for r in tidy if r["area_code"] == "E92000001"
    }  # fmt: skip
    assert england[("2025", "rereferral_percent")] == ("22.6", "")
    assert england[("2024", "rereferral_percent")] == ("22.4", "")
    assert england[("2025", "referral_count")] == ("632830", "")
    stockton = [r for r in tidy if r["old_la_code"] == "808"]
    assert {r["measure"]: r["value"] for r in stockton}["rereferral_percent"] == "28.8"
    assert (
        stockton[0]["area_code"] == "E06000004" and stockton[0]["area_level"] == "local_authority"
    )
    # 3 measures for England twice, the North East, and 12 authorities in 2025.
    assert done.rows == len(tidy) == 3 * (2 + 1 + 12)
    with (reference / "sources.csv").open(newline="") as handle:
        (ledger,) = list(csv.DictReader(handle))
    assert ledger["file"] == C1_NAME and ledger["publication_year"] == "2025"
    assert ledger["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    before = {p: p.read_bytes() for p in reference.rglob("*.csv")}
    again = import_file(source, reference)
    assert not again.changed
    assert {p: p.read_bytes() for p in reference.rglob("*.csv")} == before


def test_a_changed_layout_is_one_line_and_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    renamed = write_c1(tmp_path, header=C1_HEADER.replace("rereferral_count", "re_referrals"))
    result = runner.invoke(
        reference_app, ["import", str(renamed), "--reference-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "layout has changed: no column 'rereferral_count'" in result.output
    assert not (tmp_path / "r").exists()  # nothing written
    # Right columns, but no row of the kind the file holds (a category DfE has renamed).
    recategorised = write_c1(
        tmp_path, rows=C1_ROWS.replace("Referrals and Re-referrals", "Referrals")
    )
    result = runner.invoke(
        reference_app, ["import", str(recategorised), "--reference-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "(rows where category is 'Referrals and Re-referrals')" in result.output
    # A figure that is neither a number nor one of DfE's symbols.
    garbled = write_c1(tmp_path, rows=C1_ROWS.replace(",22.6,", ",22·6,"))
    result = runner.invoke(
        reference_app, ["import", str(garbled), "--reference-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "line 2: rereferral_percent '22·6' is neither" in result.output


def test_an_older_publication_never_replaces_a_newer_one(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    import_file(write_c1(tmp_path), reference)
    before = (reference / "benchmarks" / "c1_referrals.csv").read_bytes()
    older = tmp_path / "older"
    older.mkdir()
    rows_2024 = "".join(line + "\n" for line in C1_ROWS.splitlines() if line.startswith("2024"))
    result = CliRunner().invoke(
        reference_app,
        ["import", str(write_c1(older, rows=rows_2024)), "--reference-dir", str(reference)],
    )
    assert result.exit_code == 2 and "already holds the 2025 publication" in result.output
    assert (reference / "benchmarks" / "c1_referrals.csv").read_bytes() == before


@pytest.mark.skipif(not DFE.is_dir(), reason="DfE's downloads are not beside the repository")
def test_the_shipped_reference_data_is_exactly_what_importing_dfes_files_writes(
    tmp_path: Path,
) -> None:
    reference = tmp_path / "reference"
    result = CliRunner().invoke(
        reference_app,
        ["import", *map(str, sorted(DFE.glob("*.csv"))), "--reference-dir", str(reference)],
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(reference) for p in reference.rglob("*.csv"))
    assert written == sorted(p.relative_to(REFERENCE) for p in REFERENCE.rglob("*.csv"))
    for path in written:
        assert (reference / path).read_bytes() == (REFERENCE / path).read_bytes(), path
    with (reference / "sources.csv").open(newline="") as handle:
        ledger = {r["file"]: r for r in csv.DictReader(handle)}
    for source in DFE.glob("*.csv"):
        assert ledger[source.name]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert ledger["sn_model_2025_wide.csv"]["publication_year"] == "2025"
    assert (
        ledger["ons_mid-year_population_estimates_2012_to_2024.csv"]["publication_year"] == "2024"
    )
    again = CliRunner().invoke(
        reference_app,
        ["import", *map(str, sorted(DFE.glob("*.csv"))), "--reference-dir", str(reference)],
    )
    assert again.exit_code == 0 and again.output.count("unchanged") == len(list(DFE.glob("*.csv")))


# ------------------------------------------------------------------ published figures


def test_published_figures_as_dfe_gives_them(data: Any) -> None:
    rereferrals = STATISTICS["re_referrals_percent"]
    assert published(data, rereferrals, 2025, "E92000001").value == 22.6  # England
    assert published(data, rereferrals, 2025, "E12000001").value == 20.7  # North East
    assert published(data, rereferrals, 2025, "805").value == 26.5  # Hartlepool
    # DfE gives referrals as a count: the rate is per 10,000 children at mid-2024.
    referrals = STATISTICS["referrals_per_10000"]
    assert round1(10000 * 632830 / ENGLAND_CHILDREN_MID_2024) == 519.4
    assert published(data, referrals, 2025, "E92000001").value == 519.4
    assert round1(10000 * 2020 / HARTLEPOOL_CHILDREN_MID_2024) == 957.8
    assert published(data, referrals, 2025, "805").value == 957.8
    # Children looked after: DfE's own rate (cla_number_and_rate_per_10k_children.csv, 2025:
    # England 81,770 of 12,183,016 = 67; Hartlepool 332 of 21,090 = 157).
    looked_after = STATISTICS["looked_after_per_10000"]
    assert published(data, looked_after, 2025, "E92000001").value == 67
    assert published(data, looked_after, 2025, "805").value == 157
    # Workforce at 30 September 2024 (csww): England 13.9, North East 14.
    turnover = STATISTICS["social_worker_turnover_percent"]
    assert published(data, turnover, 2024, "E92000001").value == 13.9
    assert published(data, turnover, 2024, "E12000001").value == 14.0
    # A suppressed figure has no value, and says why: Redcar and Cleveland's no further
    # action count is "c" in 2025 (not a benchmark; read straight from the data).
    assert data.figures[("c1_referrals", "rereferral_percent", 2025, "807")].value == 14.6


def test_the_neighbour_average_is_the_mean_of_the_ten_neighbours_published_values(
    data: Any,
) -> None:
    assert list(data.neighbours["805"]) == HARTLEPOOL_NEIGHBOURS
    percents = [p for p, _, _ in NEIGHBOURS_2025.values()]
    by_hand = round1(sum(percents) / 10)  # 185.7 / 10 = 18.57
    assert by_hand == 18.6
    average = neighbour_average(data, STATISTICS["re_referrals_percent"], 2025, "805")
    assert (average.value, average.used, average.of) == (18.6, 10, 10)
    # Each neighbour's rate as DfE would publish it (one decimal place), then their mean.
    rates = [round1(10000 * n / children) for _, n, children in NEIGHBOURS_2025.values()]
    assert round1(sum(rates) / 10) == 621.8
    assert neighbour_average(data, STATISTICS["referrals_per_10000"], 2025, "805").value == 621.8


def test_a_neighbour_without_a_published_figure_is_left_out_and_named(data: Any) -> None:
    # csww 2024 turnover: Sunderland is "u" (low reliability); the other nine are 16.4
    # (Redcar and Cleveland), 23 (South Tyneside), 14.7 (Blackpool), 23.4 (Middlesbrough),
    # 15.4 (Gateshead), 11.1 (County Durham), 11.3 (Halton), 12 (Rotherham), 24.6 (Knowsley).
    nine = [16.4, 23.0, 14.7, 23.4, 15.4, 11.1, 11.3, 12.0, 24.6]
    average = neighbour_average(data, STATISTICS["social_worker_turnover_percent"], 2024, "805")
    assert (average.value, average.used, average.of) == (round1(sum(nine) / 9), 9, 10)
    assert average.value == 16.9
    assert "Sunderland: of low reliability (u)" in average.note


@pytest.mark.parametrize(
    ("statistic", "quarter", "year"),
    [
        ("re_referrals_percent", Quarter(2024, 3), 2024),  # to 31 March 2024 (2025: later)
        ("re_referrals_percent", Quarter(2024, 4), 2024),
        ("re_referrals_percent", Quarter(2025, 1), 2025),  # ends on 31 March 2025
        ("re_referrals_percent", Quarter(2026, 2), 2025),  # the latest published
        ("re_referrals_percent", Quarter(2012, 4), None),  # before the first (2013)
        ("social_worker_turnover_percent", Quarter(2024, 2), 2023),  # 30 Sept 2024 is later
        ("social_worker_turnover_percent", Quarter(2024, 3), 2024),
        ("looked_after_per_10000", Quarter(2021, 1), 2021),  # the file starts in 2021
        ("looked_after_per_10000", Quarter(2020, 4), None),
    ],
)
def test_a_quarter_uses_the_latest_year_dated_no_later_than_its_end(
    data: Any, statistic: str, quarter: Quarter, year: int | None
) -> None:
    assert year_for(data, STATISTICS[statistic], quarter) == year


# --------------------------------------------------------------------- local figures


def headline(quarter: str, area: str, numerator: float, denominator: float, status: str = "ok",
             indicator: str = "1.2.3") -> dict[str, Any]:  # fmt: skip
    value = round1(100 * numerator / denominator) if status == "ok" and denominator else None
    return {
        "quarter": quarter, "area": area, "indicator_id": indicator, "breakdown": "",
        "breakdown_value": "", "numerator": numerator, "denominator": denominator,
        "value": value, "status": status, "note": "", "unit": "percent",
    }  # fmt: skip


def test_twelve_months_pool_the_four_quarters(catalogue: Catalogue) -> None:
    q = Quarter(2025, 1)
    rereferrals = catalogue.indicator("1.2.3")
    assert rereferrals is not None and isinstance(rereferrals.benchmark, Benchmark)
    now = headline("2025Q1", "HSSCP", 40, 200)
    rows = {("1.2.3", "HSSCP", "", ""): now}
    trend = {
        ("2024Q4", "1.2.3", "HSSCP"): headline("2024Q4", "HSSCP", 30, 100),
        ("2024Q3", "1.2.3", "HSSCP"): headline("2024Q3", "HSSCP", 20, 100),
        ("2024Q2", "1.2.3", "HSSCP"): headline("2024Q2", "HSSCP", 10, 100),
    }
    # (40 + 30 + 20 + 10) of (200 + 100 + 100 + 100) = 100 of 500 = 20.0%.
    got = local_figure(rereferrals, rereferrals.benchmark, q, "HSSCP", rows, trend)
    assert (got.basis, got.value, got.status) == ("12 months to 2025Q1", 20.0, "ok")
    # A rate: the four quarters' referrals over this quarter's children (a population).
    referrals = catalogue.indicator("1.2.2")
    assert referrals is not None and isinstance(referrals.benchmark, Benchmark)
    rate_rows = {
        ("1.2.2", "HSSCP", "", ""): headline("2025Q1", "HSSCP", 130, 20000, indicator="1.2.2")
    }
    rate_trend = {
        (f"{q.shift(-n)}", "1.2.2", "HSSCP"): headline(str(q.shift(-n)), "HSSCP", 130 - 10 * n, 19000, indicator="1.2.2")
        for n in (1, 2, 3)
    }  # fmt: skip
    # 130 + 120 + 110 + 100 = 460 referrals per 20,000 children = 230.0 per 10,000.
    got = local_figure(referrals, referrals.benchmark, q, "HSSCP", rate_rows, rate_trend)
    assert (got.value, got.status) == (230.0, "ok")
    # Never a part-year figure: a quarter missing from the archive, or a missing return.
    gap = {k: v for k, v in trend.items() if k[0] != "2024Q2"}
    got = local_figure(rereferrals, rereferrals.benchmark, q, "HSSCP", rows, gap)
    assert (got.value, got.status, got.note) == (None, "missing", "no figures for 2024Q2")
    trend[("2024Q3", "1.2.3", "HSSCP")] = headline("2024Q3", "HSSCP", 0, 0, status="missing")
    got = local_figure(rereferrals, rereferrals.benchmark, q, "HSSCP", rows, trend)
    assert (got.value, got.status) == (None, "missing")
    trend[("2024Q3", "1.2.3", "HSSCP")] = headline("2024Q3", "HSSCP", 0, 0, status="suppressed")
    assert (
        local_figure(rereferrals, rereferrals.benchmark, q, "HSSCP", rows, trend).status
        == "suppressed"
    )


# ------------------------------------------------------------------- benchmarks.csv


def quarter_rows(
    catalogue: Catalogue, q: Quarter
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """1.2.3 for every area in q (the results) and the three quarters before (the trend): each
    authority 25 re-referrals of 100 referrals a quarter."""
    from tees_dataset.compute import areas

    results, trend = [], []
    for area in areas(catalogue):
        members = len(area.members)
        results.append(headline(str(q), area.name, 25 * members, 100 * members))
        trend += [
            headline(str(q.shift(-n)), area.name, 25 * members, 100 * members) for n in (1, 2, 3)
        ]
    return results, trend


def test_benchmark_rows_set_each_area_beside_the_published_figures(
    catalogue: Catalogue, data: Any
) -> None:
    q = Quarter(2025, 1)
    results, trend = quarter_rows(catalogue, q)
    rows = [
        r
        for r in benchmark_rows(catalogue, q, results, trend, data)
        if r["indicator_id"] == "1.2.3"
    ]
    assert all(set(r) == set(BENCHMARK_COLUMNS) for r in rows)
    got = {(r["area"], r["benchmark"]): r["value"] for r in rows}
    assert got == {
        ("Hartlepool", "published"): 26.5, ("Hartlepool", "statistical_neighbours"): 18.6,
        ("Hartlepool", "north_east"): 20.7, ("Hartlepool", "england"): 22.6,
        ("Stockton-on-Tees", "published"): 28.8,
        # Darlington 13, Dudley 22.5, Lancashire 16.3, Gateshead 13.9, Wakefield 18.5, Bury 26,
        # County Durham 18.7, Rotherham 19.6, Telford and Wrekin 15.8, Wirral 22.2: 186.5 / 10
        # = 18.65, rounded half away from zero.
        ("Stockton-on-Tees", "statistical_neighbours"): 18.7,
        ("Stockton-on-Tees", "north_east"): 20.7, ("Stockton-on-Tees", "england"): 22.6,
        ("Middlesbrough", "published"): 25.3,
        # Blackpool 23.4, Hartlepool 26.5, Stoke-on-Trent 21, Rochdale 17.2, Newcastle upon
        # Tyne 17.2, Wolverhampton 20.8, Walsall 19.7, South Tyneside 17.2, Liverpool 30.5,
        # Salford 23.4: 216.9 / 10.
        ("Middlesbrough", "statistical_neighbours"): 21.7,
        ("Middlesbrough", "north_east"): 20.7, ("Middlesbrough", "england"): 22.6,
        ("Redcar and Cleveland", "published"): 14.6,
        # Sunderland 18.5, South Tyneside 17.2, Hartlepool 26.5, Rotherham 19.6, Gateshead
        # 13.9, County Durham 18.7, Barnsley 25.5, Tameside 27.7, Doncaster 29.4, Torbay 24.3:
        # 221.3 / 10.
        ("Redcar and Cleveland", "statistical_neighbours"): 22.1,
        ("Redcar and Cleveland", "north_east"): 20.7, ("Redcar and Cleveland", "england"): 22.6,
        # Partnerships and Tees: England and the North East only.
        ("HSSCP", "north_east"): 20.7, ("HSSCP", "england"): 22.6,
        ("STSCP", "north_east"): 20.7, ("STSCP", "england"): 22.6,
        ("Tees", "north_east"): 20.7, ("Tees", "england"): 22.6,
    }  # fmt: skip
    hartlepool = next(r for r in rows if r["area"] == "Hartlepool")
    assert (hartlepool["year"], hartlepool["period"]) == (2025, "year to 31 March 2025")
    # 4 quarters of 25 of 100 = 25.0%, for every area.
    assert {(r["local_basis"], r["local_value"], r["local_status"]) for r in rows} == {
        ("12 months to 2025Q1", 25.0, "ok")
    }
    assert "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv" in hartlepool["source"]
    # Indicators with `benchmark: none` have no rows.
    assert not [
        r
        for r in benchmark_rows(catalogue, q, results, trend, data)
        if r["indicator_id"] == "3.2.1"
    ]


# ------------------------------------------------------------------------------ pack


def test_the_pack_shows_the_benchmarks_in_the_headline_table_and_on_the_chart(
    catalogue: Catalogue, data: Any
) -> None:
    q = Quarter(2025, 1)
    results, trend = quarter_rows(catalogue, q)
    rows = benchmark_rows(catalogue, q, results, trend, data)
    hsscp = next(p for p in catalogue.partnerships if p.id == "HSSCP")
    context = build_context(
        catalogue, hsscp, q, results, [], tool_version="t", trend=results + trend,
        produced=dt.datetime(2025, 4, 5, tzinfo=dt.UTC), benchmarks=rows,
    )  # fmt: skip
    views = {i.id: i for a in context.aims for o in a.objectives for i in o.indicators}
    view = views["1.2.3"]
    # Columns: Hartlepool, Stockton-on-Tees, HSSCP, Tees.
    assert dict(view.benchmark_rows) == {
        "12 months to 2025Q1": ["25.0%", "25.0%", "25.0%", "25.0%"],
        "Published 2025": ["26.5%", "28.8%", "", ""],
        "Neighbours 2025": ["18.6%", "18.7%", "", ""],
        "North East 2025": ["20.7%"] * 4,
        "England 2025": ["22.6%"] * 4,
    }
    assert "2025: DfE's figures for the year to 31 March 2025" in view.benchmark_note
    svg = ET.fromstring(str(view.chart))
    lines = [
        e for e in svg.iter("{http://www.w3.org/2000/svg}line") if e.get("stroke-width") == "0.8"
    ]
    assert len(lines) == 2 + 2  # two reference lines and their keys beside the labels
    labels = [e.text for e in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "England 2025" in labels and "North East 2025" in labels
    assert view.chart_alt.endswith(
        "Reference lines: England, year to 31 March 2025, 22.6%; North East, year to 31 March "
        "2025, 20.7%."
    )
    assert "England (solid) and North East (dotted), year to 31 March 2025" in view.chart_references
    # A 12-month rate is four times a quarter's: in the table, not drawn on the quarterly chart.
    assert "Reference lines" not in views["1.2.2"].chart_alt
    assert "not on this chart" in views["1.2.2"].chart_references
    # An indicator without a fair national equivalent says so.
    assert (
        views["3.2.1"].no_benchmark
        == "DfE does not publish the time from referral to strategy discussion."
    )
    # The rows of this pack's areas are in the context for an overview.
    assert {r["area"] for r in context.benchmarks} == {
        "Hartlepool",
        "Stockton-on-Tees",
        "HSSCP",
        "Tees",
    }


def test_a_build_writes_benchmarks_csv_and_the_pack_shows_them(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    write_fixture(catalogue, tmp_path / "returns")
    shutil.copy(ROOT / "indicators.yaml", tmp_path / "indicators.yaml")
    shutil.copytree(REFERENCE, tmp_path / "reference")
    result = CliRunner().invoke(
        app,
        ["build", "--quarter", "2024Q3", "--returns", str(tmp_path / "returns"), "--out",
         str(tmp_path / "out"), "--catalogue", str(tmp_path / "indicators.yaml")],
    )  # fmt: skip
    folder = tmp_path / "out" / "2024Q3"
    assert result.exit_code == 1, result.output  # the fixture has a rejected return
    with (folder / "benchmarks.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(BENCHMARK_COLUMNS)
    england = {
        r["indicator_id"]: (r["year"], r["value"]) for r in rows if r["benchmark"] == "england" and r["area"] == "Tees"
    }  # fmt: skip
    # 2024Q3: DfE's year to 31 March 2024 (re-referrals 22.4%, from c1's 2024 row) and the
    # workforce at 30 September 2024 (vacancy 17.3%).
    assert england["1.2.3"] == ("2024", "22.4")
    assert england["E1.2"] == ("2024", "17.3")
    # The fixture holds one quarter: no 12-month figure, never a part-year one.
    tees = next(r for r in rows if r["indicator_id"] == "1.2.3" and r["area"] == "Tees")
    assert (tees["local_value"], tees["local_status"]) == ("", "missing")
    text = "\n".join(page.extract_text() for page in PdfReader(folder / "HSSCP-2024Q3.pdf").pages)
    assert "England 2024" in text and "22.4%" in text and "Neighbours 2024" in text
    assert "No national benchmark: DfE does not publish the time from referral" in " ".join(
        text.split()
    )
