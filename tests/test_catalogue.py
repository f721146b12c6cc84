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
    assert check(tmp_path, text) == [(line_of(text, "colour: red"), "C-SCHEMA-EXTRA-FORBIDDEN")]


def test_duplicate_indicator_id_names_the_second(tmp_path: Path) -> None:
    text = MINIMAL.replace('id: "3.2.3"', 'id: "3.2.1"')
    assert check(tmp_path, text) == [(line_of(text, 'id: "3.2.1"', 2), "C-DUPLICATE-INDICATOR-ID")]


def test_unknown_return(tmp_path: Path) -> None:
    first = MINIMAL.index("source: strategy", MINIMAL.index('id: "3.2.3"'))
    text = MINIMAL[:first] + MINIMAL[first:].replace("source: strategy", "source: strategies", 1)
    assert check(tmp_path, text) == [(line_of(text, "source: strategies"), "C-UNKNOWN-RETURN")]


def test_unknown_column_in_measure_and_filter(tmp_path: Path) -> None:
    text = MINIMAL.replace("start: referral_date", "start: referal_date").replace(
        "filter: outcome = 'S47'", "filter: outcom = 'S47'"
    )
    assert check(tmp_path, text) == [
        (line_of(text, "start: referal_date"), "C-UNKNOWN-COLUMN"),
        (line_of(text, "filter: outcom"), "C-UNKNOWN-COLUMN"),
    ]


def test_filter_that_does_not_parse(tmp_path: Path) -> None:
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome = 'S47' AND")
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "C-EXPRESSION-SYNTAX")]


def test_duplicate_yaml_key_is_caught_not_silently_overwritten(tmp_path: Path) -> None:
    text = add_after(MINIMAL, "polarity: neither", "unit: count")
    assert check(tmp_path, text) == [(line_of(text, "unit: count", 2), "C-DUPLICATE-KEY")]


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("title: Test catalogue", "title: [Test catalogue")
    errors = check(tmp_path, text)
    assert len(errors) == 1 and errors[0][1] == "C-YAML-SYNTAX" and errors[0][0] is not None


def test_unit_must_match_the_measure(tmp_path: Path) -> None:
    text = MINIMAL.replace("unit: count", "unit: percent")
    assert check(tmp_path, text) == [(line_of(text, "unit: percent", 2), "C-UNIT-MISMATCH")]


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
    assert "C-DUPLICATE-INDICATOR-ID" in bad.output


def test_committed_json_schema_matches_the_models() -> None:
    committed = (ROOT / "schema" / "indicators.schema.json").read_text()
    assert committed == catalogue_schema_text(), "run `make schema` and commit the result"
    assert json.loads(committed)["additionalProperties"] is False


@pytest.mark.parametrize("key", ["aims", "returns", "agencies"])
def test_missing_top_level_key(tmp_path: Path, key: str) -> None:
    text = MINIMAL.replace(f"\n{key}:", f"\nx_{key}:")
    errors = check(tmp_path, text)
    assert "C-SCHEMA-MISSING" in {code for _, code in errors}


