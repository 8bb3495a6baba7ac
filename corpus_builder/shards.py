"""Shard tasks: the units of work an executor runs, in this process, in worker
processes or on Dask workers alike, so the release bytes never depend on where.

A build plans the input into shards (:meth:`Ingest.shards`: about :data:`SHARD_DOCS`
records each, in input order) and runs two tasks per shard:

1. :func:`fingerprints`: read and normalize the shard, return one small
   :class:`~corpus_builder.stages.dedup.Fingerprint` per document (dedup must see every
   document; the client merges them into a plan);
2. :func:`annotate`: read and normalize the shard again (from the normalize cache, or
   without one from the build's scratch folder), leave out what the plan drops, run
   NER, overlays and splits, and assemble the release rows. The client only collects
   results in shard order and writes them.

Every stage's stats and problems come back per shard and are merged in shard order,
which is the order a single stream would have met them in.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .annotation.adjudication import Adjudication
from .annotation.overlay import Overlay
from .annotation.snapshots import save_snapshot
from .cache import NERCache, ShardScratch, Store
from .errors import Problem
from .records import Document
from .release.rows import assemble
from .release.stats import ReleaseStats
from .stages import Counts
from .stages import dedup as dedup_stage, normalize as normalize_stage
from .stages.dedup import DedupPlan, Fingerprint, document_fingerprint
from .stages.ingest import Ingest, Shard
from .stages.ner import NER, NERStats
from .stages.normalize import Normalizer, NormalizeStats
from .stages.overlays import Overlays, OverlayStats
from .stages.splits import Splits

if TYPE_CHECKING:
    from .executors import Engine

SHARD_DOCS = 64  # records per shard: enough to batch the model, small enough that the last tasks end together


@dataclass(frozen=True)
class Context:
    """What every task of one build needs (sent with each task, so kept small)."""

    seeds: Path
    seed_file_bytes: int
    cache: Path | None
    max_length: int
    ner_salt: dict[str, object] | None = None  # the NER cache's salt (the model identity)
    events: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, text sha256) -> overlay event
    labels: tuple[str, ...] = ()  # the corpus's labels
    label_map: Mapping[str, str | None] = field(default_factory=dict)  # model label -> corpus label (None: dropped)
    pins: Mapping[str, str] = field(default_factory=dict)
    salt: str = ""  # the split hash's salt
    agencies: tuple[str, ...] = ()  # wire agencies normalization recognises
    text_license: str | None = None
    model_ref: str | None = None
    # a build's Arrow schema per config: the task returns its documents' release rows as
    # record batches and their figures; without (``run``), the whole documents
    schemas: Mapping[str, pa.Schema] | None = None
    scratch: Path | None = None  # without a cache: a folder for this build's normalized texts (see _readers)


@dataclass
class Fingerprints:
    """The first task's result for one shard."""

    fingerprints: list[Fingerprint]
    ingest: Counts
    normalize: NormalizeStats
    problems: dict[str, list[Problem]]  # stage name (ingest, normalize) -> its problems
    seconds: float


def fingerprints(shard: Shard, ctx: Context, engine: Engine | None = None) -> Fingerprints:
    """Task 1: read and normalize a shard; a fingerprint per document (no model needed)."""
    start = time.perf_counter()
    ingest, normalizer, normalized = _readers(ctx, shard)
    store = Store(ctx.cache / "dedup", dedup_stage.fingerprint()) if ctx.cache is not None else None
    found = []
    for doc in normalizer(ingest(shard)):
        event = ctx.events.get((doc.doc_id, doc.text_sha256))
        if event:
            doc.metadata["event"] = event
        found.append(document_fingerprint(doc, store))
    if normalized is not None:
        normalized.flush()
    return Fingerprints(found, ingest.stats, normalizer.stats,
                        {"ingest": ingest.problems, "normalize": normalizer.problems}, time.perf_counter() - start)


@dataclass(frozen=True)
class Work:
    """Task 2's input: a shard, the dedup plan's part for it, its overlays."""

    shard: Shard
    plan: DedupPlan
    overlays: tuple[Overlay, ...] = ()
    adjudications: tuple[Adjudication, ...] = ()


@dataclass
class Annotated:
    """The second task's result for one shard: in a build, its release rows and figures
    (Arrow batches pickle as flat buffers, and the client has nothing to convert); in a
    ``run``, its documents. Then every stage's stats and problems to merge."""

    kept: list[tuple[str, str]]  # (doc id, split) of every document kept, in order
    documents: list[Document]  # ``run`` only
    batches: dict[tuple[str, str], pa.RecordBatch]  # (config, split) -> rows; a build only
    release: ReleaseStats | None  # a build only
    ingest: Counts
    normalize: NormalizeStats
    ner: NERStats
    overlays: OverlayStats
    links: dict[tuple[str, str], Counter[str | None]]
    seen: set[str]
    splits: Counts
    problems: dict[str, list[Problem]]  # stage name -> its problems
    seconds: dict[str, float]


