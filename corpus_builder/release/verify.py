"""Verify a release folder: checksums, manifest, card row counts, entity offsets and
IOB2 tags; optionally rebuild it from the recorded inputs and compare bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from ..config import SPLITS, BuildConfig
from ..errors import CorpusError, Problem, rel
from ..io import sha256_file, sha256_text
from .folder import SUMS
from .read import read_release, read_rows


def check_checksums(folder: Path) -> list[Problem]:
    sums = folder / SUMS
    if not sums.is_file():
        return [Problem("E702", "no SHA256SUMS", file=rel(sums), hint="this is not a complete release; rebuild it")]
    listed: dict[str, str] = {}
    for line in sums.read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    problems = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(Problem("E703", "file listed in SHA256SUMS is missing", file=rel(path),
                                    hint="restore the release from its tag or rebuild it"))
        elif sha256_file(path) != digest:
            problems.append(Problem("E704", "checksum mismatch", file=rel(path), found=sha256_file(path),
                                    expected=digest, hint="the file changed after release; restore it from its tag"))
    extra = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name != SUMS) 
    for name in extra:
        if name not in listed:
            problems.append(Problem("E705", "file not listed in SHA256SUMS", file=rel(folder / name),
                                    hint="a release is immutable: remove the file"))
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
                problems.append(Problem("E713", "file differs from its sha256 in croissant.json", file=rel(target),
                                        expected=obj.get("sha256"), hint="restore the release from its tag"))
    return problems


def check_contents(folder: Path) -> list[Problem]:
    release = read_release(folder)
    m, problems = release.manifest, []
    where = rel(folder / "manifest.json")
    if m.get("version") != folder.name:
        problems.append(Problem("E706", "manifest version differs from the folder name", file=where,
                                position="/version", found=m.get("version"), expected=folder.name,
                                hint="a release folder is named after its version"))
    labels = release.labels
    # spelled out here, not imported from rows.py: the check must not share the writer's code
    names = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    for info in release.card.get("dataset_info", []):
        for split in info["splits"]:
            files = sorted((folder / "data" / info["config_name"]).glob(f"{split['name']}-*.parquet"))
            try:
                rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            except Exception as exc:  # a damaged footer
                problems.append(Problem("E714", f"cannot read Parquet metadata: {str(exc)[:120]}",
                                        file=rel(folder / "data" / info["config_name"]),
                                        hint="a file is damaged; restore the release from its tag"))
                continue
            if rows != split["num_examples"]:
                problems.append(Problem("E707", f"row count differs from the card's dataset_info ({info['config_name']}/{split['name']})",
                                        file=rel(folder / "README.md"), found=str(rows), expected=str(split["num_examples"]),
                                        hint="the card or the data changed after release; restore it from its tag"))
    if m["counts"]["documents"] != len(release.documents):
        problems.append(Problem("E706", "document count differs from the manifest", file=where, position="/counts/documents",
                                found=str(len(release.documents)), expected=str(m["counts"]["documents"]),
                                hint="restore the release from its tag"))
    ner: dict[str, list[dict]] = {}
    for split in SPLITS:
        for f in sorted((folder / "data" / "ner").glob(f"{split}-*.parquet")):
            for row in read_rows(f):
                ner.setdefault(row["doc_id"], []).append(row)
    for doc_id, row in release.documents.items():
        text = row["text"]
        if sha256_text(text) != row["text_sha256"]:
            problems.append(Problem("E708", "text does not match its text_sha256", file=doc_id, hint="restore the release"))
        for i, e in enumerate(row["entities"]):
            if text[e["start"]:e["end"]] != e["text"]:
                problems.append(Problem("E709", "entity offsets do not match its text", file=doc_id, position=f"entities/{i}",
                                        found=text[e["start"]:e["end"]], expected=e["text"], hint="restore the release"))
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
            problems.append(Problem("E710", f"IOB2 tags disagree with the entities ({len(tagged ^ spans)} spans differ)",
                                    file=doc_id, hint="restore the release"))
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
            problems.append(Problem("E711", "input differs from the one the release was built from", file=rel(path),
                                    found=found, expected=digest,
                                    hint=f"check out the commit of release {m['version']} (git checkout v{m['version']}) and verify again"))
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
