"""`corpus-builder export`: every format reads back to exactly the release's entities,
export.json pins the release and the files, the bytes are deterministic, a damaged
release or a senseless format/config is a coded error, and spaCy accepts the DocBin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import spacy
from seqeval.metrics.sequence_labeling import get_entities
from spacy.tokens import DocBin

from conftest import cli, tree_digest
from corpus_builder.io import sha256_file
from corpus_builder.release.export import export
from corpus_builder.release.folder import write_checksums

SPLITS = ("train", "validation", "test")


def labels(release_dir: Path) -> list[str]:
    return json.loads((release_dir / "manifest.json").read_text("utf-8"))["model"]["labels"]


def spans(doc: dict, names: list[str], lo: int = 0, hi: int | None = None, shift: int = 0) -> list[tuple]:
    """A release document's entities inside [lo, hi) as (start, end, label), offsets minus ``shift``."""
    hi = len(doc["text"]) if hi is None else hi
    return [(e["start"] - shift, e["end"] - shift, names[e["label"]]) for e in doc["entities"]
            if lo <= e["start"] and e["end"] <= hi]


@pytest.mark.parametrize("split", SPLITS)
def test_docbin_round_trip(exported, release_rows, release_dir, split):
    names, version = labels(release_dir), release_dir.name
    docs = list(DocBin().from_disk(exported["spacy"] / f"{split}.spacy").get_docs(spacy.blank("en").vocab))
    rows = release_rows["documents"][split]
    assert len(docs) == len(rows) > 0
    for doc, row in zip(docs, rows):
        assert doc.user_data["doc_id"] == row["doc_id"] and doc.user_data["version"] == version
        assert doc.text == row["text"]
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == spans(row, names)
        assert [e.kb_id_ or None for e in doc.ents] == [e["kb_id"] for e in row["entities"]]
        assert [s.start_char for s in doc.sents] == [s["start"] for s in row["sentences"]]


def read_conll(path: Path) -> list[list[list[tuple[str, str]]]]:
    """documents -> sentences -> (token, tag), as a CoNLL-2003 reader sees the file."""
    docs: list = []
    sentence: list = []
    for line in path.read_text("utf-8").split("\n"):
        if line.startswith("-DOCSTART-"):
            docs.append([])
        elif not line:
            if sentence:
                docs[-1].append(sentence)
            sentence = []
        else:
            cols = line.split()
            assert len(cols) == 4, line
            sentence.append((cols[0], cols[-1]))
    return docs


@pytest.mark.parametrize("split", SPLITS)
def test_conll_round_trip(exported, release_rows, release_dir, split):
    names = labels(release_dir)
    docs = read_conll(exported["conll"] / f"{split}.conll")
    by_id = {d["doc_id"]: d for d in release_rows["documents"][split]}
    ner = release_rows["ner"][split]
    assert len(docs) == len(by_id) and sum(len(d) for d in docs) == len(ner)
    sentences = [s for d in docs for s in d]
    for row, sentence in zip(ner, sentences):
        assert [t for t, _ in sentence] == row["tokens"]
        found = [(row["token_starts"][b], row["token_ends"][e], label)
                 for label, b, e in get_entities([tag for _, tag in sentence])]
        assert found == spans(by_id[row["doc_id"]], names, row["start"], row["end"]), row["id"]


@pytest.mark.parametrize("split", SPLITS)
def test_jsonl_round_trip(exported, release_rows, release_dir, split):
    names = labels(release_dir)
    by_id = {d["doc_id"]: d for d in release_rows["documents"][split]}
    lines = [json.loads(x) for x in (exported["jsonl"] / f"{split}.jsonl").read_text("utf-8").splitlines()]
    assert [x["id"] for x in lines] == [r["id"] for r in release_rows["ner"][split]]
    for x in lines:
        doc = by_id[x["doc_id"]]
        assert x["text"] == doc["text"][x["start"]:x["end"]]
        assert all(x["text"][e["start"]:e["end"]] == e["text"] for e in x["entities"])
        assert all(x["text"][a:b] == t for t, a, b in zip(x["tokens"], x["token_starts"], x["token_ends"]))
        assert [(e["start"], e["end"], e["label"]) for e in x["entities"]] == spans(
            doc, names, x["start"], x["end"], shift=x["start"])
    docs = [json.loads(x) for x in (exported["jsonl-documents"] / f"{split}.jsonl").read_text("utf-8").splitlines()]
    assert [d["doc_id"] for d in docs] == list(by_id)
    for d in docs:
        assert all(d["text"][e["start"]:e["end"]] == e["text"] for e in d["entities"])
        assert [(e["start"], e["end"], e["label"]) for e in d["entities"]] == spans(by_id[d["doc_id"]], names)


