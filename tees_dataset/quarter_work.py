"""Reading and computing one batch of quarters, the same in the build's process and in the second
process that reads the oldest quarters beside it (reader.py).

A batch is read from the read cache of earlier quarters when it is there, else its files are
opened (each file's outcome from the file cache when it is there); each quarter's figures come
from the figure cache, else are computed. See figures.py for the order and what is kept."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.logs import stage
from tees_dataset.quarter import Quarter

if TYPE_CHECKING:
    import polars as pl

    from tees_dataset.compute import QuarterData
    from tees_dataset.returns import QuarterReturns


@dataclass(frozen=True)
class Planned:
    quarter: Quarter
    key: str | None  # its key in the read cache; None for the quarter being built, or no cache
    cached: bool
    size: int = 0  # the bytes of its folder's files


# Quarters whose return files add up to at most this many bytes are read and validated together
# (one pass per return over all of them); larger quarters are read one at a time, which bounds
# memory. Sample returns at Tees volumes are about 0.6 MB a quarter (at 100 times those, 23 MB).
BATCH_BYTES = 16 * 1024 * 1024


def batched(planned: list[Planned], limit: int = BATCH_BYTES) -> list[list[Planned]]:
    """Quarters in reading order, in batches: one from the read cache on its own, runs of the
    others together up to `limit` bytes of files."""
    batches: list[list[Planned]] = []
    batch_bytes = 0
    for one in planned:
        if (
            batches
            and not one.cached
            and not batches[-1][0].cached
            and batch_bytes + one.size <= limit
        ):
            batches[-1].append(one)
            batch_bytes += one.size
        else:
            batches.append([one])
            batch_bytes = one.size
    return batches


def span_of(quarters: list[Quarter]) -> str:
    return str(quarters[0]) if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"


@dataclass
class QuarterWork:
    """What reading and computing a quarter needs (picklable: the second process gets it)."""

    catalogue: Catalogue
    catalogue_sha256: str
    returns_dir: Path
    cache_dir: Path | None  # <out>/.cache; None: --no-cache
    population_table: Any  # polars DataFrame: population.csv
    kept: frozenset[str]  # returns a later quarter's rolling figures need
    detailed: frozenset[Quarter]  # quarters computed in detail (rolling figures, breakdowns)
    span: int  # quarters the longest rolling figure spans
    # Each file's outcome is written to the file cache only once `release` is called.
    hold_writes: bool = False
    _folder_keys: dict[Quarter, str | None] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def read_cache(self) -> Any:
        from tees_dataset.returns.cache import ReturnCache

        return ReturnCache(self.cache_dir / "returns") if self.cache_dir else None

    @functools.cached_property
    def file_cache(self) -> Any:
        from tees_dataset.fingerprint import tool_key
        from tees_dataset.returns.file_cache import FileCache

        if self.cache_dir is None:
            return None
        salt = f"{self.catalogue_sha256}|{tool_key()}"
        return FileCache(self.cache_dir / "files", salt, hold=self.hold_writes)

    @functools.cached_property
    def figure_cache(self) -> Any:
        from tees_dataset.figure_cache import FigureCache

        return FigureCache(self.cache_dir / "figures") if self.cache_dir else None

    def __getstate__(self) -> dict[str, Any]:  # the caches are made afresh in each process
        state = dict(self.__dict__)
        for name in ("read_cache", "file_cache", "figure_cache"):
            state.pop(name, None)
        state["_folder_keys"] = {}
        state["hold_writes"] = False  # the second process writes as it reads
        return state

    def release(self) -> None:
        """Start writing the file cache's entries held back (`hold_writes`), in the background."""
        if self.__dict__.get("file_cache") is not None:
            self.file_cache.release()

    def close(self, *, abandon: bool = False) -> None:
        """Wait for the cache entries being written in the background (see FileCache.close)."""
        if self.__dict__.get("file_cache") is not None:
            self.file_cache.close(abandon=abandon)

    @property
    def needed(self) -> frozenset[Quarter]:
        """The quarters whose rows (of the `kept` returns) a quarter computed in detail needs:
        those its rolling figures span."""
        return frozenset(d.shift(-n) for d in self.detailed for n in range(self.span))

    def folder_key(self, q: Quarter) -> str | None:
        from tees_dataset.fingerprint import tool_key
        from tees_dataset.returns.cache import quarter_key

        if q not in self._folder_keys:
            folder = self.returns_dir / str(q)
            self._folder_keys[q] = quarter_key(folder, self.catalogue_sha256, tool_key())
        return self._folder_keys[q]

    def read(self, batch: list[Planned], where: str = "") -> list[QuarterReturns]:
        """The batch's quarters, read (or from the read cache), oldest first."""
        from tees_dataset.returns import load_quarters

        quarters = [p.quarter for p in batch]
        cache = self.read_cache
        if cache and batch[0].cached and batch[0].key:
            folder = self.returns_dir / str(quarters[0])
            hit = cache.load(batch[0].key, quarters[0], folder)
            if hit is not None:
                return [hit]
        with stage(f"reading returns for {span_of(quarters)}{where}", quarter=str(quarters[-1])):
            read = load_quarters(self.catalogue, quarters, self.returns_dir, self.file_cache)
        for planned, returns in zip(batch, read, strict=True):
            if cache and planned.key:
                cache.save(planned.key, returns)
        return read

    def figures(
        self, q: Quarter, datas: Mapping[Quarter, QuarterData]
    ) -> tuple[pl.DataFrame, bool]:
        """The quarter's figures (from the figure cache, or computed) and whether computed:
        `datas` holds its rows and, for a quarter computed in detail, the quarters before it."""
        from tees_dataset.compute import Inputs, compute_quarter, population_for
        from tees_dataset.figure_cache import figure_key

        population = population_for(self.population_table, self.catalogue, q)
        # Earlier quarters feed the trend (headlines) and the changes (every row).
        detail = q in self.detailed
        # Its own returns, and for its rolling figures those of the quarters they span.
        spanned = [q.shift(-n) for n in range(self.span if detail else 1)]
        cache = self.figure_cache
        key = figure_key(
            q, [self.folder_key(s) if s in datas else None for s in spanned], population,
            detail=detail,
        ) if cache else None  # fmt: skip
        cached = cache.load(key) if cache and key else None
        if cached is not None:
            return cached, False
        with stage(f"computing {q}", quarter=str(q)):
            inputs = Inputs(q, datas[q], history=datas, population=population, detail=detail)
            frame = compute_quarter(self.catalogue, inputs)
        if cache and key:
            cache.save(key, frame)
        return frame, True
