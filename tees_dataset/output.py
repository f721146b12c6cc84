"""The output folder: what a run may replace, the lock, staging, the swap into place, and the
manifest that says which files a run wrote.

Rules, in order of what could be lost:
- An output folder that is, contains or lies inside the returns folder is refused before
  anything is written: a build must never be able to replace agencies' returns.
- `<out>/<quarter>/` is replaced only when everything in it was written by tees-dataset and is
  as it was written: its manifest lists every file with its checksum. A folder holding anything
  else (a file it did not write, or one changed since) is refused, naming the files.
- Everything is written into a hidden staging folder, marked as tees-dataset's own, and swapped
  into place in two renames under a lock; the next run undoes whatever a killed run left, and
  deletes only folders that carry tees-dataset's mark.
- A build from synthetic returns never replaces one from real returns, and a run that finds no
  return for the quarter writes nothing (`check_inputs`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from tees_dataset import __version__, signals
from tees_dataset.digest import sha256_of
from tees_dataset.errors import BuildError, ExitCode
from tees_dataset.quarter import Quarter
from tees_dataset.report import printable

MANIFEST = "manifest.json"
LOCK = ".tees-dataset.lock"
STAGING_MARK = ".tees-dataset-staging"
TOOL_NAME = "tees-dataset"
SYNTHETIC_MARK = "SYNTHETIC DATA – NOT REAL CHILDREN"


def check_folders(returns_dir: Path, out_dir: Path) -> None:
    """Refuse an output folder that is, contains or lies inside the returns folder (links
    resolved), before anything is written."""
    returns = returns_dir.resolve()
    out = out_dir.resolve()
    if out == returns or _same(out, returns):
        relation = "is"
    elif out.is_relative_to(returns) or any(_same(a, returns) for a in out.parents):
        relation = "lies inside"
    elif returns.is_relative_to(out) or any(_same(a, out) for a in returns.parents):
        relation = "contains"
    else:
        return
    raise BuildError(
        f"the output folder {out_dir} {relation} the returns folder {returns_dir}: "
        "choose an output folder apart from the returns (nothing was written)",
        ExitCode.USAGE,
    )


def _same(a: Path, b: Path) -> bool:
    """The same folder by its device and inode (a bind mount or a hard-linked path)."""
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _files_below(folder: Path) -> list[str]:
    """Every entry below `folder` that is not a directory (links included, never followed),
    as paths relative to it with `/`."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            found.append((base / name).relative_to(folder).as_posix())
    return sorted(found)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest, if it is one tees-dataset wrote; else None."""
    path = folder / MANIFEST
    if not _regular(path) or path.stat().st_size > 64 * 1024 * 1024:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), dict):
        return None
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != TOOL_NAME:
        return None
    return data


def strangers(folder: Path) -> list[str]:
    """Files in `folder` that tees-dataset did not write, or that changed since it did: an
    empty list means the folder may be replaced."""
    if folder.is_symlink():
        return [folder.name]
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [folder.name]
    files = _files_below(folder)
    if not files:
        return []
    manifest = read_manifest(folder)
    written: dict[str, Any] = manifest["outputs"] if manifest else {}
    odd = []
    for name in files:
        path = folder / name
        if name == MANIFEST and manifest is not None:
            continue
        expected = written.get(name)
        if not _regular(path) or not isinstance(expected, str) or sha256_of(path) != expected:
            odd.append(name)
    return odd


def _regular(path: Path) -> bool:
    """A plain file, not a link, a pipe or a device (reading those could block or escape)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def check_replaceable(folder: Path) -> None:
    """Refuse to replace a folder holding anything tees-dataset did not write."""
    odd = strangers(folder)
    if not odd:
        return
    shown = ", ".join(printable(name) for name in odd[:5]) + (
        f" and {len(odd) - 5} more" if len(odd) > 5 else ""
    )
    raise BuildError(
        f"{folder} holds files that tees-dataset did not write, or that were changed after it "
        f"wrote them ({shown}): move them elsewhere, or choose another --out; nothing was "
        "replaced",
        ExitCode.USAGE,
    )


@contextmanager
def output_lock(out_dir: Path, timeout: float = 0) -> Iterator[None]:
    """Only one run writes to an output folder at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out_dir / LOCK))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise BuildError(
            f"another tees-dataset run is writing to {out_dir}"
            + (f" and did not finish within {timeout:g} s" if timeout else "")
            + "; try again when it has finished, or pass --wait SECONDS",
            ExitCode.LOCKED,
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _ours(folder: Path) -> bool:
    """A staging or set-aside folder that tees-dataset made (its mark, or its manifest)."""
    return not folder.is_symlink() and (
        (folder / STAGING_MARK).is_file() or read_manifest(folder) is not None
    )


def _left(out_dir: Path, kind: str, name: str) -> list[Path]:
    """`.<kind>-<name>-<pid>` folders, exactly (2024Q3's are not 2024Q3-published's)."""
    pattern = re.compile(rf"\.{kind}-{re.escape(name)}-\d+")
    return sorted(
        p for p in out_dir.glob(f".{kind}-{glob_escape(name)}-*") if pattern.fullmatch(p.name)
    )


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def recover(out_dir: Path, name: str) -> None:
    """Undo what a run killed mid-swap left behind; drop its stale staging folders. Only
    folders that carry tees-dataset's mark or manifest, and nothing else in them, are
    deleted."""
    final = out_dir / name
    olds = [p for p in _left(out_dir, "old", name) if _ours(p)]
    if not final.exists() and not final.is_symlink() and olds:
        olds[-1].rename(final)
        olds = olds[:-1]
    for stale in olds:
        if not strangers(stale):
            shutil.rmtree(stale, ignore_errors=True)
    for stale in _left(out_dir, "staging", name):
        if _ours(stale):
            shutil.rmtree(stale, ignore_errors=True)


def new_staging(out_dir: Path, name: str) -> Path:
    """A fresh hidden folder beside the final one, marked as tees-dataset's own."""
    staging = out_dir / f".staging-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    (staging / STAGING_MARK).write_text("written by tees-dataset; safe to delete\n")
    return staging


