"""``corpus-builder evaluate``: every schema on hand-computed cases, micro vs macro,
seeded bootstrap intervals, ``--model`` and ``--predictions`` agreeing, the
predictions file checked line by line, and the figures cross-checked against
seqeval (strict IOB2 on the release's ``ner`` config) and nervaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from nervaluate import Evaluator
from nervaluate.entities import Entity as NerEntity
from nervaluate.strategies import EntityTypeEvaluation
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from conftest import MODEL, cli
from corpus_builder.actions.evaluate import read_gold, read_predictions, run_evaluation, write_predictions
from corpus_builder.errors import CorpusError, ExitCode
from corpus_builder.io import json_text
from corpus_builder.quality.evaluate import SCHEMAS, EvalDoc, evaluate
from corpus_builder.quality.metrics import ALL, model_quality

# --- a hand-computed case --------------------------------------------------------------
# gold PER [0,4) model, ORG [10,14) manual, LOC [20,25) model
# predicted PER [0,4) (exact), ORG [10,13) (overlaps ORG), ORG [20,25) (LOC's span, wrong label), X [30,33) (spurious)
DOC = EvalDoc("d", ((0, 4, "PER"), (10, 14, "ORG"), (20, 25, "LOC")), ("model", "manual", "model"),
              ((0, 4, "PER"), (10, 13, "ORG"), (20, 25, "ORG"), (30, 33, "X")))


def figures(row):
    return row.precision.value, row.recall.value, row.f1.value


@pytest.mark.parametrize("schema, credit", [
    ("strict", 1),      # PER
    ("exact", 2),       # PER, and LOC's span labelled ORG
    ("partial", 2.5),   # those two, plus 0.5 for ORG [10,13) over ORG [10,14)
    ("ent_type", 2),    # PER, and ORG [10,13) overlapping ORG [10,14)
])
def test_micro_figures_of_every_schema(schema, credit):
    ev = evaluate([DOC], bootstrap=0)
    p, r = credit / 4, credit / 3
    assert figures(ev.scores[schema]["micro"]) == pytest.approx((p, r, 2 * p * r / (p + r)))
    assert (ev.scores[schema]["micro"].gold, ev.scores[schema]["micro"].predicted) == (3, 4)


def test_per_label_and_macro_by_hand():
    ev = evaluate([DOC], bootstrap=0)
    assert ev.labels == ("LOC", "ORG", "PER", "X")
    strict = ev.scores["strict"]
    assert figures(strict["PER"]) == (1, 1, 1)
    assert [figures(strict[k]) for k in ("LOC", "ORG", "X")] == [(0, 0, 0)] * 3
    assert (strict["ORG"].gold, strict["ORG"].predicted, strict["X"].gold, strict["X"].predicted) == (1, 2, 0, 1)
    # macro: the mean over the 4 labels present in gold or predictions (X only predicted counts too)
    assert figures(strict["macro"]) == pytest.approx((0.25, 0.25, 0.25))
    # per label, only that label's spans are matched: a label's exact equals its strict
    assert {k: figures(r) for k, r in ev.scores["exact"].items() if k not in ("micro",)} == \
           {k: figures(r) for k, r in strict.items() if k not in ("micro",)}
    # partial, ORG: no equal boundaries, one overlap (0.5) of 2 predicted and 1 gold
    assert figures(ev.scores["partial"]["ORG"]) == pytest.approx((0.25, 0.5, 1 / 3))
    assert figures(ev.scores["partial"]["macro"]) == pytest.approx((1.25 / 4, 1.5 / 4, (1 + 1 / 3) / 4))
    assert figures(ev.scores["ent_type"]["ORG"]) == pytest.approx((0.5, 1, 2 / 3))
    assert figures(ev.scores["ent_type"]["macro"]) == pytest.approx((1.5 / 4, 2 / 4, (1 + 2 / 3) / 4))


def test_micro_differs_from_macro_when_labels_differ_in_size():
    gold = tuple((i * 10, i * 10 + 4, "GPE") for i in range(9)) + ((100, 104, "PER"),)
    predicted = gold[:9] + ((100, 104, "ORG"),)  # 9 of 9 GPE right, the one PER wrong
    ev = evaluate([EvalDoc("d", gold, ("model",) * 10, predicted)], bootstrap=0)
    assert figures(ev.scores["strict"]["micro"]) == pytest.approx((0.9, 0.9, 0.9))
    assert figures(ev.scores["strict"]["macro"]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))  # GPE 1, PER 0, ORG 0


def test_recall_by_source_by_hand():
    ev = evaluate([DOC], bootstrap=0)
    recall = {s: {src: row.recall.value for src, row in ev.sources[s].items()} for s in SCHEMAS}
    assert recall["strict"] == {"manual": 0, "model": 0.5}
    assert recall["exact"] == {"manual": 0, "model": 1}
    assert recall["partial"] == {"manual": 0.5, "model": 1}
    assert recall["ent_type"] == {"manual": 1, "model": 0.5}
    assert {src: row.gold for src, row in ev.sources["strict"].items()} == {"manual": 1, "model": 2}


def test_strict_is_metrics_exact_match():
    """One matching, not a second copy: strict rows equal model_quality's exact scores."""
    q = model_quality([("d", "x" * 40, DOC.gold, DOC.predicted)])
    ev = evaluate([DOC], bootstrap=0)
    for label, prf in q.scores.items():
        row = ev.scores["strict"]["micro" if label == ALL else label]
        assert figures(row) == (prf.precision, prf.recall, prf.f1)


