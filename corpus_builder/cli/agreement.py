"""``corpus-builder agreement``: inter-annotator agreement on the documents two
annotators reviewed independently (the same table the card and datasheet quote)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..adjudication import compare_layers
from ..config import BuildConfig, load_config
from ..gold import GoldStats
from ..overlays import ordered_ops
from ..pipeline import run
from ._app import app

if TYPE_CHECKING:
    from spacy.language import Language


def agreement(config: BuildConfig, nlp: Language | None = None, disputes: bool = False) -> str:
    """The agreement tables (and, with ``disputes``, every disputed entity and its ops)."""
    corpus = run(config, nlp)
    gold = GoldStats.of(corpus.documents)
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
        by_doc = {}
        for ov in corpus.overlays:
            by_doc.setdefault(ov.doc_id, {}).setdefault(ov.annotator, []).append(ov)
        for doc in corpus.documents:
            if len(doc.layers) < 2:
                continue
            ops = {a: ordered_ops(ovs) for a, ovs in by_doc.get(doc.doc_id, {}).items()}
            dispute = compare_layers(doc.layers, ops)
            out.append(f"disputes in {doc.doc_id}: {len(dispute.disputed)} entities")
            out += [f"  {e.annotator}: {e.label} {e.text!r} [{e.start}, {e.end})"
                    f"{' ' + e.kb_id if e.kb_id else ''} <- {', '.join(map(str, e.refs))}" for e in dispute.disputed]
    return "\n\n".join(out)


@app.command("agreement")
def agreement_cli(
    disputes: Annotated[bool, typer.Option("--disputes", help="also list every disputed entity and its ops")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Print exact/relaxed F1 and Cohen's kappa between annotators, per label and overall."""
    print(agreement(load_config(project), disputes=disputes))
