"""Duplicates: the same article twice is an error; a near-duplicate is a warning.

Policy (also in the datasheet): two documents whose normalized texts are equal
stop the build (``E107``: keep one file). Two documents sharing at least
:data:`NEAR_THRESHOLD` of their word 5-gram shingles (Jaccard) are reported as
near-duplicates (``W107``), kept, and listed in ``manifest.json``; give them the
same ``event`` so they cannot straddle splits.
"""

from __future__ import annotations

import re
import zlib
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


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class Dedup:
    """Stage: drop exact duplicates (an error naming both files), flag near-duplicates."""

    name = "dedup"

    def __init__(self) -> None:
        self.by_sha: dict[str, Document] = {}
        self.ids: dict[str, str] = {}
        self.seen: list[tuple[Document, frozenset[int]]] = []
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.near: list[dict[str, object]] = []
        self.counts: Counter[str] = Counter()

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
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
                    "E107", "same article as another file", file=doc.where, found=first.where,
                    hint=f"both normalize to the same text; remove one of {first.where} and {doc.where}"))
                continue
            self.by_sha[doc.text_sha256] = doc
            sh = shingles(doc.text)
            for other, osh in self.seen:
                score = jaccard(sh, osh)
                if score >= NEAR_THRESHOLD:
                    self.counts["near_duplicate_pairs"] += 1
                    self.near.append({"doc_ids": [other.doc_id, doc.doc_id], "jaccard": round(score, 3)})
                    self.warnings.append(Problem(
                        "W107", f"near-duplicate of {other.where} ({score:.0%} shared word 5-grams)",
                        file=doc.where, severity="warning",
                        hint="kept; if it is the same story give both the same `event` (overlay set_metadata) "
                             "so they share a split, or remove one"))
            self.seen.append((doc, sh))
            self.counts["kept"] += 1
            yield doc