# --- bootstrap ---------------------------------------------------------------------------

def corpus(n: int = 30) -> list[EvalDoc]:
    """Documents of varying quality: doc i gets i % 4 of its 4 entities right."""
    docs = []
    for i in range(n):
        gold = tuple((k * 10, k * 10 + 5, ("GPE", "ORG", "PER", "DATE")[k]) for k in range(4))
        predicted = gold[: i % 4] + tuple((s, e - 1, label) for s, e, label in gold[i % 4:])
        docs.append(EvalDoc(f"d{i:02d}", gold, ("model", "manual", "model", "adjudication"), predicted))
    return docs


def test_same_seed_same_intervals_and_bytes():
    a, b = evaluate(corpus(), seed=7), evaluate(corpus(), seed=7)
    assert json_text(a.to_json()) == json_text(b.to_json())
    c = evaluate(corpus(), seed=8)
    assert c.scores["strict"]["micro"].f1.value == a.scores["strict"]["micro"].f1.value
    assert (c.scores["strict"]["micro"].f1.low, c.scores["strict"]["micro"].f1.high) != \
           (a.scores["strict"]["micro"].f1.low, a.scores["strict"]["micro"].f1.high)


def test_intervals_contain_the_point_estimate_and_have_width():
    ev = evaluate(corpus(), bootstrap=1000, seed=0)
    for schema in SCHEMAS:
        for key in ("micro", "macro"):
            for est in (ev.scores[schema][key].precision, ev.scores[schema][key].recall, ev.scores[schema][key].f1):
                assert est.low <= est.value <= est.high
        if schema != "ent_type":  # every prediction overlaps its gold entity: 1.0 in every resample
            assert ev.scores[schema]["micro"].f1.high > ev.scores[schema]["micro"].f1.low
        for row in ev.sources[schema].values():
            assert row.recall.low <= row.recall.value <= row.recall.high


def test_one_document_gives_zero_width_intervals():
    ev = evaluate([DOC], bootstrap=200, seed=3)
    for rows in ev.scores.values():
        for row in rows.values():
            for est in (row.precision, row.recall, row.f1):
                assert est.low == est.value == est.high


