"""Distributed NER on Dask: the spaCy pipeline is loaded once per worker by a
``WorkerPlugin`` (only the model's name travels), tasks are a pure function from a
chunk of texts to the NER stage's results, submitted with retries and collected in
input order, so the release bytes are those of a local build.

Optional: ``pip install -e '.[dask]'``. ``--executor dask`` starts a LocalCluster on
127.0.0.1; ``--scheduler tcp://HOST:PORT`` joins an existing cluster (dask-kubernetes,
dask-jobqueue/Slurm: start the cluster there, pass its scheduler address)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .document import Document
from .errors import CorpusError, ExitCode, Problem
from .ner import NER, ModelIdentity

PLUGIN = "corpus-builder-spacy"
CHUNK = 32  # documents per task: small enough that the last tasks end close together
WINDOW = 4  # tasks in flight per worker: keeps workers busy, bounds memory


def _worker_plugin_class():
    from distributed.diagnostics.plugin import WorkerPlugin

    class SpacyPlugin(WorkerPlugin):
        """Loads the pipeline on each worker once; refuses a model with other files."""

        name = PLUGIN

        def __init__(self, model: str, max_length: int, batch_size: int):
            self.model, self.max_length, self.batch_size = model, max_length, batch_size
            self.nlp, self.identity = None, None

        def setup(self, worker: Any) -> None:
            from .ner import load_pipeline

            self.nlp, self.identity = load_pipeline(self.model)
            self.nlp.max_length = self.max_length

    return SpacyPlugin


def ner_chunk(texts: list[str], sha256: str) -> list[dict]:
    """The task: NER results for a chunk of texts, with the worker's own pipeline
    (refused by a worker whose model files are not those the release records)."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    if plugin.identity.sha256 != sha256:
        raise RuntimeError(f"worker has model files {plugin.identity.sha256}, the build expects {sha256}")
    return [NER.result(t, p) for t, p in zip(texts, plugin.nlp.pipe(texts, batch_size=plugin.batch_size))]


class DaskNER(NER):
    """The NER stage with the model's work done by a Dask cluster."""

    def __init__(self, client: Any, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.client = client
        self.window = WINDOW * max(1, len(client.scheduler_info().get("workers", {})))

    def chunk_size(self) -> int:
        return CHUNK

    def run_chunks(self, chunks: Iterator[list[Document]]):
        pending: deque = deque()
        for batch in chunks:
            results, todo = self.lookup(batch)
            texts = [batch[i].text for i in todo]
            future = self.client.submit(ner_chunk, texts, self.identity.sha256, retries=3, pure=False) if texts else None
            pending.append((batch, results, todo, future))
            while len(pending) > self.window:
                yield self._complete(*pending.popleft())
        while pending:
            yield self._complete(*pending.popleft())

    def _complete(self, batch, results, todo, future):
        try:
            computed = future.result() if future is not None else []
        except Exception as exc:  # failed on every retry (a dead worker alone is retried)
            raise CorpusError(Problem(
                "E904", f"a Dask task failed: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}",
                file=batch[todo[0]].where, hint="see the workers' logs; every worker needs the model and the "
                "same corpus-builder"), ExitCode.INTERNAL) from None
        return batch, self.store(batch, todo, computed, results)


def _identity_of(dask_worker: Any) -> dict | None:
    plugin = dask_worker.plugins.get(PLUGIN)
    return plugin.identity.to_json() if plugin is not None and plugin.identity is not None else None


def worker_identity(client: Any) -> ModelIdentity:
    """The model identity the workers loaded (they must all agree): the client itself
    never loads the model."""
    found = client.run(_identity_of)
    identities = {json.dumps(v, sort_keys=True) for v in found.values() if v is not None}
    if len(identities) != 1 or None in found.values():
        raise CorpusError(Problem(
            "E903", "the Dask workers did not all load the same model" if found else "the cluster has no workers",
            found=", ".join(sorted(f"{w}: {v['sha256'] if v else 'no model'}" for w, v in found.items())) or None,
            hint="install the same model on every worker (see the workers' logs)" if found
            else "start workers, or check --scheduler"), ExitCode.USAGE)
    return ModelIdentity.from_json(json.loads(identities.pop()))


@contextmanager
def dask_client(scheduler: str | None, workers: int, model: str, max_length: int, batch_size: int):
    """A client on a new LocalCluster (127.0.0.1) or on ``scheduler``, with the plugin registered."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise CorpusError(Problem("E901", "Dask is not installed", hint="pip install -e '.[dask]'"),
                          ExitCode.USAGE) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            # the workers' statistical profiler samples every thread every 10 ms: CPU the
            # tasks need more on a small machine (an existing cluster keeps its own config)
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
            client = Client(cluster)
    except OSError as exc:
        raise CorpusError(Problem("E902", f"cannot reach the Dask scheduler: {exc}", found=scheduler,
                                  hint="check the address (tcp://HOST:PORT) and that the scheduler runs"),
                          ExitCode.USAGE) from None
    try:
        client.register_plugin(_worker_plugin_class()(model, max_length, batch_size))
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
