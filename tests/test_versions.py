"""Citable, verifiable releases: versions, diff, verify, changelog, citation, publishing,
split stability and loading with an older `datasets`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, cli, tree_digest, write_overlay
from corpus_builder.release.citation import bibtex, citation_data
from corpus_builder.config import load_config
from corpus_builder.release.diff import diff_releases
from corpus_builder.actions.build import run
from corpus_builder.io import sha256_file
from corpus_builder.release.folder import SUMS
from corpus_builder.release.versions import bump

COMPAT = ROOT / ".venv-compat" / "bin"
DOC = "000_609d6079c7c3312f"


def releases() -> list[Path]:
    return sorted(p for p in (ROOT / "dist").iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.mark.parametrize("release", releases(), ids=lambda p: p.name)
def test_every_committed_release_matches_its_sha256sums(release: Path):
    for line in (release / SUMS).read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert sha256_file(release / name) == digest, f"{release.name}/{name} changed after release"


def test_bump_levels():
    assert [bump("1.2.3", x) for x in ("major", "minor", "patch")] == ["2.0.0", "1.3.0", "1.2.4"]


def test_verify_rebuild_passes_and_a_corrupted_byte_is_named(tmp_path: Path, release_dir: Path):
    result = cli("verify", "--rebuild", str(release_dir.relative_to(ROOT)))
    assert result.returncode == 0, result.stderr
    assert "verified and rebuilt byte for byte" in result.stderr
    copy = tmp_path / release_dir.name
    shutil.copytree(release_dir, copy)
    parquet = copy / "data" / "ner" / "train-00000-of-00001.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    result = cli("verify", str(copy))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"[E704] {parquet}: checksum mismatch" in result.stderr
    assert f"[E713] {parquet}: file differs from its sha256 in croissant.json" in result.stderr
    # a byte inside the compressed pages: the file no longer even reads
    data[5000] ^= 0xFF
    parquet.write_bytes(bytes(data))
    result = cli("verify", str(copy))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f"[E704] {parquet}: checksum mismatch" in result.stderr
    assert f"[E714] {parquet}: cannot read Parquet file" in result.stderr


def git(*args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture()
def repo(project: Path, release_dir: Path) -> Path:
    """A git work tree with the project's inputs and current release."""
    shutil.copytree(release_dir, project / "dist" / release_dir.name)
    (project / ".gitignore").write_text(".cache/\n")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "inputs", cwd=project)
    return project


def test_release_refuses_dirty_inputs_and_too_small_bumps_then_cuts_a_minor(repo: Path, release_dir: Path):
    version = release_dir.name
    before = tree_digest(repo / "dist" / version)
    doc = next(d for d in run(load_config(repo)).documents if d.doc_id == DOC)
    at = doc.text.index("Middle East nations")
    for ov_path in sorted(p for p in (repo / "annotations").glob(f"{DOC}.*.json")  # both annotators change their mind
                          if "metadata-agent" not in p.name):  # (the metadata-agent's file has no entity op)
        ov = json.loads(ov_path.read_text())
        (op,) = [op for op in ov["ops"] if op.get("expects", {}).get("start") == at]
        op.update(op="relabel", label="GPE")
        op.pop("kb_id", None)
        ov_path.write_text(json.dumps(ov, indent=1, ensure_ascii=False))

    dirty = cli("release", "--bump", "minor", cwd=repo)
    assert dirty.returncode == 2 and "[E602]" in dirty.stderr and "annotations/" in dirty.stderr

    git("commit", "-qam", "relabel Middle East", cwd=repo)
    small = cli("release", "--bump", "patch", "--date", "2026-12-01", cwd=repo)
    assert small.returncode == 1 and "[E605]" in small.stderr and "need minor" in small.stderr
    assert f'version = "{version}"' in (repo / "corpus.toml").read_text()  # rolled back

    ok = cli("release", "--bump", "minor", "--date", "2026-12-01", cwd=repo)
    assert ok.returncode == 0, ok.stderr
    new = bump(version, "minor")
    assert (repo / "dist" / new / SUMS).is_file()
    assert tree_digest(repo / "dist" / version) == before  # the earlier release is untouched
    changelog = (repo / "CHANGELOG.md").read_text()
    assert f"## {new} (2026-12-01)" in changelog
    assert "relabelled 'Middle East' LOC -> GPE" in changelog
    assert "- Split moves: none." in changelog
    assert f'version = "{new}"' in (repo / "corpus.toml").read_text()
    assert (repo / "CITATION.cff").read_text() == (repo / "dist" / new / "CITATION.cff").read_text()

    d = diff_releases(repo / "dist" / version, repo / "dist" / new)
    assert d.required_bump() == "minor" and d.split_moves == {} and d.feature_changes == []
    assert [e["text"] for e in d.documents[DOC].relabelled] == ["Middle East"]
    shown = cli("diff", f"dist/{version}", f"dist/{new}", cwd=repo)
    assert shown.returncode == 0 and "relabelled 'Middle East' LOC -> GPE" in shown.stdout


