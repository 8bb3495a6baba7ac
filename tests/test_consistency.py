"""One consistency check over a release: every figure and claim of the card (YAML header
and body), DATASHEET.md, croissant.json and CITATION.cff agrees with manifest.json, and
every table's rows add up to its total. Run on a fresh build of the inputs, on the
committed current release, and on copies with one figure changed (it must fail)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from corpus_builder.release.card import annotations_creators

PARTIAL = ("partial review", "partly corrected", "reviewed part of", "one annotator", "review is partial",
           "no agreement figure")


def _rows(doc: str, header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header line starts with ``header``."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(header)), None)
    if start is None:
        return []
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip().strip("`*") for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def _measures(doc: str) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in _rows(doc, "| Measure | Value |")}


def check_release(folder: Path) -> list[str]:
    """Every disagreement between the release's documents and its manifest, one line each."""
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    c, cov = m["counts"], m["coverage"]
    m.setdefault("annotators", [{"id": a, "kind": None} for a in m["overlays"]["annotators"]])
    m.setdefault("labels", m["model"]["labels"])
    src = c["entities_by_source"]
    bad: list[str] = []

    def same(where: str, found: object, expected: object) -> None:
        if found != expected:
            bad.append(f"{where}: {found!r} != manifest {expected!r}")

    # the manifest itself adds up
    same("manifest entities by source", sum(src.values()), c["entities"])
    for label, row in c["entities_by_label"].items():
        same(f"manifest label {label} row", row["model"] + row["manual"] + row.get("adjudication", 0), row["total"])
    for col, key in (("model", "model"), ("manual", "manual"), ("adjudication", "adjudication"), ("total", None)):
        same(f"manifest label column {col}", sum(r.get(col, 0) for r in c["entities_by_label"].values()),
             src.get(key, 0) if key else c["entities"])
    same("manifest splits documents", sum(s["documents"] for s in c["splits"].values()), c["documents"])

    card_text = (folder / "README.md").read_text("utf-8")
    _, header_text, card = card_text.split("---\n", 2)
    header = yaml.safe_load(header_text)
    same("card annotations_creators", header["annotations_creators"], annotations_creators(m))
    same("card pretty_name", header["pretty_name"], m["citation"]["title"])
    for info in header["dataset_info"]:
        unit = "documents" if info["config_name"] == "documents" else "sentences"
        for s in info["splits"]:
            same(f"card dataset_info {info['config_name']}/{s['name']}", s["num_examples"], c["splits"][s["name"]][unit])
    sheet = (folder / "DATASHEET.md").read_text("utf-8")
    expected = {"Documents": c["documents"], "Sentences": c["sentences"], "Tokens": c["tokens"],
                "Entities": c["entities"], "Entities kept from the model": src.get("model", 0),
                "Entities added or changed by overlays": src.get("manual", 0),
                "Entities decided by adjudication": src.get("adjudication", 0),
                "Documents reviewed completely": cov["complete"], "Model entities not reviewed": cov["unreviewed"],
                "Annotators": len(m["annotators"])}
    for name, doc in (("card", card), ("datasheet", sheet)):
        for measure, value in _measures(doc).items():
            same(f"{name} measure {measure}", value, expected[measure])
        for row in _rows(doc, "| Split |"):
            s = c["splits"][row[0]]
            same(f"{name} split {row[0]}", [int(x) for x in row[1:5]],
                 [s["documents"], s["sentences"], s["tokens"], s["entities"]])
        labels = _rows(doc, "| Label | Model | Manual | Adjudication | Total |")
        if not labels:
            bad.append(f"{name}: no label table with an Adjudication column")
            continue
        *body, total = labels
        for row in body:
            figures = [int(x) for x in row[1:]]
            same(f"{name} label {row[0]} adds up", sum(figures[:3]), figures[3])
            ml = c["entities_by_label"][row[0]]
            same(f"{name} label {row[0]}", figures, [ml["model"], ml["manual"], ml.get("adjudication", 0), ml["total"]])
        columns = [sum(int(r[i]) for r in body) for i in range(1, 5)]
        same(f"{name} label columns", columns, [int(x) for x in total[1:]])
        same(f"{name} label total", [int(x) for x in total[1:]],
             [src.get("model", 0), src.get("manual", 0), src.get("adjudication", 0), c["entities"]])
        complete = cov["complete"] == cov["documents"] and cov["unreviewed"] == 0
        for phrase in PARTIAL if complete else ():
            if phrase in doc.lower():
                bad.append(f"{name} says {phrase!r} but every document was reviewed completely")
        if complete != ("Every document was reviewed completely" in doc):
            bad.append(f"{name}: the review wording disagrees with coverage {cov}")

    # the datasheet's document table shows each row's publication date (— for none)
    rows = {r["doc_id"]: r for path in sorted((folder / "data" / "documents").glob("*.parquet"))
            for r in pq.read_table(path, columns=["doc_id", "published"]).to_pylist()}
    for row in _rows(sheet, "| doc_id | Title | Published |"):
        doc_id = row[0].replace("\\_", "_")
        same(f"datasheet published of {doc_id}", row[2], rows[doc_id]["published"] or "—")

    croissant = json.loads((folder / "croissant.json").read_text("utf-8"))
    figures = re.search(r"(\d+) documents?, (\d+) sentences?, (\d+) tokens?, (\d+) entit", croissant["description"])
    same("croissant description figures", [int(x) for x in figures.groups()] if figures else None,
         [c["documents"], c["sentences"], c["tokens"], c["entities"]])
    protocol = " ".join(croissant["rai:dataAnnotationProtocol"])
    found = re.search(r"(\d+) annotators? \(", protocol)
    same("croissant annotators", int(found[1]) if found else None, len(m["annotators"]))
    found = re.search(r"(\d+) of (\d+) documents reviewed completely \(\d+ of \d+ characters\); (\d+) model", protocol)
    same("croissant coverage", [int(x) for x in found.groups()] if found else None,
         [cov["complete"], cov["documents"], cov["unreviewed"]])
    for a in m["annotators"]:
        if f"{a['id']} (" not in " ".join(croissant["rai:annotatorDemographics"]):
            bad.append(f"croissant annotatorDemographics does not name {a['id']}")
    names = [r["entity_labels/name"] for rs in croissant["recordSet"] if rs["@id"] == "entity_labels" for r in rs["data"]]
    same("croissant entity labels", names, m["labels"])
    text = json.dumps(croissant).lower()
    for phrase in PARTIAL if cov["complete"] == cov["documents"] else ():
        if phrase in text:
            bad.append(f"croissant says {phrase!r} but every document was reviewed completely")

    cff = yaml.safe_load((folder / "CITATION.cff").read_text("utf-8"))
    same("CITATION version", cff["version"], m["version"])
    same("CITATION title", cff["title"], m["citation"]["title"])
    same("CITATION date", str(cff["date-released"]), m["date_released"])
    found = re.search(r"(\d+) documents? and (\d+) entit", cff.get("abstract", ""))
    same("CITATION abstract figures", [int(x) for x in found.groups()] if found else None, [c["documents"], c["entities"]])
    for phrase in PARTIAL if cov["complete"] == cov["documents"] else ():
        if phrase in cff.get("abstract", "").lower():
            bad.append(f"CITATION abstract says {phrase!r} but every document was reviewed completely")
    return bad


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import ROOT
    from corpus_builder.actions.build import build
    from corpus_builder.config import load_config
    return build(load_config(ROOT).with_overrides(out=tmp_path_factory.mktemp("dist"))).release


