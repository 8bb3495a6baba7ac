"""Distributed builds on a real Dask LocalCluster with 2 worker processes."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

from corpus_builder.executors import dask as distributed
from corpus_builder.actions.build import build


def test_dask_build_equals_the_local_build_even_when_a_worker_dies(config, release_dir: Path, tmp_path: Path,
                                                                   monkeypatch):
    monkeypatch.setattr(distributed, "CHUNK", 1)  # one task per document: the kill lands mid-build
    killed = []
    complete = distributed.DaskExecutor._complete

    def complete_then_kill(self, tag, future, where):
        out = complete(self, tag, future, where)
        if not killed:
            workers = sorted(self.client.scheduler_info()["workers"])
            pid = self.client.run(os.getpid, workers=[workers[0]])[workers[0]]
            os.kill(pid, signal.SIGKILL)  # the worker process dies; its nanny starts another
            killed.append(pid)
        return out

    monkeypatch.setattr(distributed.DaskExecutor, "_complete", complete_then_kill)
    report = build(replace(config, out=tmp_path, cache=None), executor="dask", processes=2)
    assert killed, "no worker was killed"
    assert (report.release / "SHA256SUMS").read_bytes() == (release_dir / "SHA256SUMS").read_bytes()


class _Client:
    """What worker_identity asks of a client: run a function on every worker."""

    def __init__(self, found: dict):
        self.found = found

    def run(self, fn):
        return self.found


def test_workers_must_agree_on_the_model():
    import pytest

    from corpus_builder.errors import CorpusError
    from corpus_builder.nlp.model import ModelIdentity

    one = ModelIdentity("m", "1.0", "3.8", "a" * 64, ("ner",), "senter", ("ORG",)).to_json()
    other = {**one, "sha256": "b" * 64}
    assert distributed.worker_identity(_Client({"w1": one, "w2": one})).sha256 == "a" * 64
    for found, words in [({"w1": one, "w2": other}, "did not all load the same model"),
                         ({"w1": one, "w2": None}, "w2: no model"), ({}, "no workers")]:
        with pytest.raises(CorpusError) as exc:
            distributed.worker_identity(_Client(found))
        assert exc.value.problems[0].code == "E903" and words in exc.value.problems[0].format()