def test_a_label_is_scored_only_in_resamples_that_hold_it():
    """TIME is in one of two documents, always right: resamples without it say nothing
    about TIME (not 0), so its interval is [1, 1]."""
    docs = [EvalDoc("a", ((0, 4, "TIME"), (5, 9, "GPE")), ("model", "model"), ((0, 4, "TIME"), (5, 9, "ORG"))),
            EvalDoc("b", ((0, 4, "GPE"),), ("manual",), ((0, 4, "GPE"),))]
    ev = evaluate(docs, bootstrap=500, seed=1)
    assert ev.scores["strict"]["TIME"].f1 == ev.scores["strict"]["TIME"].precision
    assert (ev.scores["strict"]["TIME"].f1.low, ev.scores["strict"]["TIME"].f1.high) == (1, 1)
    assert (ev.sources["strict"]["manual"].recall.low, ev.sources["strict"]["manual"].recall.high) == (1, 1)
    assert ev.scores["strict"]["micro"].f1.low < ev.scores["strict"]["micro"].f1.high


def test_document_order_does_not_change_the_figures():
    docs = corpus()
    a, b = evaluate(docs, bootstrap=0), evaluate(docs[::-1], bootstrap=0)
    assert a.to_json() == b.to_json()
    with pytest.raises(ValueError):
        evaluate([], bootstrap=0)


# --- the release, a model and a predictions file ----------------------------------------

def test_model_and_its_predictions_file_give_identical_figures(model_predictions, release_dir: Path):
    by_model, path = model_predictions
    by_file = run_evaluation(release_dir, predictions=path, split="test")
    assert by_model.predicted_by == f"{MODEL} 3.8.0"
    assert by_file.to_json() == {**by_model.to_json(), "predicted_by": by_file.predicted_by}
    assert by_model.evaluation.documents == len(path.read_text("utf-8").splitlines())
    micro = by_model.evaluation.scores["strict"]["micro"]
    assert micro.f1.low <= micro.f1.value <= micro.f1.high
    # gold entities the model made (source `model`) are what the model predicts
    assert by_model.evaluation.sources["strict"]["model"].recall.value == 1


def test_written_predictions_are_read_back_exactly(model_predictions, release_dir: Path):
    result, path = model_predictions
    gold = read_gold(release_dir, "test")
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [line["doc_id"] for line in lines] == [d["doc_id"] for d in gold.documents]
    assert set(lines[0]) == {"doc_id", "entities"} and set(lines[0]["entities"][0]) == {"start", "end", "label"}
    spans = read_predictions(path, gold)
    assert sum(map(len, spans.values())) == result.evaluation.scores["strict"]["micro"].predicted


def test_a_label_the_release_lacks_is_a_false_positive_of_its_own(tmp_path: Path, release_dir: Path):
    gold = read_gold(release_dir, "test")
    lines = [{"doc_id": d["doc_id"], "entities": [{"start": e["start"], "end": e["end"], "label": e["label"]}
                                                   for e in d["entities"]]} for d in gold.documents]
    lines[0]["entities"].append({"start": 0, "end": 3, "label": "WEAPON"})  # "The": no gold entity there
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = run_evaluation(release_dir, predictions=path, bootstrap=0)
    assert result.unknown_labels == ("WEAPON",)
    rows = result.evaluation.scores["strict"]
    assert (rows["WEAPON"].predicted, rows["WEAPON"].gold, rows["WEAPON"].precision.value) == (1, 0, 0)
    assert rows["micro"].recall.value == 1 and rows["micro"].predicted == rows["micro"].gold + 1
    assert "counted as false positives): WEAPON" in result.text()


# --- errors ------------------------------------------------------------------------------

def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def codes(exc: pytest.ExceptionInfo[CorpusError]) -> list[str]:
    return [p.code for p in exc.value.problems]


