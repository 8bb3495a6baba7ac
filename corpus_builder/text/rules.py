"""The normalization rules: a named table, each rule a function from the current
text (and the metadata found so far) to the edits it proposes. Rules never touch
quotes or the spelling of the article body; metadata is filled only where the text
states it.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from datetime import date

import ftfy

from .edits import Span

Meta = dict[str, object]



@dataclass(frozen=True)
class AgencyPatterns:
    """The patterns of the wire agencies a corpus names (``[normalize].agencies`` in its
    corpus.toml) whose credit lines and datelines normalization recognises. A name not
    listed is left in the text and not extracted, rather than guessed; with no names,
    these rules find nothing."""

    credit_line: re.Pattern[str] | None
    image_tail: re.Pattern[str] | None
    dateline: re.Pattern[str] | None
    quoting: re.Pattern[str] | None


@cache
def agency_patterns(agencies: tuple[str, ...]) -> AgencyPatterns:
    if not agencies:
        return AgencyPatterns(None, None, None, None)
    a = "|".join(re.escape(x) for x in sorted(set(agencies), key=lambda x: (-len(x), x)))
    return AgencyPatterns(
        credit_line=re.compile(rf"\s*[-–—]\s*({a})\s*"),
        image_tail=re.compile(rf"(?:(?<=[.!?”\"])|\s+)(?:Photo\s*/\s*|Source:\s*)({a})\s*$"),
        dateline=re.compile(rf"\A[A-Z][\w .'’-]{{0,40}}?-\s?({a})\.\s"),
        quoting=re.compile(rf"\b({a}) reports(?: quoting ({a}))?\b"),
    )

# ftfy repairs mojibake and broken Unicode; everything that would rewrite the
# author's characters (curly quotes, widths, ligatures) stays off.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=False,
)



def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end-without-newline, line) for each line."""
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line), line
        pos += len(line) + 1


