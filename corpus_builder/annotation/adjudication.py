"""Adjudication: one layer from several independent annotators.

When two or more annotators reviewed a document, each one's ops make their own
entity layer. Entities on which every layer agrees (span, label and link) are kept;
every other entity is *disputed*, and the ops behind it (plus removals that overlap
it) must be named by a decision in ``annotations/adjudication/<doc_id>.json``, which
states the entities the release has there. Nothing disputed reaches the release
undecided. Contract: ``schema/adjudication.schema.json``, ``docs/data-format.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import DuplicateKey, lone_surrogate, loads_strict, sha256_bytes
from ..records import Document, Entity, OpRef
from .schema import pointer, validator

if TYPE_CHECKING:
    from .overlay import Op

FOLDER = "adjudication"
SCHEMA_FILE = "adjudication.schema.json"


@dataclass(frozen=True)
class Decision:
    id: str
    pointer: str
    resolves: tuple[str, ...]
    entities: tuple[tuple[int, int, str, str, str | None], ...]  # start, end, quote, label, kb_id


@dataclass(frozen=True)
class Adjudication:
    file: str
    sha256: str
    doc_id: str
    adjudicator: str
    text_sha256: str
    decisions: tuple[Decision, ...]


def load_adjudications(folder: Path, schema_dir: Path, annotators: set[str]) -> tuple[list[Adjudication], list[Problem]]:
    """Every ``<doc_id>.json`` under ``folder``; all problems, one run."""
    found: list[Adjudication] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.json")):
        name = rel(path)
        if path.is_symlink() or not path.is_file():
            continue  # refused where annotations/ is listed (E424), never opened
        try:
            data = path.read_bytes()
            obj = loads_strict(data.decode("utf-8"))
        except DuplicateKey as exc:
            problems.append(problem("E423", file=name, key=exc.key))
            continue
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            problems.append(problem("E401:adjudication", file=name, error=str(exc)[:80]))
            continue
        errors = list(validator(schema_dir / SCHEMA_FILE).iter_errors(obj))
        if errors:
            problems.extend(problem("E402", file=name, position=pointer(e.absolute_path) or "/", error=e.message,
                                    schema=SCHEMA_FILE) for e in errors)
            continue
        if (at := lone_surrogate(obj)) is not None:
            problems.append(problem("E409", file=name, position=at))
            continue
        if path.name != f"{obj['doc_id']}.json":
            problems.append(problem("E403:adjudication", file=name, position="/doc_id", found=path.name,
                                    expected=f"{obj['doc_id']}.json", name=f"{obj['doc_id']}.json"))
        if obj["adjudicator"] not in annotators:
            problems.append(problem("E406:adjudicator", file=name, position="/adjudicator", found=obj["adjudicator"]))
        decisions = tuple(
            Decision(d["id"], f"/decisions/{i}", tuple(d["resolves"]),
                     tuple((int(e["start"]), int(e["end"]), e["quote"], e["label"], e.get("kb_id"))
                           for e in d["entities"]))
            for i, d in enumerate(obj["decisions"]))
        found.append(Adjudication(name, sha256_bytes(data), obj["doc_id"], obj["adjudicator"],
                                  obj["text_sha256"], decisions))
    return found, problems


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class Dispute:
    """Where annotators' layers differ: the entities only some of them have, and the
    refs of every op behind the difference."""

    agreed: list[Entity]
    disputed: list[Entity]
    refs: set[str]


def compare_layers(layers: Mapping[str, Sequence[Entity]], ops: Mapping[str, Sequence[Op]]) -> Dispute:
    """Entities agree when every layer has the same span and label and no two layers
    link it to different ids (a missing link is not a disagreement: linking is optional)."""
    keyed = {a: {(e.start, e.end, e.label): e for e in layer} for a, layer in layers.items()}
    common = set.intersection(*(set(k) for k in keyed.values())) if keyed else set()
    agreed = []
    for key in sorted(common):
        copies = [keyed[a][key] for a in sorted(keyed)]
        links = {e.kb_id for e in copies} - {None}
        if len(links) > 1:
            continue
        refs = tuple(r for e in copies for r in e.refs)
        source = "model" if all(e.source == "model" for e in copies) else "manual"
        first = copies[0]
        agreed.append(Entity(first.start, first.end, first.text, first.label, source, refs, next(iter(links), None)))
    settled = {(e.start, e.end, e.label) for e in agreed}
    disputed = sorted((e for a in sorted(keyed) for k, e in keyed[a].items() if k not in settled),
                      key=lambda e: (e.start, e.end, e.label, e.annotator or ""))
    refs = {str(r) for e in disputed for r in e.refs}
    for annotator_ops in ops.values():
        for op in annotator_ops:
            if op.kind == "remove" and any(_overlap((op.start, op.end), e.span) for e in disputed):
                refs.add(str(op.ref))
    return Dispute(agreed, disputed, refs)


def adjudicate(doc: Document, layers: Mapping[str, Sequence[Entity]], ops: Mapping[str, Sequence[Op]],
               adjudication: Adjudication | None, labels: Iterable[str]) -> tuple[list[Entity], list[Problem]]:
    """The release layer of a multiply-annotated document, and what keeps it from being one."""
    dispute = compare_layers(layers, ops)
    who = ", ".join(sorted(layers))
    target = f"annotations/{FOLDER}/{doc.doc_id}.json"
    if adjudication is None:
        if not dispute.refs:
            return dispute.agreed, []
        return dispute.agreed, [problem("E440", file=doc.where, found=", ".join(sorted(dispute.refs)),
                                        count=len(dispute.disputed), annotators=who, target=target)]
    adj = adjudication
    if adj.text_sha256 != doc.text_sha256:
        return dispute.agreed, [problem("E411:adjudication", file=adj.file, position="/text_sha256",
                                        found=adj.text_sha256, expected=doc.text_sha256)]
    labels = set(labels)
    problems: list[Problem] = []
    named: set[str] = set()
    by_key = {}
    for e in dispute.disputed:
        by_key.setdefault((e.start, e.end, e.label), []).append(e)
    starts = {s for s, _ in doc.tokens}
    ends = {e for _, e in doc.tokens}
    entities = list(dispute.agreed)
    for d in adj.decisions:
        for i, ref in enumerate(d.resolves):
            if ref in named:
                problems.append(problem("E443:twice", file=adj.file, position=f"{d.pointer}/resolves/{i}",
                                        op_id=d.id, found=ref))
            elif ref not in dispute.refs:
                problems.append(problem("E443", file=adj.file, position=f"{d.pointer}/resolves/{i}", op_id=d.id,
                                        found=ref, expected=" | ".join(sorted(dispute.refs)) or "no disputed op"))
            named.add(ref)
        for j, (start, end, quote, label, kb_id) in enumerate(d.entities):
            ptr = f"{d.pointer}/entities/{j}"
            if not 0 <= start < end <= len(doc.text) or doc.text[start:end] != quote:
                problems.append(problem("E414:adjudication", file=adj.file, position=ptr, op_id=d.id,
                                        found=doc.text[start:end] if 0 <= start < end else None, expected=quote))
                continue
            if start not in starts or end not in ends:
                problems.append(problem("E415:adjudication", file=adj.file, position=ptr, op_id=d.id, found=quote))
            if label not in labels:
                problems.append(problem("E412", file=adj.file, position=f"{ptr}/label", op_id=d.id, found=label))
            backers = tuple(r for e in by_key.get((start, end, label), []) if e.kb_id in (None, kb_id)
                            for r in e.refs)
            entities.append(Entity(start, end, quote, label, "adjudication",
                                   (OpRef(adj.adjudicator, d.id, adj.sha256), *backers), kb_id))
    for ref in sorted(dispute.refs - named):
        shown = next((f"{e.label} {e.text!r} [{e.start}, {e.end})" for e in dispute.disputed
                      if ref in map(str, e.refs)), "a removal")
        problems.append(problem("E442", file=adj.file, position="/decisions", found=ref, ref=ref, entity=shown))
    entities.sort(key=lambda e: (e.start, e.end))
    for a, b in zip(entities, entities[1:]):
        if b.start < a.end:
            problems.append(problem("E421:adjudication", file=adj.file, position="/decisions", entity=a, other=b))
    return entities, problems
