"""Reference data: published statistics imported, as published, into reference/.

`tees-dataset reference import FILE...` recognises each file by its columns:

- the ONS mid-year population estimates of children aged 0 to 17 as DfE publishes them
  (ons_mid-year_population_estimates_*.csv): the four Tees authorities, the North East and
  England are merged into reference/population.csv (the base of every rate per 10,000), and
  every area into reference/benchmarks/ons_population.csv (the base of DfE's rates);
- DfE's Explore Education Statistics downloads listed in DFE_FILES (children in need,
  referrals, child protection plans, children looked after, placement stability, social work
  workforce): each becomes reference/benchmarks/<dataset>.csv, one published figure a row;
- DfE's statistical neighbour model (sn_model_<year>_wide.csv): reference/neighbours.csv.

reference/sources.csv records the file each came from, its publication year and checksum.
STATISTICS names the benchmarks the catalogue can ask for (`benchmark: statistic:`), and
`load_benchmark_data` reads what was imported. The files are described in `files`, imported by
`importer`, a statistic's published figure for an area and year is in `published`, and the
commands are in `commands`. This module is imported when the command line starts: csv and the
standard library only.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

POPULATION_FILE = "population.csv"
POPULATION_COLUMNS = ("area_code", "area_name", "year", "population_0_17", "source")
ENGLAND = "E92000001"
NORTH_EAST = "E12000001"
TEES_AUTHORITIES = ("E06000001", "E06000002", "E06000003", "E06000004")
# Which columns hold an area's code and name, by the row's geographic level.
GEOGRAPHIC_LEVELS = {
    "National": ("country_code", "country_name"),
    "Regional": ("region_code", "region_name"),
    "Local authority": ("new_la_code", "la_name"),
}
WANTED = {ENGLAND: "National", NORTH_EAST: "Regional"} | dict.fromkeys(
    TEES_AUTHORITIES, "Local authority"
)
BENCHMARKS_DIR = "benchmarks"
NEIGHBOURS_FILE = "neighbours.csv"
SOURCES_FILE = "sources.csv"
TIDY_COLUMNS = (
    "year", "area_level", "area_code", "old_la_code", "area_name", "measure", "value", "symbol",
)  # fmt: skip
NEIGHBOUR_COLUMNS = (
    "model_year", "old_la_code", "la_name", "rank", "neighbour_old_la_code", "neighbour_name",
    "closeness",
)  # fmt: skip
SOURCE_COLUMNS = ("dataset", "title", "file", "publication_year", "sha256", "rows", "written")
# DfE's geographic level of an authority's figures: the catalogue's word for it too, but this
# module stays free of the catalogue's models, so that the command line starts quickly.
LA_LEVEL = "local_authority"
AREA_LEVELS = {"National": "national", "Regional": "regional", "Local authority": LA_LEVEL}
NUMBER = re.compile(r"-?\d+(\.\d+)?")


class ReferenceFileError(ValueError):
    """A reference file that cannot be imported; the message says which file and why."""


@dataclass(frozen=True)
class Imported:
    """What an import did: the file written, how many rows came from the source, and which."""

    path: Path
    rows: int
    years: tuple[int, int]
    areas: tuple[str, ...]
    changed: bool
    dataset: str = ""
    title: str = ""
    publication_year: int | None = None
    sha256: str = ""


When = Literal["year_to_31_march", "31_march", "30_september"]
_WHEN_WORDS = {"year_to_31_march": "year to 31 March", "31_march": "31 March",
               "30_september": "30 September"}  # fmt: skip


@dataclass(frozen=True)
class Statistic:
    """A national statistic an indicator can be set beside (`benchmark: statistic:`)."""

    id: str
    title: str
    dataset: str
    measure: str
    unit: Literal["percent", "rate_per_10000"]
    when: When
    # The measure is a count: divided by DfE's base, the ONS estimate of children aged 0 to
    # 17 at the mid-year before (mid-2024 for the year to 31 March 2025), per 10,000.
    per_10000: bool = False

    def reference_date(self, year: int) -> dt.date:
        """The day the year's figure is at, or ends on."""
        return dt.date(year, 9, 30) if self.when == "30_september" else dt.date(year, 3, 31)

    def period(self, year: int) -> str:
        """The year's figure in words: 'year to 31 March 2025', '30 September 2024'."""
        return f"{_WHEN_WORDS[self.when]} {year}"


