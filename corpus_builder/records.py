"""The one record type that flows through every stage (cf. datatrove's ``Document``),
and the values it holds. Stages keep their own working state; a record carries only
what a later stage or the release reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

@dataclass(frozen=True)
class Edit:
    """Replace ``raw[raw_start:raw_end]`` with ``replacement``; ``rule`` says why."""

    raw_start: int
    raw_end: int
    replacement: str
    rule: str


@dataclass(frozen=True)
class OpRef:
    """Where a manual decision is written: annotator, op id and the sha256 of its file."""

    annotator: str
    op_id: str
    file_sha256: str = ""

    def __str__(self) -> str:
        return f"{self.annotator}/{self.op_id}"


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    text: str
    label: str
    # "model": span and label as the model predicted them (reviewed if ``refs``);
    # "manual": an annotator's op made or changed it; "adjudication": an adjudicator decided it
    source: str = "model"
    refs: tuple[OpRef, ...] = ()
    kb_id: str | None = None  # Wikidata QID or "NIL"; None = not linked

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def annotator(self) -> str | None:
        return self.refs[0].annotator if self.refs else None

    @property
    def op_id(self) -> str | None:
        return self.refs[0].op_id if self.refs else None

    @property
    def key(self) -> tuple[int, int, str, str | None]:
        """What two annotators must agree on."""
        return (self.start, self.end, self.label, self.kb_id)


@dataclass
class Document:
    doc_id: str
    source_file: str
    raw_sha256: str
    raw_text: str
    text: str = ""
    text_sha256: str = ""
    edits: list[Edit] = field(default_factory=list)
    # title/published/publisher/event plus the credit lists; None = the text does not say.
    metadata: dict[str, Any] = field(default_factory=dict)
    # field -> where its value came from ("text:<rule>" or "manual:<annotator>:<op id>")
    metadata_sources: dict[str, str] = field(default_factory=dict)
    tokens: list[tuple[int, int]] = field(default_factory=list)  # non-space tokens
    sentences: list[tuple[int, int]] = field(default_factory=list)
    model_entities: list[Entity] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    # annotator -> that annotator's own entity layer, kept when several annotators
    # reviewed the document (for agreement; the release uses the adjudicated ``entities``)
    layers: dict[str, list[Entity]] = field(default_factory=dict)
    reviewed: bool = False  # a complete review covers every model entity: ``entities`` is gold
    split: str | None = None
    origin: str = ""  # the file as shown to users in messages (e.g. "seeds/x.txt")
    input_metadata: dict[str, str] = field(default_factory=dict)  # stated by a JSONL/Parquet input
    cluster_group: str | None = None  # set by dedup (near = "group"): the group of its near-duplicate cluster

    @property
    def where(self) -> str:
        return self.origin or self.source_file

    @property
    def group(self) -> str:
        """The key that keeps related articles in one split: a near-duplicate cluster's
        group, else the event, else the doc id."""
        return self.cluster_group or self.metadata.get("event") or self.doc_id
