"""A cache of each quarter's computed figures (`compute_quarter`'s rows, before suppression and
changes), in `<out>/.cache/figures/` beside the read cache: a rebuild recomputes only the
quarters whose inputs changed.

A quarter's figures are keyed (`figure_key`) by what they are computed from: the digest of every
file in its returns folder (`returns.cache.quarter_key`, which holds the catalogue's digest and
the code's), and, for a quarter computed in detail, of the folders its rolling figures span; its
population estimates; and whether it was computed in detail. So a corrected return invalidates
its own quarter and the later quarters whose rolling figures reach back to it, and a change of
catalogue or code every quarter.

An entry holds its rows as Parquet and, beside them, their SHA-256 and schema: an entry that
cannot be read, does not match its checksum or has other columns is removed and computed afresh,
never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from tees_dataset.compute import RESULT_COLUMNS
from tees_dataset.quarter import Quarter
from tees_dataset.returns.cache import write_entry

log = logging.getLogger("tees_dataset")


def figure_key(
    quarter: Quarter,
    folders: list[str | None],
    population: Mapping[str, float],
    *,
    detail: bool,
) -> str | None:
    """The key of a quarter's figures: `folders` are the keys of its own returns folder first,
    then of each earlier one its rolling figures span (None: not read). None: not to be cached."""
    if not folders or folders[0] is None:
        return None
    text = json.dumps(
        {"quarter": str(quarter), "detail": detail, "returns": folders,
         "population": sorted(population.items())},
        sort_keys=True,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


class FigureCache:
    """Computed quarters on disk, one folder per key: results.parquet and entry.json."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self, key: str) -> pl.DataFrame | None:
        entry = self.root / key
        if not entry.is_dir():
            return None
        try:
            meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
            data = (entry / "results.parquet").read_bytes()
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise ValueError("its rows do not match their checksum")
            frame = pl.read_parquet(data)
            schema = [[name, str(dtype)] for name, dtype in frame.schema.items()]
            if frame.columns != list(RESULT_COLUMNS) or schema != meta["schema"]:
                raise ValueError("its columns are not the figures' columns")
        except Exception as exc:  # anything wrong with an entry: compute afresh
            log.warning("a cached quarter's figures were ignored and computed again (%s)", exc)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        return frame

    def save(self, key: str, frame: pl.DataFrame) -> None:
        def fill(partial: Path) -> None:
            frame.write_parquet(partial / "results.parquet")
            data = (partial / "results.parquet").read_bytes()
            meta = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "schema": [[name, str(dtype)] for name, dtype in frame.schema.items()],
            }
            (partial / "entry.json").write_text(json.dumps(meta), encoding="utf-8")

        write_entry(self.root, key, fill, "a quarter's figures")
