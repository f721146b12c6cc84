"""What a build's outputs depend on, as digests: the tool's own code (not only its version
number, which does not change with every edit), and everything a build reads.

A cache entry or an up-to-date check keyed by these can never outlive a change of code,
catalogue, reference data, returns or options."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from tees_dataset import __version__

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_sha256() -> str:
    """A digest of the package's source and the pack templates, with the version."""
    digest = hashlib.sha256(__version__.encode())
    roots = [PACKAGE]
    for candidate in (PACKAGE.parent / "templates", PACKAGE / "_templates"):
        if candidate.is_dir():
            roots.append(candidate)
            break
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".j2", ".css", ".svg", ".html"):
                digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def tool_key() -> str:
    """What stands for "the tool" in cache keys: its version and its code's digest."""
    return f"{__version__}+{code_sha256()[:16]}"


def folder_files(folder: Path) -> list[tuple[str, str]]:
    """Every plain file directly in `folder` (links named, never followed), with its digest."""
    from tees_dataset.digest import sha256_of

    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            found.append((path.name, "link"))
        elif path.is_file():
            found.append((path.name, sha256_of(path)))
    return found


def build_key(parts: dict[str, Any]) -> str:
    """One digest of a build's inputs and options (a JSON-able description of them)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
