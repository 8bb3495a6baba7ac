"""The one record type that flows through every stage (cf. datatrove's ``Document``)."""

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
class Entity:
    start: int
    end: int
    text: str
    label: str
    source: str = "model"  # "model" | "manual"
    annotator: str | None = None
    op_id: str | None = None

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


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
    split: str | None = None
    origin: str = ""  # the file as shown to users in messages (e.g. "seeds/x.txt")
    input_metadata: dict[str, str] = field(default_factory=dict)  # stated by a JSONL/Parquet input

    @property
    def where(self) -> str:
        return self.origin or self.source_file

    @property
    def group(self) -> str:
        """The key that keeps related articles in one split."""
        return self.metadata.get("event") or self.doc_id
