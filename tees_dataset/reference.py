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
STATISTICS names the benchmarks the catalogue can ask for (`benchmark: statistic:`).
This module is imported when the command line starts: csv and the standard library only.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import typer

POPULATION_FILE = "population.csv"
POPULATION_COLUMNS = ("area_code", "area_name", "year", "population_0_17", "source")
# The columns of DfE's download of the ONS mid-year estimates that the import reads; the file
# has others (time_identifier, old_la_code), which it ignores.
ONS_POPULATION_COLUMNS = (
    "time_period",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "la_name",
    "age_group",
    "population_estimate",
)
ONS_AGE_GROUP = "Children aged 0 to 17 years"
ENGLAND = "E92000001"
NORTH_EAST = "E12000001"
TEES_AUTHORITIES = ("E06000001", "E06000002", "E06000003", "E06000004")
# Which columns hold an area's code and name, by the row's geographic level.
_LEVELS = {
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
# Every Explore Education Statistics download has these columns before its own.
DFE_COMMON_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
)  # fmt: skip
# GSS symbols DfE uses in place of a figure: c suppressed, x not available, z not applicable,
# u low reliability, low a figure below 0.5, k a figure below 0.5 (older releases).
DFE_SYMBOLS = frozenset({"c", "x", "z", "u", "low", "k", ":", ".."})
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


# ------------------------------------------------------------------- what DfE publishes


@dataclass(frozen=True)
class DfeMeasure:
    """A published figure: the column that holds it, in the rows whose other columns say so."""

    name: str
    column: str
    where: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DfeFile:
    """A DfE download the import knows, recognised by `signature` (columns no other has)."""

    id: str
    title: str
    published_as: str
    signature: frozenset[str]
    measures: tuple[DfeMeasure, ...]
    # Every row of the file is of this kind (e.g. category = Referrals and Re-referrals).
    kind: tuple[str, str] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        own = [m.column for m in self.measures] + [c for m in self.measures for c, _ in m.where]
        if self.kind:
            own.append(self.kind[0])
        return tuple(dict.fromkeys([*DFE_COMMON_COLUMNS, *own]))


_CLA_31_MARCH = (("population_type", "Children looked after on 31 March each year"),)
_CLA_ON_31_MARCH = "CLA on 31 March"
_CLA_UNDER_16 = (
    "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years"
)

