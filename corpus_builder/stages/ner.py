"""NER stage: the model's tokens, entities and sentences for each document.

The stage owns what is per document (the cache, the length limit, the counts);
the model's work is done by an executor (:mod:`corpus_builder.executors`), in
chunks of texts, so one process, several, or a cluster give the same results in
the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import NERCache
from ..catalogue import problem
from ..errors import Problem
from ..io import source_sha256
from ..nlp import parse as parse_module
from ..nlp.model import ModelIdentity
from ..records import Document, Entity
from . import Counts, Stage

if TYPE_CHECKING:
    from ..executors import Executor


# a chunk while the executor works on it: the documents, the results the cache
# already had (by position), and the positions still to compute
Pending = tuple[list[Document], dict[int, dict], list[int]]


def cache_salt(identity: ModelIdentity) -> dict[str, object]:
    """What, besides the text, decides this stage's output."""
    return {
        "model_sha256": identity.sha256,
        "components": list(identity.components),
        "segmenter": identity.sentence_segmenter,
        "spacy": identity.spacy_version,
        "stage_source": source_sha256(__file__),
        "parse_source": source_sha256(parse_module.__file__),
    }


@dataclass
class NERStats(Counts):
    """Documents, tokens and entities, entities trimmed or dropped, documents too long;
    and the cache's hits and misses."""

    cache_folder: Path | None = None
    cache: dict[str, int] | None = None  # the cache's own counter (hits, misses, corrupt, writes)


class NER(Stage[NERStats]):
    """Stage: look up each chunk of documents in the cache, have the executor parse
    the rest, fill tokens, model entities and sentences."""

    name = "ner"

    def __init__(self, executor: Executor, cache: NERCache | None = None, max_length: int = 1_000_000):
        self.executor = executor
        self.cache = cache
        self.max_length = max_length
        self.problems: list[Problem] = []
        self.stats = NERStats(cache_folder=cache.folder if cache is not None else None,
                              cache=cache.counts if cache is not None else None)

    def annotate(self, doc: Document, result: dict) -> Document:
        tokens, sentences = result["tokens"], result["sentences"]
        doc.tokens = list(zip(tokens[::2], tokens[1::2]))
        doc.model_entities = [Entity(s, e, doc.text[s:e], label, "model") for s, e, label in result["entities"]]
        doc.sentences = list(zip(sentences[::2], sentences[1::2]))
        counts = self.stats.counts
        counts.update({k: v for k, v in result["counts"].items() if v})
        counts["documents"] += 1
        counts["entities"] += len(doc.model_entities)
        counts["tokens"] += len(doc.tokens)
        return doc

    def fits(self, doc: Document) -> bool:
        """spaCy refuses texts over ``nlp.max_length``; say so instead of crashing."""
        if len(doc.text) <= self.max_length:
            return True
        self.problems.append(problem("E106", file=doc.where, length=len(doc.text), limit=self.max_length))
        self.stats.counts["dropped_too_long"] += 1
        return False

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        fitting = (d for d in docs if self.fits(d))
        size = self.executor.chunk_size
        chunks = iter(lambda: list(islice(fitting, size)), [])
        for (batch, results, todo), computed in self.executor.map(self._to_compute(chunks)):
            for doc, result in zip(batch, self._store(batch, todo, computed, results)):
                yield self.annotate(doc, result)

    def _to_compute(self, chunks: Iterator[list[Document]]) -> Iterator[tuple[Pending, list[str], str]]:
        """Per chunk: (what :meth:`_store` needs back, the texts the cache lacks, where)."""
        for batch in chunks:
            results: dict[int, dict] = {}
            if self.cache is not None:
                for i, doc in enumerate(batch):
                    cached = self.cache.get(self.cache.key(doc.text_sha256))
                    if cached is not None:
                        results[i] = cached
            todo = [i for i in range(len(batch)) if i not in results]
            yield (batch, results, todo), [batch[i].text for i in todo], batch[todo[0]].where if todo else ""

    def _store(self, batch: list[Document], todo: list[int], computed: list[dict],
               results: dict[int, dict]) -> list[dict]:
        for i, result in zip(todo, computed):
            results[i] = result
            if self.cache is not None:
                self.cache.put(self.cache.key(batch[i].text_sha256), result)
        return [results[i] for i in range(len(batch))]