def test_every_bad_line_is_reported_with_its_line_number(tmp_path: Path, release_dir: Path):
    gold = read_gold(release_dir, "test")
    first, second = (d["doc_id"] for d in gold.documents[:2])
    n = len(gold.documents[0]["text"])
    path = write_lines(
        tmp_path / "bad.jsonl",
        '{"doc_id": "x", "entities": [',                                             # 1: not JSON
        json.dumps({"doc_id": first, "entities": [{"start": "0", "end": 3, "label": "ORG"}]}),  # 2: shape
        json.dumps({"doc_id": "no-such-doc", "entities": []}),                       # 3: unknown doc
        json.dumps({"doc_id": first, "entities": [{"start": n - 2, "end": n + 1, "label": "ORG"},   # 4: range
                                                  {"start": 0, "end": 5, "label": "ORG"},
                                                  {"start": 4, "end": 9, "label": "GPE"}]}),        # overlap
        json.dumps({"doc_id": first, "entities": []}),                               # 5: twice
    )
    with pytest.raises(CorpusError) as exc:
        read_predictions(path, gold)
    assert codes(exc) == ["E733", "E733", "E734", "E735", "E736", "E734", "E734"]
    assert [p.position for p in exc.value.problems] == ["line 1", "line 2", "line 3", "line 4", "line 4", "line 5",
                                                        None]
    assert exc.value.exit_code == ExitCode.INVALID_DATA
    assert second in exc.value.problems[-1].message  # the document with no line


def test_usage_errors(tmp_path: Path, release_dir: Path):
    preds = write_lines(tmp_path / "p.jsonl")
    for kwargs, code in [({}, "E730"), ({"model": MODEL, "predictions": preds}, "E730"),
                         ({"predictions": preds, "write": tmp_path / "w.jsonl"}, "E730"),
                         ({"predictions": preds, "split": "dev"}, "E731"),
                         ({"predictions": tmp_path / "missing.jsonl"}, "E732"),
                         ({"model": "no_such_model_xyz"}, "E300")]:
        with pytest.raises(CorpusError) as exc:
            run_evaluation(release_dir, **kwargs)
        assert codes(exc) == [code] and exc.value.exit_code == ExitCode.USAGE, kwargs
    assert not (tmp_path / "w.jsonl").exists()
    with pytest.raises(CorpusError) as exc:
        gold = read_gold(release_dir, "test")
        write_predictions(tmp_path / "no-such-folder" / "w.jsonl", gold, {d["doc_id"]: [] for d in gold.documents})
    assert codes(exc) == ["E737"] and exc.value.exit_code == ExitCode.USAGE


def test_cli_errors_are_one_line_each_with_exit_codes(tmp_path: Path, release_dir: Path):
    neither = cli("evaluate", str(release_dir))
    assert neither.returncode == 2 and neither.stderr.startswith("error: [E730]")
    assert len(neither.stderr.splitlines()) == 1 and "Traceback" not in neither.stderr
    bad = write_lines(tmp_path / "bad.jsonl", "not json", json.dumps({"doc_id": "nope", "entities": []}))
    result = cli("evaluate", str(release_dir), "--predictions", str(bad))
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: [E733]") and "bad.jsonl at line 1:" in lines[0]
    assert lines[1].startswith("error: [E734]") and "line 2" in lines[1]
    assert lines[-1] == f"{len(lines) - 1} problems found."
    assert cli("evaluate", str(release_dir), "--predictions", str(bad), "--bootstrap", "-1").returncode == 2


def test_cli_table_and_reproducible_json(model_predictions, release_dir: Path):
    _, path = model_predictions
    table = cli("evaluate", str(release_dir), "--predictions", str(path), "--bootstrap", "200")
    assert table.returncode == 0, table.stderr
    assert "| label | P [95% CI] | R [95% CI] | F1 [95% CI] | gold | predicted |" in table.stdout
    assert "| **micro** |" in table.stdout and "| **macro** |" in table.stdout and "| model |" in table.stdout
    runs = [cli("evaluate", str(release_dir), "--predictions", str(path), "--json", "--seed", "5") for _ in range(2)]
    assert runs[0].returncode == 0 and runs[0].stdout == runs[1].stdout
    data = json.loads(runs[0].stdout)
    assert data["bootstrap"] == {"resamples": 1000, "seed": 5, "interval": "percentile 95%", "unit": "document"}
    assert set(data["schemas"]) == set(SCHEMAS)


# --- seqeval: strict IOB2 on the release's `ner` config ---------------------------------

