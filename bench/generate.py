"""Synthetic returns at scale N for the benchmark, written fast.

The rows are those `tees-dataset sample --scale N` writes (`sample_rows`, the same seeded
streams; above scale 10 the big returns are tiled, see TILE_FROM), and each workbook's frame
is the agency's template made by `build_template`, with its guidance, code lists, validations
and metadata. Only the writing differs. openpyxl makes a cell object for every value, which at
scale 100 took most of the benchmark's time; here openpyxl writes the template with a second
row in each sheet (so that each column's cell style is its own), and the sheet's rows are then
streamed into that sheet's XML in the saved file: numbers as numbers, dates as date serials in
that row's style, text as inline strings.

Returns are reused when a marker file says they were made for the same scale, seed, quarters
and generator sources (this file among them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.common import CATALOGUE, QUARTERS, ROOT, SEED, quarters

MARKER = ".bench-generated.json"
# Files whose contents decide what the generator writes: a change to any regenerates.
GENERATOR_SOURCES = (
    "indicators.yaml",
    "tees_dataset/returns/sample.py",
    "tees_dataset/returns/sample_rows.py",
    "tees_dataset/returns/template.py",
    "tees_dataset/returns/workbook.py",
    "bench/generate.py",
)
EXCEL_EPOCH = dt.date(1899, 12, 30)
CHUNK_ROWS = 5_000
# Above TILE_FROM, each return of a row per child is made at TILE_FROM and written scale /
# TILE_FROM times over, each copy's child references its own (-1, -2, ...): the same rows as
# far as the build's work goes, a tenth of the generating. The other returns are made at scale.
TILE_FROM = 10.0
TILED_BY = "child_ref"
TILED = frozenset({
    "referrals", "strategy_discussions", "conferences", "children_in_care", "care_reviews",
    "missing_episodes", "child_protection_plans",
})  # fmt: skip
_ROW2 = re.compile(rb'<row r="2"[^>]*>(.*?)</row>', re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)2"([^>]*?)(/>|>)')
_STYLE = re.compile(rb's="(\d+)"')
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_CATALOGUE: list[Any] = []  # the worker's catalogue, loaded once per process


def fingerprint(scale: float) -> dict[str, Any]:
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return {"scale": scale, "seed": SEED, "quarters": QUARTERS, "sources": digest.hexdigest()}


def tile_copies(scale: float) -> int:
    """How many copies of the TILE_FROM rows make a tiled return at `scale` (1: none)."""
    copies = scale / TILE_FROM
    return int(copies) if copies >= 2 and copies.is_integer() else 1


def _catalogue() -> Any:
    if not _CATALOGUE:
        from tees_dataset.catalogue import load_catalogue

        catalogue = load_catalogue(CATALOGUE).catalogue
        assert catalogue is not None, "the catalogue has errors: run `tees-dataset check`"
        _CATALOGUE.append(catalogue)
    return _CATALOGUE[0]


def _cell(ref: str, value: object, style: str) -> str:
    if isinstance(value, bool):
        raise TypeError(f"{ref}: a boolean has no place in a return")
    if isinstance(value, int | float):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{style}><v>{(value - EXCEL_EPOCH).days}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _row_template(
    values: list[object], letters: list[str], styles: dict[str, str], ref: int | None
) -> str:
    """A <row> element with its row number left as {0} and, when `ref` is a column, that
    column's reference followed by -{1} (the copy's number)."""
    cells = []
    for index, (letter, value) in enumerate(zip(letters, values, strict=True)):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            value = value.replace("{", "{{").replace("}", "}}")
            value += "-{1}" if index == ref else ""
        cells.append(_cell(letter + "{0}", value, styles.get(letter, "")))
    return '<row r="{0}">' + "".join(cells) + "</row>"


def _rows_xml(
    rows: list[list[object]],
    letters: list[str],
    styles: dict[str, str],
    copies: int = 1,
    ref: int | None = None,
) -> Iterator[str]:
    """The sheet's rows from row 2 on, as <row> elements, a chunk of rows at a time; `copies`
    times over when `ref` is the column of references (each copy's references its own)."""
    if copies == 1:
        ref = None
    templates = [_row_template(values, letters, styles, ref) for values in rows]
    chunk: list[str] = []
    r = 2
    for copy in range(1, copies + 1):
        for template in templates:
            chunk.append(template.format(r, copy))
            r += 1
            if len(chunk) >= CHUNK_ROWS:
                yield "".join(chunk)
                chunk = []
    if chunk:
        yield "".join(chunk)


def _sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> the zip entry of its XML, from the workbook and its relationships."""
    rels = dict(
        re.findall(rb'Id="([^"]+)"[^>]*Target="([^"]+)"', files["xl/_rels/workbook.xml.rels"])
    )
    rels |= {k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*Id="([^"]+)"',
                                         files["xl/_rels/workbook.xml.rels"])}  # fmt: skip
    out = {}
    for name, rid in re.findall(
        rb'<sheet[^>]* name="([^"]+)"[^>]* r:id="([^"]+)"', files["xl/workbook.xml"]
    ):
        target = rels[rid].decode().lstrip("/")
        out[_unescape(name.decode())] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _unescape(text: str) -> str:
    return text.replace("&apos;", "'").replace("&quot;", '"').replace("&lt;", "<").replace(
        "&gt;", ">").replace("&amp;", "&")  # fmt: skip


def write_fast(
    agency_id: str, quarter_text: str, out_dir: str, scale: float, seed: int = SEED
) -> tuple[str, int]:
    """One agency's return for a quarter into `<out_dir>/<quarter>/` (runs in a worker)."""
    from tees_dataset.quarter import Quarter
    from tees_dataset.returns.sample import SAMPLE_COMMENTS, sample_rows, write_return
    from tees_dataset.returns.workbook import sheet_columns

    catalogue = _catalogue()
    agency, quarter = catalogue.agency(agency_id), Quarter.parse(quarter_text)
    names = {la.id: la.name for la in catalogue.local_authorities}
    specs = {spec.id: spec for spec in catalogue.returns_of(agency.id)}
    copies = tile_copies(scale)
    generated = sample_rows(catalogue, agency, quarter, seed=seed, scale=scale)
    tiled = sample_rows(catalogue, agency, quarter, seed=seed, scale=scale / copies)
    table: dict[str, list[list[object]]] = {}
    refs: dict[str, int | None] = {}
    for return_id in generated:  # made as they are read: only the one needed is
        columns = sheet_columns(specs[return_id])
        names_of = [c.name for c in columns]
        refs[return_id] = names_of.index(TILED_BY) if return_id in TILED else None
        rows = (tiled if refs[return_id] is not None else generated)[return_id]
        table[return_id] = [
            [
                names.get(row.get(c.name), row.get(c.name))
                if c.name == "local_authority"
                else row.get(c.name)
                for c in columns
            ]
            for row in rows
        ]
    # openpyxl writes the template and a second row in each sheet that holds each column's first
    # value (a date column's style is the date format): the cell styles the rows follow.
    first = {
        return_id: [{c.name: next((row[i] for row in rows if row[i] is not None), None)
                     for i, c in enumerate(sheet_columns(specs[return_id]))}]
        for return_id, rows in table.items()
        if rows
    }  # fmt: skip
    comment = SAMPLE_COMMENTS.get((agency.id, str(quarter)))
    folder = Path(out_dir) / str(quarter)
    path = write_return(catalogue, agency, quarter, first, folder, comment=comment, synthetic=True)
    with zipfile.ZipFile(path) as source:
        infos = source.infolist()
        files = {info.filename: source.read(info) for info in infos}
    parts = _sheet_parts(files)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            data = files[info.filename]
            spec = next(
                (s for s in specs.values() if parts.get(s.sheet) == info.filename and table.get(s.id)),
                None,
            )  # fmt: skip
            if spec is None:
                target.writestr(info.filename, data)
                continue
            count += _stream_sheet(
                target, info.filename, data, table[spec.id], copies, refs[spec.id]
            )
    partial.replace(path)
    return str(path), count


def _stream_sheet(
    target: zipfile.ZipFile,
    name: str,
    data: bytes,
    rows: list[list[object]],
    copies: int = 1,
    ref: int | None = None,
) -> int:
    """The sheet's XML with its second row replaced by every row (`copies` times when `ref` is
    the column of references); returns how many rows it holds."""
    row2 = _ROW2.search(data)
    assert row2 is not None, f"{name}: openpyxl wrote no second row"
    styles = {m.group(1).decode(): m.group(2) for m in _CELL.finditer(row2.group(0))}
    style = {
        letter: (" " + s.group(0).decode()) if (s := _STYLE.search(attrs)) else ""
        for letter, attrs in styles.items()
    }
    copies = copies if ref is not None else 1
    letters = [_letter(i) for i in range(1, len(rows[0]) + 1)]
    count = len(rows) * copies
    head = _DIMENSION.sub(
        f'<dimension ref="A1:{letters[-1]}{count + 1}"/>'.encode(), data[: row2.start()]
    )
    with target.open(name, "w", force_zip64=True) as handle:
        handle.write(head)
        for chunk in _rows_xml(rows, letters, style, copies, ref):
            handle.write(chunk.encode())
        handle.write(data[row2.end() :])
    return count


def _letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _write_logs(returns_dir: Path) -> None:
    from tees_dataset.quarter import Quarter
    from tees_dataset.returns.sample import received_log

    for quarter in quarters():
        folder = returns_dir / quarter
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "received.csv").write_text(
            received_log(_catalogue(), Quarter.parse(quarter), SEED)
        )


