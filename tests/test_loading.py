"""The release loads training-ready in every supported major version of `datasets`:
without a config name it gives the token-classification rows, ``ner_tags`` is a
sequence of ClassLabel (``.feature.names`` works), and the card's own loading
snippets run as written. One environment per major version (`make test` creates them;
5.x is the project's own)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_builder.release.rows import iob_names

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = {  # datasets major version -> interpreter
    "2": ROOT / ".venv-compat-2" / "bin" / "python",
    "3": ROOT / ".venv-compat" / "bin" / "python",
    "4": ROOT / ".venv-compat-4" / "bin" / "python",
    "5": Path(sys.executable),
}

CHECK = """
import datasets, json, sys
out = {"version": datasets.__version__}
ner = datasets.load_dataset(sys.argv[1])
f = ner["train"].features
out["ner"] = {"splits": {k: v.num_rows for k, v in ner.items()}, "columns": ner["train"].column_names,
              "tags": f["ner_tags"].feature.names, "tokens": type(f["tokens"]).__name__}
docs = datasets.load_dataset(sys.argv[1], "documents")
row = docs["train"][0]
out["documents"] = {"splits": {k: v.num_rows for k, v in docs.items()},
                    "entity": sorted(row["entities"][0]) if row["entities"] else None,
                    "labels": docs["train"].features["entities"][0]["label"].names
                    if isinstance(docs["train"].features["entities"], list)
                    else docs["train"].features["entities"].feature["label"].names}
print(json.dumps(out))
"""


def card_snippets(card: str) -> list[str]:
    """The Python blocks of the card's "Loading" section."""
    section = card.split("### Loading", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run(python: Path, code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})


@pytest.fixture(scope="module")
def release(fresh_build) -> Path:
    return fresh_build.release


@pytest.fixture(params=sorted(ENVIRONMENTS))
def python(request) -> Path:
    """The interpreter of one `datasets` major version (skipped, with the reason, where absent)."""
    path = ENVIRONMENTS[request.param]
    if not path.exists():
        pytest.skip(f"no datasets {request.param}.x environment at {path.parent.parent}: run `make test` to create it")
    return path


def output(python: Path, code: str, release: Path) -> dict:
    """The JSON object ``code`` prints last, run on ``release`` with ``python``."""
    result = run(python, code, str(release), cwd=release)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_loads_training_ready_on_every_datasets_major_version(python: Path, release: Path):
    out = output(python, CHECK, release)
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert python == ENVIRONMENTS[out["version"].split(".")[0]]  # the major version this environment stands for
    assert out["ner"]["tags"] == iob_names(manifest["model"]["labels"])
    assert out["ner"]["columns"][:2] == ["id", "doc_id"] and "tokens" in out["ner"]["columns"]
    assert out["ner"]["tokens"] in ("Sequence", "List")  # never a plain Python list
    assert {k: v for k, v in out["ner"]["splits"].items()} == {
        s: v["sentences"] for s, v in manifest["counts"]["splits"].items()}
    assert {k: v for k, v in out["documents"]["splits"].items()} == {
        s: v["documents"] for s, v in manifest["counts"]["splits"].items()}
    assert out["documents"]["labels"] == manifest["model"]["labels"]
    assert out["documents"]["entity"] is None or "label" in out["documents"]["entity"]  # a dict per entity


def test_the_cards_loading_snippets_run(python: Path, release: Path, tmp_path: Path):
    card = (release / "README.md").read_text("utf-8")
    snippets = card_snippets(card)
    assert len(snippets) == 2
    # the snippets load `dist/<version>` from the repository root: give them one
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / release.name).symlink_to(release)
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    for code in snippets:
        probe = code + "\nimport json\nprint(json.dumps({'tags': list(tag_names)}))\n"
        result = run(python, probe, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout.strip().splitlines()[-1])["tags"] == iob_names(manifest["model"]["labels"])


# The dataset logic of transformers' examples/pytorch/token-classification/run_ner.py,
# with no --dataset_config_name, --text_column_name or --label_column_name given
# (task_name "ner"): what `python run_ner.py --dataset_name dist/<version>` does first.
RUN_NER = """
import json, sys
from datasets import ClassLabel, load_dataset
raw_datasets = load_dataset(sys.argv[1], None)
column_names = raw_datasets["train"].column_names
features = raw_datasets["train"].features
text_column_name = "tokens" if "tokens" in column_names else column_names[0]
label_column_name = "ner_tags" if "ner_tags" in column_names else column_names[1]
labels_are_int = isinstance(features[label_column_name].feature, ClassLabel)
label_list = features[label_column_name].feature.names if labels_are_int else None
print(json.dumps({"text": text_column_name, "label": label_column_name, "int": labels_are_int,
                  "labels": label_list, "splits": sorted(raw_datasets)}))
"""


def test_transformers_run_ner_reads_the_default_config(python: Path, release: Path):
    out = output(python, RUN_NER, release)
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert out == {"text": "tokens", "label": "ner_tags", "int": True,
                   "labels": iob_names(manifest["model"]["labels"]), "splits": ["test", "train", "validation"]}
