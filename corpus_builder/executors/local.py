"""The local executor: shard tasks in this process, or in a pool of N worker
processes (forked, each loading the model once, when its first task needs it). The
model is loaded on the first chunk that the cache does not answer, so a fully cached
rebuild never imports spaCy."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..catalogue import error
from ..errors import interrupts_held
from ..nlp.model import ModelIdentity, load_pipeline, model_identity, prepare_pipeline, remember_identity
from ..nlp.parse import parse_result

if TYPE_CHECKING:
    from spacy.language import Language

    from ..config import BuildConfig

T = TypeVar("T")
R = TypeVar("R")
WINDOW = 4  # tasks in flight per worker process: keeps them busy, bounds memory


class Pipe:
    """The model in this process: what a shard task's NER stage runs on."""

    def __init__(self, nlp: Language, batch_size: int):
        self.nlp, self.chunk_size = nlp, batch_size

    def map(self, chunks: Iterable[tuple[T, list[str], str]]) -> Iterator[tuple[T, list[dict[str, Any]]]]:
        for tag, texts, _where in chunks:
            parsed = self.nlp.pipe(texts, batch_size=self.chunk_size) if texts else ()
            yield tag, [parse_result(t, p) for t, p in zip(texts, parsed)]


class LocalExecutor:
    def __init__(self, config: BuildConfig, nlp: Language | None = None, processes: int = 1):
        """``nlp``: an already loaded pipeline (tests); else ``config.model`` is loaded when needed."""
        self.config = config
        self.workers = processes
        self.chunk_size = config.batch_size
        self.loads_configured_model = nlp is None
        self.pool: ProcessPoolExecutor | None = None
        self._nlp = nlp
        self._identity: ModelIdentity | None = None

    def identity(self) -> ModelIdentity:
        if self._identity is None:
            if self._nlp is not None:
                self._nlp, self._identity = prepare_pipeline(self._nlp)
                self._nlp.max_length = self.config.max_length
            else:
                # the identity a load gave before: no spaCy import while every result is cached
                self._identity = model_identity(self.config.model, self.config.cache)
                if self._identity is None:
                    self._nlp, self._identity = self._load()
        return self._identity

    def _load(self) -> tuple[Language, ModelIdentity]:
        nlp, identity = load_pipeline(self.config.model)
        nlp.max_length = self.config.max_length
        remember_identity(self.config.model, self.config.cache, nlp, identity)
        return nlp, identity

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            nlp, identity = self._load()
            if identity != self.identity():  # the files changed since the identity was taken
                raise error("E303", found=identity.sha256, expected=self.identity().sha256, model=self.config.model)
            gc.freeze()  # loaded while documents stream: keep it out of the collector's passes
            self._nlp = nlp
        return self._nlp

    def map(self, chunks: Iterable[tuple[T, list[str], str]]) -> Iterator[tuple[T, list[dict[str, Any]]]]:
        for tag, texts, _where in chunks:
            if not texts:
                yield tag, []
                continue
            yield from Pipe(self.nlp, self.config.batch_size).map([(tag, texts, _where)])

    def run(self, task: Callable[..., R], calls: Iterable[tuple[tuple[Any, ...], str]]) -> Iterator[R]:
        if self.workers == 1:
            for args, _where in calls:
                yield task(*args, self)
            return
        pending: deque[tuple[Future, str]] = deque()
        for args, where in calls:
            pool = self.pool or self._start_pool(where)
            pending.append((pool.submit(_in_worker, task, args), where))
            while len(pending) > WINDOW * self.workers:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())

    def _start_pool(self, where: str) -> ProcessPoolExecutor:
        self.identity()  # taken (or the model loaded) once, before the workers fork
        # a Ctrl-C that lands while a worker forks is raised in an at-fork hook (logging's),
        # which ignores it: the build ran on to exit 0. Held until every worker runs.
        with interrupts_held():
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_start_worker, initargs=(self.config, self._nlp, os.getpid()))
            _result(self.pool.submit(os.getpid), where)  # a fork pool forks all its workers at its first task
        return self.pool

    def close(self, failed: bool = False) -> None:
        if self.pool is not None:
            if failed:  # interrupted or broken: do not wait for queued tasks
                for process in list(getattr(self.pool, "_processes", {}).values()):
                    process.terminate()
            manager = getattr(self.pool, "_executor_manager_thread", None)
            self.pool.shutdown(wait=not failed, cancel_futures=True)
            if manager is not None:
                # Python 3.11's exit hook wakes the pool's manager thread without its lock:
                # if that thread is still closing its pipe then, the exit prints a traceback
                # (EBADF). The workers are gone, so it ends at once; bounded all the same.
                manager.join(timeout=10)
            self.pool = None


_ENGINE: LocalExecutor | None = None  # a worker process's own executor (its model)


def _start_worker(config: BuildConfig, nlp: Language | None, parent: int) -> None:
    global _ENGINE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's: it stops the pool, one line
    _die_with_parent(parent)
    _ENGINE = LocalExecutor(config, nlp, 1)


def _die_with_parent(parent: int) -> None:
    """A worker of a build that was killed (SIGKILL: no clean-up ran) must not live on,
    blocked on a queue nobody feeds: Linux kills it when its parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own symbols, libc's included
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: a worker ends when the pool shuts down
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _in_worker(task: Callable[..., R], args: tuple[Any, ...]) -> R:
    assert _ENGINE is not None
    return task(*args, _ENGINE)


def _result(future: Future, where: str) -> Any:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise error("E905", file=where, error=str(exc) or type(exc).__name__) from None


@contextmanager
def start(config: BuildConfig, *, processes: int = 1, scheduler: str | None = None,
          nlp: Language | None = None) -> Iterator[LocalExecutor]:
    executor = LocalExecutor(config, nlp, processes)
    failed = True
    try:
        yield executor
        failed = False
    finally:
        executor.close(failed)
