"""The dataset card (README.md with YAML) and DATASHEET.md, rendered from the build's
own figures so the prose can never disagree with the release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ..stages.dedup import NEAR_THRESHOLD
from ..stages.splits import BOUNDS
from ..text.rules import RULES
from .answers import load_answers
from .citation import bibtex
from .manifest import CREATORS
from .rows import iob_names

DROPPED_TABLE_LIMIT = 200  # dropped duplicates listed one by one in the datasheet (all are in manifest.json)


def yaml_header(context: Mapping[str, Any], configs: list[dict[str, Any]], infos: list[dict[str, Any]]) -> str:
    ds = context["dataset"]
    meta = {
        "pretty_name": ds["pretty_name"],
        "language": [ds["language"]],
        "license": "other",
        "license_name": ds["license_name"],
        "license_link": ds["license_link"],
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "size_categories": [_size_category(context["counts"]["documents"])],
        "annotations_creators": context["annotations_creators"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "source_datasets": ["original"],
        "tags": sorted({"named-entity-recognition", "provenance", "spacy"} | set(context["keywords"])),
        "configs": configs,
        "dataset_info": infos,
    }
    body = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{body}---\n"


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return name
    return "n>1M"


def annotations_creators(manifest: Mapping[str, Any]) -> list[str]:
    """The card's ``annotations_creators``: machine-generated when model entities are
    released, plus what each annotator's declared kind makes of it (``other`` if none)."""
    found = {CREATORS.get(a.get("kind") or "", "other") for a in manifest.get("annotators", [])}
    if manifest["counts"]["entities_by_source"].get("model", 0):
        found.add("machine-generated")
    return sorted(found) or ["no-annotation"]


def review(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """What the templates may say about the review, from the build's facts only."""
    cov = manifest["coverage"]
    annotators = manifest.get("annotators", [])
    kinds = sorted({a.get("kind") or "undeclared" for a in annotators})
    gold = manifest.get("gold") or {}
    return {
        "complete": cov["documents"] > 0 and cov["complete"] == cov["documents"] and cov["unreviewed"] == 0,
        "none": not manifest["overlays"]["files"],
        "annotators": annotators,
        "kinds": kinds,
        "adjudications": sum(a["decisions"] for a in manifest["overlays"].get("adjudications", [])),
        "double_annotated": sorted({d for pair in gold.get("agreement", []) for d in pair.get("documents", [])}),
    }


def card_context(config: Any, manifest: Mapping[str, Any], stats: Any) -> dict[str, Any]:
    """Template variables; every figure is taken from the manifest or the documents,
    every sentence about the corpus from its authors' answers (card/)."""
    c = manifest["counts"]
    m = manifest["model"]
    return {
        "dataset": dict(vars(config.dataset)) | {"language": config.language},
        "answers": load_answers(config.card),
        "annotations_creators": annotations_creators(manifest),
        "review": review(manifest),
        "keywords": list(manifest["citation"].get("keywords") or []),
        "agencies_configured": list(config.agencies),
        "split_salt": config.salt,
        "own_labels": config.labels is not None,
        "label_map": dict(config.label_map),
        "split_bounds": BOUNDS,
        "split_pins": dict(sorted(config.split_pins.items())),
        "model": {k: m[k] for k in ("name", "version", "spacy_version", "sha256", "components", "sentence_segmenter")},
        "counts": {"documents": c["documents"], "sentences": c["sentences"], "tokens": c["tokens"],
                   "entities": c["entities"], "entities_model": c["entities_by_source"].get("model", 0),
                   "entities_manual": c["entities_by_source"].get("manual", 0),
                   "entities_adjudication": c["entities_by_source"].get("adjudication", 0)},
        "splits": [{"name": name, **s} for name, s in c["splits"].items()],
        "labels": [{"label": label, **v} for label, v in c["entities_by_label"].items()],
        "ner_tag_names": iob_names(manifest["labels"]),
        "rules": [{"name": r.name, "description": r.description, **manifest["normalization"][r.name]} for r in RULES],
        "documents": stats.table,  # the first DOCUMENT_TABLE_LIMIT documents
        "documents_undated": c["documents_undated"],
        "documents_listed_all": len(stats.table) == c["documents"],
        "overlays": manifest["overlays"] | {"ops": sum(manifest["overlays"]["ops_by_kind"].values())},
        "libraries": manifest["libraries"],
        "bibtex": bibtex(manifest["citation"]),
        "near_duplicates": manifest["near_duplicates"],
        "dedup": manifest["dedup"],
        "dropped_listed": manifest["dedup"]["dropped"][:DROPPED_TABLE_LIMIT],
        "near_threshold": NEAR_THRESHOLD,
        "coverage": manifest["coverage"],
        "gold": stats.gold.tables(),
    }
