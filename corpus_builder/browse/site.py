"""The static site of one release: ``index.html`` (+ ``index-<n>.html`` pages),
``doc/<doc_id>.html`` per document, ``assets/`` (one CSS and one JS file) and
``site.json`` (what was read, what was written).

The release is read only after each file read has the sha256 its ``SHA256SUMS``
lists (as ``export`` does). Every page is self-contained but for the two local
assets: nothing is fetched from the network, links to Wikidata are plain links.
A page lists a bounded number of documents (``page_size``) and a document page
holds only that document, so the site grows linearly with the corpus.
The site is written into a staging folder and moved into place when complete; an
existing ``--out`` is replaced only if it is a site this command wrote.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..catalogue import error
from ..config import SPLITS
from ..errors import rel
from ..io import sha256_file, write_json
from ..quality.metrics import FALSE_NEGATIVE, ModelError, Span, model_quality
from ..release.diff import DocumentDiff, ReleaseDiff, diff_releases, offset_map
from ..release.export import CheckedRelease
from ..release.read import Release, read_release
from .markup import color, pieces

HERE = Path(__file__).parent
PAGE_SIZE = 100  # documents per index page
RECORD = "site.json"
ASSETS = ("browse.css", "browse.js")
WIKIDATA = "https://www.wikidata.org/wiki/"


@dataclass(frozen=True)
class ModelLayer:
    """The model's own entities for every document (``actions.browse`` runs it)."""

    name: str  # name and version
    spans: dict[str, list[Span]]  # doc_id -> spans
    note: str = ""  # e.g. that it differs from the model the release records


@dataclass
class Site:
    out: Path
    documents: int
    pages: int
    bytes: int
    record: dict[str, Any] = field(default_factory=dict)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.globals["color"] = color
    return env


def checked_release(folder: Path) -> tuple[Release, str]:
    """The release, read after its manifest, card and document files match
    ``SHA256SUMS``; and the sha256 of ``SHA256SUMS``."""
    checked = CheckedRelease(folder)
    for name in ("manifest.json", "README.md", *(n for s in SPLITS for n in checked.shards("documents", s))):
        checked.path(name)
    return read_release(checked.folder), checked.sums_sha256


# --- one document -------------------------------------------------------------------

def _refs(row: dict[str, Any], e: dict[str, Any]) -> list[dict[str, str]]:
    """Each op behind an entity: its id, annotator, overlay file (by the naming of
    docs/data-format.md: an adjudicated entity's first op is the decision) and sha256."""
    ops = (e["op_ids"] or "").split()
    digests = (e["overlay_sha256"] or "").split()
    out = []
    for i, (op, digest) in enumerate(zip(ops, digests)):
        annotator = op.split("/", 1)[0]
        decision = e["source"] == "adjudication" and i == 0
        file = f"annotations/adjudication/{row['doc_id']}.json" if decision else \
            f"annotations/{row['doc_id']}.{annotator}.json"
        out.append({"op_id": op, "annotator": annotator, "file": file, "sha256": digest})
    return out