def issues_of(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "indicators.yaml"
    path.write_text(text)
    return [(i.location.line, i.level.value, i.code) for i in load_catalogue(path).report.issues]


def with_reference(tmp_path: Path) -> None:
    """The shipped reference data (DfE's files as imported) beside the test catalogue."""
    shutil.copytree(ROOT / "reference", tmp_path / "reference")


def test_an_indicator_that_does_not_say_whether_it_has_a_benchmark_is_a_warning(
    tmp_path: Path,
) -> None:
    issues = issues_of(tmp_path, MINIMAL)
    assert [(level, code) for _, level, code in issues] == [
        ("warning", "C-BENCHMARK-UNSTATED"),
        ("warning", "C-BENCHMARK-UNSTATED"),
    ]
    text = add_after(MINIMAL, "polarity: neither", 'benchmark: {none: "Local only."}')
    assert [code for _, _, code in issues_of(tmp_path, text)] == ["C-BENCHMARK-UNSTATED"]


def test_benchmark_none_needs_a_reason(tmp_path: Path) -> None:
    text = add_after(MINIMAL, "polarity: neither", 'benchmark: {none: ""}')
    assert "C-SCHEMA-STRING-TOO-SHORT" in {code for _, code in check(tmp_path, text)}


def test_a_benchmark_names_a_known_statistic_of_the_same_unit(tmp_path: Path) -> None:
    with_reference(tmp_path)
    text = add_after(
        MINIMAL, "polarity: higher_is_better", "benchmark: {statistic: re_referals_percent}"
    )
    assert check(tmp_path, text) == [
        (line_of(text, "re_referals_percent"), "C-UNKNOWN-BENCHMARK-STATISTIC")
    ]
    text = add_after(
        MINIMAL, "polarity: higher_is_better", "benchmark: {statistic: referrals_per_10000}"
    )
    assert check(tmp_path, text) == [(line_of(text, "referrals_per_10000"), "C-BENCHMARK-UNIT")]
    text = add_after(
        MINIMAL, "polarity: higher_is_better", "benchmark: {statistic: re_referrals_percent}"
    )
    assert check(tmp_path, text) == []


def test_a_benchmark_needs_published_data_in_reference(tmp_path: Path) -> None:
    text = add_after(
        MINIMAL, "polarity: higher_is_better", "benchmark: {statistic: re_referrals_percent}"
    )
    assert check(tmp_path, text) == [(line_of(text, "re_referrals_percent"), "C-BENCHMARK-NO-DATA")]
    # An authority the published file has no figure for, in the latest year, is named.
    with_reference(tmp_path)
    other = text.replace("code: E06000001", "code: E06000099")
    path = tmp_path / "indicators.yaml"
    path.write_text(other)
    (issue,) = [i for i in load_catalogue(path).report.errors if i.code == "C-BENCHMARK-NO-DATA"]
    assert "year to 31 March 2025, the latest year published, has no figure for Hartlepool" in (
        issue.message
    )


def test_a_snapshot_is_not_pooled_over_twelve_months(tmp_path: Path) -> None:
    with_reference(tmp_path)
    text = MINIMAL.replace("record_level: true", "record_level: true\n    snapshot: true")
    text = add_after(
        text,
        "polarity: higher_is_better",
        "benchmark: {statistic: re_referrals_percent, local: last_12_months}",
    )
    assert check(tmp_path, text) == [(line_of(text, "local: last_12_months"), "C-BENCHMARK-LOCAL")]


def test_a_benchmarks_breakdown_names_the_measures_own(tmp_path: Path) -> None:
    with_reference(tmp_path)
    text = add_after(MINIMAL, "polarity: higher_is_better",
                     "benchmark: {statistic: re_referrals_percent, breakdown: {sector: Police}}")  # fmt: skip
    assert check(tmp_path, text) == [(line_of(text, "breakdown: {sector"), "C-BENCHMARK-BREAKDOWN")]


def test_check_says_which_year_each_benchmark_uses() -> None:
    from tees_dataset.checking import benchmark_years

    loaded = load_catalogue(ROOT / "indicators.yaml")
    assert loaded.catalogue is not None
    lines = {line.split(" ", 1)[0]: line for line in benchmark_years(loaded.catalogue, loaded.path)}
    # DfE's children in need 2025 is the year to 31 March 2025: a pack uses it from 2025Q1.
    assert lines["1.2.3"] == (
        "1.2.3 benchmark re_referrals_percent: year to 31 March 2025 (published 2013 to 2025) "
        "from 2025Q1 on; an earlier quarter uses the latest year dated no later than its end"
    )
    # The workforce at 30 September 2025: from 2025Q3.
    assert "30 September 2025 (published 2017 to 2025) from 2025Q3 on" in lines["E1.1"]
    assert set(lines) == {
        "1.2.2",
        "1.2.3",
        "2.2.1",
        "2.2.2",
        "2.2.3",
        "3.4.7",
        "E1.1",
        "E1.2",
        "E1.3",
    }


def test_a_rate_needs_the_population_of_every_local_authority(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: count\n", "kind: rate\n").replace(
        "unit: count", "unit: rate_per_10000"
    )
    assert [code for _, code in check(tmp_path, text)] == ["C-POPULATION-MISSING"]
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
        (line_of(text, "shares_of: outcom"), "C-UNKNOWN-COLUMN"),
        (line_of(text, "numerators: {Joint"), "C-UNKNOWN-COLUMN"),
    ]


