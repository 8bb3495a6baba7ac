"""Scoring predicted entities against a release's gold entities, with bootstrap
confidence intervals (``corpus-builder evaluate``).

Four matching schemas (SemEval'13, named as in ``nervaluate``), all built on the
one-to-one pairings of :mod:`quality.metrics`:

* ``strict``: same start, end and label (metrics' exact match; seqeval's strict IOB2);
* ``exact``: same start and end, any label;
* ``partial``: same boundaries count 1, overlapping ones 0.5, any label;
* ``ent_type``: overlapping with the same label (metrics' relaxed match).

Precision = credit / predicted, recall = credit / gold (SemEval's ACT and POS: with
one-to-one pairs every span is counted once). Per-label rows match only that
label's spans on both sides (so a label's ``exact`` equals its ``strict``). Micro
sums credits over labels; macro is the mean over the labels present in gold or
predictions (seqeval's convention). Recall by gold ``source`` uses the all-label
pairing (precision has no gold source).

Where nervaluate pairs spans in prediction order (a wrong-label prediction seen
first takes a gold entity that a later same-label one overlaps too), the pairings
here are order-independent; the figures agree otherwise (tests/test_evaluate.py).

Intervals: documents are resampled with replacement ``bootstrap`` times from a
seeded generator; each statistic's 2.5th and 97.5th percentiles are its 95%
interval, over the resamples where it is defined (a label's figures over those
holding that label on either side, a source's recall over those holding its gold). Counts are summed as integers (credits in half units), so the figures
do not depend on document order or on floating-point summation order.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import (ALL, Span, boundary_matches, exact_matches, figure, markdown_table, partial_matches,
                      relaxed_matches)

SCHEMAS = ("strict", "exact", "partial", "ent_type")
MICRO, MACRO = "micro", "macro"
CHUNK = 100  # resamples drawn per generator call: fixed, so the draws never depend on memory


@dataclass(frozen=True)
class EvalDoc:
    """One document: gold spans with their ``source``, and the predicted spans."""

    doc_id: str
    gold: tuple[Span, ...]
    sources: tuple[str, ...]  # one per gold span
    predicted: tuple[Span, ...]


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def to_json(self) -> list[float]:
        return [round(self.value, 4), round(self.low, 4), round(self.high, 4)]

    def cell(self) -> str:
        return f"{figure(self.value)} [{figure(self.low)}, {figure(self.high)}]"


@dataclass(frozen=True)
class Row:
    precision: Estimate
    recall: Estimate
    f1: Estimate
    gold: int
    predicted: int


@dataclass(frozen=True)
class SourceRow:
    recall: Estimate
    gold: int


@dataclass(frozen=True)
class Evaluation:
    documents: int
    labels: tuple[str, ...]  # every label of gold or predictions, sorted
    scores: dict[str, dict[str, Row]]  # schema -> label | micro | macro -> row
    sources: dict[str, dict[str, SourceRow]]  # schema -> gold source -> recall
    bootstrap: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        def row(r: Row) -> dict[str, Any]:
            return {"precision": r.precision.to_json(), "recall": r.recall.to_json(), "f1": r.f1.to_json(),
                    "gold": r.gold, "predicted": r.predicted}
        return {
            "documents": self.documents,
            "bootstrap": {"resamples": self.bootstrap, "seed": self.seed, "interval": "percentile 95%",
                          "unit": "document"},
            "labels": list(self.labels),
            "schemas": {s: {k: row(r) for k, r in rows.items()} for s, rows in self.scores.items()},
            "recall_by_source": {s: {k: {"recall": r.recall.to_json(), "gold": r.gold} for k, r in rows.items()}
                                 for s, rows in self.sources.items()},
        }


# --- per-document counts ------------------------------------------------------------

def _credits(schema: str, gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[Span, int]]:
    """The gold side of each pair and its credit in half units (2 = full, 1 = partial)."""
    if schema == "strict":
        return [(g, 2) for g, _ in exact_matches(gold, predicted)]
    if schema == "exact":
        return [(g, 2) for g, _ in boundary_matches(gold, predicted)]
    if schema == "partial":
        same, overlapping = partial_matches(gold, predicted)
        return [(g, 2) for g, _ in same] + [(g, 1) for g, _ in overlapping]
    if schema == "ent_type":
        return [(g, 2) for g, _ in relaxed_matches(gold, predicted)]
    raise ValueError(f"unknown schema {schema!r}")


def _doc_counts(doc: EvalDoc) -> dict[tuple[str, ...], int]:
    """(kind, schema, key, field) -> count for one document; kind ``label`` (key a
    label or ALL; fields credit, predicted, gold) or ``source`` (credit, gold)."""
    out: dict[tuple[str, ...], int] = defaultdict(int)
    labels = {s[2] for s in (*doc.gold, *doc.predicted)}
    for schema in SCHEMAS:
        by_source: dict[Span, list[str]] = defaultdict(list)
        for span, source in zip(doc.gold, doc.sources):
            by_source[span].append(source)
            out[("source", schema, source, "gold")] += 1
        for gold_span, credit in _credits(schema, doc.gold, doc.predicted):
            out[("label", schema, ALL, "credit")] += credit
            out[("source", schema, by_source[gold_span].pop(), "credit")] += credit
        out[("label", schema, ALL, "predicted")] += len(doc.predicted)
        out[("label", schema, ALL, "gold")] += len(doc.gold)
        for label in labels:
            gold = [s for s in doc.gold if s[2] == label]
            predicted = [s for s in doc.predicted if s[2] == label]
            out[("label", schema, label, "credit")] += sum(c for _, c in _credits(schema, gold, predicted))
            out[("label", schema, label, "predicted")] += len(predicted)
            out[("label", schema, label, "gold")] += len(gold)
    return out


# --- statistics over summed counts --------------------------------------------------

def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b > 0)


def _statistics(sums: np.ndarray, labels: int, sources: int) -> dict[str, np.ndarray]:
    """P, R, F1 per schema and scope (ALL, then the labels), macro averages and recall
    by source, from counts summed over (resampled) documents; ``sums`` is (..., F)."""
    lead = sums.shape[:-1]
    split = len(SCHEMAS) * (labels + 1) * 3
    scores = sums[..., :split].reshape(*lead, len(SCHEMAS), labels + 1, 3)
    credit, predicted, gold = scores[..., 0] / 2, scores[..., 1], scores[..., 2]
    p, r = _ratio(credit, predicted), _ratio(credit, gold)
    f = _ratio(2 * p * r, p + r)
    present = (predicted + gold)[..., 1:] > 0
    n = present.sum(axis=-1)
    macro = {k: _ratio((x[..., 1:] * present).sum(axis=-1), n) for k, x in (("p", p), ("r", r), ("f", f))}
    src = sums[..., split:].reshape(*lead, len(SCHEMAS), sources, 2)
    stats = {"p": p, "r": r, "f": f, "macro_p": macro["p"], "macro_r": macro["r"], "macro_f": macro["f"],
             "source_r": _ratio(src[..., 0] / 2, src[..., 1])}
    # where a figure is about nothing (a label absent from both sides, a source with no gold)
    label_defined = (predicted + gold) > 0
    defined = {"p": label_defined, "r": label_defined, "f": label_defined, "macro_p": n > 0, "macro_r": n > 0,
               "macro_f": n > 0, "source_r": src[..., 1] > 0}
    return {k: np.where(defined[k], v, np.nan) for k, v in stats.items()}


def _resample_sums(matrix: np.ndarray, bootstrap: int, seed: int) -> np.ndarray:
    """Counts summed over ``bootstrap`` resamples of the documents (rows), (B, F).

    Each resample is ``n`` document indices drawn with replacement, turned into
    per-document weights; float64 sums of integers below 2**53 are exact, so the
    result does not depend on BLAS's summation order."""
    n = matrix.shape[0]
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, bootstrap, CHUNK):
        rows = min(CHUNK, bootstrap - start)
        idx = rng.integers(0, n, size=(rows, n))
        weights = np.bincount((idx + n * np.arange(rows)[:, None]).ravel(), minlength=rows * n).reshape(rows, n)
        out.append(weights.astype(np.float64) @ matrix)
    return np.concatenate(out) if out else np.zeros((0, matrix.shape[1]))


