"""The local executor: spaCy in this process, or in N worker processes
(``nlp.pipe(n_process=N)``). The model is loaded on the first chunk that the cache
does not answer, so a fully cached rebuild never imports spaCy."""

from __future__ import annotations

import ctypes
import gc
import os
import multiprocessing
import signal
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..catalogue import error
from ..nlp.model import ModelIdentity, load_pipeline, model_identity, prepare_pipeline, remember_identity
from ..nlp.parse import parse_result

if TYPE_CHECKING:
    from spacy.language import Language

    from ..config import BuildConfig

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # linux/prctl.h
_worker_parent: int | None = None  # the build whose forks are spaCy workers


def _become_worker() -> None:
    """In each forked spaCy worker: die with the build (SIGKILL when its parent goes,
    however it goes), and leave Ctrl-C to the parent, which prints the one line."""
    if _worker_parent is None:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != _worker_parent:  # the parent died before the line above
        os._exit(1)


os.register_at_fork(after_in_child=_become_worker)


def _interrupt_workers(signum: int, frame: object) -> None:
    """Ctrl-C in the build while workers run: kill them first, so spaCy's clean-up
    (which joins them) cannot wait forever, then stop as for any Ctrl-C."""
    for child in multiprocessing.active_children():
        child.kill()
    warnings.filterwarnings("ignore", message=r".*worker processes completed")  # spaCy: "not all ... completed": we killed them
    raise KeyboardInterrupt


@contextmanager
def _workers_interruptible() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _interrupt_workers)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalExecutor:
    def __init__(self, config: BuildConfig, nlp: Language | None = None, processes: int = 1):
        """``nlp``: an already loaded pipeline (tests); else ``config.model`` is loaded when needed."""
        self.config = config
        self.processes = processes
        if processes > 1:
            global _worker_parent
            _worker_parent = os.getpid()
        # chunks bound memory; with several processes each nlp.pipe call starts
        # workers, so chunks are big enough to keep them busy
        self.chunk_size = config.batch_size * (1 if processes == 1 else 16 * processes)
        self.loads_configured_model = nlp is None
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
            nlp = self.nlp
            if self.processes == 1:
                parsed = nlp.pipe(texts, batch_size=self.config.batch_size)
                yield tag, [parse_result(t, p) for t, p in zip(texts, parsed)]
                continue
            with _workers_interruptible():
                parsed = nlp.pipe(texts, batch_size=self.config.batch_size, n_process=self.processes)
                results = [parse_result(t, p) for t, p in zip(texts, parsed)]
            yield tag, results


@contextmanager
def start(config: BuildConfig, *, processes: int = 1, scheduler: str | None = None,
         nlp: Language | None = None) -> Iterator[LocalExecutor]:
    yield LocalExecutor(config, nlp, processes)