def test_a_fresh_release_agrees_with_its_manifest(built: Path):
    assert check_release(built) == []


def test_the_committed_current_release_agrees_with_its_manifest(release_dir: Path):
    """The release in dist/ for corpus.toml's version (fails on 3.0.0, whose label table
    and RAI texts were wrong; passes from the errata release on)."""
    assert check_release(release_dir) == []


@pytest.mark.parametrize("file, old, new", [
    ("README.md", "| Entities | {entities} |", "| Entities | {entities_plus} |"),
    ("DATASHEET.md", "| Documents reviewed completely | {complete} |", "| Documents reviewed completely | 4 |"),
    ("croissant.json", "{tokens} tokens", "{tokens_plus} tokens"),
    ("CITATION.cff", "{documents} documents and", "{documents_plus} documents and"),
    ("README.md", "- machine-generated", "- expert-generated"),
    ("DATASHEET.md", "| 2012-11-16 | day |", "| — | day |"),
])
def test_one_changed_figure_is_caught(built: Path, tmp_path: Path, file: str, old: str, new: str):
    copy = Path(shutil.copytree(built, tmp_path / "copy"))
    m = json.loads((copy / "manifest.json").read_text("utf-8"))
    facts = {"entities": m["counts"]["entities"], "complete": m["coverage"]["complete"],
             "tokens": m["counts"]["tokens"], "documents": m["counts"]["documents"]}
    facts |= {f"{k}_plus": v + 1 for k, v in list(facts.items())}
    path = copy / file
    text = path.read_text("utf-8")
    old, new = old.format(**facts), new.format(**facts)
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_release(copy)
    assert problems, f"changing {old!r} to {new!r} in {file} went unnoticed"
    print(problems)