def evaluate(docs: Sequence[EvalDoc], *, bootstrap: int = 1000, seed: int = 0) -> Evaluation:
    """Score ``docs`` under every schema, with percentile 95% bootstrap intervals
    (``bootstrap=0``: no resampling, each interval is the point itself)."""
    if not docs:
        raise ValueError("nothing to evaluate: no documents")
    if bootstrap < 0:
        raise ValueError("bootstrap must be >= 0")
    per_doc = [_doc_counts(d) for d in docs]
    labels = sorted({k[2] for c in per_doc for k in c if k[0] == "label" and k[2] != ALL})
    sources = sorted({k[2] for c in per_doc for k in c if k[0] == "source"})
    columns = [("label", s, key, f) for s in SCHEMAS for key in (ALL, *labels) for f in ("credit", "predicted", "gold")]
    columns += [("source", s, key, f) for s in SCHEMAS for key in sources for f in ("credit", "gold")]
    matrix = np.array([[c.get(col, 0) for col in columns] for c in per_doc], dtype=np.int64)

    point = _statistics(matrix.sum(axis=0), len(labels), len(sources))
    low, high = point, point
    if bootstrap:
        boot = _statistics(_resample_sums(matrix.astype(np.float64), bootstrap, seed), len(labels), len(sources))
        with warnings.catch_warnings():  # a figure undefined in every resample: its interval is the point
            warnings.simplefilter("ignore", RuntimeWarning)
            low = {k: np.nanpercentile(v, 2.5, axis=0) for k, v in boot.items()}
            high = {k: np.nanpercentile(v, 97.5, axis=0) for k, v in boot.items()}

    def est(name: str, *at: int) -> Estimate:
        value = float(np.nan_to_num(point[name][at]))  # nothing to score: 0, as seqeval's zero_division=0
        lo, hi = float(low[name][at]), float(high[name][at])
        return Estimate(value, value if np.isnan(lo) else lo, value if np.isnan(hi) else hi)

    totals = matrix.sum(axis=0)
    counts = {col: int(v) for col, v in zip(columns, totals)}
    scores: dict[str, dict[str, Row]] = {}
    source_rows: dict[str, dict[str, SourceRow]] = {}
    for i, schema in enumerate(SCHEMAS):
        rows = {}
        for j, key in enumerate((ALL, *labels)):
            rows[MICRO if key == ALL else key] = Row(
                est("p", i, j), est("r", i, j), est("f", i, j),
                counts[("label", schema, key, "gold")], counts[("label", schema, key, "predicted")])
        micro = rows.pop(MICRO)
        rows[MICRO] = micro
        rows[MACRO] = Row(est("macro_p", i), est("macro_r", i), est("macro_f", i), micro.gold, micro.predicted)
        scores[schema] = rows
        source_rows[schema] = {src: SourceRow(est("source_r", i, k), counts[("source", schema, src, "gold")])
                               for k, src in enumerate(sources)}
    return Evaluation(len(docs), tuple(labels), scores, source_rows, bootstrap, seed)