T_LINE = re.compile(r"T\d+\t(\S+) ((?:\d+ \d+;?)+)\t(.*)")


@pytest.mark.parametrize("split", SPLITS)
def test_brat_round_trip(exported, release_rows, release_dir, split):
    names = labels(release_dir)
    rows = release_rows["documents"][split]
    folder = exported["brat"] / split
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{r['doc_id']}{s}" for r in rows for s in (".ann", ".txt"))
    for row in rows:
        text = (folder / f"{row['doc_id']}.txt").read_bytes().decode("utf-8")
        assert text == row["text"]
        found = []
        for line in (folder / f"{row['doc_id']}.ann").read_text("utf-8").splitlines():
            if line.startswith("T"):
                label, where, stated = T_LINE.fullmatch(line).groups()
                parts = [tuple(map(int, p.split())) for p in where.split(";")]
                assert " ".join(text[a:b] for a, b in parts) == stated
                found.append((parts[0][0], parts[-1][1], label))
        assert found == spans(row, names)
    conf = (exported["brat"] / "annotation.conf").read_text("utf-8")
    assert conf.split("\n\n")[0].split("\n")[1:] == names


@pytest.mark.parametrize("name", ["spacy", "conll", "jsonl", "brat"])
def test_export_json_pins_release_and_files(exported, release_dir, name):
    record = json.loads((exported[name] / "export.json").read_text("utf-8"))
    sums = dict(line.split("  ")[::-1] for line in (release_dir / "SHA256SUMS").read_text("utf-8").splitlines())
    name_ = json.loads((release_dir / "manifest.json").read_text("utf-8"))["name"]
    assert record["release"] == {"name": name_, "version": release_dir.name,
                                 "sha256sums": sha256_file(release_dir / "SHA256SUMS")}
    assert record["format"] == name and record["splits"] == list(SPLITS)
    assert "manifest.json" in record["read"] and all(sums[f] == d for f, d in record["read"].items())
    assert {f.split("/")[1] for f in record["read"] if f.startswith("data/")} == (
        {"ner"} if name == "conll" else {"documents"} if name == "brat" else {"documents", "ner"})
    written = {p.relative_to(exported[name]).as_posix() for p in exported[name].rglob("*") if p.is_file()}
    assert set(record["files"]) == written - {"export.json"}
    assert all(sha256_file(exported[name] / f) == d for f, d in record["files"].items())


def test_export_is_deterministic(exported, release_dir, tmp_path):
    """Same release, same bytes: in this process, and in another with another hash seed."""
    for name, folder in exported.items():
        fmt, _, config = name.partition("-")
        export(release_dir, fmt, tmp_path / name, config=config or None)
        assert tree_digest(tmp_path / name) == tree_digest(folder), name
    again = cli("export", str(release_dir), "--format", "spacy", "--out", str(tmp_path / "cli"),
                env={"PYTHONHASHSEED": "12345"})
    assert again.returncode == 0, again.stderr
    assert tree_digest(tmp_path / "cli") == tree_digest(exported["spacy"])


def test_one_split(release_dir, tmp_path):
    record = export(release_dir, "conll", tmp_path, split="validation")
    assert record["splits"] == ["validation"] and list(record["files"]) == ["validation.conll"]
    assert {f.split("/")[-1].split("-")[0] for f in record["read"] if f.startswith("data/")} == {"validation"}


@pytest.mark.parametrize("fmt, cfg", [("conll", "documents"), ("brat", "ner"), ("spacy", "ner")])
def test_format_config_that_makes_no_sense_is_a_usage_error(release_dir, tmp_path, fmt, cfg):
    r = cli("export", str(release_dir), "--format", fmt, "--config", cfg, "--out", str(tmp_path))
    assert r.returncode == 2 and "[E720]" in r.stderr, r.stderr
    assert not any(tmp_path.iterdir())


