"""``evaluate``: score a spaCy pipeline, or a JSONL file of predicted spans, against
the gold entities of one split of a release.

Gold is the release's ``documents`` rows only (text, entities, their ``source``), so
any release can be scored without the project that built it. Predictions are
validated whole before scoring, and every bad line is reported at once. A label
the release does not have is not an error: it counts as false positives of its own
label (and shows as a row of its own), as it would for any other wrong label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import error, problem
from ..config import SPLITS
from ..errors import Problem, rel
from ..io import atomic_write, jsonl_text
from ..quality.evaluate import EvalDoc, Evaluation, evaluate as score, label_table, schema_table, source_table
from ..quality.metrics import Span
from ..release.read import read_release

Predictions = dict[str, list[Span]]  # doc_id -> spans


@dataclass(frozen=True)
class Gold:
    """One split of a release: its documents in release order."""

    release: str  # the folder, as shown
    version: str
    split: str
    labels: tuple[str, ...]
    documents: list[dict[str, Any]]  # doc_id, text, entities (label names), in release order


@dataclass(frozen=True)
class Result:
    gold: Gold
    evaluation: Evaluation
    predicted_by: str  # the model's name and version, or the predictions file
    unknown_labels: tuple[str, ...]  # predicted labels the release does not have

    def to_json(self) -> dict[str, Any]:
        return {"release": self.gold.version, "split": self.gold.split, "predicted_by": self.predicted_by,
                "unknown_labels": list(self.unknown_labels), **self.evaluation.to_json()}

    def text(self) -> str:
        """What the command prints: the exact-match table per label, every schema's
        averages, and recall by gold source."""
        gold, ev = self.gold, self.evaluation
        out = [f"{self.predicted_by} against {gold.release} ({gold.version}) split {gold.split}: {ev.documents} "
               f"documents; 95% intervals from {ev.bootstrap} bootstrap resamples of documents (seed {ev.seed})",
               "exact match (strict: same span and label), per label:", label_table(ev),
               "every schema (exact: same span, any label; partial: overlap counts 0.5; "
               "ent_type: overlap, same label):", schema_table(ev),
               "recall of gold entities by source:", source_table(ev)]
        if self.unknown_labels:
            out.append("labels the release does not have (counted as false positives): "
                       + ", ".join(self.unknown_labels))
        return "\n\n".join(out)


def read_gold(folder: Path, split: str) -> Gold:
    """The split's documents, entity labels resolved to names (``ClassLabel`` indices
    into the manifest's labels)."""
    release = read_release(Path(folder))
    docs = [d for d in release.documents.values() if d["split"] == split]
    if not docs:
        have = [s for s in SPLITS if any(d["split"] == s for d in release.documents.values())]
        raise error("E731", file=rel(folder), split=split, splits=", ".join(have) or "none")
    labels = release.labels
    documents = [{"doc_id": d["doc_id"], "text": d["text"],
                  "entities": [{"start": e["start"], "end": e["end"], "label": labels[e["label"]],
                                "source": e["source"] or "unknown"} for e in d["entities"]]}
                 for d in docs]
    return Gold(rel(folder), str(release.manifest.get("version", "")), split, tuple(labels), documents)


def predict(gold: Gold, model: str, batch_size: int = 64) -> tuple[Predictions, str]:
    """The entities ``model`` predicts for each document (``doc.ents``, trimmed of
    surrounding whitespace exactly as the build does), and the model's name."""
    from ..nlp.model import load_pipeline
    from ..nlp.parse import parse_result

    nlp, identity = load_pipeline(model)
    texts = [d["text"] for d in gold.documents]
    nlp.max_length = max(nlp.max_length, *(len(t) + 1 for t in texts))
    out: Predictions = {}
    for d, doc in zip(gold.documents, nlp.pipe(texts, batch_size=batch_size)):
        out[d["doc_id"]] = [(s, e, label) for s, e, label in parse_result(d["text"], doc)["entities"]]
    return out, f"{identity.name} {identity.version}"


