"""Assemble: documents -> rows of the two configs, with their ``datasets`` features.

``documents``: one row per document with text, metadata, normalization edits,
sentences and entities. ``ner``: one row per sentence with tokens and IOB2 tags.
Offsets everywhere are code-point offsets into the document ``text``, end exclusive.
Label order (documented in the card): entity labels sorted alphabetically;
IOB2 tags ``O`` then ``B-``/``I-`` per label in that order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..cache import Store
from ..errors import interrupts_held
from ..io import source_sha256
from ..records import Document

if TYPE_CHECKING:
    from datasets import Features


DEFAULT_CONFIG = "ner"  # what `load_dataset(path)` gives without a config name: training-ready rows


def card_features(features: Features) -> list[dict[str, Any]]:
    """The features as the card's YAML states them. A list of scalars is written as
    ``sequence:``, which every `datasets` from 2.x to 5.x reads as a sequence feature
    (``features['ner_tags'].feature.names`` works everywhere; ``list:`` gives a plain
    Python list before 4.0); a list of structs keeps ``list:``, which loads as a list of
    dicts everywhere (``sequence:`` of a struct would be a dict of lists before 4.0)."""
    out = []
    for entry in features._to_yaml_list():
        inner = entry.get("list")
        if inner is not None and not isinstance(inner, list):  # a dtype name or a class_label
            entry = {("sequence" if k == "list" else k): v for k, v in entry.items()}
        out.append(entry)
    return out


def iob_names(labels: Sequence[str]) -> list[str]:
    return ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]


def document_features(labels: Sequence[str]) -> Features:
    with interrupts_held():  # only writing and loading need `datasets` (0.6 s to import)
        from datasets import ClassLabel, Features, List, Value

    string, int32 = Value("string"), Value("int32")
    return Features({
        "doc_id": string,
        "title": string,
        "text": string,
        "published": string,
        "publisher": string,
        "license": string,
        "url": string,
        "agencies": List(string),
        "image_credits": List(string),
        "event": string,
        "group": string,
        "source_file": string,
        "raw_sha256": string,
        "text_sha256": string,
        "metadata_sources": List({"field": string, "source": string}),
        "edits": List({"raw_start": int32, "raw_end": int32, "replacement": string, "rule": string}),
        "sentences": List({"start": int32, "end": int32}),
        "entities": List({
            "start": int32, "end": int32, "text": string, "label": ClassLabel(names=list(labels)),
            "kb_id": string,
            "source": string, "model": string,
            # space-separated lists (ids hold no spaces), parallel in op_ids and overlay_sha256
            "annotators": string, "op_ids": string, "overlay_sha256": string,
        }),
    })


@dataclass(frozen=True)
class ConfigSchema:
    """What writing a config needs of its ``datasets`` features."""

    arrow: pa.Schema  # with the features in its metadata, where `load_dataset` reads them
    card: list[dict[str, Any]]  # the features as the card's YAML states them (:func:`card_features`)


def config_schemas(labels: Sequence[str], cache: Path | None = None) -> dict[str, ConfigSchema]:
    """Both configs' schemas, kept in ``<cache>/features`` (keyed by the labels, the
    version of `datasets` and this module's code): importing `datasets` took about 0.7 s
    of a 5 s rebuild after an overlay edit."""
    store = Store(cache / "features", {"datasets": version("datasets"), "rows_source": source_sha256(__file__)}) \
        if cache is not None else None
    key = store.key(*labels) if store is not None else ""
    found = store.get(key) if store is not None else None
    if found is None:
        found = {name: {"arrow": features.arrow_schema.serialize().to_pybytes(), "card": card_features(features)}
                 for name, features in (("documents", document_features(labels)), ("ner", ner_features(labels)))}
        if store is not None:
            store.put(key, found)
    return {name: ConfigSchema(pa.ipc.read_schema(pa.py_buffer(v["arrow"])), v["card"]) for name, v in found.items()}


def ner_features(labels: Sequence[str]) -> Features:
    with interrupts_held():
        from datasets import ClassLabel, Features, List, Value

    int32 = Value("int32")
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "sentence_index": int32,
        "start": int32,
        "end": int32,
        "tokens": List(Value("string")),
        "token_starts": List(int32),
        "token_ends": List(int32),
        "ner_tags": List(ClassLabel(names=iob_names(labels))),
    })


def document_row(doc: Document, labels: Sequence[str], default_license: str | None = None,
                 model: str | None = None) -> dict[str, Any]:
    """One ``documents`` row; ``model`` names the model behind entities whose source is "model"."""
    index = {label: i for i, label in enumerate(labels)}
    m = doc.metadata
    return {
        "doc_id": doc.doc_id,
        "title": m.get("title"),
        "text": doc.text,
        "published": m.get("published"),
        "publisher": m.get("publisher"),
        "license": m.get("license") or default_license,
        "url": m.get("url"),
        "agencies": list(m.get("agencies") or []),
        "image_credits": list(m.get("image_credits") or []),
        "event": m.get("event"),
        "group": doc.group,
        "source_file": doc.source_file,
        "raw_sha256": doc.raw_sha256,
        "text_sha256": doc.text_sha256,
        "metadata_sources": [{"field": k, "source": v} for k, v in sorted(
            {**({"license": "default:corpus.toml"} if not m.get("license") and default_license else {}),
             **doc.metadata_sources}.items())],
        "edits": [{"raw_start": e.raw_start, "raw_end": e.raw_end, "replacement": e.replacement, "rule": e.rule}
                  for e in doc.edits],
        "sentences": [{"start": s, "end": e} for s, e in doc.sentences],
        "entities": [{"start": e.start, "end": e.end, "text": e.text, "label": index[e.label], "kb_id": e.kb_id,
                      "source": e.source, "model": model if e.source == "model" else None, **_provenance(e.refs)}
                     for e in doc.entities],
    }


_NO_REFS = {"annotators": None, "op_ids": None, "overlay_sha256": None}


def _provenance(refs: Sequence[Any]) -> dict[str, str | None]:
    """Who made an entity what it is; most entities were never touched by an op."""
    if not refs:
        return _NO_REFS
    return {"annotators": " ".join(dict.fromkeys(r.annotator for r in refs)),
            "op_ids": " ".join(str(r) for r in refs),
            "overlay_sha256": " ".join(r.file_sha256 for r in refs)}


def iob_tags(tokens: Sequence[tuple[int, int]], doc: Document, labels: Sequence[str],
             names: dict[str, int] | None = None, entities: Sequence[Any] | None = None) -> list[int]:
    """IOB2 tag ids for one sentence's ``tokens``; its entities must cover whole tokens.
    ``names`` (tag name -> id) and ``entities`` (those that may touch the sentence) save
    recomputing them per sentence."""
    names = names or {n: i for i, n in enumerate(iob_names(labels))}
    tags = [0] * len(tokens)
    if not tokens:
        return tags
    starts = [s for s, _ in tokens]
    lo, hi = tokens[0][0], tokens[-1][1]
    for ent in doc.entities if entities is None else entities:
        if ent.end <= lo or ent.start >= hi:
            continue
        i = bisect_left(starts, ent.start)
        j = bisect_right(starts, ent.end - 1)
        # (an entity reaching outside the sentence fails these too: no token there starts or ends it)
        if i >= len(tokens) or starts[i] != ent.start or tokens[j - 1][1] != ent.end:
            raise ValueError(f"{doc.doc_id}: entity {ent} does not align with the tokens of its sentence")
        tags[i] = names[f"B-{ent.label}"]
        for k in range(i + 1, j):
            tags[k] = names[f"I-{ent.label}"]
    return tags


def ner_rows(doc: Document, labels: Sequence[str]) -> list[dict[str, Any]]:
    """One row per sentence. Tags, token texts and offsets are computed once for the
    whole document and sliced per sentence (per-sentence passes cost twice as much)."""
    tokens = doc.tokens
    starts = [s for s, _ in tokens]
    ends = [e for _, e in tokens]
    tags = iob_tags(tokens, doc, labels, {n: i for i, n in enumerate(iob_names(labels))})
    words = [doc.text[a:b] for a, b in tokens]
    bounds = [(bisect_left(starts, s), bisect_left(starts, e)) for s, e in doc.sentences]
    firsts = [a for a, _ in bounds]
    for ent in doc.entities:  # IOB rows are per sentence: an entity must not cross one
        k = bisect_right(firsts, bisect_left(starts, ent.start)) - 1
        if k < 0 or bounds[k][1] < bisect_left(starts, ent.end):
            raise ValueError(f"{doc.doc_id}: entity {ent} does not align with the tokens of its sentence")
    return [{
        "id": f"{doc.doc_id}-{n:04d}",
        "doc_id": doc.doc_id,
        "sentence_index": n,
        "start": s,
        "end": e,
        "tokens": words[a:b],
        "token_starts": starts[a:b],
        "token_ends": ends[a:b],
        "ner_tags": tags[a:b],
    } for n, ((s, e), (a, b)) in enumerate(zip(doc.sentences, bounds))]


def assemble(doc: Document, labels: Sequence[str], text_license: str | None = None,
             model: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """A document's rows in each config (``documents``, ``ner``): what a shard task
    sends back for the writer."""
    return {"documents": [document_row(doc, labels, text_license, model)], "ner": ner_rows(doc, labels)}
