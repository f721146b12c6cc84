"""Where the returns are read from and the outputs written to.

Each comes from, in order: the command line (`--returns`, `--out`); the environment
(`TEES_DATASET_RETURNS`, `TEES_DATASET_OUT`); or `tees-dataset.toml` beside the catalogue:

    returns = "/srv/returns"   # relative paths are taken from the file's own folder
    out = "/srv/packs"

There is no built-in default: a server must never fall back to the synthetic sample returns."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from tees_dataset.errors import BuildError, ExitCode

CONFIG_NAME = "tees-dataset.toml"
ENV = {"returns": "TEES_DATASET_RETURNS", "out": "TEES_DATASET_OUT"}
OPTION = {"returns": "--returns", "out": "--out"}
Kind = Literal["returns", "out"]


def config_path(catalogue: Path) -> Path:
    return catalogue.resolve().parent / CONFIG_NAME


def _from_config(kind: Kind, catalogue: Path) -> tuple[Path, str] | None:
    path = config_path(catalogue)
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(
            f"cannot read {path} ({exc.__class__.__name__}): it should hold lines like "
            'returns = "/srv/returns" and out = "/srv/packs"',
            ExitCode.USAGE,
        ) from exc
    unknown = sorted(set(data) - set(ENV))
    if unknown:
        raise BuildError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; only returns and out are read",
            ExitCode.USAGE,
        )
    value = data.get(kind)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{path}: {kind} must be a folder path in quotes", ExitCode.USAGE)
    folder = _expand(Path(value), str(path))
    if not folder.is_absolute():
        folder = path.parent / folder
    return folder, f"config file {path}"


def _expand(path: Path, where: str) -> Path:
    try:
        return path.expanduser()
    except RuntimeError as exc:  # ~someone who does not exist
        raise BuildError(f"{where}: cannot find the home folder in {path}", ExitCode.USAGE) from exc


def resolve_folder(kind: Kind, given: Path | None, catalogue: Path) -> tuple[Path, str]:
    """The folder and where it came from, or a usage error saying how to give it."""
    if given is not None:
        return given, "command line"
    env = os.environ.get(ENV[kind], "").strip()
    if env:
        return _expand(Path(env), ENV[kind]), f"environment {ENV[kind]}"
    found = _from_config(kind, catalogue)
    if found is not None:
        return found
    what = "returns folder" if kind == "returns" else "output folder"
    raise BuildError(
        f"say which {what} to use: {OPTION[kind]} DIR, the environment variable {ENV[kind]}, "
        f'or {kind} = "DIR" in {config_path(catalogue)}',
        ExitCode.USAGE,
    )
