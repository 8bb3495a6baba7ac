"""Splits: train/validation/test by a deterministic hash of a group key.

The group key is the document's near-duplicate cluster's group when dedup merged
groups (``[dedup] near = "group"``), else its ``event`` when set, else its ``doc_id``,
so related articles never straddle splits. ``corpus.toml`` may pin groups to splits (five
seeds are too few for hashing alone to fill three splits). Any other group goes
to ``bucket = int(sha256(salt + group)[:8], 16) % 100`` (the salt is ``[splits].salt``
of corpus.toml, by default ``"<dataset name>/split/"``):
0-79 train, 80-89 validation, 90-99 test. A document's split depends only on
its own group, so it never changes when the corpus grows.
"""

from __future__ import annotations


from collections.abc import Iterable, Iterator, Mapping

from ..errors import Problem
from ..io import sha256_text
from ..records import Document
from . import Counts, Stage

BOUNDS = (("train", 80), ("validation", 90), ("test", 100))


def hashed_split(group: str, salt: str) -> str:
    bucket = int(sha256_text(salt + group)[:8], 16) % 100
    return next(name for name, bound in BOUNDS if bucket < bound)


def assign_split(group: str, pins: Mapping[str, str], salt: str) -> str:
    return pins.get(group) or hashed_split(group, salt)


class Splits(Stage[Counts]):
    """Stage: set ``doc.split``; counts documents per split and how they were assigned."""

    name = "splits"

    def __init__(self, pins: Mapping[str, str], salt: str):
        self.pins, self.salt = dict(pins), salt
        self.stats = Counts()
        self.problems: list[Problem] = []

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            doc.split = assign_split(doc.group, self.pins, self.salt)
            self.stats.counts[doc.split] += 1
            self.stats.counts["pinned" if doc.group in self.pins else "hashed"] += 1
            yield doc