def _whole_line(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend a line span to swallow its newline (the following one, else the preceding)."""
    if end < len(text) and text[end] == "\n":
        return start, end + 1
    if start > 0 and text[start - 1] == "\n":
        return start - 1, end
    return start, end


_DIFF_LIMIT = 10_000


def _diff_spans(old: str, new: str, offset: int) -> list[Span]:
    """Minimal edits turning ``old`` into ``new``: common ends trimmed, then a
    character diff when what is left is small (one replacement otherwise, so a
    multi-megabyte line stays linear)."""
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    q = 0
    while q < min(len(old), len(new)) - p and old[-1 - q] == new[-1 - q]:
        q += 1
    a, b = old[p:len(old) - q], new[p:len(new) - q]
    if len(a) > _DIFF_LIMIT or len(b) > _DIFF_LIMIT:
        return [(offset + p, offset + p + len(a), b)]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        (offset + p + i1, offset + p + i2, b[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _per_line(fix: Callable[[str], str]) -> Callable[[str, Meta], list[Span]]:
    def rule(text: str, meta: Meta) -> list[Span]:
        spans: list[Span] = []
        for start, _end, line in _lines(text):
            fixed = fix(line)
            if fixed != line:
                spans.extend(_diff_spans(line, fixed, start))
        return spans
    return rule


# With FTFY_CONFIG, ftfy leaves printable ASCII as it is (fix_encoding returns ASCII
# at once; the other fixers it runs touch only control characters, terminal escapes,
# C1 controls and surrogates), so such lines skip it: two in five lines of news text.
_PRINTABLE_ASCII = re.compile(r"[\t\x20-\x7e]*")


def fix_unicode(text: str, meta: Meta) -> list[Span]:
    return _per_line(lambda s: s if _PRINTABLE_ASCII.fullmatch(s) else ftfy.fix_text(s, FTFY_CONFIG))(text, meta)


def unicode_nfc(text: str, meta: Meta) -> list[Span]:
    return _per_line(lambda s: unicodedata.normalize("NFC", s))(text, meta)


# Zero-width spaces, word joiners, stray byte-order marks, soft hyphens and bidi
# embedding/override/isolate controls and marks: invisible, and they split or
# spoof tokens. ZWJ/ZWNJ (U+200D/U+200C) stay: some scripts need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def invisible_characters(text: str, meta: Meta) -> list[Span]:
    return [(m.start(), m.end(), "") for m in _INVISIBLE.finditer(text)]


_HTML_BLOCK = "p|div|br|hr|h[1-6]|li|ul|ol|tr|table|blockquote|section|article|header|footer|figure|figcaption|pre"
_HTML_INLINE = "a|b|i|u|em|strong|span|small|sup|sub|font|img|abbr|cite|q|time|mark|code"
_HTML_TAG = re.compile(rf"<(/?)({_HTML_BLOCK}|{_HTML_INLINE})(\s[^<>]*)?/?>", re.I)
_HTML_DROP = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def html_markup(text: str, meta: Meta) -> list[Span]:
    """Markup in a text file: scripts/styles/comments dropped, block tags become
    paragraph breaks, inline tags vanish, entities are decoded. Only runs when the
    text holds real HTML tags, so a literal ``a < b`` or ``&`` is left alone."""
    if not _HTML_TAG.search(text) and not _HTML_DROP.search(text):
        return []
    spans: list[Span] = [(m.start(), m.end(), "") for m in _HTML_DROP.finditer(text)]
    dropped = [(s, e) for s, e, _ in spans]

    def free(m: re.Match[str]) -> bool:
        return not any(s <= m.start() < e for s, e in dropped)

    for m in _HTML_TAG.finditer(text):
        if free(m):
            block = re.fullmatch(_HTML_BLOCK, m.group(2), re.I)
            spans.append((m.start(), m.end(), "\n\n" if block else ""))
    for m in _HTML_ENTITY.finditer(text):
        decoded = html.unescape(m.group())
        if decoded != m.group() and free(m):
            spans.append((m.start(), m.end(), decoded.replace("\xa0", " ")))
    return spans


def line_endings(text: str, meta: Meta) -> list[Span]:
    return [(m.start(), m.end(), "\n") for m in re.finditer(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]", text)]


_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s+")


def inline_date_header(text: str, meta: Meta) -> list[Span]:
    m = _DATE_HEADER.match(text)
    if not m:
        return []
    try:
        meta["published"] = date.fromisoformat(m.group(1)).isoformat()
    except ValueError:
        return []  # not a real date: leave it for a human to look at
    return [(m.start(), m.end(), "")]


def page_assembly_line(text: str, meta: Meta) -> list[Span]:
    spans = []
    for s, e, line in _lines(text):
        if re.match(r"\s*Assembled by:.*Processing Time:\s*\d+\s*ms\s*$", line):
            spans.append((*_whole_line(text, s, e), ""))
    return spans


_COPYRIGHT = re.compile(r"\s*(?:©|\(c\)|Copyright\b)\s*(?:Copyright\s*)?(?:(\d{4})\s*,?\s*)?(.*?)\s*$", re.I)


def copyright_footer(text: str, meta: Meta) -> list[Span]:
    spans = []
    for s, e, line in _lines(text):
        m = _COPYRIGHT.fullmatch(line)
        if m and re.match(r"\s*(©|\(c\)|copyright\b)", line, re.I) and len(line) < 200:
            if m.group(2):
                if meta.get("publisher") is None:
                    meta["publisher"] = m.group(2).rstrip(". ")
            spans.append((*_whole_line(text, s, e), ""))
    return spans


def agency_credit_line(text: str, meta: Meta, agencies: AgencyPatterns) -> list[Span]:
    spans = []
    pattern = agencies.credit_line
    for s, e, line in _lines(text) if pattern else ():
        m = pattern.fullmatch(line)
        if m:
            _append(meta, "agencies", m.group(1))
            spans.append((*_whole_line(text, s, e), ""))
    return spans


_IMAGE_LINE = re.compile(r"\s*\[(?:Image|Photo|Picture)\s+(?:by|credit:?|:)\s*([^\]]+?)\s*\]\s*", re.I)
def image_credit(text: str, meta: Meta, agencies: AgencyPatterns) -> list[Span]:
    spans = []
    for s, e, line in _lines(text):
        m = _IMAGE_LINE.fullmatch(line)
        if m:
            _append(meta, "image_credits", m.group(1))
            spans.append((*_whole_line(text, s, e), ""))
            continue
        # the pattern needs one of its two literal words: looking for them first spares the
        # regex a scan of every other line
        has_word = "Photo" in line or "Source:" in line
        m = agencies.image_tail.search(line) if agencies.image_tail and has_word else None
        if m and m.start() > 0:
            _append(meta, "image_credits", m.group(1))
            spans.append((s + m.start(), e, ""))
    return spans


def duplicate_line(text: str, meta: Meta) -> list[Span]:
    """Drop a line repeated verbatim right after itself (a duplicated photo caption)."""
    spans = []
    previous = None
    for s, e, line in _lines(text):
        if not line.strip():
            continue
        if line == previous:
            spans.append((*_whole_line(text, s, e), ""))
        previous = line
    return spans


def glued_sentence(text: str, meta: Meta) -> list[Span]:
    """``days.Photo`` -> ``days. Photo``: a lower-case word, a full stop, a capitalised word."""
    return [(m.end(1), m.end(1), " ") for m in re.finditer(r"(?<![\w.@/])([a-z]{2,}[.!?])(?=[A-Z][a-z])", text)]


def whitespace(text: str, meta: Meta) -> list[Span]:
    """Tabs and runs of spaces become one space; lines lose leading/trailing blanks."""
    spans = []
    for s, e, line in _lines(text):
        for m in re.finditer(r"[ \t\u00a0]{2,}|\t|\u00a0", line):
            if 0 < m.start() and m.end() < len(line):
                spans.append((s + m.start(), s + m.end(), " "))
        lead = len(line) - len(line.lstrip(" \t\u00a0"))
        trail = len(line) - len(line.rstrip(" \t\u00a0"))
        if line.strip(" \t\u00a0") == "":
            if line:
                spans.append((s, e, ""))
            continue
        if lead:
            spans.append((s, s + lead, ""))
        if trail:
            spans.append((e - trail, e, ""))
    return spans


def paragraph_breaks(text: str, meta: Meta) -> list[Span]:
    """Paragraphs are separated by exactly one blank line; none at the ends."""
    spans = []
    for m in re.finditer(r"\n+", text):
        if m.start() == 0 or m.end() == len(text):
            spans.append((m.start(), m.end(), ""))
        elif m.group() != "\n\n":
            spans.append((m.start(), m.end(), "\n\n"))
    return spans


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    apply: Callable[[str, Meta], list[Span]]


def rules_for(agencies: tuple[str, ...] = ()) -> tuple[Rule, ...]:
    """The rule table, with the agency rules recognising ``agencies`` (the corpus's list)."""
    return _rules(tuple(sorted(set(agencies))))


@cache
def _rules(agencies: tuple[str, ...]) -> tuple[Rule, ...]:
    p = agency_patterns(agencies)
    return tuple(Rule(r.name, r.description, partial(r.apply, agencies=p) if r.name in _AGENCY_RULES else r.apply)
                 for r in _TABLE)


_AGENCY_RULES = ("agency_credit_line", "image_credit")

_TABLE: tuple[Rule, ...] = (
    Rule("fix_unicode", "repair mojibake and broken Unicode with ftfy (quotes, widths, ligatures kept)", fix_unicode),
    Rule("unicode_nfc", "Unicode normalization form C", unicode_nfc),
    Rule("invisible_characters", "remove zero-width, soft-hyphen and bidi control characters (ZWJ/ZWNJ kept)", invisible_characters),
    Rule("html_markup", "strip HTML tags found in a text file (block tags become paragraph breaks), decode entities", html_markup),
    Rule("line_endings", "CRLF, CR and other line separators become LF", line_endings),
    Rule("inline_date_header", "remove an inline `date YYYY-MM-DD` header (kept as `published`)", inline_date_header),
    Rule("page_assembly_line", "remove page-assembly/processing lines (`Assembled by: ... Processing Time`)", page_assembly_line),
    Rule("copyright_footer", "remove copyright footers (holder kept as `publisher`)", copyright_footer),
    Rule("agency_credit_line", "remove a wire-agency credit line such as `- AGENCY` (kept in `agencies`; agencies named in corpus.toml)", agency_credit_line),
    Rule("duplicate_line", "remove a line repeated verbatim right after itself (duplicated photo caption)", duplicate_line),
    Rule("image_credit", "remove image credits (`Photo / AGENCY`, `Source: AGENCY`, `[Image by ...]`), kept in `image_credits`", image_credit),
    Rule("glued_sentence", "insert the missing space in glued sentences such as `days.Photo`", glued_sentence),
    Rule("whitespace", "collapse runs of spaces/tabs, strip blanks at line ends", whitespace),
    Rule("paragraph_breaks", "separate paragraphs by exactly one blank line; trim the ends", paragraph_breaks),
)
RULES = rules_for(())  # names, descriptions and order; no corpus's agencies


def _append(meta: Meta, key: str, value: str) -> None:
    values = meta.setdefault(key, [])
    assert isinstance(values, list)
    if value not in values:
        values.append(value)


_TITLE_MAX = 150


def extract_title(text: str) -> str | None:
    """The first paragraph is a title when it is one short line without end punctuation."""
    first, sep, _rest = text.partition("\n\n")
    if sep and "\n" not in first and len(first) <= _TITLE_MAX and not re.search(r"[.!?:;,\"”’)]$", first):
        return first
    return None


def extract_agencies(text: str, meta: Meta, agencies: tuple[str, ...] = ()) -> None:
    """Agencies the text itself credits: a dateline (``City-AGENCY.``) or ``AGENCY reports quoting AGENCY``."""
    p = agency_patterns(agencies)
    if p.dateline is None or p.quoting is None:
        return
    m = p.dateline.match(text)
    if m:
        _append(meta, "agencies", m.group(1))
    for m in p.quoting.finditer(text):
        for g in m.groups():
            if g:
                _append(meta, "agencies", g)
