"""`tees-dataset reference import`: published files recognised by their columns, read, checked and
written into reference/ as published (see `reference` for what each file is), with
reference/sources.csv recording where each came from. csv and the standard library only."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

from tees_dataset.reference import (
    AREA_LEVELS,
    BENCHMARKS_DIR,
    GEOGRAPHIC_LEVELS,
    LA_LEVEL,
    NEIGHBOUR_COLUMNS,
    NEIGHBOURS_FILE,
    NUMBER,
    POPULATION_COLUMNS,
    POPULATION_FILE,
    SOURCE_COLUMNS,
    SOURCES_FILE,
    TIDY_COLUMNS,
    WANTED,
    Imported,
    ReferenceFileError,
    csv_rows,
    read_header,
    read_sources,
    reason_of,
    sha256_of,
)
from tees_dataset.reference.files import (
    DFE_FILES,
    DFE_SYMBOLS,
    NEIGHBOUR_DATASET,
    NEIGHBOUR_SIGNATURE,
    NEIGHBOUR_TITLE,
    NEIGHBOURS,
    ONS_AGE_GROUP,
    ONS_DATASET,
    ONS_POPULATION_COLUMNS,
    DfeFile,
    DfeMeasure,
    dataset_title,
)


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
    columns = read_header(path)
    missing = [c for c in ONS_POPULATION_COLUMNS if c not in columns]
    if missing:
        raise ReferenceFileError(
            f"{path}: not the ONS mid-year population estimates as DfE publishes them, or their "
            f"layout has changed: no column {', '.join(repr(c) for c in missing)} (expected "
            f"{', '.join(ONS_POPULATION_COLUMNS)})"
        )
    out: dict[tuple[str, int], dict[str, str]] = {}
    for line, row in csv_rows(path):
        if row["age_group"] != ONS_AGE_GROUP:
            continue
        code_column, name_column = GEOGRAPHIC_LEVELS.get(row["geographic_level"], ("", ""))
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
    columns = read_header(path)
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
    for line, row in csv_rows(path):
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
        code_column, name_column = GEOGRAPHIC_LEVELS[row["geographic_level"]]
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
    columns = read_header(path)
    wanted = ["old_la_code", "la_name"] + [
        f"SN_{n}{p}" for n in range(1, NEIGHBOURS + 1) for p in ("", "P")
    ]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ReferenceFileError(
            f"{path}: looks like DfE's statistical neighbour model but its layout has changed: "
            f"no column {', '.join(repr(c) for c in missing)}"
        )
    rows = list(csv_rows(path))
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
        raise ReferenceFileError(f"{target}: cannot be written ({reason_of(exc)})") from exc
    return True


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
    columns = read_header(source)
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
