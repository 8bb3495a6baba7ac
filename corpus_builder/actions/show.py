"""``show``: one document with the entities of one layer (offsets, label, source, op),
so an annotator sees the model's raw output even where overlays exist."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..catalogue import error
from ..config import BuildConfig
from ..errors import CorpusError
from ..records import Entity
from .build import run
from .layers import GOLD, MODEL, annotators_of, layer

if TYPE_CHECKING:
    from spacy.language import Language

FORMATS = ("text", "tsv", "json")


def _row(e: Entity) -> dict[str, object]:
    return {"start": e.start, "end": e.end, "text": e.text, "label": e.label, "source": e.source,
            "kb_id": e.kb_id, "ops": " ".join(map(str, e.refs)) or None}


def show(config: BuildConfig, doc_id: str, which: str = GOLD, fmt: str = "text", nlp: Language | None = None) -> str:
    """The document's text and the ``which`` layer as ``fmt``."""
    result = run(config, nlp)
    if result.problems:
        raise CorpusError(result.problems, warnings=result.warnings)
    doc = next((d for d in result.documents if d.doc_id == doc_id), None)
    if doc is None:
        raise error("E481", position="DOC", found=doc_id, expected=" | ".join(d.doc_id for d in result.documents))
    entities = layer(result, doc, which)
    if entities is None:
        raise error("E481:layer", position="--layer", found=which,
                    expected=" | ".join([MODEL, GOLD, *annotators_of(result, doc_id)]))
    rows = [_row(e) for e in entities]
    if fmt == "json":
        return json.dumps({"doc_id": doc.doc_id, "text_sha256": doc.text_sha256, "layer": which,
                           "text": doc.text, "entities": rows}, ensure_ascii=False, indent=2)
    header = ["start", "end", "label", "text", "source", "kb_id", "ops"]
    lines = ["\t".join(header)] + ["\t".join("" if r[k] is None else str(r[k]).replace("\t", " ").replace("\n", "\\n")
                                            for k in header) for r in rows]
    if fmt == "tsv":
        return "\n".join(lines)
    return (f"{doc.doc_id} (text_sha256 {doc.text_sha256}), layer {which}: {len(rows)} entities\n\n"
            f"{doc.text}\n\n" + "\n".join(lines))
