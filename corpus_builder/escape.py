"""One escaping layer for every value that reaches a release document from the inputs
(titles, events, publishers, annotator names, corpus.toml strings, card answers).

A value from an input is data, never markup: a title with ``|`` must not open a table
cell, a newline must not start a heading, ``<script>`` or ``![](...)`` must not become
HTML or an image. The Jinja filters below are registered in the one environment of
:mod:`.prose`; templates pipe every input value through the one that fits where it lands.
"""

from __future__ import annotations

import html
import json
import re


# Characters that start Markdown constructs inside a line of inline text
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>#!|~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def one_line(value: object) -> str:
    """Line breaks (LF, CR, Unicode separators) become one space; control characters go."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value))).strip()


def md_inline(value: object) -> str:
    """Markdown inline text: one line, every Markdown/HTML metacharacter backslash-escaped,
    so ``# x``, ``![](u)``, ``<script>`` and ``|`` render as the characters they are."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(value))


# in a generated table cell: what breaks the row or makes HTML, and the ``](`` / ``][`` / ``![``
# that make a link or an image (a bracketed figure such as "[0.8, 0.9]" stays as it is)
_TABLE_SPECIAL = re.compile(r"([\\`<>|]|\](?=[(\[])|!(?=\[))")


def md_table_text(value: object) -> str:
    """Text in a generated table cell (quality tables): one line; backslashes, pipes,
    code ticks and angle brackets escaped, and the brackets that would make a link or an
    image (no row break, link, image or HTML); emphasis markers are left alone so a table
    may bold its own total row."""
    return " ".join(_TABLE_SPECIAL.sub(r"\\\1", one_line(value)).split())


def md_cell(value: object) -> str:
    """A Markdown table cell: inline text; None is an em dash."""
    return "—" if value is None else md_inline(value)


def md_cells(values: object) -> str:
    """A list in one table cell, comma-separated; empty is an em dash."""
    items = list(values or [])  # type: ignore[call-overload]
    return ", ".join(md_inline(v) for v in items) if items else "—"


def md_code(value: object) -> str:
    """Inline code: a backtick fence longer than any run of backticks in the value."""
    text = one_line(value)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(value: object) -> str:
    """An author's Markdown answer (card/*.md): kept as Markdown (lists, emphasis, links),
    but raw HTML is escaped, images stay text and no line may open a heading of the
    release's own outline or a table row."""
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    text = html.escape(text, quote=False).replace("![", "!\\[")
    return re.sub(r"(?m)^(\s*)([#|])", r"\1\\\2", text)


def yaml_scalar(value: object) -> str:
    """One YAML flow scalar (quoted as YAML needs), e.g. for a key written by hand."""
    return json.dumps(one_line(value), ensure_ascii=False)  # JSON strings are YAML flow scalars


def html_text(value: object) -> str:
    """HTML text content or attribute value."""
    return html.escape(str(value), quote=True)


FILTERS = {
    "one_line": one_line,
    "md": md_inline,
    "md_cell": md_cell,
    "md_cells": md_cells,
    "md_code": md_code,
    "md_block": md_block,
    "yaml": yaml_scalar,
    "html": html_text,
}


def plain(value: object) -> str:
    """An author's Markdown answer as plain text for JSON (croissant.json): list items
    become paragraphs (a blank line between them), code backticks and HTML comments go."""
    text = re.sub(r"<!--.*?-->", "", str(value or ""), flags=re.S).replace("\r\n", "\n").strip()
    text = re.sub(r"(?m)^\s*[-*]\s+", "\n", text)
    text = re.sub(r"\n{2,}", "\n\n", text.replace("`", "")).strip()
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


FILTERS["plain"] = plain
