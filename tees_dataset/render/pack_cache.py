"""Packs already rendered, in `<out>/.cache/packs/`: a pack whose content is what an earlier build
rendered is linked from there (a hard link to that build's PDF, or a copy across file systems)
instead of being rendered again.

A pack is keyed by a digest of its context (everything the template shows, but the time it was
produced: a reused PDF keeps the time it was made), of the code and templates
(`fingerprint.code_sha256`) and of the catalogue. Each entry records the checksum of its files; one whose files are
missing, changed or unreadable is removed and the pack rendered afresh, never trusted. Entries no
output links any more are removed after each build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from tees_dataset.digest import sha256_of

log = logging.getLogger("tees_dataset")


def pack_key(context: Any, *, html: bool, salt: str = "") -> str:
    """A digest of what the pack shows (not when it was produced), of the code drawing it and of
    `salt` (the catalogue's digest: a new catalogue renders every pack afresh)."""
    from tees_dataset.fingerprint import code_sha256

    digest = hashlib.sha256(f"{code_sha256()}|{salt}|html={html}|".encode())
    digest.update(_content(context))
    return digest.hexdigest()


def _content(context: Any) -> bytes:
    """The context as canonical JSON: equal contents give equal bytes however their objects
    came to be (a pickle also records which of them are one object, which a context read
    partly from the cache need not share). A pickle only for what JSON cannot hold."""
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        if hasattr(context, "produced"):  # a PackContext: its time of production is left out
            context = dataclasses.replace(context, produced="")
        try:
            text = json.dumps(dataclasses.asdict(context), sort_keys=True, default=repr)
        except (TypeError, ValueError):
            pass
        else:
            if " at 0x" not in text:  # a repr that names where an object is: not content
                return text.encode()
    return pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)


def _place(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class PackCache:
    """Rendered packs on disk: `<key>.pdf` (and `<key>.html`), with `<key>.json` their checksums."""

    def __init__(self, root: Path, salt: str = "") -> None:
        self.root = root
        self.salt = salt  # goes into every key (see pack_key)
        self.used: set[str] = set()

    def _files(self, key: str, pdf: Path, html: Path | None) -> list[tuple[Path, Path]]:
        """(cached file, output file) pairs of a pack."""
        pairs = [(self.root / f"{key}.pdf", pdf)]
        if html is not None:
            pairs.append((self.root / f"{key}.html", html))
        return pairs

    def take(self, key: str, pdf: Path, html: Path | None) -> bool:
        """Put the cached pack in place of rendering it; False when there is none to trust."""
        pairs = self._files(key, pdf, html)
        try:
            recorded = json.loads((self.root / f"{key}.json").read_text(encoding="utf-8"))
            if any(recorded[cached.name] != sha256_of(cached) for cached, _ in pairs):
                raise ValueError("a cached pack's file does not match its checksum")
            for cached, target in pairs:
                _place(cached, target)
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("a cached pack was ignored and will be rendered again (%s)", exc)
            self.discard(key)
            return False
        self.used.add(key)
        return True

    def keep(self, key: str, pdf: Path, html: Path | None) -> None:
        """Add a pack just rendered (a cache that cannot be written only costs time)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            pairs = self._files(key, pdf, html)
            for cached, rendered in pairs:
                _place(rendered, cached)
            checksums = {cached.name: sha256_of(cached) for cached, _ in pairs}
            partial = self.root / f".{key}.json.{os.getpid()}"
            partial.write_text(json.dumps(checksums), encoding="utf-8")
            partial.replace(self.root / f"{key}.json")
            self.used.add(key)
        except OSError as exc:
            log.warning("could not keep the rendered pack %s: %s", pdf.name, exc)

    def discard(self, key: str) -> None:
        for suffix in (".json", ".pdf", ".html"):
            (self.root / f"{key}{suffix}").unlink(missing_ok=True)

    def prune(self) -> None:
        """Remove the entries this build did not use that no output links any more."""
        if not self.root.is_dir():
            return
        for entry in self.root.glob("*.json"):
            key = entry.stem
            if key in self.used:
                continue
            pdf = self.root / f"{key}.pdf"
            try:
                linked = pdf.stat().st_nlink > 1
            except OSError:
                linked = False
            if not linked:
                self.discard(key)
