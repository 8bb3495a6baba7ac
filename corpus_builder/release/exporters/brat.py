"""brat standoff: brat's unit is the document, so each split is a folder of
``<doc_id>.txt`` (the release text, unchanged) and ``<doc_id>.ann`` (one T-line per
entity, offsets exactly the release's; an N-line for each Wikidata link), with an
``annotation.conf`` listing the labels beside the split folders."""

from __future__ import annotations

import re
from pathlib import Path

from . import Split

CONFIGS = {"documents": ("documents",)}


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A span as brat writes it: line breaks cut it into fragments (``a b;c d``)."""
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"[^\n]+", text[start:end])]


def ann_lines(split: Split, doc: dict) -> list[str]:
    lines, links = [], 0
    for n, e in enumerate(doc["entities"], 1):
        parts = fragments(doc["text"], e["start"], e["end"])
        where = ";".join(f"{a} {b}" for a, b in parts)
        lines.append(f"T{n}\t{split.labels[e['label']]} {where}\t{' '.join(doc['text'][a:b] for a, b in parts)}")
        if e["kb_id"] and e["kb_id"] != "NIL":
            links += 1
            lines.append(f"N{links}\tReference T{n} Wikidata:{e['kb_id']}\t{e['text']}")
    return lines


def annotation_conf(split: Split) -> str:
    return "[entities]\n" + "".join(f"{label}\n" for label in split.labels) + "\n[relations]\n\n[events]\n\n[attributes]\n"


def write(split: Split, config: str, out: Path) -> list[Path]:
    folder = out / split.name
    folder.mkdir(parents=True, exist_ok=True)
    conf = out / "annotation.conf"
    conf.write_text(annotation_conf(split), encoding="utf-8", newline="\n")
    written = [conf]
    for doc in split.documents:
        txt, ann = folder / f"{doc['doc_id']}.txt", folder / f"{doc['doc_id']}.ann"
        txt.write_text(doc["text"], encoding="utf-8", newline="")
        lines = ann_lines(split, doc)
        ann.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")
        written += [txt, ann]
    return written
