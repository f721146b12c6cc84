"""Reference data: published statistics imported, as published, into reference/.

`tees-dataset reference import FILE...` recognises a file by its columns. For now that is the
ONS mid-year population estimates of children aged 0 to 17 as DfE publishes them
(ons_mid-year_population_estimates_2012_to_2024.csv), which become reference/population.csv.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

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


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(f"{path}: cannot be read as a CSV file ({exc})") from exc


def is_ons_population(columns: list[str]) -> bool:
    """Whether a header is that of the ONS mid-year estimates as DfE publishes them."""
    return "population_estimate" in columns and "age_group" in columns


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
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
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
            f"{path}, line {line}: time_period '{text}' is not a year like 2024"
        )
    return int(text)


def _count(path: Path, line: int, row: dict[str, str]) -> int:
    text = row["population_estimate"].strip().replace(",", "")
    if not text.isdigit():
        raise ReferenceFileError(
            f"{path}, line {line}: population_estimate '{row['population_estimate']}' is not a "
            "whole number"
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


def import_ons_population(source: Path, reference_dir: Path) -> Imported:
    """Add (or replace) the file's estimates in reference_dir/population.csv, keeping the rows
    for other areas and years, sorted by area code and year: the same file twice changes
    nothing."""
    new = read_ons_population(source)
    target = reference_dir / POPULATION_FILE
    rows = {(r["area_code"], int(r["year"])): r for r in read_population(target)}
    rows.update({(r["area_code"], int(r["year"])): r for r in new})
    text = _csv_text([rows[key] for key in sorted(rows)])
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    if text != old:
        reference_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(target)  # whole or not at all
    years = sorted({int(r["year"]) for r in new})
    areas = tuple(dict.fromkeys(r["area_name"] for r in new))
    return Imported(target, len(new), (years[0], years[-1]), areas, text != old)


def _csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, POPULATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def import_file(source: Path, reference_dir: Path) -> Imported:
    """Import one published file into reference_dir, recognised by its columns."""
    if not source.is_file():
        raise ReferenceFileError(f"{source}: no such file")
    columns = _header(source)
    if is_ons_population(columns):
        return import_ons_population(source, reference_dir)
    raise ReferenceFileError(
        f"{source}: not a file tees-dataset can import yet. Only the ONS mid-year population "
        "estimates as DfE publishes them (ons_mid-year_population_estimates_*.csv, with columns "
        f"{', '.join(ONS_POPULATION_COLUMNS)}) are supported; other reference data is edited "
        f"by hand in {reference_dir}/"
    )


reference_app = typer.Typer(
    help="Reference data: import published statistics into reference/.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@reference_app.callback()
def _reference() -> None:
    """Reference data: import published statistics into reference/."""


@reference_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Published files to import.")],
    reference_dir: Annotated[
        Path, typer.Option("--reference-dir", help="The reference data folder to update.")
    ] = Path("reference"),
) -> None:
    """Import published statistics into the reference folder.

    Each file is recognised by its columns. For now that is the ONS mid-year population
    estimates of children aged 0 to 17 (DfE's download), which update population.csv for
    England, the North East and the four Tees authorities; importing the same file again
    changes nothing. Exit 0 when every file was imported, 2 when any was not.

    Example: tees-dataset reference import ons_mid-year_population_estimates_2012_to_2024.csv
    """
    failed = False
    for source in files:
        try:
            done = import_file(source, reference_dir)
        except ReferenceFileError as exc:
            typer.echo(f"Error: {exc}", err=True)
            failed = True
            continue
        first, last = done.years
        what = "updated" if done.changed else "unchanged (already up to date)"
        typer.echo(
            f"{done.path}: {what}; {done.rows} estimates from {source.name} "
            f"({first} to {last}; {', '.join(done.areas)})"
        )
    raise typer.Exit(2 if failed else 0)