def code_errors(tmp_path: Path, text: str) -> list[tuple[int | None, str, str, str]]:
    path = tmp_path / "indicators.yaml"
    path.write_text(text)
    return [
        (i.location.line, i.code, i.message, i.fix)
        for i in load_catalogue(path).report.issues
        if i.code in ("C-UNKNOWN-CODE", "C-CODE-NOT-TEXT", "C-EXPRESSION-UNCHECKED")
    ]


def test_misspelt_code_in_a_filter(tmp_path: Path) -> None:
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome = 'S74'")
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "C-UNKNOWN-CODE")]
    ((_, _, message, fix),) = code_errors(tmp_path, text)
    assert "'S74'" in message and "column 'outcome'" in message and "code list 'outcome'" in message
    assert fix.startswith("Did you mean 'S47'?")


def test_misspelt_code_in_an_in_list_is_named_alone(tmp_path: Path) -> None:
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome IN ('NFA', 'S4')")
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "C-UNKNOWN-CODE")]
    ((_, _, message, fix),) = code_errors(tmp_path, text)
    assert "'S4'" in message and "'NFA'," not in message.split("`")[-1]
    assert fix.startswith("Did you mean 'S47'?")


def test_misspelt_code_with_the_literal_on_the_left(tmp_path: Path) -> None:
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: \"'NFAA' <> outcome\"")
    assert check(tmp_path, text) == [(line_of(text, "filter: \"'NFAA'"), "C-UNKNOWN-CODE")]
    assert code_errors(tmp_path, text)[0][3].startswith("Did you mean 'NFA'?")


def test_misspelt_code_in_a_return_rule(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "\naims:",
        "\n    rules:\n"
        "      - code: R3.2-001\n"
        "        check: outcome <> 'NF' OR strategy_date >= referral_date\n"
        "        columns: [strategy_date]\n"
        "        message: Before its referral.\n"
        "        fix: Check the dates.\n"
        "aims:",
    )
    assert check(tmp_path, text) == [(line_of(text, "check: outcome"), "C-UNKNOWN-CODE")]
    assert "rule check" in code_errors(tmp_path, text)[0][2]


def test_a_code_in_another_case_matches_no_row(tmp_path: Path) -> None:
    """Validation stores every code as its list spells it and SQL compares text exactly, so
    `'nfa'` never matches a row that says NFA."""
    text = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome = 'nfa'")
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "C-UNKNOWN-CODE")]
    assert code_errors(tmp_path, text)[0][3].startswith("Did you mean 'NFA'?")


def test_codes_inside_not_or_and_case_in_every_expression_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: count", "kind: proportion").replace(
        "filter: outcome = 'S47'", "filter: NOT (outcome = 'NFA' OR outcome IN ('S47', 'X1'))"
    )
    text = add_after(text, "filter: NOT", "numerator: CASE outcome WHEN 'X2' THEN TRUE END")
    text = add_after(
        text, "numerator: CASE", "numerators: {A: \"CASE WHEN 'X3' = outcome THEN TRUE END\"}"
    )
    text = text.replace("unit: count", "unit: percent")
    found = [
        (line, message.split(" to ")[-1][:4]) for line, _, message, _ in code_errors(tmp_path, text)
    ]
    assert found == [
        (line_of(text, "filter: NOT"), "'X1'"),
        (line_of(text, "numerator: CASE"), "'X2'"),
        (line_of(text, "numerators:"), "'X3'"),
    ]


