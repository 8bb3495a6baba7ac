"""`verify` (release/verify.py, actions/verify.py): each of its codes, triggered by the
damage it names, on a copy of the committed release; the byte comparison of
`--rebuild` against a fresh build; and nothing on the intact release."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import os
import subprocess

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, copy_project

from corpus_builder.actions.history import release_commit
from corpus_builder.actions.verify import verify as verify_action
from corpus_builder.config import load_config
from corpus_builder.errors import CorpusError
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


def delist(folder: Path, name: str) -> None:
    """A consistent forgery: the file removed and dropped from SHA256SUMS and croissant.json alike."""
    (folder / name).unlink()
    croissant = folder / "croissant.json"
    meta = json.loads(croissant.read_text("utf-8"))
    meta["distribution"] = [o for o in meta["distribution"] if o.get("contentUrl") != name]
    croissant.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sums = [line for line in (folder / SUMS).read_text("utf-8").splitlines() if not line.endswith(f"  {name}")]
    (folder / SUMS).write_text("\n".join(sums) + "\n", encoding="utf-8")
    resum(folder)


def git_commit_all(project: Path) -> None:
    """The project as a git repository of one commit: a history that holds today's inputs only."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "today's inputs"]):
        subprocess.run(["git", *args], cwd=project, check=True, env=env, capture_output=True)


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


def test_a_croissant_file_without_distribution_describes_none_of_the_summed_files(release_copy):
    """No distribution: no sha256 to compare (no E713, no crash), but every file SHA256SUMS
    lists is one croissant.json fails to describe (E761), and nothing else is wrong."""
    path = release_copy / "croissant.json"
    meta = json.loads(path.read_text("utf-8"))
    del meta["distribution"]
    path.write_text(json.dumps(meta), encoding="utf-8")
    resum(release_copy)
    problems = verify(release_copy)
    summed = sorted(set(read_checksums(release_copy / SUMS)) - {"croissant.json"})
    assert [(p.code, Path(p.file).relative_to(release_copy).as_posix()) for p in problems] == [
        ("E761", name) for name in summed]
    assert all(p.message == "file listed in SHA256SUMS but not in croissant.json" for p in problems)


@pytest.mark.parametrize(("name", "expected"), [
    ("plots/extra.svg", ["E705"]),  # a file of the release layout, only unlisted
    ("data/ner/extra-00000-of-00001.parquet", ["E705", "E762"]),  # and no split of the layout either
])
def test_an_unlisted_file_is_named(release_copy, name, expected):
    (release_copy / name).parent.mkdir(exist_ok=True)
    (release_copy / name).write_bytes(b"x")
    problems = verify(release_copy)
    assert [p.code for p in problems] == expected
    assert all(p.file.endswith(name) for p in problems)


def test_a_folder_named_after_another_version(release_copy):
    moved = release_copy.rename(release_copy.parent / "9.9.9")
    problems = verify(moved)
    assert codes(problems) == ["E706"]
    assert problems[0].found == release_copy.name and problems[0].expected == "9.9.9"
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


def test_a_damaged_manifest_is_named(release_copy):
    (release_copy / "manifest.json").write_text("{", encoding="utf-8")
    resum(release_copy)
    problems = verify(release_copy)
    assert [(p.code, Path(p.file).name) for p in problems] == [("E765", "manifest.json")]


def test_a_release_without_its_card_is_not_readable(release_copy):
    """README.md removed from the folder and from both lists: the lists agree, but the folder
    is no release `verify` can read."""
    delist(release_copy, "README.md")
    problems = verify(release_copy)
    assert codes(problems) == ["E701"]
    assert "README.md" in problems[0].message


@pytest.fixture()
def current_release(tmp_path, fresh_build) -> Path:
    """A copy of a release of the current inputs (a fresh build: dist/ may predate them)."""
    return Path(shutil.copytree(fresh_build.release, tmp_path / "release" / fresh_build.release.name))


