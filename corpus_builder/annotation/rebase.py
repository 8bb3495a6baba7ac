"""Rebase overlays onto a changed normalized text (``corpus-builder rebase``).

Improving a normalization rule changes the published text, so every overlay
written against the old text stops matching (``E411``) although most of its ops
still point at the same words. Rebasing maps each op's span (and its ``expects``
span) from the old text to the new one, in this order: offsets unchanged (the
quote is still there), a character diff of old -> new, then a search for the
quote scored by how much of its old context surrounds each occurrence. It never
guesses: a quote found several times with equally good context is *ambiguous*,
a quote that is gone is *orphaned*, and a file holding either is not rewritten.

The old text comes from :mod:`corpus_builder.annotation.snapshots`; the command
that rebases a project's overlay files is :mod:`corpus_builder.actions.rebase`.
"""

from __future__ import annotations

import copy
import difflib
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..io import sha256_text

CONTEXT = 40  # characters of old context compared on each side of a searched quote
OUTCOMES = ("kept", "mapped", "ambiguous", "orphaned")  # best to worst
RESOLVED = ("kept", "mapped")


@dataclass(frozen=True)
class SpanResult:
    """Where one span of the old text lands in the new one, and how that was decided."""

    start: int
    end: int
    quote: str
    outcome: str  # kept | mapped | ambiguous | orphaned
    method: str | None = None  # offsets | diff | search; None when not resolved
    new_start: int | None = None
    new_end: int | None = None
    candidates: tuple[int, ...] = ()  # starts of the equally good occurrences (ambiguous)

    @property
    def resolved(self) -> bool:
        return self.outcome in RESOLVED


class _Mapper:
    """Old -> new positions through the equal blocks of a character diff (computed
    once, and only if some span is not found at its old offsets)."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self._blocks: list[tuple[int, int, int]] | None = None  # (old_start, old_end, new_start)

    @property
    def blocks(self) -> list[tuple[int, int, int]]:
        if self._blocks is None:
            matcher = difflib.SequenceMatcher(None, self.old, self.new, autojunk=False)
            self._blocks = [(i1, i2, j1) for tag, i1, i2, j1, _ in matcher.get_opcodes() if tag == "equal"]
            self._starts = [b[0] for b in self._blocks]
        return self._blocks

    def point(self, x: int, is_end: bool) -> int | None:
        """A start must sit on a character of an equal block; an end may sit at its end."""
        blocks = self.blocks
        i = bisect_right(self._starts, x - 1 if is_end else x) - 1
        if i < 0:
            return None
        lo, hi, j = blocks[i]
        inside = lo < x <= hi if is_end else lo <= x < hi
        return j + (x - lo) if inside else None


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _map_span(start: int, end: int, quote: str, old: str, new: str, mapper: _Mapper) -> SpanResult:
    if 0 <= start < end and new[start:end] == quote:
        return SpanResult(start, end, quote, "kept", "offsets", start, end)
    if 0 <= start < end <= len(old):
        ns, ne = mapper.point(start, is_end=False), mapper.point(end, is_end=True)
        if ns is not None and ne is not None and new[ns:ne] == quote:
            return SpanResult(start, end, quote, "mapped", "diff", ns, ne)
    if not quote:
        return SpanResult(start, end, quote, "orphaned")
    found, pos = [], new.find(quote)
    while pos != -1:
        found.append(pos)
        pos = new.find(quote, pos + 1)
    if not found:
        return SpanResult(start, end, quote, "orphaned")
    before, after = old[max(0, start - CONTEXT):max(0, start)], old[end:end + CONTEXT]
    scores = {p: _common_suffix(before, new[max(0, p - CONTEXT):p])
              + _common_prefix(after, new[p + len(quote):p + len(quote) + CONTEXT]) for p in found}
    best = max(scores.values())
    top = tuple(p for p in found if scores[p] == best)
    if len(top) == 1 and (best > 0 or len(found) == 1):
        return SpanResult(start, end, quote, "mapped", "search", top[0], top[0] + len(quote))
    return SpanResult(start, end, quote, "ambiguous", candidates=top)


def rebase_spans(old: str, new: str, spans: Iterable[tuple[int, int, str]]) -> list[SpanResult]:
    """Map ``(start, end, quote)`` spans of ``old`` onto ``new`` (see the module docstring)."""
    mapper = _Mapper(old, new)
    return [_map_span(s, e, q, old, new, mapper) for s, e, q in spans]


# --- overlays ----------------------------------------------------------------------

def _worse(a: str, b: str) -> str:
    return max(a, b, key=OUTCOMES.index)


@dataclass(frozen=True)
class OpResult:
    """The fate of one op: its own span and, separately, its ``expects`` span."""

    index: int
    op_id: str
    kind: str
    span: SpanResult | None  # None: the op has no span (set_metadata)
    expects: SpanResult | None = None

    @property
    def outcome(self) -> str:
        outcomes = [r.outcome for r in (self.span, self.expects) if r is not None]
        out = "kept"
        for o in outcomes:
            out = _worse(out, o)
        return out

    @property
    def resolved(self) -> bool:
        return self.outcome in RESOLVED

    @property
    def worst(self) -> tuple[str, SpanResult | None]:
        """The JSON pointer suffix and span that decide the op's outcome (the op span on a tie)."""
        if self.expects is not None and (self.span is None or
                                         OUTCOMES.index(self.expects.outcome) > OUTCOMES.index(self.span.outcome)):
            return "/expects/start", self.expects
        return "/start", self.span


