"""``browse``: the static site of a release, with the model's own entities beside
the published ones (the model the release names, another one, or a predictions
file) and, with ``compare``, the changes since an older release."""

from __future__ import annotations

from pathlib import Path

from ..browse.site import ModelLayer, Site, build_site, checked_release
from ..catalogue import error
from ..errors import rel
from .evaluate import Gold, predict, read_predictions


def model_layer(folder: Path, model: str | None, predictions: Path | None) -> ModelLayer:
    """The model's entities for every document of the release in ``folder``."""
    release, _ = checked_release(folder)
    documents = [{"doc_id": d, "text": row["text"]} for d, row in release.documents.items()]
    gold = Gold(rel(folder), str(release.manifest["version"]), "all", tuple(release.labels), documents)
    if predictions is not None:
        return ModelLayer(rel(predictions), read_predictions(predictions, gold))
    recorded = release.manifest["model"]
    spans, name = predict(gold, model or recorded["name"])
    note = "" if name == f"{recorded['name']} {recorded['version']}" else \
        f"The model shown ({name}) is not the one this release was built with ({recorded['name']} {recorded['version']})."
    return ModelLayer(name, spans, note)


def browse(release: Path, out: Path, *, compare: Path | None = None, model: str | None = None,
           predictions: Path | None = None, no_model: bool = False, page_size: int | None = None) -> Site:
    """Write the site of ``release`` into ``out``."""
    if sum((model is not None, predictions is not None, no_model)) > 1:
        raise error("E742")
    layer = None if no_model else model_layer(release, model, predictions)
    kwargs = {"page_size": page_size} if page_size else {}
    return build_site(release, out, compare=compare, model=layer, **kwargs)