def test_rebuild_refuses_inputs_other_than_the_recorded_ones(tmp_path, current_release):
    """A changed seed: without git there is no history to rebuild from (E768); in a history
    where no commit holds the recorded inputs (E767), the input that differs is named (E711)."""
    project = copy_project(tmp_path / "p")
    seed = sorted((project / "seeds").glob("*.txt"))[0]
    seed.write_text(seed.read_text("utf-8") + "\nOne more line.\n", encoding="utf-8")
    with pytest.raises(CorpusError) as raised:
        verify_action(current_release, load_config(project), rebuild=True)
    assert [p.code for p in raised.value.problems] == ["E768"]
    git_commit_all(project)
    problems = verify_action(current_release, load_config(project), rebuild=True)
    assert [p.code for p in problems] == ["E767", "E711"]
    assert problems[1].file.endswith(seed.name)
    manifest = json.loads((current_release / "manifest.json").read_text("utf-8"))
    recorded = next(s["sha256"] for s in manifest["inputs"]["seeds"] if s["file"] == seed.name)
    assert (problems[1].found, problems[1].expected) == (hashlib.sha256(seed.read_bytes()).hexdigest(), recorded)
    assert f"v{manifest['version']}" in problems[1].hint


def test_rebuild_names_a_recorded_input_that_is_gone(tmp_path, current_release):
    project = copy_project(tmp_path / "p")
    overlay = next(p for p in sorted((project / "annotations").glob("*.json")) if p.name != "annotators.json")
    overlay.unlink()
    git_commit_all(project)
    problems = verify_action(current_release, load_config(project), rebuild=True)
    assert [(p.code, Path(p.file).name, p.found) for p in problems] == [
        ("E767", "manifest.json", None), ("E711", overlay.name, "missing")]


def test_a_release_copy_outside_the_repository_has_no_release_commit(tmp_path, release_dir):
    """`verify --rebuild` of an older release copied out of the project (was: E768, git
    refusing a path outside the repository); the committed folder has its commit."""
    copy = Path(shutil.copytree(release_dir, tmp_path / release_dir.name))
    assert release_commit(ROOT, copy) is None
    assert re.fullmatch(r"[0-9a-f]{40}", release_commit(ROOT, release_dir))


def test_rebuild_names_every_file_whose_bytes_differ(current_release, config):
    """The byte comparison itself: a release whose files are self-consistent (checksums
    updated) but not what the inputs build. Its inputs are the project's: rebuilt in place."""
    copy = current_release
    path = copy / "DATASHEET.md"
    path.write_text(path.read_text("utf-8") + "\nAn added sentence.\n", encoding="utf-8")
    resum(copy)
    assert verify(copy) == []  # intact as a folder ...
    problems = verify_action(copy, config, rebuild=True)
    # ... but not what the inputs build: the changed file and the two that list its hash
    assert sorted((p.code, Path(p.file).name) for p in problems) == [
        ("E712", "DATASHEET.md"), ("E712", "SHA256SUMS"), ("E712", "croissant.json")]


@pytest.mark.parametrize("name", ["README.md", "data/ner/test-00000-of-00001.parquet"])
def test_rebuild_of_a_release_missing_a_listed_file_is_not_attempted(tmp_path, release_dir, config, name):
    """A damaged release: E703 names the file, and no rebuild can make it right (none is run)."""
    copy = Path(shutil.copytree(release_dir, tmp_path / release_dir.name))
    (copy / name).unlink()
    problems = verify_action(copy, config, rebuild=True)
    assert [Path(p.file).name for p in problems if p.code == "E703"] == [Path(name).name]
    assert "E712" not in codes(problems)


def test_rebuild_notices_a_missing_rebuilt_file(current_release, config):
    """A plot removed and dropped from both lists passes plain verify; the rebuild has it."""
    plot = sorted(p.relative_to(current_release).as_posix() for p in (current_release / "plots").glob("*.svg"))[0]
    delist(current_release, plot)
    assert verify(current_release) == []
    problems = verify_action(current_release, config, rebuild=True)
    assert sorted((p.code, Path(p.file).relative_to(current_release).as_posix()) for p in problems) == [
        ("E712", SUMS), ("E712", "croissant.json"), ("E712", plot)]



def test_a_card_without_dataset_info_is_still_verified_otherwise(release_copy):
    """No dataset_info: no row counts to compare, but no crash, and every other check runs."""
    card = release_copy / "README.md"
    text = card.read_text("utf-8")
    start, end = text.index("dataset_info:"), text.index("\n---\n", 4)
    card.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    problems = verify(release_copy)
    assert [(p.code, Path(p.file).name) for p in problems] == [("E704", "README.md"), ("E713", "README.md")]
