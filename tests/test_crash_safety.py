"""Crash safety of `build`: SIGKILL at many points never leaves a partial release or
touches an earlier one; a held lock fails clearly; killed builds' leftovers are cleaned."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import ROOT, cli
from corpus_builder.config import load_config
from corpus_builder.release.folder import SUMS, output_lock

_spec = importlib.util.spec_from_file_location("kill_loop", ROOT / "benchmarks" / "kill_loop.py")
kill_loop_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kill_loop_module)


def test_sigkill_at_any_point_leaves_no_partial_release(project: Path, tmp_path: Path):
    summary = kill_loop_module.kill_loop(project, kills=20, targeted=3, workdir=tmp_path)
    assert summary["kills"] >= 20
    assert summary["partial_releases"] == 0, summary["failures"]
    assert summary["changed_earlier_releases"] == 0, summary["failures"]
    assert summary["corrupted_caches"] == 0 and summary["final_cache_entries"] == 5, summary["failures"]
    assert summary["unexpected_exits"] == 0, summary["failures"]
    assert summary["final_build_exit"] == 0, summary["failures"]
    assert summary["final_build_identical"], summary["failures"]
    assert summary["stale_tmp_left_after_final_build"] == 0
    assert summary["failures"] == []
    # the evenly spread kills reach from start-up to past the end of the build
    assert summary["killed_before_release_complete"] > 0 and summary["killed_after_release_complete"] > 0


def test_a_held_lock_stops_a_second_build_clearly(project: Path):
    out = project / "out"
    with output_lock(out):
        result = cli("build", "--out", "out", cwd=project)
    assert result.returncode == 2, result.stderr
    assert "[E502]" in result.stderr and "another build is writing" in result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # no release, no staging folder


def test_the_next_build_removes_a_killed_builds_staging_folder(project: Path):
    version = load_config(project).dataset.version
    out = project / "out"
    stale = out / f".tmp-{version}-99999"
    (stale / "data" / "ner").mkdir(parents=True)
    (stale / "data" / "ner" / "train-00000-of-00001.parquet").write_bytes(b"PAR1 half written")
    (stale / "README.md").write_text("partial\n")
    result = cli("build", "--out", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert not list(out.glob(".tmp-*"))
    assert (out / version / SUMS).is_file()
