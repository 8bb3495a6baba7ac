"""Overlays stage: check each document's overlays against its text and the model's
entities, apply the sound ops (one layer per annotator, adjudicated when several
reviewed it), and count ops, their status against the model, review coverage and
entity links. The overlay format and its rules live in :mod:`corpus_builder.annotation`."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from ..annotation.adjudication import Adjudication, adjudicate
from ..annotation.apply import apply_metadata, apply_ops, ordered_ops
from ..annotation.check import check_overlay, op_status
from ..annotation.overlay import REVISE, SPAN_KINDS, Overlay
from ..catalogue import problem
from ..errors import Problem
from ..nlp.parse import merge_over_entities
from ..records import Document
from . import Stage


@dataclass
class Coverage:
    """How much of the corpus a human reviewed (a document is complete when a
    ``scope: complete`` overlay reviews every model entity in it)."""

    documents: int = 0
    complete: int = 0
    characters: int = 0
    characters_reviewed: int = 0
    unreviewed: int = 0  # model entities no op reviews

    def line(self) -> str:
        return (f"coverage: {self.complete}/{self.documents} documents complete "
                f"({self.characters_reviewed:,}/{self.characters:,} characters reviewed), "
                f"{self.unreviewed} unreviewed model entities")


@dataclass
class OpStatus:
    """What one entity op means against the model in use."""

    file: str
    op_id: str
    kind: str
    status: str  # needed | redundant | stale


@dataclass
class OverlayStats:
    counts: Counter[str] = field(default_factory=Counter)  # ops applied, by kind
    statuses: list[OpStatus] = field(default_factory=list)  # every entity op, in file order
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def status(self) -> Counter[str]:
        return Counter(s.status for s in self.statuses)

    def summary(self) -> dict[str, int]:
        return {k: v for k, v in sorted((self.counts + self.status).items()) if v}


class Overlays(Stage[OverlayStats]):
    """Stage: check and apply each document's overlays; counts ops by kind, op status
    against the model, review coverage and entity links.

    Problems are collected, not raised, so one run reports all of them."""

    name = "overlays"

    def __init__(self, overlays: Iterable[Overlay], labels: Iterable[str], adjudications: Iterable[Adjudication] = (),
                 label_map: Mapping[str, str | None] | None = None):
        self.by_doc: dict[str, list[Overlay]] = {}
        for ov in overlays:
            self.by_doc.setdefault(ov.doc_id, []).append(ov)
        self.adjudications = {a.doc_id: a for a in adjudications}
        self.labels = tuple(labels)
        self.label_map = dict(label_map or {})  # model label -> corpus label, None: dropped
        self.problems: list[Problem] = []
        self.stats = OverlayStats()
        self.links: dict[tuple[str, str], Counter[str | None]] = {}
        self.seen: set[str] = set()

    def apply(self, doc: Document) -> Document:
        """Check every op, then apply the sound ones so conflicts among them are found too;
        revisions last, on the layer the independent reviews (and adjudication) made."""
        if self.label_map:  # the model's labels in the corpus's label set (overlays speak the corpus's)
            doc.model_entities = [replace(e, label=self.label_map.get(e.label, e.label)) for e in doc.model_entities
                                  if self.label_map.get(e.label, e.label) is not None]
        every = self.by_doc.get(doc.doc_id, [])
        if every or doc.doc_id in self.adjudications:  # remembered to report files naming unknown documents
            self.seen.add(doc.doc_id)
        overlays = [ov for ov in every if ov.mode != REVISE]
        revisions = [ov for ov in every if ov.mode == REVISE]
        found: list[Problem] = []
        usable: list[Overlay] = []
        for ov in overlays:
            problems = check_overlay(ov, doc, self.labels)
            found.extend(problems)
            if ov.text_sha256 != doc.text_sha256:
                continue  # the whole file is unusable: written against another text (check_overlay said so)
            bad = {p.op_id for p in problems if p.severity == "error"}
            usable.append(replace(ov, ops=tuple(op for op in ov.ops if op.id not in bad)))
            self.stats.statuses += [OpStatus(ov.file, op.id, op.kind, op_status(op, doc.model_entities))
                              for op in ov.ops if op.kind in SPAN_KINDS]
        found.extend(apply_metadata(doc, usable))
        by_annotator: dict[str, list[Overlay]] = {}
        for ov in usable:  # an entity layer per annotator; a file of metadata ops only makes none
            if any(op.kind in SPAN_KINDS for op in ov.ops):
                by_annotator.setdefault(ov.annotator, []).append(ov)
        if not by_annotator:  # no entity overlay: the model's layer as it is
            doc.entities = list(doc.model_entities)
        elif len(by_annotator) == 1:
            doc.entities, conflicts = apply_ops(doc.text, doc.model_entities,
                                                ordered_ops(next(iter(by_annotator.values()))))
            found.extend(conflicts)
        else:
            ops = {a: ordered_ops(ovs) for a, ovs in sorted(by_annotator.items())}
            for a, annotator_ops in ops.items():
                doc.layers[a], conflicts = apply_ops(doc.text, doc.model_entities, annotator_ops)
                found.extend(conflicts)
            doc.entities, disputes = adjudicate(doc, doc.layers, ops, self.adjudications.get(doc.doc_id), self.labels)
            found.extend(disputes)
        if revisions:
            revised, problems = self._revise(doc, revisions)
            found.extend(problems)
            usable += revised
        doc.sentences = merge_over_entities(doc.sentences, [e.span for e in doc.entities])
        for ov in usable:
            self.stats.counts.update(op.kind for op in ov.ops)
        self._cover(doc, overlays)
        if every:  # links are checked where annotators worked; unreviewed documents have none
            for e in doc.entities:
                self.links.setdefault((e.text, e.label), Counter())[e.kb_id] += 1
        self.problems.extend(found)
        return doc

    def _revise(self, doc: Document, revisions: list[Overlay]) -> tuple[list[Overlay], list[Problem]]:
        """Revisions act on the current layer: their ``expects`` name its entities (checked
        as an overlay's are against the model), and what they make supersedes them. A
        revision is no second opinion: it makes no layer of its own, so no dispute."""
        current = replace(doc, model_entities=list(doc.entities))
        found: list[Problem] = []
        usable: list[Overlay] = []
        for ov in revisions:
            problems = check_overlay(ov, current, self.labels)
            found.extend(problems)
            if ov.text_sha256 != doc.text_sha256:
                continue
            bad = {p.op_id for p in problems if p.severity == "error"}
            usable.append(replace(ov, ops=tuple(op for op in ov.ops if op.id not in bad)))
        doc.entities, conflicts = apply_ops(doc.text, doc.entities, ordered_ops(usable))
        return usable, found + conflicts

    def _cover(self, doc: Document, overlays: list[Overlay]) -> None:
        complete = [ov for ov in overlays if ov.scope == "complete" and ov.text_sha256 == doc.text_sha256]
        if complete:
            covered = [{op.reviewed for op in ov.ops} for ov in complete]
            missing = {e.span for e in doc.model_entities if any(e.span not in c for c in covered)}
        else:
            reviewed = {op.reviewed for ov in overlays for op in ov.ops}
            missing = {e.span for e in doc.model_entities if e.span not in reviewed}
        c = self.stats.coverage
        c.documents += 1
        c.characters += len(doc.text)
        c.unreviewed += len(missing)
        if complete and not missing:
            doc.reviewed = True
            c.complete += 1
            c.characters_reviewed += len(doc.text)

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield self.apply(doc)

    def finish(self) -> None:
        """After the stream: overlays and adjudications whose document never came
        through, and links that disagree across the corpus."""
        self.problems += self._unknown_documents()

    def _unknown_documents(self) -> list[Problem]:
        problems = [p for doc_id, ovs in sorted(self.by_doc.items()) if doc_id not in self.seen
                    for ov in ovs for p in check_overlay(ov, None, self.labels)]
        problems += [problem("E410:adjudication", file=adj.file, position="/doc_id", found=doc_id)
                     for doc_id, adj in sorted(self.adjudications.items()) if doc_id not in self.seen]
        return problems + self.link_problems()

    def link_problems(self) -> list[Problem]:
        """One referent, one id: a mention text and label linked to two ids, or linked in
        one place and not in another, is reported (a name can have two referents, so
        these are warnings for a person to check)."""
        problems = []
        for (text, label), ids in sorted(self.links.items()):
            linked = sorted(i for i in ids if i is not None)
            if len(linked) > 1:
                problems.append(problem("W445", found=", ".join(linked), label=label, text=text))
            elif linked and ids[None]:
                problems.append(problem("W446", label=label, text=text, kb_id=linked[0], linked=ids[linked[0]],
                                        unlinked=ids[None]))
        return problems + self.variant_problems()

    def variant_problems(self) -> list[Problem]:
        """A mention never linked whose spelling is close to a linked one of the same label
        ("Jon Smith" beside a linked "John Smith"): the written names differ, so the checks
        above miss it; a person decides (the same kb_id, or "NIL")."""
        linked = {(text, label): sorted(i for i in ids if i is not None) for (text, label), ids in self.links.items()}
        problems = []
        for (text, label), ids in sorted(linked.items()):
            if ids:
                continue
            for (other, other_label), other_ids in sorted(linked.items()):
                if other_label == label and other_ids and other != text and _close(text, other):
                    problems.append(problem("W447", label=label, text=text, other=other, kb_id=other_ids[0]))
                    break
        return problems


VARIANT_RATIO = 0.85  # difflib similarity of two case-folded names from which they may be one referent's spellings


def _close(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a == b or (min(len(a), len(b)) >= 5 and difflib.SequenceMatcher(None, a, b).ratio() >= VARIANT_RATIO)