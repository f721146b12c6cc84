import json
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tees_dataset.catalogue import load_catalogue
from tees_dataset.catalogue.schema import catalogue_schema_text
from tees_dataset.cli import app

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = textwrap.dedent(
    """\
    version: "1"
    title: Test catalogue
    local_authorities:
      - {id: hartlepool, code: E06000001, name: Hartlepool}
    partnerships:
      - {id: HSSCP, name: Test partnership, local_authorities: [hartlepool]}
    agencies:
      - {id: council, name: Council, sector: Children's social care, covers: [hartlepool]}
    code_lists:
      - {id: outcome, title: Outcome, values: [NFA, S47]}
    returns:
      - id: strategy
        title: Strategy discussions
        sheet: Strategy
        description: One row per discussion.
        submitted_by: [council]
        record_level: true
        columns:
          - {name: referral_date, title: Referral date, type: date}
          - {name: strategy_date, title: Strategy date, type: date}
          - {name: outcome, title: Outcome, type: code, codes: outcome}
    aims:
      - id: "3"
        kind: aim
        title: Children are safeguarded
        objectives:
          - id: "3.2"
            title: Strategy
            indicators:
              - id: "3.2.1"
                title: Strategy within 1 working day
                definition: Within 1 working day.
                source: strategy
                measure:
                  kind: within_working_days
                  start: referral_date
                  end: strategy_date
                  days: 1
                unit: percent
                polarity: higher_is_better
              - id: "3.2.3"
                title: Strategy by outcome
                definition: Count by outcome.
                source: strategy
                measure:
                  kind: count
                  filter: outcome = 'S47'
                unit: count
                polarity: neither
    """
)


def check(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "indicators.yaml"
    path.write_text(text)
    loaded = load_catalogue(path)
    return [(i.location.line, i.code) for i in loaded.report.errors]


def add_after(text: str, needle: str, new: str) -> str:
    """Insert the line `new` after the (unique) line holding `needle`, at its indentation."""
    lines = text.splitlines()
    (index,) = [n for n, line in enumerate(lines) if needle in line]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip(" -"))].replace("-", " ")
    lines.insert(index + 1, indent + new)
    return "\n".join(lines) + "\n"


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def test_shipped_catalogue_is_clean() -> None:
    loaded = load_catalogue(ROOT / "indicators.yaml")
    assert [str(i) for i in loaded.report.issues] == []


def test_minimal_catalogue_is_clean(tmp_path: Path) -> None:
    assert check(tmp_path, MINIMAL) == []


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    text = add_after(MINIMAL, "polarity: neither", "colour: red")
    assert check(tmp_path, text) == [(line_of(text, "colour: red"), "schema-extra_forbidden")]


def test_duplicate_indicator_id_names_the_second(tmp_path: Path) -> None:
    text = MINIMAL.replace('id: "3.2.3"', 'id: "3.2.1"')
    assert check(tmp_path, text) == [(line_of(text, 'id: "3.2.1"', 2), "duplicate-indicator-id")]


def test_unknown_return(tmp_path: Path) -> None:
    first = MINIMAL.index("source: strategy", MINIMAL.index('id: "3.2.3"'))
    text = MINIMAL[:first] + MINIMAL[first:].replace("source: strategy", "source: strategies", 1)
    assert check(tmp_path, text) == [(line_of(text, "source: strategies"), "unknown-return")]


def test_unknown_column_in_measure_and_filter(tmp_path: Path) -> None:
    text = MINIMAL.replace("start: referral_date", "start: referal_date").replace(
        "filter: outcome = 'S47'", "filter: outcom = 'S47'"
    )
    assert check(tmp_path, text) == [
        (line_of(text, "start: referal_date"), "unknown-column"),
        (line_of(text, "filter: outcom"), "unknown-column"),
    ]


def test_filter_that_does_not_parse(tmp_path: Path) -> None:
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome = 'S47' AND")
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "expression-syntax")]


def test_duplicate_yaml_key_is_caught_not_silently_overwritten(tmp_path: Path) -> None:
    text = add_after(MINIMAL, "polarity: neither", "unit: count")
    assert check(tmp_path, text) == [(line_of(text, "unit: count", 2), "duplicate-key")]


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("title: Test catalogue", "title: [Test catalogue")
    errors = check(tmp_path, text)
    assert len(errors) == 1 and errors[0][1] == "yaml-syntax" and errors[0][0] is not None


def test_unit_must_match_the_measure(tmp_path: Path) -> None:
    text = MINIMAL.replace("unit: count", "unit: percent")
    assert check(tmp_path, text) == [(line_of(text, "unit: percent", 2), "unit-mismatch")]


