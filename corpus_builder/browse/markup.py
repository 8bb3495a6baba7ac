"""A document's text cut into pieces for the page: plain runs, entity marks and
sentence-boundary markers, in displaCy's ``ent`` style (its label colours).

displaCy's own renderer draws one layer and fixed markup; the pages need several
layers of one text (published, model, gold with its misses) and a link from each
mark to its provenance, so the pieces are rendered by the site's own template."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

FALLBACK_COLOR = "#ddd"


def color(label: str) -> str:
    from spacy.displacy.render import DEFAULT_LABEL_COLORS  # spaCy only when a page is drawn

    return DEFAULT_LABEL_COLORS.get(label, FALLBACK_COLOR)


def _piece(text: str, mark: dict[str, Any] | None = None, sentence: int = 0) -> dict[str, Any]:
    return {"text": text, "mark": mark, "sentence": sentence}


def pieces(text: str, marks: Iterable[tuple[int, int, dict[str, Any]]],
           sentence_starts: Sequence[int] = ()) -> list[dict[str, Any]]:
    """``text`` as a list of pieces: plain text, a mark (``mark`` set) or the start
    of sentence ``sentence`` (numbered from 1; the first is not marked); ``marks`` must not overlap. A boundary inside a mark (none: entities do not cross sentences) is shown after it."""
    starts = sorted(s for s in set(sentence_starts) if 0 < s < len(text))
    number = {s: i + 2 for i, s in enumerate(starts)}  # sentence 1 starts the text
    out: list[dict[str, Any]] = []
    pos, k = 0, 0

    def plain(a: int, b: int) -> None:
        nonlocal k
        while k < len(starts) and starts[k] <= b:
            s = starts[k]
            if s > a:
                out.append(_piece(text[a:s]))
                a = s
            out.append(_piece("", sentence=number[s]))
            k += 1
        if b > a:
            out.append(_piece(text[a:b]))

    for start, end, mark in sorted(marks, key=lambda m: (m[0], m[1])):
        plain(pos, start)
        out.append(_piece(text[start:end], mark))
        pos = end
    plain(pos, len(text))
    return out
