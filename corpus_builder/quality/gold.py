"""The gold layer's evidence: inter-annotator agreement and the model's quality,
gathered from the documents as they stream past (the build, ``agreement`` and
``report`` share this, so their figures cannot drift apart).

Only reviewed documents count: a model entity nobody reviewed is not gold, and
only documents that several annotators reviewed have layers to compare. Memory
grows with the annotated part of a corpus, not with the corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from ..records import Document, Entity
from .metrics import (ALL, Agreement, Quality, Span, agreement, agreement_table, confusion_table, errors_table,
                      model_quality, quality_table)


def spans(entities: list[Entity]) -> list[Span]:
    return [(e.start, e.end, e.label) for e in entities]


class GoldStats:
    def __init__(self) -> None:
        self.reviewed: list[tuple[str, str, list[Span], list[Span]]] = []  # doc_id, text, gold, model
        self.layers: list[tuple[str, dict[str, list[Span]]]] = []

    @classmethod
    def of(cls, documents: Iterable[Document]) -> "GoldStats":
        stats = cls()
        for doc in documents:
            stats.add(doc)
        return stats

    def add(self, doc: Document) -> None:
        if doc.reviewed:
            self.reviewed.append((doc.doc_id, doc.text, spans(doc.entities), spans(doc.model_entities)))
        if len(doc.layers) > 1:
            self.layers.append((doc.doc_id, {a: spans(layer) for a, layer in sorted(doc.layers.items())}))

    def merge(self, other: GoldStats) -> None:
        """Another part's evidence (a shard task's), gathered after this one's documents."""
        self.reviewed += other.reviewed
        self.layers += other.layers

    def agreements(self) -> dict[tuple[str, str], tuple[Agreement, list[str]]]:
        """Every pair of annotators over the documents both reviewed."""
        pairs = sorted({pair for _, layers in self.layers for pair in combinations(sorted(layers), 2)})
        out = {}
        for a, b in pairs:
            docs = [(doc_id, layers[a], layers[b]) for doc_id, layers in self.layers if a in layers and b in layers]
            out[(a, b)] = (agreement((x, y) for _, x, y in docs), [d for d, _, _ in docs])
        return out

    def quality(self) -> Quality:
        return model_quality(self.reviewed)

    def tables(self) -> dict[str, Any]:
        """The Markdown the card, the datasheet and the commands print."""
        q = self.quality()
        return {
            "agreement": [{"a": a, "b": b, "documents": docs, "table": agreement_table(ag),
                           "matched": ag.matched, "label_disagreements": ag.label_disagreements}
                          for (a, b), (ag, docs) in self.agreements().items()],
            "quality": {"documents": q.documents, "table": quality_table(q), "confusion": confusion_table(q),
                        "errors": errors_table(q), "n_errors": len(q.errors)},
        }

    def to_json(self) -> dict[str, Any]:
        """Figures for manifest.json (3 decimals, like the tables)."""
        def prf(x):
            return {"precision": round(x.precision, 3), "recall": round(x.recall, 3), "f1": round(x.f1, 3),
                    "tp": x.tp, "fp": x.fp, "fn": x.fn}
        q = self.quality()
        return {
            "agreement": [{"annotators": [a, b], "documents": docs,
                           "exact_f1": round(ag.exact[ALL].f1, 3), "relaxed_f1": round(ag.relaxed[ALL].f1, 3),
                           "kappa": None if ag.kappa.get(ALL) is None else round(ag.kappa[ALL], 3),
                           "per_label": {k: {"exact": prf(ag.exact[k]), "relaxed_f1": round(ag.relaxed[k].f1, 3),
                                             "kappa": None if ag.kappa.get(k) is None else round(ag.kappa[k], 3)}
                                         for k in sorted(ag.exact) if k != ALL}}
                          for (a, b), (ag, docs) in self.agreements().items()],
            "model_quality": {"documents": q.documents, "overall": prf(q.scores[ALL]) if ALL in q.scores else None,
                              "per_label": {k: prf(v) for k, v in sorted(q.scores.items()) if k != ALL},
                              "errors_by_kind": dict(sorted(Counter(e.kind for e in q.errors).items()))},
        }

