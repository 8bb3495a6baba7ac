from corpus_builder.records import Document
from corpus_builder.stages.splits import Splits, assign_split, hashed_split

SALT = "un-gaza-news-ner/split/"  # this corpus's salt (corpus.toml [splits].salt)


def doc(doc_id: str, event: str | None = None) -> Document:
    d = Document(doc_id, f"{doc_id}.txt", "", "")
    d.metadata = {"event": event}
    return d


def test_group_is_event_else_doc_id():
    assert doc("a", "war").group == "war" and doc("b").group == "b"


def test_pins_win_and_hashing_is_stable():
    assert assign_split("g", {"g": "test"}, SALT) == "test"
    assert hashed_split("some-event", SALT) == hashed_split("some-event", SALT)
    # golden values of the documented rule: if they change, every released split moves
    assert [i for i in range(20) if hashed_split(f"doc-{i}", SALT) != "train"] == [12, 17]
    shares = [hashed_split(f"doc-{i}", SALT) for i in range(2000)]
    assert 0.75 < shares.count("train") / 2000 < 0.85
    assert 0.07 < shares.count("validation") / 2000 < 0.13


def test_related_documents_share_a_split_and_growth_moves_nothing():
    first = [doc("a", "e1"), doc("b", "e1"), doc("c")]
    before = {d.doc_id: d.split for d in Splits({}, SALT)(first)}
    assert before["a"] == before["b"]
    grown = [doc("a", "e1"), doc("b", "e1"), doc("c")] + [doc(f"new-{i}", f"e{i % 7}") for i in range(50)]
    after = {d.doc_id: d.split for d in Splits({}, SALT)(grown)}
    assert {k: after[k] for k in before} == before
    events = {}
    for d in grown:
        events.setdefault(d.group, set()).add(after[d.doc_id])
    assert all(len(s) == 1 for s in events.values())


# --- the bucket boundaries, with the rule computed here from its documented text ------------

import hashlib  # noqa: E402

import pytest  # noqa: E402


def documented_bucket(group: str) -> int:
    """bucket = int(sha256("un-gaza-news-ner/split/" + group)[:8], 16) mod 100 (docs, datasheet 2.8)."""
    return int(hashlib.sha256(f"un-gaza-news-ner/split/{group}".encode()).hexdigest()[:8], 16) % 100


def group_in_bucket(bucket: int) -> str:
    return next(g for g in (f"group-{i}" for i in range(100_000)) if documented_bucket(g) == bucket)


@pytest.mark.parametrize("bucket, split", [
    (0, "train"), (1, "train"), (78, "train"), (79, "train"),
    (80, "validation"), (81, "validation"), (88, "validation"), (89, "validation"),
    (90, "test"), (91, "test"), (98, "test"), (99, "test"),
])
def test_every_bucket_boundary(bucket, split):
    group = group_in_bucket(bucket)
    assert hashed_split(group, SALT) == split
    assert assign_split(group, {}, SALT) == split
    assert assign_split(group, {group: "validation" if split != "validation" else "test"}, SALT) != split  # a pin wins


def test_all_hundred_buckets_follow_the_documented_ranges():
    want = {b: "train" if b < 80 else "validation" if b < 90 else "test" for b in range(100)}
    assert {b: hashed_split(group_in_bucket(b), SALT) for b in range(100)} == want


def test_the_rule_uses_the_first_eight_hex_digits_of_the_salted_sha256():
    # a group whose 8-digit prefix and whole-digest buckets differ: only the documented one may decide
    group = next(g for g in (f"g{i}" for i in range(10_000))
                 if (documented_bucket(g) < 80) != (int(hashlib.sha256(f"un-gaza-news-ner/split/{g}".encode())
                                                        .hexdigest(), 16) % 100 < 80))
    assert (hashed_split(group, SALT) == "train") == (documented_bucket(group) < 80)


def test_a_build_whose_groups_are_not_pinned_splits_by_the_hash(tmp_path, ner_cache):
    """End to end, no pins: the events are renamed to groups whose documented buckets fall in
    each split, and the release puts every document where the rule says (and counts them so)."""
    import json

    import pyarrow.parquet as pq

    from conftest import copy_project
    from corpus_builder.actions.build import build
    from corpus_builder.config import load_config

    project = copy_project(tmp_path / "p", cache=ner_cache)
    toml = project / "corpus.toml"
    text = toml.read_text("utf-8")
    toml.write_text(text[:text.index("[splits.pins]")] + "[splits.pins]\n", encoding="utf-8")
    renamed = {"2012-israel-gaza-conflict": group_in_bucket(79), "2021-israel-palestine-crisis": group_in_bucket(80),
               "2014-israel-gaza-war": group_in_bucket(90)}
    for path in (project / "annotations").glob("*.json"):
        body = path.read_text("utf-8")
        for old, new in renamed.items():
            body = body.replace(f'"{old}"', f'"{new}"')
        path.write_text(body, encoding="utf-8")
    report = build(load_config(project).with_overrides(out=tmp_path / "out"))
    placed = {r["doc_id"]: (split, r["group"]) for split in ("train", "validation", "test")
              for f in (report.release / "data" / "documents").glob(f"{split}-*.parquet")
              for r in pq.read_table(f).to_pylist()}
    assert len(placed) == 5
    for doc_id, (split, group) in placed.items():
        assert group in renamed.values()
        bucket = documented_bucket(group)
        assert split == ("train" if bucket < 80 else "validation" if bucket < 90 else "test"), (doc_id, bucket)
    manifest = json.loads((report.release / "manifest.json").read_text("utf-8"))
    assert manifest["settings"]["split_pins"] == {}
    assert {s: v["documents"] for s, v in manifest["counts"]["splits"].items()} == {"train": 2, "validation": 1, "test": 2}


def test_the_stage_counts_documents_per_split_and_how_they_were_assigned():
    pinned, hashed = group_in_bucket(5), group_in_bucket(85)
    docs = [doc("a", pinned), doc("b", pinned), doc("e", pinned), doc("c", hashed), doc("d", group_in_bucket(95))]
    stage = Splits({pinned: "test"}, SALT)
    assert [d.split for d in stage(docs)] == ["test", "test", "test", "validation", "test"]
    assert dict(stage.stats.counts) == {"test": 4, "validation": 1, "pinned": 3, "hashed": 2}
