"""Overlays: stand-off manual corrections, validated and applied to the model's entities.

One JSON file per (document, annotator), named ``<doc_id>.<annotator>.json`` under
``annotations/`` and validated against ``schema/overlay.schema.json``. Each file
records the sha256 of the normalized text it was written against; each span op
repeats the exact ``quote`` at ``[start, end)``, and an op on a model entity states
what it ``expects`` the model to have predicted. The on-disk contract is in
``docs/data-format.md``.

Checking collects *every* problem; applying is deterministic and idempotent and
never leaves overlapping entities.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from .document import Document, Entity, OpRef
from .ner import merge_over_entities
from .errors import Problem, rel

SCHEMA_FILE = "overlay.schema.json"
SPAN_KINDS = ("accept", "remove", "resize", "relabel", "add")  # order in which ops apply
REVIEW_KINDS = ("accept", "remove", "relabel", "resize")  # ops that review a model entity
NEEDED, REDUNDANT, STALE = "needed", "redundant", "stale"


@dataclass(frozen=True)
class Op:
    id: str
    kind: str
    file: str
    pointer: str
    annotator: str
    start: int = 0
    end: int = 0
    quote: str = ""
    label: str | None = None
    expects: Mapping[str, Any] | None = None
    field: str | None = None
    value: str | None = None
    kb_id: str | None = None
    file_sha256: str = ""

    @property
    def ref(self) -> OpRef:
        return OpRef(self.annotator, self.id, self.file_sha256)

    @property
    def reviewed(self) -> tuple[int, int] | None:
        """The model entity span this op reviews, if it reviews one."""
        if self.kind not in REVIEW_KINDS or not self.expects:
            return None
        return (self.expects["start"], self.expects["end"])

    def problem(self, code: str, message: str, suffix: str = "", **kw: Any) -> Problem:
        return Problem(code, message, file=self.file, position=self.pointer + suffix, op_id=self.id, **kw)


@dataclass(frozen=True)
class Overlay:
    file: str
    sha256: str
    doc_id: str
    annotator: str
    text_sha256: str
    scope: str
    ops: tuple[Op, ...]


@cache
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""


MAX_BYTES = 10 * 1024 * 1024  # an overlay is hand-written; anything bigger is a mistake


def load_overlay(path: Path, schema_dir: Path, annotators: Iterable[str] | None = None) -> tuple[Overlay | None, list[Problem]]:
    """Parse and schema-check one file; returns all problems found in it."""
    name = rel(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [Problem("E405", f"overlay file too large ({size:,} bytes > {MAX_BYTES:,})", file=name,
                                  hint="split it: one file per document and annotator")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem("E405", f"cannot read overlay: {exc.strerror or exc}", file=name,
                              hint="check that it exists and is readable")]
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [Problem("E401", "overlay is not UTF-8", file=name, position=f"byte {exc.start}",
                              hint="save the file as UTF-8")]
    except json.JSONDecodeError as exc:
        return None, [Problem("E401", f"invalid JSON: {exc.msg}", file=name,
                              position=f"line {exc.lineno}, column {exc.colno}",
                              hint="fix the JSON syntax (a trailing comma or a missing quote?)")]
    except (RecursionError, ValueError) as exc:
        return None, [Problem("E401", f"invalid JSON: {str(exc)[:80] or type(exc).__name__}", file=name,
                              hint="an overlay is a flat object with a list of ops; fix the file")]
    try:
        errors = sorted(_validator(schema_dir / SCHEMA_FILE).iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        return None, [Problem("E402", "schema violation: value nested too deeply", file=name, position="/",
                              hint=f"see schema/{SCHEMA_FILE}")]
    problems = [
        Problem("E402", f"schema violation: {e.message}", file=name, position=_pointer(e.absolute_path) or "/",
                expected=_expected(e), hint=f"see schema/{SCHEMA_FILE} and docs/data-format.md")
        for e in errors
    ]
    if problems:
        return None, problems
    if annotators is not None and obj["annotator"] not in annotators:
        problems.append(Problem("E406", "unknown annotator", file=name, position="/annotator", found=obj["annotator"],
                                expected=" | ".join(sorted(annotators)) or "an id listed in annotators.json",
                                hint=f"add the annotator to {ANNOTATORS_FILE} (id, name, role) or fix the id"))
    stem = f"{obj['doc_id']}.{obj['annotator']}.json"
    if path.name != stem:
        problems.append(Problem("E403", "file name does not match its doc_id and annotator", file=name,
                                position="/doc_id", found=path.name, expected=stem, hint=f"rename it to {stem}"))
    sha = hashlib.sha256(data).hexdigest()
    ops, seen = [], Counter(op.get("id") for op in obj["ops"])
    for i, raw in enumerate(obj["ops"]):
        ptr = f"/ops/{i}"
        if seen[raw["id"]] > 1:
            problems.append(Problem("E404", "duplicate op id in file", file=name, position=ptr + "/id",
                                    op_id=raw["id"], hint="give every op of a file its own id"))
        expects = raw.get("expects")
        if expects is not None:  # JSON Schema's "integer" admits 1.0; offsets are ints from here on
            expects = {**expects, "start": int(expects["start"]), "end": int(expects["end"])}
        ops.append(Op(id=raw["id"], kind=raw["op"], file=name, pointer=ptr, annotator=obj["annotator"],
                      start=int(raw.get("start", 0)), end=int(raw.get("end", 0)), quote=raw.get("quote", ""),
                      label=raw.get("label"), expects=expects, field=raw.get("field"),
                      value=raw.get("value"), kb_id=raw.get("kb_id"), file_sha256=sha))
    overlay = Overlay(file=name, sha256=sha, doc_id=obj["doc_id"],
                      annotator=obj["annotator"], text_sha256=obj["text_sha256"],
                      scope=obj.get("scope", "partial"), ops=tuple(ops))
    return overlay, problems


def _expected(error: jsonschema.ValidationError) -> str | None:
    if error.validator in ("enum", "const", "pattern", "type", "minimum", "required"):
        return f"{error.validator}: {json.dumps(error.validator_value)}"
    return None


ANNOTATORS_FILE = "annotators.json"


def load_annotators(folder: Path, schema_dir: Path) -> tuple[set[str], list[Problem]]:
    """The annotator registry ``annotations/annotators.json`` (validated by its schema)."""
    path = folder / ANNOTATORS_FILE
    name = rel(path)
    if not path.is_file():
        return set(), [Problem("E407", "annotator registry missing", file=name,
                               hint='create it: {"annotators": [{"id": "you", "name": "...", "role": "..."}]}')]
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return set(), [Problem("E407", f"annotator registry unreadable: {str(exc)[:80]}", file=name,
                               hint="fix the JSON (see docs/data-format.md)")]
    errors = list(_validator(schema_dir / "annotators.schema.json").iter_errors(obj))
    if errors:
        return set(), [Problem("E407", f"schema violation: {e.message}", file=name, position=_pointer(e.absolute_path) or "/",
                               hint="see schema/annotators.schema.json") for e in errors]
    return {a["id"] for a in obj["annotators"]}, []


def load_overlays(folder: Path, schema_dir: Path) -> tuple[list[Overlay], list[Problem]]:
    overlays: list[Overlay] = []
    if not folder.is_dir():
        return [], []
    paths = sorted(p for p in folder.glob("*.json") if p.name != ANNOTATORS_FILE)
    annotators, problems = load_annotators(folder, schema_dir) if paths else (set(), [])
    for path in paths:
        overlay, found = load_overlay(path, schema_dir, annotators)
        problems.extend(found)
        if overlay is not None:
            overlays.append(overlay)
    return overlays, problems


# --- semantic checks ------------------------------------------------------------

def check_overlay(overlay: Overlay, doc: Document | None, labels: Iterable[str]) -> list[Problem]:
    """Everything that can be wrong with an overlay given its document and the model output."""
    if doc is None:
        return [Problem("E410", "unknown doc_id", file=overlay.file, position="/doc_id", found=overlay.doc_id,
                        hint="name a document of the seeds folder (the file name without .txt)")]
    if overlay.text_sha256 != doc.text_sha256:
        return [Problem("E411", "overlay was written against a different text", file=overlay.file,
                        position="/text_sha256", found=overlay.text_sha256, expected=doc.text_sha256,
                        hint="the normalized text changed; run `corpus-builder rebase` to map the ops onto the new "
                             "text (`--write` to save them)")]
    labels = set(labels)
    problems: list[Problem] = []
    model = {(e.start, e.end): e for e in doc.model_entities}
    starts = {s for s, _ in doc.tokens}
    ends = {e for _, e in doc.tokens}
    n = len(doc.text)
    for op in overlay.ops:
        if op.kind == "set_metadata":
            continue
        if op.label is not None and op.label not in labels:
            problems.append(op.problem("E412", "unknown label", "/label", found=op.label,
                                       expected=" | ".join(sorted(labels)), hint="use a label of the model's label set"))
        if not 0 <= op.start < op.end <= n:
            problems.append(op.problem("E413", f"span [{op.start}, {op.end}) is empty, reversed or outside the text (length {n})",
                                       "/start", hint="fix start/end"))
            continue
        found = doc.text[op.start:op.end]
        removed = _removed_by(doc, op.quote) if found != op.quote else None
        if removed:
            problems.append(op.problem("E418", f"the quote is text that normalization removed (rule {removed})",
                                       "/quote", found=found, expected=op.quote,
                                       hint="boilerplate is not part of the published text; drop this op"))
            continue
        if found != op.quote:
            problems.append(op.problem("E414", "quote does not match the text at [start, end)", "/quote",
                                       found=found, expected=op.quote,
                                       hint="fix start/end or the quote; offsets are code points into the normalized text"))
            continue
        if op.kind in ("add", "resize") and (op.start not in starts or op.end not in ends):
            problems.append(op.problem("E415", "span does not align with token boundaries", "/start",
                                       found=found, expected=_token_hint(doc, op.start, op.end),
                                       hint="extend or shrink the span to whole tokens"))
        if op.kind in REVIEW_KINDS:
            problems.extend(_check_expects(op, doc, model, labels))
        elif op_status(op, doc.model_entities) == REDUNDANT:
            problems.append(_redundant(op))
    if overlay.scope == "complete":
        problems.extend(unreviewed(overlay, doc))
    return problems


def unreviewed(overlay: Overlay, doc: Document) -> list[Problem]:
    """A complete review must say something about every model entity."""
    covered = {op.reviewed for op in overlay.ops}
    return [Problem("E422", f"model entity {e.label} {e.text!r} [{e.start}, {e.end}) has no op, but the overlay "
                            "says scope: complete", file=overlay.file, position="/scope",
                    hint="add an accept, remove, relabel or resize op for it, or set scope to partial")
            for e in doc.model_entities if e.span not in covered]


def _redundant(op: Op) -> Problem:
    return op.problem("W417", "op is now redundant: the model predicts what it makes", "", severity="warning",
                      hint="the model changed; drop the op (or keep it: it does no harm)")


def op_status(op: Op, model: Iterable[Entity]) -> str:
    """What an op means against a (possibly different) model's entities: still
    ``needed``, ``redundant`` (the model now agrees) or ``stale`` (the model now predicts
    something else there, so the op no longer says what to change)."""
    by_span = {e.span: e.label for e in model}
    spans = list(by_span)
    exp = op.expects or {}
    old, old_label = (exp.get("start"), exp.get("end")), exp.get("label")
    new, new_label = (op.start, op.end), op.label or old_label

    def overlaps(span: tuple[int, int]) -> bool:
        return any(s < span[1] and span[0] < e for s, e in spans)

    if op.kind == "accept":
        return NEEDED if by_span.get(old) == old_label else STALE
    if op.kind == "add":
        # an add states no `expects`, so it cannot go stale; a clash with a new prediction is an overlap (E421)
        return REDUNDANT if by_span.get(new) == new_label else NEEDED
    if by_span.get(old) == old_label:
        return NEEDED
    if op.kind == "remove":
        return STALE if overlaps(old) else REDUNDANT
    return REDUNDANT if by_span.get(new) == new_label else STALE


def _removed_by(doc: Document, quote: str) -> str | None:
    """The rule whose edit deleted ``quote`` from the raw text, if any."""
    for e in doc.edits:
        if quote and quote in doc.raw_text[e.raw_start:e.raw_end] and quote not in e.replacement:
            return e.rule
    return None


def _token_hint(doc: Document, start: int, end: int) -> str:
    i = max(0, bisect_left([s for s, _ in doc.tokens], start + 1) - 1)
    j = bisect_left([e for _, e in doc.tokens], end)
    s, e = doc.tokens[i][0], doc.tokens[min(j, len(doc.tokens) - 1)][1]
    return doc.text[s:e]


def _check_expects(op: Op, doc: Document, model: Mapping[tuple[int, int], Entity], labels: set[str]) -> list[Problem]:
    exp = op.expects or {}
    span = (exp.get("start", -1), exp.get("end", -1))
    problems = []
    if op.kind != "resize" and span != (op.start, op.end):
        problems.append(op.problem("E416", f"`expects` span {list(span)} differs from the op span", "/expects",
                                   found=str(list(span)), expected=str([op.start, op.end]),
                                   hint=f"a {op.kind} acts on the model entity itself; use resize to move it"))
    if exp.get("label") not in labels:
        problems.append(op.problem("E412", "unknown label", "/expects/label", found=exp.get("label"),
                                   expected=" | ".join(sorted(labels)), hint="use a label of the model's label set"))
    ent = model.get(span)
    seen = f"{ent.label} {ent.text!r}" if ent else "no entity"
    want = f"{exp.get('label')} {exp.get('quote')!r}"
    if ent is not None and ent.label == exp.get("label") and ent.text == exp.get("quote"):
        return problems
    if op_status(op, model.values()) == REDUNDANT:
        return problems + [_redundant(op)]
    problems.append(op.problem("E417", f"stale: the model does not predict what the op expects at {list(span)}",
                               "/expects", found=seen, expected=want,
                               hint="the model or the text changed; review the op and update `expects` "
                                    "(`corpus-builder report` lists every op's status)"))
    return problems


# --- applying --------------------------------------------------------------------

def ordered_ops(overlays: Iterable[Overlay]) -> list[Op]:
    """All span ops of a document's overlays in application order (kind, file, position)."""
    ops = [op for ov in sorted(overlays, key=lambda o: o.file) for op in ov.ops if op.kind in SPAN_KINDS]
    return sorted(ops, key=lambda op: SPAN_KINDS.index(op.kind))  # stable: keeps file order