def test_numeric_looking_ids_stay_text(tmp_path: Path) -> None:
    text = MINIMAL.replace('id: "3.2"', "id: 3.2")
    assert check(tmp_path, text) == []


def test_check_command_exit_codes_and_file_line(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["check", str(ROOT / "indicators.yaml")])
    assert good.exit_code == 0, good.output
    path = tmp_path / "bad.yaml"
    text = MINIMAL.replace('id: "3.2.3"', 'id: "3.2.1"')
    path.write_text(text)
    bad = runner.invoke(app, ["check", str(path)])
    assert bad.exit_code == 2
    line = line_of(text, 'id: "3.2.1"', 2)
    assert f"{path}:{line}" in bad.output
    assert "duplicate-indicator-id" in bad.output


def test_committed_json_schema_matches_the_models() -> None:
    committed = (ROOT / "schema" / "indicators.schema.json").read_text()
    assert committed == catalogue_schema_text(), "run `make schema` and commit the result"
    assert json.loads(committed)["additionalProperties"] is False


@pytest.mark.parametrize("key", ["aims", "returns", "agencies"])
def test_missing_top_level_key(tmp_path: Path, key: str) -> None:
    text = MINIMAL.replace(f"\n{key}:", f"\nx_{key}:")
    errors = check(tmp_path, text)
    assert "schema-missing" in {code for _, code in errors}


def test_unknown_comparator_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "comparators.csv").write_text(
        "measure,area,period,value,unit,source\nsw_turnover,England,2024,13.9,percent,DfE\n"
    )
    text = add_after(MINIMAL, "polarity: neither", "comparator: sw_turnovr")
    assert check(tmp_path, text) == [
        (line_of(text, "comparator: sw_turnovr"), "unknown-comparator")
    ]


def test_a_rate_needs_the_population_of_every_local_authority(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: count\n", "kind: rate\n").replace(
        "unit: count", "unit: rate_per_10000"
    )
    assert [code for _, code in check(tmp_path, text)] == ["population-missing"]
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "population.csv").write_text(
        "area_code,year,population_0_17\nE06000001,2024,21090\n"
    )
    assert check(tmp_path, text) == []


def test_measure_kinds_check_their_columns(tmp_path: Path) -> None:
    text = add_after(MINIMAL, "filter: outcome = 'S47'", "shares_of: outcom")
    text = add_after(text, "shares_of: outcom", "numerators: {Joint: \"jont = 'Yes'\"}")
    text = add_after(text, "shares_of: outcom", "numerator: outcome = 'S47'")
    text = text.replace("kind: count", "kind: proportion").replace("unit: count", "unit: percent")
    assert sorted(check(tmp_path, text)) == [
        (line_of(text, "shares_of: outcom"), "unknown-column"),
        (line_of(text, "numerators: {Joint"), "unknown-column"),
    ]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tees_dataset.quarter import Quarter
    from tees_dataset.returns.sample import write_samples

    loaded = load_catalogue(ROOT / "indicators.yaml")
    assert loaded.catalogue is not None
    folder = tmp_path_factory.mktemp("samples")
    write_samples(loaded.catalogue, [Quarter(2024, 3)], folder, seed=5)
    return folder


def test_definitions_that_compute_nothing_on_the_samples_are_warnings(
    tmp_path: Path, samples: Path
) -> None:
    text = (ROOT / "indicators.yaml").read_text()
    # A code spelt with the wrong case: it parses, but no row ever matches.
    text = text.replace(
        "numerator: \"outcome = 'S47 joint'\"", "numerator: \"outcome = 'S47 Joint'\""
    )
    text = text.replace(
        "filter: \"deprivation_of_liberty = 'Yes'\"", "filter: \"deprivation_of_liberty = 'yes'\""
    )
    (tmp_path / "indicators.yaml").write_text(text)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    result = CliRunner().invoke(
        app, ["check", str(tmp_path / "indicators.yaml"), "--samples", str(samples)]
    )
    assert result.exit_code == 0, result.output  # warnings do not fail CI
    warnings = [line for line in result.output.splitlines() if " warning " in line]
    assert len(warnings) == 2, result.output
    joint, dol = line_of(text, "S47 Joint"), line_of(text, "deprivation_of_liberty = 'yes'")
    assert f"indicators.yaml:{joint}: warning sample-numerator-zero: 3.2.4" in warnings[0]
    assert f"indicators.yaml:{dol}: warning sample-filter-empty: 3.4.3" in warnings[1]


def test_shipped_catalogue_has_no_warnings_on_its_samples() -> None:
    result = CliRunner().invoke(app, ["check", str(ROOT / "indicators.yaml")])
    assert result.exit_code == 0
    assert result.output.strip().endswith("0 error(s), 0 warning(s)")
