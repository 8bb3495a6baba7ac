"""Duplicates: the same article twice is an error; a near-duplicate is a warning.

Policy (also in the datasheet): two documents whose normalized texts are equal
stop the build (``E107``: keep one file). Two documents sharing at least
:data:`NEAR_THRESHOLD` of their word 5-gram shingles (Jaccard) are reported as
near-duplicates (``W107``), kept, and listed in ``manifest.json``; give them the
same ``event`` so they cannot straddle splits.

Near-duplicates are found with MinHash (64 permutations) and locality-sensitive
hashing (16 bands of 4), so memory per document is a few hundred bytes and the
work per document does not grow with the corpus; the Jaccard figure reported is
the MinHash estimate.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..cache import Store
from ..catalogue import problem
from ..errors import Problem
from ..io import source_sha256
from ..records import Document
from . import Counts, Stage

NEAR_THRESHOLD = 0.8
SHINGLE = 5


_WORD_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial over word hashes


def shingles(text: str) -> np.ndarray:
    """Distinct 32-bit hashes of the word 5-grams. Each word is hashed once and every
    window of five is combined as a polynomial (uint64, wrapping): a third of the cost
    of hashing each 5-gram's joined text."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < SHINGLE:
        return np.array([zlib.crc32(" ".join(words).encode())], dtype=np.uint64)
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    n = len(words) - SHINGLE + 1
    x = h[:n].copy()
    for j in range(1, SHINGLE):
        x = x * _WORD_MIX + h[j:j + n]
    return np.unique(x >> np.uint64(32))


PERMUTATIONS, BANDS = 64, 16
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20121120)  # fixed: signatures are part of what a build reports
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)


def signature(sh: np.ndarray) -> np.ndarray:
    """MinHash signature: per permutation, the least hash of the document's shingles."""
    x = np.asarray(sh, dtype=np.uint64)
    # (a*x + b) mod p with 32-bit x and 61-bit a: wraps in uint64, which is still a fine hash family
    hashed = (np.outer(_A, x) + _B[:, None]) % np.uint64(_PRIME)
    return hashed.min(axis=1)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