DFE_FILES: tuple[DfeFile, ...] = (
    DfeFile(
        "c1_referrals",
        "Children in need: referrals and re-referrals (c1)",
        "c1_children_in_need_referrals_and_rereferrals_<years>.csv",
        frozenset({"referral_count", "rereferral_percent"}),
        (
            DfeMeasure("referral_count", "referral_count"),
            DfeMeasure("rereferral_count", "rereferral_count"),
            DfeMeasure("rereferral_percent", "rereferral_percent"),
        ),
        ("category", "Referrals and Re-referrals"),
    ),
    DfeFile(
        "b1_children_in_need",
        "Children in need (b1)",
        "b1_children_in_need_<years>.csv",
        frozenset({"At31_episodes", "Started_episodes"}),
        (
            DfeMeasure("at31_episodes", "At31_episodes"),
            DfeMeasure("started_episodes", "Started_episodes"),
        ),
        ("category", "Children in Need"),
    ),
    DfeFile(
        "d3_cp_plans_subsequent",
        "Child protection plans starting in the year that were a second or subsequent plan (d3)",
        "d3_cpps_subsequent_plan_<years>.csv",
        frozenset({"CPP_subsequent", "CPP_subsequent_percent"}),
        (
            DfeMeasure("cpp_start", "CPP_start"),
            DfeMeasure("cpp_subsequent", "CPP_subsequent"),
            DfeMeasure("cpp_subsequent_percent", "CPP_subsequent_percent"),
        ),
        ("category", "Child Protection Plans which are a second or subsequent plan"),
    ),
    DfeFile(
        "d5_cp_plans_duration",
        "Child protection plans at 31 March by how long they had lasted (d5)",
        "d5_cpps_at31march_by_duration_<years>.csv",
        frozenset({"CPP_At31", "2_years_or_more_percent"}),
        (
            DfeMeasure("cpp_at31", "CPP_At31"),
            DfeMeasure("cpp_2_years_or_more", "2_years_or_more"),
            DfeMeasure("cpp_2_years_or_more_percent", "2_years_or_more_percent"),
        ),
        ("category", "Child Protection Plans by length of time"),
    ),
    DfeFile(
        "cla_rate",
        "Children looked after: number and rate per 10,000 children",
        "cla_number_and_rate_per_10k_children.csv",
        frozenset({"population_type", "rate_per_10000", "children_count"}),
        (
            DfeMeasure("cla_31_march_count", "children_count", _CLA_31_MARCH),
            DfeMeasure("cla_31_march_rate_per_10000", "rate_per_10000", _CLA_31_MARCH),
        ),
    ),
    DfeFile(
        "cla_placement_stability",
        "Children looked after: placement stability",
        "la_cla_placement_stability.csv",
        frozenset({"cla_group", "placement_stability", "children_percent"}),
        (
            DfeMeasure(
                "three_or_more_placements_percent",
                "children_percent",
                (
                    ("cla_group", _CLA_ON_31_MARCH),
                    ("placement_stability", "With 3 or more placements during the year"),
                ),
            ),
            DfeMeasure(
                "same_carer_2_years_percent",
                "children_percent",
                (
                    ("cla_group", _CLA_UNDER_16),
                    ("placement_stability", "Living with the same carer for at least 2 years"),
                ),
            ),
        ),
    ),
    DfeFile(
        "csww_workforce",
        "Children's social work workforce (FTE, at 30 September)",
        "csww_indicators_<years>.csv",
        frozenset({"inpost_fte", "turnover_rate_fte", "vacancy_rate_fte"}),
        (
            DfeMeasure("turnover_rate_fte", "turnover_rate_fte"),
            DfeMeasure("vacancy_rate_fte", "vacancy_rate_fte"),
            DfeMeasure("agency_rate_fte", "agency_rate_fte"),
        ),
    ),
)
ONS_DATASET = DfeFile(
    "ons_population",
    "ONS mid-year population estimates, children aged 0 to 17 (as DfE publishes them)",
    "ons_mid-year_population_estimates_<years>.csv",
    frozenset({"population_estimate", "age_group"}),
    (DfeMeasure("children_0_17", "population_estimate"),),
    ("age_group", ONS_AGE_GROUP),
)
NEIGHBOUR_SIGNATURE = frozenset({"old_la_code", "la_name", "SN_1", "SN_10"})
NEIGHBOURS = 10
NEIGHBOUR_DATASET = "sn_model"
NEIGHBOUR_TITLE = "DfE statistical neighbour model"


# ------------------------------------------------------------- the statistics benchmarked

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


def dataset_title(dataset: str) -> str:
    known = {d.id: d.title for d in (*DFE_FILES, ONS_DATASET)}
    return known.get(dataset, NEIGHBOUR_TITLE if dataset == NEIGHBOUR_DATASET else dataset)


