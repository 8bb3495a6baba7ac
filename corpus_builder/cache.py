"""Caches of per-document work, keyed so an entry is reused only when it would be
recomputed identically.

NER cache key = sha256(normalized text sha256, model fingerprint, components,
sentence segmenter, spaCy version, the NER stage's own source). Editing overlays,
metadata or documentation reuses every entry; changing the model or a
normalization rule misses exactly the documents whose input changed.

Normalization cache key = sha256(raw text sha256, the record's input metadata,
the normalization code and ftfy's version): a rebuild after an overlay edit does
not normalize again.

Model identity key = sha256(model name, sha256 of its files, spaCy version, the
NER stage's source): the identity a load gave, so a fully cached rebuild needs
neither spaCy nor the model (``ner.model_identity``).

Entries are msgpack (fast to decode: a rebuild reads one per document) behind a
header holding the key and the sha256 of the body. They are written to a
temporary file and renamed, so an interrupted build or two builds at once can
never leave a half-written entry. They are not flushed to disk one by one (an
fsync per entry made a cold build with a cache 20% slower than one without): a
killed process cannot tear an entry, and what power loss tears fails its checksum,
is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from srsly.msgpack import _Packer, _unpackb  # the plain codec: srsly's wrappers look up plugin hooks per call

from .io import atomic_write, sha256_bytes

FORMAT = 2
MAGIC = b"CBC2"
SUFFIX = ".bin"


class Store:
    """Content-addressed, checksummed, atomically written entries in ``folder``."""

    def __init__(self, folder: Path, salt: dict[str, Any]):
        self.folder = Path(folder)
        self.salt = sha256_bytes(json.dumps({"format": FORMAT, **salt}, sort_keys=True).encode())
        self.counts: Counter[str] = Counter()

    def key(self, *parts: str) -> str:
        return sha256_bytes(":".join((self.salt, *parts)).encode())

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> Any | None:
        try:
            data = self.path(key).read_bytes()
            body = _check(data, key)
            payload = _unpackb(body, raw=False, use_list=True)
        except FileNotFoundError:
            self.counts["misses"] += 1
            return None
        except Exception:  # unreadable, half-written or undecodable (msgpack raises several types): recompute
            self.counts["corrupt"] += 1
            return None
        self.counts["hits"] += 1
        return payload

    def put(self, key: str, payload: Any) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_entry(path, key, payload)
        self.counts["writes"] += 1

    def flush(self) -> None:
        """Entries are written as they are put."""


class ShardScratch(Store):
    """One shard's entries in one file of a build's scratch folder: a build without a
    cache keeps each shard's normalized documents there between its two tasks (a file
    per document costs about as much as normalizing again). Entries are held until
    :meth:`flush`, which writes only while the folder exists (a task that outlives
    its build writes nothing)."""

    def __init__(self, folder: Path, shard: object, salt: dict[str, Any]):
        super().__init__(folder, salt)
        self.file_key = super().key(repr(shard))
        self.entries: dict[str, Any] | None = None

    def get(self, key: str) -> Any | None:
        if self.entries is None:
            self.entries = {}
            try:
                data = self.path(self.file_key).read_bytes()
                self.entries = _unpackb(_check(data, self.file_key), raw=False, use_list=True)
            except FileNotFoundError:
                pass
            except Exception:  # see Store.get
                self.counts["corrupt"] += 1
        found = self.entries.get(key)
        self.counts["misses" if found is None else "hits"] += 1
        return found

    def put(self, key: str, payload: Any) -> None:
        if self.entries is None:
            self.entries = {}
        self.entries[key] = payload

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def flush(self) -> None:
        if not self.entries:
            return
        try:
            _write_entry(self.path(self.file_key), self.file_key, self.entries)
        except FileNotFoundError:  # the build ended and removed its scratch folder
            return
        self.counts["writes"] += 1


def _write_entry(path: Path, key: str, payload: Any) -> None:
    body = _Packer(use_bin_type=True).pack(payload)
    atomic_write(path, MAGIC + bytes.fromhex(key) + hashlib.sha256(body).digest() + body, durable=False)


def _check(data: bytes, key: str) -> bytes:
    """The body of an entry, if its header names ``key`` and its checksum holds."""
    head = len(MAGIC)
    if data[:head] != MAGIC or data[head:head + 32].hex() != key:
        raise ValueError("not this entry")
    body = data[head + 64:]
    if hashlib.sha256(body).digest() != data[head + 32:head + 64]:
        raise ValueError("checksum")
    return body


class NERCache(Store):
    """The model's output per normalized text."""

    def key(self, text_sha256: str) -> str:  # type: ignore[override]
        return super().key(text_sha256)


def check_cache(folder: Path) -> dict[str, int]:
    """Count valid and corrupt entries (used by the crash tests)."""
    counts = {"entries": 0, "corrupt": 0}
    for path in Path(folder).glob(f"*/*{SUFFIX}"):
        counts["entries"] += 1
        try:
            _unpackb(_check(path.read_bytes(), path.stem), raw=False)
            ok = True
        except Exception:  # any failure to read or decode is a corrupt entry
            ok = False
        counts["corrupt"] += not ok
    return counts