def iob2(row: dict, spans) -> list[str]:
    """Tags of one sentence row for character spans (each must cover whole tokens)."""
    tags = ["O"] * len(row["tokens"])
    for start, end, label in spans:
        inside = [i for i, (s, e) in enumerate(zip(row["token_starts"], row["token_ends"])) if s >= start and e <= end]
        if not inside:
            continue
        assert row["token_starts"][inside[0]] == start and row["token_ends"][inside[-1]] == end, (start, end, label)
        tags[inside[0]] = f"B-{label}"
        for i in inside[1:]:
            tags[i] = f"I-{label}"
    return tags


def assert_seqeval_agrees(y_true, y_pred, ev) -> None:
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    keys = {"micro avg": "micro", "macro avg": "macro"}
    compared = set()
    for name, figs in report.items():
        if name == "weighted avg":
            continue
        row = ev.scores["strict"][keys.get(name, name)]
        assert (figs["precision"], figs["recall"], figs["f1-score"]) == pytest.approx(figures(row), abs=1e-12), name
        assert figs["support"] == row.gold, name
        compared.add(keys.get(name, name))
    assert compared == set(ev.scores["strict"])  # every label, micro and macro


def test_seqeval_agrees_on_a_synthetic_case():
    text = "Ban Ki-moon met UN staff in Gaza City today"
    row = {"tokens": text.split(), "token_starts": [], "token_ends": []}
    at = 0
    for token in row["tokens"]:
        at = text.index(token, at)
        row["token_starts"].append(at)
        row["token_ends"].append(at + len(token))
        at += len(token)
    row2 = {"tokens": ["Hamas", "fired"], "token_starts": [0, 6], "token_ends": [5, 11]}
    gold1 = [(0, 11, "PERSON"), (16, 18, "ORG"), (28, 37, "GPE"), (38, 43, "DATE")]
    pred1 = [(0, 11, "PERSON"), (16, 24, "ORG"), (28, 32, "GPE"), (38, 43, "DATE")]
    gold2, pred2 = [(0, 5, "ORG")], [(0, 5, "NORP")]
    ev = evaluate([EvalDoc("a", tuple(gold1), ("model",) * 4, tuple(pred1)),
                   EvalDoc("b", tuple(gold2), ("manual",), tuple(pred2))], bootstrap=0)
    # by hand: 2 of 5 right; PERSON and DATE 1, ORG, GPE and NORP 0
    assert figures(ev.scores["strict"]["micro"]) == pytest.approx((0.4, 0.4, 0.4))
    assert figures(ev.scores["strict"]["macro"]) == pytest.approx((0.4, 0.4, 0.4))
    assert [figures(ev.scores[s]["micro"])[0] for s in SCHEMAS] == pytest.approx([0.4, 0.6, 0.8, 0.8])
    assert_seqeval_agrees([iob2(row, gold1), iob2(row2, gold2)], [iob2(row, pred1), iob2(row2, pred2)], ev)


def test_seqeval_agrees_on_the_pinned_models_predictions(model_predictions, release_dir: Path):
    result, path = model_predictions
    gold = read_gold(release_dir, "test")
    predicted = read_predictions(path, gold)
    files = sorted((release_dir / "data" / "ner").glob("test-*.parquet"))
    names = json.loads(pq.read_schema(files[0]).metadata[b"huggingface"])["info"]["features"]["ner_tags"]["feature"]["names"]
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    spans = {d["doc_id"]: [(e["start"], e["end"], e["label"]) for e in d["entities"]] for d in gold.documents}
    y_true = [[names[t] for t in r["ner_tags"]] for r in rows]  # the release's own IOB2 tags
    assert y_true == [iob2(r, spans[r["doc_id"]]) for r in rows]  # ...which spell the gold spans
    y_pred = [iob2(r, predicted[r["doc_id"]]) for r in rows]
    assert_seqeval_agrees(y_true, y_pred, result.evaluation)


# --- nervaluate ---------------------------------------------------------------------------

def nervaluate_results(docs: list[EvalDoc]) -> dict:
    """nervaluate on the same spans (its ends are inclusive)."""
    def ents(spans):
        return [{"label": label, "start": s, "end": e - 1} for s, e, label in sorted(spans)]
    labels = sorted({s[2] for d in docs for s in (*d.gold, *d.predicted)})
    return Evaluator([ents(d.gold) for d in docs], [ents(d.predicted) for d in docs], tags=labels,
                     loader="dict").evaluate()