# ----------------------------------------------------------------------------- reading


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(f"{path}: cannot be read as a CSV file ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with their line numbers; a file that cannot be read is an error."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames:
                reader.fieldnames = [c.strip() for c in reader.fieldnames]
            for line, row in enumerate(reader, start=2):
                yield line, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(f"{path}: cannot be read as a CSV file ({_reason(exc)})") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ReferenceFileError(f"{path}: cannot be read ({_reason(exc)})") from exc
    return digest.hexdigest()


def is_ons_population(columns: list[str]) -> bool:
    """Whether a header is that of the ONS mid-year estimates as DfE publishes them."""
    return "population_estimate" in columns and "age_group" in columns


def recognise(columns: Iterable[str]) -> DfeFile | None:
    """The DfE download a header belongs to (by its signature columns), if any."""
    have = set(columns)
    return next((d for d in DFE_FILES if d.signature <= have), None)


def read_ons_population(path: Path) -> list[dict[str, str]]:
    """Children aged 0 to 17 in England, the North East and the four Tees authorities, each
    year of the file, as rows of population.csv (`source` names the file)."""
    columns = _header(path)
    missing = [c for c in ONS_POPULATION_COLUMNS if c not in columns]
    if missing:
        raise ReferenceFileError(
            f"{path}: not the ONS mid-year population estimates as DfE publishes them, or their "
            f"layout has changed: no column {', '.join(repr(c) for c in missing)} (expected "
            f"{', '.join(ONS_POPULATION_COLUMNS)})"
        )
    out: dict[tuple[str, int], dict[str, str]] = {}
    for line, row in _rows(path):
        if row["age_group"] != ONS_AGE_GROUP:
            continue
        code_column, name_column = _LEVELS.get(row["geographic_level"], ("", ""))
        code = row.get(code_column, "")
        if not code_column or WANTED.get(code) != row["geographic_level"]:
            continue
        year, population = _year(path, line, row), _count(path, line, row)
        if (code, year) in out:
            raise ReferenceFileError(
                f"{path}, line {line}: a second estimate for {row[name_column]} ({code}) "
                f"in {year}; the file should hold one"
            )
        out[(code, year)] = {
            "area_code": code,
            "area_name": row[name_column],
            "year": str(year),
            "population_0_17": str(population),
            "source": f"ONS mid-year population estimates (mid-{year}); DfE file {path.name}",
        }
    if not out:
        raise ReferenceFileError(
            f"{path}: no rows for '{ONS_AGE_GROUP}' in England, the North East or the Tees "
            "authorities"
        )
    return [out[key] for key in sorted(out)]


def _year(path: Path, line: int, row: dict[str, str]) -> int:
    text = row["time_period"].strip()
    if not (len(text) == 4 and text.isdigit()):
        raise ReferenceFileError(
            f"{path}, line {line}: time_period '{text[:20]}' is not a year like 2024"
        )
    return int(text)


def _count(path: Path, line: int, row: dict[str, str]) -> int:
    text = row["population_estimate"].strip().replace(",", "")
    if not text.isdigit():
        raise ReferenceFileError(
            f"{path}, line {line}: population_estimate '{row['population_estimate'][:20]}' is "
            "not a whole number"
        )
    return int(text)


def read_population(path: Path) -> list[dict[str, str]]:
    """The rows of a population.csv (none when there is no such file)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in POPULATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceFileError(f"{path}: no column {', '.join(missing)}")
        return [{c: row[c] for c in POPULATION_COLUMNS} for row in reader]


def read_dfe(path: Path, dataset: DfeFile) -> list[dict[str, str]]:
    """Every published figure of the dataset's measures in a DfE download, one a row
    (TIDY_COLUMNS): England, each region and each local authority, each year, as published
    (a figure's text unchanged, or DfE's symbol for one it does not give)."""
    columns = _header(path)
    missing = [c for c in dataset.columns if c not in columns]
    if missing:
        raise ReferenceFileError(
            f"{path}: looks like DfE's '{dataset.title}' file ({dataset.published_as}) but its "
            f"layout has changed: no column {', '.join(repr(c) for c in missing)}. Check it is "
            "the file as downloaded from Explore Education Statistics; if DfE has changed the "
            "layout, tees-dataset must be updated to read it"
        )
    out: dict[tuple[str, int, str, str], dict[str, str]] = {}
    seen: set[DfeMeasure] = set()
    for line, row in _rows(path):
        if dataset.kind and row.get(dataset.kind[0]) != dataset.kind[1]:
            continue
        level = AREA_LEVELS.get(row["geographic_level"])
        if level is None:
            continue  # other geographies (e.g. parliamentary constituencies) are not used
        if row["time_identifier"] not in ("Reporting year", "Financial year"):
            raise ReferenceFileError(
                f"{path}, line {line}: time_identifier '{row['time_identifier'][:30]}' is not "
                "'Reporting year': the layout has changed"
            )
        year = _year(path, line, row)
        code_column, name_column = _LEVELS[row["geographic_level"]]
        code, name = row[code_column], row[name_column]
        if not code:
            raise ReferenceFileError(
                f"{path}, line {line}: a {row['geographic_level'].lower()} row with no "
                f"{code_column}: the layout has changed"
            )
        old = row["old_la_code"] if level == LA_LEVEL else ""
        for measure in dataset.measures:
            if any(row.get(c) != v for c, v in measure.where):
                continue
            seen.add(measure)
            value, symbol = _figure(path, line, measure.column, row[measure.column])
            key = (measure.name, year, level, code)
            if key in out:
                raise ReferenceFileError(
                    f"{path}, line {line}: a second {measure.column} for {name} ({code}) in "
                    f"{year}; the file should hold one"
                )
            out[key] = {
                "year": str(year), "area_level": level, "area_code": code, "old_la_code": old,
                "area_name": name, "measure": measure.name, "value": value, "symbol": symbol,
            }  # fmt: skip
    absent = [m for m in dataset.measures if m not in seen]
    if absent:
        wanted = "; ".join(
            f"{m.column}" + (" where " + ", ".join(f"{c} is '{v}'" for c, v in m.where) if m.where else "")
            for m in absent
        )  # fmt: skip
        kind = f" (rows where {dataset.kind[0]} is '{dataset.kind[1]}')" if dataset.kind else ""
        raise ReferenceFileError(
            f"{path}: no figures for {wanted}{kind}: the layout of DfE's '{dataset.title}' file "
            "has changed"
        )
    if not any(level == "national" for _, _, level, _ in out):
        raise ReferenceFileError(f"{path}: no figures for England: the layout has changed")
    order = {"national": 0, "regional": 1, LA_LEVEL: 2}
    return [out[k] for k in sorted(out, key=lambda k: (k[0], k[1], order[k[2]], k[3]))]


def _figure(path: Path, line: int, column: str, text: str) -> tuple[str, str]:
    """A published figure as (value, symbol): its text when it is a number, else DfE's symbol."""
    plain = text.replace(",", "")
    if NUMBER.fullmatch(plain):
        return plain, ""
    if text.lower() in DFE_SYMBOLS:
        return "", text.lower()
    raise ReferenceFileError(
        f"{path}, line {line}: {column} '{text[:20]}' is neither a number nor one of DfE's "
        f"symbols ({', '.join(sorted(DFE_SYMBOLS))})"
    )


def read_neighbours(path: Path) -> tuple[int, list[dict[str, str]]]:
    """DfE's statistical neighbour model: each authority's ten neighbours, closest first."""
    match = re.search(r"sn_model_(\d{4})", path.name, flags=re.IGNORECASE)
    if match is None:
        raise ReferenceFileError(
            f"{path}: the statistical neighbour model's year is taken from DfE's file name "
            "(sn_model_<year>_wide.csv); rename the file as DfE published it"
        )
    year = int(match.group(1))
    columns = _header(path)
    wanted = ["old_la_code", "la_name"] + [
        f"SN_{n}{p}" for n in range(1, NEIGHBOURS + 1) for p in ("", "P")
    ]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ReferenceFileError(
            f"{path}: looks like DfE's statistical neighbour model but its layout has changed: "
            f"no column {', '.join(repr(c) for c in missing)}"
        )
    rows = list(_rows(path))
    names = {row["old_la_code"]: row["la_name"] for _, row in rows}
    out = []
    for line, row in rows:
        code = row["old_la_code"]
        if not code.isdigit():
            raise ReferenceFileError(
                f"{path}, line {line}: old_la_code '{code[:20]}' is not a DfE authority code"
            )
        for n in range(1, NEIGHBOURS + 1):
            neighbour = row[f"SN_{n}"]
            if not neighbour.isdigit():
                raise ReferenceFileError(
                    f"{path}, line {line}: SN_{n} '{neighbour[:20]}' is not a DfE authority code"
                )
            out.append({
                "model_year": str(year), "old_la_code": code, "la_name": row["la_name"],
                "rank": str(n), "neighbour_old_la_code": neighbour,
                "neighbour_name": names.get(neighbour, ""), "closeness": row[f"SN_{n}P"],
            })  # fmt: skip
    if not out:
        raise ReferenceFileError(f"{path}: no authorities in the statistical neighbour model")
    return year, out


# ----------------------------------------------------------------------------- writing


def _csv_text(rows: Iterable[dict[str, str]], columns: tuple[str, ...] = POPULATION_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _write(target: Path, text: str) -> bool:
    """Write `text` to `target` whole (or not at all) when it differs; whether it did."""
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    if text == old:
        return False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(target)
    except OSError as exc:
        raise ReferenceFileError(f"{target}: cannot be written ({_reason(exc)})") from exc
    return True


def read_sources(reference_dir: Path) -> list[dict[str, str]]:
    """The ledger of imported files (none when nothing has been imported)."""
    path = reference_dir / SOURCES_FILE
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [{c: row.get(c) or "" for c in SOURCE_COLUMNS} for row in csv.DictReader(handle)]


def _check_not_older(reference_dir: Path, dataset: str, source: Path, year: int) -> None:
    held = [int(r["publication_year"]) for r in read_sources(reference_dir)
            if r["dataset"] == dataset and r["publication_year"].isdigit()]  # fmt: skip
    if held and year < max(held):
        raise ReferenceFileError(
            f"{source}: is DfE's {year} publication of '{dataset_title(dataset)}', but "
            f"{reference_dir} already holds the {max(held)} publication; import the newest "
            "file only (it holds every earlier year, as revised)"
        )


def _sources_text(reference_dir: Path, entry: dict[str, str], *, keep_other_files: bool) -> str:
    rows = [
        r for r in read_sources(reference_dir)
        if r["dataset"] != entry["dataset"] or (keep_other_files and r["file"] != entry["file"])
    ]  # fmt: skip
    rows.append(entry)
    return _csv_text(sorted(rows, key=lambda r: (r["dataset"], r["file"])), SOURCE_COLUMNS)


def _entry(dataset: str, source: Path, year: int, sha: str, rows: int, written: list[str]) -> dict[str, str]:  # fmt: skip
    return {
        "dataset": dataset, "title": dataset_title(dataset), "file": source.name,
        "publication_year": str(year), "sha256": sha, "rows": str(rows),
        "written": "; ".join(written),
    }  # fmt: skip


def import_ons_population(source: Path, reference_dir: Path) -> Imported:
    """Add (or replace) the file's estimates in reference_dir/population.csv, keeping the rows
    for other areas and years, sorted by area code and year; write every area's estimates to
    benchmarks/ons_population.csv. The same file twice changes nothing."""
    new = read_ons_population(source)
    everywhere = read_dfe(source, ONS_DATASET)
    publication = max(int(r["year"]) for r in everywhere)
    _check_not_older(reference_dir, ONS_DATASET.id, source, publication)
    target = reference_dir / POPULATION_FILE
    rows = {(r["area_code"], int(r["year"])): r for r in read_population(target)}
    rows.update({(r["area_code"], int(r["year"])): r for r in new})
    changed = _write(target, _csv_text([rows[key] for key in sorted(rows)]))
    tidy = reference_dir / BENCHMARKS_DIR / f"{ONS_DATASET.id}.csv"
    changed = _write(tidy, _csv_text(everywhere, TIDY_COLUMNS)) or changed
    sha = sha256_of(source)
    entry = _entry(ONS_DATASET.id, source, publication, sha, len(everywhere),
                   [POPULATION_FILE, f"{BENCHMARKS_DIR}/{tidy.name}"])  # fmt: skip
    ledger = _sources_text(reference_dir, entry, keep_other_files=True)
    changed = _write(reference_dir / SOURCES_FILE, ledger) or changed
    years = sorted({int(r["year"]) for r in new})
    areas = tuple(dict.fromkeys(r["area_name"] for r in new))
    return Imported(target, len(new), (years[0], years[-1]), areas, changed, ONS_DATASET.id,
                    ONS_DATASET.title, publication, sha)  # fmt: skip


def import_dfe(source: Path, dataset: DfeFile, reference_dir: Path) -> Imported:
    """Replace reference_dir/benchmarks/<dataset>.csv with the file's figures: a DfE
    publication holds every earlier year, as revised. The same file twice changes nothing."""
    rows = read_dfe(source, dataset)
    years = sorted({int(r["year"]) for r in rows})
    _check_not_older(reference_dir, dataset.id, source, years[-1])
    target = reference_dir / BENCHMARKS_DIR / f"{dataset.id}.csv"
    changed = _write(target, _csv_text(rows, TIDY_COLUMNS))
    sha = sha256_of(source)
    entry = _entry(
        dataset.id, source, years[-1], sha, len(rows), [f"{BENCHMARKS_DIR}/{target.name}"]
    )
    changed = _write(reference_dir / SOURCES_FILE, _sources_text(reference_dir, entry, keep_other_files=False)) or changed  # fmt: skip
    return Imported(target, len(rows), (years[0], years[-1]), _area_summary(rows), changed,
                    dataset.id, dataset.title, years[-1], sha)  # fmt: skip


def _area_summary(rows: list[dict[str, str]]) -> tuple[str, ...]:
    regions = {r["area_code"] for r in rows if r["area_level"] == "regional"}
    authorities = {r["area_code"] for r in rows if r["area_level"] == LA_LEVEL}
    return ("England", f"{len(regions)} regions", f"{len(authorities)} local authorities")


def import_neighbours(source: Path, reference_dir: Path) -> Imported:
    """Replace reference_dir/neighbours.csv with DfE's statistical neighbour model."""
    year, rows = read_neighbours(source)
    _check_not_older(reference_dir, NEIGHBOUR_DATASET, source, year)
    target = reference_dir / NEIGHBOURS_FILE
    changed = _write(target, _csv_text(rows, NEIGHBOUR_COLUMNS))
    sha = sha256_of(source)
    entry = _entry(NEIGHBOUR_DATASET, source, year, sha, len(rows), [NEIGHBOURS_FILE])
    changed = _write(reference_dir / SOURCES_FILE, _sources_text(reference_dir, entry, keep_other_files=False)) or changed  # fmt: skip
    authorities = len({r["old_la_code"] for r in rows})
    return Imported(target, len(rows), (year, year), (f"{authorities} local authorities",),
                    changed, NEIGHBOUR_DATASET, NEIGHBOUR_TITLE, year, sha)  # fmt: skip


def import_file(source: Path, reference_dir: Path) -> Imported:
    """Import one published file into reference_dir, recognised by its columns."""
    if not source.is_file():
        what = "a folder, not a file" if source.is_dir() else "no such file"
        raise ReferenceFileError(f"{source}: {what}")
    columns = _header(source)
    if is_ons_population(columns):
        return import_ons_population(source, reference_dir)
    if set(columns) >= NEIGHBOUR_SIGNATURE:
        return import_neighbours(source, reference_dir)
    dataset = recognise(columns)
    if dataset is not None:
        return import_dfe(source, dataset, reference_dir)
    known = "; ".join(d.published_as for d in (ONS_DATASET, *DFE_FILES))
    raise ReferenceFileError(
        f"{source}: not a file tees-dataset can import yet. It reads these DfE Explore "
        f"Education Statistics downloads as published: {known}; and DfE's statistical "
        "neighbour model (sn_model_<year>_wide.csv)"
    )


# ------------------------------------------------------------------ reading it back


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
    only those named."""
    data = BenchmarkData(sources={r["dataset"]: r for r in read_sources(reference_dir)})
    folder = reference_dir / BENCHMARKS_DIR
    wanted = set(datasets) if datasets is not None else None
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


# ------------------------------------------------------------------------ the command

reference_app = typer.Typer(
    help="Reference data: import published statistics into reference/.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@reference_app.callback()
def _reference() -> None:
    """Reference data: import published statistics into reference/."""


def _describe(done: Imported, source: Path) -> str:
    what = "updated" if done.changed else "unchanged (already up to date)"
    first, last = done.years
    if done.dataset == ONS_DATASET.id:
        return (
            f"{done.path}: {what}; {done.rows} estimates from {source.name} "
            f"({first} to {last}; {', '.join(done.areas)}); every area's estimates in "
            f"{done.path.parent / BENCHMARKS_DIR / (ONS_DATASET.id + '.csv')}"
        )
    if done.dataset == NEIGHBOUR_DATASET:
        return (
            f"{done.path}: {what}; the ten statistical neighbours of each of "
            f"{done.areas[0]} from {source.name} (model {first}; sha256 {done.sha256[:12]})"
        )
    years = str(first) if first == last else f"{first} to {last}"
    return (
        f"{done.path}: {what}; {done.rows} figures from {source.name} ({done.title}, "
        f"publication year {done.publication_year}: {years}; {', '.join(done.areas)}; "
        f"sha256 {done.sha256[:12]})"
    )


@reference_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Published files to import.")],
    reference_dir: Annotated[
        Path, typer.Option("--reference-dir", help="The reference data folder to update.")
    ] = Path("reference"),
) -> None:
    """Import published statistics into the reference folder.

    Each file is recognised by its columns: DfE's Explore Education Statistics downloads of
    the ONS mid-year population estimates (children aged 0 to 17), children in need (b1),
    referrals and re-referrals (c1), child protection plans (d3, d5), children looked after
    (number and rate per 10,000; placement stability) and the children's social work
    workforce (csww), and DfE's statistical neighbour model (sn_model_<year>_wide.csv).
    reference/sources.csv records each file's name, publication year and sha256. Importing
    the same file again changes nothing. Exit 0 when every file was imported, 2 when any was
    not (one line each, saying why).

    Example: tees-dataset reference import ../dfe/*.csv
    """
    failed = False
    for source in files:
        try:
            done = import_file(source, reference_dir)
        except ReferenceFileError as exc:
            typer.echo(f"Error: {exc}", err=True)
            failed = True
            continue
        typer.echo(_describe(done, source))
    raise typer.Exit(2 if failed else 0)
