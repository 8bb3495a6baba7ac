"""`verify` (release/verify.py, actions/verify.py): each of its codes, triggered by the
damage it names, on a copy of the committed release; the byte comparison of
`--rebuild` against a fresh build; and nothing on the intact release."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import copy_project

from corpus_builder.actions.verify import verify as verify_action
from corpus_builder.config import load_config
from corpus_builder.release.folder import SUMS, read_checksums
from corpus_builder.release.verify import verify


def check_contents_only(folder: Path):
    from corpus_builder.release.verify import check_contents

    return check_contents(folder)


def codes(problems) -> list[str]:
    return sorted({p.code for p in problems})


def rewrite(path: Path, change) -> None:
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)


def resum(folder: Path) -> None:
    """SHA256SUMS rewritten for the folder as it is now (damage that a checksum alone would not show)."""
    croissant = folder / "croissant.json"
    meta = json.loads(croissant.read_text("utf-8"))
    for obj in meta.get("distribution", []):
        if obj.get("@type") == "cr:FileObject" and (folder / obj["contentUrl"]).is_file():
            obj["sha256"] = hashlib.sha256((folder / obj["contentUrl"]).read_bytes()).hexdigest()
    croissant.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    listed = read_checksums(folder / SUMS)
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}" for n in sorted(listed)]
    (folder / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


DOCS_TRAIN = "data/documents/train-00000-of-00001.parquet"
NER_TRAIN = "data/ner/train-00000-of-00001.parquet"


def test_the_committed_release_verifies(release_dir):
    assert verify(release_dir) == []


def test_no_sha256sums(release_copy):
    (release_copy / SUMS).unlink()
    problems = verify(release_copy)
    assert [Path(p.file).name for p in problems if p.code == "E702"] == [SUMS]


def test_a_listed_file_is_missing(release_copy):
    (release_copy / "DATASHEET.md").unlink()
    problems = verify(release_copy)
    assert [Path(p.file).name for p in problems if p.code == "E703"] == ["DATASHEET.md"]


def test_a_changed_byte_is_a_checksum_mismatch(release_copy):
    path = release_copy / "LICENSE.md"
    listed = read_checksums(release_copy / SUMS)["LICENSE.md"]
    path.write_bytes(path.read_bytes() + b" ")
    problems = verify(release_copy)
    assert [(p.code, Path(p.file).name) for p in problems] == [("E704", "LICENSE.md"), ("E713", "LICENSE.md")]
    assert (problems[0].found, problems[0].expected) == (hashlib.sha256(path.read_bytes()).hexdigest(), listed)
    assert problems[1].expected == listed  # croissant.json records the same sha256


def test_a_croissant_file_without_distribution_lists_nothing_to_check(release_copy):
    path = release_copy / "croissant.json"
    meta = json.loads(path.read_text("utf-8"))
    del meta["distribution"]
    path.write_text(json.dumps(meta), encoding="utf-8")
    resum(release_copy)
    assert verify(release_copy) == []


def test_an_unlisted_file_is_named(release_copy):
    (release_copy / "data" / "ner" / "extra-00000-of-00001.parquet").write_bytes(b"x")
    problems = verify(release_copy)
    assert [p.code for p in problems] == ["E705"]
    assert problems[0].file.endswith("data/ner/extra-00000-of-00001.parquet")


def test_a_folder_named_after_another_version(release_copy):
    moved = release_copy.rename(release_copy.parent / "9.9.9")
    problems = verify(moved)
    assert codes(problems) == ["E706"]
    assert problems[0].found == "3.0.0" and problems[0].expected == "9.9.9"
    assert (Path(problems[0].file).name, problems[0].position) == ("manifest.json", "/version")


def test_a_manifest_counting_other_documents(release_copy):
    path = release_copy / "manifest.json"
    path.write_text(path.read_text("utf-8").replace('"documents": 5,', '"documents": 6,', 1), encoding="utf-8")
    resum(release_copy)
    problems = [p for p in verify(release_copy) if p.code == "E706"]
    assert [(p.found, p.expected) for p in problems] == [("5", "6")]
    assert (Path(problems[0].file).name, problems[0].position) == ("manifest.json", "/counts/documents")


def test_a_card_stating_another_row_count(release_copy):
    path = release_copy / "README.md"
    path.write_text(path.read_text("utf-8").replace("num_examples: 47", "num_examples: 46", 1), encoding="utf-8")
    resum(release_copy)
    problems = verify(release_copy)
    assert codes(problems) == ["E707"]
    assert (problems[0].found, problems[0].expected) == ("47", "46")
    assert Path(problems[0].file).name == "README.md" and "(ner/train)" in problems[0].message


def test_a_damaged_parquet_footer_is_named_and_the_other_splits_still_checked(release_copy):
    damaged = release_copy / "data" / "ner" / "train-00000-of-00001.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-20])
    card = release_copy / "README.md"
    card.write_text(card.read_text("utf-8").replace("num_examples: 42", "num_examples: 41", 1), encoding="utf-8")
    resum(release_copy)
    problems = check_contents_only(release_copy)
    damaged_named = [p.file for p in problems if p.code == "E714"]
    assert [Path(f).relative_to(release_copy).as_posix() for f in damaged_named] == [
        "data/ner", f"data/ner/{damaged.name}"]  # its metadata, then its rows
    assert all("Parquet" in p.message for p in problems if p.code == "E714")
    assert "magic bytes" in next(p.message for p in problems if p.code == "E714")  # pyarrow's own reason
    # only the damaged split's documents lack their tags: the other splits' rows were still read
    train = {r["doc_id"] for r in pq.read_table(release_copy / DOCS_TRAIN).to_pylist()}
    assert {p.file for p in problems if p.code == "E710"} == train
    # found before the damaged file was read, and not lost because of it (was: only E714 reported)
    assert [(p.code, p.found, p.expected) for p in problems if p.code == "E707"] == [("E707", "42", "41")]


def test_changed_text_breaks_its_sha256(release_copy):
    doc_id = pq.read_table(release_copy / DOCS_TRAIN).to_pylist()[0]["doc_id"]
    rewrite(release_copy / DOCS_TRAIN, lambda rows: rows[0].update(text=rows[0]["text"] + " "))
    resum(release_copy)
    assert [p.file for p in verify(release_copy) if p.code == "E708"] == [doc_id]


def test_shifted_entity_offsets(release_copy):
    def shift(rows):
        e = rows[0]["entities"][0]
        e["start"], e["end"] = e["start"] + 1, e["end"] + 1
    row = pq.read_table(release_copy / DOCS_TRAIN).to_pylist()[0]
    e = row["entities"][0]
    rewrite(release_copy / DOCS_TRAIN, shift)
    resum(release_copy)
    problems = verify(release_copy)
    first = next(p for p in problems if p.code == "E709")
    assert (first.file, first.position) == (row["doc_id"], "entities/0")
    assert (first.found, first.expected) == (row["text"][e["start"] + 1:e["end"] + 1], e["text"])


def test_iob2_tags_that_do_not_spell_the_entities(release_copy):
    def untag(rows):
        row = next(r for r in rows if any(r["ner_tags"]))
        i = next(i for i, t in enumerate(row["ner_tags"]) if t)
        row["ner_tags"][i] = 0
    rewrite(release_copy / NER_TRAIN, untag)
    resum(release_copy)
    problems = verify(release_copy)
    assert codes(problems) == ["E710"]
    doc_ids = {r["doc_id"] for r in pq.read_table(release_copy / NER_TRAIN).to_pylist()}
    assert problems[0].file in doc_ids
    assert re.search(r"\((\d+) spans differ\)", problems[0].message).group(1) in ("1", "2")


def test_a_damaged_release_is_not_readable(release_copy):
    (release_copy / "manifest.json").write_text("{", encoding="utf-8")
    resum(release_copy)
    assert "E701" in codes(verify(release_copy))


def test_rebuild_refuses_inputs_other_than_the_recorded_ones(tmp_path, release_dir):
    project = copy_project(tmp_path / "p")
    seed = next((project / "seeds").glob("*.txt"))
    seed.write_text(seed.read_text("utf-8") + "\nOne more line.\n", encoding="utf-8")
    problems = verify_action(release_dir, load_config(project), rebuild=True)
    assert codes(problems) == ["E711"]
    assert problems[0].file.endswith(seed.name)
    manifest = json.loads((release_dir / "manifest.json").read_text("utf-8"))
    recorded = next(s["sha256"] for s in manifest["inputs"]["seeds"] if s["file"] == seed.name)
    assert (problems[0].found, problems[0].expected) == (hashlib.sha256(seed.read_bytes()).hexdigest(), recorded)
    assert f"v{manifest['version']}" in problems[0].hint


def test_rebuild_names_a_recorded_input_that_is_gone(tmp_path, release_dir):
    project = copy_project(tmp_path / "p")
    overlay = next((project / "annotations").glob("*.json"))
    overlay.unlink()
    problems = verify_action(release_dir, load_config(project), rebuild=True)
    assert [(p.code, Path(p.file).name, p.found) for p in problems] == [("E711", overlay.name, "missing")]


def test_rebuild_names_every_file_whose_bytes_differ(tmp_path, release_dir, config):
    """The byte comparison itself: a release whose files are self-consistent (checksums
    updated) but not what the inputs build."""
    copy = Path(shutil.copytree(release_dir, tmp_path / release_dir.name))
    path = copy / "DATASHEET.md"
    path.write_text(path.read_text("utf-8") + "\nAn added sentence.\n", encoding="utf-8")
    resum(copy)
    assert verify(copy) == []  # intact as a folder ...
    problems = verify_action(copy, config, rebuild=True)
    # ... but not what the inputs build: the changed file and the two that list its hash
    assert sorted((p.code, Path(p.file).name) for p in problems) == [
        ("E712", "DATASHEET.md"), ("E712", "SHA256SUMS"), ("E712", "croissant.json")]


@pytest.mark.parametrize("name", ["README.md", "data/ner/test-00000-of-00001.parquet"])
def test_rebuild_notices_a_missing_rebuilt_file(tmp_path, release_dir, config, name):
    copy = Path(shutil.copytree(release_dir, tmp_path / release_dir.name))
    (copy / name).unlink()
    problems = verify_action(copy, config, rebuild=True)
    assert ("E712", Path(name).name) in [(p.code, Path(p.file).name) for p in problems]
    assert "E703" in codes(problems)



def test_a_card_without_dataset_info_is_still_verified_otherwise(release_copy):
    """No dataset_info: no row counts to compare, but no crash, and every other check runs."""
    card = release_copy / "README.md"
    text = card.read_text("utf-8")
    start, end = text.index("dataset_info:"), text.index("\n---\n", 4)
    card.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    problems = verify(release_copy)
    assert [(p.code, Path(p.file).name) for p in problems] == [("E704", "README.md"), ("E713", "README.md")]
