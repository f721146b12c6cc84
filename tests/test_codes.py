"""The registry of issue codes: every issue comes from it, and `tees-dataset rules` lists it all."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tees_dataset import codes
from tees_dataset.catalogue import load_catalogue
from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app
from tees_dataset.report import Issue, Level
from tees_dataset.returns import load_quarter

from .fixture_returns import Q, write_fixture

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tees_dataset"
CAT = ["--catalogue", str(ROOT / "indicators.yaml")]
STYLE = re.compile(r"^[CFV](-[A-Z0-9]+)+(-\*)?$|^R\*$")
runner = CliRunner()


def registered(code: str) -> codes.Code | None:
    """The entry an issue's code comes from (a family's for its members), if any."""
    if code in codes.REGISTRY:
        return codes.REGISTRY[code]
    return next(
        (c for c in codes.REGISTRY.values() if c.family and code.startswith(c.prefix)), None
    )


def _unregistered(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues if registered(i.code) is None]


def test_every_code_follows_one_style_and_has_what_the_reference_needs() -> None:
    for entry in codes.REGISTRY.values():
        assert STYLE.match(entry.code), entry.code
        assert entry.title and entry.description and isinstance(entry.level, Level), entry.code
        assert entry.family == entry.code.endswith("*"), entry.code


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_rules_lists_every_code_in_the_registry(fmt: str) -> None:
    result = runner.invoke(app, ["rules", "--format", fmt, *CAT])
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"[CFVR][\w.]*(?:-[\w.*]+)*\*?", result.output))
    assert set(codes.REGISTRY) <= listed
    loaded = load_catalogue(ROOT / "indicators.yaml").catalogue
    assert loaded is not None
    assert {rule.code for spec in loaded.returns for rule in spec.rules} <= listed


def test_rules_refuses_an_unknown_format() -> None:
    assert runner.invoke(app, ["rules", "--format", "html"]).exit_code == 2


def test_no_module_builds_an_issue_or_spells_a_code_itself() -> None:
    """Issues are made by `Code.issue` only, and a code string is written only in codes.py."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("codes.py", "report.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue":
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} builds an Issue directly")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not re.fullmatch(r"[CFV]-[A-Z]+(-[A-Z0-9]+)*", node.value), (
                    f"{path.relative_to(ROOT)}:{node.lineno} spells the code {node.value}"
                )


def test_a_catalogue_with_errors_raises_only_registered_codes(tmp_path: Path) -> None:
    text = (ROOT / "indicators.yaml").read_text(encoding="utf-8")
    broken = text.replace("unit: percent", "unit: percent\n    colour: red", 1)
    path = tmp_path / "indicators.yaml"
    path.write_text(broken, encoding="utf-8")
    report = load_catalogue(path).report
    assert report.errors and not _unregistered(report.issues)
    path.write_text("version: [\n", encoding="utf-8")
    report = load_catalogue(path).report
    assert report.errors and not _unregistered(report.issues)


def test_bad_returns_raise_only_registered_codes(tmp_path: Path, catalogue: Catalogue) -> None:
    write_fixture(catalogue, tmp_path)
    folder = tmp_path / str(Q)
    (folder / "notes.txt").write_text("not a return", encoding="utf-8")
    (folder / "empty-2024Q3.xlsx").write_bytes(b"")
    (folder / "hartlepool_lado-2024Q3 copy.xlsx").write_bytes(b"PK not really")
    police = next(folder.glob("cleveland_police-*.xlsx"))
    shutil.copy(police, folder / "cleveland_police-2024Q3 (2).xlsx")
    council = next(folder.glob("stockton_csc-*.xlsx"))
    workbook = openpyxl.load_workbook(council)
    for sheet in workbook.worksheets:
        if sheet.max_row > 1:
            sheet.cell(2, 1).value = "not what it should be"
            sheet.cell(2, 2).value = "31/02/24"
    workbook.save(council)
    returns = load_quarter(catalogue, Q, tmp_path)
    found = {i.code for i in returns.issues}
    assert {"F-NOT-A-RETURN", "F-EMPTY", "F-DUPLICATE"} <= found, found
    assert not _unregistered(returns.issues)


def test_check_with_samples_raises_only_registered_codes(tmp_path: Path) -> None:
    from tees_dataset.checking import sample_issues

    loaded = load_catalogue(ROOT / "indicators.yaml")
    assert loaded.catalogue is not None and loaded.source is not None
    issues = sample_issues(loaded.catalogue, loaded.source, tmp_path)
    assert [i.code for i in issues] == ["C-SAMPLES-NONE"]
    assert not _unregistered(issues)


def test_an_issue_takes_its_code_severity_and_fix_from_its_entry() -> None:
    for entry in codes.REGISTRY.values():
        if entry.family:
            issue = entry.issue("m", code=entry.prefix + "X")
            with pytest.raises(ValueError, match="family"):
                entry.issue("m")
        else:
            issue = entry.issue("m")
        assert (issue.level, issue.fix) == (entry.level, entry.fix)
        assert registered(issue.code) is entry
    assert codes.F_WRONG_QUARTER.issue("m", fields={"quarter": "2024Q3"}).fix == (
        "Send the 2024Q3 return, made from the 2024Q3 template."
    )