def _entities(row: dict[str, Any], labels: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for i, e in enumerate(row["entities"]):
        label = labels[e["label"]]
        kb = e["kb_id"]
        out.append({"i": i, "start": e["start"], "end": e["end"], "text": e["text"], "label": label,
                    "color": color(label), "kb_id": kb, "kb_url": WIKIDATA + kb if kb and kb != "NIL" else None,
                    "source": e["source"], "model": e["model"], "annotators": (e["annotators"] or "").split(),
                    "refs": _refs(row, e), "reviewed": bool(e["op_ids"])})
    return out


def _mark(prefix: str, i: int, label: str, cls: str, tip: str) -> dict[str, Any]:
    return {"ref": f"{prefix}-{i}", "label": label, "color": color(label), "cls": cls, "tip": tip}


def _model_view(row: dict[str, Any], entities: list[dict[str, Any]], model: list[Span],
                sentence_starts: list[int]) -> dict[str, Any]:
    """The model's entities against the published ones, each error as ``report`` counts it."""
    gold: list[Span] = [(e["start"], e["end"], e["label"]) for e in entities]
    errors = list(model_quality([(row["doc_id"], row["text"], gold, model)]).errors)
    by_model: dict[tuple[int, int, str], ModelError] = {}
    missed: dict[tuple[int, int], ModelError] = {}
    for err in errors:
        if err.kind == FALSE_NEGATIVE:
            missed[(err.start, err.end)] = err
        else:
            by_model[(err.start, err.end, err.predicted or "")] = err
    model_sorted = sorted(model)
    model_marks = []
    for j, (s, e, label) in enumerate(model_sorted):
        err = by_model.get((s, e, label))
        kind = err.kind if err else "match"
        model_marks.append((s, e, _mark("m", j, label, f"err-{kind}", f"model {label}: {kind.replace('_', ' ')}")))
    gold_marks = [(g["start"], g["end"], _mark("g", g["i"], g["label"],
                                               "err-false_negative" if (g["start"], g["end"]) in missed else "",
                                               f"gold {g['label']}" + (": missed by the model"
                                                                       if (g["start"], g["end"]) in missed else "")))
                  for g in entities]
    return {"model": pieces(row["text"], model_marks, sentence_starts),
            "gold": pieces(row["text"], gold_marks, sentence_starts),
            "entities": [{"i": j, "start": s, "end": e, "text": row["text"][s:e], "label": label,
                          "kind": by_model[(s, e, label)].kind if (s, e, label) in by_model else "match"}
                         for j, (s, e, label) in enumerate(model_sorted)],
            "errors": errors, "counts": dict(sorted(Counter(err.kind for err in errors).items()))}


def _diff_view(row: dict[str, Any], entities: list[dict[str, Any]], d: DocumentDiff | None,
               new_document: bool, sentence_starts: list[int]) -> dict[str, Any]:
    """The entities added, relabelled and resized since the older release, marked on
    this release's text (raw spans mapped back through the edits); removed ones listed."""
    kinds: dict[int, str] = {}
    if d is not None:
        m = offset_map(row)
        index = {m.to_raw(e["start"], e["end"]): e["i"] for e in entities}
        for kind, key in (("added", "raw_span"), ("relabelled", "raw_span"), ("resized", "new_raw_span")):
            for item in getattr(d, kind):
                i = index.get(tuple(item[key]))
                if i is not None:
                    kinds[i] = kind
    elif new_document:
        kinds = {e["i"]: "added" for e in entities}
    marks = [(e["start"], e["end"], _mark("g", e["i"], e["label"], f"diff-{kinds[e['i']]}" if e["i"] in kinds else "",
                                          f"{e['label']}: {kinds.get(e['i'], 'unchanged')}")) for e in entities]
    return {"text": pieces(row["text"], marks, sentence_starts), "diff": d, "new_document": new_document,
            "counts": {k: len(getattr(d, k)) if d else (len(entities) if new_document and k == "added" else 0)
                       for k in ("added", "removed", "relabelled", "resized")}}


# --- the site -----------------------------------------------------------------------

def _summary(doc_id: str, row: dict[str, Any], entities: list[dict[str, Any]], view: dict[str, Any] | None,
             diff: dict[str, Any] | None) -> dict[str, Any]:
    reviewed = sum(e["reviewed"] for e in entities)
    return {"doc_id": doc_id, "href": f"doc/{doc_id}.html", "title": row["title"], "split": row["split"],
            "event": row["event"], "published": row["published"], "publisher": row["publisher"],
            "entities": len(entities), "by_source": dict(sorted(Counter(e["source"] for e in entities).items())),
            "labels": sorted({e["label"] for e in entities}), "sources": sorted({e["source"] for e in entities}),
            "reviewed": reviewed, "coverage": f"{reviewed / len(entities):.0%}" if entities else "–",
            "errors": len(view["errors"]) if view else None, "changes": diff["counts"] if diff else None,
            "changed": bool(diff and (diff["new_document"] or diff["diff"]))}


def _write(path: Path, template: str, **context: Any) -> int:
    text = _env().get_template(template).render(**context)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def _staging(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / RECORD).is_file())):
        raise error("E741", file=rel(out), record=RECORD)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "doc").mkdir(parents=True)
    (tmp / "assets").mkdir()
    return tmp


