"""An independent checker of a release's published figures.

It recomputes every figure a release states (documents, sentences, tokens,
characters, entities per label / split / source, normalization edits per rule,
review coverage, overlay operations, inter-annotator agreement, the model's
figures against the gold layer) from the Parquet files with plain pyarrow and
Python, and from the input files (seeds, overlays), and compares them with what
README.md (YAML header and body tables), DATASHEET.md, croissant.json,
CITATION.cff and manifest.json say. It deliberately imports nothing from
``corpus_builder``: a figure the build computes wrongly must not be "confirmed"
by the same code. Tables are read generically (a Markdown table with a label
column and columns named like the figure), so a template rewrite does not blind
it, and every table is also checked for internal consistency (a Total/All row
equals the sum of its column; Model + Manual (+ Adjudication, where the table has
that column) = Total). Overlay figures are recomputed from the overlay files the
release names in its manifest's ``inputs.annotations``: a file added since is left
out and one changed since is noted (``NOTE`` lines), so an old release is checked
against what it was built from.

Run: ``python tests/release_checker.py dist/<version> [--seeds seeds --annotations annotations]``.
Exit 0 when every figure agrees, 1 otherwise (each disagreement names the file,
the figure and both values).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

SPLITS = ("train", "validation", "test")
ALL_ROWS = {"all", "total", "**all**", "**total**"}


@dataclass(frozen=True)
class Mismatch:
    file: str
    figure: str
    published: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.file}: {self.figure}: published {self.published!r}, recomputed {self.actual!r}"


@dataclass
class Report:
    mismatches: list[Mismatch] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)  # file -> number of figures compared
    figures: set[tuple[str, str]] = field(default_factory=set)  # (file, figure) compared
    notes: list[str] = field(default_factory=list)  # what the checker could not check as the release had it

    def compare(self, file: str, figure: str, published: Any, actual: Any) -> None:
        self.checked[file] += 1
        self.figures.add((file, figure))
        if not _same(published, actual):
            self.mismatches.append(Mismatch(file, figure, published, actual))

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 6e-4  # published to 3 decimals
    return a == b


# --- reading the data ----------------------------------------------------------------------

def _yaml_header(readme: str) -> dict:
    m = re.match(r"---\n(.*?)\n---\n", readme, re.S)
    return yaml.safe_load(m.group(1)) if m else {}


def _class_names(info: list[dict], config: str, path: tuple[str, ...]) -> list[str]:
    """ClassLabel names of a feature (``path``: feature name, then nested field) in dataset_info."""
    features = next(c for c in info if c["config_name"] == config)["features"]
    for name in path:
        f = next(f for f in features if f["name"] == name)
        features = f.get("list") or f.get("sequence") or f.get("dtype")
    node = features if isinstance(features, dict) else {}
    if "class_label" not in node:
        node = node.get("dtype", node) if isinstance(node, dict) else {}
    names = node["class_label"]["names"]
    return [names[k] for k in sorted(names, key=int)]


def read_rows(release: Path) -> dict[str, dict[str, list[dict]]]:
    return {config: {split: [r for p in sorted((release / "data" / config).glob(f"{split}-*.parquet"))
                             for r in pq.read_table(p).to_pylist()]
                     for split in SPLITS}
            for config in ("documents", "ner")}


def _decode_iob2(tags: list[str], starts: list[int], ends: list[int]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    current: list | None = None
    for tag, s, e in zip(tags, starts, ends):
        kind, _, label = tag.partition("-")
        if tag == "O":
            current = None
        elif kind == "B":
            current = [s, e, label]
            spans.append(current)  # type: ignore[arg-type]
        elif kind == "I" and current is not None and current[2] == label:
            current[1] = e
        else:
            raise ValueError(f"{tag} at {s}-{e} does not continue an entity of that label")
    return [tuple(x) for x in spans]  # type: ignore[misc]


# --- recomputing ---------------------------------------------------------------------------

ENTITY_OPS = {"accept", "add", "remove", "relabel", "resize"}


def _overlay_files(annotations: Path, recorded: dict[str, str] | None = None,
                   notes: list[str] | None = None) -> list[tuple[Path, dict]]:
    """The overlay files a release was built from: with ``recorded`` (file -> sha256 from the
    manifest's ``inputs.annotations``) only the files it names; one it does not name is left out,
    and one whose bytes changed since is noted (its figures may then differ from the release's)."""
    out = []
    for path in sorted(annotations.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "ops" not in data or "annotator" not in data:
            continue
        if recorded is not None:
            if path.name not in recorded:
                if notes is not None:
                    notes.append(f"overlay {path.name} is not among the release's inputs: left out")
                continue
            if hashlib.sha256(path.read_bytes()).hexdigest() != recorded[path.name] and notes is not None:
                notes.append(f"overlay {path.name} changed since the release (sha256 differs from the "
                             "manifest's): read as it is now")
        out.append((path, data))
    return out


def _annotator_layers(annotations: Path, recorded: dict[str, str] | None = None,
                      notes: list[str] | None = None) -> dict[str, dict[str, dict]]:
    """doc_id -> annotator -> {"scope", "text_sha256", "spans": {(start, end, label)}, "model": {...}}
    read straight from the overlay files: accept keeps the expected entity, remove drops it,
    relabel/resize change it, add adds one. A file without entity ops (metadata only) is no layer."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for path, data in _overlay_files(annotations, recorded, notes):
        if not any(op["op"] in ENTITY_OPS for op in data["ops"]):
            continue
        spans, model = set(), set()
        for op in data["ops"]:
            kind, exp = op["op"], op.get("expects") or {}
            if exp:
                model.add((exp["start"], exp["end"], exp["label"]))
            if kind == "accept":
                spans.add((exp.get("start", op.get("start")), exp.get("end", op.get("end")), exp.get("label")))
            elif kind in ("add", "relabel"):
                spans.add((op["start"], op["end"], op.get("label") or exp.get("label")))
            elif kind == "resize":
                spans.add((op["start"], op["end"], op.get("label") or exp.get("label")))
        out[data["doc_id"]][data["annotator"]] = {"scope": data.get("scope", "partial"), "spans": spans,
                                                  "model": model, "text_sha256": data.get("text_sha256"),
                                                  "ops": Counter(op["op"] for op in data["ops"]), "file": path.name}
    return out


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _relaxed_tp(a: list, b: list) -> int:
    """One-to-one pairs of overlapping same-label spans, greedily by start."""
    used, tp = set(), 0
    for s, e, lab in sorted(a):
        for j, (s2, e2, lab2) in enumerate(sorted(b)):
            if j not in used and lab2 == lab and s < e2 and s2 < e:
                used.add(j)
                tp += 1
                break
    return tp


def _kappa(pairs: list[tuple[Any, Any]]) -> float | None:
    if not pairs:
        return None
    n = len(pairs)
    po = sum(x == y for x, y in pairs) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def agreement(layers: dict[str, dict[str, dict]]) -> dict[tuple[str, str], dict]:
    """Per annotator pair (sorted) over the documents both reviewed completely: per label and
    ``all``, exact P/R/F1 (``a`` is the reference), relaxed F1, kappa on identical boundaries, n (a/b)."""
    pairs: dict[tuple[str, str], list[tuple[str, set, set]]] = defaultdict(list)
    for doc_id, by in sorted(layers.items()):
        names = sorted(n for n, x in by.items() if x["scope"] == "complete")
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pairs[(a, b)].append((doc_id, by[a]["spans"], by[b]["spans"]))
    out = {}
    for pair, docs in pairs.items():
        table: dict[str, dict] = {}
        labels = sorted({lab for _, x, y in docs for *_, lab in x | y})
        for label in [*labels, "all"]:
            tp = na = nb = rtp = 0
            kp: list[tuple[Any, Any]] = []
            for _, x, y in docs:
                xs = [s for s in x if label in ("all", s[2])]
                ys = [s for s in y if label in ("all", s[2])]
                tp += len(set(xs) & set(ys))
                na, nb = na + len(xs), nb + len(ys)
                rtp += _relaxed_tp(xs, ys)
                bx, by_ = {(s, e): lab for s, e, lab in x}, {(s, e): lab for s, e, lab in y}
                for span in sorted(bx.keys() & by_.keys()):
                    if label == "all":
                        kp.append((bx[span], by_[span]))
                    elif label in (bx[span], by_[span]):
                        kp.append((bx[span] == label, by_[span] == label))
            p, r, f = _prf(tp, nb, na)
            table[label] = {"exact P": p, "exact R": r, "exact F1": f, "relaxed F1": _prf(rtp, nb, na)[2],
                            "kappa": _kappa(kp), "n (a/b)": f"{na}/{nb}", "same boundaries": len(kp),
                            "labelled differently": sum(x != y for x, y in kp)}
        out[pair] = {"documents": [d for d, _, _ in docs], "table": table}
    return out


def recompute(release: Path, seeds: Path | None = None, annotations: Path | None = None) -> dict[str, Any]:
    """Every figure, recomputed from the Parquet files (and the inputs when given), plus a list
    of ``errors`` found on the way (offsets, IOB2, hashes) that no published figure covers."""
    readme = (release / "README.md").read_text(encoding="utf-8")
    info = _yaml_header(readme)["dataset_info"]
    labels = _class_names(info, "documents", ("entities", "label"))
    tags = _class_names(info, "ner", ("ner_tags",))
    rows = read_rows(release)
    f: dict[str, Any] = {"labels": labels, "errors": [], "notes": []}
    errors: list[str] = f["errors"]
    by_label = {lab: Counter() for lab in labels}
    by_source: Counter = Counter()
    edits_rule: Counter = Counter()
    docs_rule: Counter = Counter()
    splits: dict[str, dict] = {}
    per_doc: dict[str, dict] = {}
    unreviewed = 0
    for split in SPLITS:
        docs, sents = rows["documents"][split], rows["ner"][split]
        tokens = sum(len(r["tokens"]) for r in sents)
        ents = [e for d in docs for e in d["entities"]]
        splits[split] = {"documents": len(docs), "sentences": len(sents), "tokens": tokens, "entities": len(ents),
                         "groups": sorted({d["group"] for d in docs}), "doc_ids": [d["doc_id"] for d in docs]}
        sent_by_doc: dict[str, list[dict]] = defaultdict(list)
        for r in sents:
            sent_by_doc[r["doc_id"]].append(r)
        for d in docs:
            text = d["text"]
            per_doc[d["doc_id"]] = {"split": split, "characters": len(text), "entities": len(d["entities"]),
                                    "sentences": len(d["sentences"]), "text_sha256": d["text_sha256"],
                                    "source_file": d["source_file"], "raw_sha256": d["raw_sha256"],
                                    "edits": d["edits"], "text": text, "group": d["group"],
                                    "published": d.get("published"), "publisher": d.get("publisher")}
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != d["text_sha256"]:
                errors.append(f"{d['doc_id']}: text_sha256 is not the SHA-256 of text")
            # an edit where several rules touched the same characters names them all: "a+b"
            rules = [r for e in d["edits"] for r in e["rule"].split("+")]
            docs_rule.update(set(rules))
            edits_rule.update(rules)
            for e in d["entities"]:
                label = labels[e["label"]]
                by_label[label][e["source"]] += 1
                by_source[e["source"]] += 1
                if e["source"] == "model" and not e["annotators"]:
                    unreviewed += 1
                if text[e["start"]:e["end"]] != e["text"]:
                    errors.append(f"{d['doc_id']}: entity {e['start']}-{e['end']} text {e['text']!r} "
                                  f"!= text[start:end] {text[e['start']:e['end']]!r}")
            spans = sorted((e["start"], e["end"]) for e in d["entities"])
            for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
                if s2 < e1:
                    errors.append(f"{d['doc_id']}: entities {s1}-{e1} and {s2}-{e2} overlap")
            # the ner rows of this document: one per sentence, same spans, tokens at their offsets, IOB2 == entities
            mine = sorted(sent_by_doc.get(d["doc_id"], []), key=lambda r: r["sentence_index"])
            if [(r["start"], r["end"]) for r in mine] != [(s["start"], s["end"]) for s in d["sentences"]]:
                errors.append(f"{d['doc_id']}: ner rows do not match the document's sentences")
            if [r["sentence_index"] for r in mine] != list(range(len(mine))):
                errors.append(f"{d['doc_id']}: sentence_index is not 0..n-1")
            decoded: list[tuple[int, int, str]] = []
            for r in mine:
                for tok, s, e in zip(r["tokens"], r["token_starts"], r["token_ends"]):
                    if text[s:e] != tok or not (r["start"] <= s < e <= r["end"]):
                        errors.append(f"{r['id']}: token {tok!r} at {s}-{e} is not text[{s}:{e}] inside its sentence")
                try:
                    decoded += _decode_iob2([tags[t] for t in r["ner_tags"]], r["token_starts"], r["token_ends"])
                except ValueError as exc:
                    errors.append(f"{r['id']}: {exc}")
            want = sorted((e["start"], e["end"], labels[e["label"]]) for e in d["entities"])
            if sorted(decoded) != want:
                errors.append(f"{d['doc_id']}: IOB2 tags decode to {len(decoded)} entities, the document has "
                              f"{len(want)} (first difference: {sorted(set(decoded) ^ set(want))[:3]})")
    f["splits"] = splits
    f["per_doc"] = per_doc
    f["documents"] = sum(s["documents"] for s in splits.values())
    f["sentences"] = sum(s["sentences"] for s in splits.values())
    f["tokens"] = sum(s["tokens"] for s in splits.values())
    f["entities"] = sum(s["entities"] for s in splits.values())
    f["characters"] = sum(d["characters"] for d in per_doc.values())
    f["by_source"] = dict(by_source)
    f["by_label"] = {lab: {"model": c["model"], "manual": c["manual"], "adjudication": c["adjudication"],
                           "total": c.total()} for lab, c in by_label.items()}
    f["edits_by_rule"], f["docs_by_rule"] = dict(edits_rule), dict(docs_rule)
    f["unreviewed"] = unreviewed
    f["undated"] = sum(d["published"] is None for d in per_doc.values())
    f["file_sizes"] = {p.relative_to(release).as_posix(): p.stat().st_size for p in release.rglob("*") if p.is_file()}
    if seeds is not None:
        _check_seeds(seeds, per_doc, errors)
        f["seed_sha256"] = {d["source_file"]: d["raw_sha256"] for d in per_doc.values()}
    if annotations is not None:
        manifest_path = release / "manifest.json"
        recorded = None
        if manifest_path.is_file():
            inputs = json.loads(manifest_path.read_text(encoding="utf-8")).get("inputs", {})
            if "annotations" in inputs:
                recorded = {a["file"]: a["sha256"] for a in inputs["annotations"]}
        files = _overlay_files(annotations, recorded, f["notes"])
        layers = _annotator_layers(annotations, recorded)
        f["ops_by_kind"] = dict(Counter(op["op"] for _, data in files for op in data["ops"]))
        adjudications = sorted((annotations / "adjudication").glob("*.json"))
        if recorded is not None and "overlays" in (m := json.loads(manifest_path.read_text(encoding="utf-8"))):
            names = {a["file"] for a in m["overlays"].get("adjudications", [])}
            adjudications = [p for p in adjudications if p.name in names]
        f["overlay_annotators"] = sorted({data["annotator"] for _, data in files})
        f["annotators"] = sorted(set(f["overlay_annotators"]) | {
            json.loads(p.read_text(encoding="utf-8")).get("adjudicator") for p in adjudications} - {None})
        f["overlay_files"] = len(files)
        complete = [doc for doc, by in layers.items() if doc in per_doc and any(
            x["scope"] == "complete" and x["text_sha256"] == per_doc[doc]["text_sha256"] for x in by.values())]
        f["coverage"] = {"documents": len(per_doc), "complete": len(complete),
                         "characters": f["characters"],
                         "characters_reviewed": sum(per_doc[d]["characters"] for d in complete)}
        f["agreement"] = agreement(layers)
        # the model's entities: every complete overlay names each of them in an op's `expects`
        if len(complete) == len(per_doc):
            model = Counter(lab for doc in complete for lab in (
                (s[2] for s in set().union(*(x["model"] for x in layers[doc].values())))))
            f["model_by_label"] = dict(model)
            f["model_entities"] = sum(model.values())
    return f


def _check_seeds(seeds: Path, per_doc: dict[str, dict], errors: list[str]) -> None:
    """Raw file hashes, and the edits applied to the raw text give the published text (plain-text seeds)."""
    for doc_id, d in per_doc.items():
        path = seeds / d["source_file"]
        if not path.is_file():
            errors.append(f"{doc_id}: seed file {d['source_file']} is missing")
            continue
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != d["raw_sha256"]:
            errors.append(f"{doc_id}: raw_sha256 differs from the seed file's SHA-256")
        if path.suffix != ".txt":
            continue
        text = raw.decode("utf-8")
        out, pos = [], 0
        for e in sorted(d["edits"], key=lambda e: (e["raw_start"], e["raw_end"])):
            out += [text[pos:e["raw_start"]], e["replacement"]]
            pos = max(pos, e["raw_end"])
        out.append(text[pos:])
        if "".join(out) != d["text"]:
            errors.append(f"{doc_id}: applying the edits to the raw text does not give the published text")


# --- reading what the release says ---------------------------------------------------------

def tables(markdown: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every Markdown table: (the paragraph before it, header cells, body rows)."""
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|$", lines[i + 1]):
            before = next((lines[j] for j in range(i - 1, max(i - 4, -1), -1) if lines[j].strip()), "")
            header = _cells(lines[i])
            body, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                body.append(_cells(lines[i]))
                i += 1
            out.append((before, header, body))
        else:
            i += 1
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _num(cell: str) -> int | float | None:
    c = cell.replace(",", "").strip("*` ")
    if re.fullmatch(r"-?\d+", c):
        return int(c)
    if re.fullmatch(r"-?\d+\.\d+", c):
        return float(c)
    return None


def _key(cell: str) -> str:
    return cell.strip("*` ").lower()


# row label of a "Measure | Value" table -> figure (keywords, tried in order)
MEASURES = [
    (("adjudicat",), lambda f: f["by_source"].get("adjudication", 0)),
    (("reviewed", "complete"), lambda f: f.get("coverage", {}).get("complete")),
    (("unreviewed",), lambda f: f["unreviewed"]),
    (("not reviewed",), lambda f: f["unreviewed"]),
    (("kept", "model"), lambda f: f["by_source"].get("model", 0)),
    (("annotators",), lambda f: len(f["annotators"]) if "annotators" in f else None),
    (("overlay",), lambda f: f["by_source"].get("manual", 0)),
    (("manual",), lambda f: f["by_source"].get("manual", 0)),
    (("document",), lambda f: f["documents"]),
    (("sentence",), lambda f: f["sentences"]),
    (("token",), lambda f: f["tokens"]),
    (("character",), lambda f: f["characters"]),
    (("entit",), lambda f: f["entities"]),
]
SPLIT_COLUMNS = ("documents", "sentences", "tokens", "entities")
LABEL_COLUMNS = ("model", "manual", "adjudication", "total")


def check_markdown(name: str, markdown: str, f: dict, report: Report) -> None:
    for before, header, body in tables(markdown):
        head = [_key(h) for h in header]
        if head[:2] == ["measure", "value"]:
            # without a row of its own, adjudicated entities are among those "added or changed by overlays"
            separate = any("adjudicat" in row[0].lower() for row in body)
            for row in body:
                measure = row[0].lower()
                if not separate and ("overlay" in measure or "manual" in measure):
                    report.compare(name, f"table Measure/{row[0]}", _num(row[1]),
                                   f["entities"] - f["by_source"].get("model", 0))
                    continue
                for words, get in MEASURES:
                    if all(w in measure for w in words):
                        if (actual := get(f)) is not None:
                            report.compare(name, f"table Measure/{row[0]}", _num(row[1]), actual)
                        break
        elif head[0] == "split":
            for row in body:
                if row[0] in f["splits"]:
                    for col in SPLIT_COLUMNS:
                        if col in head:
                            report.compare(name, f"table Split/{row[0]}/{col}", _num(row[head.index(col)]),
                                           f["splits"][row[0]][col])
                    if "groups" in head:
                        groups = sorted(g.strip() for g in row[head.index("groups")].split(",") if g.strip())
                        report.compare(name, f"table Split/{row[0]}/groups", groups, f["splits"][row[0]]["groups"])
            _check_total_row(name, "Split", head, body, report)
        elif head[0] == "label" and "total" in head:
            # with an Adjudication column, Manual is source == manual only; without one, adjudicated
            # entities count among the manual ones
            separate = "adjudication" in head
            for row in body:
                label = row[0].strip("*` ")
                is_all = _key(label) in ALL_ROWS
                if not is_all and label not in f["by_label"]:
                    report.compare(name, f"table Label/{label}", "a row", "no such label in the release")
                    continue
                counts = [f["by_label"].values()] if is_all else [[f["by_label"][label]]]
                for col in LABEL_COLUMNS:
                    if col not in head:
                        continue
                    actual = sum(c[col] + (c["adjudication"] if col == "manual" and not separate else 0)
                                 for c in counts[0])
                    report.compare(name, f"table Label/{_key(label)}/{col}", _num(row[head.index(col)]), actual)
                parts = [c for c in ("model", "manual", "adjudication") if c in head]
                if len(parts) > 1 and "total" in head:
                    cells = [_num(row[head.index(c)]) for c in parts]
                    report.compare(name, f"table Label/{_key(label)}: "
                                   f"{' + '.join(c.capitalize() for c in parts)} = Total",
                                   sum(cells) if None not in cells else cells, _num(row[head.index("total")]))
            _check_total_row(name, "Label", head, body, report)
        elif head[0] == "label" and "gold" in head and "agreement" not in f:
            pass
        elif head[0] == "label" and "gold" in head:
            for row in body:
                key = _key(row[0])
                gold = f["entities"] if key in ALL_ROWS else f["by_label"].get(row[0], {}).get("total")
                report.compare(name, f"table Quality/{key}/gold", _num(row[head.index("gold")]), gold)
                if "model" in head and "model_by_label" in f:
                    model = f["model_entities"] if key in ALL_ROWS else f["model_by_label"].get(row[0], 0)
                    report.compare(name, f"table Quality/{key}/model", _num(row[head.index("model")]), model)
        elif head[0] == "label" and "exact f1" in head and "agreement" in f:
            pair = _pair_for(before, f["agreement"])
            if pair is None:
                report.compare(name, "agreement table: annotator pair", before, sorted(f["agreement"]))
                continue
            table = f["agreement"][pair]["table"]
            for row in body:
                key = "all" if _key(row[0]) in ALL_ROWS else row[0]
                if key not in table:
                    report.compare(name, f"table Agreement/{key}", "a row", "no such label in the overlays")
                    continue
                for col, cell in zip(head[1:], row[1:]):
                    want = table[key].get(next((k for k in table[key] if k.lower() == col), ""), "?")
                    got = cell if col == "n (a/b)" else (None if cell in ("", "—", "-") else _num(cell))
                    report.compare(name, f"table Agreement {'/'.join(pair)}/{key}/{col}", got,
                                   want if not isinstance(want, float) else round(want, 3))
        elif head[0] in ("rule", "normalization rule") and "edits" in head:
            for row in body:
                rule = row[0].strip("`")
                report.compare(name, f"table Rule/{rule}/edits", _num(row[head.index("edits")]),
                               f["edits_by_rule"].get(rule, 0))
                if "documents" in head:
                    report.compare(name, f"table Rule/{rule}/documents", _num(row[head.index("documents")]),
                                   f["docs_by_rule"].get(rule, 0))
        elif head[0] == "operation" and "count" in head and "ops_by_kind" in f:
            for row in body:
                kind = row[0].strip("`")
                report.compare(name, f"table Operation/{kind}", _num(row[head.index("count")]),
                               f["ops_by_kind"].get(kind, 0))
        elif head[0] == "annotator" and "annotators" in f:
            listed = sorted(row[0].strip("` ") for row in body)
            report.compare(name, "table Annotator/annotators", listed, f["annotators"])
        elif head[0] == "doc_id":
            for row in body:
                d = f["per_doc"].get(row[0])
                if d is None:
                    report.compare(name, f"table doc_id/{row[0]}", "listed", "not in the release")
                    continue
                for col in ("characters", "entities", "split", "sentences"):
                    if col in head:
                        cell = row[head.index(col)]
                        report.compare(name, f"table doc_id/{row[0]}/{col}", _num(cell) if col != "split" else cell,
                                       d[col])
                for col in ("published", "publisher"):  # — (or empty) where the release has no value
                    if col in head:
                        cell = row[head.index(col)].strip("` ")
                        report.compare(name, f"table doc_id/{row[0]}/{col}", None if cell in ("", "—", "-") else cell,
                                       d[col])
    _check_prose(name, markdown, f, report)


def _check_total_row(name: str, title: str, head: list[str], body: list[list[str]], report: Report) -> None:
    """A Total/All row must be the sum of the rows above it, column by column."""
    totals = [r for r in body if _key(r[0]) in ALL_ROWS]
    rows = [r for r in body if _key(r[0]) not in ALL_ROWS]
    for total in totals:
        for i, col in enumerate(head[1:], 1):
            values = [_num(r[i]) for r in rows]
            if all(isinstance(v, int) for v in values) and isinstance(_num(total[i]), int):
                report.compare(name, f"table {title}/{_key(total[0])}/{col} = sum of the rows", _num(total[i]),
                               sum(values))


def _pair_for(before: str, pairs: dict) -> tuple[str, str] | None:
    named = [p for p in pairs if all(a in before for a in p)]
    if len(named) == 1:
        return named[0]
    return next(iter(pairs)) if len(pairs) == 1 else None


PROSE = [
    # "5/5 documents complete (14,503/14,503 characters reviewed)"
    (r"(\d[\d,]*)/(\d[\d,]*) documents complete", lambda f: (f.get("coverage", {}).get("complete"), f["documents"])),
    (r"(\d[\d,]*)/(\d[\d,]*) characters reviewed",
     lambda f: (f.get("coverage", {}).get("characters_reviewed"), f["characters"])),
    (r"(\d[\d,]*) unreviewed model entit", lambda f: (f["unreviewed"],)),
    (r"(\d[\d,]*) of (\d[\d,]*) entities are unreviewed", lambda f: (f["unreviewed"], f["entities"])),
    (r"(\d[\d,]*) of (\d[\d,]*) entities come from overlays",
     lambda f: (f["entities"] - f["by_source"].get("model", 0), f["entities"])),
    (r"applies (\d[\d,]*) operations from (\d[\d,]*)",
     lambda f: (sum(f["ops_by_kind"].values()), f["overlay_files"]) if "ops_by_kind" in f else None),
    (r"(\d[\d,]*) overlay files with (\d[\d,]*) operations",
     lambda f: (f["overlay_files"], sum(f["ops_by_kind"].values())) if "ops_by_kind" in f else None),
    (r"(\d[\d,]*) documents and (\d[\d,]*) sentences, with (\d[\d,]*) tokens and (\d[\d,]*) entities",
     lambda f: (f["documents"], f["sentences"], f["tokens"], f["entities"])),
    (r"contains (\d[\d,]*) (?:news articles|documents)", lambda f: (f["documents"],)),
    # the wording rendered since the full review (card, datasheet, croissant.json)
    (r"(\d[\d,]*) kept as the model predicted them after review, (\d[\d,]*) added or changed by annotators "
     r"and (\d[\d,]*) decided by adjudication", lambda f: _sources(f)),
    (r"Of (\d[\d,]*) entities, (\d[\d,]*) are kept as the model predicted them \([^)]*\), (\d[\d,]*) were added or "
     r"changed by annotators \(source = manual\) and (\d[\d,]*) decided by adjudication",
     lambda f: (f["entities"], *_sources(f))),
    (r"(\d[\d,]*) of (\d[\d,]*) documents reviewed completely \((\d[\d,]*) of (\d[\d,]*) characters\)",
     lambda f: (f.get("coverage", {}).get("complete"), f["documents"],
                f.get("coverage", {}).get("characters_reviewed"), f["characters"])),
    (r"(\d[\d,]*) of (\d[\d,]*) documents reviewed completely by an annotator",
     lambda f: (f.get("coverage", {}).get("complete"), f["documents"])),
    (r"(\d[\d,]*) model entities unreviewed", lambda f: (f["unreviewed"],)),
    (r"(\d[\d,]*) documents, (\d[\d,]*) sentences, (\d[\d,]*) tokens, (\d[\d,]*) entities \((\d[\d,]*) entity labels",
     lambda f: (f["documents"], f["sentences"], f["tokens"], f["entities"], len(f["labels"]))),
    (r"Size: (\d[\d,]*) documents \(train (\d[\d,]*), validation (\d[\d,]*), test (\d[\d,]*)\), (\d[\d,]*) "
     r"sentences, (\d[\d,]*) tokens and (\d[\d,]*) entities",
     lambda f: (f["documents"], *(f["splits"][s]["documents"] for s in SPLITS), f["sentences"], f["tokens"],
                f["entities"])),
    (r"Size: (\d[\d,]*) documents and (\d[\d,]*) entities", lambda f: (f["documents"], f["entities"])),
    (r"typed with (\d[\d,]*) labels", lambda f: (len(f["labels"]),)),
    # a claim of full review, with no number in it, is checked too
    (r"[Ee]very document (?:was )?reviewed completely",
     lambda f: (f["coverage"]["complete"] == f["documents"],) if "coverage" in f else None),
    (r"(\d[\d,]*) documents? without a publication date", lambda f: (f["undated"],)),
    (r"(\d[\d,]*) documents of (\d[\d,]*) have no publication date", lambda f: (f["undated"], f["documents"])),
    (r"(?:reviewed|annotated) (\d[\d,]*) documents independently", lambda f: _one_pair(f, "documents")),
    (r"; (\d[\d,]*) of them by two annotators independently", lambda f: _one_pair(f, "documents")),
    (r"the labels of the (\d[\d,]*) spans both marked with identical boundaries \((\d[\d,]*) of them labelled "
     r"differently\)", lambda f: _one_pair(f, "same boundaries", "labelled differently")),
    (r"exact-span F1 (\d\.\d+), relaxed F1 (\d\.\d+), Cohen's kappa (\d\.\d+)",
     lambda f: _one_pair(f, "exact F1", "relaxed F1", "kappa")),
]


def _sources(f: dict) -> tuple[int, int, int]:
    return tuple(f["by_source"].get(s, 0) for s in ("model", "manual", "adjudication"))  # type: ignore[return-value]


def _one_pair(f: dict, *keys: str) -> tuple | None:
    """A figure of "the" agreement pair (prose names one pair only when the overlays have one)."""
    if len(f.get("agreement", {})) != 1:
        return None
    pair = next(iter(f["agreement"].values()))
    if keys == ("documents",):
        return (len(pair["documents"]),)
    return tuple(round(v, 3) if isinstance(v, float) else v for v in (pair["table"]["all"][k] for k in keys))


def _check_prose(name: str, text: str, f: dict, report: Report) -> None:
    _check_annotator_count(name, text, f, report)
    for pattern, get in PROSE:
        for m in re.finditer(pattern, text):
            actual = get(f)
            if actual is None or None in actual:
                continue
            published = tuple(_num(g) for g in m.groups()) or (True,)  # no number: the claim itself
            report.compare(name, f"text {m.group(0)!r}", published, tuple(actual))


def _check_annotator_count(name: str, text: str, f: dict, report: Report) -> None:
    """"N annotators (a, b, ...)": N is the number of names listed, each a recomputed annotator, and
    every overlay annotator (plus every adjudicator, when the list counts adjudicators) is listed."""
    if "annotators" not in f:
        return
    for m in re.finditer(r"(\d[\d,]*) annotators[:( ]", text):
        window = re.split(r"see |\"|\n|\. ", text[m.end():m.end() + 300])[0]
        listed = [n for n in f["annotators"] if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", window)]
        adjudicators = set(f["annotators"]) - set(f["overlay_annotators"])
        want = f["annotators"] if adjudicators & set(listed) else f["overlay_annotators"]
        report.compare(name, f"text {m.group(0)[:40]!r}: annotators", (_num(m.group(1)), sorted(set(listed))),
                       (len(want), want))


def check_yaml(readme: str, f: dict, report: Report) -> None:
    info = _yaml_header(readme).get("dataset_info", [])
    unit = {"documents": "documents", "ner": "sentences"}
    for config in info:
        for split in config.get("splits", []):
            report.compare("README.md", f"dataset_info/{config['config_name']}/{split['name']}/num_examples",
                           split["num_examples"], f["splits"][split["name"]][unit[config["config_name"]]])
    if "size_categories" in (header := _yaml_header(readme)):
        n = f["documents"]
        cat = "n<1K" if n < 1000 else "1K<n<10K" if n < 10000 else "10K<n<100K" if n < 100000 else "n>100K"
        report.compare("README.md", "size_categories", header["size_categories"], [cat])


def check_manifest(m: dict, f: dict, report: Report) -> None:
    c = m["counts"]
    for key in ("documents", "sentences", "tokens", "characters", "entities"):
        report.compare("manifest.json", f"counts/{key}", c.get(key), f[key])
    published_sources = c.get("entities_by_source") or {}
    for source in sorted(set(published_sources) | set(f["by_source"])):
        report.compare("manifest.json", f"counts/entities_by_source/{source}", published_sources.get(source),
                       f["by_source"].get(source, 0))
    for label, want in f["by_label"].items():
        got = c["entities_by_label"].get(label) or {}
        if "adjudication" not in got:  # an older manifest counts adjudicated entities as manual
            want = {"model": want["model"], "manual": want["manual"] + want["adjudication"], "total": want["total"]}
        for key in sorted(set(got) | set(want)):
            report.compare("manifest.json", f"counts/entities_by_label/{label}/{key}", got.get(key), want.get(key))
    for split, want in f["splits"].items():
        for key, value in want.items():
            report.compare("manifest.json", f"counts/splits/{split}/{key}", c["splits"][split].get(key), value)
    if "model_entities" in f:
        report.compare("manifest.json", "counts/model_entities", c.get("model_entities"), f["model_entities"])
    for rule, n in m.get("normalization", {}).items():
        report.compare("manifest.json", f"normalization/{rule}/edits", n["edits"], f["edits_by_rule"].get(rule, 0))
        report.compare("manifest.json", f"normalization/{rule}/documents", n["documents"],
                       f["docs_by_rule"].get(rule, 0))
    if "coverage" in f and "coverage" in m:
        for key, value in f["coverage"].items():
            report.compare("manifest.json", f"coverage/{key}", m["coverage"].get(key), value)
        report.compare("manifest.json", "coverage/unreviewed", m["coverage"].get("unreviewed"), f["unreviewed"])
    if "ops_by_kind" in f and "overlays" in m:
        kinds = m["overlays"]["ops_by_kind"]
        for kind in sorted(set(kinds) | set(f["ops_by_kind"])):
            report.compare("manifest.json", f"overlays/ops_by_kind/{kind}", kinds.get(kind),
                           f["ops_by_kind"].get(kind, 0))
        report.compare("manifest.json", "overlays/files", m["overlays"]["files"], f["overlay_files"])
    if "seed_sha256" in f:
        listed = {s["file"]: s["sha256"] for s in m["inputs"]["seeds"]}
        for file in sorted(set(listed) | set(f["seed_sha256"])):
            report.compare("manifest.json", f"inputs/seeds/{file}", listed.get(file), f["seed_sha256"].get(file))
    for entry in (m.get("gold") or {}).get("agreement", []):
        pair = tuple(entry["annotators"])
        if "agreement" not in f:
            break
        ours = f["agreement"].get(pair)
        if ours is None:
            report.compare("manifest.json", f"gold/agreement/{'+'.join(pair)}", "present", "no such pair")
            continue
        report.compare("manifest.json", f"gold/agreement/{'+'.join(pair)}/documents", entry["documents"],
                       ours["documents"])
        for key, col in (("exact_f1", "exact F1"), ("relaxed_f1", "relaxed F1"), ("kappa", "kappa")):
            report.compare("manifest.json", f"gold/agreement/{'+'.join(pair)}/{key}", entry[key],
                           ours["table"]["all"][col])


def check_croissant(c: dict, f: dict, report: Report) -> None:
    for dist in c.get("distribution", []):
        name, size = dist.get("name") or dist.get("@id"), dist.get("contentSize")
        if size and name in f["file_sizes"]:
            report.compare("croissant.json", f"distribution/{name}/contentSize", int(size.split()[0]),
                           f["file_sizes"][name])
    _check_prose("croissant.json", json.dumps(c, ensure_ascii=False), f, report)


def check_citation(cff: dict, m: dict, report: Report) -> None:
    for key in ("version", "title"):
        report.compare("CITATION.cff", key, str(cff.get(key)), str(m["citation"][key] if key == "title" else m[key]))
    pref = cff.get("preferred-citation", {})
    if pref:
        report.compare("CITATION.cff", "preferred-citation/version", str(pref.get("version")), m["version"])
    report.compare("CITATION.cff", "date-released", str(cff.get("date-released")), m["date_released"])


def check(release: Path, seeds: Path | None = None, annotations: Path | None = None) -> Report:
    release = Path(release)
    f = recompute(release, seeds, annotations)
    report = Report(notes=list(f["notes"]))
    for error in f["errors"]:
        report.mismatches.append(Mismatch("data", "consistency", error, "consistent"))
    readme = (release / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    check_yaml(readme, f, report)
    check_markdown("README.md", readme, f, report)
    check_markdown("DATASHEET.md", (release / "DATASHEET.md").read_text(encoding="utf-8"), f, report)
    check_manifest(manifest, f, report)
    check_croissant(json.loads((release / "croissant.json").read_text(encoding="utf-8")), f, report)
    check_citation(yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8")), manifest, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--seeds", type=Path)
    parser.add_argument("--annotations", type=Path)
    args = parser.parse_args(argv)
    report = check(args.release, args.seeds, args.annotations)
    for note in report.notes:
        print(f"NOTE {note}")
    for m in report.mismatches:
        print(f"MISMATCH {m}")
    checked = ", ".join(f"{k} {v}" for k, v in sorted(report.checked.items()))
    print(f"{sum(report.checked.values())} figures compared ({checked}); {len(report.mismatches)} disagree")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
