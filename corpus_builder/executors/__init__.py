"""Executors: where a build's work runs. A build is a sequence of shard tasks
(:mod:`corpus_builder.shards`); an executor runs each task where it runs work (this
process, worker processes, Dask workers) with that place's :class:`Engine` (the model
loaded there) and gives the results back in input order, so the release bytes do not
depend on which executor ran them.

One module per executor (``local``, ``dask``), each with a ``start(config, ...)``
context manager; ``--executor NAME`` imports ``corpus_builder.executors.NAME``, so
adding another engine (Ray, ...) is one new module here and nothing else.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..catalogue import error

if TYPE_CHECKING:
    from spacy.language import Language

    from ..config import BuildConfig
    from ..nlp.model import ModelIdentity

T = TypeVar("T")
R = TypeVar("R")
DEFAULT = "local"
# allocations between the collector's youngest passes while documents stream, in the
# build's process and wherever its tasks run (the documents in flight are many small
# objects freed by reference counting: the default 700 made the collector scan them
# again and again)
STREAMING_GC_THRESHOLD = 100_000
# The allocators of a process that runs the model for a build. glibc then serves the
# model's per-batch arrays (up to tens of MB) from a heap it keeps, instead of mapping and
# unmapping them for every batch (by default: 2.3 million page faults, 6 of the 72 CPU
# seconds of a 2-process build of 2,000 documents); and Arrow allocates from that heap
# too, so the pages the model's arrays freed serve the release rows (with Arrow's own
# mimalloc pool, each kept its own freed pages). As environment variables, for a process
# not yet started (Dask's workers); :func:`tune_allocators` sets them in a running one.
ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),  # glibc's largest
                 "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20),  # above a batch's arrays
                 "ARROW_DEFAULT_MEMORY_POOL": "system"}
_MALLOPT = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}  # glibc's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD


class StreamingGC:
    """The collector's settings while documents stream: what is loaded so far frozen out
    of its passes, and fewer passes (``enter``), then restored (``exit``). Objects a host
    froze before (a fork server does, so that its children's collections do not touch,
    and copy, every page of its heap) stay frozen: only what was not frozen before is
    given back."""

    def __init__(self) -> None:
        self.saved: tuple[tuple[int, ...], bool] | None = None  # (thresholds, host had frozen)

    def enter(self) -> None:
        thresholds = gc.get_threshold()
        self.saved = thresholds, gc.get_freeze_count() > 0
        gc.freeze()
        gc.set_threshold(STREAMING_GC_THRESHOLD, *thresholds[1:])

    def exit(self) -> None:
        if self.saved is not None:
            thresholds, host_frozen = self.saved
            gc.set_threshold(*thresholds)
            if not host_frozen:
                gc.unfreeze()
            self.saved = None


@contextmanager
def streaming_gc() -> Iterator[None]:
    """:class:`StreamingGC` for the ``with`` block."""
    settings = StreamingGC()
    settings.enter()
    try:
        yield
    finally:
        settings.exit()


def tune_allocators() -> None:
    """This process's allocators as :data:`ALLOCATOR_ENV` sets them in a new one: for the
    commands that build (their process is theirs; a program that calls
    :func:`~corpus_builder.actions.build.build` keeps its own settings). Worker processes
    forked later inherit them."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: its defaults stay
        return
    for name, param in _MALLOPT.items():
        mallopt(param, int(ALLOCATOR_ENV[name]))


class Engine(Protocol):
    """The model in one process: what a shard task's NER stage hands chunks of texts."""

    chunk_size: int  # documents per chunk the NER stage hands over

    def map(self, chunks: Iterable[tuple[T, list[str], str]]) -> Iterator[tuple[T, list[dict[str, Any]]]]:
        """(tag, texts, where) in, (tag, one parse result per text) out, in input order;
        ``where`` names the first document of a chunk in error messages."""
        ...


class Executor(Protocol):
    """Runs shard tasks."""

    workers: int  # tasks that run at once
    loads_configured_model: bool  # it loads ``config.model`` (so the pinned fingerprint applies)

    def identity(self) -> ModelIdentity:
        """The model the results come from (loading it only if nothing recorded it)."""
        ...

    def run(self, task: Callable[..., R], calls: Iterable[tuple[tuple[Any, ...], str]]) -> Iterator[R]:
        """``task(*args, engine)`` for each ``(args, where)``, run where this executor runs
        work; results in input order (``where`` names the shard in error messages)."""
        ...


def available() -> list[str]:
    from importlib.resources import files

    return sorted(p.name[:-3] for p in files(__name__).iterdir() if p.name.endswith(".py") and p.name[0] != "_")


def open_executor(name: str, config: BuildConfig, *, processes: int = 1, scheduler: str | None = None,
                  nlp: Language | None = None) -> AbstractContextManager[Executor]:
    """The executor called ``name``, opened for ``config`` (a context manager: a
    cluster or worker pool is shut down when the build ends)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name not in available():
        raise error("E005", found=name, expected=" | ".join(available()))
    module = importlib.import_module(f"{__name__}.{name}")
    return module.start(config, processes=processes, scheduler=scheduler, nlp=nlp)


def usable_cores(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota
    (``cpu.max`` of cgroup v2, ``cpu.cfs_quota_us``/``cpu.cfs_period_us`` of v1),
    rounded up (a quota of 1.5 CPUs lets two processes share it)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def _cgroup_quota(root: Path) -> float | None:
    """CPUs the cgroup quota allows, or None (no limit, or no cgroup files)."""
    own = None
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                own = line[3:].lstrip("/")
    except OSError:
        pass
    for folder in ([root / own] if own else []) + [root]:
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        except (OSError, ValueError):
            continue
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    except (OSError, ValueError):
        return None