# --- tables -------------------------------------------------------------------------

def label_table(ev: Evaluation, schema: str = "strict") -> str:
    """One row per label, then micro and macro: P, R, F1 with their intervals."""
    rows = [[f"**{k}**" if k in (MICRO, MACRO) else k, r.precision.cell(), r.recall.cell(), r.f1.cell(),
             r.gold, r.predicted] for k, r in ev.scores[schema].items()]
    return markdown_table(["label", "P [95% CI]", "R [95% CI]", "F1 [95% CI]", "gold", "predicted"], "lrrrrr", rows)


def schema_table(ev: Evaluation) -> str:
    """Micro and macro P, R, F1 under each schema."""
    rows = [[schema, avg, r.precision.cell(), r.recall.cell(), r.f1.cell()]
            for schema in SCHEMAS for avg in (MICRO, MACRO) for r in [ev.scores[schema][avg]]]
    return markdown_table(["schema", "average", "P [95% CI]", "R [95% CI]", "F1 [95% CI]"], "llrrr", rows)


def source_table(ev: Evaluation) -> str:
    """Recall of the gold entities of each source, under each schema."""
    sources = list(ev.sources[SCHEMAS[0]])
    rows = [[src, ev.sources[SCHEMAS[0]][src].gold, *(ev.sources[s][src].recall.cell() for s in SCHEMAS)]
            for src in sources]
    return markdown_table(["source", "gold", *(f"R {s}" for s in SCHEMAS)], "lr" + "r" * len(SCHEMAS), rows)
