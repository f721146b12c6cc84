"""Reading return workbooks with calamine: checks before reading, then raw text with positions.

A return is untrusted input. Before calamine sees a workbook, every part of it is inflated here,
counting the bytes it really unpacks to (never the sizes the archive declares); XML with a
document type (the start of an entity-expansion attack) is refused; and the extent of each sheet's
cells is measured from its XML, because calamine lays a sheet out whole, from its first cell to
its last, before a single row can be taken. Text that XML 1.0 cannot hold is removed as the
sheets are read, so every value can be written to every output. Nothing read from a return goes
into a message: an exception's text can quote a cell, so only its type is kept.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import fastexcel
import polars as pl
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring, iterparse  # type: ignore[import-untyped]

from tees_dataset import codes
from tees_dataset.codes import Code
from tees_dataset.report import Issue, Location
from tees_dataset.returns.workbook import (
    COMMENTS_LABEL,
    GUIDANCE_SHEET,
    MAX_COMMENT,
    META_SHEET,
    POLARS_ILLEGAL_XML,
    as_found,
    normalise_header,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 1_000_000
# A sheet's cells as calamine lays them out: (last row) x (last column) of its filled cells,
# however few are filled (one far cell makes them all). The largest sheet of returns at 100
# times Tees volumes (`sample --scale 100`) is about 750,000 (125,000 referrals of 6 columns);
# 5 million is over six times that, and keeps one sheet's layout within a few hundred MB.
MAX_CELLS = 5_000_000
# A sheet that calamine would lay out over SPARSE_CELLS cells with fewer than one in
# SPARSE_RATIO of them there (filled, or for a sheet the screen let through, a cell tag, and
# counting every column it may reach) is a stray cell far from the figures: it is refused,
# rather than laid out whole for a handful of values. A real return fills most of its rows.
SPARSE_CELLS = 1_000_000
SPARSE_RATIO = 100
MAX_PARTS = 10_000  # files inside the archive; a workbook has tens, a few hundred with pictures
MAX_EXPLAIN_BYTES = 64 * 1024 * 1024  # of a sheet's XML, looking for merged cells and formulas
MAX_MERGED = 100_000
MAX_CLEANED_CELLS = 100  # cells named one by one where characters were removed; then a count
_CHUNK = 1 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_CELL_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
_RANGE_REF = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}(?::[A-Z]{1,3}[1-9][0-9]{0,6})?$")


class ReturnFileError(Exception):
    """A return file that cannot be read at all; carries the issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _fail(
    path: Path,
    code: Code,
    message: str,
    fix: str | None = None,
    sheet: str | None = None,
    value: str | None = None,
) -> ReturnFileError:
    return ReturnFileError(code.issue(message, Location(path.name, sheet=sheet), fix, value=value))


def _corrupt(path: Path, why: str = "") -> ReturnFileError:
    return _fail(
        path,
        codes.F_CORRUPT,
        f"the workbook is damaged and cannot be opened{why}",
        "Open it in Excel, save it again, and resend.",
    )


def _too_large(path: Path, message: str) -> ReturnFileError:
    return _fail(
        path,
        codes.F_TOO_LARGE,
        message,
        "Remove anything other than the return's sheets (pictures, pivot caches) and resend.",
    )


def _unsafe(path: Path) -> ReturnFileError:
    return _fail(
        path,
        codes.F_UNSAFE,
        "the workbook holds XML with a document type, which spreadsheets never write; it was "
        "not read",
        "Open it in Excel, save it as a new .xlsx workbook, and resend.",
    )


# ------------------------------------------------------------------------- the archive


def _zip_parts_declared(path: Path) -> int | None:
    """How many files the archive says it holds, from its end record, before zipfile reads a
    central directory that could list millions; None when there is no plain end record."""
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - (65_535 + 22)))
        tail = handle.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) < end + 22:
            return None
        count = int(struct.unpack("<H", tail[end + 10 : end + 12])[0])
        locator = end - 20
        if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
            handle.seek(offset)
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                count = int(struct.unpack("<Q", record[32:40])[0])
        return count