def generate(scale: float, returns_dir: Path) -> dict[str, Any]:
    """Synthetic returns for the quarters at `scale`, reused when the marker matches."""
    marker = returns_dir / MARKER
    wanted = fingerprint(scale)
    _restore_originals(returns_dir)  # a run stopped while a corrected return was in place
    if marker.is_file():
        previous = json.loads(marker.read_text(encoding="utf-8"))
        if previous.get("fingerprint") == wanted:
            return {**previous["generation"], "reused": True}
    shutil.rmtree(returns_dir, ignore_errors=True)
    returns_dir.mkdir(parents=True)
    catalogue = _catalogue()
    agencies = [a.id for a in catalogue.agencies if catalogue.returns_of(a.id)]
    # The biggest files first, so that no worker is left with one at the end.
    big = {"hartlepool_csc": 1, "stockton_csc": 3, "middlesbrough_csc": 4, "redcar_csc": 2}
    tasks = sorted(((a, q) for q in quarters() for a in agencies), key=lambda t: -big.get(t[0], 0))
    workers = os.cpu_count() or 1
    start = time.perf_counter()
    _write_logs(returns_dir)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        done = list(
            pool.map(
                write_fast,
                [a for a, _ in tasks],
                [q for _, q in tasks],
                [str(returns_dir)] * len(tasks),
                [scale] * len(tasks),
            )
        )
    files = sorted(returns_dir.rglob("*.xlsx"))
    generation = {
        "wall_s": round(time.perf_counter() - start, 1),
        "workers": workers,
        "files": len(files),
        "rows": sum(n for _, n in done),
        "bytes": sum(p.stat().st_size for p in files),
        "largest_file_bytes": max((p.stat().st_size for p in files), default=0),
        "how": (
            f"the rows of `tees-dataset sample --quarters {QUARTERS} --seed {SEED} --scale "
            f"{scale:g}` in each agency's template, the sheets' rows streamed into the saved "
            f"workbook (bench/generate.py); one workbook per task, {workers} processes"
            + (
                f"; the returns of a row per child made at scale {TILE_FROM:g} and written "
                f"{tile_copies(scale)} times, each copy's child references its own"
                if tile_copies(scale) > 1
                else ""
            )
        ),
    }
    marker.write_text(
        json.dumps({"fingerprint": wanted, "generation": generation}, indent=2), encoding="utf-8"
    )
    return {**generation, "reused": False}


