"""Applying ops: deterministic and idempotent, never leaving overlapping entities."""

from __future__ import annotations

from collections.abc import Iterable

from ..catalogue import problem
from ..errors import Problem
from ..records import Document, Entity
from .overlay import SPAN_KINDS, Op, Overlay


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
            problems.append(op.problem("E420", found=str(label), expected=str(prior[0]), prior=prior[1]))
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
            problems.append(problem("E421", file=op[1].file if op else None, position=op[1].pointer if op else None,
                                    op_id=culprit.op_id, entity=culprit, other=other))
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
                problems.append(op.problem("E420:metadata", "/value", found=op.value, expected=prior.value, prior=prior))
                continue
            setters[op.field] = op
            doc.metadata[op.field] = op.value
            doc.metadata_sources[op.field] = f"manual:{op.annotator}:{op.id}"
    return problems
