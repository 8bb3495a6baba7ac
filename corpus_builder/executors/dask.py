"""The Dask executor: the spaCy pipeline is loaded once per worker by a
``WorkerPlugin`` (only the model's name travels); the build's shard tasks
(:mod:`corpus_builder.shards`: an input shard to its release rows) are submitted with
retries and collected in input order, so the release bytes are those of a local
build. Workers read the input shards themselves: they need the project's files at
the same paths (a shared filesystem) and the same corpus-builder and model.

Optional: ``pip install -e '.[dask]'``. ``--executor dask`` starts a LocalCluster on
127.0.0.1; ``--scheduler tcp://HOST:PORT`` joins an existing cluster (dask-kubernetes,
dask-jobqueue/Slurm: start the cluster there, pass its scheduler address)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..catalogue import error
from ..errors import CorpusError
from ..nlp.model import ModelIdentity
from . import ALLOCATOR_ENV, StreamingGC

if TYPE_CHECKING:
    from ..config import BuildConfig

R = TypeVar("R")

PLUGIN = "corpus-builder-spacy"
# A LocalCluster's settings (an existing cluster keeps its own; the README shows the config
# file that sets the second there): the statistical profiler samples every thread every
# 10 ms, CPU the tasks need on a small machine; and the workers start with the allocator
# settings of a process that runs the model (executors.ALLOCATOR_ENV), which also replace
# Dask's own MALLOC_TRIM_THRESHOLD_=65536 (it turns off glibc's adaptive mmap threshold:
# NER measured 8-11% slower per document with it)
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        **{f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in ALLOCATOR_ENV.items()}}
WINDOW = 4  # tasks in flight per worker: keeps workers busy, bounds memory


def _worker_plugin_class():
    from distributed.diagnostics.plugin import WorkerPlugin

    class SpacyPlugin(WorkerPlugin):
        """Loads the pipeline on each worker once; refuses a model with other files."""

        name = PLUGIN

        def __init__(self, model: str, max_length: int, batch_size: int):
            self.model, self.max_length, self.batch_size = model, max_length, batch_size
            self.nlp, self.identity, self.engine = None, None, None
            self.collector = StreamingGC()  # the worker's collector settings, restored on teardown

        def setup(self, worker: Any) -> None:
            from ..nlp.model import load_pipeline
            from .local import Pipe

            self.nlp, self.identity = load_pipeline(self.model)
            self.nlp.max_length = self.max_length
            self.engine = Pipe(self.nlp, self.batch_size)
            # as in a local build's processes: the model out of the collector's sight, and
            # fewer passes over the documents in flight (restored when the plugin goes)
            self.collector.enter()

        def teardown(self, worker: Any) -> None:
            self.collector.exit()

    return SpacyPlugin


def run_task(task: Callable[..., R], args: tuple[Any, ...], sha256: str) -> R:
    """On a worker: one shard task with the worker's own pipeline (refused by a worker
    whose model files are not those the release records)."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    if plugin.identity.sha256 != sha256:
        raise RuntimeError(f"worker has model files {plugin.identity.sha256}, the build expects {sha256}")
    return task(*args, plugin.engine)


class DaskExecutor:
    """Shard tasks submitted with retries, at most :data:`WINDOW` per worker in flight,
    results collected in input order."""

    loads_configured_model = True

    def __init__(self, client: Any):
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.window = WINDOW * self.workers
        self._identity: ModelIdentity | None = None

    def identity(self) -> ModelIdentity:
        if self._identity is None:
            self._identity = worker_identity(self.client)
        return self._identity

    def run(self, task: Callable[..., R], calls: Iterable[tuple[tuple[Any, ...], str]]) -> Iterator[R]:
        sha256 = self.identity().sha256
        pending: deque = deque()
        for args, where in calls:
            pending.append((self.client.submit(run_task, task, args, sha256, retries=3, pure=False), where))
            while len(pending) > self.window:
                yield self._complete(*pending.popleft())
        while pending:
            yield self._complete(*pending.popleft())

    def _complete(self, future: Any, where: str) -> Any:
        try:
            return future.result()
        except CorpusError:
            raise
        except Exception as exc:  # failed on every retry (a dead worker alone is retried)
            raise error("E904", file=where, error_type=type(exc).__name__,
                        error=(str(exc).splitlines() or [""])[0]) from None


def _identity_of(dask_worker: Any) -> dict | None:
    plugin = dask_worker.plugins.get(PLUGIN)
    return plugin.identity.to_json() if plugin is not None and plugin.identity is not None else None


def worker_identity(client: Any) -> ModelIdentity:
    """The model identity the workers loaded (they must all agree): the client itself
    never loads the model."""
    found = client.run(_identity_of)
    identities = {json.dumps(v, sort_keys=True) for v in found.values() if v is not None}
    if len(identities) != 1 or None in found.values():
        if not found:
            raise error("E903:none")
        raise error("E903", found=", ".join(sorted(f"{w}: {v['sha256'] if v else 'no model'}" for w, v in found.items())))
    return ModelIdentity.from_json(json.loads(identities.pop()))


@contextmanager
def start(config: BuildConfig, *, processes: int = 2, scheduler: str | None = None,
         nlp: Any = None) -> Iterator[DaskExecutor]:
    """An executor on a new LocalCluster of ``processes`` (at least 2) workers on
    127.0.0.1, or on the cluster at ``scheduler``; the workers load ``config.model``
    by name (``nlp`` is not sent to them)."""
    with dask_client(scheduler, max(processes, 2), config.model, config.max_length, config.batch_size) as client:
        yield DaskExecutor(client)


@contextmanager
def dask_client(scheduler: str | None, workers: int, model: str, max_length: int, batch_size: int):
    """A client on a new LocalCluster (127.0.0.1) or on ``scheduler``, with the plugin registered."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise error("E901") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler)  # waits distributed.comm.timeouts.connect (30 s unless configured)
        else:
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
            client = Client(cluster)
    except OSError as exc:
        raise error("E902", found=scheduler, error=exc) from None
    try:
        client.register_plugin(_worker_plugin_class()(model, max_length, batch_size))
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