_BAND_MIX = _rng.integers(1, 1 << 63, PERMUTATIONS // BANDS, dtype=np.uint64) | np.uint64(1)  # odd multipliers


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key per LSH band (equal bands give equal keys; a rare collision of
    unequal bands only adds a candidate, which the Jaccard estimate then rejects)."""
    bands = sig.reshape(BANDS, PERMUTATIONS // BANDS)
    return (bands * _BAND_MIX).sum(axis=1) ^ np.arange(BANDS, dtype=np.uint64)


class _Buckets:
    """LSH buckets in 12 bytes per (band key, document): sorted runs of numpy arrays
    merged like a log-structured tree (a run merges into the one before it once that
    one is no bigger), so lookups search a few runs and inserting stays O(n log n);
    a dict entry per key would cost over 100 bytes, 16 keys per document."""

    RUN = 1 << 12  # entries gathered before they become a sorted run

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (keys, document indices), keys sorted
        self.recent: dict[int, list[int]] = {}
        self.pending = 0

    @property
    def keys(self) -> np.ndarray:
        return np.concatenate([k for k, _ in self.runs]) if self.runs else np.empty(0, dtype=np.uint64)

    def candidates(self, keys: np.ndarray) -> set[int]:
        found: set[int] = set()
        for run_keys, run_vals in self.runs:
            lo, hi = np.searchsorted(run_keys, keys, "left"), np.searchsorted(run_keys, keys, "right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                if b > a:
                    found.update(run_vals[a:b].tolist())
        for key in keys.tolist():
            found.update(self.recent.get(key, ()))
        return found

    def add(self, keys: np.ndarray, index: int) -> None:
        for key in keys.tolist():
            self.recent.setdefault(key, []).append(index)
        self.pending += len(keys)
        if self.pending < self.RUN:
            return
        run_keys = np.fromiter((k for k, v in self.recent.items() for _ in v), dtype=np.uint64, count=self.pending)
        run_vals = np.fromiter((i for v in self.recent.values() for i in v), dtype=np.int32, count=self.pending)
        self.recent, self.pending = {}, 0
        while self.runs and len(self.runs[-1][0]) <= len(run_keys):
            old_keys, old_vals = self.runs.pop()
            run_keys, run_vals = np.concatenate([old_keys, run_keys]), np.concatenate([old_vals, run_vals])
        order = np.argsort(run_keys, kind="stable")
        self.runs.append((run_keys[order], run_vals[order]))


class _Signatures:
    """Signatures in blocks of one 2-D array (no per-document array object)."""

    BLOCK = 4096

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.n = 0

    def append(self, sig: np.ndarray) -> int:
        if self.n % self.BLOCK == 0:
            self.blocks.append(np.empty((self.BLOCK, PERMUTATIONS), dtype=np.uint64))
        self.blocks[-1][self.n % self.BLOCK] = sig
        self.n += 1
        return self.n - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.blocks[i // self.BLOCK][i % self.BLOCK]


def fingerprint() -> dict[str, str]:
    """What a cached signature depends on: this module's code."""
    return {"dedup": source_sha256(__file__)}


@dataclass
class DedupStats(Counts):
    near: list[dict[str, object]] = field(default_factory=list)  # {"doc_ids": [a, b], "jaccard": x}


class Dedup(Stage[DedupStats]):
    """Stage: drop exact duplicates (an error naming both files), flag near-duplicates.

    Memory per document: its id and file name, the digest of its text, a 512-byte
    signature and 16 bucket entries (about 1 KB). With a ``cache`` (keyed by the text's
    sha256 and this module's code) a rebuild reads signatures instead of computing
    them (0.4 ms per document)."""

    name = "dedup"

    def __init__(self, cache: Store | None = None) -> None:
        self.cache = cache
        self.ids: dict[str, str] = {}  # doc_id -> where
        self.by_sha: dict[bytes, str] = {}  # text sha256 digest -> doc_id
        self.signatures = _Signatures()
        self.doc_ids: list[str] = []  # per signature
        self.buckets = _Buckets()
        self.problems: list[Problem] = []
        self.stats = DedupStats()

    def signature(self, doc: Document) -> np.ndarray:
        key = self.cache.key(doc.text_sha256) if self.cache is not None else None
        cached = self.cache.get(key) if key is not None else None
        if cached is not None:
            return np.frombuffer(cached, dtype=np.uint64)
        sig = signature(shingles(doc.text))
        if key is not None:
            self.cache.put(key, sig.tobytes())
        return sig

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            if doc.doc_id in self.ids:
                self.stats.counts["dropped_duplicate_id"] += 1
                self.problems.append(problem("E112", file=doc.where, found=doc.doc_id, first=self.ids[doc.doc_id]))
                continue
            self.ids[doc.doc_id] = doc.where
            digest = bytes.fromhex(doc.text_sha256)
            first = self.by_sha.get(digest)
            if first is not None:
                first = self.ids[first]
                self.stats.counts["dropped_exact_duplicate"] += 1
                self.problems.append(problem("E107", file=doc.where, found=first, first=first, duplicate=doc.where))
                continue
            self.by_sha[digest] = doc.doc_id
            sig = self.signature(doc)
            keys = band_keys(sig)
            for other in sorted(self.buckets.candidates(keys)):
                score = estimate(sig, self.signatures[other])
                if score >= NEAR_THRESHOLD:
                    other_id = self.doc_ids[other]
                    self.stats.counts["near_duplicate_pairs"] += 1
                    self.stats.near.append({"doc_ids": [other_id, doc.doc_id], "jaccard": round(score, 3)})
                    self.problems.append(problem("W107", file=doc.where, other=self.ids[other_id], score=score))
            index = self.signatures.append(sig)
            self.doc_ids.append(doc.doc_id)
            self.buckets.add(keys, index)
            self.stats.counts["kept"] += 1
            yield doc