def _entity(value: Any) -> Span:
    """One entity of a line, or ValueError saying what is wrong with it."""
    if not isinstance(value, dict) or not {"start", "end", "label"} <= value.keys():
        raise ValueError("an entity is an object with start, end and label")
    start, end, label = value["start"], value["end"], value["label"]
    if type(start) is not int or type(end) is not int:
        raise ValueError(f"start and end are integers (found {start!r}, {end!r})")
    if not isinstance(label, str) or not label.strip() or label == "ALL":
        raise ValueError(f"label is a non-empty string other than 'ALL' (found {label!r})")
    return start, end, label


def _check_spans(spans: list[Span], length: int, file: str, position: str) -> list[Problem]:
    problems = [problem("E735", file=file, position=position, found=f"[{s}, {e})", expected=f"0 <= start < end <= {length}", length=length)
                for s, e, _ in spans if not 0 <= s < e <= length]
    ordered = sorted(spans)
    problems += [problem("E736", file=file, position=position, found=f"[{a[0]}, {a[1]}) {a[2]} and [{b[0]}, {b[1]}) {b[2]}")
                 for a, b in zip(ordered, ordered[1:]) if b[0] < a[1]]
    return problems


def read_predictions(path: Path, gold: Gold) -> Predictions:
    """Predictions from a JSONL file, checked against the split: every line is one
    document of the split, every document has one line, spans are in range and do
    not overlap. All problems are reported together."""
    shown = rel(path)
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise error("E732", file=shown, error_type=type(exc).__name__, error=str(exc)[:120]) from None
    texts = {d["doc_id"]: d["text"] for d in gold.documents}
    out: Predictions = {}
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        at = f"line {n}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("doc_id"), str):
                raise ValueError("a line is an object with a string doc_id")
            if not isinstance(record.get("entities"), list):
                raise ValueError("entities is a list")
            spans = [_entity(e) for e in record["entities"]]
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            problems.append(problem("E733", file=shown, position=at, error=str(exc)[:160]))
            continue
        doc_id = record["doc_id"]
        if doc_id not in texts:
            problems.append(problem("E734", file=shown, position=at, doc_id=doc_id, split=gold.split))
        elif doc_id in first:
            problems.append(problem("E734:twice", file=shown, position=at, doc_id=doc_id, first=f"line {first[doc_id]}"))
        else:
            first[doc_id] = n
            problems += _check_spans(spans, len(texts[doc_id]), shown, at)
            out[doc_id] = spans
    missing = [d for d in texts if d not in first]
    if missing:
        problems.append(problem("E734:missing", file=shown, count=len(missing), split=gold.split, doc_id=missing[0]))
    if problems:
        raise error(problems)
    return out


def write_predictions(path: Path, gold: Gold, predictions: Predictions) -> None:
    """Predictions in the format :func:`read_predictions` reads (release order, spans
    sorted), written atomically."""
    rows = ({"doc_id": d["doc_id"], "entities": [{"start": s, "end": e, "label": label}
                                                  for s, e, label in sorted(predictions[d["doc_id"]])]}
            for d in gold.documents)
    try:
        atomic_write(Path(path), jsonl_text(rows).encode("utf-8"))
    except OSError as exc:
        raise error("E737", file=rel(path), error_type=type(exc).__name__, error=str(exc)[:120]) from None


def run_evaluation(folder: Path, *, model: str | None = None, predictions: Path | None = None,
                   split: str = "test", write: Path | None = None, bootstrap: int = 1000,
                   seed: int = 0) -> Result:
    """Score ``model`` (run over the split's texts) or the ``predictions`` file against
    the split of the release in ``folder``; ``write`` keeps the model's predictions."""
    if (model is None) == (predictions is None):
        raise error("E730")
    if write is not None and model is None:
        raise error("E730:write")
    gold = read_gold(folder, split)
    if model is not None:
        predicted, by = predict(gold, model)
        if write is not None:
            write_predictions(write, gold, predicted)
    else:
        assert predictions is not None
        predicted, by = read_predictions(predictions, gold), rel(predictions)
    docs = [EvalDoc(d["doc_id"], tuple((e["start"], e["end"], e["label"]) for e in d["entities"]),
                    tuple(e["source"] for e in d["entities"]), tuple(predicted[d["doc_id"]]))
            for d in gold.documents]
    unknown = sorted({s[2] for spans in predicted.values() for s in spans} - set(gold.labels))
    return Result(gold, score(docs, bootstrap=bootstrap, seed=seed), by, tuple(unknown))
