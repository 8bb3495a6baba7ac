"""Normalization: named rules that clean raw article text, each edit recorded.

Every rule proposes edits on the current text. :class:`EditableText` composes them
so that, at the end, the document carries edits expressed on the *raw* text:
applying them to the raw file gives the published text exactly
(:func:`apply_edits`), and :func:`raw_offsets` maps every published character back
to the raw source. Rules never touch quotes or the spelling of the article body.
"""

from __future__ import annotations

import difflib
import html
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ftfy

from .cache import Store
from .document import Document, Edit
from .errors import CorpusError, Problem

Span = tuple[int, int, str]  # (start, end, replacement) on the current text
Meta = dict[str, object]

# Wire agencies whose credit lines and datelines we recognise. A name not listed
# here is left in the text and not extracted, rather than guessed.
AGENCIES = (
    "Associated Press", "AFP", "AP", "APA", "Reuters", "Xinhua", "dpa", "UPI", "EFE",
    "ANSA", "Anadolu", "Kyodo", "TASS", "WAFA", "PTI", "IANS", "Bernama", "Yonhap",
)
_AGENCY = "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True))

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


# --- rules -----------------------------------------------------------------------

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


_CREDIT_LINE = re.compile(rf"\s*[-–—]\s*({_AGENCY})\s*")


def agency_credit_line(text: str, meta: Meta) -> list[Span]:
    spans = []
    for s, e, line in _lines(text):
        m = _CREDIT_LINE.fullmatch(line)
        if m:
            _append(meta, "agencies", m.group(1))
            spans.append((*_whole_line(text, s, e), ""))
    return spans


_IMAGE_LINE = re.compile(r"\s*\[(?:Image|Photo|Picture)\s+(?:by|credit:?|:)\s*([^\]]+?)\s*\]\s*", re.I)
_IMAGE_TAIL = re.compile(rf"(?:(?<=[.!?”\"])|\s+)(?:Photo\s*/\s*|Source:\s*)({_AGENCY})\s*$")


def image_credit(text: str, meta: Meta) -> list[Span]:
    spans = []
    for s, e, line in _lines(text):
        m = _IMAGE_LINE.fullmatch(line)
        if m:
            _append(meta, "image_credits", m.group(1))
            spans.append((*_whole_line(text, s, e), ""))
            continue
        m = _IMAGE_TAIL.search(line)
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


RULES: tuple[Rule, ...] = (
    Rule("fix_unicode", "repair mojibake and broken Unicode with ftfy (quotes, widths, ligatures kept)", fix_unicode),
    Rule("unicode_nfc", "Unicode normalization form C", unicode_nfc),
    Rule("invisible_characters", "remove zero-width, soft-hyphen and bidi control characters (ZWJ/ZWNJ kept)", invisible_characters),
    Rule("html_markup", "strip HTML tags found in a text file (block tags become paragraph breaks), decode entities", html_markup),
    Rule("line_endings", "CRLF, CR and other line separators become LF", line_endings),
    Rule("inline_date_header", "remove an inline `date YYYY-MM-DD` header (kept as `published`)", inline_date_header),
    Rule("page_assembly_line", "remove page-assembly/processing lines (`Assembled by: ... Processing Time`)", page_assembly_line),
    Rule("copyright_footer", "remove copyright footers (holder kept as `publisher`)", copyright_footer),
    Rule("agency_credit_line", "remove a wire-agency credit line such as `- AFP` (kept in `agencies`)", agency_credit_line),
    Rule("duplicate_line", "remove a line repeated verbatim right after itself (duplicated photo caption)", duplicate_line),
    Rule("image_credit", "remove image credits (`Photo / AP`, `Source: Associated Press`, `[Image by ...]`), kept in `image_credits`", image_credit),
    Rule("glued_sentence", "insert the missing space in glued sentences such as `days.Photo`", glued_sentence),
    Rule("whitespace", "collapse runs of spaces/tabs, strip blanks at line ends", whitespace),
    Rule("paragraph_breaks", "separate paragraphs by exactly one blank line; trim the ends", paragraph_breaks),
)


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


_DATELINE = re.compile(rf"\A[A-Z][\w .'’-]{{0,40}}?-\s?({_AGENCY})\.\s")
_QUOTING = re.compile(rf"\b({_AGENCY}) reports(?: quoting ({_AGENCY}))?\b")


