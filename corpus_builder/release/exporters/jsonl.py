"""JSON Lines with character offsets: ``ner`` gives one line per sentence (its text,
tokens and IOB2 tags, offsets into the sentence, and where it sits in its document);
``documents`` one line per document (text, sentences, entities with provenance).
Label and tag names, never ClassLabel ids, so a line reads on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...io import jsonl_text
from . import Split, mismatch

CONFIGS = {"ner": ("ner", "documents"), "documents": ("documents",)}


def sentence_lines(split: Split) -> list[dict[str, Any]]:
    names = split.tag_names
    texts = {d["doc_id"]: d for d in split.documents}
    lines = []
    for row in split.ner:
        doc, s = texts.get(row["doc_id"]), row["start"]
        if doc is None:
            raise mismatch(row["doc_id"], f"sentence {row['id']} has no document row")
        ents = [e for e in doc["entities"] if s <= e["start"] and e["end"] <= row["end"]]
        lines.append({
            "id": row["id"], "doc_id": row["doc_id"], "sentence_index": row["sentence_index"],
            "start": s, "end": row["end"], "text": doc["text"][s:row["end"]],
            "tokens": row["tokens"],
            "token_starts": [a - s for a in row["token_starts"]],
            "token_ends": [b - s for b in row["token_ends"]],
            "tags": [names[t] for t in row["ner_tags"]],
            "entities": [{"start": e["start"] - s, "end": e["end"] - s, "label": split.labels[e["label"]],
                          "text": e["text"]} for e in ents],
        })
    return lines


def document_lines(split: Split) -> list[dict[str, Any]]:
    return [{
        "doc_id": d["doc_id"], "text": d["text"], "text_sha256": d["text_sha256"],
        "sentences": d["sentences"],
        "entities": [{"start": e["start"], "end": e["end"], "label": split.labels[e["label"]], "text": e["text"],
                      "kb_id": e["kb_id"], "source": e["source"]} for e in d["entities"]],
    } for d in split.documents]


def write(split: Split, config: str, out: Path) -> list[Path]:
    lines = sentence_lines(split) if config == "ner" else document_lines(split)
    path = out / f"{split.name}.jsonl"
    path.write_text(jsonl_text(lines), encoding="utf-8", newline="\n")
    return [path]
