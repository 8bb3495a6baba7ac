"""The pipeline: the stages wired together as shard tasks.

``ingest -> normalize -> dedup -> ner -> overlays -> splits``. The input is cut into
shards; an executor runs :func:`~corpus_builder.shards.fingerprints` on every shard
(dedup's first step: it must see every document), the client turns the fingerprints
into a dedup plan, then the executor runs :func:`~corpus_builder.shards.annotate` on
every shard (a shard to its release rows) and the client collects the results in shard
order: nothing holds the corpus. :meth:`Pipeline.finish` then gives a
:class:`PipelineResult` whose typed :class:`BuildStats` the summary, the manifest,
the card and the datasheet read.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .annotation.adjudication import FOLDER, Adjudication, load_adjudications
from .annotation.apply import apply_metadata
from .annotation.overlay import Overlay, load_annotators, load_overlays
from .catalogue import error, problem
from .config import BuildConfig, corpus_labels
from .errors import Problem, rel
from .executors import Executor, streaming_gc
from .nlp.model import ModelIdentity
from .records import Document
from . import shards as tasks
from .shards import Annotated, Context, Work, annotate, fingerprints
from .stages import Counts, StageStats
from .stages.dedup import Dedup, DedupPlan, DedupStats
from .stages.ingest import Ingest, Shard
from .stages.ner import NERStats, cache_salt
from .stages.normalize import NormalizeStats
from .stages.overlays import Overlays, OverlayStats

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class BuildStats:
    """What every stage counted, and the seconds each one took (its own share, summed
    over the shard tasks: on several workers, more than the wall time)."""

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


STAGES = ("ingest", "normalize", "dedup", "ner", "overlays", "splits")


class Pipeline:
    """The stages of one build; the shard tasks run on ``executor``: :meth:`parts` gives
    their results (a build), iterating gives the documents (``run``).

    Modules, overlays and the model live as long as the build: while documents stream,
    they are frozen out of the collector's sight, so its full passes scan only the
    documents in flight."""

    def __init__(self, config: BuildConfig, executor: Executor):
        self.start = time.perf_counter()
        self.config = config
        self.executor = executor
        self.overlays, self.problems = load_overlays(config.annotations, config.schema_dir, config.overlay_file_bytes,
                                                     config.cache)
        self.adjudications, found = load_adjudications(config.annotations / FOLDER, config.schema_dir,
                                                       load_annotators(config.annotations, config.schema_dir)[0])
        self.problems += found
        self.identity = identity = executor.identity()
        if (executor.loads_configured_model and config.model_sha256 and not config.model_override
                and identity.sha256 != config.model_sha256):
            raise error("E302", file="corpus.toml", position="[model].sha256", found=identity.sha256,
                        expected=config.model_sha256, model=config.model)
        self.ingest = Ingest(config.seeds, config.seed_file_bytes)
        self.normalize = NormalizeStats()
        self.dedup = Dedup(config.dedup.exact, config.dedup.near, config.split_pins)
        self.ner = NERStats(cache_folder=config.cache, cache=Counter() if config.cache is not None else None)
        self.labels = corpus_labels(config, identity.labels)
        self.overlay_stage = Overlays(self.overlays, self.labels, self.adjudications, config.label_map)
        self.splits = Counts()
        self.found: dict[str, list[Problem]] = {name: [] for name in STAGES}
        self.times: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.split_of: dict[str, str] = {}  # documents in a near-duplicate pair -> their split
        self.context = Context(
            seeds=config.seeds, seed_file_bytes=config.seed_file_bytes, cache=config.cache, max_length=config.max_length,
            ner_salt=cache_salt(identity) if config.cache is not None else None,
            events=self._events(), labels=self.labels, label_map=dict(config.label_map), pins=dict(config.split_pins),
            salt=config.salt, agencies=tuple(config.agencies),
            text_license=config.dataset.text_license, model_ref=identity.ref)

    def _events(self) -> dict[tuple[str, str], str]:
        """(doc_id, text sha256) -> the event its overlays set: dedup groups by it before
        the overlays stage runs."""
        by_doc: dict[tuple[str, str], list[Overlay]] = {}
        for ov in self.overlays:
            by_doc.setdefault((ov.doc_id, ov.text_sha256), []).append(ov)
        events = {}
        for key, ovs in by_doc.items():
            probe = Document(key[0], "", "", "")
            apply_metadata(probe, ovs)
            if probe.metadata.get("event"):
                events[key] = probe.metadata["event"]
        return events

    def __iter__(self) -> Iterator[Document]:
        """Every kept document in input order (``run``: they are kept whole)."""
        for part in self.parts():
            yield from part.documents

    def parts(self, scratch: Path | None = None, schemas: Callable[[], Mapping[str, pa.Schema]] | None = None
              ) -> Iterator[Annotated]:
        """Every shard's result in input order. ``schemas``: a build's Arrow schema per
        config (taken while the first tasks run): the tasks then return release rows and
        figures instead of documents. ``scratch``: a folder the tasks may use for this
        build's normalized texts (when there is no cache), so they are normalized once."""
        if scratch is not None:
            self.context = replace(self.context, scratch=scratch)
        # documents in flight are many small objects (a token is a tuple) freed by reference
        # counting: with the default 700 allocations per pass, the collector scanned them
        # again and again (a fifth of a cached rebuild's time)
        with streaming_gc():
            shards = self.ingest.shards(tasks.SHARD_DOCS)
            plan, members = self._plan(shards, while_running=schemas)
            if schemas is not None:
                self.context = replace(self.context, schemas=dict(schemas()))
            by_doc, adjudications = self.overlay_stage.by_doc, self.overlay_stage.adjudications
            calls = (((Work(shard, plan.for_ids(ids, groups),
                            tuple(ov for d in sorted(ids) for ov in by_doc.get(d, ())),
                            tuple(adjudications[d] for d in sorted(ids) if d in adjudications)), self.context),
                      _where(shard)) for shard, (ids, groups) in zip(shards, members))
            for result in self.executor.run(annotate, calls):
                self._merge(result)
                for doc_id, split in result.kept:
                    if doc_id in plan.paired:
                        self.split_of[doc_id] = split
                yield result

    def _plan(self, shards: list[Shard], while_running: Callable[[], object] | None = None
              ) -> tuple[DedupPlan, list[tuple[set[str], set[str]]]]:
        """Dedup's first step: fingerprints from every shard, merged into the plan (what
        reading found is found again by the second task, and reported from there).
        ``while_running`` is called once the first result is in, while the workers go on."""
        members: list[tuple[set[str], set[str]]] = []
        client = 0.0
        for result in self.executor.run(fingerprints, (((s, self.context), _where(s)) for s in shards)):
            if while_running is not None:
                while_running()
                while_running = None
            t = time.perf_counter()
            members.append(({fp.doc_id for fp in result.fingerprints},
                            {fp.group for fp in result.fingerprints if fp.group != fp.doc_id}))
            for fp in result.fingerprints:
                self.dedup.add(fp)
            self.times["dedup"] += result.seconds
            client += time.perf_counter() - t
        t = time.perf_counter()
        plan = self.dedup.plan()
        self.times["dedup"] += client + time.perf_counter() - t
        return plan, [(ids, ids | groups) for ids, groups in members]

    def _merge(self, r: Annotated) -> None:
        """A shard's stats and problems into the build's, in shard order."""
        self.ingest.stats.counts.update(r.ingest.counts)
        n = self.normalize
        n.edits.update(r.normalize.edits)
        n.documents.update(r.normalize.documents)
        n.dropped.update(r.normalize.dropped)
        n.kept += r.normalize.kept
        self.ner.counts.update(r.ner.counts)
        if self.ner.cache is not None and r.ner.cache is not None:
            self.ner.cache.update(r.ner.cache)
        o = self.overlay_stage
        o.stats.counts.update(r.overlays.counts)
        o.stats.statuses += r.overlays.statuses
        for f in fields(o.stats.coverage):
            setattr(o.stats.coverage, f.name, getattr(o.stats.coverage, f.name) + getattr(r.overlays.coverage, f.name))
        for key, counter in r.links.items():
            o.links.setdefault(key, Counter()).update(counter)
        o.seen |= r.seen
        self.splits.counts.update(r.splits.counts)
        for name, problems in r.problems.items():
            self.found[name] += problems
        for name, seconds in r.seconds.items():
            self.times[name] += seconds

    def finish(self, documents: list[Document] | None = None) -> PipelineResult:
        """Problems (errors, then warnings, each in stage order) and stats, once the stream ended."""
        self.overlay_stage.finish()
        self.found["overlays"] += self.overlay_stage.problems
        dedup = self.dedup.stats
        dedup.cross_split_pairs = sum(1 for pair in dedup.near
                                      if len({self.split_of.get(d) for d in pair["doc_ids"]} - {None}) == 2)
        if dedup.cross_split_pairs:
            self.dedup.problems.append(problem("W131", pairs=dedup.cross_split_pairs))
        found = list(self.problems) + self.ingest.problems + self.found["ingest"] + self.found["normalize"]
        found += self.dedup.problems + self.found["ner"] + self.found["overlays"] + self.found["splits"]
        stats = BuildStats(ingest=self.ingest.stats, normalize=self.normalize, dedup=dedup, ner=self.ner,
                           overlays=self.overlay_stage.stats, splits=self.splits,
                           seconds=dict(self.times), total_seconds=time.perf_counter() - self.start)
        return PipelineResult(
            model=self.identity,
            overlays=self.overlays,
            adjudications=self.adjudications,
            stats=stats,
            documents=documents or [],
            problems=[p for p in found if p.severity != "warning"],
            warnings=[p for p in found if p.severity == "warning"],
        )


def _where(shard: Shard) -> str:
    first = shard[0]
    return rel(first.path) + (f" (from line {first.start})" if first.path.suffix == ".jsonl" and first.start > 1 else
                              f" (from row {first.start + 1})" if first.path.suffix == ".parquet" and first.start else "")
