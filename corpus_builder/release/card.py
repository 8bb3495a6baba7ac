"""The dataset card (README.md with YAML) and DATASHEET.md, rendered from the build's
own figures so the prose can never disagree with the release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ..stages.dedup import NEAR_THRESHOLD
from ..stages.splits import RULE_TEXT
from ..text.rules import RULES
from .citation import bibtex
from .rows import iob_names

DROPPED_TABLE_LIMIT = 200  # dropped duplicates listed one by one in the datasheet (all are in manifest.json)


def yaml_header(context: Mapping[str, Any], configs: list[dict[str, Any]], infos: list[dict[str, Any]]) -> str:
    ds = context["dataset"]
    meta = {
        "pretty_name": ds["pretty_name"],
        "language": ["en"],
        "license": "other",
        "license_name": ds["license_name"],
        "license_link": ds["license_link"],
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "size_categories": [_size_category(context["counts"]["documents"])],
        "annotations_creators": ["machine-generated", "expert-generated"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "source_datasets": ["original"],
        "tags": ["news", "named-entity-recognition", "provenance", "spacy"],
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


def card_context(config: Any, manifest: Mapping[str, Any], stats: Any) -> dict[str, Any]:
    """Template variables; every figure is taken from the manifest or the documents."""
    c = manifest["counts"]
    m = manifest["model"]
    return {
        "dataset": dict(vars(config.dataset)),
        "model": {k: m[k] for k in ("name", "version", "spacy_version", "sha256", "components", "sentence_segmenter")},
        "counts": {"documents": c["documents"], "sentences": c["sentences"], "tokens": c["tokens"],
                   "entities": c["entities"], "entities_model": c["entities_by_source"].get("model", 0),
                   "entities_manual": c["entities_by_source"].get("manual", 0),
                   "entities_adjudication": c["entities_by_source"].get("adjudication", 0)},
        "splits": [{"name": name, **s} for name, s in c["splits"].items()],
        "labels": [{"label": label, **v} for label, v in c["entities_by_label"].items()],
        "ner_tag_names": iob_names(m["labels"]),
        "rules": [{"name": r.name, "description": r.description, **manifest["normalization"][r.name]} for r in RULES],
        "documents": stats.table,  # the first DOCUMENT_TABLE_LIMIT documents
        "documents_listed_all": len(stats.table) == c["documents"],
        "overlays": manifest["overlays"] | {"ops": sum(manifest["overlays"]["ops_by_kind"].values())},
        "libraries": manifest["libraries"],
        "split_rule": RULE_TEXT,
        "bibtex": bibtex(manifest["citation"]),
        "near_duplicates": manifest["near_duplicates"],
        "dedup": manifest["dedup"],
        "dropped_listed": manifest["dedup"]["dropped"][:DROPPED_TABLE_LIMIT],
        "near_threshold": NEAR_THRESHOLD,
        "coverage": manifest["coverage"],
        "gold": stats.gold.tables(),
    }
