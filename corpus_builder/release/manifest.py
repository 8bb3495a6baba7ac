"""manifest.json: what a release was built from (input hashes, model identity,
library versions, settings) and what it holds (counts). No timestamps: the same
inputs give the same bytes. Every figure is read from the typed
:class:`~corpus_builder.pipeline.BuildStats` of the build and its
:class:`~corpus_builder.release.stats.ReleaseStats`."""

from __future__ import annotations

import json
import platform
from collections import Counter
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from ..config import SCHEMA_VERSION
from ..io import sha256_file
from ..stages.dedup import NEAR_THRESHOLD
from ..text.rules import RULES
from .answers import read_answer
from .citation import citation_data
from ..escape import plain
from .prose import block
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


KIND_NAMES = {"human-expert": "human expert", "crowd": "crowd worker", "ai-agent": "AI agent", "model": "model"}

# annotators.json `kind` -> the Hugging Face card's `annotations_creators` value
CREATORS = {"human-expert": "expert-generated", "crowd": "crowdsourced", "ai-agent": "machine-generated",
            "model": "machine-generated"}


def kind_summary(annotators: list[dict[str, Any]]) -> str:
    """``4 AI agents``, ``1 human expert and 2 AI agents``: who annotated, by declared kind."""
    counts = Counter(KIND_NAMES.get(a.get("kind") or "", "annotator of undeclared kind") for a in annotators)
    parts = [f"{n} {name}{'' if n == 1 else 's'}" for name, n in sorted(counts.items())]
    return " and ".join(", ".join(parts[:-1]) and [", ".join(parts[:-1]), parts[-1]] or parts[-1:])


def annotators(config: BuildConfig, ids: set[str]) -> list[dict[str, Any]]:
    """The registry entries (id, name, kind) of the annotators behind this release's
    overlays and adjudications, from annotations/annotators.json (validated by the build);
    an entry without a declared kind has kind null."""
    path = config.annotations / "annotators.json"
    registry = {a["id"]: a for a in json.loads(path.read_text(encoding="utf-8")).get("annotators", [])} if path.is_file() else {}
    return [{"id": i, "name": registry.get(i, {}).get("name", i), "kind": registry.get(i, {}).get("kind")}
            for i in sorted(ids)]


def manifest(result: PipelineResult, config: BuildConfig, stats: ReleaseStats) -> dict[str, Any]:
    man = _manifest(result, config, stats)
    # the citation's abstract: the authors' words (corpus.toml [citation].abstract), then the build's facts
    facts = block("croissant.txt.j2", "abstract_facts", version=man["version"], counts=man["counts"],
                  coverage=man["coverage"], annotators=man["annotators"], kind_summary=kind_summary(man["annotators"]))
    summary = read_answer(config.card / "summary.md")
    authors = man["citation"]["abstract"].strip() or (plain(summary) if summary else "")
    man["citation"]["abstract"] = f"{authors} {facts}" if authors else facts
    return man


def _manifest(result: PipelineResult, config: BuildConfig, stats: ReleaseStats) -> dict[str, Any]:
    built = result.stats
    normalize, ner, overlays = built.normalize, built.ner, built.overlays
    ds = config.dataset
    return {
        "name": ds.name,
        "version": ds.version,
        "date_released": ds.date_released,
        "schema_version": SCHEMA_VERSION,
        "language": config.language,
        "licenses": {"text": ds.text_license, "text_name": ds.license_name, "text_link": ds.license_link,
                     "annotations": ds.annotations_license},
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
        "annotators": annotators(config, {o.annotator for o in result.overlays}
                                 | {a.adjudicator for a in result.adjudications}),
        "labels": list(stats.labels),
        "gold": stats.gold.to_json(),
    }
