"""The local executor's worker pool, and how many cores a build uses by default."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_builder.errors import CorpusError
from corpus_builder.executors import ALLOCATOR_ENV, STREAMING_GC_THRESHOLD, local, streaming_gc, usable_cores


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


# in a new process: where glibc puts an array the size of a batch's (24 MB), and what
# is left of the heap once it is freed; then Arrow's allocator
_ALLOCATE = """
import ctypes, json, sys
class Info(ctypes.Structure):
    _fields_ = [(k, ctypes.c_size_t) for k in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None); libc.mallinfo2.restype = Info; libc.malloc.restype = ctypes.c_void_p
if sys.argv[1] == "tuned":
    from corpus_builder.executors import tune_allocators
    tune_allocators()
before = libc.mallinfo2()
block = libc.malloc(24 * 2**20)
mapped = libc.mallinfo2().hblkhd - before.hblkhd
libc.free(ctypes.c_void_p(block))
import pyarrow as pa
print(json.dumps([mapped >= 24 * 2**20, libc.mallinfo2().arena >= 24 * 2**20, pa.default_memory_pool().backend_name]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux only")
def test_a_build_process_keeps_a_batchs_arrays_on_a_heap_arrow_shares():
    def run(mode: str) -> list:
        env = {k: v for k, v in os.environ.items() if k not in ALLOCATOR_ENV}  # as a new shell starts it
        out = subprocess.run([sys.executable, "-c", _ALLOCATE, mode], capture_output=True, text=True, check=True,
                             env=env)
        return json.loads(out.stdout)

    mapped, kept, arrow = run("default")
    assert mapped and not kept and arrow != "system"  # glibc maps it, and unmaps it when freed
    assert run("tuned") == [False, True, "system"]  # from the heap, which keeps it for the next batch


def _square(x: int, engine) -> int:
    return x * x


def _die(x: int, engine) -> int:
    os._exit(3)  # a worker process killed (e.g. by the OOM killer) mid-task


def test_streaming_collector_settings_are_restored_and_a_hosts_freeze_kept():
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        gc.unfreeze()
        with streaming_gc():
            assert gc.get_threshold()[0] == STREAMING_GC_THRESHOLD and gc.get_freeze_count() > 0
        assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
        gc.freeze()  # a host's (a fork server's): its children's collections leave it alone
        host = gc.get_freeze_count()
        with streaming_gc():
            made_here = [[] for _ in range(100)]
        assert gc.get_threshold() == thresholds and gc.get_freeze_count() >= host > 0
        del made_here
    finally:
        gc.unfreeze()
        if frozen:
            gc.freeze()


def test_worker_pool_keeps_input_order_and_reports_a_dead_worker(config, ruler_nlp):
    with local.start(config, processes=2, nlp=ruler_nlp) as executor:
        assert list(executor.run(_square, (((i,), f"shard {i}") for i in range(20)))) == [i * i for i in range(20)]
    with pytest.raises(CorpusError) as exc:
        with local.start(config, processes=2, nlp=ruler_nlp) as executor:
            list(executor.run(_die, [((1,), "seeds/x.jsonl (from line 65)")]))
    (p,) = exc.value.problems
    assert p.code == "E905" and p.file == "seeds/x.jsonl (from line 65)"