def swap_into_place(staging: Path, final: Path) -> None:
    """Replace `final` with `staging`; at every instant one whole copy exists on disk, and no
    signal cuts the two renames apart (one that arrives meanwhile is acted on after).

    `final` is checked again once it is set aside, since a run takes a while and someone may
    have put a file in it meanwhile: then it is put back, untouched, and the run refused."""
    signals.raise_pending()
    check_replaceable(final)
    (staging / STAGING_MARK).unlink(missing_ok=True)
    old = final.parent / f".old-{final.name}-{os.getpid()}"
    with signals.deferred():
        if final.exists() or final.is_symlink():
            final.rename(old)
            if strangers(old):
                old.rename(final)
                (staging / STAGING_MARK).write_text("written by tees-dataset; safe to delete\n")
                check_replaceable(final)  # raises, naming the files
        staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def discard(staging: Path) -> None:
    """Remove this run's own staging folder (after a swap, it is no longer there)."""
    if staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class Folders:
    """Where the returns were read and the outputs written, and where each choice came from."""

    returns: Path
    returns_from: str
    out: Path
    out_from: str

    def to_dict(self) -> dict[str, str]:
        return {
            "returns": str(self.returns),
            "returns_from": self.returns_from,
            "out": str(self.out),
            "out_from": self.out_from,
        }


def write_manifest(
    folder: Path,
    *,
    quarter: str,
    catalogue: dict[str, Any],
    inputs: list[dict[str, Any]],
    started: dt.datetime,
    folders: Folders | None,
    synthetic: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """manifest.json: every output with its checksum (so a later run can tell what it wrote),
    every input with its checksum, the catalogue, the tool, the folders and the times."""
    outputs = {
        name: sha256_of(folder / name)
        for name in _files_below(folder)
        if name not in (MANIFEST, STAGING_MARK)
    }
    manifest: dict[str, Any] = {
        "quarter": quarter,
        "tool": {"name": TOOL_NAME, "version": __version__, "python": platform.python_version()},
        "catalogue": catalogue,
        "folders": folders.to_dict() if folders else None,
        "synthetic": synthetic,
        "inputs": inputs,
        "outputs": outputs,
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if synthetic:
        manifest["warning"] = SYNTHETIC_MARK
    manifest |= extra or {}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def check_inputs(returns_dir: Path, out_dir: Path, quarter: Quarter) -> None:
    """Before anything is written: the folders are apart, the returns folder exists, and the
    quarter has at least one return in it. A build that finds none writes nothing and leaves
    the previous outputs (exit 5): a mistyped path must never replace a good pack."""
    from tees_dataset.returns import discover, folder_outside

    if not returns_dir.is_dir():
        raise BuildError(
            f"the returns folder {returns_dir} "
            + ("is a file, not a folder" if returns_dir.exists() else "does not exist")
            + ": check the path (nothing was written)",
            ExitCode.USAGE,
        )
    check_folders(returns_dir, out_dir)
    folder = returns_dir / str(quarter)
    if folder_outside(returns_dir, folder):
        raise BuildError(
            f"{folder} is a link to a folder outside the returns folder {returns_dir}: put the "
            "quarter's returns inside it (nothing was written)",
            ExitCode.USAGE,
        )
    if folder.exists() and not folder.is_dir():
        raise BuildError(
            f"{folder} is a file, not a folder of returns (nothing was written)", ExitCode.USAGE
        )
    found, _ = discover(folder)
    if not found:
        raise BuildError(
            f"no return for {quarter} in {folder}"
            + ("" if folder.is_dir() else " (the folder does not exist)")
            + ": nothing was written and the previous outputs are as they were",
            ExitCode.NO_RETURNS,
        )


def no_samples_over_real(final: Path, synthetic: bool) -> None:
    """A pack built from synthetic returns never replaces one built from real returns."""
    previous = read_manifest(final) if final.is_dir() else None
    if synthetic and previous is not None and previous.get("synthetic") is False:
        raise BuildError(
            f"{final} holds outputs built from real returns, and this build read synthetic "
            "(sample) returns: it would replace them. Check --returns, or choose another --out "
            "(nothing was replaced)",
            ExitCode.USAGE,
        )


def link_files(source: Path, target: Path, names: dict[str, Any], skip: tuple[str, ...]) -> None:
    """Hard-link (or copy, across file systems) into `target` the files of `source` that its
    manifest lists, except those under `skip`: never anything else that is there."""
    for name in sorted(names):
        relative = Path(name)
        path = source / relative
        if relative.parts[0] in skip or ".." in relative.parts or relative.is_absolute():
            continue
        if path.is_symlink() or not path.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)
