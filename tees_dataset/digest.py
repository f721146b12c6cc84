"""The SHA-256 of a file, read in blocks: what manifests, caches and the appendix record.

A build asks for the same returns' digests several times (its up-to-date check, the cache keys
of earlier quarters, the manifest): each file is read once per process, and again only when its
size, modification time or identity has changed."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path


def sha256_of(path: Path) -> str:
    st = path.stat()
    return _digest(os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _digest(path: str, device: int, inode: int, size: int, modified: int) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
