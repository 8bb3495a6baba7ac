"""The tool holds no corpus: a new project made by ``init`` builds at once, and a
release of other texts says nothing of this corpus; missing configured files are coded
errors; a corpus with its own (CoNLL-style) label set builds and loads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import datasets
import pytest
import yaml

from corpus_builder.actions.build import build
from corpus_builder.actions.init import init
from corpus_builder.config import load_config
from corpus_builder.errors import CorpusError

from conftest import ROOT, cli, corpus_words

# Three non-news articles on another subject (written for this test)
ARTICLES = {
    "lichens": "How Lichens Live\n\nA lichen is not one organism but a partnership between a fungus and an alga or a "
               "cyanobacterium. The fungus builds the body and holds water; the partner makes sugars by "
               "photosynthesis. Lichens grow on bare rock, bark and old roofs, often by less than a millimetre a "
               "year. Because many species cannot tolerate sulphur dioxide, botanists such as those at the Royal "
               "Botanic Garden Edinburgh use them to map air quality across Scotland.\n",
    "comets": "Where Comets Come From\n\nShort-period comets are thought to come from the Kuiper Belt beyond Neptune, "
              "while long-period comets fall inward from the far more distant Oort Cloud. When a comet nears the "
              "Sun, its ice turns to gas and drags dust into a tail that always points away from the Sun. The "
              "European Space Agency's Rosetta probe orbited comet 67P and landed the Philae module on its surface.\n",
    "soil": "The Chemistry of Soil\n\nSoil is a mixture of minerals, organic matter, water and air. Clay particles "
            "carry negative charges that hold calcium, magnesium and potassium ions where roots can reach them. "
            "Earthworms, described at length by Charles Darwin, mix the layers and leave channels that let rain "
            "soak in. Farmers in Iowa measure soil acidity and add lime when the pH falls too low.\n",
}
SUMMARY = "Three short explanatory articles about lichens, comets and soil chemistry, written as a test corpus."


def _new_project(tmp_path: Path, name: str = "science-notes") -> Path:
    folder = init(tmp_path / name, name, date="2026-01-02")
    for p in (folder / "seeds").iterdir():
        p.unlink()
    for doc_id, text in ARTICLES.items():
        (folder / "seeds" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    toml = (folder / "corpus.toml").read_text(encoding="utf-8")
    toml = toml.split("[splits.pins]")[0] + '[splits.pins]\nlichens = "train"\ncomets = "validation"\nsoil = "test"\n'
    (folder / "corpus.toml").write_text(toml, encoding="utf-8")
    (folder / "card" / "summary.md").write_text(SUMMARY + "\n", encoding="utf-8")
    return folder


def _words_in(text: str, words: list[str]) -> list[str]:
    pattern = re.compile("|".join(r"(?<![\w-])" + re.escape(w) + r"(?![\w])" for w in sorted(words, key=len, reverse=True)))
    return sorted({m.group() for m in pattern.finditer(text)})


def test_no_corpus_word_under_the_package():
    words = corpus_words()
    assert "Gaza" in words and "Mahmoud Abbas" in words  # derived from the seeds' release, not only a fixed list
    found = {}
    for path in sorted((ROOT / "corpus_builder").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".yaml", ".md", ".json", ".txt"):
            hits = _words_in(path.read_text(encoding="utf-8"), words)
            if hits:
                found[path.relative_to(ROOT).as_posix()] = hits
    assert not found, f"corpus-specific words in the tool: {found}"


def test_the_word_check_can_fail(tmp_path: Path):
    assert _words_in("a card about the Gaza Strip and Xinhua", corpus_words()) == ["Gaza Strip", "Xinhua"]


def test_init_project_builds_and_says_nothing_of_this_corpus(tmp_path: Path):
    folder = _new_project(tmp_path)
    config = load_config(folder)
    report = build(config)
    assert {p.code for p in report.result.warnings} >= {"W007"}  # funding, ethics, consent unanswered
    release = report.release
    words = corpus_words()
    leaks = {p.relative_to(release).as_posix(): _words_in(p.read_text(encoding="utf-8"), words)
             for p in sorted(release.rglob("*")) if p.is_file() and p.suffix in (".md", ".json", ".cff", ".txt")}
    leaks.update({p.relative_to(release).as_posix(): _words_in(str(ds.to_list()), words)
                  for p in sorted((release / "data").rglob("*.parquet"))
                  for ds in [datasets.Dataset.from_parquet(str(p))]})
    assert not {k: v for k, v in leaks.items() if v}, leaks
    card = (release / "README.md").read_text(encoding="utf-8")
    sheet = (release / "DATASHEET.md").read_text(encoding="utf-8")
    croissant = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    assert SUMMARY in card and "# Dataset Card for Science Notes" in card
    assert "# Datasheet for Science Notes (science-notes 0.1.0)" in sheet
    assert croissant["name"] == "science-notes" and SUMMARY in croissant["description"]
    assert "sha256(`science-notes/split/` + group)" in card
    assert "*Not answered by the corpus authors (`card/1.3.md`).*" in sheet
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["annotations_creators"] == ["machine-generated"]  # the model only: no annotator
    assert "news" not in header["tags"]
    rows = datasets.load_dataset(str(release), "documents")
    assert sorted(r["doc_id"] for s in rows.values() for r in s) == sorted(ARTICLES)


def test_release_refuses_unanswered_author_questions(tmp_path: Path):
    folder = _new_project(tmp_path)
    build(load_config(folder))
    with pytest.raises(CorpusError) as e:
        from corpus_builder.actions.release import release
        release(load_config(folder), "patch")
    assert [p.code for p in e.value.problems] == ["E009", "E009", "E009"]


def test_four_label_conll_corpus_builds_and_loads(tmp_path: Path):
    folder = _new_project(tmp_path, "conll-style")
    toml = (folder / "corpus.toml").read_text(encoding="utf-8")
    toml += '''
[labels]
names = ["PER", "ORG", "LOC", "MISC"]

[labels.map]
PERSON = "PER"
ORG = "ORG"
GPE = "LOC"
LOC = "LOC"
FAC = "LOC"
NORP = "MISC"
EVENT = "MISC"
PRODUCT = "MISC"
WORK_OF_ART = "MISC"
LAW = "MISC"
LANGUAGE = "MISC"
DATE = ""
TIME = ""
PERCENT = ""
MONEY = ""
QUANTITY = ""
ORDINAL = ""
CARDINAL = ""
'''
    (folder / "corpus.toml").write_text(toml, encoding="utf-8")
    release = build(load_config(folder)).release
    ner = datasets.load_dataset(str(release))
    names = ner["train"].features["ner_tags"].feature.names
    assert names == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    docs = datasets.load_dataset(str(release), "documents")
    labels = docs["train"].features["entities"].feature["label"].names
    assert labels == ["PER", "ORG", "LOC", "MISC"]
    found = {labels[e["label"]] for s in docs.values() for r in s for e in r["entities"]}
    assert found and found <= {"PER", "ORG", "LOC", "MISC"}
    card = (release / "README.md").read_text(encoding="utf-8")
    assert "| `MISC` |" in card and "`GPE` → `LOC`" in card and "`CARDINAL` → dropped" in card


def test_unmapped_model_label_is_a_coded_error(tmp_path: Path):
    folder = _new_project(tmp_path, "unmapped")
    with (folder / "corpus.toml").open("a", encoding="utf-8") as f:
        f.write('\n[labels]\nnames = ["PER"]\n\n[labels.map]\nPERSON = "PER"\n')
    with pytest.raises(CorpusError) as e:
        build(load_config(folder))
    assert e.value.problems[0].code == "E007"


@pytest.mark.parametrize("remove, code, exit_code", [
    ("LICENSE.md", "E008", 2),
    ("seeds", "E100", 2),
    ("annotations/annotators.json", "E407", 1),
])
def test_missing_configured_file_is_a_coded_one_line_error(tmp_path: Path, remove: str, code: str, exit_code: int):
    folder = init(tmp_path / "p", "missing-files")
    target = folder / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    run = cli("build", cwd=folder)
    assert run.returncode == exit_code, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and f"[{code}]" in errors[0], run.stderr
    assert "internal error" not in run.stderr


def test_init_refuses_a_bad_name_and_a_full_folder(tmp_path: Path):
    assert cli("init", str(tmp_path / "x"), "--name", "Bad Name").returncode == 2
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    run = cli("init", str(tmp_path / "full"), "--name", "ok-name")
    assert run.returncode == 2 and "[E010]" in run.stderr
    run = cli("init", str(tmp_path / "new"), "--name", "ok-name")
    assert run.returncode == 0 and (tmp_path / "new" / "card" / "1.3.md").is_file()
    assert "[E011]" in cli("init", str(tmp_path / "y"), "--name", "Bad Name").stderr


def test_a_card_file_no_question_reads_is_a_warning(tmp_path: Path):
    folder = _new_project(tmp_path, "typo-answer")
    (folder / "card" / "1.33.md").write_text("An answer under a key that does not exist.\n", encoding="utf-8")
    run = cli("build", cwd=folder)
    assert run.returncode == 0 and "[W008] card/1.33.md" in run.stderr, run.stderr


def test_a_spelling_variant_of_a_linked_name_asks_for_a_decision(project: Path):
    path = project / "annotations" / "000_609d6079c7c3312f.maintainer-a.json"
    ov = json.loads(path.read_text("utf-8"))
    for op in ov["ops"]:
        if op.get("quote") == "Mahmud Abbas":
            del op["kb_id"], op["note"]
    path.write_text(json.dumps(ov), encoding="utf-8")
    run = cli("validate", cwd=project)
    assert "[W447]" in run.stderr and "'Mahmud Abbas' is unlinked but 'Mahmoud Abbas' is linked (Q127998)" in run.stderr
    assert "[W447]" not in cli("validate", cwd=ROOT).stderr  # this corpus decided it (same kb_id)
