"""The parts of a zip workbook, read safely: every part inflated against a budget of the bytes it
really unpacks to (never the sizes the archive declares), and XML with a document type refused."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tees_dataset.returns.limits import corrupt

CHUNK = 1 << 20


def zip_parts_declared(path: Path) -> int | None:
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


def inflate(handle: Any, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """A part's bytes as they really unpack, a chunk at a time, from its compressed data: the
    sizes the archive declares are not trusted, and no chunk is more than a megabyte."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        raise corrupt(path)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left:
            data = handle.read(min(left, CHUNK))
            if not data:
                raise corrupt(path)
            left -= len(data)
            yield data
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise corrupt(path, " (it uses a kind of compression Excel does not)")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while not inflater.eof:
            data = handle.read(min(left, CHUNK)) if left else b""
            if not data:
                raise corrupt(path)
            left -= len(data)
            while data and not inflater.eof:
                out = inflater.decompress(data, CHUNK)
                data = inflater.unconsumed_tail
                if out:
                    yield out
    except zlib.error as exc:
        raise corrupt(path) from exc


class PartReader:
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
        want = min(size if size >= 0 else CHUNK, self.left)
        out = self._chunk[self._at : self._at + want]
        self._at += len(out)
        self.left -= len(out)
        if out and not self.left:
            self.truncated = True
        return out


def read_part(path: Path, archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """A small part whole (the workbook's list of sheets, say); None if missing or too big."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    with path.open("rb") as handle:
        data = b""
        for chunk in inflate(handle, info, path):
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


def is_xml_part(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".rdf"))


class Prolog:
    """Whether an XML part declares a document type, from its first bytes: a document type
    can only come before the root element. A prolog over a megabyte long is refused too."""

    def __init__(self) -> None:
        self._seen = b""
        self.done = False

    def unsafe(self, chunk: bytes) -> bool:
        self._seen += chunk
        root = _ELEMENT_START.search(self._seen)
        if root is None:
            return len(self._seen) > CHUNK
        self.done = True
        return any(mark in self._seen[: root.start()] for mark in _DOCTYPE_MARKS)
