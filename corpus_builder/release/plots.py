"""The release's plots: small SVG bar charts under ``plots/`` that the card and the
datasheet show (the Hub renders a relative Markdown image link).

Drawn from the build's figures with one SVG template per plot
(``templates/plots/``): the words are in the templates, the geometry is computed
here, every number is formatted with a fixed precision and nothing carries a date,
so a rebuild writes the same bytes. Model F1 per label, with its 95% bootstrap
interval (:func:`quality.evaluate.evaluate`, seeded), is drawn only where the gold
layer has reviewed documents.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import SPLITS
from ..quality.evaluate import EvalDoc, evaluate
from .prose import render_markup

FOLDER = "plots"
BOOTSTRAP, SEED = 1000, 0  # as `corpus-builder evaluate` defaults
SPLIT_COLORS = {"train": "#4e79a7", "validation": "#f28e2b", "test": "#59a14f"}
OTHER_COLOR = "#bab0ac"
LABEL_COLOR = "#76b7b2"  # one colour for every label's bar (no spaCy import: a cached rebuild never loads it)
WIDTH, LEFT, RIGHT, TOP, ROW, GAP, BOTTOM = 680, 150, 90, 64, 18, 6, 46
MAX_BINS = 12


@dataclass
class Row:
    name: str
    segments: list[dict[str, Any]] = field(default_factory=list)  # x, w, color, title
    note: str = ""
    whisker: tuple[float, float] | None = None
    y: int = 0


def _nice_step(top: float, ticks: int = 5) -> float:
    """A 1, 2 or 5 times a power of ten, so about ``ticks`` gridlines cover ``top``."""
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _axis(top: float, fraction: bool = False) -> tuple[float, list[dict[str, Any]]]:
    step = 0.2 if fraction else max(1, _nice_step(top))
    end = 1.0 if fraction else max(step, math.ceil(top / step) * step)
    n = round(end / step)
    ticks = [{"x": round(LEFT + (WIDTH - LEFT - RIGHT) * i / n, 2),
              "label": f"{i * step:.1f}" if fraction else f"{int(i * step):,}"} for i in range(n + 1)]
    return end, ticks


def _scale(value: float, end: float) -> float:
    return round((WIDTH - LEFT - RIGHT) * value / end, 2) if end else 0.0


def _chart(rows: list[Row], end: float, ticks: list[dict[str, Any]], legend: list[dict[str, str]]) -> dict[str, Any]:
    for i, row in enumerate(rows):
        row.y = TOP + i * (ROW + GAP)
    height = TOP + max(len(rows), 1) * (ROW + GAP) + BOTTOM
    return {"rows": rows, "ticks": ticks, "legend": legend, "width": WIDTH, "height": height, "left": LEFT,
            "right": WIDTH - RIGHT, "top": TOP, "row_height": ROW, "axis_y": height - BOTTOM + 4}


def labels_by_split(by_split: dict[str, Counter[str]], labels: list[str]) -> dict[str, Any]:
    """One stacked bar per label: its entities in each split."""
    totals = {label: sum(by_split[s][label] for s in SPLITS) for label in labels}
    end, ticks = _axis(max(totals.values(), default=0))
    rows = []
    for label in labels:
        row, x = Row(label, note=f"{totals[label]:,}"), float(LEFT)
        for split in SPLITS:
            n = by_split[split][label]
            if n:
                w = _scale(n, end)
                row.segments.append({"x": round(x, 2), "w": w, "color": SPLIT_COLORS.get(split, OTHER_COLOR),
                                     "title": f"{label} {split}: {n:,}"})
                x += w
        rows.append(row)
    legend = [{"name": s, "color": SPLIT_COLORS.get(s, OTHER_COLOR)} for s in SPLITS]
    return _chart(rows, end, ticks, legend)


def entities_per_document(per_document: Counter[int]) -> dict[str, Any]:
    """A histogram: documents by their number of entities, in at most MAX_BINS equal bins."""
    least, most = min(per_document, default=0), max(per_document, default=0)
    width = max(1, math.ceil((most - least + 1) / MAX_BINS))
    bins: Counter[int] = Counter()
    for n, docs in per_document.items():
        bins[n // width] += docs
    end, ticks = _axis(max(bins.values(), default=0))
    rows = []
    for b in range(least // width, most // width + 1):
        lo, hi = b * width, b * width + width - 1
        name = f"{lo:,}" if width == 1 else f"{lo:,}–{hi:,}"
        n = bins[b]
        rows.append(Row(name, [{"x": LEFT, "w": _scale(n, end), "color": SPLIT_COLORS["train"],
                                "title": f"{name}: {n:,}"}] if n else [], note=f"{n:,}"))
    return _chart(rows, end, ticks, [])


def f1_by_label(reviewed: list[tuple[str, str, list, list]]) -> dict[str, Any] | None:
    """Model F1 (exact span and label) per label with its 95% interval; None without gold."""
    if not reviewed:
        return None
    docs = [EvalDoc(doc_id, tuple(gold), ("gold",) * len(gold), tuple(model)) for doc_id, _, gold, model in reviewed]
    ev = evaluate(docs, bootstrap=BOOTSTRAP, seed=SEED)
    rows = []
    for label, r in ev.scores["strict"].items():
        e = r.f1
        color = SPLIT_COLORS["train"] if label in ("micro", "macro") else LABEL_COLOR
        rows.append(Row(label, [{"x": LEFT, "w": _scale(e.value, 1.0), "color": color,
                                 "title": f"{label}: F1 {e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"}],
                        note=f"{e.value:.2f}", whisker=(round(LEFT + _scale(e.low, 1.0), 2),
                                                       round(LEFT + _scale(e.high, 1.0), 2))))
    end, ticks = _axis(1.0, fraction=True)
    chart = _chart(rows, end, ticks, [])
    chart.update(documents=ev.documents, bootstrap=ev.bootstrap, seed=ev.seed)
    return chart


def write_plots(folder: Path, stats: Any) -> list[dict[str, Any]]:
    """Write ``plots/*.svg`` into the release folder; returns what the card lists
    (name, file, and the figures a caption states)."""
    out = folder / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    charts = {"labels_by_split": labels_by_split(stats.by_split_label, stats.labels),
              "entities_per_document": entities_per_document(stats.per_document),
              "f1_by_label": f1_by_label(stats.gold.reviewed)}
    written = []
    for name, chart in charts.items():
        if chart is None:
            continue
        file = f"{FOLDER}/{name}.svg"
        (folder / file).write_text(render_markup(f"plots/{name}.svg.j2", chart), encoding="utf-8")
        written.append({"name": name, "file": file, **{k: v for k, v in chart.items() if k in
                                                        ("documents", "bootstrap", "seed")}})
    return written