def apply_ops(text: str, entities: Iterable[Entity], ops: Iterable[Op]) -> tuple[list[Entity], list[Problem]]:
    """Apply span ops to an entity layer. Deterministic and idempotent:
    ``apply_ops(apply_ops(x)) == apply_ops(x)``. Returns the layer and any conflicts."""
    layer = {e.span: e for e in entities}
    problems: list[Problem] = []
    outcome: dict[tuple[int, int], tuple[str | None, Op]] = {}

    def claim(span: tuple[int, int], label: str | None, op: Op) -> bool:
        prior = outcome.get(span)
        if prior and prior[0] != label:
            problems.append(op.problem("E420", f"contradicts op {prior[1].id!r} in {prior[1].file}",
                                       found=str(label), expected=str(prior[0]),
                                       hint="keep one of the two ops (or adjudicate them)"))
            return False
        outcome[span] = (label, op)
        return True

    for op in ops:
        span = (op.start, op.end)
        if op.kind == "remove":
            if claim(span, None, op):
                layer.pop(span, None)
            continue
        source = "manual"
        if op.kind == "resize":
            old = (op.expects["start"], op.expects["end"]) if op.expects else span
            label = op.label or (op.expects or {}).get("label")
            if old != span and not claim(old, None, op):
                continue
            layer.pop(old, None)
        elif op.kind == "accept":
            label, source = (op.expects or {}).get("label"), "model"
        else:
            label = op.label
        if claim(span, label, op):
            layer[span] = Entity(op.start, op.end, text[op.start:op.end], str(label), source, (op.ref,), op.kb_id)
    result = sorted(layer.values(), key=lambda e: (e.start, e.end))
    for a, b in zip(result, result[1:]):
        if b.start < a.end:
            culprit = next((x for x in (b, a) if x.source == "manual"), b)
            other = a if culprit is b else b
            op = next((o for o in outcome.values() if o[1].id == culprit.op_id and o[1].annotator == culprit.annotator), None)
            problems.append(Problem(
                "E421", f"entities overlap: {culprit.label} {culprit.text!r} [{culprit.start}, {culprit.end}) "
                        f"and {other.label} {other.text!r} [{other.start}, {other.end})",
                file=op[1].file if op else None, position=op[1].pointer if op else None, op_id=culprit.op_id,
                hint="remove or resize the other entity in the same overlay"))
    return result, problems