def assert_nervaluate_agrees(docs: list[EvalDoc], schemas=SCHEMAS) -> None:
    ev, ner = evaluate(docs, bootstrap=0), nervaluate_results(docs)
    for schema in SCHEMAS:
        for label in ev.labels:
            theirs = ner["entities"][label][schema]
            assert figures(ev.scores[schema][label]) == pytest.approx((theirs.precision, theirs.recall, theirs.f1))
    for schema in schemas:
        theirs = ner["overall"][schema]
        assert figures(ev.scores[schema]["micro"]) == pytest.approx((theirs.precision, theirs.recall, theirs.f1))


def test_nervaluate_agrees_on_the_hand_computed_cases():
    assert_nervaluate_agrees([DOC])
    assert_nervaluate_agrees(corpus())


def test_nervaluate_agrees_on_the_pinned_models_predictions(model_predictions, release_dir: Path):
    _, path = model_predictions
    gold = read_gold(release_dir, "test")
    predicted = read_predictions(path, gold)
    docs = [EvalDoc(d["doc_id"], tuple((e["start"], e["end"], e["label"]) for e in d["entities"]),
                    tuple(e["source"] for e in d["entities"]), tuple(predicted[d["doc_id"]])) for d in gold.documents]
    # ent_type overall differs where a wrong-label prediction comes first (next test); all else agrees
    assert_nervaluate_agrees(docs, schemas=("strict", "exact", "partial"))


def test_ent_type_does_not_depend_on_prediction_order_unlike_nervaluate():
    """Gold TIME [0,13); predicted DATE [0,5) then TIME [7,13). nervaluate pairs in
    prediction order, so DATE takes the gold span and TIME is spurious; our pairing
    (same-label overlaps, largest first) credits TIME whatever the order, which is
    nervaluate's figure for the reversed order."""
    gold, preds = [NerEntity("TIME", 0, 12)], [NerEntity("DATE", 0, 4), NerEntity("TIME", 7, 12)]
    in_order, _ = EntityTypeEvaluation().evaluate(gold, preds, ["DATE", "TIME"])
    reversed_order, _ = EntityTypeEvaluation().evaluate(gold, preds[::-1], ["DATE", "TIME"])
    assert (in_order.correct, reversed_order.correct) == (0, 1)
    for predicted in (((0, 5, "DATE"), (7, 13, "TIME")), ((7, 13, "TIME"), (0, 5, "DATE"))):
        ev = evaluate([EvalDoc("d", ((0, 13, "TIME"),), ("model",), predicted)], bootstrap=0)
        assert figures(ev.scores["ent_type"]["micro"]) == pytest.approx(
            (reversed_order.precision, reversed_order.recall, reversed_order.f1))


def test_seqeval_on_the_conll_export_agrees_with_evaluate(model_predictions, release_dir: Path, exported):
    """The CoNLL file a user gets from `export --format conll`, scored by seqeval against
    the same predictions, gives exactly evaluate's strict figures."""
    result, path = model_predictions
    gold = read_gold(release_dir, "test")
    predicted = read_predictions(path, gold)
    sentences: list[list[tuple[str, str]]] = []
    for block in (exported["conll"] / "test.conll").read_text("utf-8").split("\n\n"):
        lines = [line.split(" ") for line in block.splitlines() if line and not line.startswith("-DOCSTART-")]
        if lines:
            sentences.append([(words[0], words[-1]) for words in lines])
    rows = [r for f in sorted((release_dir / "data" / "ner").glob("test-*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert [[w for w, _ in s] for s in sentences] == [r["tokens"] for r in rows]  # the export's tokens, in order
    y_true = [[tag for _, tag in s] for s in sentences]
    y_pred = [iob2(r, predicted[r["doc_id"]]) for r in rows]
    assert_seqeval_agrees(y_true, y_pred, result.evaluation)
