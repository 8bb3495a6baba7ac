"""Rebase overlays onto a changed normalized text (``corpus-builder rebase``).

Improving a normalization rule changes the published text, so every overlay
written against the old text stops matching (``E411``) although most of its ops
still point at the same words. Rebasing maps each op's span (and its ``expects``
span) from the old text to the new one, in this order: offsets unchanged (the
quote is still there), a character diff of old -> new, then a search for the
quote scored by how much of its old context surrounds each occurrence. It never
guesses: a quote found several times with equally good context is *ambiguous*,
a quote that is gone is *orphaned*, and a file holding either is not rewritten.

The old text comes from the snapshot store ``<cache>/texts/<sha256>.txt`` (the
build saves the text of every annotated document, :func:`save_snapshot`) or from any release's
``documents`` rows under the output folder.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import atomic_write
from .config import BuildConfig
from .errors import Problem, rel
from .ingest import Ingest
from .normalize import Normalizer
from .overlays import ANNOTATORS_FILE

CONTEXT = 40  # characters of old context compared on each side of a searched quote
OUTCOMES = ("kept", "mapped", "ambiguous", "orphaned")  # best to worst
RESOLVED = ("kept", "mapped")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- snapshots and old texts ------------------------------------------------------

def snapshot_path(cache_dir: Path, sha: str) -> Path:
    return Path(cache_dir) / "texts" / f"{sha}.txt"


def save_snapshot(cache_dir: Path, text: str) -> None:
    """Keep ``text`` under its sha256 so overlays written against it can be rebased
    after a rule change. Written to a temporary file and renamed: a reader sees no
    snapshot or the whole of it, never half."""
    path = snapshot_path(cache_dir, _sha(text))
    if path.is_file():
        return  # content-addressed: an existing snapshot is this very text
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"))  # bytes: no newline translation


def find_old_text(sha: str, config: BuildConfig) -> str | None:
    """The text whose sha256 is ``sha``: a snapshot first, else any release's
    ``documents`` rows. Every candidate is checked against ``sha`` (a corrupt
    snapshot is ignored rather than trusted)."""
    if config.cache is not None:
        try:
            text = snapshot_path(config.cache, sha).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None and _sha(text) == sha:
            return text
    for path in sorted(Path(config.out).glob("*/data/documents/*.parquet"), reverse=True):
        text = _text_in_release(path, sha)
        if text is not None:
            return text
    return None


def _text_in_release(path: Path, sha: str) -> str | None:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["text", "text_sha256"], filters=[("text_sha256", "==", sha)])
    except Exception:  # not a readable release file (pyarrow raises several types): look elsewhere
        return None
    for text in table.column("text").to_pylist():
        if isinstance(text, str) and _sha(text) == sha:
            return text
    return None


# --- mapping spans -----------------------------------------------------------------

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
    new_sha = _sha(new)
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


# --- the command -------------------------------------------------------------------

@dataclass
class FileReport:
    """One overlay file that needed rebasing."""

    path: Path
    result: RebaseResult | None = None  # None: the old text is unknown
    written: bool = False

    @property
    def name(self) -> str:
        return rel(self.path)


@dataclass
class RebaseReport:
    """Everything rebase found: per-op lines for rebased files, the files left as
    they were, and the problems that make the command fail."""

    files: list[FileReport] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files rebase cannot judge, with why
    problems: list[Problem] = field(default_factory=list)
    write: bool = False

    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            if f.result is not None:
                total.update(f.result.counts())
        return total

    @property
    def written(self) -> list[FileReport]:
        return [f for f in self.files if f.written]

    @property
    def not_written(self) -> list[FileReport]:
        return [f for f in self.files if f.result is None or not f.result.resolved]

    def lines(self) -> list[str]:
        out: list[str] = []
        for f in self.files:
            if f.result is None:
                out.append(f"{f.name} not rebased: the text it was written against is unknown (E430)")
                continue
            out += [f"{f.name} {_describe(op)}" for op in f.result.ops]
            if not f.result.resolved:
                c = f.result.counts()
                out.append(f"{f.name} not written: {c['ambiguous']} ambiguous, {c['orphaned']} orphaned op(s) -> "
                           "fix them by hand (set start/end/quote to the new text, or delete the op), "
                           "then rerun `corpus-builder rebase --write`")
        out += self.skipped
        if self.up_to_date:
            out.append(f"rebase: {len(self.up_to_date)} overlay(s) up to date")
        if self.files:
            c = self.counts()
            head = f"rebase: {c['kept']} kept, {c['mapped']} mapped, {c['ambiguous']} ambiguous, {c['orphaned']} orphaned; "
            if self.write:
                out.append(head + f"{len(self.written)} files written, {len(self.not_written)} not written")
            else:
                ready = len(self.files) - len(self.not_written)
                out.append(head + f"{ready} files can be written, {len(self.not_written)} cannot "
                           "(report only: rerun with --write to rewrite them)")
        elif not self.up_to_date and not self.skipped:
            out.append("rebase: no overlays found")
        return out


def _fmt(r: SpanResult) -> str:
    old = f"[{r.start}, {r.end})"
    if r.outcome == "kept":
        return f"kept (offsets) {old} {r.quote!r}"
    if r.outcome == "mapped":
        return f"mapped ({r.method}) {old} -> [{r.new_start}, {r.new_end}) {r.quote!r}"
    if r.outcome == "ambiguous":
        cands = " ".join(f"[{p}, {p + len(r.quote)})" for p in r.candidates)
        return f"ambiguous {old} -> ? {r.quote!r} candidates {cands}"
    return f"orphaned {old} -> gone {r.quote!r} (no longer in the text)"


def _describe(op: OpResult) -> str:
    if op.span is None and op.expects is None:
        return f"{op.op_id} kept (no span)"
    main = _fmt(op.span) if op.span is not None else "(no span)"
    text = f"{op.op_id} {main}"
    exp = op.expects
    if exp is not None and (op.span is None or (exp.start, exp.end) != (op.span.start, op.span.end)
                            or (exp.outcome, exp.new_start) != (op.span.outcome, op.span.new_start)):
        text += f"; expects {_fmt(exp)}"
    if op.outcome != (op.span.outcome if op.span else "kept"):
        text += f" => op {op.outcome}"
    return text


def _problems(name: str, result: RebaseResult) -> list[Problem]:
    problems = []
    for op in result.ops:
        if op.resolved:
            continue
        suffix, r = op.worst
        assert r is not None
        where = f"/ops/{op.index}{suffix}"
        fix = ("set start/end/quote to the new text (or delete the op), then rerun `corpus-builder rebase --write`: "
               f"it keeps ops that already match and sets text_sha256 to {result.new_sha256[:12]}...")
        if r.outcome == "ambiguous":
            cands = ", ".join(f"[{p}, {p + len(r.quote)})" for p in r.candidates)
            problems.append(Problem(
                "E431", f"ambiguous: the quote occurs {len(r.candidates)} times in the new text with equally good context",
                file=name, position=where, op_id=op.op_id, found=cands, expected=r.quote,
                hint=f"pick the right occurrence: {fix}"))
        else:
            problems.append(Problem(
                "E432", "orphaned: the quote no longer occurs in the new text (it was removed or changed)",
                file=name, position=where, op_id=op.op_id, expected=r.quote,
                hint=f"re-anchor it by hand: {fix}"))
    return problems


def _write_json(path: Path, obj: Any) -> None:
    """Atomic: the file is the old overlay or the whole new one, never half."""
    atomic_write(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _read_overlays(folder: Path, report: RebaseReport) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(p for p in folder.glob("*.json") if p.name != ANNOTATORS_FILE):
        try:
            obj = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            report.skipped.append(f"{rel(path)} skipped: not readable JSON (`corpus-builder validate` says why)")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text_sha256"), str) or not isinstance(obj.get("ops"), list):
            report.skipped.append(f"{rel(path)} skipped: not an overlay (`corpus-builder validate` says why)")
            continue
        out.append((path, obj))
    return out


def rebase(config: BuildConfig, write: bool = False, normalizer: Normalizer | None = None) -> RebaseReport:
    """Rebase every overlay whose ``text_sha256`` is not its document's current text;
    with ``write``, rewrite the files whose ops all resolved. ``normalizer`` stands in
    for the default rules (a changed rule, before it is committed)."""
    report = RebaseReport(write=write)
    overlays = _read_overlays(Path(config.annotations), report)
    wanted = {obj.get("doc_id") for _, obj in overlays}
    texts: dict[str, str] = {}
    for doc in (normalizer or Normalizer())(Ingest(config.seeds)()):
        if doc.doc_id in wanted:
            texts[doc.doc_id] = doc.text
    shas = {doc_id: _sha(text) for doc_id, text in texts.items()}
    for path, obj in overlays:
        doc_id = obj.get("doc_id")
        if doc_id not in texts:
            report.skipped.append(f"{rel(path)} skipped: no current text for doc_id {doc_id!r} "
                                  "(unknown or refused document; `corpus-builder validate` says why)")
            continue
        if obj["text_sha256"] == shas[doc_id]:
            report.up_to_date.append(path)
            continue
        old = find_old_text(obj["text_sha256"], config)
        if old is None:
            where = f"{rel(config.cache / 'texts')} or " if config.cache is not None else ""
            report.files.append(FileReport(path))
            report.problems.append(Problem(
                "E430", "the text this overlay was written against is unknown", file=rel(path),
                position="/text_sha256", found=obj["text_sha256"], expected=shas[doc_id],
                hint=f"no snapshot ({where}no release under {rel(config.out)}) holds it: re-anchor the ops by hand "
                     f"and set text_sha256 to {shas[doc_id]}, or restore the release or snapshot and rerun rebase"))
            continue
        result = rebase_overlay(obj, old, texts[doc_id])
        entry = FileReport(path, result)
        if result.resolved and write:
            _write_json(path, result.obj)
            entry.written = True
        report.files.append(entry)
        report.problems += _problems(rel(path), result)
    return report


__all__ = ["CONTEXT", "FileReport", "OpResult", "RebaseReport", "RebaseResult", "SpanResult",
           "find_old_text", "rebase", "rebase_overlay", "rebase_spans", "save_snapshot"]
