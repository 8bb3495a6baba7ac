"""Inputs beyond a flat folder of .txt files, sharded output, and local parallelism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import ROOT
from corpus_builder.release import writer as publish
from corpus_builder.actions.build import build
from corpus_builder.config import load_config
from corpus_builder.stages.ingest import Ingest

ARTICLE = "Ban Ki-moon visited Gaza on Tuesday and met officials in Cairo. He urged restraint."


def test_folders_are_searched_recursively_in_sorted_order(tmp_path: Path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "x.txt").write_text(ARTICLE)
    (tmp_path / "a.txt").write_text(ARTICLE + " One.")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.txt").write_text(ARTICLE)
    (tmp_path / "notes.md").write_text("not an input")
    ingest = Ingest(tmp_path)
    assert [(d.doc_id, d.source_file) for d in ingest()] == [("a", "a.txt"), ("b__c__x", "b/c/x.txt")]
    assert ingest.stats.counts["skipped_other_files"] == 1


def test_jsonl_and_parquet_records_with_metadata_and_bad_lines(tmp_path: Path):
    lines = [
        json.dumps({"id": "j1", "text": ARTICLE, "title": "Ban visits Gaza", "url": "https://example.invalid/j1",
                    "license": "CC-BY-4.0", "published": "2012-11-20"}),
        "{not json",
        json.dumps({"id": "bad id!", "text": ARTICLE}),
        json.dumps({"id": "j4", "text": "   "}),
        json.dumps({"id": "j5", "text": ARTICLE + " Later."}),
    ]
    (tmp_path / "articles.jsonl").write_text("\n".join(lines) + "\n")
    pq.write_table(pa.table({"id": ["p1"], "text": [ARTICLE + " Parquet."], "publisher": ["AFP"]}),
                   tmp_path / "more.parquet")
    ingest = Ingest(tmp_path)
    docs = list(ingest())
    assert [(d.doc_id, d.source_file) for d in docs] == [
        ("j1", "articles.jsonl#line 1"), ("j5", "articles.jsonl#line 5"), ("p1", "more.parquet#row 1")]
    assert docs[0].input_metadata == {"title": "Ban visits Gaza", "url": "https://example.invalid/j1",
                                      "license": "CC-BY-4.0", "published": "2012-11-20"}
    got = {(p.code, p.position) for p in ingest.problems}
    assert got == {("E110", "line 2"), ("E104", "line 3"), ("E102", "line 4")}
    assert all(p.file.endswith("articles.jsonl") and p.hint for p in ingest.problems)


def test_input_metadata_reaches_the_release_and_ids_stay_unique(project: Path, ruler_nlp):
    (project / "seeds" / "extra.jsonl").write_text(
        json.dumps({"id": "000_609d6079c7c3312f", "text": ARTICLE}) + "\n" +
        json.dumps({"id": "j1", "text": ARTICLE, "title": "Stated title", "url": "https://example.invalid/j1"}) + "\n")
    shutil.rmtree(project / "annotations" / "adjudication")
    for f in (project / "annotations").glob("*.*.json"):
        f.unlink()
    from corpus_builder.actions.build import run
    corpus = run(load_config(project), ruler_nlp)
    assert [(p.code, p.found) for p in corpus.problems] == [("E112", "000_609d6079c7c3312f")]
    j1 = next(d for d in corpus.documents if d.doc_id == "j1")
    assert (j1.metadata["title"], j1.metadata["url"]) == ("Stated title", "https://example.invalid/j1")
    assert j1.metadata_sources["title"] == "input"


def test_shards_load_and_bytes_do_not_depend_on_processes(tmp_path: Path, monkeypatch, config):
    monkeypatch.setattr(publish, "SHARD_ROWS", {"documents": 1, "ner": 10})
    monkeypatch.setattr(publish, "GROUP_ROWS", 4)
    from dataclasses import replace

    one = build(replace(config, out=tmp_path / "one", cache=None))
    two = build(replace(config, out=tmp_path / "two", cache=None), processes=2)
    assert (one.release / "SHA256SUMS").read_bytes() == (two.release / "SHA256SUMS").read_bytes()
    train = sorted(p.name for p in (one.release / "data" / "ner").glob("train-*.parquet"))
    n = len(train)
    assert n > 1 and train == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    assert all(pq.ParquetFile(one.release / "data" / "ner" / t).metadata.num_rows <= 10 for t in train)
    ds = datasets.load_dataset(str(one.release), "ner")
    manifest = json.loads((one.release / "manifest.json").read_text())
    assert sum(ds[s].num_rows for s in ds) == manifest["counts"]["sentences"]
    docs = datasets.load_dataset(str(one.release), "documents")
    assert [r["doc_id"] for r in docs["train"]] == manifest["counts"]["splits"]["train"]["doc_ids"]
    # the same rows as the committed single-shard release, in the same order
    committed = pq.read_table(ROOT / "dist" / manifest["version"] / "data" / "ner" / "train-00000-of-00001.parquet")
    assert ds["train"]["id"] == committed.column("id").to_pylist()
    shutil.rmtree(tmp_path / "two")