def correct_return(returns_dir: Path, agency_id: str, quarter: str) -> dict[str, Any]:
    """Replace one agency's return for a quarter with a corrected one, as an agency resends it:
    the same file name (<agency>-<quarter>.xlsx, the only one the folder may hold for it), its
    rows made again from another seed, and a later date against it in received.csv. The
    originals are kept aside for `restore_return`."""
    scale = json.loads((returns_dir / MARKER).read_text(encoding="utf-8"))["fingerprint"]["scale"]
    folder, kept = returns_dir / quarter, returns_dir / ".originals"
    kept.mkdir(exist_ok=True)
    path, log = folder / f"{agency_id}-{quarter}.xlsx", folder / "received.csv"
    shutil.copy2(path, kept / path.name)
    shutil.copy2(log, kept / f"received-{quarter}.csv")
    start = time.perf_counter()
    write_fast(agency_id, quarter, str(returns_dir), scale, seed=SEED + 1)
    lines = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{agency_id},"):
            received = dt.date.fromisoformat(line.split(",")[1]) + dt.timedelta(days=14)
            line = f"{agency_id},{received}"
        lines.append(line + "\n")
    log.write_text("".join(lines), encoding="utf-8")
    return {
        "agency": agency_id,
        "quarter": quarter,
        "file": path.name,
        "write_s": round(time.perf_counter() - start, 1),
    }


def _restore_originals(returns_dir: Path) -> None:
    """Put back whatever `correct_return` kept aside and nothing restored."""
    kept = returns_dir / ".originals"
    if not kept.is_dir():
        return
    for path in kept.iterdir():
        if path.name.startswith("received-"):  # received-<quarter>.csv
            shutil.copy2(path, returns_dir / path.stem.removeprefix("received-") / "received.csv")
        elif path.suffix == ".xlsx":  # <agency>-<quarter>.xlsx
            shutil.copy2(path, returns_dir / path.stem.rsplit("-", 1)[1] / path.name)
    shutil.rmtree(kept)


def restore_return(returns_dir: Path, agency_id: str, quarter: str) -> None:
    """Put back what `correct_return` replaced: the folder is as generated again."""
    folder, kept = returns_dir / quarter, returns_dir / ".originals"
    shutil.copy2(kept / f"{agency_id}-{quarter}.xlsx", folder / f"{agency_id}-{quarter}.xlsx")
    shutil.copy2(kept / f"received-{quarter}.csv", folder / "received.csv")
    shutil.rmtree(kept)
