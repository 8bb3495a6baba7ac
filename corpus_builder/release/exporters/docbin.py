"""spaCy ``DocBin``: one ``Doc`` per document, for ``spacy train`` and ``spacy debug data``.

Tokens are the release's own (``ner`` rows), the gaps between them become spaCy's
trailing spaces and whitespace tokens, so ``doc.text`` is the release text and every
character offset is the release's. ``doc.ents`` are the release entities (label,
``kb_id``), sentence starts its ``sentences``; ``doc.user_data`` names the document
and the release it came from.
"""

from __future__ import annotations

from pathlib import Path

from . import Split, mismatch

CONFIGS = {"documents": ("documents", "ner")}


def words_and_spaces(text: str, tokens: list[tuple[int, int]]) -> tuple[list[str], list[bool], list[int]]:
    """spaCy's (words, spaces) for ``text``, and each word's start offset; a gap that is
    not whitespace means the tokens do not cover the text."""
    words: list[str] = []
    spaces: list[bool] = []
    starts: list[int] = []

    def gap(a: int, b: int) -> None:
        g = text[a:b]
        if not g:
            return
        if not g.isspace():
            raise ValueError(f"text[{a}:{b}] = {g[:20]!r} is in no token")
        if g[0] == " " and words and not spaces[-1]:
            spaces[-1] = True
            g, a = g[1:], a + 1
        if g:
            words.append(g), spaces.append(False), starts.append(a)

    end = 0
    for a, b in tokens:
        gap(end, a)
        words.append(text[a:b]), spaces.append(False), starts.append(a)
        end = b
    gap(end, len(text))
    return words, spaces, starts


def write(split: Split, config: str, out: Path) -> list[Path]:
    import spacy  # only this format needs it
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("en").vocab
    docbin = DocBin(store_user_data=True)
    for row, tokens in split.with_tokens():
        text, doc_id = row["text"], row["doc_id"]
        try:
            words, spaces, starts = words_and_spaces(text, tokens)
        except ValueError as exc:
            raise mismatch(doc_id, str(exc)) from None
        sent_starts = {s["start"] for s in row["sentences"]}
        doc = Doc(vocab, words=words, spaces=spaces,
                  sent_starts=[i == 0 or a in sent_starts for i, a in enumerate(starts)])
        ents = []
        for e in row["entities"]:
            span = doc.char_span(e["start"], e["end"], label=split.labels[e["label"]], kb_id=e["kb_id"] or "")
            if span is None:
                raise mismatch(doc_id, f"entity [{e['start']}, {e['end']}) does not start and end on tokens")
            ents.append(span)
        doc.ents = ents
        if doc.text != text or [s.start_char for s in doc.sents] != [s["start"] for s in row["sentences"]]:
            raise mismatch(doc_id, "its sentences do not start on tokens")
        doc.user_data.update({"doc_id": doc_id, "release": split.release, "version": split.version})
        docbin.add(doc)
    path = out / f"{split.name}.spacy"
    path.write_bytes(docbin.to_bytes())
    return [path]
