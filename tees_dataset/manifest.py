"""What a build records in its manifest beyond the output folder's own bookkeeping (see
output.py): the inputs it read with their checksums, the catalogue, the reference data, and the
key by which a later run knows it would build exactly the same (`build_key`, `recorded_outcome`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tees_dataset.catalogue import LoadedCatalogue
from tees_dataset.figures import history, reference_dir
from tees_dataset.output import read_manifest, write_manifest

if TYPE_CHECKING:
    from tees_dataset.build import BuildOptions


def build_key(loaded: LoadedCatalogue, options: BuildOptions) -> str:
    """A digest of everything the build would read and every option that shapes its outputs."""
    from tees_dataset.fingerprint import build_key as digest_of
    from tees_dataset.fingerprint import code_sha256, folder_files

    quarters = history(options.returns_dir, options.quarter)
    return digest_of({
        "code": code_sha256(),
        "catalogue": loaded.sha256,
        "reference": reference_files(loaded),
        "options": {"quarter": str(options.quarter), "html": options.html,
                    "strict": options.strict, "publish": options.publish},
        "returns": {str(q): folder_files(options.returns_dir / str(q)) for q in quarters},
        "responses": responses_digest(options.returns_dir),
    })  # fmt: skip


def recorded_outcome(final: Path, key: str) -> dict[str, Any] | None:
    """The manifest of the build already in `final`, when it was made from exactly the same
    inputs, code and options (and its recorded outcome is whole): then nothing need be written."""
    previous = read_manifest(final) if final.is_dir() else None
    if previous is None or previous.get("build_key") != key:
        return None
    recorded = previous.get("outcome")
    if not isinstance(recorded, dict) or not isinstance(recorded.get("exit_code"), int):
        return None
    return previous


def parse_time(text: object) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return dt.datetime.now(dt.UTC)


def responses_digest(returns_dir: Path) -> str:
    """The checksum of the business unit's responses.csv beside the returns ("" when absent):
    a response added after a build makes the next build a new one."""
    from tees_dataset.digest import sha256_of
    from tees_dataset.responses import RESPONSES

    path = returns_dir / RESPONSES
    try:
        return sha256_of(path) if path.is_file() and not path.is_symlink() else ""
    except OSError:
        return ""


def inputs_sha256(loaded: LoadedCatalogue, files: list[Any]) -> str:
    """One checksum of every input and its checksum (the returns' and the reference files'),
    named in each pack's appendix so that a pack can be matched to its manifest."""
    import hashlib
    import json

    listed = {"inputs": inputs_of(files), "reference": reference_files(loaded)}
    text = json.dumps(listed, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inputs_of(files: list[Any]) -> list[dict[str, Any]]:
    return [
        {"path": str(f.path), "sha256": f.sha256, "agency": f.agency_id} for f in files if f.sha256
    ]


def catalogue_info(loaded: LoadedCatalogue) -> dict[str, Any]:
    return {
        "path": str(loaded.path),
        "sha256": loaded.sha256,
        "version": loaded.catalogue.version if loaded.catalogue else None,
    }


def write_build_manifest(
    loaded: LoadedCatalogue,
    options: BuildOptions,
    files: list[Any],
    staging: Path,
    started: dt.datetime,
    *,
    synthetic: bool = False,
    outcome: dict[str, Any] | None = None,
) -> None:
    write_manifest(
        staging,
        quarter=str(options.quarter),
        catalogue=catalogue_info(loaded),
        inputs=inputs_of(files),
        started=started,
        folders=options.folders,
        synthetic=synthetic,
        extra={
            "reference": reference_files(loaded),
            "responses_sha256": responses_digest(options.returns_dir) or None,
            "inputs_sha256": inputs_sha256(loaded, files),
        }
        | (outcome or {})
        | ({"kind": "published"} if options.publish else {}),
    )


def reference_files(loaded: LoadedCatalogue) -> list[dict[str, str]]:
    """Every reference file beside the catalogue (population, benchmarks), with its checksum."""
    from tees_dataset.digest import sha256_of

    folder = reference_dir(loaded)
    if not folder.is_dir():
        return []
    return [
        {"path": str(p.relative_to(folder.parent)), "sha256": sha256_of(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    ]
