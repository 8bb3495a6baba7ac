"""A real Label Studio in the loop (issue 13): start the server on 127.0.0.1 with SQLite
in a temporary data folder, create a project from our labeling config through its REST
API (``label-studio-sdk``), import our tasks, submit one annotation as an annotator
would (one relabel, one new entity, one removed entity, in a sentence with an emoji),
export, ``import --mode revise``, build, and check that exactly those three changes are
in the release with the annotator's id. The server is always stopped.

Runs in the Label Studio environment (``make .venv-labelstudio/.installed``); the
corpus-builder commands run with ``--corpus-python`` (default ``.venv/bin/python``)
on a temporary copy of the project, so the corpus itself is never changed:

    .venv-labelstudio/bin/python scripts/labelstudio_roundtrip.py [--corpus-python .venv/bin/python]
    .venv-labelstudio/bin/python scripts/labelstudio_roundtrip.py --prepare   (once, by `make`)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = "zz_labelstudio_emoji"
TEXT = ("Ceasefire talks resume in Cairo\n\n"
        "United Nations chief Ban Ki-moon \U0001F54A\ufe0f met Egyptian President Abdel Fattah el-Sisi in Cairo on "
        "Monday, and Hamas agreed to talks in Doha, Qatar, said John Kerry.\n\n"
        "Israel and the Palestinian Authority were not at the meeting.\n")
TIMES: dict[str, float] = {}


def step(name: str):
    class Timer:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            TIMES[name] = time.perf_counter() - self.t
    return Timer()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus(python: str, project: Path, *args: str) -> str:
    done = subprocess.run([python, "-m", "corpus_builder", *args], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
    if done.returncode != 0:
        raise SystemExit(f"corpus-builder {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def server_env(data: Path) -> dict[str, str]:
    return {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "DJANGO_DB": "sqlite", "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "", "COLLECT_ANALYTICS": "false",
            "LATEST_VERSION_CHECK": "false"}  # else its start asks PyPI for its newest version (a wait on the network)


# An empty database with every migration applied, made once with the environment (`--prepare`,
# run by `make`): Label Studio's start migrates a new database first, about 30 s of CPU.
TEMPLATE = Path(sys.prefix) / "migrated" / "label_studio.sqlite3"
MIGRATE = "from label_studio.server import _setup_env, _apply_database_migrations; _setup_env(); " \
          "_apply_database_migrations()"


def prepare() -> int:
    """Write :data:`TEMPLATE` (into a temporary name first: an interrupted run leaves none)."""
    work = Path(tempfile.mkdtemp(prefix="migrating-", dir=TEMPLATE.parent.parent))
    try:
        done = subprocess.run([sys.executable, "-c", MIGRATE], env=server_env(work), capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"migrating Label Studio's database failed ({done.returncode}):\n{done.stderr[-3000:]}")
        TEMPLATE.parent.mkdir(exist_ok=True)
        os.replace(work / TEMPLATE.name, TEMPLATE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"migrated an empty Label Studio database: {TEMPLATE}")
    return 0


def start_server(data: Path, port: int, email: str, password: str, token: str) -> subprocess.Popen:
    """The server on a copy of :data:`TEMPLATE` when there is one (else it migrates first)."""
    if TEMPLATE.is_file():
        shutil.copyfile(TEMPLATE, data / TEMPLATE.name)
    exe = Path(sys.executable).with_name("label-studio")
    log = (data / "server.log").open("wb")
    return subprocess.Popen([str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--host",
                             f"http://127.0.0.1:{port}", "--port", str(port), "--username", email, "--password",
                             password, "--user-token", token, "--enable-legacy-api-token", "--data-dir", str(data)],
                            env=server_env(data), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"label-studio exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"label-studio did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """The whole process group (the server starts workers of its own)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def annotate(task: dict, text: str) -> tuple[list[dict], dict[str, dict]]:
    """As an annotator would, in the sentence with the emoji: relabel one entity, remove
    one, add one the pre-annotation lacks. Offsets stay Label Studio's (UTF-16)."""
    result = [r for r in task["predictions"][0]["result"]]
    u16 = len(text[:text.index("\U0001F54A")].encode("utf-16-le")) // 2
    after = [r for r in result if r["value"]["start"] > u16]
    sentence_end = len(text[:text.index("Kerry.") + 6].encode("utf-16-le")) // 2
    after = [r for r in after if r["value"]["end"] <= sentence_end]
    relabel = next(r for r in after if r["value"]["labels"] == ["GPE"])
    remove = next(r for r in reversed(after) if r is not relabel)
    covered = [(r["value"]["start"], r["value"]["end"]) for r in result]
    add = None
    units = text.encode("utf-16-le")
    for m in re.finditer(r"\b[A-Z][a-z]{2,}\b", text):
        s = len(text[:m.start()].encode("utf-16-le")) // 2
        e = s + len(m.group().encode("utf-16-le")) // 2
        if u16 < s and e <= sentence_end and not any(a < e and s < b for a, b in covered):
            add = {"start": s, "end": e, "text": units[2 * s:2 * e].decode("utf-16-le"), "labels": ["ORG"]}
            break
    assert add is not None, "no word left to add"
    out = [r for r in result if r is not remove]
    relabelled = {**relabel, "value": {**relabel["value"], "labels": ["LOC"]}}
    out[out.index(relabel)] = relabelled
    out.append({"id": "new1", "from_name": "label", "to_name": "text", "type": "labels", "value": add})
    return out, {"relabel": relabelled["value"], "remove": remove["value"], "add": add}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-python", default=str(ROOT / ".venv" / "bin" / "python"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--prepare", action="store_true", help="only migrate the empty database the server starts from")
    args = ap.parse_args()
    if args.prepare:
        return prepare()
    from label_studio_sdk import LabelStudio  # the Label Studio environment's client

    tmp = Path(tempfile.mkdtemp(prefix="ls-roundtrip-"))
    project = tmp / "project"
    project.mkdir()
    for name in ("corpus.toml", "LICENSE.md"):
        shutil.copy(ROOT / name, project / name)
    for name in ("seeds", "annotations", "schema"):
        shutil.copytree(ROOT / name, project / name)
    (project / "seeds" / f"{DOC}.txt").write_text(TEXT, encoding="utf-8")
    py = args.corpus_python
    port, token = free_port(), secrets.token_hex(20)
    email, password = "annotator@example.com", secrets.token_urlsafe(12)
    url = f"http://127.0.0.1:{port}"
    proc = None
    try:
        with step("tasks + release before"):
            corpus(py, project, "tasks", "--tool", "labelstudio", "--docs", DOC, "--out", str(tmp / "tasks"))
            corpus(py, project, "build", "--out", str(tmp / "before"))
        with step("server start"):
            (tmp / "ls-data").mkdir()
            proc = start_server(tmp / "ls-data", port, email, password, token)
            wait_up(url, proc)
        ls = LabelStudio(base_url=url, api_key=token)
        version = ls.versions.get()
        print(f"label studio: {getattr(version, 'release', None) or version} at {url} (SQLite in {tmp / 'ls-data'}, "
              + ("a copy of the database migrated with the environment)" if TEMPLATE.is_file() else
                 "migrated at start: `--prepare` migrates it once)"))
        with step("project + import"):
            config = (tmp / "tasks" / "label_config.xml").read_text(encoding="utf-8")
            created = ls.projects.create(title="corpus-builder round trip", label_config=config)
            tasks = json.loads((tmp / "tasks" / "tasks.json").read_text(encoding="utf-8"))
            imported = ls.projects.import_tasks(created.id, request=tasks, return_task_ids=True)
        print(f"project id: {created.id}; tasks imported: {imported.task_count}")
        with step("annotate"):
            (ls_task,) = [t for t in ls.tasks.list(project=created.id) if t.data.get("doc_id") == DOC]
            result, changes = annotate(tasks[0], TEXT)
            ann = ls.annotations.create(ls_task.id, result=result, was_cancelled=False, ground_truth=False)
        print(f"annotation submitted: id {ann.id} on task {ls_task.id} by user {ann.completed_by}: "
              + "; ".join(f"{k} {v['text']!r} -> {v['labels'][0]}" for k, v in changes.items()))
        with step("export"):
            data = b"".join(ls.projects.exports.download_sync(created.id, export_type="JSON"))
            export = tmp / "export.json"
            export.write_bytes(data)
    finally:
        if proc is not None:
            with step("server stop"):
                stop(proc)
    annotator = f"labelstudio-user-{ann.completed_by}"
    registry = json.loads((project / "annotations" / "annotators.json").read_text(encoding="utf-8"))
    registry["annotators"].append({"id": annotator, "name": f"Label Studio user {ann.completed_by}",
                                   "role": "annotator in the Label Studio round trip"})
    (project / "annotations" / "annotators.json").write_text(json.dumps(registry, indent=2), encoding="utf-8")
    with step("import --mode revise"):
        out = corpus(py, project, "import", str(export), "--tool", "labelstudio", "--annotator", annotator,
                     "--mode", "revise", "--reason", "Label Studio round trip")
    print("ops imported: " + out.strip().splitlines()[-1])
    with step("build + diff"):
        corpus(py, project, "build", "--out", str(tmp / "after"))
        diff = json.loads(corpus(py, project, "diff", str(tmp / "before" / _version(project)),
                                 str(tmp / "after" / _version(project)), "--json"))
        rows = json.loads(subprocess.run([py, "-c", READ_ROWS, str(tmp / "after" / _version(project)), DOC],
                                         capture_output=True, text=True, check=True).stdout)
    d = diff["documents"]
    assert list(d) == [DOC], f"other documents changed: {sorted(d)}"
    got = d[DOC]
    counts = {k: len(got[k]) for k in ("added", "removed", "relabelled", "resized")}
    assert counts == {"added": 1, "removed": 1, "relabelled": 1, "resized": 0}, counts
    assert got["added"][0]["text"] == changes["add"]["text"] and got["removed"][0]["text"] == changes["remove"]["text"]
    assert got["relabelled"][0]["text"] == changes["relabel"]["text"] and got["relabelled"][0]["new"] == "LOC"
    by_text = {e["text"]: e for e in rows}
    for k in ("add", "relabel"):
        e = by_text[changes[k]["text"]]
        assert e["annotators"] == annotator and e["source"] == "manual", e
    print(f"entities changed in the release: {counts} in {DOC}, each credited to {annotator}")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in TIMES.items()))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")
    return 0


READ_ROWS = """
import json, sys, glob, pyarrow.parquet as pq
folder, doc = sys.argv[1], sys.argv[2]
labels = json.load(open(folder + '/manifest.json'))['model']['labels']
for p in sorted(glob.glob(folder + '/data/documents/*.parquet')):
    for r in pq.read_table(p).to_pylist():
        if r['doc_id'] == doc:
            print(json.dumps([{**e, 'label': labels[e['label']]} for e in r['entities']]))
"""


def _version(project: Path) -> str:
    m = re.search(r'^version = "([^"]+)"', (project / "corpus.toml").read_text(encoding="utf-8"), re.M)
    return m.group(1)


if __name__ == "__main__":
    sys.exit(main())