def extract_agencies(text: str, meta: Meta) -> None:
    """Agencies the text itself credits: a dateline (``Baku-APA.``) or ``APA reports quoting Xinhua``."""
    m = _DATELINE.match(text)
    if m:
        _append(meta, "agencies", m.group(1))
    for m in _QUOTING.finditer(text):
        for g in m.groups():
            if g:
                _append(meta, "agencies", g)


def fingerprint() -> dict[str, str]:
    """What normalization output depends on: this module's code and ftfy's version."""
    from importlib.metadata import version

    from . import dedup

    return {"normalize": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(), "ftfy": version("ftfy"),
            "unicodedata": unicodedata.unidata_version,
            "dedup": hashlib.sha256(Path(dedup.__file__).read_bytes()).hexdigest()}  # the cached signature


class Normalizer:
    """Stage: raw text -> published text, edits and text-stated metadata; counts per rule.

    With a ``cache`` (only for the default rules, whose code the key covers) a document
    whose raw text was normalized before is not normalized again."""

    name = "normalize"

    def __init__(self, rules: tuple[Rule, ...] = RULES, cache: Store | None = None):
        self.rules = rules
        self.cache = cache if rules is RULES else None
        self.problems: list[Problem] = []
        self.dropped: Counter[str] = Counter()
        self.edits: Counter[str] = Counter()
        self.documents: Counter[str] = Counter()
        self.kept = 0

    def normalize(self, doc: Document) -> Document:
        key = self.cache.key(doc.raw_sha256) if self.cache is not None and doc.raw_sha256 else None
        cached = self.cache.get(key) if key is not None else None
        if cached is not None:
            doc.text, doc.text_sha256 = cached["text"], cached["text_sha256"]
            doc.edits = [Edit(a, b, r, rule) for a, b, r, rule in cached["edits"]]
            meta, sources, counts = cached["metadata"], cached["sources"], cached["rules"]
            doc.signature = cached["signature"]
        else:
            meta, sources, counts = self._normalize(doc)
            if key is not None:
                from .dedup import shingles, signature

                doc.signature = signature(shingles(doc.text)).tobytes()  # dedup's work, kept with the text
                self.cache.put(key, {"text": doc.text, "text_sha256": doc.text_sha256,
                                     "edits": [[e.raw_start, e.raw_end, e.replacement, e.rule] for e in doc.edits],
                                     "metadata": meta, "sources": sources, "rules": counts,
                                     "signature": doc.signature})
        for rule, n in counts.items():
            self.edits[rule] += n
            self.documents[rule] += 1
        for key_, value in doc.input_metadata.items():  # stated by the input record: wins over extraction
            meta[key_] = value
            sources[key_] = "input"
        doc.metadata = meta
        doc.metadata_sources = sources
        self.kept += 1
        return doc

    def _normalize(self, doc: Document) -> tuple[Meta, dict[str, str], dict[str, int]]:
        """Apply every rule; the metadata the text states, its sources, and edits per rule."""
        text = EditableText(doc.raw_text)
        meta: Meta = {"title": None, "published": None, "publisher": None, "event": None,
                      "agencies": [], "image_credits": []}
        sources: dict[str, str] = {}
        counts: dict[str, int] = {}
        for rule in self.rules:
            before = {k: (list(v) if isinstance(v, list) else v) for k, v in meta.items()}
            n = text.apply(rule.apply(text.text, meta), rule.name)
            if n:
                counts[rule.name] = n
            for k, v in meta.items():
                if v != before[k]:
                    sources.setdefault(k, f"text:{rule.name}")
        doc.text = text.text
        doc.text_sha256 = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        doc.edits = text.edits()
        if not re.search(r"\w", doc.text):
            raise CorpusError(Problem(
                "E103", "no article text left after normalization",
                file=doc.where,
                hint="the file holds only boilerplate or whitespace; remove it from the seeds folder"))
        title = extract_title(doc.text)
        if title:
            meta["title"] = title
            sources["title"] = "text:first_line"
        before_agencies = list(meta["agencies"])  # type: ignore[arg-type]
        extract_agencies(doc.text, meta)
        if meta["agencies"] != before_agencies:
            sources.setdefault("agencies", "text:credit")
        return meta, sources, counts

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            try:
                yield self.normalize(doc)
            except CorpusError as exc:  # reported with the others; the document is left out
                self.problems.extend(exc.problems)
                self.dropped[exc.problems[0].code] += 1
