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
from collections import Counter
from collections.abc import Iterable, Iterator

from .document import Document
from .errors import Problem

NEAR_THRESHOLD = 0.8
SHINGLE = 5


def shingles(text: str) -> frozenset[int]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < SHINGLE:
        return frozenset({zlib.crc32(" ".join(words).encode())})
    return frozenset(zlib.crc32(" ".join(words[i:i + SHINGLE]).encode()) for i in range(len(words) - SHINGLE + 1))


PERMUTATIONS, BANDS = 64, 16
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20121120)  # fixed: signatures are part of what a build reports
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)


def signature(sh: frozenset[int]) -> np.ndarray:
    """MinHash signature: per permutation, the least hash of the document's shingles."""
    x = np.fromiter(sh, dtype=np.uint64, count=len(sh))
    # (a*x + b) mod p with 32-bit x and 61-bit a: wraps in uint64, which is still a fine hash family
    hashed = (np.outer(_A, x) + _B[:, None]) % np.uint64(_PRIME)
    return hashed.min(axis=1)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


class Dedup:
    """Stage: drop exact duplicates (an error naming both files), flag near-duplicates."""

    name = "dedup"

    def __init__(self) -> None:
        self.by_sha: dict[str, str] = {}  # text sha256 -> where
        self.ids: dict[str, str] = {}
        self.signatures: list[np.ndarray] = []
        self.names: list[tuple[str, str]] = []  # (doc_id, where) per signature
        self.buckets: dict[int, list[int]] = {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.near: list[dict[str, object]] = []
        self.counts: Counter[str] = Counter()

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        rows = PERMUTATIONS // BANDS
        for doc in docs:
            if doc.doc_id in self.ids:
                self.counts["dropped_duplicate_id"] += 1
                self.problems.append(Problem(
                    "E112", f"document id already used by {self.ids[doc.doc_id]}", file=doc.where, found=doc.doc_id,
                    hint="ids must be unique across all inputs: rename the file or change the record's `id`"))
                continue
            self.ids[doc.doc_id] = doc.where
            first = self.by_sha.get(doc.text_sha256)
            if first is not None:
                self.counts["dropped_exact_duplicate"] += 1
                self.problems.append(Problem(
                    "E107", "same article as another file", file=doc.where, found=first,
                    hint=f"both normalize to the same text; remove one of {first} and {doc.where}"))
                continue
            self.by_sha[doc.text_sha256] = doc.where
            sig = (np.frombuffer(doc.signature, dtype=np.uint64) if doc.signature is not None
                   else signature(shingles(doc.text)))
            candidates: set[int] = set()
            keys = [hash((band, sig[band * rows:(band + 1) * rows].tobytes())) for band in range(BANDS)]
            for key in keys:
                candidates.update(self.buckets.get(key, ()))
            for other in sorted(candidates):
                score = estimate(sig, self.signatures[other])
                if score >= NEAR_THRESHOLD:
                    other_id, other_where = self.names[other]
                    self.counts["near_duplicate_pairs"] += 1
                    self.near.append({"doc_ids": [other_id, doc.doc_id], "jaccard": round(score, 3)})
                    self.warnings.append(Problem(
                        "W107", f"near-duplicate of {other_where} (about {score:.0%} shared word 5-grams)",
                        file=doc.where, severity="warning",
                        hint="kept; if it is the same story give both the same `event` (overlay set_metadata) "
                             "so they share a split, or remove one"))
            index = len(self.signatures)
            self.signatures.append(sig)
            self.names.append((doc.doc_id, doc.where))
            for key in keys:
                self.buckets.setdefault(key, []).append(index)
            self.counts["kept"] += 1
            yield doc
