"""Entity layers of a document beyond the release's: the model's raw output, one
annotator's, or the current layer without one reviser's own revision (what that
reviser's tool showed). Each is the overlays stage run again on a chosen subset of
the overlays, so it follows exactly the rules the build applies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..annotation.overlay import Overlay
from ..pipeline import PipelineResult
from ..records import Document, Entity
from ..stages.overlays import Overlays

MODEL, GOLD, CURRENT = "model", "gold", "current"


def layer_with(result: PipelineResult, doc: Document, keep: Callable[[Overlay], bool]) -> list[Entity]:
    """The layer the build would make for ``doc`` from the overlays ``keep`` selects."""
    chosen = [ov for ov in result.overlays if ov.doc_id == doc.doc_id and keep(ov)]
    adjudications = [a for a in result.adjudications if a.doc_id == doc.doc_id]
    copy = replace(doc, entities=[], layers={}, metadata=dict(doc.metadata),
                   metadata_sources=dict(doc.metadata_sources), sentences=list(doc.sentences))
    Overlays(chosen, result.model.labels, adjudications).apply(copy)
    return copy.entities


def annotators_of(result: PipelineResult, doc_id: str) -> list[str]:
    return sorted({ov.annotator for ov in result.overlays if ov.doc_id == doc_id})


def layer(result: PipelineResult, doc: Document, name: str) -> list[Entity] | None:
    """``model``, ``gold``/``current`` (the release's) or an annotator's own (their
    independent review of the model, then their revisions); None: no such layer."""
    if name == MODEL:
        return list(doc.model_entities)
    if name in (GOLD, CURRENT):
        return list(doc.entities)
    if name not in annotators_of(result, doc.doc_id):
        return None
    return layer_with(result, doc, lambda ov: ov.annotator == name)