def build_site(release: Path, out: Path, *, compare: Path | None = None, model: ModelLayer | None = None,
               page_size: int = PAGE_SIZE) -> Site:
    """Write the site of ``release`` into ``out``; ``compare``: an older release whose
    changes each page shows; ``model``: the model's own entities (model vs gold)."""
    release, out = Path(release), Path(out)
    for folder in (release, compare):
        if folder is not None and out.resolve().is_relative_to(Path(folder).resolve()):
            raise error("E740", file=rel(out), release=rel(Path(folder)))
    rel_, sums = checked_release(release)
    diff: ReleaseDiff | None = None
    old_sums = None
    if compare is not None:
        _, old_sums = checked_release(compare)
        diff = diff_releases(compare, release)
    labels = rel_.labels
    version = str(rel_.manifest["version"])
    site = {"name": rel_.manifest["name"], "version": version, "model": model.name if model else None,
            "model_note": model.note if model else "", "compare": diff.old if diff else None}
    tmp = _staging(out)
    old = tmp.with_name(tmp.name.replace(".tmp-", ".old-"))
    try:
        total = 0
        for asset in ASSETS:
            shutil.copyfile(HERE / "assets" / asset, tmp / "assets" / asset)
            total += (tmp / "assets" / asset).stat().st_size
        rows: list[dict[str, Any]] = []
        totals: dict[str, Counter[str]] = {k: Counter() for k in ("split", "source", "label", "errors", "changes")}
        for doc_id, row in rel_.documents.items():
            entities = _entities(row, labels)
            starts = [s["start"] for s in row["sentences"]]
            view = _model_view(row, entities, model.spans.get(doc_id, []), starts) if model else None
            dview = None
            if diff is not None:
                dview = _diff_view(row, entities, diff.documents.get(doc_id), doc_id in diff.documents_added, starts)
            summary = _summary(doc_id, row, entities, view, dview)
            rows.append(summary)
            totals["split"][row["split"]] += 1
            totals["source"].update(e["source"] for e in entities)
            totals["label"].update(e["label"] for e in entities)
            if view:
                totals["errors"].update({k: v for k, v in view["counts"].items()})
            if dview:
                totals["changes"].update(dview["counts"])
            text = pieces(row["text"], [(e["start"], e["end"], _mark("g", e["i"], e["label"], "",
                                                                     f"{e['label']} · {e['source']}"))
                                        for e in entities], starts)
            total += _write(tmp / "doc" / f"{doc_id}.html", "document.html.j2", site=site, row=row,
                            summary=summary, entities=entities, text=text, view=view, dview=dview,
                            sentences=len(row["sentences"]), labels=sorted({e["label"] for e in entities}),
                            root="../", index_href=f"../{_page_name((len(rows) - 1) // page_size)}")
        pages = max(1, -(-len(rows) // page_size))
        filters = {"split": [s for s in SPLITS if totals["split"][s]], "label": sorted(totals["label"]),
                   "source": sorted(totals["source"]),
                   "event": sorted({r["event"] for r in rows if r["event"]})}
        corpus = {"documents": len(rows), "entities": sum(totals["label"].values()),
                  "splits": {s: totals["split"][s] for s in filters["split"]},
                  "sources": dict(sorted(totals["source"].items())),
                  "labels": [{"label": k, "n": totals["label"][k], "color": color(k)} for k in filters["label"]],
                  "errors": dict(sorted(totals["errors"].items())) if model else None,
                  "changes": ({**{k: totals["changes"][k] for k in ("added", "removed", "relabelled", "resized")},
                               "documents_added": len(diff.documents_added),
                               "documents_removed": len(diff.documents_removed),
                               "split_moves": len(diff.split_moves), "features": diff.feature_changes,
                               "bump": diff.required_bump()} if diff else None)}
        for p in range(pages):
            total += _write(tmp / _page_name(p), "index.html.j2", site=site, corpus=corpus, filters=filters,
                            rows=rows[p * page_size:(p + 1) * page_size], page=p + 1, pages=pages,
                            page_names=[_page_name(i) for i in range(pages)], first=p * page_size, root="")
        record = {"release": {"folder": rel(release), "version": version, "sha256sums": sums},
                  "compare": {"folder": rel(Path(compare)), "version": diff.old, "sha256sums": old_sums}
                  if diff and compare is not None else None,
                  "model": model.name if model else None, "documents": len(rows), "index_pages": pages,
                  "document_pages": len(rows), "bytes": total}
        write_json(tmp / RECORD, record)
        if out.exists():  # an earlier site: moved aside, so `out` is always a whole site
            os.replace(out, old)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return Site(out, len(rows), pages + len(rows), total, record)


def _page_name(page: int) -> str:
    return "index.html" if page == 0 else f"index-{page + 1}.html"


def site_digest(out: Path) -> dict[str, str]:
    """sha256 of every file of a site (the test of a deterministic rebuild)."""
    return {p.relative_to(out).as_posix(): sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()}
