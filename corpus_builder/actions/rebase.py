"""``rebase``: re-anchor a project's overlay files after a normalization rule changed
the text: every op is kept, mapped, ambiguous or orphaned
(:mod:`corpus_builder.annotation.rebase`), and only ``write`` rewrites a file, never
one with an unresolved op."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..annotation.overlay import ANNOTATORS_FILE
from ..annotation.rebase import OpResult, RebaseResult, SpanResult, rebase_overlay
from ..annotation.snapshots import find_old_text
from ..catalogue import problem
from ..config import BuildConfig
from ..errors import Problem, rel
from ..io import sha256_text, write_json
from ..stages.ingest import Ingest
from ..stages.normalize import Normalizer


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
        if r.outcome == "ambiguous":
            cands = ", ".join(f"[{p}, {p + len(r.quote)})" for p in r.candidates)
            problems.append(problem("E431", file=name, position=where, op_id=op.op_id, found=cands, expected=r.quote,
                                    count=len(r.candidates), sha256=result.new_sha256))
        else:
            problems.append(problem("E432", file=name, position=where, op_id=op.op_id, expected=r.quote,
                                    sha256=result.new_sha256))
    return problems


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
    for doc in (normalizer or Normalizer(agencies=config.agencies))(Ingest(config.seeds, config.seed_file_bytes)()):
        if doc.doc_id in wanted:
            texts[doc.doc_id] = doc.text
    shas = {doc_id: sha256_text(text) for doc_id, text in texts.items()}
    for path, obj in overlays:
        doc_id = obj.get("doc_id")
        if doc_id not in texts:
            report.skipped.append(f"{rel(path)} skipped: no current text for doc_id {doc_id!r} "
                                  "(unknown or refused document; `corpus-builder validate` says why)")
            continue
        if obj["text_sha256"] == shas[doc_id]:
            report.up_to_date.append(path)
            continue
        old = find_old_text(obj["text_sha256"], config.cache, config.out)
        if old is None:
            where = f"{rel(config.cache / 'texts')} or " if config.cache is not None else ""
            report.files.append(FileReport(path))
            report.problems.append(problem("E430", file=rel(path), position="/text_sha256", found=obj["text_sha256"],
                                           expected=shas[doc_id], snapshots=where, out=rel(config.out),
                                           sha256=shas[doc_id]))
            continue
        result = rebase_overlay(obj, old, texts[doc_id])
        entry = FileReport(path, result)
        if result.resolved and write:
            write_json(path, result.obj, atomic=True)  # the old overlay or the whole new one, never half
            entry.written = True
        report.files.append(entry)
        report.problems += _problems(rel(path), result)
    return report
