"""The stages a document goes through, in order: ingest, normalize, dedup, ner,
overlays, splits (one module each). Every stage is iterator in, iterator out over
:class:`~corpus_builder.records.Document` and keeps a typed stats object of what it
kept, changed and dropped, and why; problems are collected, not raised, so one run
reports all of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from ..errors import Problem
from ..records import Document

S = TypeVar("S")


class Stage(Protocol[S]):
    """A step of the pipeline: documents in, documents out (a dropped document is
    counted in ``stats`` and, when it is the input's fault, reported in ``problems``).
    Stages subclass it for the default :meth:`finish`."""

    name: str
    problems: list[Problem]  # errors and warnings (``Problem.severity``), in the order found

    stats: S

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]: ...

    def finish(self) -> None:
        """Called once the stream has ended: checks that need every document."""
        return None


class StageStats(Protocol):
    def summary(self) -> dict[str, int]:
        """Non-zero counts by name (what ``build --verbose`` prints)."""
        ...


@dataclass
class Counts:
    """Stats that are plain counts (what ``build --verbose`` prints per stage)."""

    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.counts.items()) if v}