def annotate(work: Work, ctx: Context, engine: Engine) -> Annotated:
    """Task 2: a shard to release rows (normalize, NER, overlays, splits, assemble)."""
    times: dict[str, float] = {}
    ingest, normalizer, _ = _readers(ctx, work.shard)
    ner = NER(engine, NERCache(ctx.cache, ctx.ner_salt) if ctx.cache is not None and ctx.ner_salt else None,
              ctx.max_length)
    overlays = Overlays(work.overlays, ctx.labels, work.adjudications, ctx.label_map)
    splits = Splits(ctx.pins, ctx.salt)
    plan = work.plan
    stream: Iterable[Document] = _timed(times, "ingest", ingest(work.shard))
    stream = _timed(times, "normalize", normalizer(stream))
    stream = _timed(times, "dedup", filter(plan.keeps, stream))
    stream = _timed(times, "ner", ner(stream))
    stream = _timed(times, "overlays", overlays(stream))
    stream = _timed(times, "splits", splits(_grouped(stream, plan.groups)))
    kept: list[tuple[str, str]] = []
    documents: list[Document] = []
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    release = ReleaseStats(ctx.labels) if ctx.schemas is not None else None
    annotated = {ov.doc_id for ov in work.overlays} if ctx.cache is not None and release is not None else set()
    for doc in stream:
        kept.append((doc.doc_id, doc.split or ""))
        if release is None:
            documents.append(doc)
            continue
        for name, config_rows in assemble(doc, ctx.labels, ctx.text_license, ctx.model_ref).items():
            rows.setdefault((name, doc.split or ""), []).extend(config_rows)
        release.add(doc)
        if doc.doc_id in annotated:
            save_snapshot(ctx.cache, doc.text)  # what `rebase` maps from after a rule change
    batches = {key: _batch(r, ctx.schemas[key[0]]) for key, r in rows.items()} if ctx.schemas is not None else {}
    names = list(times)
    own = {n: times[n] - (times[names[i - 1]] if i else 0.0) for i, n in enumerate(names)}
    return Annotated(kept, documents, batches, release, ingest.stats, normalizer.stats, ner.stats, overlays.stats,
                     overlays.links, overlays.seen, splits.stats,
                     {"ingest": ingest.problems, "normalize": normalizer.problems, "ner": ner.problems,
                      "overlays": overlays.problems}, own)


def _batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows to a record batch, column by column: the same batch as ``from_pylist`` (a
    missing field is null) in less time (0.46 s instead of 0.64 s for the 1,800
    documents of a cached benchmark rebuild)."""
    return pa.RecordBatch.from_pydict({f.name: [row.get(f.name) for row in rows] for f in schema}, schema=schema)


def _readers(ctx: Context, shard: Shard) -> tuple[Ingest, Normalizer, Store | None]:
    """Both tasks normalize every document: the second reads what the first kept, in the
    cache or, without one, in the build's scratch folder (when this worker sees it: one
    on another machine normalizes again)."""
    salt = normalize_stage.fingerprint(ctx.agencies)
    cache = (Store(ctx.cache / "normalized", salt) if ctx.cache is not None else
             ShardScratch(ctx.scratch, shard, salt) if ctx.scratch is not None and ctx.scratch.is_dir() else None)
    return Ingest(ctx.seeds, ctx.seed_file_bytes), Normalizer(cache=cache, agencies=ctx.agencies), cache


def _grouped(docs: Iterable[Document], groups: Mapping[str, str]) -> Iterator[Document]:
    """A document whose group joined a near-duplicate cluster takes the cluster's group."""
    for doc in docs:
        target = groups.get(doc.group)
        if target is not None and target != doc.group:
            doc.cluster_group = target
        yield doc


def _timed(times: dict[str, float], name: str, docs: Iterable[Document]) -> Iterator[Document]:
    """Charge the time spent producing each document to the stage that produced it
    (upstream stages included: :func:`annotate` subtracts them)."""
    it = iter(docs)
    while True:
        t = time.perf_counter()
        try:
            doc = next(it)
        except StopIteration:
            times[name] = times.get(name, 0.0) + time.perf_counter() - t
            return
        times[name] = times.get(name, 0.0) + time.perf_counter() - t
        yield doc
