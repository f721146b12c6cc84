"""Figures made from reference data and returns together: the child population imported from
the published ONS estimates, and E1.1's rolling 12-month turnover beside DfE's benchmarks."""

from __future__ import annotations

import csv
import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.compute import ENGINE, Inputs, QuarterData, indicator_plan
from tees_dataset.compute.benchmarks import benchmark_rows
from tees_dataset.quarter import Quarter
from tees_dataset.reference import ReferenceFileError, load_benchmark_data
from tees_dataset.reference.commands import reference_app
from tees_dataset.reference.importer import import_ons_population, read_ons_population
from tees_dataset.render.context import build_context

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,age_group,population_estimate"
)
# As DfE publishes it: England, regions, then authorities; other ages and areas are left out.
PUBLISHED = textwrap.dedent(
    f"""\
    {HEADER}
    2013,Reporting year,National,E92000001,England,,,,,,Children aged 0 to 17 years,11473080
    2013,Reporting year,Regional,E92000001,England,E12000001,North East,,,,Children aged 0 to 17 years,523477
    2013,Reporting year,Regional,E92000001,England,E12000002,North West,,,,Children aged 0 to 17 years,1580000
    2013,Reporting year,Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool,Children aged 0 to 17 years,20179
    2013,Reporting year,Local authority,E92000001,England,E12000001,North East,841,E06000005,Darlington,Children aged 0 to 17 years,22000
    2013,Reporting year,Local authority,E92000001,England,E12000003,Yorkshire and The Humber,810,E06000010,"Kingston upon Hull, City of",Children aged 0 to 17 years,60000
    2012,Reporting year,Local authority,E92000001,England,E12000001,North East,808,E06000004,Stockton-on-Tees,Children aged 0 to 17 years,42165
    2012,Reporting year,Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool,Children aged 0 to 17 years,20312
    2012,Reporting year,Local authority,E92000001,England,E12000001,North East,805,E06000001,Hartlepool,Children aged 0 to 4 years,5000
    """
)
SOURCE = "ONS mid-year population estimates (mid-{}); DfE file ons_test.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_selects_the_tees_authorities_the_north_east_and_england(tmp_path: Path) -> None:
    source = write(tmp_path / "ons_test.csv", PUBLISHED)
    reference = tmp_path / "reference"
    reference.mkdir()
    # A row the analyst added for another year is kept; a row for the same area and year is
    # replaced by the published one.
    write(
        reference / "population.csv",
        "area_code,area_name,year,population_0_17,source\n"
        "E06000001,Hartlepool,2013,1,typed by hand\n"
        "E06000001,Hartlepool,2030,2,typed by hand\n",
    )
    done = import_ons_population(source, reference)
    assert (done.rows, done.years, done.changed) == (5, (2012, 2013), True)
    expected = [
        ["area_code", "area_name", "year", "population_0_17", "source"],
        ["E06000001", "Hartlepool", "2012", "20312", SOURCE.format(2012)],
        ["E06000001", "Hartlepool", "2013", "20179", SOURCE.format(2013)],
        ["E06000001", "Hartlepool", "2030", "2", "typed by hand"],
        ["E06000004", "Stockton-on-Tees", "2012", "42165", SOURCE.format(2012)],
        ["E12000001", "North East", "2013", "523477", SOURCE.format(2013)],
        ["E92000001", "England", "2013", "11473080", SOURCE.format(2013)],
    ]
    with (reference / "population.csv").open(newline="") as handle:
        assert list(csv.reader(handle)) == expected
    before = (reference / "population.csv").read_bytes()
    again = import_ons_population(source, reference)
    assert not again.changed and (reference / "population.csv").read_bytes() == before


def test_a_changed_layout_names_the_missing_columns(tmp_path: Path) -> None:
    renamed = PUBLISHED.replace("new_la_code", "la_code").replace("population_estimate", "count")
    with pytest.raises(ReferenceFileError) as raised:
        read_ons_population(write(tmp_path / "ons.csv", renamed))
    assert "'new_la_code', 'population_estimate'" in str(raised.value)
    assert "ons.csv" in str(raised.value)


def test_a_second_estimate_for_the_same_area_and_year_is_an_error(tmp_path: Path) -> None:
    twice = PUBLISHED + PUBLISHED.splitlines()[4] + "\n"
    with pytest.raises(ReferenceFileError, match=r"line 11: a second estimate for Hartlepool"):
        read_ons_population(write(tmp_path / "ons.csv", twice))