def _inflate(handle: Any, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """A part's bytes as they really unpack, a chunk at a time, from its compressed data: the
    sizes the archive declares are not trusted, and no chunk is more than a megabyte."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        raise _corrupt(path)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left:
            data = handle.read(min(left, _CHUNK))
            if not data:
                raise _corrupt(path)
            left -= len(data)
            yield data
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _corrupt(path, " (it uses a kind of compression Excel does not)")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while not inflater.eof:
            data = handle.read(min(left, _CHUNK)) if left else b""
            if not data:
                raise _corrupt(path)
            left -= len(data)
            while data and not inflater.eof:
                out = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                if out:
                    yield out
    except zlib.error as exc:
        raise _corrupt(path) from exc


class _PartReader:
    """A part as a file for a streaming XML parser, stopping at `limit` bytes."""

    def __init__(self, chunks: Iterator[bytes], limit: int) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._at = 0
        self.left = limit
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        if self._at >= len(self._chunk):
            self._chunk, self._at = next(self._chunks, b""), 0
        want = min(size if size >= 0 else _CHUNK, self.left)
        out = self._chunk[self._at : self._at + want]
        self._at += len(out)
        self.left -= len(out)
        if out and not self.left:
            self.truncated = True
        return out


def _read_part(path: Path, archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """A small part whole (the workbook's list of sheets, say); None if missing or too big."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    with path.open("rb") as handle:
        data = b""
        for chunk in _inflate(handle, info, path):
            data += chunk
            if len(data) > limit:
                return None
    return data


_DOCTYPE_MARKS = tuple(
    mark.encode(encoding)
    for mark in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


# An element's start, in UTF-8 or UTF-16: the prolog (where a document type must be) ends there.
_ELEMENT_START = re.compile(rb"<\x00?[A-Za-z_]")


def _is_xml_part(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".rdf"))


class _Prolog:
    """Whether an XML part declares a document type, from its first bytes: a document type
    can only come before the root element. A prolog over a megabyte long is refused too."""

    def __init__(self) -> None:
        self._seen = b""
        self.done = False

    def unsafe(self, chunk: bytes) -> bool:
        self._seen += chunk
        root = _ELEMENT_START.search(self._seen)
        if root is None:
            return len(self._seen) > _CHUNK
        self.done = True
        return any(mark in self._seen[: root.start()] for mark in _DOCTYPE_MARKS)


# ------------------------------------------------------------------- the extent of sheets


@dataclass(frozen=True)
class Extent:
    """How far a sheet's cells reach: its last row and last column (1-based; 0 when empty), and
    how many cells are filled, where that was counted (a sheet measured cell by cell)."""

    rows: int
    columns: int
    filled: int | None = field(default=None, compare=False)

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def _letters_index(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _fast_bounds() -> tuple[int, int]:
    """The rows and columns within which a sheet's cells pass the screen unread: the
    single-letter columns (A to Z), and rows below the first that could take 26 columns past
    MAX_CELLS or be past MAX_ROWS (192,308 with the limits as they are)."""
    columns = 26
    return max(2, min(MAX_ROWS + 1, MAX_CELLS // columns + 1)), columns


def _at_least(number: int) -> str:
    """A pattern matching the start of any run of digits that is `number` or more (no leading
    zeros): more digits, or as many and larger at the first digit that differs, or equal."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)}}}"]
    for at, digit in enumerate(digits):
        if digit != "9":
            options.append(f"{digits[:at]}[{int(digit) + 1}-9][0-9]{{{len(digits) - at - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class _Screen:
    """Screens a worksheet's XML, as it is inflated, for any cell that could reach past the
    limits, by searching its text rather than parsing it. A cell tag written as Excel writes it,
    `<c r="B12" …>`, within `_fast_bounds()` cannot; anything else (a later column or row, a
    cell whose place is not its first attribute) flags the sheet to be measured before it is
    read (`Workbook.extent`). On the way it counts the cell tags and keeps the row of the last
    one in each chunk (Excel writes rows in order): how far the sheet reaches, and how little
    of that may be filled (`_check_limits`)."""

    def __init__(self) -> None:
        rows, columns = _fast_bounds()
        beyond = "".join(chr(65 + i) + chr(97 + i) for i in range(columns, 26))
        later = _at_least(rows)
        place = f"[{beyond}]|[A-Za-z](?:[A-Za-z]|0*{later})" if beyond else (
            f"[A-Za-z](?:[A-Za-z]|0*{later})"
        )  # fmt: skip
        self._flag = re.compile(rf'c(?<=[<:]c)(?: r="(?:{place})|(?! r=")[\s/>])'.encode())
        self._tail = b""
        self.flagged = False
        self.cells = 0  # cell tags, filled or not
        self.last_row = 0

    def _count(self, text: bytes) -> None:
        self.cells += text.count(b'c r="')
        at = text.rfind(b'c r="')
        if at >= 0:
            place = _LAST_PLACE.match(text, at + 5)
            if place:
                self.last_row = max(self.last_row, int(place[1]))

    def feed(self, chunk: bytes) -> None:
        """Search the text up to the last tag's start: the rest waits for the next chunk, so a
        tag is never looked at cut in two. (A tag a megabyte long is flagged: none is.)"""
        if self.flagged:
            return
        data = self._tail + chunk
        cut = data.rfind(b"<")
        head, self._tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        if len(self._tail) > _CHUNK or self._flag.search(head):
            self.flagged, self._tail = True, b""
        else:
            self._count(head)

    def close(self) -> None:
        if not self.flagged and self._flag.search(self._tail):
            self.flagged = True
        self._count(self._tail)
        self._tail = b""

    @property
    def extent(self) -> Extent:
        """An unflagged sheet's extent: its last row (as far as the cells in order say), at
        most as many columns as the screen lets through, and its cell tags."""
        return Extent(self.last_row, _fast_bounds()[1], self.cells)


_LAST_PLACE = re.compile(rb"[A-Za-z]{1,3}0*([0-9]{1,9})\"")


# On a flagged sheet: every cell tag written as Excel writes it, with its place and whether it
# is empty (`<c …/>`: calamine leaves those out); any other cell tag is measured by parsing.
_PLACED_CELL = re.compile(rb'c(?<=[<:]c) r="([A-Za-z]+)0*([0-9]+)"[^>]*?(/?)>')
_OTHER_CELL = re.compile(rb'c(?<=[<:]c)(?! r=")[\s/>]')


def _screened_extent(chunks: Iterator[bytes]) -> Extent | None:
    """A flagged sheet's extent from its cell tags; None when some are not written as Excel
    writes them (they take the slow, exact measure)."""
    tail, max_row, max_column, filled = b"", 0, 0, 0
    for chunk in itertools.chain(chunks, [b"<"]):  # the last `<` flushes the tail
        data = tail + chunk
        cut = data.rfind(b"<")
        data, tail = data[:cut], data[cut:]
        if len(tail) > _CHUNK or _OTHER_CELL.search(data):
            return None
        found = [(c, r) for c, r, empty in _PLACED_CELL.findall(data) if not empty]
        if not found:
            continue
        filled += len(found)
        columns, rows = zip(*found, strict=True)
        if max(map(len, columns)) > 3 or max(map(len, rows)) > 9:
            return Extent(10**9, 16_384)  # past anything Excel can hold
        max_row = max(max_row, *map(int, rows))
        max_column = max(max_column, *(_letters_index(c.decode()) for c in set(columns)))
    return Extent(max_row, max_column, filled)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attribute(element: Any, name: str) -> str | None:
    """An attribute by its local name, with or without a namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return str(value)
    return None


@dataclass
class SheetFacts:
    """What a streaming read of a sheet's XML found."""

    extent: Extent = Extent(0, 0)
    merged: list[str] = field(default_factory=list)
    unsaved_formulas: set[str] = field(default_factory=set)
    complete: bool = True  # False when the read stopped at its limit


def _split_ref(ref: str | None) -> tuple[int, int] | None:
    """ "B12" -> (12, 2); None for anything else."""
    if not ref:
        return None
    match = _CELL_REF.match(ref.upper())
    return (int(match[2]), _letters_index(match[1])) if match else None


def _walk_sheet(source: _PartReader, formulas_in: set[str] | None = None) -> SheetFacts:
    """Stream a worksheet's XML (defusedxml: no document types, no entities): the exact extent
    of its filled cells, its merged ranges, and which of `formulas_in` hold a formula with no
    saved result. Each row is let go of once read, so memory stays small."""
    facts = SheetFacts()
    try:
        _walk_sheet_events(source, facts, formulas_in)
    except Exception:
        if not source.truncated:  # stopped at its limit, the XML ends half-way: that is all
            raise
    facts.complete = not source.truncated
    return facts


def _place(ref: str | None, row: int, column: int) -> tuple[int, int]:
    """Where calamine puts a cell: its `r` (any length: past Excel's grid is past the limits),
    or the next column along."""
    match = _ANY_REF.match(ref or "")
    if match is None:
        return row, column + 1
    letters, digits = match.groups()
    if len(letters) > 3 or len(digits) > 9:
        return 10**9, 16_384
    return int(digits), _letters_index(letters)


_ANY_REF = re.compile(r"^([A-Za-z]+)0*([0-9]+)$")


def _walk_sheet_events(
    source: _PartReader, facts: SheetFacts, formulas_in: set[str] | None
) -> None:
    row = column = 0
    open_elements: list[Any] = []
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = _local(element.tag)
        if event == "start":
            open_elements.append(element)
            if tag == "row":
                given = _attribute(element, "r")
                if given and given.isdigit():
                    row = int(given) if len(given) <= 9 else 10**9
                else:
                    row += 1
                column = 0
            continue
        open_elements.pop()
        if tag == "c":
            row, column = _place(_attribute(element, "r"), row, column)
            children = {_local(child.tag) for child in element}
            if children & {"v", "is"}:
                extent = facts.extent
                facts.extent = Extent(
                    max(extent.rows, row), max(extent.columns, column), (extent.filled or 0) + 1
                )
            if formulas_in and "f" in children:
                value = next((c for c in element if _local(c.tag) == "v"), None)
                ref = f"{column_letter(column - 1)}{row}"
                if ref in formulas_in and (value is None or not (value.text or "").strip()):
                    facts.unsaved_formulas.add(ref)
        elif tag == "mergeCell":
            ref = (_attribute(element, "ref") or "").upper()
            if _RANGE_REF.match(ref) and len(facts.merged) < MAX_MERGED:
                facts.merged.append(ref)
        if tag in ("row", "mergeCell") and open_elements:
            open_elements[-1].remove(element)  # let go of what has been read


def _walk_ods(source: _PartReader) -> dict[str, Extent]:
    """Each table's extent in an OpenDocument spreadsheet's content.xml, counting repeated rows
    and cells as calamine spreads them out (only filled cells count: LibreOffice ends every
    table with a million empty repeated rows)."""
    extents: dict[str, Extent] = {}
    name, row, max_row, max_column = "", 0, 0, 0
    column, row_filled = 0, False
    open_elements: list[Any] = []
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = _local(element.tag)
        if event == "start":
            open_elements.append(element)
            if tag == "table":
                name, row, max_row, max_column = _attribute(element, "name") or "", 0, 0, 0
            elif tag == "table-row":
                column, row_filled = 0, False
            continue
        open_elements.pop()
        if tag in ("table-cell", "covered-table-cell"):
            repeat = _repeat(element, "number-columns-repeated")
            filled = _attribute(element, "value-type") is not None or any(
                _local(child.tag) == "p" for child in element
            )
            column += repeat
            if filled:
                max_column, row_filled = max(max_column, column), True
            element.clear()
        elif tag == "table-row":
            row += _repeat(element, "number-rows-repeated")
            if row_filled:
                max_row = row
            if open_elements:
                open_elements[-1].remove(element)  # let go of what has been read
        elif tag == "table":
            extents[name] = Extent(max_row, max_column)
    return extents


def _repeat(element: Any, name: str) -> int:
    given = _attribute(element, name) or "1"
    return int(given) if given.isdigit() and len(given) < 19 else 10**18


@dataclass
class _Layout:
    """What the checks before reading learned of a workbook: where each sheet's XML is, and how
    far its cells reach (an upper bound; the exact measure is taken when the bound is over a
    limit)."""

    kind: str = "xls"  # "xlsx", "ods" or "xls"
    parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part
    screens: dict[str, _Screen] = field(default_factory=dict)  # part -> its screen
    exact: dict[str, Extent | None] = field(default_factory=dict)  # sheet -> exact extent


def _workbook_parts(path: Path, archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part, from the workbook and its relationships, as calamine
    finds them."""
    limit = 16 * 1024 * 1024
    workbook_part = "xl/workbook.xml"
    root_rels = _read_part(path, archive, "_rels/.rels", limit)
    if root_rels:
        for rel in fromstring(root_rels, forbid_dtd=True):
            if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("Target"):
                workbook_part = _resolve("", rel.get("Target") or "")
    folder = str(PurePosixPath(workbook_part).parent)
    rels_name = f"{folder}/_rels/{PurePosixPath(workbook_part).name}.rels".lstrip("/")
    workbook, rels = (_read_part(path, archive, n, limit) for n in (workbook_part, rels_name))
    if not workbook or not rels:
        return {}
    targets = {
        rel.get("Id"): _resolve(folder, rel.get("Target") or "")
        for rel in fromstring(rels, forbid_dtd=True)
    }
    parts = {}
    for element in fromstring(workbook, forbid_dtd=True).iter():
        if _local(element.tag) == "sheet":
            target = targets.get(_attribute(element, "id"))
            if target and element.get("name") is not None:
                parts[str(element.get("name"))] = target
    return parts


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in f"{folder}/{target}".split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def inspect_file(path: Path, known_sheets: Collection[str] = ()) -> _Layout:
    """Checks before calamine reads anything: size, kind of file, encryption, and for a zip
    archive every part inflated and counted (see `_check_zip`). A sheet refused here is named
    only if it is one of `known_sheets` (the template's): any other name could be any text."""
    size = path.stat().st_size
    if size == 0:
        raise _fail(
            path,
            codes.F_EMPTY,
            "the file is empty (0 bytes)",
            "Save the return again and resend it.",
        )
    if size > MAX_FILE_BYTES:
        raise _fail(
            path,
            codes.F_TOO_LARGE,
            f"the file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit",
            "Remove anything other than the return's sheets (pictures, pivot caches) and resend.",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        return _check_zip(path, size, known_sheets)
    if head == _OLE_MAGIC:
        with path.open("rb") as handle:
            if _ENCRYPTED_MARK in handle.read(min(size, 4 * 1024 * 1024)):
                raise _fail(
                    path,
                    codes.F_ENCRYPTED,
                    "the workbook is password-protected",
                    "Remove the password (File › Info › Protect Workbook) and resend; send it "
                    "by a secure route instead.",
                )
        return _check_xls(path, known_sheets)
    raise _fail(
        path,
        codes.F_NOT_A_WORKBOOK,
        "this is not an Excel workbook",
        "Send the return as an Excel workbook (.xlsx) made from the template.",
    )


def _check_zip(path: Path, size: int, known_sheets: Collection[str] = ()) -> _Layout:
    """Every part of the archive inflated in a stream, counting what it really unpacks to: over
    MAX_UNCOMPRESSED_BYTES, or MAX_COMPRESSION_RATIO times the file, it is refused, as is XML
    with a document type. Worksheets are measured on the way (`_FastScan`)."""
    parts_declared = _zip_parts_declared(path)
    if parts_declared is not None and parts_declared > MAX_PARTS:
        raise _too_large(
            path, f"the workbook holds {parts_declared:,} parts, more than a return can"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise _too_large(
                    path, f"the workbook holds {len(infos):,} parts, more than a return can"
                )
            total = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
                raise _too_large(
                    path,
                    f"the workbook unpacks to {total / 1e6:.0f} MB, more than a return can hold",
                )
            # calamine picks its reader by the file's extension, and so does this
            layout = _Layout("ods" if path.suffix.lower() == ".ods" else "xlsx")
            if layout.kind == "xlsx":
                layout.parts = _workbook_parts(path, archive)
    except ReturnFileError:
        raise
    except DefusedXmlException as exc:
        raise _unsafe(path) from exc
    except Exception as exc:  # zipfile and the XML parser raise many kinds for a bad archive
        raise _corrupt(path) from exc
    sheet_parts = set(layout.parts.values())
    unpacked = 0
    with path.open("rb") as handle:
        for info in infos:
            if info.is_dir():
                continue
            prolog = _Prolog() if _is_xml_part(info.filename) else None
            screen = None
            if layout.kind == "xlsx" and (
                info.filename in sheet_parts or info.filename.startswith("xl/worksheets/")
            ):
                screen = layout.screens[info.filename] = _Screen()
            for chunk in _inflate(handle, info, path):
                unpacked += len(chunk)
                if unpacked > MAX_UNCOMPRESSED_BYTES or unpacked > MAX_COMPRESSION_RATIO * size:
                    raise _too_large(
                        path,
                        f"the workbook unpacks to more than {unpacked / 1e6:.0f} MB from "
                        f"{size / 1e6:.1f} MB, more than a return can hold",
                    )
                if prolog is not None and not prolog.done and prolog.unsafe(chunk):
                    raise _unsafe(path)
                if screen is not None:
                    screen.feed(chunk)
            if screen is not None:
                screen.close()
    if layout.kind == "ods":  # calamine lays out every table as it opens the file
        for name, extent in _ods_extents(path).items():
            _check_limits(path, name, extent, known_sheets)
            layout.exact[name] = extent
    return layout


def _ods_extents(path: Path) -> dict[str, Extent]:
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            source = _PartReader(
                _inflate(handle, archive.getinfo("content.xml"), path), MAX_UNCOMPRESSED_BYTES
            )
            return _walk_ods(source)
    except ReturnFileError:
        raise
    except DefusedXmlException as exc:
        raise _unsafe(path) from exc
    except Exception as exc:  # no content, or content that is not XML
        raise _corrupt(path) from exc


# ------------------------------------------------------------ legacy .xls workbooks

_FREE_SECTORS = frozenset({0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC})  # free, end, FAT


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """A stream of an OLE compound file (what holds a legacy .xls), by following its chains of
    sectors, each step bounded by the number of sectors in the file; None if there is none."""
    if len(data) < 512 or data[:8] != _OLE_MAGIC:
        return None
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        return None
    size = 1 << shift
    fat_count, first_directory = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_minifat, _, first_difat = struct.unpack_from("<IIII", data, 0x38)
    sectors = len(data) // size

    def sector(number: int) -> bytes:
        if number >= sectors:
            raise ValueError("a sector past the end of the file")
        return data[(number + 1) * size : (number + 2) * size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    number, steps = first_difat, 0
    while number not in _FREE_SECTORS and steps <= sectors:
        more = struct.unpack(f"<{size // 4}I", sector(number))
        difat += more[:-1]
        number, steps = more[-1], steps + 1
    fat: list[int] = []
    for number in difat[:fat_count]:
        if number not in _FREE_SECTORS:
            fat += struct.unpack(f"<{size // 4}I", sector(number))

    def chain(start: int, table: list[int], read: Callable[[int], bytes]) -> bytes:
        parts: list[bytes] = []
        number = start
        while number not in _FREE_SECTORS:
            if number >= len(table) or len(parts) > len(table):
                raise ValueError("a broken chain of sectors")
            parts.append(read(number))
            number = table[number]
        return b"".join(parts)

    directory = chain(first_directory, fat, sector)
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        return None
    root_start, root_size = struct.unpack_from("<IQ", entries[0], 0x74)
    for entry in entries:
        (length,) = struct.unpack_from("<H", entry, 0x40)
        name = entry[: max(0, length - 2)].decode("utf-16-le", "replace")
        if entry[0x42] != 2 or name not in names:
            continue
        start, stream_size = struct.unpack_from("<IQ", entry, 0x74)
        if shift == 9:  # version 3: the size has 32 bits
            stream_size &= 0xFFFFFFFF
        if stream_size >= cutoff:
            return chain(start, fat, sector)[:stream_size]
        mini_stream = chain(root_start, fat, sector)[:root_size]
        minifat_bytes = chain(first_minifat, fat, sector)
        minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes))

        def mini(number: int, mini_stream: bytes = mini_stream) -> bytes:
            return mini_stream[number * 64 : (number + 1) * 64]

        return chain(start, minifat, mini)[:stream_size]
    return None


# Records of a cell with a value (calamine leaves blank cells out): row and column first.
_XLS_CELLS = frozenset({0x0006, 0x0406, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
_XLS_MULRK, _XLS_BOUNDSHEET, _XLS_EOF = 0x00BD, 0x0085, 0x000A


def _xls_extents(stream: bytes) -> dict[str, Extent]:
    """Each sheet's extent in a BIFF5 or BIFF8 workbook stream, from its cell records (a
    column can be written past the format's 256, and calamine would lay it all out)."""
    records: list[tuple[int, int, int]] = []  # (offset, type, length)
    at = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        records.append((at, kind, length))
        at += 4 + length
    biff8 = len(stream) >= 6 and struct.unpack_from("<H", stream, 4)[0] == 0x0600
    starts: dict[int, str] = {}
    for at, kind, length in records:
        if kind == _XLS_BOUNDSHEET and length >= 8:
            (offset,) = struct.unpack_from("<I", stream, at + 4)
            count, flags = stream[at + 10], stream[at + 11]
            if biff8:
                raw = stream[at + 12 : at + 12 + count * (2 if flags & 1 else 1)]
                name = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
            else:
                name = stream[at + 11 : at + 11 + count].decode("cp1252", "replace")
            starts[offset] = name
    extents: dict[str, Extent] = {}
    sheet, rows, columns = None, 0, 0
    for at, kind, length in records:
        if at in starts:
            sheet, rows, columns = starts[at], 0, 0
        if sheet is None:
            continue
        if kind in _XLS_CELLS and length >= 4:
            row, column = struct.unpack_from("<HH", stream, at + 4)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind == _XLS_MULRK and length >= 6:
            (row,) = struct.unpack_from("<H", stream, at + 4)
            (last,) = struct.unpack_from("<H", stream, at + 4 + length - 2)
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif kind == _XLS_EOF:
            extents[sheet] = Extent(rows, columns)
            sheet = None
    return extents


def _check_xls(path: Path, known_sheets: Collection[str] = ()) -> _Layout:
    """A legacy workbook's sheets measured from its cell records: calamine lays out every sheet
    as it opens one, so a sheet over the limits refuses the whole file."""
    try:
        stream = _ole_stream(path.read_bytes(), ("Workbook", "Book"))
        extents = _xls_extents(stream) if stream else None
    except Exception as exc:  # a damaged container
        raise _corrupt(path) from exc
    if not extents:
        raise _corrupt(path)
    for name, extent in extents.items():
        _check_limits(path, name, extent, known_sheets)
    return _Layout("xls", exact=dict(extents))


def _check_limits(
    path: Path, name: str, extent: Extent | None, known_sheets: Collection[str] = ()
) -> None:
    """Refuse a sheet whose extent is over the limits, or cannot be measured. The sheet is named
    in the issue's location when it is one of `known_sheets` (the template's own names); any
    other name goes in `value` (only the agency's feedback shows it)."""
    known = name in known_sheets
    sheet, value = (name, None) if known else (None, as_found(name) or None)
    where = "the sheet" if known else "one of the workbook's sheets"
    if extent is None:
        raise _fail(
            path,
            codes.V_SHEET_UNREADABLE,
            f"{where} cannot be read: its layout is not one Excel writes",
            "Open the workbook in Excel, check the sheet, save and resend.",
            sheet=sheet,
            value=value,
        )
    if extent.rows > MAX_ROWS:
        raise _fail(
            path,
            codes.V_TOO_MANY_ROWS,
            f"{where} has over {MAX_ROWS:,} rows, more than a return can hold",
            "Check for rows filled down by accident; delete them and resend.",
            sheet=sheet,
            value=value,
        )
    if extent.cells > MAX_CELLS:
        raise _fail(
            path,
            codes.V_SHEET_TOO_LARGE,
            f"{where} has cells as far as row {extent.rows:,} and column "
            f"{column_letter(extent.columns - 1)}, more than a return can hold",
            "Press Ctrl+End to find the last cell; delete the rows and columns beyond your "
            "figures, save and resend.",
            sheet=sheet,
            value=value,
        )
    if (
        extent.filled is not None
        and extent.cells > SPARSE_CELLS
        and extent.filled * SPARSE_RATIO < extent.cells
    ):
        raise _fail(
            path,
            codes.V_SHEET_TOO_LARGE,
            f"{where} reaches row {extent.rows:,} but has only {extent.filled:,} cells: "
            "something was typed far beyond the figures",
            "Press Ctrl+End to find the last cell; delete the rows and columns beyond your "
            "figures, save and resend.",
            sheet=sheet,
            value=value,
        )


# ------------------------------------------------------------------------------- sheets


@dataclass(frozen=True)
class RawSheet:
    """A sheet as text, row i of the frame is Excel row i + 1; `letters` maps frame columns to A, B…

    `cleaned` names the cells (up to MAX_CLEANED_CELLS) where characters XML cannot hold were
    removed, and `cleaned_count` counts them all."""

    frame: pl.DataFrame
    letters: tuple[str, ...]
    visible: bool = True
    cleaned: tuple[str, ...] = ()
    cleaned_count: int = 0


def clean_frame(frame: pl.DataFrame, letters: tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """The frame with every character XML 1.0 cannot hold removed, and the cells that had one
    (row i of the frame is Excel row i + 1)."""
    if frame.width == 0 or frame.height == 0:
        return frame, []
    text = [c for c in frame.columns if frame.schema[c] == pl.String]
    if not text:
        return frame, []
    hits = (
        frame.with_row_index("_index")
        .select(
            "_index", *[pl.col(c).str.contains(POLARS_ILLEGAL_XML).fill_null(False) for c in text]
        )
        .filter(pl.any_horizontal(text))
    )
    if hits.is_empty():
        return frame, []
    position = {c: frame.columns.index(c) for c in text}
    cells = [
        f"{letters[position[c]]}{record['_index'] + 1}"
        for record in hits.iter_rows(named=True)
        for c in text
        if record[c]
    ]
    return frame.with_columns(
        pl.col(c).str.replace_all(POLARS_ILLEGAL_XML, "") for c in text
    ), cells


class Workbook:
    """An opened return workbook (read with calamine)."""

    def __init__(self, path: Path, known_sheets: Collection[str] = ()) -> None:
        """`known_sheets`: the template's sheet names, the only ones an issue may name."""
        self._layout = inspect_file(path, known_sheets)
        self.path = path
        # (sheet, cell) where characters XML cannot hold were removed from the metadata or comment
        # (up to MAX_CLEANED_CELLS of them, and how many there were in all)
        self.cleaned: list[tuple[str, str]] = []
        self.cleaned_count = 0
        try:
            self._reader = fastexcel.read_excel(path)
            self.sheet_names: list[str] = [str(s) for s in self._reader.sheet_names]
        except Exception as exc:  # calamine raises several error types for bad files
            raise _fail(
                path,
                codes.F_CORRUPT,
                f"the workbook cannot be read ({exc.__class__.__name__})",
                "Open it in Excel, save it as .xlsx again, and resend.",
            ) from exc

    def extent(self, name: str) -> Extent | None:
        """How far the sheet's cells reach, measured from its XML; None if it cannot be."""
        layout = self._layout
        if name in layout.exact:
            return layout.exact[name]
        if layout.kind in ("ods", "xls"):
            extents = {k: v for k, v in layout.exact.items() if v is not None}
            # A sheet named otherwise than calamine names it is taken at the largest.
            largest = max(extents.values(), key=lambda e: e.cells, default=None)
            for sheet in self.sheet_names:
                layout.exact[sheet] = extents.get(sheet, largest)
            return layout.exact.get(name)
        part = layout.parts.get(name)
        screen = layout.screens.get(part) if part else None
        if screen is not None and not screen.flagged:
            return screen.extent
        # calamine finds a workbook's sheets as `_workbook_parts` does: one not found is odd
        measured = None if part is None or screen is None else self._measure(part)
        layout.exact[name] = measured
        return measured

    def _measure(self, part: str) -> Extent | None:
        """A flagged sheet's extent: from its cell tags, or by parsing it if it must be."""
        try:
            with zipfile.ZipFile(self.path) as archive, self.path.open("rb") as handle:
                info = archive.getinfo(part)
                extent = _screened_extent(_inflate(handle, info, self.path))
                if extent is not None:
                    return extent
                source = _PartReader(_inflate(handle, info, self.path), MAX_UNCOMPRESSED_BYTES)
                return _walk_sheet(source).extent
        except Exception:  # unreadable XML: calamine is not given it either
            return None

    def _check_extent(self, name: str) -> None:
        """Only sheets the tool asks for by name (the template's) are measured so."""
        _check_limits(self.path, name, self.extent(name), known_sheets=(name,))

    def _small_sheet(self, name: str, rows: int | None = None) -> pl.DataFrame | None:
        """A template sheet (metadata, guidance) as text; None if missing or unreadable."""
        if name not in self.sheet_names:
            return None
        try:
            self._check_extent(name)
            sheet = self._reader.load_sheet(name, header_row=None, dtypes="string", n_rows=rows)
            frame = sheet.to_polars()
            letters = tuple(column_letter(c.absolute_index) for c in sheet.available_columns())
        except Exception:
            return None
        frame, cells = clean_frame(frame, letters)
        self.cleaned += [(name, cell) for cell in cells][: MAX_CLEANED_CELLS - len(self.cleaned)]
        self.cleaned_count += len(cells)
        return frame if frame.width >= 2 else None

    def comment(self) -> str | None:
        """The agency's note for the partnership, from the template's guidance sheet."""
        frame = self._small_sheet(GUIDANCE_SHEET, rows=200)
        if frame is None:
            return None
        label = normalise_header(COMMENTS_LABEL)
        for key, value in zip(
            frame.to_series(0).to_list(), frame.to_series(1).to_list(), strict=True
        ):
            if key and normalise_header(key) == label:
                text = " ".join((value or "").split())
                return text[:MAX_COMMENT] or None
        return None

    def metadata(self) -> dict[str, str]:
        """The template's metadata sheet as key -> value; empty when there is none."""
        frame = self._small_sheet(META_SHEET)
        if frame is None:
            return {}
        keys, values = frame.to_series(0).to_list(), frame.to_series(1).to_list()
        return {
            str(k).strip(): str(v).strip() for k, v in zip(keys, values, strict=True) if k and v
        }

    def raw_sheet(self, name: str) -> RawSheet:
        """Every cell of a sheet as text, keeping absolute row and column positions, with the
        characters XML cannot hold removed."""
        self._check_extent(name)
        try:
            sheet = self._reader.load_sheet(
                name, header_row=None, skip_rows=0, dtypes="string", n_rows=MAX_ROWS + 1
            )
            frame = sheet.to_polars()
            columns = sheet.available_columns()
        except Exception as exc:
            raise _fail(
                self.path,
                codes.V_SHEET_UNREADABLE,
                f"the sheet cannot be read ({exc.__class__.__name__})",
                "Open the workbook in Excel, check the sheet, save and resend.",
                sheet=name,
            ) from exc
        if frame.height > MAX_ROWS:
            raise _fail(
                self.path,
                codes.V_TOO_MANY_ROWS,
                f"the sheet has over {MAX_ROWS:,} rows, more than a return can hold",
                "Check for rows filled down by accident; delete them and resend.",
                sheet=name,
            )
        letters = tuple(column_letter(c.absolute_index) for c in columns)
        frame, cleaned = clean_frame(frame, letters)
        return RawSheet(
            frame,
            letters,
            visible=str(sheet.visible) == "visible",
            cleaned=tuple(cleaned[:MAX_CLEANED_CELLS]),
            cleaned_count=len(cleaned),
        )


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def blank_cell_causes(path: Path, sheet: str, cells: set[str]) -> dict[str, tuple[str, str]]:
    """Why cells read as blank, where the workbook says: a formula whose result was never
    saved, or part of a merged range. Only asked when there are blank cells to explain.

    The sheet's XML is streamed (at most MAX_EXPLAIN_BYTES of it), never loaded whole: a blank
    left unexplained costs only the explanation."""
    if not cells or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            part = _workbook_parts(path, archive).get(sheet)
            if part is None:
                return {}
            with path.open("rb") as handle:
                source = _PartReader(
                    _inflate(handle, archive.getinfo(part), path), MAX_EXPLAIN_BYTES
                )
                facts = _walk_sheet(source, formulas_in=cells)
    except Exception:  # an explanation is a courtesy: an unreadable sheet has none
        return {}
    causes: dict[str, tuple[str, str]] = {}
    by_column: dict[int, list[int]] = {}
    for cell in cells:
        place = _split_ref(cell)
        if place:
            by_column.setdefault(place[1], []).append(place[0])
    for merged in facts.merged:
        first, _, last = merged.partition(":")
        top, bottom = _split_ref(first), _split_ref(last or first)
        if top is None or bottom is None:
            continue
        for column, rows in by_column.items():
            if top[1] <= column <= bottom[1]:
                for row in rows:
                    ref = f"{column_letter(column - 1)}{row}"
                    if top[0] <= row <= bottom[0] and ref not in causes:
                        causes[ref] = (
                            f"it is part of the merged cells {merged}",
                            "Unmerge the cells and fill in the value on every row.",
                        )
    for ref in facts.unsaved_formulas - causes.keys():
        causes[ref] = (
            "it holds a formula whose result was not saved in the file",
            "Open the workbook in Excel so it calculates, save it, and resend (or paste "
            "the values in place of the formulas).",
        )
    return causes
