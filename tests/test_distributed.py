"""Distributed builds on a real Dask LocalCluster with 2 worker processes: shard tasks
(an input shard to its release rows) on the workers, the same bytes as a local build."""

from __future__ import annotations

import os
import re
import signal
from dataclasses import replace
from pathlib import Path

from conftest import planted_project
from corpus_builder import shards
from corpus_builder.actions.build import build
from corpus_builder.config import load_config
from corpus_builder.executors import dask as distributed
from corpus_builder.executors import ALLOCATOR_ENV, STREAMING_GC_THRESHOLD


def _settings() -> tuple[dict[str, str | None], str, int]:
    """On a worker: what it streams documents with (see executors/dask.py)."""
    import gc

    import pyarrow as pa

    return {k: os.environ.get(k) for k in ALLOCATOR_ENV}, pa.default_memory_pool().backend_name, gc.get_threshold()[0]


def test_dask_build_equals_the_local_build_even_when_a_worker_dies(config, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(shards, "SHARD_DOCS", 1)  # one task per document and pass: the kill lands mid-build
    done, killed, settings = [], [], []
    complete = distributed.DaskExecutor._complete

    def complete_then_kill(self, future, where):
        out = complete(self, future, where)
        done.append(where)
        if len(done) == 6:  # the first annotate task is back (5 fingerprint tasks before it)
            settings.extend(self.client.run(_settings).values())
            workers = sorted(self.client.scheduler_info()["workers"])
            pid = self.client.run(os.getpid, workers=[workers[0]])[workers[0]]
            os.kill(pid, signal.SIGKILL)  # the worker process dies; its nanny starts another
            killed.append(pid)
        return out

    monkeypatch.setattr(distributed.DaskExecutor, "_complete", complete_then_kill)
    report = build(replace(config, out=tmp_path / "dask", cache=None), executor="dask", processes=2)
    assert killed and len(done) == 10, done
    # a build process's allocators (not Dask's MALLOC_TRIM_THRESHOLD_=65536) and the build's collector settings
    assert settings == [(ALLOCATOR_ENV, "system", STREAMING_GC_THRESHOLD)] * 2, settings
    local = build(replace(config, out=tmp_path / "local", cache=None), processes=1)
    assert (report.release / "SHA256SUMS").read_bytes() == (local.release / "SHA256SUMS").read_bytes()


def test_one_two_processes_and_dask_give_the_same_bytes(tmp_path: Path, monkeypatch):
    """A corpus with planted duplicates (dropped, grouped) in shards of 8 records."""
    monkeypatch.setattr(shards, "SHARD_DOCS", 8)
    config = replace(load_config(planted_project(tmp_path, 48, exact="drop", near="group")), cache=None)
    one = build(replace(config, out=tmp_path / "one"), processes=1)
    two = build(replace(config, out=tmp_path / "two"), processes=2)
    dask = build(replace(config, out=tmp_path / "dask"), executor="dask", processes=2)
    sums = [(r.release / "SHA256SUMS").read_bytes() for r in (one, two, dask)]
    assert sums[0] == sums[1] == sums[2]
    assert one.manifest["dedup"]["dropped"] and one.manifest["dedup"]["clusters"]


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


def test_the_readmes_dask_config_sets_what_a_local_cluster_does():
    """On a cluster of yours the README's config file starts workers as --executor dask does."""
    import yaml

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "pre-spawn-environ" in b)
    environ = yaml.safe_load(block)["distributed"]["nanny"]["pre-spawn-environ"]
    assert environ == ALLOCATOR_ENV
    assert {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in environ.items()}.items() \
        <= distributed.LOCAL_CLUSTER_CONFIG.items()
