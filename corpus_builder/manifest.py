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
from .normalize import RULES

if TYPE_CHECKING:
    from .config import BuildConfig
    from .pipeline import Corpus

LIBRARIES = ("corpus-builder", "spacy", "datasets", "pyarrow", "ftfy", "jsonschema", "jinja2", "pyyaml")


def library_versions() -> dict[str, str]:
    found = {"python": ".".join(platform.python_version_tuple()[:2])}
    found.update({name: version(name) for name in LIBRARIES})
    return found


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(corpus: "Corpus", split_sizes: dict[tuple[str, str], int]) -> dict[str, Any]:
    docs = corpus.documents
    labels = corpus.model.labels
    by_label = {label: Counter() for label in labels}
    for d in docs:
        for e in d.entities:
            by_label[e.label][e.source] += 1
    per_split = {}
    for split in SPLITS:
        ds = [d for d in docs if d.split == split]
        per_split[split] = {
            "documents": len(ds),
            "sentences": split_sizes[("ner", split)],
            "tokens": sum(len(d.tokens) for d in ds),
            "entities": sum(len(d.entities) for d in ds),
            "doc_ids": [d.doc_id for d in ds],
            "groups": sorted({d.group for d in ds}),
        }
    return {
        "documents": len(docs),
        "sentences": sum(len(d.sentences) for d in docs),
        "tokens": sum(len(d.tokens) for d in docs),
        "characters": sum(len(d.text) for d in docs),
        "entities": sum(len(d.entities) for d in docs),
        "entities_by_source": dict(sorted(Counter(e.source for d in docs for e in d.entities).items())),
        "model_entities": sum(len(d.model_entities) for d in docs),
        "entities_by_label": {label: {"model": c["model"], "manual": c["manual"], "total": c.total()}
                              for label, c in by_label.items()},
        "splits": per_split,
    }


def manifest(corpus: "Corpus", config: "BuildConfig", split_sizes: dict[tuple[str, str], int]) -> dict[str, Any]:
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
            "seeds": [{"file": d.source_file, "sha256": d.raw_sha256} for d in corpus.documents],
            "annotations": [{"file": o.file.rsplit("/", 1)[-1], "sha256": o.sha256} for o in corpus.overlays],
            "config": {"file": "corpus.toml", "sha256": _sha(config.root / "corpus.toml")},
            "overlay_schema": {"file": "schema/overlay.schema.json", "sha256": _sha(config.schema_dir / "overlay.schema.json")},
            "annotators": {"file": "annotators.json", "sha256": _sha(config.annotations / "annotators.json")}
            if (config.annotations / "annotators.json").is_file() else None,
        },
        "counts": counts(corpus, split_sizes),
        "normalization": {r.name: {"edits": normalize.edits[r.name], "documents": normalize.documents[r.name]}
                          for r in RULES},
        "ner": {k: ner.counts[k] for k in sorted(ner.counts)},
        "near_duplicates": corpus.stages["dedup"].near,
        "warnings": [w.format() for w in corpus.warnings],
        "overlays": {"files": len(corpus.overlays),
                     "annotators": sorted({o.annotator for o in corpus.overlays}),
                     "ops_by_kind": {k: overlays.counts[k] for k in ("add", "remove", "relabel", "resize", "set_metadata")}},
    }
