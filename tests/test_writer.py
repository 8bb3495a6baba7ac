"""The release writer's streaming parts: Arrow batches of any size cut into the same
row groups and files, and per-shard figures that merge into the figures of one stream."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from corpus_builder.actions.build import run
from corpus_builder.config import corpus_labels, load_config
from corpus_builder.release import stats as release_stats
from corpus_builder.release import writer as publish
from corpus_builder.release.stats import ReleaseStats

SCHEMA = pa.schema([("id", pa.string()), ("n", pa.int32()), ("tokens", pa.list_(pa.string()))])


def rows(start: int, stop: int) -> list[dict]:
    return [{"id": f"r{i:03d}", "n": i, "tokens": [str(i)] * (i % 3)} for i in range(start, stop)]


def written(folder: Path, batch_sizes: list[int]) -> tuple[dict[str, bytes], list[list[int]]]:
    """Rows 0..sum(batch_sizes) fed in batches of those sizes: each file's bytes and row groups."""
    shard = publish.ShardWriter(folder, "train", SCHEMA, shard_rows=10)
    start = 0
    for size in batch_sizes:
        shard.add(pa.RecordBatch.from_pylist(rows(start, start + size), schema=SCHEMA))
        start += size
    info = shard.close()
    files = sorted(folder.glob("train-*.parquet"))
    assert info["num_examples"] == start and info["files"] == len(files)
    groups = [[pq.ParquetFile(f).metadata.row_group(g).num_rows for g in range(pq.ParquetFile(f).num_row_groups)]
              for f in files]
    return {f.name: f.read_bytes() for f in files}, groups


def test_batches_of_any_size_give_the_same_row_groups_and_bytes(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(publish, "GROUP_ROWS", 4)
    one_by_one, groups = written(tmp_path / "a", [1] * 23)
    # files of at most 10 rows, row groups of 4 rows (a file's last group holds what is left)
    assert groups == [[4, 4, 2], [4, 4, 2], [3]]
    assert list(one_by_one) == [f"train-{i:05d}-of-00003.parquet" for i in range(3)]
    for i, sizes in enumerate(([23], [3, 5, 1, 7, 7], [10, 10, 3], [4, 4, 4, 4, 4, 3], [0, 9, 0, 14])):
        assert written(tmp_path / f"b{i}", sizes) == (one_by_one, groups), sizes
    table = pq.read_table(tmp_path / "b0" / "train-00001-of-00003.parquet")
    assert table.to_pylist() == rows(10, 20)


def test_rows_waiting_for_their_row_group_wait_on_disk_not_in_memory(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(publish, "GROUP_ROWS", 1000)
    schema = pa.schema([("id", pa.string()), ("text", pa.string())])
    shard = publish.ShardWriter(tmp_path, "test", schema, shard_rows=10_000)
    before = pa.total_allocated_bytes()
    for start in range(0, 900, 100):  # 900 rows of 1 KB: not yet a row group
        shard.add(pa.RecordBatch.from_pylist([{"id": str(i), "text": "x" * 1000} for i in range(start, start + 100)],
                                             schema=schema))
    assert pa.total_allocated_bytes() - before < 100_000
    assert shard.close()["num_examples"] == 900
    assert [p.name for p in tmp_path.iterdir()] == ["test-00000-of-00001.parquet"]  # nothing left waiting
    assert pq.read_table(tmp_path / "test-00000-of-00001.parquet").column("id").to_pylist() == \
        [str(i) for i in range(900)]


def test_shard_figures_merge_into_the_figures_of_one_stream(monkeypatch):
    """Shard tasks count their own documents; merged in shard order, the figures are
    those of one stream over every document (the datasheet's table stops at its limit)."""
    config = load_config(ROOT)
    result = run(config)  # the committed reviews apply to the pinned model's entities
    docs, labels = result.documents, corpus_labels(config, result.model.labels)
    assert len(docs) >= 4 and any(d.reviewed for d in docs) and any(len(d.layers) > 1 for d in docs)
    monkeypatch.setattr(release_stats, "DOCUMENT_TABLE_LIMIT", 3)
    whole = ReleaseStats(labels)
    for doc in docs:
        whole.add(doc)
    merged = ReleaseStats(labels)
    for part in (docs[:1], docs[1:3], [], docs[3:]):
        stats = ReleaseStats(labels)
        for doc in part:
            stats.add(doc)
        merged.merge(stats)
    assert merged.counts() == whole.counts()
    assert [r["doc_id"] for r in merged.table] == [d.doc_id for d in docs[:3]] == [r["doc_id"] for r in whole.table]
    assert merged.seeds == whole.seeds and merged.per_document == whole.per_document
    assert merged.by_split_label == whole.by_split_label
    assert (merged.gold.reviewed, merged.gold.layers) == (whole.gold.reviewed, whole.gold.layers)
    assert merged.gold.tables() == whole.gold.tables()


@pytest.mark.parametrize("processes", [1, 2])
def test_a_build_sends_no_document_back(tmp_path: Path, config, monkeypatch, processes):
    """In a build, shard tasks return release rows as Arrow batches and their figures:
    the client holds no document text, token or entity."""
    from dataclasses import replace

    from corpus_builder import pipeline as pipeline_module
    from corpus_builder.actions.build import build

    seen = []
    original = pipeline_module.Pipeline._merge
    monkeypatch.setattr(pipeline_module.Pipeline, "_merge", lambda self, result: (seen.append(result),
                                                                                   original(self, result))[1])
    report = build(replace(config, out=tmp_path / "out"), processes=processes)
    assert seen and all(r.documents == [] and r.release is not None for r in seen)
    kept = [doc_id for r in seen for doc_id, _ in r.kept]
    released = [d for s in report.manifest["counts"]["splits"].values() for d in s["doc_ids"]]
    assert len(kept) == len(set(kept)) and sorted(kept) == sorted(released)
    keys = {key for r in seen for key in r.batches}
    assert keys == {(c, s) for c in ("documents", "ner") for s in ("train", "validation", "test")}
    assert all(isinstance(b, pa.RecordBatch) for r in seen for b in r.batches.values())


def test_a_shard_tasks_batch_is_the_batch_from_pylist_makes():
    from corpus_builder.shards import _batch

    schema = pa.schema([("id", pa.string()), ("n", pa.int32()), ("tokens", pa.list_(pa.string())),
                        ("ents", pa.list_(pa.struct([("start", pa.int32()), ("label", pa.string())])))])
    rows = [{"id": "a", "n": 1, "tokens": ["x", "y"], "ents": [{"start": 0, "label": "ORG"}]},
            {"id": "b", "tokens": [], "ents": []},  # no "n": null, as from_pylist makes it
            {"id": None, "n": 3, "tokens": None, "ents": [{"start": 2, "label": None}]}]
    batch = _batch(rows, schema)
    assert batch.equals(pa.RecordBatch.from_pylist(rows, schema=schema)) and batch.column("n").null_count == 1
