"""The tree's layout: no pipeline stage imports a later one (the contracts in pyproject.toml's
[tool.importlinter], checked by import-linter), and no package module is over 400 lines unless
its docstring says why, in a sentence starting "Over 400 lines"."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tees_dataset"
MOST_LINES = 400
REASON = "Over 400 lines"


def test_no_stage_imports_a_later_stage(capsys: pytest.CaptureFixture[str]) -> None:
    """catalogue → returns → compute → render → build → cli; helpers import no stage."""
    from importlinter.application.use_cases import lint_imports
    from importlinter.configuration import configure

    configure()
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out


def test_every_top_level_module_is_in_a_layer_or_a_helper() -> None:
    """A new module is placed in the contracts, so that its imports are checked too."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    named: set[str] = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        for entry in [*contract.get("layers", []), *contract.get("source_modules", [])]:
            named |= {m.strip().strip("()") for m in entry.replace("|", ":").split(":")}
    modules = {
        f"tees_dataset.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert sorted(modules - named) == []


def test_no_module_is_over_400_lines_without_saying_why() -> None:
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MOST_LINES and REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not unexplained, (
        f"split these, or say why not in the module's docstring ({REASON}: ...): "
        + "; ".join(unexplained)
    )
