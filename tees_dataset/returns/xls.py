"""Legacy .xls workbooks: each sheet's extent read from the cell records of its OLE container."""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection
from pathlib import Path

from tees_dataset.returns.extent import Extent, Layout, check_limits
from tees_dataset.returns.limits import corrupt

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE_SECTORS = frozenset({0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC})  # free, end, FAT


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """A stream of an OLE compound file (what holds a legacy .xls), by following its chains of
    sectors, each step bounded by the number of sectors in the file; None if there is none."""
    if len(data) < 512 or data[:8] != OLE_MAGIC:
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


def check_xls(path: Path, known_sheets: Collection[str] = ()) -> Layout:
    """A legacy workbook's sheets measured from its cell records: calamine lays out every sheet
    as it opens one, so a sheet over the limits refuses the whole file."""
    try:
        stream = _ole_stream(path.read_bytes(), ("Workbook", "Book"))
        extents = _xls_extents(stream) if stream else None
    except Exception as exc:  # a damaged container
        raise corrupt(path) from exc
    if not extents:
        raise corrupt(path)
    for name, extent in extents.items():
        check_limits(path, name, extent, known_sheets)
    return Layout("xls", exact=dict(extents))
