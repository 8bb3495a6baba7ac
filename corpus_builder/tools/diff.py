"""Returned spans against the layer the annotator started from, as overlay ops.

Same span and label: unchanged (an ``accept`` in an independent review, nothing in a
revision); same span, other label: ``relabel``; a span overlapping exactly one base
entity that overlaps nothing else returned: ``resize``; base entities left: ``remove``;
returned spans left: ``add``. Every op carries its ``quote`` and, when it acts on an
entity, ``expects`` (that entity as the annotator saw it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..records import Entity

Span = tuple[int, int, str, str | None]  # start, end, label, kb_id (code points)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _expects(text: str, e: Entity) -> dict[str, Any]:
    return {"start": e.start, "end": e.end, "quote": text[e.start:e.end], "label": e.label}


def diff_ops(text: str, base: Sequence[Entity], returned: Iterable[Span], accept: bool) -> list[dict[str, Any]]:
    """The ops (without ids) that turn ``base`` into ``returned``, in text order.
    ``accept``: also record unchanged entities (a complete, independent review)."""
    spans = sorted(set(returned))
    by_span = {e.span: e for e in base}
    ops: list[tuple[int, int, dict[str, Any]]] = []
    used_base: set[tuple[int, int]] = set()
    rest: list[Span] = []

    def op(kind: str, start: int, end: int, **extra: Any) -> None:
        body = {"op": kind, "start": start, "end": end, "quote": text[start:end], **extra}
        ops.append((start, end, {k: v for k, v in body.items() if v is not None}))

    for s in spans:
        e = by_span.get((s[0], s[1]))
        if e is None:
            rest.append(s)
            continue
        used_base.add(e.span)
        kb = s[3] if s[3] != e.kb_id else None
        if s[2] != e.label:
            op("relabel", s[0], s[1], label=s[2], expects=_expects(text, e), kb_id=s[3])
        elif kb is not None:  # same entity, a new link
            op("relabel", s[0], s[1], label=s[2], expects=_expects(text, e), kb_id=kb)
        elif accept:
            op("accept", s[0], s[1], expects=_expects(text, e), kb_id=s[3])
    left = [e for e in base if e.span not in used_base]
    adds = []
    for s in rest:
        hits = [e for e in left if _overlap(e.span, (s[0], s[1]))]
        rivals = [r for r in rest if r is not s and hits and _overlap(hits[0].span, (r[0], r[1]))]
        if len(hits) == 1 and not rivals:
            e = hits[0]
            left.remove(e)
            op("resize", s[0], s[1], label=s[2] if s[2] != e.label else None, expects=_expects(text, e), kb_id=s[3])
        else:
            adds.append(s)
    for e in left:
        op("remove", e.start, e.end, expects=_expects(text, e))
    for s in adds:
        op("add", s[0], s[1], label=s[2], kb_id=s[3])
    return [body for _, _, body in sorted(ops, key=lambda o: (o[0], o[1], o[2]["op"]))]


def same_op(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two ops say the same thing (ids and notes aside)."""
    def key(o: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in o.items() if k not in ("id", "note")}
    return key(a) == key(b)
