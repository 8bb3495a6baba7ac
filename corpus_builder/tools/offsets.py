"""Offset units. JavaScript tools (Label Studio, doccano's front end) count UTF-16 code
units, UIMA (INCEpTION's XMI) counts Java chars (UTF-16), Python tools (Prodigy, brat)
count code points, as we do. They differ only after a character outside the Basic
Multilingual Plane (an emoji), so the unit of a file is decided by its quotes."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import CODEPOINT, UTF16, ToolSpan


@lru_cache(maxsize=64)
def _utf16_starts(text: str) -> tuple[int, ...]:
    """UTF-16 offset of each code point (and of the end)."""
    out, n = [], 0
    for ch in text:
        out.append(n)
        n += 2 if ord(ch) > 0xFFFF else 1
    out.append(n)
    return tuple(out)


def utf16_offset(text: str, cp: int) -> int:
    """Code-point offset -> UTF-16 offset."""
    return _utf16_starts(text)[cp]


def codepoint_offset(text: str, u16: int) -> int | None:
    """UTF-16 offset -> code-point offset; None inside a surrogate pair or past the end."""
    starts = _utf16_starts(text)
    i = bisect_left(starts, u16)
    return i if i < len(starts) and starts[i] == u16 else None


def convert(text: str, span: ToolSpan, unit: str) -> tuple[int, int] | None:
    """The span in code points, read in ``unit``; None when the offsets do not exist in it."""
    if unit == CODEPOINT:
        return (span.start, span.end)
    a, b = codepoint_offset(text, span.start), codepoint_offset(text, span.end)
    return None if a is None or b is None else (a, b)


def fits(text: str, span: ToolSpan, unit: str, bounds: tuple[set[int], set[int]] | None = None) -> bool:
    """Does the span, read in ``unit``, lie in the text and cover its quote? A span
    without a quote must at least start and end on token boundaries (``bounds``)."""
    got = convert(text, span, unit)
    if got is None or not 0 <= got[0] < got[1] <= len(text):
        return False
    if span.quote is not None:
        return text[got[0]:got[1]] == span.quote
    return bounds is None or (got[0] in bounds[0] and got[1] in bounds[1])


@dataclass(frozen=True)
class Detected:
    unit: str  # the unit the spans are read in
    unanchored: list[ToolSpan]  # spans that fit no unit
    contradicts: bool  # the file claims a unit, but its spans are in the other one


def detect(text: str, spans: Sequence[ToolSpan], claimed: str | None, default: str,
           tokens: Sequence[tuple[int, int]] = ()) -> Detected:
    """The unit the spans are in: the claimed one (else the tool's convention) when every
    span fits it, else the other one when every span fits that."""
    first = claimed or default
    other = UTF16 if first == CODEPOINT else CODEPOINT
    bounds = ({s for s, _ in tokens}, {e for _, e in tokens}) if tokens else None
    if all(fits(text, s, first, bounds) for s in spans):
        return Detected(first, [], False)
    if has_astral(text) and all(fits(text, s, other, bounds) for s in spans):
        return Detected(other, [], claimed is not None)
    return Detected(first, [s for s in spans if not fits(text, s, first, bounds) and not fits(text, s, other, bounds)]
                    or [s for s in spans if not fits(text, s, first, bounds)], False)


def has_astral(text: str) -> bool:
    """Whether the two units differ anywhere in the text."""
    return any(ord(ch) > 0xFFFF for ch in text)
