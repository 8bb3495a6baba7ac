"""``import``: an annotation tool's export as overlay files.

Each returned document is matched to ours (``doc_id``, text, corpus), its offsets are
read in the unit the quotes show (:mod:`tools.offsets`), and its spans are diffed
against the layer the annotator started from (:mod:`tools.diff`): the model's entities
for an independent review (``annotations/<doc_id>.<annotator>.json``, complete), the
current layer for a revision (``annotations/revisions/<doc_id>.<annotator>.json``).
Every problem of every document is reported before anything is written; then each
changed file is written atomically. An unchanged export changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..annotation.overlay import (ANNOTATORS_FILE, INDEPENDENT, REVISE, REVISION_SCHEMA_FILE, REVISIONS, SCHEMA_FILE,
                                  load_annotators)
from ..annotation.schema import validator
from ..catalogue import error, problem
from ..config import BuildConfig, corpus_labels
from ..errors import CorpusError, Problem, rel
from ..io import write_json
from ..pipeline import PipelineResult
from ..records import Document, Entity
from ..tools import ToolDoc, tool_module
from ..tools.diff import Span, diff_ops, same_op
from ..tools.offsets import convert, detect
from .build import run
from .layers import layer_with

if TYPE_CHECKING:
    from spacy.language import Language

MODES = (INDEPENDENT, REVISE)


@dataclass
class DocImport:
    doc_id: str
    file: str
    unit: str
    changes: int  # new ops that change the layer (add, remove, relabel, resize)
    accepts: int  # new accept ops (independent reviews)
    written: bool


@dataclass
class ImportReport:
    tool: str
    mode: str
    annotator: str
    documents: list[DocImport] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ops(self) -> int:
        return sum(d.changes + d.accepts for d in self.documents)

    def lines(self) -> list[str]:
        out = [f"{d.file}: {d.changes} new ops" + (f" (+{d.accepts} accepts)" if d.accepts else "")
               + f", offsets in {d.unit}" + ("" if d.written else ", unchanged: not written")
               for d in self.documents]
        return out + [f"imported {len(self.documents)} documents from {self.tool} as {self.annotator} "
                      f"({self.mode}): {self.ops} new ops, {sum(d.written for d in self.documents)} files written"]


def import_export(config: BuildConfig, tool: str, path: Path, annotator: str, mode: str = INDEPENDENT,
                  reason: str | None = None, nlp: Language | None = None) -> ImportReport:
    """Turn the export at ``path`` into overlay files; raises with every problem, writing nothing."""
    if not path.exists():
        raise error("E480", file=rel(path))
    tool_docs, problems = tool_module(tool).read_export(path)
    result = run(config, nlp)
    if result.problems:  # the layers an import diffs against must be sound first
        raise CorpusError(result.problems, warnings=result.warnings)
    annotators, _ = load_annotators(config.annotations, config.schema_dir)
    if annotator not in annotators:
        problems.append(problem("E406", file=rel(config.annotations / ANNOTATORS_FILE), position="--annotator",
                                found=annotator, expected=" | ".join(sorted(annotators)),
                                registry=ANNOTATORS_FILE))
    labels = set(corpus_labels(config, result.model.labels))
    by_id = {d.doc_id: d for d in result.documents}
    report = ImportReport(tool, mode, annotator)
    checked: list[tuple[ToolDoc, Document, list[Span], str]] = []
    seen: dict[str, ToolDoc] = {}
    for td in tool_docs:
        if not td.annotated:
            report.warnings.append(problem("W470", file=td.file, position=td.position, found=td.doc_id))
            continue
        found, spans, unit = _check(config, td, by_id, labels, seen)
        problems += found
        if not found and td.doc_id is not None:
            checked.append((td, by_id[td.doc_id], spans, unit))
    if problems:
        raise CorpusError(problems, warnings=report.warnings)
    writes: list[tuple[Path, dict[str, Any]]] = []
    for td, doc, spans, unit in checked:
        target, obj, changes, accepts = _overlay(config, result, doc, spans, annotator, mode, reason, tool, td)
        written = obj is not None
        if written:
            writes.append((target, obj))
        report.documents.append(DocImport(doc.doc_id, rel(target), unit, changes, accepts, written))
    for target, obj in writes:  # every file checked before any is written
        target.parent.mkdir(parents=True, exist_ok=True)
        write_json(target, obj, atomic=True)
    return report


def _check(config: BuildConfig, td: ToolDoc, by_id: dict[str, Document], labels: set[str],
           seen: dict[str, ToolDoc]) -> tuple[list[Problem], list[Span], str]:
    """Everything wrong with one returned document; its spans in code points when nothing is."""
    if td.corpus is not None and td.corpus != config.dataset.name:
        return [problem("E476", file=td.file, position=td.position, found_corpus=td.corpus, corpus=config.dataset.name)], [], ""
    doc = by_id.get(td.doc_id or "")
    if doc is None:
        return [problem("E471", file=td.file, position=td.position, found=td.doc_id, expected="a doc_id of this corpus")], [], ""
    if td.doc_id in seen:
        return [problem("E482", file=td.file, position=td.position, found=td.doc_id, other=f"{seen[td.doc_id].file} at {seen[td.doc_id].position}")], [], ""
    seen[doc.doc_id] = td
    if (td.text is not None and td.text != doc.text) or (td.text_sha256 not in (None, doc.text_sha256)):
        return [problem("E472", file=td.file, position=td.position, found=f"text_sha256 {td.text_sha256 or '?'}" if td.text is None
                        else _first_difference(td.text, doc.text), expected=doc.text_sha256)], [], ""
    text = doc.text
    det = detect(text, td.spans, td.unit, td.default_unit, doc.tokens)
    if det.contradicts:
        return [problem("E477", file=td.file, position=td.position, found=f"{len(td.spans)} spans")], [], det.unit
    found: list[Problem] = []
    for s in det.unanchored:
        got = convert(text, s, det.unit)
        if got is None or not 0 <= got[0] < got[1] <= len(text):
            found.append(problem("E473", file=td.file, position=s.position, start=s.start, end=s.end, length=len(text)))
        elif s.quote is not None:
            found.append(problem("E478", file=td.file, position=s.position, found=text[got[0]:got[1]], expected=s.quote))
        else:
            found.append(problem("E479", file=td.file, position=s.position, found=text[got[0]:got[1]]))
    if found:
        return found, [], det.unit
    spans: list[Span] = []
    for s in td.spans:
        a, b = convert(text, s, det.unit) or (0, 0)
        if s.label not in labels:
            found.append(problem("E475", file=td.file, position=s.position, found=s.label,
                                 expected=" | ".join(sorted(labels))))
        spans.append((a, b, s.label, s.kb_id))
    ordered = sorted(zip(spans, td.spans), key=lambda x: x[0][:2])
    for (p, _), (q, qs) in zip(ordered, ordered[1:]):
        if q[0] < p[1]:
            found.append(problem("E474", file=td.file, position=qs.position, found=text[q[0]:q[1]],
                                 other=f"{p[2]} {text[p[0]:p[1]]!r} [{p[0]}, {p[1]})"))
    starts, ends = {s for s, _ in doc.tokens}, {e for _, e in doc.tokens}
    current = {e.span for e in doc.entities} | {e.span for e in doc.model_entities}
    for (a, b, _, _), s in zip(spans, td.spans):
        if (a, b) not in current and (a not in starts or b not in ends):
            found.append(problem("E479", file=td.file, position=s.position, found=text[a:b]))
    return found, spans, det.unit


def _first_difference(a: str, b: str) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at character {i}: {a[max(0, i - 15):i + 15]!r} (ours: {b[max(0, i - 15):i + 15]!r})"


def _overlay(config: BuildConfig, result: PipelineResult, doc: Document, spans: list[Span], annotator: str,
             mode: str, reason: str | None, tool: str, td: ToolDoc) -> tuple[Path, dict[str, Any] | None, int, int]:
    """The file this document's import writes (None: it would not change) and its new op counts."""
    if mode == REVISE:
        target = config.annotations / REVISIONS / f"{doc.doc_id}.{annotator}.json"
        base: list[Entity] = layer_with(result, doc, lambda ov: not (ov.mode == REVISE and ov.annotator == annotator))
    else:
        target = config.annotations / f"{doc.doc_id}.{annotator}.json"
        base = list(doc.model_entities)
    ops = diff_ops(doc.text, base, spans, accept=mode != REVISE)
    old = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else None
    old_ops = (old or {}).get("ops", [])
    kept_meta = [o for o in old_ops if o.get("op") == "set_metadata"]
    ids = {o["id"] for o in old_ops}
    n = 0
    changes = accepts = 0
    final = []
    for op in ops:
        match = next((o for o in old_ops if o.get("op") != "set_metadata" and same_op(o, op)), None)
        if match is not None:
            final.append(match)
            continue
        n += 1
        while f"{tool}-{n:03d}" in ids:
            n += 1
        ids.add(f"{tool}-{n:03d}")
        final.append({"id": f"{tool}-{n:03d}", **op})
        if op["op"] == "accept":
            accepts += 1
        else:
            changes += 1
    final = kept_meta + final
    if old is None and not final:
        return target, None, 0, 0
    if old is not None and old_ops == final:
        return target, None, 0, 0
    source = f"imported from {tool} ({Path(td.file).name})"
    if mode == REVISE:
        obj = {"$schema": "../../schema/revision.schema.json", "schema_version": "1.0", "doc_id": doc.doc_id,
               "annotator": annotator, "text_sha256": doc.text_sha256, "mode": REVISE,
               "reason": reason or (old or {}).get("reason") or f"corrections {source}",
               "comment": (old or {}).get("comment", source), "ops": final}
        schema = REVISION_SCHEMA_FILE
    else:
        obj = {"$schema": "../schema/overlay.schema.json", "schema_version": "1.0", "doc_id": doc.doc_id,
               "annotator": annotator, "text_sha256": doc.text_sha256,
               "scope": "complete", "comment": (old or {}).get("comment", source), "ops": final}
        schema = SCHEMA_FILE
    errors = list(validator(config.schema_dir / schema).iter_errors(obj))
    if errors:  # a bug in the diff, never the user's doing
        raise AssertionError(f"import made an invalid {schema} file: {errors[0].message}")
    return target, obj, changes, accepts
