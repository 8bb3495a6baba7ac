"""One module per export format; each says which configs it exports and writes one split.

A format module has ``CONFIGS`` (export config -> the release configs it reads; the
first key is the format's default) and ``write(split, config, out) -> list[Path]``.
``release/export.py`` reads and checks the release, then hands each split over as a
:class:`Split`: plain rows, exactly as the Parquet files hold them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...catalogue import error
from ..rows import iob_names


@dataclass(frozen=True)
class Split:
    """One split of one release, as the exporters see it."""

    release: str  # the release's name (manifest "name")
    version: str
    name: str  # train, validation or test
    labels: Sequence[str]  # entity labels in ClassLabel order (manifest model.labels)
    documents: list[dict[str, Any]] = field(default_factory=list)  # `documents` rows, release order
    ner: list[dict[str, Any]] = field(default_factory=list)  # `ner` rows, release order

    @property
    def tag_names(self) -> list[str]:
        """IOB2 tag names in ClassLabel order: ``O``, then ``B-X``, ``I-X`` per label."""
        return iob_names(self.labels)

    def sentences_by_doc(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.ner:
            out.setdefault(row["doc_id"], []).append(row)
        return out

    def with_tokens(self) -> Iterator[tuple[dict[str, Any], list[tuple[int, int]]]]:
        """Each document with its tokens (document offsets, whitespace left out) from
        the ``ner`` rows; a token that is not its text's slice means a damaged release."""
        rows = self.sentences_by_doc()
        for doc in self.documents:
            tokens = []
            for row in rows.get(doc["doc_id"], []):
                for word, a, b in zip(row["tokens"], row["token_starts"], row["token_ends"]):
                    if doc["text"][a:b] != word:
                        raise mismatch(doc["doc_id"], f"token {word!r} is not text[{a}:{b}]")
                    tokens.append((a, b))
            yield doc, tokens


def mismatch(doc_id: str, detail: str) -> Exception:
    return error("E722", position=f"doc {doc_id}", detail=detail)