def test_codes_in_totals_and_ratios(tmp_path: Path) -> None:
    total = MINIMAL.replace("kind: count", "kind: total").replace(
        "filter: outcome = 'S47'", "value: CASE WHEN outcome = 'S74' THEN 1 ELSE 0 END"
    )
    assert check(tmp_path, total) == [(line_of(total, "value: CASE"), "C-UNKNOWN-CODE")]
    parts = add_after(total, "value: CASE", "parts: {A: \"CASE outcome WHEN 'S' THEN 1 END\"}")
    parts = parts.replace("'S74'", "'S47'")
    assert check(tmp_path, parts) == [(line_of(parts, "parts:"), "C-UNKNOWN-CODE")]
    ratio = MINIMAL.replace("kind: count", "kind: ratio").replace(
        "filter: outcome = 'S47'", "numerator: CASE WHEN outcome = 'S47' THEN 1 ELSE 0 END"
    )
    ratio = add_after(
        ratio, "numerator: CASE", "denominator: CASE WHEN outcome IN ('S47', 'NFA ') THEN 1 END"
    ).replace("unit: count", "unit: percent")
    assert check(tmp_path, ratio) == [(line_of(ratio, "denominator: CASE"), "C-UNKNOWN-CODE")]
    assert code_errors(tmp_path, ratio)[0][3].startswith("Did you mean 'NFA'?")


def test_like_patterns_must_match_a_code(tmp_path: Path) -> None:
    good = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome LIKE 'S4%'")
    assert check(tmp_path, good) == []
    bad = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome LIKE 's4%'")
    assert check(tmp_path, bad) == [(line_of(bad, "filter: outcome"), "C-UNKNOWN-CODE")]
    insensitive = MINIMAL.replace("filter: outcome = 'S47'", "filter: outcome ILIKE 's4%'")
    assert check(tmp_path, insensitive) == []


def test_a_code_compared_as_a_number(tmp_path: Path) -> None:
    text = MINIMAL.replace("values: [NFA, S47]", 'values: [NFA, "47"]').replace(
        "filter: outcome = 'S47'", "filter: outcome = 47"
    )
    assert check(tmp_path, text) == [(line_of(text, "filter: outcome"), "C-CODE-NOT-TEXT")]
    assert code_errors(tmp_path, text)[0][3] == "Quote it: '47'."


def test_literals_compared_to_other_columns_are_left_alone(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "filter: outcome = 'S47'",
        "filter: \"agency = 'nobody' OR sector <> 'x' OR CAST(outcome AS TEXT) = 'y' "
        "OR referral_date > '2024-01-01'\"",
    )
    assert check(tmp_path, text) == []


def test_valid_codes_pass(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "filter: outcome = 'S47'",
        "filter: \"outcome IN ('NFA', 'S47') AND 'NFA' <> outcome AND NOT outcome = 'S47'\"",
    )
    assert check(tmp_path, text) == []


def test_an_expression_only_polars_reads_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tees_dataset.catalogue import sql

    monkeypatch.setattr(sql, "parse", lambda expression: None)
    ((line, code, _, _),) = code_errors(tmp_path, MINIMAL)
    assert (line, code) == (line_of(MINIMAL, "filter: outcome"), "C-EXPRESSION-UNCHECKED")
    assert check(tmp_path, MINIMAL) == []  # a warning: compute runs it


