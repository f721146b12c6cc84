"""A cache of earlier quarters' validated rows, keyed by the hash of every file in the quarter's
folder, the catalogue and the tool version: unchanged returns are not read again.

Only what trends need is kept (accepted rows, who sent what, file checksums); child references
never reach the rows, and issues (which may quote them) are not cached. The quarter being built
is always read afresh, so its feedback is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tees_dataset.digest import sha256_of
from tees_dataset.quarter import Quarter
from tees_dataset.returns import FileResult, QuarterReturns, folder_outside

log = logging.getLogger(__name__)


def quarter_key(folder: Path, catalogue_sha256: str, tool_version: str) -> str | None:
    """A digest of everything a quarter's results depend on; None when there is no folder, or
    it is a link to somewhere outside the returns folder (it is not read: see `discover`).

    Links in the folder are not followed (nor hashed): only their names count."""
    if not folder.is_dir() or folder_outside(folder.parent, folder):
        return None
    digest = hashlib.sha256(f"{catalogue_sha256}|{tool_version}|{folder.name}".encode())
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_symlink():
            digest.update(f"|{path.name}:link".encode())
        elif path.is_file():
            digest.update(f"|{path.name}:{sha256_of(path)}".encode())
    return digest.hexdigest()


class ReturnCache:
    """Validated quarters on disk, one folder per key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def has(self, key: str) -> bool:
        return (self.root / key / "quarter.json").is_file()

    def load(self, key: str, quarter: Quarter, folder: Path) -> QuarterReturns | None:
        entry = self.root / key
        try:
            meta = json.loads((entry / "quarter.json").read_text(encoding="utf-8"))
            frames = {name: pl.read_parquet(entry / f"{name}.parquet") for name in meta["frames"]}
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
            return None
        files = [
            FileResult(folder / f["name"], f["sha256"], f["agency"], f["identified_by"],
                       synthetic=bool(f.get("synthetic", False)))
            for f in meta["files"]
        ]  # fmt: skip
        status = {(a, r): s for a, r, s in meta["status"]}
        log.debug("cache hit for %s", quarter)
        return QuarterReturns(quarter, folder, files, frames, status)

    def save(self, key: str, returns: QuarterReturns) -> None:
        def fill(partial: Path) -> None:
            for name, frame in returns.frames.items():
                frame.write_parquet(partial / f"{name}.parquet")
            meta = {
                "frames": sorted(returns.frames),
                "files": [{"name": f.path.name, "sha256": f.sha256, "agency": f.agency_id,
                           "identified_by": f.identified_by, "synthetic": f.synthetic}
                          for f in returns.files if f.sha256],
                "status": [[a, r, s] for (a, r), s in returns.status.items()],
            }  # fmt: skip
            (partial / "quarter.json").write_text(json.dumps(meta), encoding="utf-8")

        write_entry(self.root, key, fill, str(returns.quarter))


def write_entry(root: Path, key: str, fill: Callable[[Path], None], what: str) -> None:
    """Write cache entry `key` atomically, so that a reader never sees half of one: `fill`
    writes it into a private folder that is then renamed into place. An entry already there is
    kept; a cache that cannot be written only costs time (logged, never raised)."""
    entry = root / key
    if entry.exists():
        return
    if root not in _swept:
        _swept.add(root)
        _sweep(root)
    partial = root / f".{key}.{os.getpid()}"
    try:
        partial.mkdir(parents=True, exist_ok=True)
        fill(partial)
        partial.rename(entry)
    except OSError as exc:
        log.warning("could not cache %s: %s", what, exc)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


# A private folder `write_entry` fills: a dot, the entry's key (a SHA-256), a dot, the writer's pid.
_PARTIAL = re.compile(r"^\.([0-9a-f]{64})\.([0-9]+)$")
_swept: set[Path] = set()


def _sweep(root: Path) -> None:
    """Remove what writers killed mid-entry (SIGKILL, a power cut) left in `root`: the private
    folders `write_entry` names, of processes that no longer run. Nothing else is touched."""
    try:
        names = [p for p in root.iterdir() if _PARTIAL.match(p.name)] if root.is_dir() else []
    except OSError:
        return
    for path in names:
        match = _PARTIAL.match(path.name)
        assert match is not None
        pid = int(match[2])
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:  # its writer is gone
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # running, as another user
            continue
