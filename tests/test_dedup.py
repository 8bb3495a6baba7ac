"""Dedup: the policy of [dedup] (drop / error / group / warn), near-duplicates found by
MinHash-LSH, and a corpus with planted duplicates built end to end."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import bench_corpus_module, planted_project
from corpus_builder.actions.build import build
from corpus_builder.config import load_config
from corpus_builder.errors import CorpusError
from corpus_builder.records import Document
from corpus_builder.stages import dedup


def fp(doc_id: str, text: str, group: str | None = None) -> dedup.Fingerprint:
    d = Document(doc_id, f"{doc_id}.txt", "", text, text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())
    d.metadata["event"] = group
    return dedup.document_fingerprint(d)


def texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(5000)]
    return [" ".join(rng.choice(words, 300)) for _ in range(n)]


def test_near_duplicates_found_across_bucket_merges(monkeypatch):
    monkeypatch.setattr(dedup._Buckets, "RUN", 64)  # a new sorted run every 4 documents
    monkeypatch.setattr(dedup._Signatures, "BLOCK", 3)
    found = texts(30)
    found.append(found[2] + " one more sentence at the end")  # near-duplicate of d02, 28 documents later
    stage = dedup.Dedup(near="warn")
    for i, t in enumerate(found):
        stage.add(fp(f"d{i:02d}", t))
    plan = stage.plan()
    assert stage.buckets.keys.size >= 28 * 16 and len(stage.buckets.runs) > 1
    assert [n["doc_ids"] for n in stage.stats.near] == [["d02", "d30"]] and not plan.dropped
    assert [w.code for w in stage.problems] == ["W107"]


def test_exact_drop_keeps_the_first_by_doc_id_and_lists_every_other():
    stage = dedup.Dedup(exact="drop")
    for doc_id in ("z", "a", "m"):  # input order is not id order
        stage.add(fp(doc_id, "same text here, long enough to be an article"))
    plan = stage.plan()
    assert plan.dropped == {"m": "exact", "z": "exact"}
    assert stage.stats.dropped == [{"doc_id": "m", "duplicate_of": "a", "rule": "exact", "similarity": 1.0},
                                   {"doc_id": "z", "duplicate_of": "a", "rule": "exact", "similarity": 1.0}]
    assert [p.code for p in stage.problems] == ["W130"] and "2 duplicate document(s) left out" in stage.problems[0].format()


def test_exact_error_reports_every_pair_in_one_run():
    stage = dedup.Dedup(exact="error")
    for doc_id, text in [("b", "one text of an article"), ("a", "one text of an article"),
                         ("c", "another text entirely here"), ("d", "one text of an article"),
                         ("e", "another text entirely here")]:
        stage.add(fp(doc_id, text))
    stage.plan()
    assert [(p.code, p.file, p.found) for p in stage.problems] == [
        ("E107", "b.txt", "a.txt"), ("E107", "d.txt", "a.txt"), ("E107", "e.txt", "c.txt")]


def test_near_drop_keeps_the_first_by_doc_id():
    base = texts(3, seed=1)
    stage = dedup.Dedup(near="drop")
    for doc_id, text in [("x2", base[0] + " edited"), ("x1", base[0]), ("y", base[1])]:
        stage.add(fp(doc_id, text))
    plan = stage.plan()
    assert plan.dropped == {"x2": "near"}
    (row,) = stage.stats.dropped
    assert (row["doc_id"], row["duplicate_of"], row["rule"]) == ("x2", "x1", "near") and row["similarity"] >= 0.8


def test_group_merges_split_groups_and_refuses_differently_pinned_ones():
    base = texts(2, seed=2)
    stage = dedup.Dedup(near="group", pins={"war": "test"})
    stage.add(fp("p", base[0], group="war"))
    stage.add(fp("q", base[0] + " edited"))  # near-duplicate of p: joins the pinned group
    stage.add(fp("r", base[1]))
    plan = stage.plan()
    assert plan.groups == {"q": "war"} and stage.stats.clusters == [["q", "war"]] and plan.paired == {"p", "q"}
    assert not stage.problems

    stage = dedup.Dedup(near="group", pins={"war": "test", "peace": "train"})
    stage.add(fp("p", base[0], group="war"))
    stage.add(fp("q", base[0] + " edited", group="peace"))
    stage.plan()
    (e,) = stage.problems
    assert e.code == "E131" and "war (test)" in e.format() and "peace (train)" in e.format()


def test_dedup_settings_are_checked(tmp_path: Path):
    (tmp_path / "corpus.toml").write_text((Path(__file__).parents[1] / "corpus.toml").read_text()
                                          + '\n[dedup]\nexcat = "drop"\n')
    with pytest.raises(CorpusError) as exc:
        load_config(tmp_path)
    assert exc.value.problems[0].code == "E130" and exc.value.problems[0].position == "[dedup].excat"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_project(tmp_path_factory.mktemp("planted"), 320, exact="drop", near="group")


def test_planted_corpus_drop_and_group(planted: Path, ruler_nlp):
    """320 articles, 32 syndicated copies and 16 edited copies planted: every copy is
    dropped or grouped, none missed, none invented, and no pair crosses splits."""
    config = load_config(planted)
    report = build(replace(config, cache=None), ruler_nlp)
    manifest = report.manifest
    corpus = config.seeds
    truth = json.loads(corpus.with_name("corpus.planted.json").read_text())
    scores = bench_corpus_module().dedup_scores(truth, manifest)
    assert scores["planted_exact_pairs"] == 32 and scores["planted_near_pairs"] == 16
    assert (scores["dedup_precision"], scores["dedup_recall"]) == (1.0, 1.0), scores
    d = manifest["dedup"]
    assert manifest["counts"]["documents"] == d["kept"] == 320 - 32 and len(d["dropped"]) == 32
    assert d["near_duplicate_pairs"] == 16 and len(d["clusters"]) == 16 and d["cross_split_near_pairs"] == 0
    splits = {doc_id: s for s, v in manifest["counts"]["splits"].items() for doc_id in v["doc_ids"]}
    assert all(splits[a] == splits[b] for a, b in (p["doc_ids"] for p in manifest["near_duplicates"]))
    assert not set(splits) & {x["doc_id"] for x in d["dropped"]}
    sheet = (report.release / "DATASHEET.md").read_text()
    assert "32 were dropped as duplicates (32 exact, 0 near)" in sheet
    assert f"| {d['dropped'][0]['doc_id']} | {d['dropped'][0]['duplicate_of']} | exact | 1.0 |" in sheet
    # besides W130, only the authors' unanswered questions (this made-up project has no card/ answers)
    assert [w.code for w in report.result.warnings if w.code != "W007"] == ["W130"]


def test_planted_corpus_exact_error_stops_with_one_line_per_pair(planted: Path, ruler_nlp, tmp_path: Path):
    config = load_config(planted)
    config = replace(config, cache=None, out=tmp_path, dedup=replace(config.dedup, exact="error"))
    with pytest.raises(CorpusError) as exc:
        build(config, ruler_nlp)
    pairs = [(p.file, p.found) for p in exc.value.problems if p.code == "E107"]
    assert len(pairs) == len(set(pairs)) == 32 and len(exc.value.problems) == 32
    assert not list(tmp_path.iterdir()) or not any(tmp_path.glob("*/SHA256SUMS"))


def test_planted_corpus_warn_counts_pairs_across_splits(planted: Path, ruler_nlp, tmp_path: Path):
    config = load_config(planted)
    config = replace(config, cache=None, out=tmp_path, dedup=replace(config.dedup, near="warn"))
    report = build(config, ruler_nlp)
    crossing = report.manifest["dedup"]["cross_split_near_pairs"]
    splits = {doc_id: s for s, v in report.manifest["counts"]["splits"].items() for doc_id in v["doc_ids"]}
    assert crossing == sum(splits[a] != splits[b] for a, b in (p["doc_ids"] for p in report.manifest["near_duplicates"]))
    assert crossing > 0  # the leak `group` prevents
    codes = [w.code for w in report.result.warnings]
    assert codes.count("W107") == 16 and "W131" in codes
