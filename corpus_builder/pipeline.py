"""The pipeline: the stages wired together, each iterator in, iterator out.

``ingest -> normalize -> dedup -> ner -> overlays -> splits``. Iterating a
:class:`Pipeline` streams documents through every stage (nothing holds the corpus);
:meth:`Pipeline.finish` then gives a :class:`PipelineResult` whose typed
:class:`BuildStats` the summary, the manifest, the card and the datasheet read.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .annotation.adjudication import FOLDER, Adjudication, load_adjudications
from .annotation.overlay import Overlay, load_annotators, load_overlays
from .cache import NERCache, Store
from .config import BuildConfig
from .catalogue import error
from .errors import Problem
from .executors import Executor
from .nlp.model import ModelIdentity
from .records import Document
from .stages import Counts, Stage, StageStats
from .stages import dedup as dedup_stage, normalize as normalize_stage
from .stages.dedup import Dedup, DedupStats
from .stages.ingest import Ingest
from .stages.ner import NER, NERStats, cache_salt
from .stages.normalize import Normalizer, NormalizeStats
from .stages.overlays import Overlays, OverlayStats
from .stages.splits import Splits


@dataclass(frozen=True)
class BuildStats:
    """What every stage counted, and the seconds each one took (its own share)."""

    ingest: Counts
    normalize: NormalizeStats
    dedup: DedupStats
    ner: NERStats
    overlays: OverlayStats
    splits: Counts
    seconds: dict[str, float]
    total_seconds: float

    def by_stage(self) -> dict[str, StageStats]:
        """Stage name -> its stats, in pipeline order (for ``build --verbose``)."""
        return {"ingest": self.ingest, "normalize": self.normalize, "dedup": self.dedup, "ner": self.ner,
                "overlays": self.overlays, "splits": self.splits}


def corpus_labels(config: BuildConfig, model_labels: tuple[str, ...]) -> tuple[str, ...]:
    """The corpus's labels (``[labels]``, default the model's); every model label must be
    one of them or be mapped by ``[labels.map]`` (to one of them, or dropped)."""
    if config.labels is None:
        return tuple(model_labels)
    unmapped = [label for label in model_labels if label not in config.label_map and label not in config.labels]
    if unmapped:
        raise error("E007", file="corpus.toml", position="[labels.map]", found=", ".join(unmapped),
                    expected="each model label mapped to a corpus label or to \"\" (dropped)")
    return tuple(config.labels)


@dataclass
class PipelineResult:
    """Everything a release is made from."""

    model: ModelIdentity
    overlays: list[Overlay]
    adjudications: list[Adjudication]
    stats: BuildStats
    documents: list[Document] = field(default_factory=list)  # only when kept (``run``); a build streams
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        """Errors, then warnings."""
        return self.problems + self.warnings


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
    """The stages of one build. The model's work runs on ``executor``.

    Modules, overlays and the model live as long as the build: while documents stream,
    they are frozen out of the collector's sight, so its full passes scan only the
    documents in flight (a cached rebuild of 2,000 documents: 4.4 s -> 3.9 s)."""

    def __init__(self, config: BuildConfig, executor: Executor):
        self.start = time.perf_counter()
        self.config = config
        self.overlays, self.problems = load_overlays(config.annotations, config.schema_dir)
        self.adjudications, found = load_adjudications(config.annotations / FOLDER, config.schema_dir,
                                                       load_annotators(config.annotations, config.schema_dir)[0])
        self.problems += found
        self.identity = identity = executor.identity()
        if (executor.loads_configured_model and config.model_sha256 and not config.model_override
                and identity.sha256 != config.model_sha256):
            raise error("E302", file="corpus.toml", position="[model].sha256", found=identity.sha256,
                        expected=config.model_sha256, model=config.model)
        cache = config.cache
        self.ingest = Ingest(config.seeds)
        self.normalize = Normalizer(
            cache=Store(cache / "normalized", normalize_stage.fingerprint(config.agencies)) if cache is not None else None,
            agencies=config.agencies)
        self.dedup = Dedup(
            cache=Store(cache / "dedup", dedup_stage.fingerprint(), durable=False) if cache is not None else None)
        self.ner = NER(executor, NERCache(cache, cache_salt(identity)) if cache is not None else None,
                       config.max_length)
        self.labels = corpus_labels(config, identity.labels)
        self.overlay_stage = Overlays(self.overlays, self.labels, self.adjudications, config.label_map)
        self.splits = Splits(config.split_pins, config.salt)
        self.stages: tuple[Stage, ...] = (self.normalize, self.dedup, self.ner, self.overlay_stage, self.splits)
        self.times: dict[str, float] = {}

    def __iter__(self) -> Iterator[Document]:
        stream: Iterable[Document] = _timed(self.times, self.ingest.name, self.ingest())
        for stage in self.stages:
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

    def finish(self, documents: list[Document] | None = None) -> PipelineResult:
        """Problems (errors, then warnings, each in stage order) and stats, once the stream ended."""
        found = list(self.problems) + self.ingest.problems
        for stage in self.stages:
            stage.finish()
            found += stage.problems
        # time charged to a stage includes the stages upstream of it; report each stage's own share
        names = [self.ingest.name, *(s.name for s in self.stages)]
        own = {n: self.times.get(n, 0.0) - (self.times.get(names[i - 1], 0.0) if i else 0.0)
               for i, n in enumerate(names)}
        stats = BuildStats(ingest=self.ingest.stats, normalize=self.normalize.stats, dedup=self.dedup.stats,
                           ner=self.ner.stats, overlays=self.overlay_stage.stats, splits=self.splits.stats,
                           seconds=own, total_seconds=time.perf_counter() - self.start)
        return PipelineResult(
            model=self.identity,
            overlays=self.overlays,
            adjudications=self.adjudications,
            stats=stats,
            documents=documents or [],
            problems=[p for p in found if p.severity != "warning"],
            warnings=[p for p in found if p.severity == "warning"],
        )
