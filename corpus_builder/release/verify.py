"""Verify a release folder: checksums, manifest, card row counts, entity offsets and
IOB2 tags; optionally rebuild it from the recorded inputs and compare bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from ..catalogue import problem
from ..config import SPLITS, BuildConfig
from ..errors import CorpusError, Problem, rel
from ..io import sha256_file, sha256_text
from .folder import SUMS, read_checksums
from .read import read_release, read_rows


def check_checksums(folder: Path) -> list[Problem]:
    sums = folder / SUMS
    if not sums.is_file():
        return [problem("E702", file=rel(sums))]
    listed = read_checksums(sums)
    problems = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(problem("E703", file=rel(path)))
        elif (found := sha256_file(path)) != digest:
            problems.append(problem("E704", file=rel(path), found=found, expected=digest))
    extra = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name != SUMS) 
    for name in extra:
        if name not in listed:
            problems.append(problem("E705", file=rel(folder / name)))
    return problems


def check_croissant(folder: Path) -> list[Problem]:
    """croissant.json's sha256 of each file (mlcroissant itself does not check them)."""
    path = folder / "croissant.json"
    if not path.is_file():
        return []
    problems = []
    for obj in json.loads(path.read_text("utf-8")).get("distribution", []):
        if obj.get("@type") == "cr:FileObject":
            target = folder / obj["contentUrl"]
            if not target.is_file() or sha256_file(target) != obj.get("sha256"):
                problems.append(problem("E713", file=rel(target), expected=obj.get("sha256")))
    return problems


def check_contents(folder: Path) -> list[Problem]:
    release = read_release(folder)
    m, problems = release.manifest, []
    where = rel(folder / "manifest.json")
    if m.get("version") != folder.name:
        problems.append(problem("E706", file=where, position="/version", found=m.get("version"), expected=folder.name))
    labels = release.labels
    # spelled out here, not imported from rows.py: the check must not share the writer's code
    names = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    for info in release.card.get("dataset_info", []):
        for split in info["splits"]:
            files = sorted((folder / "data" / info["config_name"]).glob(f"{split['name']}-*.parquet"))
            try:
                rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            except Exception as exc:  # a damaged footer
                problems.append(problem("E714:metadata", file=rel(folder / "data" / info["config_name"]),
                                        error=str(exc)[:120]))
                continue
            if rows != split["num_examples"]:
                problems.append(problem("E707", file=rel(folder / "README.md"), found=str(rows),
                                        expected=str(split["num_examples"]), config=info["config_name"],
                                        split=split["name"]))
    if m["counts"]["documents"] != len(release.documents):
        problems.append(problem("E706:count", file=where, position="/counts/documents",
                                found=str(len(release.documents)), expected=str(m["counts"]["documents"])))
    ner: dict[str, list[dict]] = {}
    for split in SPLITS:
        for f in sorted((folder / "data" / "ner").glob(f"{split}-*.parquet")):
            try:
                rows = read_rows(f)
            except CorpusError as exc:  # a damaged file: named, and the problems found so far are kept
                problems += exc.problems
                continue
            for row in rows:
                ner.setdefault(row["doc_id"], []).append(row)
    for doc_id, row in release.documents.items():
        text = row["text"]
        if sha256_text(text) != row["text_sha256"]:
            problems.append(problem("E708", file=doc_id))
        for i, e in enumerate(row["entities"]):
            if text[e["start"]:e["end"]] != e["text"]:
                problems.append(problem("E709", file=doc_id, position=f"entities/{i}", found=text[e["start"]:e["end"]],
                                        expected=e["text"]))
        spans = {(e["start"], e["end"], labels[e["label"]]) for e in row["entities"]}
        tagged = set()
        for srow in ner.get(doc_id, []):
            current = None
            for tag, s, e in zip((names[t] for t in srow["ner_tags"]), srow["token_starts"], srow["token_ends"]):
                if current and tag == f"I-{current[2]}":
                    current[1] = e
                    continue
                if current:
                    tagged.add(tuple(current))
                current = [s, e, tag[2:]] if tag != "O" else None
            if current:
                tagged.add(tuple(current))
        if tagged != spans:
            problems.append(problem("E710", file=doc_id, count=len(tagged ^ spans)))
    return problems


def check_inputs(folder: Path, config: BuildConfig) -> list[Problem]:
    """The current inputs are the ones the manifest records (else a rebuild cannot match)."""
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    problems = []
    expected = {config.seeds / s["file"]: s["sha256"] for s in m["inputs"]["seeds"]}
    expected.update({config.annotations / a["file"]: a["sha256"] for a in m["inputs"]["annotations"]})
    expected[config.root / "corpus.toml"] = m["inputs"]["config"]["sha256"]
    for path, digest in expected.items():
        found = sha256_file(path) if path.is_file() else "missing"
        if found != digest:
            problems.append(problem("E711", file=rel(path), found=found, expected=digest, version=m["version"]))
    return problems


def verify(folder: Path) -> list[Problem]:
    """Everything wrong with a release folder as it is (``actions.verify`` adds the rebuild)."""
    folder = Path(folder)
    problems = check_checksums(folder)
    problems += check_croissant(folder)
    try:
        problems += check_contents(folder)
    except CorpusError as exc:  # a file too damaged to read: already named by the checks above too
        problems += exc.problems
    return problems
