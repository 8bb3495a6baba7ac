"""Figures of a release, accumulated one document at a time as the build streams
(the manifest, card and datasheet read them)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..config import SPLITS
from ..quality.gold import GoldStats
from ..records import Document

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
        self.by_split_label = {s: Counter() for s in SPLITS}  # split -> label -> entities (the plots)
        self.per_document: Counter[int] = Counter()  # entities in a document -> documents

    def add(self, doc: Document) -> None:
        t = self.totals
        t["documents"] += 1
        t["sentences"] += len(doc.sentences)
        t["tokens"] += len(doc.tokens)
        t["characters"] += len(doc.text)
        t["entities"] += len(doc.entities)
        t["model_entities"] += len(doc.model_entities)
        t["documents_undated"] += not doc.metadata.get("published")
        for e in doc.entities:
            self.by_source[e.source] += 1
            self.by_label[e.label][e.source] += 1
            self.by_split_label[doc.split][e.label] += 1
        self.per_document[len(doc.entities)] += 1
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
                "published": m.get("published"), "published_precision": m.get("published_precision"),
                "published_evidence": m.get("published_evidence"), "publisher": m.get("publisher"),
                "agencies": list(m.get("agencies") or []), "image_credits": list(m.get("image_credits") or []),
                "event": m.get("event"), "split": doc.split, "characters": len(doc.text), "entities": len(doc.entities),
            })

    def merge(self, other: ReleaseStats) -> None:
        """Another part's figures (a shard task's), added after this one's documents."""
        self.totals.update(other.totals)
        self.by_source.update(other.by_source)
        for label, counter in other.by_label.items():
            self.by_label[label].update(counter)
        for name, theirs in other.splits.items():
            ours = self.splits[name]
            for key in ("documents", "sentences", "tokens", "entities"):
                ours[key] += theirs[key]
            ours["doc_ids"] += theirs["doc_ids"]
            ours["groups"] |= theirs["groups"]
        self.seeds += other.seeds
        self.table += other.table[:DOCUMENT_TABLE_LIMIT - len(self.table)]
        self.gold.merge(other.gold)
        for split, counter in other.by_split_label.items():
            self.by_split_label[split].update(counter)
        self.per_document.update(other.per_document)

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
            "documents_undated": t["documents_undated"],
            # one column per source, so each row and each column adds up to its total
            "entities_by_label": {label: {"model": c["model"], "manual": c["manual"], "adjudication": c["adjudication"],
                                          "total": c.total()}
                                  for label, c in self.by_label.items()},
            "splits": {name: {**{k: v for k, v in s.items() if k != "groups"}, "groups": sorted(s["groups"])}
                       for name, s in self.splits.items()},
        }