def apply_metadata(doc: Document, overlays: Iterable[Overlay]) -> list[Problem]:
    problems: list[Problem] = []
    setters: dict[str, Op] = {}
    for ov in sorted(overlays, key=lambda o: o.file):
        for op in ov.ops:
            if op.kind != "set_metadata" or op.field is None:
                continue
            prior = setters.get(op.field)
            if prior and prior.value != op.value:
                problems.append(op.problem("E420", f"contradicts op {prior.id!r} in {prior.file}", "/value",
                                           found=op.value, expected=prior.value, hint="keep one of the two values"))
                continue
            setters[op.field] = op
            doc.metadata[op.field] = op.value
            doc.metadata_sources[op.field] = f"manual:{op.annotator}:{op.id}"
    return problems


@dataclass
class Coverage:
    """How much of the corpus a human reviewed (a document is complete when a
    ``scope: complete`` overlay reviews every model entity in it)."""

    documents: int = 0
    complete: int = 0
    characters: int = 0
    characters_reviewed: int = 0
    unreviewed: int = 0  # model entities no op reviews

    def line(self) -> str:
        return (f"coverage: {self.complete}/{self.documents} documents complete "
                f"({self.characters_reviewed:,}/{self.characters:,} characters reviewed), "
                f"{self.unreviewed} unreviewed model entities")