def test_a_breakdown_on_a_median_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: within_working_days", "kind: median_working_days")
    text = text.replace("days: 1\n", "breakdown: [outcome]\n").replace(
        "unit: percent", "unit: days"
    )
    assert check(tmp_path, text) == [
        (line_of(text, "breakdown: [outcome]"), "C-BREAKDOWN-ON-MEDIAN")
    ]
    path = tmp_path / "indicators.yaml"
    (issue,) = load_catalogue(path).report.errors
    assert "outcome" in issue.message and "filter" in issue.fix
    # The same breakdown on a median in calendar days, and the fix applied.
    assert [c for _, c in check(tmp_path, text.replace("median_working", "median"))] == [
        "C-BREAKDOWN-ON-MEDIAN"
    ]
    fixed = "".join(line for line in text.splitlines(True) if "breakdown: [outcome]" not in line)
    assert check(tmp_path, fixed) == []


def with_themes(*themes: str) -> str:
    """MINIMAL with a `pack.themes` list, one theme a line in YAML's flow style."""
    return MINIMAL + "pack:\n  themes:\n" + "".join(f"    - {t}\n" for t in themes)


def test_a_theme_names_known_indicators_each_in_one_theme(tmp_path: Path) -> None:
    timeliness = '{id: timeliness, title: Timeliness, indicators: ["3.2.1", "3.2.3"]}'
    assert check(tmp_path, with_themes(timeliness)) == []
    text = with_themes('{id: timeliness, title: Timeliness, indicators: ["3.2.1", "3.2.4"]}')
    assert check(tmp_path, text) == [(line_of(text, "3.2.4"), "C-THEME-INDICATOR")]
    (issue,) = load_catalogue(tmp_path / "indicators.yaml").report.errors
    assert "'3.2.4'" in issue.message and "'3.2.3'" in issue.fix
    results = '{id: results, title: Results, indicators: ["3.2.3"]}'
    text = with_themes(timeliness, results)
    assert check(tmp_path, text) == [(line_of(text, "id: results"), "C-THEME-OVERLAP")]
    (issue,) = load_catalogue(tmp_path / "indicators.yaml").report.errors
    assert "'timeliness'" in issue.message and "'results'" in issue.message
    text = with_themes(timeliness, results.replace("id: results", "id: timeliness"))
    assert check(tmp_path, text) == [
        (line_of(text, "id: timeliness", 2), "C-DUPLICATE-THEME-ID"),
        (line_of(text, "id: timeliness", 2), "C-THEME-OVERLAP"),
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
    # Real codes, but conditions no row can meet: they parse, and no row ever matches.
    text = text.replace(
        "numerator: \"outcome = 'S47 joint'\"",
        "numerator: \"outcome = 'S47 joint' AND outcome = 'Other'\"",
    )
    text = text.replace(
        "filter: \"deprivation_of_liberty = 'Yes'\"",
        "filter: \"deprivation_of_liberty = 'Yes' AND deprivation_of_liberty = 'No'\"",
    )
    (tmp_path / "indicators.yaml").write_text(text)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    result = CliRunner().invoke(
        app, ["check", str(tmp_path / "indicators.yaml"), "--samples", str(samples)]
    )
    assert result.exit_code == 0, result.output  # warnings do not fail CI
    warnings = [line for line in result.output.splitlines() if " warning " in line]
    assert len(warnings) == 2, result.output
    joint, dol = line_of(text, "outcome = 'Other'"), line_of(text, "deprivation_of_liberty = 'No'")
    assert f"indicators.yaml:{joint}: warning C-SAMPLE-NUMERATOR-ZERO: 3.2.4" in warnings[0]
    assert f"indicators.yaml:{dol}: warning C-SAMPLE-FILTER-EMPTY: 3.4.3" in warnings[1]


def test_shipped_catalogue_has_no_warnings_on_its_samples() -> None:
    result = CliRunner().invoke(app, ["check", str(ROOT / "indicators.yaml")])
    assert result.exit_code == 0
    assert result.output.strip().endswith("0 error(s), 0 warning(s)")
