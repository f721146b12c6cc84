"""Commands as a user runs them: help, explanations, exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tees_dataset.cli import app

ROOT = Path(__file__).resolve().parent.parent
CAT = ["--catalogue", str(ROOT / "indicators.yaml")]
runner = CliRunner()


def test_every_command_has_help_with_an_example() -> None:
    for command in ("build", "validate", "check", "template", "sample", "indicators", "schema"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command


def test_indicators_lists_all_49(tmp_path: Path) -> None:
    result = runner.invoke(app, ["indicators", *CAT])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 49
    assert "E1.4" in result.output and "(proposed)" in result.output


def test_indicator_explained_with_formula_and_latest_values(tmp_path: Path) -> None:
    build = tmp_path / "out" / "2024Q3"
    build.mkdir(parents=True)
    (build / "results.csv").write_text(
        "quarter,area,area_type,indicator_id,breakdown,breakdown_value,numerator,denominator,value,unit,status\n"
        "2024Q3,Hartlepool,local_authority,3.2.1,,,3,5,60,percent,ok\n"
        "2024Q3,Tees,tees,3.2.1,,,,,,percent,missing\n"
    )
    result = runner.invoke(app, ["indicators", "3.2.1", "--out", str(tmp_path / "out"), *CAT])
    assert result.exit_code == 0, result.output
    assert "working days from referral_date to strategy_date <= 1" in result.output
    assert "60.0%  (3 of 5)" in result.output
    assert "Tees" in result.output and "missing" in result.output


def test_unknown_indicator_and_bad_quarter_are_usage_errors() -> None:
    assert runner.invoke(app, ["indicators", "9.9.9", *CAT]).exit_code == 2
    result = runner.invoke(app, ["build", "--quarter", "2024Q5", *CAT])
    assert result.exit_code == 2
    assert "like 2024Q3" in result.output


def test_missing_catalogue_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["build", "--quarter", "2024Q3", "--catalogue", str(tmp_path / "nope.yaml")]
    )
    assert result.exit_code == 2
    assert "catalogue not found" in result.output


def test_template_writes_a_workbook_per_agency_that_submits_returns(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "--quarter", "2024Q3", "--out", str(tmp_path), *CAT])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 15 and "cleveland_police-2024Q3.xlsx" in names
    one = runner.invoke(app, ["template", "--agency", "nope", "--out", str(tmp_path), *CAT])
    assert one.exit_code == 2 and "no agency 'nope'" in one.output
