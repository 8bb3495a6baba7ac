"""Splits: train/validation/test by a deterministic hash of a group key.

The group key is the document's near-duplicate cluster's group when dedup merged
groups (``[dedup] near = "group"``), else its ``event`` when set, else its ``doc_id``,
so related articles never straddle splits. ``corpus.toml`` may pin groups to splits (five
seeds are too few for hashing alone to fill three splits). Any other group goes
to ``bucket = int(sha256("un-gaza-news-ner/split/" + group)[:8], 16) % 100``:
0-79 train, 80-89 validation, 90-99 test. A document's split depends only on
its own group, so it never changes when the corpus grows.
"""

from __future__ import annotations


from collections.abc import Iterable, Iterator, Mapping

from ..errors import Problem
from ..io import sha256_text
from ..records import Document
from . import Counts, Stage

SALT = "un-gaza-news-ner/split/"
BOUNDS = (("train", 80), ("validation", 90), ("test", 100))

RULE_TEXT = (
    "Each document belongs to a group: the group of its near-duplicate cluster when dedup merged groups "
    "([dedup] near = \"group\"), else its `event` when set (by an overlay), else its `doc_id`. "
    "Groups pinned in `corpus.toml` ([splits.pins]) go to their pinned split; every other group goes to "
    "bucket = int(sha256(\"" + SALT + "\" + group)[:8], 16) mod 100, with buckets 0-79 train, 80-89 validation "
    "and 90-99 test. Related articles therefore never straddle splits, and adding documents never moves "
    "an existing one."
)


def hashed_split(group: str) -> str:
    bucket = int(sha256_text(SALT + group)[:8], 16) % 100
    return next(name for name, bound in BOUNDS if bucket < bound)


def assign_split(group: str, pins: Mapping[str, str]) -> str:
    return pins.get(group) or hashed_split(group)


class Splits(Stage[Counts]):
    """Stage: set ``doc.split``; counts documents per split and how they were assigned."""

    name = "splits"

    def __init__(self, pins: Mapping[str, str]):
        self.pins = dict(pins)
        self.stats = Counts()
        self.problems: list[Problem] = []

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            doc.split = assign_split(doc.group, self.pins)
            self.stats.counts[doc.split] += 1
            self.stats.counts["pinned" if doc.group in self.pins else "hashed"] += 1
            yield doc
