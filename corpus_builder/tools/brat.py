"""brat: a folder of ``<doc_id>.txt`` + ``<doc_id>.ann`` (T-lines, N-lines for
Wikidata links) with ``annotation.conf`` and ``corpus-builder.json`` (which corpus and
which text each file is); the same folder back after annotation. brat's server is
Python: offsets are code points (a line break splits a span into ``;`` fragments)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import json_text
from . import CODEPOINT, TaskDoc, ToolDoc, ToolSpan

MANIFEST = "corpus-builder.json"
SHAPE = "a brat folder of <doc_id>.txt and <doc_id>.ann files"
T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)$")
N_LINE = re.compile(r"^N\d+\tReference (T\d+) Wikidata:(Q[1-9]\d*)\t")


def ann_lines(doc: TaskDoc) -> list[str]:
    lines, links = [], 0
    for n, e in enumerate(doc.entities, 1):
        parts = [(e.start + m.start(), e.start + m.end()) for m in re.finditer(r"[^\n]+", e.text)]
        where = ";".join(f"{a} {b}" for a, b in parts)
        lines.append(f"T{n}\t{e.label} {where}\t{' '.join(doc.text[a:b] for a, b in parts)}")
        if e.kb_id and e.kb_id != "NIL":
            links += 1
            lines.append(f"N{links}\tReference T{n} Wikidata:{e.kb_id}\t{e.text}")
    return lines


def write_tasks(docs: Sequence[TaskDoc], labels: Sequence[str], out: Path, corpus: str, layer: str) -> list[Path]:
    written = []
    for d in docs:
        txt, ann = out / f"{d.doc_id}.txt", out / f"{d.doc_id}.ann"
        txt.write_text(d.text, encoding="utf-8", newline="")
        ann.write_text("".join(line + "\n" for line in ann_lines(d)), encoding="utf-8", newline="\n")
        written += [txt, ann]
    conf, manifest = out / "annotation.conf", out / MANIFEST
    conf.write_text("[entities]\n" + "".join(f"{label}\n" for label in labels)
                    + "\n[relations]\n\n[events]\n\n[attributes]\n", encoding="utf-8")
    manifest.write_text(json_text({"corpus": corpus, "layer": layer, "offsets": CODEPOINT,
                                   "documents": {d.doc_id: d.text_sha256 for d in docs}}), encoding="utf-8")
    return [*written, conf, manifest]


def read_export(path: Path) -> tuple[list[ToolDoc], list[Problem]]:
    folder = path if path.is_dir() else path.parent
    anns = sorted(folder.glob("*.ann")) if path.is_dir() else [path.with_suffix(".ann")]
    problems: list[Problem] = []
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        manifest = {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [], [problem("E470", file=rel(folder / MANIFEST), error=str(exc)[:80], shape=SHAPE)]
    if not anns:
        return [], [problem("E470", file=rel(path), error="no .ann file", shape=SHAPE)]
    docs = []
    for ann in anns:
        name = rel(ann)
        try:
            text = ann.with_suffix(".txt").read_text(encoding="utf-8")
            lines = ann.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(problem("E470", file=name, error=str(exc)[:80], shape=SHAPE))
            continue
        doc = ToolDoc(name, "line 1", ann.stem, text, (manifest.get("documents") or {}).get(ann.stem),
                      manifest.get("corpus"), unit=manifest.get("offsets", CODEPOINT))
        links = {m.group(1): m.group(2) for line in lines if (m := N_LINE.match(line))}
        for n, line in enumerate(lines, 1):
            if not line.startswith("T"):
                continue  # notes, links (read above), relations: not entity spans
            m = T_LINE.match(line)
            if m is None:
                problems.append(problem("E470", file=name, position=f"line {n}",
                                        error="a T-line is `T<n>\\tLABEL START END\\tTEXT`", shape=SHAPE))
                continue
            frags = [tuple(map(int, f.split())) for f in m.group(3).split(";")]
            start, end = frags[0][0], frags[-1][1]
            quote = m.group(4) if len(frags) == 1 else None
            doc.spans.append(ToolSpan(start, end, m.group(2), f"line {n} ({m.group(1)})", quote, links.get(m.group(1))))
        docs.append(doc)
    return docs, problems