def test_out_inside_the_release_is_refused(release_copy):
    r = cli("export", str(release_copy), "--format", "conll", "--out", str(release_copy / "conll"))
    assert r.returncode == 2 and "[E724]" in r.stderr, r.stderr
    assert not (release_copy / "conll").exists()


def test_altered_release_is_refused(release_copy, tmp_path):
    shard = release_copy / "data" / "ner" / "train-00000-of-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:-1] + b"\0")
    r = cli("export", str(release_copy), "--format", "conll", "--out", str(tmp_path / "out"))
    assert r.returncode == 1 and "[E721]" in r.stderr and "train-00000-of-00001.parquet" in r.stderr, r.stderr
    assert not (tmp_path / "out" / "export.json").exists()


def test_missing_split_and_missing_checksums(release_copy, tmp_path):
    for p in (release_copy / "data").glob("*/validation-*.parquet"):
        p.unlink()
    write_checksums(release_copy)
    r = cli("export", str(release_copy), "--format", "jsonl", "--split", "validation", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "[E723]" in r.stderr and "train, test" in r.stderr, r.stderr
    assert export(release_copy, "jsonl", tmp_path / "rest")["splits"] == ["train", "test"]
    (release_copy / "SHA256SUMS").unlink()
    r = cli("export", str(release_copy), "--format", "jsonl", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "[E702]" in r.stderr, r.stderr


def rewrite_first_ner_row(release: Path, change) -> None:
    """Alter the first train sentence and re-sign the release (a consistent-looking but wrong release)."""
    path = release / "data" / "ner" / "train-00000-of-00001.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows[0])
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    write_checksums(release)


@pytest.mark.parametrize("fmt, change, detail", [
    ("spacy", lambda row: row["tokens"].__setitem__(0, "Bam"), "is not text"),
    ("spacy", lambda row: row["token_ends"].__setitem__(0, row["token_ends"][0] - 1), "is not text"),
    ("conll", lambda row: row["tokens"].__setitem__(0, "Ban Ki"), "holds whitespace"),
])
def test_rows_that_do_not_fit_together(release_copy, tmp_path, fmt, change, detail):
    rewrite_first_ner_row(release_copy, change)
    r = cli("export", str(release_copy), "--format", fmt, "--out", str(tmp_path))
    assert r.returncode == 1 and "[E722]" in r.stderr and detail in r.stderr, r.stderr


def spacy_cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "spacy", *args], cwd=cwd, capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "ANSI_COLORS_DISABLED": "1"})
    return r, time.monotonic() - t


def plain(r: subprocess.CompletedProcess) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", r.stdout + r.stderr)


def test_spacy_debug_data_on_the_export(release_dir, tmp_path):
    """The train and validation DocBins are valid spaCy training data: `debug data` passes
    its data checks (training on them: tests/test_training.py)."""
    from spacy.cli.debug_data import BLANK_MODEL_MIN_THRESHOLD

    for split in ("train", "validation"):
        export(release_dir, "spacy", tmp_path / "corpus", split=split)
    cfg = tmp_path / "ner.cfg"
    r, _ = spacy_cli("init", "config", str(cfg), "--lang", "en", "--pipeline", "ner", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    paths = ["--paths.train", "corpus/train.spacy", "--paths.dev", "corpus/validation.spacy"]

    r, _ = spacy_cli("debug", "data", str(cfg), *paths, cwd=tmp_path)
    out = plain(r)
    for check in ("Corpus is loadable", "Pipeline can be initialized with data",
                  "No entities consisting of or starting/ending with whitespace",
                  "No entities crossing sentence boundaries"):
        assert f"✔ {check}" in out, out
    # the one error spaCy may report is the corpus' size (fewer training docs than its threshold)
    docs = len(DocBin().from_disk(tmp_path / "corpus" / "train.spacy"))
    allowed = {f"Low number of examples to train a new pipeline ({docs})"} if docs < BLANK_MODEL_MIN_THRESHOLD else set()
    errors = {line.split("✘", 1)[1].strip() for line in out.splitlines() if "✘" in line}
    errors = {e for e in errors if not re.fullmatch(r"\d+ errors?", e)}
    assert errors <= allowed, out
    assert r.returncode == (1 if errors else 0), out
    print(f"\nspacy debug data: {docs} training docs; errors: {sorted(errors) or 'none'}")

