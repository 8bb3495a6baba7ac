"""Crash safety of `build`: SIGKILL at many points never leaves a partial release or
touches an earlier one; a held lock fails clearly; killed builds' leftovers are cleaned."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, cli, interruptible
from corpus_builder.config import load_config
from corpus_builder.release.folder import SUMS, output_lock

_spec = importlib.util.spec_from_file_location("kill_loop", ROOT / "benchmarks" / "kill_loop.py")
kill_loop_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kill_loop_module)


def test_sigkill_at_any_point_leaves_no_partial_release(project: Path, tmp_path: Path):
    summary = kill_loop_module.kill_loop(project, kills=20, targeted=3, workdir=tmp_path, warm=True)
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


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper no longer runs or holds files)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killing_a_multiprocess_build_leaves_no_worker_and_no_lock(project: Path, signum: int):
    """Issue 17.1: spaCy's forked workers held the inherited lock after their build was
    killed, and every later build failed with E502. Workers now die with the build,
    and never hold the lock."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import make_corpus

    make_corpus(300, project / "seeds" / "bench.jsonl")
    proc = subprocess.Popen([sys.executable, "-m", "corpus_builder", "build", "--out", "out", "--no-cache", "-q",
                             "--processes", "2"], cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        workers: list[int] = []
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            workers = [int(p) for p in children.read_text().split()] if children.exists() else []
        assert len(workers) >= 2, "the build started no workers"
        time.sleep(0.5)
        proc.send_signal(signum)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers of the killed build are still running"
    finally:
        proc.kill()
    (project / "seeds" / "bench.jsonl").unlink()  # the next build need not be long to find the lock free
    result = cli("build", "--out", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "[E502]" not in result.stderr


@pytest.mark.slow
def test_sigkill_at_any_point_of_a_release_leaves_it_finishable(tmp_path: Path):
    """Issue 17.4: 20 SIGKILLs spread over `release --bump minor`; the next run finishes or
    rolls back each, a plain `build` in between is refused (E606), and at the end no
    release has changes bigger than its bump or lacks its CHANGELOG entry, and no
    temporary folder or journal is left."""
    summary = kill_loop_module.release_kill_loop(ROOT, kills=20, targeted=6, workdir=tmp_path, warm=True)
    assert summary["failures"] == [], summary["failures"]
    assert summary["oversized_releases"] == 0
    assert summary["missing_changelog_entries"] == 0 and summary["dangling_states"] == 0
    assert summary["leftover_temporary"] == 0
    assert summary["unexpected_exits"] == 0 and summary["final_release_exit"] == 0
    # the kills reached the journaled steps, and a plain build was refused while one was pending
    assert summary["kills"] == 26 and summary["kills_leaving_a_pending_journal"] > 0
    assert summary["builds_refused_while_pending"] == summary["builds_tried_while_pending"] > 0


def test_ctrl_c_during_a_release_rolls_it_back(tmp_path: Path):
    """Issue 17.4: SIGINT while `release` builds: exit 130, one line, corpus.toml as it was,
    no staging folder, no journal, no new release; the next `release` runs."""
    project = kill_loop_module.release_project(ROOT, tmp_path / "p")
    toml = (project / "corpus.toml").read_bytes()
    from corpus_builder.config import load_config
    from corpus_builder.release.versions import bump
    current = load_config(project).dataset.version
    following = bump(current, "minor")
    (project / ".cache").mkdir(exist_ok=True)
    proc = subprocess.Popen(interruptible("release", "--bump", "minor"), cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    staging = project / "dist" / f".tmp-release-{following}"
    while not staging.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the release finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "interrupted (Ctrl-C): the command stopped before finishing -> run it again"], stderr
    assert (project / "corpus.toml").read_bytes() == toml
    assert sorted(p.name for p in (project / "dist").iterdir()) == [".lock", current]
    assert kill_loop_module.git(project, "status", "--porcelain") == ""
    result = cli("release", "--bump", "minor", cwd=project)
    assert result.returncode == 0, result.stderr
    assert f"## {following} (" in (project / "CHANGELOG.md").read_text("utf-8")


def test_two_releases_at_once_the_second_is_refused(tmp_path: Path):
    """Issue 17.4: the read-modify-write of corpus.toml is under the output folder's lock."""
    project = kill_loop_module.release_project(ROOT, tmp_path / "p")
    toml = (project / "corpus.toml").read_bytes()
    with output_lock(project / "dist"):
        result = cli("release", "--bump", "minor", cwd=project)
    assert result.returncode == 2 and "[E502]" in result.stderr, result.stderr
    assert (project / "corpus.toml").read_bytes() == toml
    assert not (project / "dist" / ".release-journal.json").exists()
