"""Verify a release folder: checksums, manifest, card row counts, entity offsets and
IOB2 tags; optionally rebuild it from the recorded inputs and compare bytes."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from ..catalogue import error, problem
from ..config import SPLITS, BuildConfig
from ..errors import CorpusError, Problem, rel
from ..io import sha256_file, sha256_text
from .folder import SUMS, read_checksums
from .read import Release, read_release, read_rows


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


def croissant_files(folder: Path) -> dict[str, str | None]:
    """The files croissant.json describes: path -> its sha256 there."""
    path = folder / "croissant.json"
    try:
        obj = json.loads(path.read_text("utf-8"))
        return {o["contentUrl"]: o.get("sha256") for o in obj.get("distribution", [])
                if o.get("@type") == "cr:FileObject"}
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise error("E713:damaged", file=rel(path), error=str(exc)[:120]) from None


def check_croissant(folder: Path) -> list[Problem]:
    """croissant.json's sha256 of each file (mlcroissant itself does not check them)."""
    if not (folder / "croissant.json").is_file():
        return [problem("E760", file=rel(folder / "croissant.json"))]
    problems = []
    for name, digest in croissant_files(folder).items():
        target = folder / name
        if not target.is_file() or sha256_file(target) != digest:
            problems.append(problem("E713", file=rel(target), expected=digest))
    return problems


# the files of a release: nothing else may be in one, whatever its lists say
TOP_LEVEL = {"README.md", "DATASHEET.md", "CITATION.cff", "LICENSE.md", "croissant.json", "manifest.json", SUMS}
CONFIGS = ("documents", "ner")
_SHARD = re.compile(rf"data/({'|'.join(CONFIGS)})/({'|'.join(SPLITS)})-([0-9]{{5}})-of-([0-9]{{5}})\.parquet")


_PLOT = re.compile(r"plots/[a-z0-9_]+\.svg")


def known_file(name: str) -> bool:
    if name in TOP_LEVEL or _PLOT.fullmatch(name):
        return True
    m = _SHARD.fullmatch(name)
    return m is not None and int(m.group(3)) < int(m.group(4))


def check_file_list(folder: Path) -> list[Problem]:
    """SHA256SUMS and croissant.json name the same files, and only files a release holds:
    a file added (and listed in both) is refused."""
    problems = []
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    for name in sorted(on_disk):
        if not known_file(name):
            problems.append(problem("E762", file=rel(folder / name)))
    if not (folder / SUMS).is_file() or not (folder / "croissant.json").is_file():
        return problems  # E702 / E760 say so
    summed = set(read_checksums(folder / SUMS)) - {"croissant.json"}
    described = set(croissant_files(folder))
    for name in sorted(summed - described):
        problems.append(problem("E761", file=rel(folder / name), listed=SUMS, other="croissant.json"))
    for name in sorted(described - summed):
        problems.append(problem("E761", file=rel(folder / name), listed="croissant.json", other=SUMS))
    return problems


def check_figures(folder: Path, release: Release, ner: dict[str, list[dict]]) -> list[Problem]:
    """The rows give the counts manifest.json records (cheap: they are in memory)."""
    m = release.manifest["counts"]
    labels = release.labels
    problems: list[Problem] = []

    def compare(figure: str, found: object, expected: object, file: Path) -> None:
        if found != expected:
            problems.append(problem("E763", file=rel(file), position=f"/counts/{figure}", found=str(found),
                                    expected=str(expected), figure=figure))

    by_label: Counter[str] = Counter()
    for split in SPLITS:
        docs = [r for r in release.documents.values() if r["split"] == split]
        expected = m["splits"].get(split, {})
        file = folder / "data" / "documents" / f"{split}-00000-of-00001.parquet"
        compare(f"splits/{split}/doc_ids", sorted(r["doc_id"] for r in docs), sorted(expected.get("doc_ids", [])), file)
        compare(f"splits/{split}/entities", sum(len(r["entities"]) for r in docs), expected.get("entities"), file)
        compare(f"splits/{split}/sentences", sum(len(r["sentences"]) for r in docs), expected.get("sentences"), file)
        tokens = sum(len(s["tokens"]) for r in docs for s in ner.get(r["doc_id"], []))
        compare(f"splits/{split}/tokens", tokens, expected.get("tokens"),
                folder / "data" / "ner" / f"{split}-00000-of-00001.parquet")
        for r in docs:
            by_label.update(labels[e["label"]] for e in r["entities"])
    all_docs = folder / "data" / "documents"
    compare("characters", sum(len(r["text"]) for r in release.documents.values()), m["characters"], all_docs)
    compare("entities", sum(by_label.values()), m["entities"], all_docs)
    for label, counts in sorted(m["entities_by_label"].items()):
        compare(f"entities_by_label/{label}/total", by_label.get(label, 0), counts["total"], all_docs)
    return problems


def check_tokens(folder: Path, release: Release, ner: dict[str, list[dict]]) -> list[Problem]:
    """Each token of data/ner is its document's text at its offsets (the two configs agree)."""
    problems = []
    for doc_id, rows in sorted(ner.items()):
        text = release.documents.get(doc_id, {}).get("text", "")
        bad = sum(1 for r in rows for t, s, e in zip(r["tokens"], r["token_starts"], r["token_ends"]) if text[s:e] != t)
        if bad:
            problems.append(problem("E764", file=rel(folder / "data" / "ner"), position=f"doc_id {doc_id}", count=bad))
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
    if len(release.documents) != m["counts"]["documents"]:
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
    problems += check_figures(folder, release, ner)
    problems += check_tokens(folder, release, ner)
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
    try:
        problems += check_croissant(folder)
        problems += check_file_list(folder)
    except CorpusError as exc:
        problems += exc.problems
    try:
        problems += check_contents(folder)
    except CorpusError as exc:  # a file too damaged to read: already named by the checks above too
        problems += exc.problems
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:  # a field missing or mistyped
        problems.append(problem("E765", file=rel(folder / "manifest.json"),
                                error=f"{type(exc).__name__}: {exc}"[:120]))
    return problems
