"""NER cache: the model's output per document, keyed so it is reused only when it
would be recomputed identically.

Key = sha256(normalized text sha256, model fingerprint, components, sentence
segmenter, spaCy version, the NER stage's own source). Editing overlays, metadata
or documentation reuses every entry; changing the model or a normalization rule
misses exactly the documents whose input changed. Entries are written to a
temporary file, flushed and renamed, so an interrupted build or two builds at once
can never leave a half-written entry; an entry that fails its checksum is ignored
and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

FORMAT = 1


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class NERCache:
    def __init__(self, folder: Path, salt: dict[str, Any]):
        self.folder = Path(folder)
        self.salt = _sha(json.dumps({"format": FORMAT, **salt}, sort_keys=True).encode())
        self.counts: Counter[str] = Counter()

    def key(self, text_sha256: str) -> str:
        return _sha(f"{self.salt}:{text_sha256}".encode())

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self.path(key).read_bytes())
            payload = entry["payload"]
            if entry["key"] != key or entry["sha256"] != _sha(json.dumps(payload, sort_keys=True).encode()):
                raise ValueError("checksum")
        except FileNotFoundError:
            self.counts["misses"] += 1
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.counts["corrupt"] += 1  # unreadable or half-written by something else: recompute
            return None
        self.counts["hits"] += 1
        return payload

    def put(self, key: str, payload: dict[str, Any]) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"key": key, "sha256": _sha(json.dumps(payload, sort_keys=True).encode()),
                           "payload": payload}, sort_keys=True).encode()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.counts["writes"] += 1


def check_cache(folder: Path) -> dict[str, int]:
    """Count valid and corrupt entries (used by the crash tests)."""
    counts = {"entries": 0, "corrupt": 0}
    for path in Path(folder).glob("*/*.json"):
        counts["entries"] += 1
        try:
            entry = json.loads(path.read_bytes())
            ok = entry["key"] == path.stem and entry["sha256"] == _sha(json.dumps(entry["payload"], sort_keys=True).encode())
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        counts["corrupt"] += not ok
    return counts
