"""What can be wrong with an overlay given its document and the model's entities,
and what an op means against a (possibly different) model: needed, redundant, stale."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping

from ..catalogue import problem
from ..errors import Problem
from ..records import Document, Entity
from .overlay import REVIEW_KINDS, Op, Overlay

NEEDED, REDUNDANT, STALE = "needed", "redundant", "stale"


def check_overlay(overlay: Overlay, doc: Document | None, labels: Iterable[str]) -> list[Problem]:
    """Everything that can be wrong with an overlay given its document and the model output."""
    if doc is None:
        return [problem("E410", file=overlay.file, position="/doc_id", found=overlay.doc_id)]
    if overlay.text_sha256 != doc.text_sha256:
        return [problem("E411", file=overlay.file, position="/text_sha256", found=overlay.text_sha256,
                        expected=doc.text_sha256)]
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
            problems.append(op.problem("E412", "/label", found=op.label, expected=" | ".join(sorted(labels))))
        if not 0 <= op.start < op.end <= n:
            problems.append(op.problem("E413", "/start", start=op.start, end=op.end, length=n))
            continue
        found = doc.text[op.start:op.end]
        removed = _removed_by(doc, op.quote) if found != op.quote else None
        if removed:
            problems.append(op.problem("E418", "/quote", found=found, expected=op.quote, rule=removed))
            continue
        if found != op.quote:
            problems.append(op.problem("E414", "/quote", found=found, expected=op.quote))
            continue
        if op.kind in ("add", "resize") and (op.start not in starts or op.end not in ends):
            problems.append(op.problem("E415", "/start", found=found, expected=_token_hint(doc, op.start, op.end)))
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
    return [problem("E422", file=overlay.file, position="/scope", entity=e)
            for e in doc.model_entities if e.span not in covered]


def _redundant(op: Op) -> Problem:
    return op.problem("W417")


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
        problems.append(op.problem("E416", "/expects", found=str(list(span)), expected=str([op.start, op.end]),
                                   span=list(span), kind=op.kind))
    if exp.get("label") not in labels:
        problems.append(op.problem("E412", "/expects/label", found=exp.get("label"), expected=" | ".join(sorted(labels))))
    ent = model.get(span)
    seen = f"{ent.label} {ent.text!r}" if ent else "no entity"
    want = f"{exp.get('label')} {exp.get('quote')!r}"
    if ent is not None and ent.label == exp.get("label") and ent.text == exp.get("quote"):
        return problems
    if op_status(op, model.values()) == REDUNDANT:
        return problems + [_redundant(op)]
    problems.append(op.problem("E417", "/expects", found=seen, expected=want, span=list(span)))
    return problems