STATISTICS: dict[str, Statistic] = {
    s.id: s
    for s in (
        Statistic("referrals_per_10000", "Referrals per 10,000 children", "c1_referrals",
                  "referral_count", "rate_per_10000", "year_to_31_march", per_10000=True),
        Statistic("re_referrals_percent", "Re-referrals within 12 months of a previous referral",
                  "c1_referrals", "rereferral_percent", "percent", "year_to_31_march"),
        Statistic("children_in_need_per_10000", "Children in need per 10,000 children",
                  "b1_children_in_need", "at31_episodes", "rate_per_10000", "31_march",
                  per_10000=True),
        Statistic("cp_plans_per_10000", "Children on child protection plans per 10,000 children",
                  "d5_cp_plans_duration", "cpp_at31", "rate_per_10000", "31_march",
                  per_10000=True),
        Statistic("cp_plans_second_or_subsequent_percent",
                  "Child protection plans starting in the year that were a second or subsequent plan",
                  "d3_cp_plans_subsequent", "cpp_subsequent_percent", "percent",
                  "year_to_31_march"),
        Statistic("cp_plans_2_years_or_more_percent",
                  "Child protection plans open for 2 years or more",
                  "d5_cp_plans_duration", "cpp_2_years_or_more_percent", "percent", "31_march"),
        Statistic("looked_after_per_10000", "Children looked after per 10,000 children",
                  "cla_rate", "cla_31_march_rate_per_10000", "rate_per_10000", "31_march"),
        Statistic("looked_after_3_or_more_placements_percent",
                  "Children looked after with 3 or more placements during the year",
                  "cla_placement_stability", "three_or_more_placements_percent", "percent",
                  "year_to_31_march"),
        Statistic("looked_after_same_carer_2_years_percent",
                  "Children looked after for 2.5 years or more (under 16) with the same carer "
                  "for 2 years", "cla_placement_stability", "same_carer_2_years_percent",
                  "percent", "31_march"),
        Statistic("social_worker_turnover_percent",
                  "Children and family social worker turnover (FTE, 12 months)",
                  "csww_workforce", "turnover_rate_fte", "percent", "30_september"),
        Statistic("social_worker_vacancy_percent", "Children and family social worker vacancy rate (FTE)",
                  "csww_workforce", "vacancy_rate_fte", "percent", "30_september"),
        Statistic("social_worker_agency_percent", "Children and family social worker agency rate (FTE)",
                  "csww_workforce", "agency_rate_fte", "percent", "30_september"),
    )
}  # fmt: skip
POPULATION_MEASURE = ("ons_population", "children_0_17")


def read_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(
            f"{path}: cannot be read as a CSV file ({reason_of(exc)})"
        ) from exc


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with their line numbers; a file that cannot be read is an error."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames:
                reader.fieldnames = [c.strip() for c in reader.fieldnames]
            for line, row in enumerate(reader, start=2):
                yield line, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(
            f"{path}: cannot be read as a CSV file ({reason_of(exc)})"
        ) from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ReferenceFileError(f"{path}: cannot be read ({reason_of(exc)})") from exc
    return digest.hexdigest()


def read_sources(reference_dir: Path) -> list[dict[str, str]]:
    """The ledger of imported files (none when nothing has been imported)."""
    path = reference_dir / SOURCES_FILE
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [{c: row.get(c) or "" for c in SOURCE_COLUMNS} for row in csv.DictReader(handle)]


@dataclass(frozen=True)
class PublishedFigure:
    """A figure as DfE published it: a number, or none and DfE's symbol saying why."""

    value: float | None
    symbol: str = ""


@dataclass
class BenchmarkData:
    """The imported reference data that benchmarks are made from (see load_benchmark_data).

    `figures` is keyed by (dataset, measure, year, area): an area is a GSS code for England
    and the regions and DfE's three-digit code for an authority (as the neighbour model names
    them). A figure DfE published for two authorities together is under each of them."""

    figures: dict[tuple[str, str, int, str], PublishedFigure] = field(default_factory=dict)
    # An authority's three-digit DfE code by its GSS code, and names by either code.
    old_codes: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    # Each authority's ten statistical neighbours (three-digit codes), closest first.
    neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    neighbour_model: int | None = None
    # What each dataset was imported from: dataset -> its row of sources.csv.
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def years(self, dataset: str, measure: str, area: str) -> list[int]:
        return sorted(
            y for (d, m, y, a), f in self.figures.items()
            if d == dataset and m == measure and a == area and f.value is not None
        )  # fmt: skip


def load_benchmark_data(
    reference_dir: Path, datasets: Iterable[str] | None = None
) -> BenchmarkData:
    """What was imported under reference_dir (empty when nothing has been): every dataset, or
    only those named. Read once per process while its files are unchanged (a build checks the
    catalogue's benchmarks, then sets its figures beside them): treat it as read-only."""
    wanted = frozenset(datasets) if datasets is not None else None
    files = []
    for path in sorted(reference_dir.rglob("*.csv")) if reference_dir.is_dir() else []:
        try:
            st = path.stat()
        except OSError:
            continue
        files.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
    return _load_benchmark_data(reference_dir, wanted, tuple(files))


@functools.lru_cache(maxsize=4)
def _load_benchmark_data(
    reference_dir: Path, wanted: frozenset[str] | None, files: tuple[Any, ...]
) -> BenchmarkData:
    data = BenchmarkData(sources={r["dataset"]: r for r in read_sources(reference_dir)})
    folder = reference_dir / BENCHMARKS_DIR
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        dataset = path.stem
        if wanted is not None and dataset not in wanted:
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code, old = row["area_code"], row["old_la_code"]
                figure = PublishedFigure(float(row["value"]) if row["value"] else None,
                                         row["symbol"])  # fmt: skip
                keys = old.split(" / ") if old else [code]
                for key in keys:
                    data.figures[(dataset, row["measure"], int(row["year"]), key)] = figure
                if old and " / " not in old:
                    data.old_codes[code] = old
                    data.names[old] = row["area_name"]
                data.names.setdefault(code, row["area_name"])
    neighbours = reference_dir / NEIGHBOURS_FILE
    if neighbours.is_file():
        ranked: dict[str, list[tuple[int, str]]] = {}
        with neighbours.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                ranked.setdefault(row["old_la_code"], []).append(
                    (int(row["rank"]), row["neighbour_old_la_code"])
                )
                data.names.setdefault(row["old_la_code"], row["la_name"])
                data.neighbour_model = int(row["model_year"])
        data.neighbours.update({la: tuple(c for _, c in sorted(r)) for la, r in ranked.items()})
    return data