def test_an_estimate_that_is_not_a_whole_number_is_an_error(tmp_path: Path) -> None:
    bad = PUBLISHED.replace("20179", "20179.5")
    with pytest.raises(ReferenceFileError, match="line 5: population_estimate"):
        read_ons_population(write(tmp_path / "ons.csv", bad))


def test_reference_import_command(tmp_path: Path) -> None:
    runner = CliRunner()
    source = write(tmp_path / "ons_test.csv", PUBLISHED)
    reference = tmp_path / "ref"
    args = ["import", str(source), "--reference-dir", str(reference)]
    first = runner.invoke(reference_app, args)
    assert first.exit_code == 0, first.output
    assert "updated; 5 estimates from ons_test.csv (2012 to 2013" in first.output
    second = runner.invoke(reference_app, args)
    assert second.exit_code == 0 and "unchanged" in second.output
    other = write(tmp_path / "csww.csv", "time_period,la_name,turnover_rate_fte\n2024,X,1\n")
    refused = runner.invoke(
        reference_app, ["import", str(other), "--reference-dir", str(reference)]
    )
    assert refused.exit_code == 2
    assert "not a file tees-dataset can import yet" in refused.output


def test_the_reference_population_holds_every_year_2012_to_2024() -> None:
    with (ROOT / "reference" / "population.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(r["area_code"], int(r["year"])): int(r["population_0_17"]) for r in rows}
    codes = ["E06000001", "E06000002", "E06000003", "E06000004", "E12000001", "E92000001"]
    assert {(c, y) for c in codes for y in range(2012, 2025)} <= set(by_key)
    # Figures as the domain brief quotes them from the ONS.
    assert by_key[("E06000001", 2023)] == 20541 and by_key[("E06000001", 2024)] == 21090
    assert by_key[("E06000002", 2023)] == 35177 and by_key[("E06000002", 2024)] == 35617
    assert by_key[("E06000003", 2023)] == 27485 and by_key[("E06000003", 2024)] == 27499
    assert by_key[("E06000004", 2023)] == 44466 and by_key[("E06000004", 2024)] == 45079
    assert by_key[("E92000001", 2024)] == 12183016


# --- E1.1: the rolling 12-month turnover by sector, beside DfE's benchmarks.

Q = Quarter(2024, 3)
CSC = "Children's social care"
CSC_12 = f"12 months to quarter end|{CSC}"


def workforce(leavers: dict[str, float], in_post: dict[str, float]) -> pl.DataFrame:
    """A workforce return's rows: Hartlepool's and Stockton's councils, and Cleveland Police
    for all four authorities."""
    rows = [
        ("hartlepool", "hartlepool_csc", CSC),
        ("stockton", "stockton_csc", CSC),
        *((la, "cleveland_police", "Police") for la in
          ("hartlepool", "middlesbrough", "redcar_cleveland", "stockton")),
    ]  # fmt: skip
    return pl.DataFrame(
        {
            "local_authority": [r[0] for r in rows],
            "agency": [r[1] for r in rows],
            "sector": [r[2] for r in rows],
            "service": ["Team"] * len(rows),
            "fte_in_post": [in_post.get(r[1] + ":" + r[0], 10.0) for r in rows],
            "fte_leavers": [leavers.get(r[1] + ":" + r[0], 0.0) for r in rows],
            "fte_vacancies": [0.0] * len(rows),
            "fte_agency": [0.0] * len(rows),
        }
    )


def e11(catalogue: Catalogue, history_missing: str | None = None) -> pl.DataFrame:
    spec = catalogue.return_spec("workforce")
    assert spec is not None
    accepted = {(agency, "workforce"): True for agency in spec.submitted_by}
    # Hartlepool's council: 1, 2, 3 FTE leavers in the three earlier quarters, 4 this quarter,
    # 50 FTE in post at its end; Stockton's: 2 a quarter, 80 in post.
    earlier = {
        Q.shift(-n): workforce(
            {"hartlepool_csc:hartlepool": 4.0 - n, "stockton_csc:stockton": 2.0}, {}
        )
        for n in (1, 2, 3)
    }
    history = {
        q: QuarterData(
            {"workforce": rows},
            {**accepted, (history_missing, "workforce"): False} if history_missing else accepted,
        )
        for q, rows in earlier.items()
    }
    now = workforce(
        {"hartlepool_csc:hartlepool": 4.0, "stockton_csc:stockton": 2.0},
        {"hartlepool_csc:hartlepool": 50.0, "stockton_csc:stockton": 80.0},
    )
    indicator = next(i for _, _, i in catalogue.indicators() if i.id == "E1.1")
    data = QuarterData({"workforce": now}, accepted)
    return indicator_plan(catalogue, indicator, Inputs(Q, data, history=history)).collect(
        engine=ENGINE
    )


def test_e11_gives_the_rolling_twelve_months_for_childrens_social_care(
    catalogue: Catalogue,
) -> None:
    results = e11(catalogue)
    got = {
        r["area"]: (r["numerator"], r["denominator"], r["value"], r["status"])
        for r in results.filter(pl.col("breakdown_value") == CSC_12).to_dicts()
    }
    # Hartlepool: 1 + 2 + 3 + 4 = 10 FTE leavers in the 12 months, of 50 in post = 20.0%.
    # Stockton: 4 x 2 = 8 of 80 = 10.0%; HSSCP 18 of 130 = 13.8%. South Tees' councils sent
    # returns with no rows (0 of 0: nothing to measure), so Tees adds nothing to HSSCP's.
    assert got["Hartlepool"] == (10.0, 50.0, 20.0, "ok")
    assert got["Stockton-on-Tees"] == (8.0, 80.0, 10.0, "ok")
    assert got["HSSCP"] == (18.0, 130.0, 13.8, "ok")
    assert got["Tees"] == (18.0, 130.0, 13.8, "ok")
    assert got["Middlesbrough"][3] == "not_applicable"
    assert set(results.columns) >= {"breakdown", "breakdown_value", "note"}


def test_e11_twelve_months_are_missing_when_an_earlier_quarters_return_is(
    catalogue: Catalogue,
) -> None:
    results = e11(catalogue, history_missing="stockton_csc")
    rows = {r["area"]: r for r in results.filter(pl.col("breakdown_value") == CSC_12).to_dicts()}
    assert rows["Hartlepool"]["status"] == "ok"  # its council sent every quarter's return
    for area in ("Stockton-on-Tees", "HSSCP", "Tees"):
        assert (rows[area]["status"], rows[area]["value"]) == ("missing", None)
    assert rows["HSSCP"]["note"] == (
        "The Workforce return from Stockton-on-Tees Borough Council Children's Services for "
        "2023Q4 was missing or rejected. The Workforce return from Stockton-on-Tees Borough "
        "Council Children's Services for 2024Q1 was missing or rejected. The Workforce return "
        "from Stockton-on-Tees Borough Council Children's Services for 2024Q2 was missing or "
        "rejected."
    )


def benchmarks_shown(catalogue: Catalogue, results: list[dict[str, Any]]) -> list[Any]:
    """E1.1's benchmark rows in HSSCP's headline table, from the DfE workforce statistics in
    reference/ (England 13.9% and the North East 14.0% at 30 September 2024)."""
    hsscp = next(p for p in catalogue.partnerships if p.id == "HSSCP")
    data = load_benchmark_data(ROOT / "reference", {"csww_workforce"})
    rows = benchmark_rows(catalogue, Q, results, [], data)
    context = build_context(
        catalogue, hsscp, Q, results, [], tool_version="t",
        produced=dt.datetime(2024, 10, 5, tzinfo=dt.UTC), benchmarks=rows,
    )  # fmt: skip
    views = [i for a in context.aims for o in a.objectives for i in o.indicators]
    return next(v.benchmark_rows for v in views if v.id == "E1.1")


def test_pack_sets_the_twelve_month_childrens_social_care_figure_beside_the_benchmarks(
    catalogue: Catalogue,
) -> None:
    results = e11(catalogue).to_dicts()
    shown = dict(benchmarks_shown(catalogue, results))
    # Columns: Hartlepool, Stockton-on-Tees, HSSCP, Tees.
    assert shown["Children's social care, 12 months to 2024Q3"] == [
        "20.0%",
        "10.0%",
        "13.8%",
        "13.8%",
    ]
    assert shown["England 2024"] == ["13.9%"] * 4
    assert shown["North East 2024"] == ["14.0%"] * 4
    missing = dict(
        benchmarks_shown(catalogue, e11(catalogue, history_missing="stockton_csc").to_dicts())
    )
    assert missing["Children's social care, 12 months to 2024Q3"] == ["20.0%", "x", "x", "x"]
