"""The checks before calamine reads a workbook: its size, what kind of file it is, encryption, and
for a zip archive every part inflated and counted and every sheet's extent screened."""

from __future__ import annotations

import zipfile
from collections.abc import Collection
from pathlib import Path, PurePosixPath

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from tees_dataset import codes
from tees_dataset.returns import limits
from tees_dataset.returns.extent import (
    Extent,
    Layout,
    Screen,
    attribute,
    check_limits,
    local_tag,
    walk_ods,
)
from tees_dataset.returns.limits import ReturnFileError, corrupt, fail, too_large, unsafe
from tees_dataset.returns.xls import OLE_MAGIC, check_xls
from tees_dataset.returns.zipped import (
    PartReader,
    Prolog,
    inflate,
    is_xml_part,
    read_part,
    zip_parts_declared,
)

_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def workbook_parts(path: Path, archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part, from the workbook and its relationships, as calamine
    finds them."""
    limit = 16 * 1024 * 1024
    workbook_part = "xl/workbook.xml"
    root_rels = read_part(path, archive, "_rels/.rels", limit)
    if root_rels:
        for rel in fromstring(root_rels, forbid_dtd=True):
            if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("Target"):
                workbook_part = _resolve("", rel.get("Target") or "")
    folder = str(PurePosixPath(workbook_part).parent)
    rels_name = f"{folder}/_rels/{PurePosixPath(workbook_part).name}.rels".lstrip("/")
    workbook, rels = (read_part(path, archive, n, limit) for n in (workbook_part, rels_name))
    if not workbook or not rels:
        return {}
    targets = {
        rel.get("Id"): _resolve(folder, rel.get("Target") or "")
        for rel in fromstring(rels, forbid_dtd=True)
    }
    parts = {}
    for element in fromstring(workbook, forbid_dtd=True).iter():
        if local_tag(element.tag) == "sheet":
            target = targets.get(attribute(element, "id"))
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


def inspect_file(path: Path, known_sheets: Collection[str] = ()) -> Layout:
    """Checks before calamine reads anything: size, kind of file, encryption, and for a zip
    archive every part inflated and counted (see `_check_zip`). A sheet refused here is named
    only if it is one of `known_sheets` (the template's): any other name could be any text."""
    size = path.stat().st_size
    if size == 0:
        raise fail(
            path,
            codes.F_EMPTY,
            "the file is empty (0 bytes)",
        )
    if size > limits.MAX_FILE_BYTES:
        raise fail(
            path,
            codes.F_TOO_LARGE,
            f"the file is {size / 1e6:.0f} MB, over the {limits.MAX_FILE_BYTES / 1e6:.0f} MB limit",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        return _check_zip(path, size, known_sheets)
    if head == OLE_MAGIC:
        with path.open("rb") as handle:
            if _ENCRYPTED_MARK in handle.read(min(size, 4 * 1024 * 1024)):
                raise fail(
                    path,
                    codes.F_ENCRYPTED,
                    "the workbook is password-protected",
                )
        return check_xls(path, known_sheets)
    raise fail(
        path,
        codes.F_NOT_A_WORKBOOK,
        "this is not an Excel workbook",
    )


def _check_zip(path: Path, size: int, known_sheets: Collection[str] = ()) -> Layout:
    """Every part of the archive inflated in a stream, counting what it really unpacks to: over
    limits.MAX_UNCOMPRESSED_BYTES, or limits.MAX_COMPRESSION_RATIO times the file, it is refused, as is XML
    with a document type. Worksheets are measured on the way (`_FastScan`)."""
    parts_declared = zip_parts_declared(path)
    if parts_declared is not None and parts_declared > limits.MAX_PARTS:
        raise too_large(
            path, f"the workbook holds {parts_declared:,} parts, more than a return can"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.MAX_PARTS:
                raise too_large(
                    path, f"the workbook holds {len(infos):,} parts, more than a return can"
                )
            total = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if (
                total > limits.MAX_UNCOMPRESSED_BYTES
                or total / packed > limits.MAX_COMPRESSION_RATIO
            ):
                raise too_large(
                    path,
                    f"the workbook unpacks to {total / 1e6:.0f} MB, more than a return can hold",
                )
            # calamine picks its reader by the file's extension, and so does this
            layout = Layout("ods" if path.suffix.lower() == ".ods" else "xlsx")
            if layout.kind == "xlsx":
                layout.parts = workbook_parts(path, archive)
    except ReturnFileError:
        raise
    except DefusedXmlException as exc:
        raise unsafe(path) from exc
    except Exception as exc:  # zipfile and the XML parser raise many kinds for a bad archive
        raise corrupt(path) from exc
    sheet_parts = set(layout.parts.values())
    unpacked = 0
    with path.open("rb") as handle:
        for info in infos:
            if info.is_dir():
                continue
            prolog = Prolog() if is_xml_part(info.filename) else None
            screen = None
            if layout.kind == "xlsx" and (
                info.filename in sheet_parts or info.filename.startswith("xl/worksheets/")
            ):
                screen = layout.screens[info.filename] = Screen()
            for chunk in inflate(handle, info, path):
                unpacked += len(chunk)
                if (
                    unpacked > limits.MAX_UNCOMPRESSED_BYTES
                    or unpacked > limits.MAX_COMPRESSION_RATIO * size
                ):
                    raise too_large(
                        path,
                        f"the workbook unpacks to more than {unpacked / 1e6:.0f} MB from "
                        f"{size / 1e6:.1f} MB, more than a return can hold",
                    )
                if prolog is not None and not prolog.done and prolog.unsafe(chunk):
                    raise unsafe(path)
                if screen is not None:
                    screen.feed(chunk)
            if screen is not None:
                screen.close()
    if layout.kind == "ods":  # calamine lays out every table as it opens the file
        for name, extent in _ods_extents(path).items():
            check_limits(path, name, extent, known_sheets)
            layout.exact[name] = extent
    return layout


def _ods_extents(path: Path) -> dict[str, Extent]:
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            source = PartReader(
                inflate(handle, archive.getinfo("content.xml"), path), limits.MAX_UNCOMPRESSED_BYTES
            )
            return walk_ods(source)
    except ReturnFileError:
        raise
    except DefusedXmlException as exc:
        raise unsafe(path) from exc
    except Exception as exc:  # no content, or content that is not XML
        raise corrupt(path) from exc
