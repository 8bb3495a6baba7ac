"""``corpus-builder report``: the model's quality against the gold layer (precision,
recall, F1 per label, confusion, every error), and what each overlay op means for
the model in use: still needed, now redundant, or stale."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import BuildConfig, load_config
from ..gold import GoldStats
from ..pipeline import run
from ._app import app

if TYPE_CHECKING:
    from spacy.language import Language


def report(config: BuildConfig, nlp: Language | None = None, ops: bool = False) -> str:
    corpus = run(config, nlp)
    gold = GoldStats.of(corpus.documents)
    q = gold.tables()["quality"]
    m, stage = corpus.model, corpus.stages["overlays"]
    out = [f"model {m.name} {m.version} against the gold layer of {q['documents']} reviewed documents",
           stage.coverage.line(),
           q["table"], "confusion (rows gold, columns model):", q["confusion"],
           f"{q['n_errors']} model errors:", q["errors"]]
    statuses, tally = stage.statuses, stage.status
    out.append("ops against this model: " + ", ".join(f"{tally[k]} {k}" for k in ("needed", "redundant", "stale")))
    if ops:
        out.append("\n".join(f"  {f} {i} {k}: {s}" for f, i, k, s in statuses))
    else:
        out += [f"  {f} {i} {k}: {s}" for f, i, k, s in statuses if s != "needed"]
    return "\n\n".join(out)


@app.command("report")
def report_cli(
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path [default: corpus.toml]")] = None,
    ops: Annotated[bool, typer.Option("--ops", help="list every op's status, not only redundant and stale ones")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Score the model against the gold layer; say which overlay ops another model makes redundant or stale."""
    config = load_config(project)
    override = model is not None and model != config.model
    print(report(config.with_overrides(model=model, model_override=override), ops=ops))
