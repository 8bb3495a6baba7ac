"""``agreement`` and ``report``: the gold layer's evidence as the commands print it
(the same tables the card and datasheet quote: one accumulator, :mod:`quality.gold`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..annotation.adjudication import compare_layers
from ..annotation.apply import ordered_ops
from ..config import BuildConfig
from ..quality.gold import GoldStats
from .build import run

if TYPE_CHECKING:
    from spacy.language import Language


def agreement(config: BuildConfig, nlp: Language | None = None, disputes: bool = False) -> str:
    """The agreement tables (and, with ``disputes``, every disputed entity and its ops)."""
    result = run(config, nlp)
    gold = GoldStats.of(result.documents)
    tables = gold.tables()["agreement"]
    if not tables:
        return "agreement: no document was reviewed by two annotators"
    out = []
    for t in tables:
        out.append(f"agreement {t['a']} vs {t['b']} on {len(t['documents'])} documents "
                   f"({', '.join(t['documents'])}); {t['matched']} spans with identical boundaries, "
                   f"{t['label_disagreements']} of them labelled differently")
        out.append(t["table"])
    if disputes:
        by_doc: dict = {}
        for ov in result.overlays:
            by_doc.setdefault(ov.doc_id, {}).setdefault(ov.annotator, []).append(ov)
        for doc in result.documents:
            if len(doc.layers) < 2:
                continue
            ops = {a: ordered_ops(ovs) for a, ovs in by_doc.get(doc.doc_id, {}).items()}
            dispute = compare_layers(doc.layers, ops)
            out.append(f"disputes in {doc.doc_id}: {len(dispute.disputed)} entities")
            # each disputed entity under the layer it is in (an unreviewed model entity has no op to name one)
            out += [f"  {layer}: {e.label} {e.text!r} [{e.start}, {e.end})"
                    f"{' ' + e.kb_id if e.kb_id else ''} <- {', '.join(map(str, e.refs)) or 'model, unreviewed'}"
                    for e in dispute.disputed for layer in sorted(doc.layers) if e in doc.layers[layer]]
    return "\n\n".join(out)


def report(config: BuildConfig, nlp: Language | None = None, ops: bool = False) -> str:
    """The model against the gold layer, and what each overlay op means for this model."""
    result = run(config, nlp)
    gold = GoldStats.of(result.documents)
    q = gold.tables()["quality"]
    m, stats = result.model, result.stats.overlays
    out = [f"model {m.name} {m.version} against the gold layer of {q['documents']} reviewed documents",
           stats.coverage.line(),
           q["table"], "confusion (rows gold, columns model):", q["confusion"],
           f"{q['n_errors']} model errors:", q["errors"]]
    tally = stats.status
    out.append("ops against this model: " + ", ".join(f"{tally[k]} {k}" for k in ("needed", "redundant", "stale")))
    shown = stats.statuses if ops else [s for s in stats.statuses if s.status != "needed"]
    lines = [f"  {s.file} {s.op_id} {s.kind}: {s.status}" for s in shown]
    if ops:
        out.append("\n".join(lines))
    else:
        out += lines
    return "\n\n".join(out)
