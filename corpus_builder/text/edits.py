"""Edits on a raw text, and the map between raw and published offsets.

Every normalization rule proposes edits on the current text. :class:`EditableText`
composes them so that, at the end, the document carries edits expressed on the
*raw* text: applying them to the raw file gives the published text exactly
(:func:`apply_edits`), and :func:`raw_offsets` / :class:`OffsetMap` map every
published character back to the raw source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..records import Edit

Span = tuple[int, int, str]  # (start, end, replacement) on the current text


@dataclass
class _Piece:
    text: str
    raw_start: int
    raw_end: int
    rule: str | None  # None: a verbatim copy of raw[raw_start:raw_end]


class EditableText:
    """Text plus its provenance: a sequence of pieces copied from or replacing raw spans."""

    def __init__(self, raw: str):
        self.raw = raw
        self.pieces = [_Piece(raw, 0, len(raw), None)] if raw else []

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    def apply(self, spans: Iterable[Span], rule: str) -> int:
        """Apply non-overlapping edits given on the current text; return how many changed it."""
        spans = _merge_deletions(sorted((s, e, r) for s, e, r in spans if not (s == e and r == "")))
        current = self.text
        spans = [(s, e, r) for s, e, r in spans if current[s:e] != r]
        for (s1, e1, _), (s2, _, _) in zip(spans, spans[1:]):
            if s2 < e1 or (s2 == s1 == e1):
                raise ValueError(f"rule {rule} proposed overlapping edits at {s1}..{e1} and {s2}")
        for s, e, r in reversed(spans):  # right to left keeps earlier offsets valid
            self._replace(s, e, r, rule)
        return len(spans)

    def _replace(self, s: int, e: int, r: str, rule: str) -> None:
        self._split_at(s)
        self._split_at(e)
        bounds, pos = [], 0
        for p in self.pieces:
            bounds.append((pos, pos + len(p.text)))
            pos += len(p.text)
        if s == e:  # insertion: inside a replaced piece, else before the next non-empty piece
            covered = [k for k, (ps, pe) in enumerate(bounds) if ps < s < pe]
        else:
            covered = [k for k, (ps, pe) in enumerate(bounds)
                       if (ps < e and pe > s) or (ps == pe and s < ps < e)]
        if not covered:
            i = next((k for k, (ps, pe) in enumerate(bounds) if ps >= s and pe > ps), len(self.pieces))
            raw_pos = self.pieces[i].raw_start if i < len(self.pieces) else (
                self.pieces[-1].raw_end if self.pieces else 0)
            self.pieces[i:i] = [_Piece(r, raw_pos, raw_pos, rule)]
            return
        i, j = covered[0], covered[-1] + 1
        first, last = self.pieces[i], self.pieces[j - 1]
        prefix = first.text[: max(0, s - bounds[i][0])]
        suffix = last.text[max(0, e - bounds[j - 1][0]):] if bounds[j - 1][1] > e else ""
        names = [x for p in self.pieces[i:j] if p.rule for x in p.rule.split("+")] + [rule]
        self.pieces[i:j] = [_Piece(prefix + r + suffix, first.raw_start, last.raw_end,
                                   "+".join(dict.fromkeys(names)))]

    def _split_at(self, offset: int) -> None:
        """Split the verbatim piece containing ``offset`` so edits align with pieces.

        A replaced piece cannot be split (its characters have no raw positions of
        their own); an edit reaching into one absorbs it whole (see ``_replace``).
        """
        pos = 0
        for i, p in enumerate(self.pieces):
            n = len(p.text)
            if pos < offset < pos + n:
                k = offset - pos
                if p.rule is None:
                    self.pieces[i:i + 1] = [
                        _Piece(p.text[:k], p.raw_start, p.raw_start + k, None),
                        _Piece(p.text[k:], p.raw_start + k, p.raw_end, None),
                    ]
                return
            pos += n

    def edits(self) -> list[Edit]:
        out: list[Edit] = []
        for p in self.pieces:
            if p.rule is not None and self.raw[p.raw_start:p.raw_end] != p.text:
                out.append(Edit(p.raw_start, p.raw_end, p.text, p.rule))
        return out


def _merge_deletions(spans: list[Span]) -> list[Span]:
    """Overlapping deletions (two removed lines sharing a newline) are one deletion."""
    out: list[Span] = []
    for s, e, r in spans:
        if out and not r and not out[-1][2] and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]), "")
        else:
            out.append((s, e, r))
    return out


def apply_edits(raw: str, edits: Iterable[Edit]) -> str:
    """Rebuild the published text from the raw text and its edits (in order)."""
    out, pos = [], 0
    for e in edits:
        if e.raw_start < pos or e.raw_end < e.raw_start or e.raw_end > len(raw):
            raise ValueError(f"edits out of order or out of range at raw {e.raw_start}..{e.raw_end}")
        out.append(raw[pos:e.raw_start])
        out.append(e.replacement)
        pos = e.raw_end
    out.append(raw[pos:])
    return "".join(out)


def raw_offsets(raw: str, edits: Iterable[Edit]) -> list[int]:
    """For each published character, the raw offset it comes from.

    Copied characters map to their own raw offset; characters of a replacement map
    to the start of the raw span they replace. The result is monotonic.
    """
    out: list[int] = []
    pos = 0
    for e in edits:
        out.extend(range(pos, e.raw_start))
        out.extend([e.raw_start] * len(e.replacement))
        pos = e.raw_end
    out.extend(range(pos, len(raw)))
    return out


class OffsetMap:
    """Maps spans between the published text and the raw text through the edits.

    A boundary on a copied character maps exactly; a boundary inside a replaced
    stretch maps to that stretch's edge, so a span never ends up cutting through
    an edit. Spans whose first and last characters were copied round-trip exactly:
    ``to_published(*to_raw(s, e)) == (s, e)``; other spans come back no smaller,
    except at a pure insertion (a space added between glued sentences), which has
    no raw character to anchor to and is left outside.
    """

    def __init__(self, raw_length: int, edits: Iterable[Edit]):
        # segments: (pub_start, pub_end, raw_start, raw_end, copied)
        self.segments: list[tuple[int, int, int, int, bool]] = []
        pos = pub = 0
        for e in edits:
            if e.raw_start > pos:
                self.segments.append((pub, pub + e.raw_start - pos, pos, e.raw_start, True))
                pub += e.raw_start - pos
            self.segments.append((pub, pub + len(e.replacement), e.raw_start, e.raw_end, False))
            pub += len(e.replacement)
            pos = e.raw_end
        if raw_length > pos or not self.segments:
            self.segments.append((pub, pub + raw_length - pos, pos, raw_length, True))
        self.published_length = self.segments[-1][1]
        self.raw_length = raw_length

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        return self._map(start, end, src=0, dst=2)

    def to_published(self, raw_start: int, raw_end: int) -> tuple[int, int]:
        return self._map(raw_start, raw_end, src=2, dst=0)

    def _map(self, start: int, end: int, src: int, dst: int) -> tuple[int, int]:
        if not 0 <= start <= end <= (self.published_length if src == 0 else self.raw_length):
            raise ValueError(f"span [{start}, {end}) outside the text")
        first = self._point(start, src, dst, is_end=False)
        return (first, first) if start == end else (first, self._point(end, src, dst, is_end=True))

    def _point(self, x: int, src: int, dst: int, is_end: bool) -> int:
        last = 0
        for seg in self.segments:
            lo, hi = seg[src], seg[src + 1]
            if lo == hi:
                continue  # nothing on this side (a deletion or an insertion): never an anchor
            if (lo <= x < hi) if not is_end else (lo < x <= hi):
                if seg[4]:
                    return seg[dst] + (x - lo)
                return seg[dst + 1] if is_end else seg[dst]
            last = seg[dst + 1]
        return last  # x is the end of the text
