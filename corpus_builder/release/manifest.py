"""manifest.json: what a release was built from (input hashes, model identity,
library versions, settings) and what it holds (counts). No timestamps: the same
inputs give the same bytes. Every figure is read from the typed
:class:`~corpus_builder.pipeline.BuildStats` of the build and its
:class:`~corpus_builder.release.stats.ReleaseStats`."""

from __future__ import annotations

import platform
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from ..config import SCHEMA_VERSION
from ..io import sha256_file
from ..stages.dedup import NEAR_THRESHOLD
from ..text.rules import RULES
from .citation import citation_data
from .stats import ReleaseStats

if TYPE_CHECKING:
    from ..config import BuildConfig
    from ..pipeline import PipelineResult

LIBRARIES = ("corpus-builder", "spacy", "datasets", "pyarrow", "ftfy", "jsonschema", "jinja2", "pyyaml")


def library_versions() -> dict[str, str]:
    found = {"python": ".".join(platform.python_version_tuple()[:2])}
    found.update({name: version(name) for name in LIBRARIES})
    return found


def dedup_facts(result: PipelineResult, config: BuildConfig) -> dict[str, Any]:
    """What dedup decided: the policy, every dropped document with what it duplicates,
    the clusters made one split group, and the near-duplicate pairs that cross splits."""
    d = result.stats.dedup
    return {"exact": config.dedup.exact, "near": config.dedup.near, "near_threshold": NEAR_THRESHOLD,
            "kept": d.counts["kept"], "exact_duplicates": d.counts["exact_duplicates"],
            "near_duplicate_pairs": len(d.near), "dropped": d.dropped,
            "clusters": d.clusters, "cross_split_near_pairs": d.cross_split_pairs}


def manifest(result: PipelineResult, config: BuildConfig, stats: ReleaseStats) -> dict[str, Any]:
    built = result.stats
    normalize, ner, overlays = built.normalize, built.ner, built.overlays
    ds = config.dataset
    return {
        "name": ds.name,
        "version": ds.version,
        "date_released": ds.date_released,
        "schema_version": SCHEMA_VERSION,
        "citation": citation_data(config),
        "model": result.model.to_json(),
        "model_pinned": {"sha256": config.model_sha256, "matches": result.model.sha256 == config.model_sha256},
        "settings": {"model": config.model, "batch_size": config.batch_size, "max_length": config.max_length,
                     "split_pins": dict(sorted(config.split_pins.items()))},
        "libraries": library_versions(),
        "inputs": {
            "seeds": [{"file": f, "sha256": sha.hex()} for f, sha in stats.seeds],
            "annotations": [{"file": o.file.rsplit("/", 1)[-1], "sha256": o.sha256} for o in result.overlays],
            "config": {"file": "corpus.toml", "sha256": sha256_file(config.root / "corpus.toml")},
            "overlay_schema": {"file": "schema/overlay.schema.json", "sha256": sha256_file(config.schema_dir / "overlay.schema.json")},
            "annotators": {"file": "annotators.json", "sha256": sha256_file(config.annotations / "annotators.json")}
            if (config.annotations / "annotators.json").is_file() else None,
        },
        "counts": stats.counts(),
        "normalization": {r.name: {"edits": normalize.edits[r.name], "documents": normalize.documents[r.name]}
                          for r in RULES},
        "ner": {k: ner.counts[k] for k in sorted(ner.counts)},
        "near_duplicates": built.dedup.near,
        "dedup": dedup_facts(result, config),
        "warnings": [w.format() for w in result.warnings],
        "overlays": {"files": len(result.overlays),
                     "annotators": sorted({o.annotator for o in result.overlays}),
                     "ops_by_kind": {k: overlays.counts[k] for k in
                                     ("accept", "add", "remove", "relabel", "resize", "set_metadata")},
                     "ops_by_status": {k: overlays.status[k] for k in ("needed", "redundant", "stale")},
                     "adjudications": [{"file": a.file.rsplit("/", 1)[-1], "sha256": a.sha256,
                                        "decisions": len(a.decisions)} for a in result.adjudications]},
        "coverage": vars(overlays.coverage),
        "gold": stats.gold.to_json(),
    }
