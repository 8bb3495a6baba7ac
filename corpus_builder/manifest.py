"""manifest.json: what a release was built from (input hashes, model identity,
library versions, settings) and what it holds (counts). No timestamps: the same
inputs give the same bytes."""

from __future__ import annotations

import hashlib
import platform
from collections import Counter
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from .citation import citation_data
from .config import SCHEMA_VERSION, SPLITS
from .gold import GoldStats
from .normalize import RULES

if TYPE_CHECKING:
    from .config import BuildConfig
    from .document import Document
    from .pipeline import Corpus

LIBRARIES = ("corpus-builder", "spacy", "datasets", "pyarrow", "ftfy", "jsonschema", "jinja2", "pyyaml")


def library_versions() -> dict[str, str]:
    found = {"python": ".".join(platform.python_version_tuple()[:2])}
    found.update({name: version(name) for name in LIBRARIES})
    return found


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DOCUMENT_TABLE_LIMIT = 200  # documents listed one by one in the datasheet


class ReleaseStats:
    """Figures of a release, accumulated one document at a time (a build streams)."""

    def __init__(self, labels: tuple[str, ...] | list[str]):
        self.labels = list(labels)
        self.totals: Counter[str] = Counter()
        self.by_source: Counter[str] = Counter()
        self.by_label = {label: Counter() for label in self.labels}
        self.splits = {s: {"documents": 0, "sentences": 0, "tokens": 0, "entities": 0, "doc_ids": [], "groups": set()}
                       for s in SPLITS}
        self.seeds: list[tuple[str, bytes]] = []  # (file, sha256 digest): compact, as every document adds one
        self.table: list[dict[str, Any]] = []  # the first DOCUMENT_TABLE_LIMIT documents
        self.gold = GoldStats()

    def add(self, doc: "Document") -> None:
        t = self.totals
        t["documents"] += 1
        t["sentences"] += len(doc.sentences)
        t["tokens"] += len(doc.tokens)
        t["characters"] += len(doc.text)
        t["entities"] += len(doc.entities)
        t["model_entities"] += len(doc.model_entities)
        for e in doc.entities:
            self.by_source[e.source] += 1
            self.by_label[e.label][e.source] += 1
        s = self.splits[doc.split]
        s["documents"] += 1
        s["sentences"] += len(doc.sentences)
        s["tokens"] += len(doc.tokens)
        s["entities"] += len(doc.entities)
        s["doc_ids"].append(doc.doc_id)
        s["groups"].add(doc.group)
        self.seeds.append((doc.source_file, bytes.fromhex(doc.raw_sha256)))
        self.gold.add(doc)
        if len(self.table) < DOCUMENT_TABLE_LIMIT:
            m = doc.metadata
            self.table.append({
                "doc_id": doc.doc_id, "source_file": doc.source_file, "title": m.get("title"),
                "published": m.get("published"), "publisher": m.get("publisher"),
                "agencies": list(m.get("agencies") or []), "image_credits": list(m.get("image_credits") or []),
                "event": m.get("event"), "split": doc.split, "characters": len(doc.text), "entities": len(doc.entities),
            })

    def counts(self) -> dict[str, Any]:
        t = self.totals
        return {
            "documents": t["documents"],
            "sentences": t["sentences"],
            "tokens": t["tokens"],
            "characters": t["characters"],
            "entities": t["entities"],
            "entities_by_source": dict(sorted(self.by_source.items())),
            "model_entities": t["model_entities"],
            "entities_by_label": {label: {"model": c["model"], "manual": c["manual"] + c["adjudication"], "total": c.total()}
                                  for label, c in self.by_label.items()},
            "splits": {name: {**{k: v for k, v in s.items() if k != "groups"}, "groups": sorted(s["groups"])}
                       for name, s in self.splits.items()},
        }


def manifest(corpus: "Corpus", config: "BuildConfig", stats: ReleaseStats) -> dict[str, Any]:
    normalize = corpus.stages["normalize"]
    ner = corpus.stages["ner"]
    overlays = corpus.stages["overlays"]
    ds = config.dataset
    return {
        "name": ds.name,
        "version": ds.version,
        "date_released": ds.date_released,
        "schema_version": SCHEMA_VERSION,
        "citation": citation_data(config),
        "model": corpus.model.to_json(),
        "model_pinned": {"sha256": config.model_sha256, "matches": corpus.model.sha256 == config.model_sha256},
        "settings": {"model": config.model, "batch_size": config.batch_size, "max_length": config.max_length,
                     "split_pins": dict(sorted(config.split_pins.items()))},
        "libraries": library_versions(),
        "inputs": {
            "seeds": [{"file": f, "sha256": sha.hex()} for f, sha in stats.seeds],
            "annotations": [{"file": o.file.rsplit("/", 1)[-1], "sha256": o.sha256} for o in corpus.overlays],
            "config": {"file": "corpus.toml", "sha256": _sha(config.root / "corpus.toml")},
            "overlay_schema": {"file": "schema/overlay.schema.json", "sha256": _sha(config.schema_dir / "overlay.schema.json")},
            "annotators": {"file": "annotators.json", "sha256": _sha(config.annotations / "annotators.json")}
            if (config.annotations / "annotators.json").is_file() else None,
        },
        "counts": stats.counts(),
        "normalization": {r.name: {"edits": normalize.edits[r.name], "documents": normalize.documents[r.name]}
                          for r in RULES},
        "ner": {k: ner.counts[k] for k in sorted(ner.counts)},
        "near_duplicates": corpus.stages["dedup"].near,
        "warnings": [w.format() for w in corpus.warnings],
        "overlays": {"files": len(corpus.overlays),
                     "annotators": sorted({o.annotator for o in corpus.overlays}),
                     "ops_by_kind": {k: overlays.counts[k] for k in
                                     ("accept", "add", "remove", "relabel", "resize", "set_metadata")},
                     "ops_by_status": {k: overlays.status[k] for k in ("needed", "redundant", "stale")},
                     "adjudications": [{"file": a.file.rsplit("/", 1)[-1], "sha256": a.sha256,
                                        "decisions": len(a.decisions)} for a in corpus.adjudications]},
        "coverage": vars(overlays.coverage),
        "gold": stats.gold.to_json(),
    }