@dataclass
class RebaseResult:
    """A rebased copy of an overlay (valid only when :attr:`resolved`) and every op's fate."""

    obj: dict[str, Any]
    ops: list[OpResult]
    new_sha256: str

    @property
    def resolved(self) -> bool:
        return all(op.resolved for op in self.ops)

    def counts(self) -> Counter[str]:
        return Counter(op.outcome for op in self.ops)


def _span_of(raw: Any) -> tuple[int, int, str] | None:
    if not isinstance(raw, dict):
        return None
    s, e, q = raw.get("start"), raw.get("end"), raw.get("quote")
    if isinstance(s, bool) or isinstance(e, bool) or not isinstance(q, str):
        return None
    if isinstance(s, float) and s.is_integer():
        s = int(s)
    if isinstance(e, float) and e.is_integer():
        e = int(e)
    return (s, e, q) if isinstance(s, int) and isinstance(e, int) else None


def rebase_overlay(obj: dict[str, Any], old: str, new: str) -> RebaseResult:
    """Map every op of an overlay (any kind with start/end/quote, and its ``expects``)
    from ``old`` to ``new``. The copy keeps every other field and the key order."""
    ops = obj.get("ops") if isinstance(obj.get("ops"), list) else []
    wanted: list[tuple[int, int, str]] = []
    slots: list[tuple[int | None, int | None]] = []
    for raw in ops:
        span = _span_of(raw)
        exp = _span_of(raw.get("expects")) if isinstance(raw, dict) else None
        slots.append((len(wanted) if span else None, len(wanted) + bool(span) if exp else None))
        wanted += [x for x in (span, exp) if x is not None]
    results = rebase_spans(old, new, wanted)
    new_obj = copy.deepcopy(obj)
    new_sha = sha256_text(new)
    if "text_sha256" in new_obj:
        new_obj["text_sha256"] = new_sha
    out: list[OpResult] = []
    for i, (raw, (si, ei)) in enumerate(zip(ops, slots)):
        raw = raw if isinstance(raw, dict) else {}
        span = results[si] if si is not None else None
        exp = results[ei] if ei is not None else None
        target = new_obj["ops"][i]
        for res, where in ((span, target), (exp, target.get("expects") if exp else None)):
            if res is not None and res.resolved and isinstance(where, dict):
                where["start"], where["end"] = res.new_start, res.new_end
        out.append(OpResult(i, str(raw.get("id", f"#{i}")), str(raw.get("op", "?")), span, exp))
    return RebaseResult(new_obj, out, new_sha)