def test_growing_the_corpus_moves_no_document(project: Path):
    config = load_config(project)
    before = {d.doc_id: d.split for d in run(config).documents}
    sentences = (ROOT / "seeds" / "003_290f42c8fbb873fc.txt").read_text("utf-8").split("\n")
    registry = project / "annotations" / "annotators.json"
    reg = json.loads(registry.read_text())
    reg["annotators"].append({"id": "grower", "name": "test", "role": "test"})
    registry.write_text(json.dumps(reg))
    new_docs = {}
    for i in range(12):
        doc_id = f"9{i:02d}_grown"
        text = f"Report {i}. " + " ".join(sentences[i:i + 3]) + f" Filed as item {i * 7}."
        (project / "seeds" / f"{doc_id}.txt").write_text(text, "utf-8")
        new_docs[doc_id] = text
    grown = run(config)
    # a third of the new articles share an event with the existing ones
    for d in grown.documents:
        if d.doc_id in new_docs and int(d.doc_id[1:3]) % 3 == 0:
            write_overlay(project / "annotations", {
                "schema_version": "1.0", "doc_id": d.doc_id, "annotator": "grower", "text_sha256": d.text_sha256,
                "ops": [{"id": "e", "op": "set_metadata", "field": "event", "value": "2012-israel-gaza-conflict"}]})
    grown = run(config)
    assert grown.problems == []
    after = {d.doc_id: d.split for d in grown.documents}
    assert {k: after[k] for k in before} == before
    shared = [d for d in grown.documents if d.metadata["event"] == "2012-israel-gaza-conflict"]
    assert len(shared) == 6 and {after[d.doc_id] for d in shared} == {before[DOC]}


def test_citation_cff_is_valid_and_matches_the_card(release_dir: Path):
    top = (ROOT / "CITATION.cff").read_text()
    assert top == (release_dir / "CITATION.cff").read_text()
    cff = yaml.safe_load(top)
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["preferred-citation"]["type"] == "data" and cff["version"] == release_dir.name
    for folder in (ROOT, release_dir):
        result = subprocess.run([str(COMPAT / "cffconvert"), "--validate"], cwd=folder, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "valid according to schema version 1.2.0" in result.stdout
    card = (release_dir / "README.md").read_text()
    assert bibtex(citation_data(load_config(ROOT))) in card
    assert f"version = {{{cff['version']}}}" in card and f"year    = {{{cff['date-released'][:4]}}}" in card


def test_publish_dry_run_lists_files_and_tag_without_network(release_dir: Path):
    result = cli("publish", str(release_dir.relative_to(ROOT)), "--repo-id", "someone/un-gaza-news-ner", "--dry-run",
                 env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"would upload {sum(p.is_file() for p in release_dir.rglob('*'))} files")
    assert f"tag the commit v{release_dir.name}" in lines[0]
    for line in (release_dir / SUMS).read_text().splitlines():
        digest, name = line.split("  ")
        assert any(l.split()[0] == digest and l.split()[-1] == name for l in lines[1:-1]), name
    assert lines[-1] == f"load it with: datasets.load_dataset('someone/un-gaza-news-ner', revision='v{release_dir.name}')"


def test_publish_without_network_or_token_is_a_clear_error(release_dir: Path, tmp_path: Path):
    offline = cli("publish", str(release_dir.relative_to(ROOT)), "--repo-id", "someone/x", env={"HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 2 and "[E802]" in offline.stderr and "Traceback" not in offline.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE")}
    no_token = subprocess.run([sys.executable, "-m", "corpus_builder", "publish", str(release_dir), "--repo-id", "someone/x"],
                              capture_output=True, text=True, env={**env, "HF_HOME": str(tmp_path)})
    assert no_token.returncode == 2 and "[E803] no Hugging Face token" in no_token.stderr
    assert "Traceback" not in no_token.stderr


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(p.name for p in (ROOT / "dist").iterdir() if (p / "manifest.json").is_file()))
def test_every_committed_release_rebuilds_byte_for_byte_from_its_commit(version: str):
    """Issue 17.13: `verify --rebuild dist/X` at head, for every release in dist/. A release
    older than the current inputs is rebuilt at the commit that holds its recorded inputs
    (with that commit's code, in a temporary git worktree); the current one with this code."""
    result = cli("verify", "--rebuild", f"dist/{version}")
    assert result.returncode == 0, result.stderr
    assert f"ok: dist/{version} verified and rebuilt byte for byte" in result.stderr


def test_verify_rebuild_of_a_release_no_commit_holds_is_e767(tmp_path: Path):
    """A project whose history never held 1.0.0's inputs: a coded error, no rebuild."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("kill_loop", ROOT / "benchmarks" / "kill_loop.py")
    kill_loop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kill_loop)
    project = kill_loop.release_project(ROOT, tmp_path / "p")
    shutil.copytree(ROOT / "dist" / "1.0.0", project / "dist" / "1.0.0")
    result = cli("verify", "--rebuild", "dist/1.0.0", cwd=project)
    assert result.returncode == 1, result.stderr
    assert ("[E767] dist/1.0.0/manifest.json: no commit of the project's history holds the inputs release 1.0.0 "
            "was built from") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_changed_entity_link_is_an_annotation_change_and_needs_a_minor_bump():
    from corpus_builder.release.diff import ReleaseDiff, diff_documents
    row = {"text": "Mahmud Abbas spoke.", "text_sha256": "x", "edits": [],
           "entities": [{"start": 0, "end": 12, "text": "Mahmud Abbas", "label": 0, "kb_id": None}]}
    linked = {**row, "entities": [{**row["entities"][0], "kb_id": "Q127998"}]}
    d = diff_documents(row, linked, ["PERSON"], ["PERSON"])
    assert d.relinked == [{"raw_span": [0, 12], "text": "Mahmud Abbas", "label": "PERSON", "old": None, "new": "Q127998"}]
    release_diff = ReleaseDiff("1.0.0", "1.1.0", documents={"d": d})
    assert release_diff.required_bump() == "minor"
    assert not diff_documents(row, row, ["PERSON"], ["PERSON"])