class Overlays:
    """Stage: check and apply each document's overlays; counts ops by kind, op status
    against the model, review coverage and entity links.

    Problems are collected, not raised, so one run reports all of them."""

    name = "overlays"

    def __init__(self, overlays: Iterable[Overlay], labels: Iterable[str], adjudications: Iterable[Any] = ()):
        self.by_doc: dict[str, list[Overlay]] = {}
        for ov in overlays:
            self.by_doc.setdefault(ov.doc_id, []).append(ov)
        self.adjudications = {a.doc_id: a for a in adjudications}
        self.labels = tuple(labels)
        self.problems: list[Problem] = []
        self.counts: Counter[str] = Counter()
        # (overlay file, op id, op kind, needed | redundant | stale) for every entity op
        self.statuses: list[tuple[str, str, str, str]] = []
        self.coverage = Coverage()
        self.links: dict[tuple[str, str], Counter[str | None]] = {}
        self.seen: set[str] = set()

    @property
    def status(self) -> Counter[str]:
        return Counter(s for *_, s in self.statuses)

    def apply(self, doc: Document) -> Document:
        """Check every op, then apply the sound ones so conflicts among them are found too."""
        from .adjudication import adjudicate  # here: adjudication builds on this module

        overlays = self.by_doc.get(doc.doc_id, [])
        if overlays or doc.doc_id in self.adjudications:  # remembered to report files naming unknown documents
            self.seen.add(doc.doc_id)
        found: list[Problem] = []
        usable: list[Overlay] = []
        for ov in overlays:
            problems = check_overlay(ov, doc, self.labels)
            found.extend(problems)
            if any(p.code in ("E410", "E411") for p in problems):
                continue  # the whole file is unusable (written against another text)
            bad = {p.op_id for p in problems if p.severity == "error"}
            usable.append(replace(ov, ops=tuple(op for op in ov.ops if op.id not in bad)))
            self.statuses += [(ov.file, op.id, op.kind, op_status(op, doc.model_entities))
                              for op in ov.ops if op.kind in SPAN_KINDS]
        found.extend(apply_metadata(doc, usable))
        by_annotator: dict[str, list[Overlay]] = {}
        for ov in usable:
            by_annotator.setdefault(ov.annotator, []).append(ov)
        if not usable:  # no overlay: the model's layer as it is
            doc.entities = list(doc.model_entities)
        elif len(by_annotator) == 1:
            doc.entities, conflicts = apply_ops(doc.text, doc.model_entities, ordered_ops(usable))
            found.extend(conflicts)
        else:
            ops = {a: ordered_ops(ovs) for a, ovs in sorted(by_annotator.items())}
            for a, annotator_ops in ops.items():
                doc.layers[a], conflicts = apply_ops(doc.text, doc.model_entities, annotator_ops)
                found.extend(conflicts)
            doc.entities, disputes = adjudicate(doc, doc.layers, ops, self.adjudications.get(doc.doc_id), self.labels)
            found.extend(disputes)
        doc.sentences = merge_over_entities(doc.sentences, [e.span for e in doc.entities])
        for ov in usable:
            self.counts.update(op.kind for op in ov.ops)
        self._cover(doc, overlays)
        if overlays:  # links are checked where annotators worked; unreviewed documents have none
            for e in doc.entities:
                self.links.setdefault((e.text, e.label), Counter())[e.kb_id] += 1
        self.problems.extend(found)
        return doc

    def _cover(self, doc: Document, overlays: list[Overlay]) -> None:
        complete = [ov for ov in overlays if ov.scope == "complete" and ov.text_sha256 == doc.text_sha256]
        if complete:
            covered = [{op.reviewed for op in ov.ops} for ov in complete]
            missing = {e.span for e in doc.model_entities if any(e.span not in c for c in covered)}
        else:
            reviewed = {op.reviewed for ov in overlays for op in ov.ops}
            missing = {e.span for e in doc.model_entities if e.span not in reviewed}
        c = self.coverage
        c.documents += 1
        c.characters += len(doc.text)
        c.unreviewed += len(missing)
        if complete and not missing:
            doc.reviewed = True
            c.complete += 1
            c.characters_reviewed += len(doc.text)

    def __call__(self, docs: Iterable[Document]):
        for doc in docs:
            yield self.apply(doc)

    def unknown_documents(self) -> list[Problem]:
        """Overlays and adjudications whose document never came through, and links
        that disagree across the corpus (call after the stream ends)."""
        problems = [p for doc_id, ovs in sorted(self.by_doc.items()) if doc_id not in self.seen
                    for ov in ovs for p in check_overlay(ov, None, self.labels)]
        problems += [Problem("E410", "unknown doc_id", file=adj.file, position="/doc_id", found=doc_id,
                             hint="name a document of the seeds folder") for doc_id, adj in sorted(self.adjudications.items())
                     if doc_id not in self.seen]
        return problems + self.link_problems()

    def link_problems(self) -> list[Problem]:
        """One referent, one id: a mention text and label linked to two ids, or linked in
        one place and not in another, is reported (a name can have two referents, so
        these are warnings for a person to check)."""
        problems = []
        for (text, label), ids in sorted(self.links.items()):
            linked = sorted(i for i in ids if i is not None)
            if len(linked) > 1:
                problems.append(Problem("W445", f"{label} {text!r} is linked to different ids", found=", ".join(linked),
                                        severity="warning",
                                        hint="fine if the mentions name different referents (Gaza the Strip, Gaza "
                                             "the city); otherwise give every mention of one referent one kb_id"))
            elif linked and ids[None]:
                problems.append(Problem("W446", f"{label} {text!r} is linked ({linked[0]}) in {ids[linked[0]]} places "
                                                f"but not in {ids[None]}", severity="warning",
                                        hint="add the kb_id to the ops of the other mentions"))
        return problems
