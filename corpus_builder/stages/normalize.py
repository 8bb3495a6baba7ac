"""Normalize stage: raw text -> published text, its edits on the raw text, and the
metadata the text states, by the named rules of :mod:`corpus_builder.text.rules`."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version

from ..cache import Store
from ..catalogue import error
from ..errors import CorpusError, Problem
from ..io import sha256_text, source_sha256
from ..records import Document, Edit
from . import Stage
from ..text import edits as edits_module, rules as rules_module
from ..text.edits import EditableText
from ..text.rules import Meta, Rule, extract_agencies, extract_title, rules_for


def fingerprint(agencies: tuple[str, ...] = ()) -> dict[str, str]:
    """What normalization output depends on: the code of the rules, the edit algebra
    and this stage, ftfy's version, Python's Unicode tables and the corpus's agencies."""
    return {"normalize": source_sha256(__file__), "rules": source_sha256(rules_module.__file__),
            "edits": source_sha256(edits_module.__file__), "ftfy": version("ftfy"),
            "unicodedata": unicodedata.unidata_version, "agencies": sha256_text("\n".join(sorted(set(agencies))))}


@dataclass
class NormalizeStats:
    edits: Counter[str] = field(default_factory=Counter)  # rule -> edits made
    documents: Counter[str] = field(default_factory=Counter)  # rule -> documents it changed
    dropped: Counter[str] = field(default_factory=Counter)  # error code -> documents left out
    kept: int = 0

    def summary(self) -> dict[str, int]:
        return {"kept": self.kept, **{f"dropped_{k}": v for k, v in sorted(self.dropped.items())},
                **{f"edits_{k}": v for k, v in sorted(self.edits.items())}}


class Normalizer(Stage[NormalizeStats]):
    """Stage: apply every rule; counts edits and documents per rule.

    With a ``cache`` (only for the default rules, whose code the key covers) a document
    whose raw text was normalized before is not normalized again."""

    name = "normalize"

    def __init__(self, rules: tuple[Rule, ...] | None = None, cache: Store | None = None,
                 agencies: tuple[str, ...] = ()):
        self.agencies = tuple(agencies)
        self.rules = rules_for(self.agencies) if rules is None else rules
        self.cache = cache if rules is None else None
        self.problems: list[Problem] = []
        self.stats = NormalizeStats()

    def normalize(self, doc: Document) -> Document:
        key = self.cache.key(doc.raw_sha256) if self.cache is not None and doc.raw_sha256 else None
        cached = self.cache.get(key) if key is not None else None
        if cached is not None:
            doc.text, doc.text_sha256 = cached["text"], cached["text_sha256"]
            doc.edits = [Edit(a, b, r, rule) for a, b, r, rule in cached["edits"]]
            meta, sources, counts = cached["metadata"], cached["sources"], cached["rules"]
        else:
            meta, sources, counts = self._normalize(doc)
            if key is not None:
                self.cache.put(key, {"text": doc.text, "text_sha256": doc.text_sha256,
                                     "edits": [[e.raw_start, e.raw_end, e.replacement, e.rule] for e in doc.edits],
                                     "metadata": meta, "sources": sources, "rules": counts})
        for rule, n in counts.items():
            self.stats.edits[rule] += n
            self.stats.documents[rule] += 1
        for key_, value in doc.input_metadata.items():  # stated by the input record: wins over extraction
            meta[key_] = value
            sources[key_] = "input"
        doc.metadata = meta
        doc.metadata_sources = sources
        self.stats.kept += 1
        return doc

    def _normalize(self, doc: Document) -> tuple[Meta, dict[str, str], dict[str, int]]:
        """Apply every rule; the metadata the text states, its sources, and edits per rule."""
        text = EditableText(doc.raw_text)
        meta: Meta = {"title": None, "published": None, "publisher": None, "event": None,
                      "agencies": [], "image_credits": []}
        sources: dict[str, str] = {}
        counts: dict[str, int] = {}
        for rule in self.rules:
            before = {k: (list(v) if isinstance(v, list) else v) for k, v in meta.items()}
            n = text.apply(rule.apply(text.text, meta), rule.name)
            if n:
                counts[rule.name] = n
            for k, v in meta.items():
                if v != before[k]:
                    sources.setdefault(k, f"text:{rule.name}")
        doc.text = text.text
        doc.text_sha256 = sha256_text(doc.text)
        doc.edits = text.edits()
        if not re.search(r"\w", doc.text):
            raise error("E103", file=doc.where)
        title = extract_title(doc.text)
        if title:
            meta["title"] = title
            sources["title"] = "text:first_line"
        before_agencies = list(meta["agencies"])  # type: ignore[arg-type]
        extract_agencies(doc.text, meta, self.agencies)
        if meta["agencies"] != before_agencies:
            sources.setdefault("agencies", "text:credit")
        return meta, sources, counts

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            try:
                yield self.normalize(doc)
            except CorpusError as exc:  # reported with the others; the document is left out
                self.problems.extend(exc.problems)
                self.stats.dropped[exc.problems[0].code] += 1
