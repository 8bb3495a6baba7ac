"""What the build keeps of a parsed ``Doc``: tokens, entities and sentences.

Sentence boundaries are the model's, plus one at every paragraph start; a sentence
never splits an entity (:func:`merge_over_entities`). Everything is computed from one
``Doc.to_array`` call per document: reading Token attributes costs a Python round
trip each, per token.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.tokens import Doc

_FIELDS = 5  # idx, length, is_space, is_punct, sent_start


def _token_array(doc: Doc) -> np.ndarray:
    """Per token, idx, length, is_space, is_punct, sent_start (an n x 5 int64 array), in
    one call: reading Token attributes costs a Python round trip each, per token."""
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, SENT_START

    if not len(doc):
        return np.zeros((0, _FIELDS), dtype=np.int64)
    return doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT, SENT_START]).view(np.int64)


def sentence_spans(doc: Doc, entities: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence char spans of a parsed ``Doc`` (see :func:`_sentences`)."""
    return _sentences(doc.text, _token_array(doc), entities)


def _sentences(text: str, tokens: np.ndarray, entities: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence char spans: the model's boundaries, plus one at every paragraph start,
    minus boundaries that would leave a sentence of bare punctuation (a closing quote
    before a paragraph break) or split an entity. Spans exclude surrounding whitespace.

    Array operations over the :func:`_token_array` rows, not a Python loop over tokens
    (``Token.is_sent_start`` rescans the whole Doc on every call; ``Doc.text`` joins
    every token again, so the caller passes the text it already has)."""
    words = tokens[tokens[:, 2] == 0]  # whitespace tokens only carry newlines
    if not len(words):
        return []
    starts, ends = words[:, 0], words[:, 0] + words[:, 1]
    newlines = np.concatenate(([0], np.cumsum(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10)))
    after_newline = np.empty(len(words), dtype=bool)  # a newline between this word and the one before
    after_newline[0] = True
    after_newline[1:] = newlines[starts[1:]] > newlines[ends[:-1]]
    first = np.flatnonzero(after_newline | (words[:, 4] == 1))  # the first word of each piece
    # a piece of bare punctuation in the same paragraph (a closing quote the model put
    # before the next sentence) belongs to the sentence before it
    merge = np.logical_and.reduceat(words[:, 3] != 0, first) & ~after_newline[first]
    merge[0] = False
    keep = first[~merge]
    last = np.append(keep[1:] - 1, len(words) - 1)
    return merge_over_entities(list(zip(starts[keep].tolist(), ends[last].tolist())), entities)


def merge_over_entities(spans: list[tuple[int, int]], entities: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join adjacent sentences whenever an entity runs across the boundary between them.

    Entities do not overlap, so sorted by start they are sorted by end too: the last
    one starting before a sentence is the only one that can cross into it."""
    ents = sorted(entities)
    starts = [s for s, _ in ents]
    out: list[list[int]] = []
    for s, e in spans:
        i = bisect_left(starts, s) - 1
        if out and i >= 0 and ents[i][1] > out[-1][1]:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def parse_result(text: str, parsed: Doc) -> dict[str, object]:
    """Everything the build keeps from spaCy's output for one text (what the NER
    cache stores and what an executor's worker sends back)."""
    ents, trimmed, dropped = [], 0, 0
    for ent in parsed.ents:
        s, e = trim(text, ent.start_char, ent.end_char)
        if s == e:
            dropped += 1
            continue
        trimmed += (s, e) != (ent.start_char, ent.end_char)
        ents.append([s, e, ent.label_])
    array = _token_array(parsed)
    words = array[array[:, 2] == 0]  # not whitespace
    return {
        # flat [start0, end0, start1, end1, ...]: a cache entry per document decodes fast
        "tokens": np.column_stack((words[:, 0], words[:, 0] + words[:, 1])).ravel().tolist(),
        "entities": ents,
        "sentences": [x for span in _sentences(text, array) for x in span],
        "counts": {"trimmed_whitespace": trimmed, "dropped_whitespace_entity": dropped},
    }
