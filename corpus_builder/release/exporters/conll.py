"""CoNLL-2003-style IOB2: ``-DOCSTART-`` before each document, one token a line
(``TOKEN -X- -X- TAG``: no POS or chunk tags), a blank line after each sentence.
Straight from the ``ner`` rows: the tags are the release's, in its label names."""

from __future__ import annotations

from pathlib import Path

from . import Split, mismatch

CONFIGS = {"ner": ("ner",)}
DOCSTART = "-DOCSTART- -X- -X- O"


def write(split: Split, config: str, out: Path) -> list[Path]:
    names = split.tag_names
    lines: list[str] = []
    for doc_id, rows in split.sentences_by_doc().items():
        lines += [DOCSTART, ""]
        for row in rows:
            for word, tag in zip(row["tokens"], row["ner_tags"], strict=True):
                if not word or any(c.isspace() for c in word):
                    raise mismatch(doc_id, f"token {word!r} is empty or holds whitespace, which CoNLL cannot hold")
                lines.append(f"{word} -X- -X- {names[tag]}")
            lines.append("")
    path = out / f"{split.name}.conll"
    path.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8", newline="\n")
    return [path]
