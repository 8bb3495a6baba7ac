"""The local executor's worker pool, and how many cores a build uses by default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus_builder.errors import CorpusError
from corpus_builder.executors import local, usable_cores


def test_usable_cores_respect_affinity_and_cgroup_quotas(tmp_path: Path):
    affinity = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cores(tmp_path) == affinity
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU: still one process
    assert usable_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text(f"{150000 * affinity} 100000\n")  # more quota than cores: the cores
    assert usable_cores(tmp_path) == affinity
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cores(v1) == 1
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # v1's "no limit"
    assert usable_cores(v1) == affinity


def _square(x: int, engine) -> int:
    return x * x


def _die(x: int, engine) -> int:
    os._exit(3)  # a worker process killed (e.g. by the OOM killer) mid-task


def test_worker_pool_keeps_input_order_and_reports_a_dead_worker(config, ruler_nlp):
    with local.start(config, processes=2, nlp=ruler_nlp) as executor:
        assert list(executor.run(_square, (((i,), f"shard {i}") for i in range(20)))) == [i * i for i in range(20)]
    with pytest.raises(CorpusError) as exc:
        with local.start(config, processes=2, nlp=ruler_nlp) as executor:
            list(executor.run(_die, [((1,), "seeds/x.jsonl (from line 65)")]))
    (p,) = exc.value.problems
    assert p.code == "E905" and p.file == "seeds/x.jsonl (from line 65)"
