"""Checks that pyproject.toml says what the code needs and what CI has tested (run by `make test`).

- Every third-party module the package imports is a declared dependency, and every module the
  tests, scripts and benchmark import is declared there or in the `dev` group.
- Every declared requirement has a lower bound, and that bound is the version in uv.lock: the
  version CI installs and tests. After `uv lock --upgrade`, raise the bounds to match.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tees_dataset"
# Folders whose imports may also come from the development group.
DEV_FOLDERS = ("tests", "scripts", "bench")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(requirement: str) -> tuple[str, str | None]:
    """`polars>=2.1.0` -> ("polars", "2.1.0"); no lower bound -> (name, None)."""
    match = _REQUIREMENT.match(requirement)
    if not match:
        raise SystemExit(f"pyproject.toml: cannot read the requirement {requirement!r}")
    name, _, spec = match.groups()
    lower = re.search(r">=\s*([^,;\s]+)", spec)
    return normalise(name), lower.group(1) if lower else None


def imported_modules(folder: Path) -> dict[str, Path]:
    """Top-level modules imported by the .py files under `folder` (absolute imports only),
    with the first file that imports each."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def local_modules() -> set[str]:
    """The project's own top-level names: the package, and modules beside the files that
    import them (tests, scripts, bench)."""
    names = {PACKAGE, *DEV_FOLDERS}
    for folder in DEV_FOLDERS:
        names |= {p.stem for p in (ROOT / folder).glob("*.py")}
    return names


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {normalise(p["name"]): p["version"] for p in lock["package"]}
    runtime = [parse(r) for r in project["project"]["dependencies"]]
    dev = [parse(r) for r in project.get("dependency-groups", {}).get("dev", [])]
    problems: list[str] = []

    for name, lower in runtime + dev:
        if lower is None:
            problems.append(f"{name}: no lower bound; declare {name}>={locked.get(name, '?')}")
        elif name in locked and lower != locked[name]:
            problems.append(
                f"{name}>={lower} is not the version CI tests: uv.lock holds {locked[name]}; "
                f"declare {name}>={locked[name]}"
            )

    distributions = importlib.metadata.packages_distributions()
    declared_runtime = {name for name, _ in runtime}
    declared_dev = declared_runtime | {name for name, _ in dev}
    own = local_modules()
    folders = [(ROOT / PACKAGE, declared_runtime, "dependencies")] + [
        (ROOT / folder, declared_dev, "dependencies or the dev group")
        for folder in DEV_FOLDERS
        if (ROOT / folder).is_dir()
    ]
    for folder, declared, where in folders:
        for module, path in sorted(imported_modules(folder).items()):
            if module in sys.stdlib_module_names or module in own or module == "__future__":
                continue
            owners = {normalise(d) for d in distributions.get(module, [])}
            if not owners:
                problems.append(
                    f"{path.relative_to(ROOT)}: imports {module}, which is not installed"
                )
            elif not owners & declared:
                problems.append(
                    f"{path.relative_to(ROOT)}: imports {module} (from {', '.join(sorted(owners))}),"
                    f" not declared in pyproject.toml's {where}"
                )

    for problem in problems:
        print(f"pyproject.toml: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"dependencies: {len(runtime)} runtime and {len(dev)} development requirements "
            "declared at their locked versions; every import declared"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
