"""Crash safety: SIGKILL the build at many points and check what it leaves behind.

    python benchmarks/kill_loop.py [--kills 20] [--targeted 0] [--project DIR] [--warm]
    python benchmarks/kill_loop.py --release [--kills 20] [--targeted 6] [--warm]    (`release`, see release_kill_loop)

Works in a temporary folder on a copy of the project inputs and of the
``corpus_builder`` package (so edits to the source during a run cannot change the
builds), with an earlier release (the same inputs built as version 0.0.1) already
in the output folder.
It times one uninterrupted build (the reference), then ``--kills`` times starts
``python -m corpus_builder build --out OUT``, waits a delay and sends SIGKILL. The
delays are spread evenly over [0, 1.1 x the reference duration], so kills land
during start-up and model loading, NER, Parquet writing, the rename and the exit;
``--targeted N`` adds N more kills that wait for the build's own staging folder
to appear and then land evenly over the reference's staging window (writing,
flushing and renaming the release). After each kill:

- ``OUT/<version>`` is absent, or complete and byte-identical to the reference
  (same ``SHA256SUMS``, same file list, every file's sha256 verified) -- else it
  counts as a partial release;
- the earlier release is byte-identical to before;
- every NER cache entry passes its checksum (every other kill starts with an empty
  cache, so kills also land while entries are being written).

The release is then removed so the next kill hits a fresh build; the killed
builds' ``.tmp-*`` folders are left for the next build to clean up. A final build
must exit 0, leave no ``.tmp-*`` folder and reproduce the reference's
``SHA256SUMS``. The last line printed is one JSON object with the summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("corpus.toml", "LICENSE.md", "seeds", "annotations", "card", "schema")
SUMS = "SHA256SUMS"
EARLIER_VERSION = "0.0.1"

sys.path.insert(0, str(ROOT))
from corpus_builder.cache import check_cache  # noqa: E402


def copy_inputs(src: Path, dst: Path, version: str | None = None) -> Path:
    """Copy the project's inputs into ``dst``; optionally rewrite ``[dataset].version``."""
    dst.mkdir(parents=True)
    for name in INPUTS:
        (shutil.copytree if (src / name).is_dir() else shutil.copy)(src / name, dst / name)
    if version is not None:
        toml = dst / "corpus.toml"
        text, n = re.subn(r'(?m)^version\s*=\s*"[^"]*"', f'version = "{version}"', toml.read_text("utf-8"), count=1)
        assert n == 1, "no version line in corpus.toml"
        toml.write_text(text, encoding="utf-8")
    return dst


def tree_digest(folder: Path) -> str:
    """sha256 over every file's relative path and bytes (and every empty folder's path)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        name = p.relative_to(folder).as_posix().encode()
        if p.is_file():
            h.update(b"F" + name + b"\0" + hashlib.sha256(p.read_bytes()).digest())
        elif p.is_dir():
            h.update(b"D" + name + b"\0")
    return h.hexdigest()


def release_problem(folder: Path, reference_sums: bytes) -> str | None:
    """None when ``folder`` is a complete release identical to the reference, else what is wrong."""
    sums = folder / SUMS
    if not sums.is_file():
        return "no SHA256SUMS"
    if sums.read_bytes() != reference_sums:
        return "SHA256SUMS differs from the reference"
    listed = {}
    for line in reference_sums.decode("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != SUMS}
    if present != set(listed):
        return f"files differ: missing {sorted(set(listed) - present)}, extra {sorted(present - set(listed))}"
    for name, digest in listed.items():
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            return f"{name}: sha256 mismatch"
    return None


class Runner:
    """Starts ``python -m corpus_builder build`` in the project copy, with a snapshot of
    the package's code (so every build of one run, reference included, runs the same code).

    ``warm``: each command is forked from a server that has imported the snapshot and
    the libraries (tests/cli_server.py), so a kill loop spends its time in builds, not in
    imports; the kills then spread over the command from the fork on."""

    def __init__(self, project: Path, python: str, code: Path, warm: bool = False):
        self.project, self.python = project, python
        shutil.copytree(ROOT / "corpus_builder", code / "corpus_builder",
                        ignore=shutil.ignore_patterns("__pycache__"))
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))}
        where = subprocess.run([python, "-c", "import corpus_builder; print(corpus_builder.__file__)"],
                               cwd=project, env=self.env, capture_output=True, text=True, check=True).stdout
        assert Path(where.strip()).is_relative_to(code), f"the snapshot is not imported: {where}"
        self.warm = None
        if warm:
            sys.path.insert(0, str(ROOT / "tests"))
            from cli_server import WarmCLI
            assert python == sys.executable, "a warm server runs this Python"
            self.warm = WarmCLI(env=self.env)

    def start(self, out: Path, project: Path | None = None) -> Any:
        return self.start_command(["build", "--out", str(out)], project)

    def start_command(self, args: list[str], project: Path | None = None) -> Any:
        """A ``subprocess.Popen`` of the command (or its warm equivalent)."""
        if self.warm is not None:
            return self.warm.start(args, project or self.project, env=self.env)
        return subprocess.Popen([self.python, "-m", "corpus_builder", *args],
                                cwd=project or self.project, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def close(self) -> None:
        if self.warm is not None:
            self.warm.close()

    def run_command(self, args: list[str], project: Path | None = None) -> subprocess.CompletedProcess:
        proc = self.start_command(args, project)
        _, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, "", err.decode("utf-8", "replace"))

    def run(self, out: Path, project: Path | None = None) -> subprocess.CompletedProcess:
        proc = self.start(out, project)
        _, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, "", err.decode("utf-8", "replace"))


def kill_after(proc: Any, delay: float) -> None:
    """SIGKILL ``proc`` (a Popen or a warm command) ``delay`` seconds from now, unless it
    ended first: a run that ends early is not waited for past its end."""
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)


def timed_reference(runner: Runner, out: Path, version: str) -> dict[str, float]:
    """One uninterrupted build, polled to see when staging starts and the release appears."""
    t0 = time.perf_counter()
    proc = runner.start(out)
    marks: dict[str, float] = {}
    while proc.poll() is None:
        t = time.perf_counter() - t0
        if "staging" not in marks and out.is_dir() and any(out.glob(".tmp-*")):
            marks["staging"] = t
        if "released" not in marks and (out / version).is_dir():
            marks["released"] = t
        time.sleep(0.002)
    marks["exit"] = time.perf_counter() - t0
    err = proc.communicate()[1].decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"reference build failed ({proc.returncode}):\n{err}")
    return marks


def kill_loop(project: Path = ROOT, kills: int = 20, *, targeted: int = 0, python: str = sys.executable,
              workdir: Path | None = None, log=None, warm: bool = False) -> dict[str, Any]:
    """Run the kill loop on a copy of ``project``'s inputs; returns the summary (see module
    doc). ``warm``: builds forked from a warm server (see :class:`Runner`)."""
    log = log or (lambda msg: None)
    with tempfile.TemporaryDirectory(prefix="kill-loop-", dir=workdir) as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        work = copy_inputs(Path(project), tmp / "project")
        version = tomllib.loads((work / "corpus.toml").read_text("utf-8"))["dataset"]["version"]
        assert version != EARLIER_VERSION, "pick another earlier version"
        runner = stack.enter_context(closing(Runner(work, python, tmp / "code", warm)))
        out, out_ref = tmp / "out", tmp / "out-ref"

        # an earlier, complete release in the output folder: the same inputs built as another version
        earlier_project = copy_inputs(Path(project), tmp / "earlier", version=EARLIER_VERSION)
        result = runner.run(out, project=earlier_project)
        if result.returncode != 0:
            raise RuntimeError(f"building the earlier release failed ({result.returncode}):\n{result.stderr}")
        earlier = out / EARLIER_VERSION
        earlier_digest = tree_digest(earlier)

        cache = work / ".cache" / "ner"  # the NER cache of the builds under test
        shutil.rmtree(cache, ignore_errors=True)
        marks = timed_reference(runner, out_ref, version)
        reference_sums = (out_ref / version / SUMS).read_bytes()
        if problem := release_problem(out_ref / version, reference_sums):
            raise RuntimeError(f"reference release is inconsistent: {problem}")
        duration = marks["exit"]
        log(f"reference build: {duration:.2f} s (staging from {marks.get('staging', float('nan')):.2f} s, "
            f"release at {marks.get('released', float('nan')):.2f} s)")

        span = 1.1 * duration
        # (trigger, delay): None = from the start; "staging" = from the moment the build's own
        # staging folder appears (timing jitters between runs by more than the window is wide)
        plan: list[tuple[str | None, float]] = [(None, span * i / max(kills - 1, 1)) for i in range(kills)]
        window = marks.get("released", duration) - marks.get("staging", duration)
        plan += [("staging", window * j / max(targeted - 1, 1)) for j in range(targeted)]

        phases = {"before_staging": 0, "during_staging": 0, "after_rename": 0, "exited_before_kill": 0}
        partial, changed, unexpected_exit, max_stale = 0, 0, 0, 0
        failures: list[str] = []
        corrupt_caches = 0
        for i, (trigger, delay) in enumerate(plan):
            if i % 2 == 0:
                shutil.rmtree(cache, ignore_errors=True)  # every other kill lands on a cold cache being written
            proc = runner.start(out)
            if trigger == "staging":
                own_tmp, deadline = out / f".tmp-{version}-{proc.pid}", time.monotonic() + 3 * duration
                while not own_tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.0005)
            kill_after(proc, delay)
            err = proc.communicate()[1].decode("utf-8", "replace")
            release = out / version
            own_tmp = out / f".tmp-{version}-{proc.pid}"
            if proc.returncode == 0:
                phase = "exited_before_kill"
            elif proc.returncode == -signal.SIGKILL:
                phase = ("after_rename" if release.exists() else
                         "during_staging" if own_tmp.exists() else "before_staging")
            else:
                phase = f"exit {proc.returncode}"
                unexpected_exit += 1
                failures.append(f"kill {i + 1}: build exited {proc.returncode}: {err.strip()[-500:]}")
            phases[phase] = phases.get(phase, 0) + 1
            problem = release_problem(release, reference_sums) if release.exists() else None
            if problem:
                partial += 1
                failures.append(f"kill {i + 1} at {delay:.3f} s: partial release: {problem}")
            earlier_changed = tree_digest(earlier) != earlier_digest
            if earlier_changed:
                changed += 1
                failures.append(f"kill {i + 1} at {delay:.3f} s: the earlier release changed")
                earlier_digest = tree_digest(earlier)  # count each change once
            cache_state = check_cache(cache)
            if cache_state["corrupt"]:
                corrupt_caches += 1
                failures.append(f"kill {i + 1} at {delay:.3f} s: {cache_state['corrupt']} corrupt cache entries")
            stale = sorted(p.name for p in out.glob(".tmp-*"))
            max_stale = max(max_stale, len(stale))
            log(f"kill {i + 1:2d}/{len(plan)} at {delay:5.3f} s{' into staging' if trigger else ''}: {phase:18s} "
                f"release {'ok' if release.exists() and not problem else 'PARTIAL' if problem else 'absent'}, "
                f"earlier {'CHANGED' if earlier_changed else 'unchanged'}, "
                f"cache {cache_state['entries']} entries/{cache_state['corrupt']} corrupt, "
                f"stale tmp {len(stale)}")
            shutil.rmtree(release, ignore_errors=True)

        stale_before_final = len(list(out.glob(".tmp-*")))
        final = runner.run(out)
        stale_after = sorted(p.name for p in out.glob(".tmp-*"))
        final_problem = (release_problem(out / version, reference_sums) if (out / version).exists()
                         else "no release")
        if final.returncode != 0:
            failures.append(f"final build exited {final.returncode}: {final.stderr.strip()[-500:]}")
        elif final_problem:
            failures.append(f"final build: {final_problem}")
        if tree_digest(earlier) != earlier_digest:
            changed += 1
            failures.append("final build: the earlier release changed")

        return {
            "kills": len(plan),
            "evenly_spread": kills,
            "targeted_at_staging": targeted,
            "reference_seconds": round(duration, 3),
            "reference_staging_seconds": round(marks["staging"], 3) if "staging" in marks else None,
            "reference_release_seconds": round(marks["released"], 3) if "released" in marks else None,
            "partial_releases": partial,
            "changed_earlier_releases": changed,
            "corrupted_caches": corrupt_caches + (check_cache(cache)["corrupt"] > 0),
            "final_cache_entries": check_cache(cache)["entries"],
            "unexpected_exits": unexpected_exit,
            "killed_before_release_complete": phases["before_staging"] + phases["during_staging"],
            "killed_after_release_complete": phases["after_rename"] + phases["exited_before_kill"],
            "phases": phases,
            "max_stale_tmp_folders": max_stale,
            "stale_tmp_before_final_build": stale_before_final,
            "final_build_exit": final.returncode,
            "stale_tmp_left_after_final_build": len(stale_after),
            "final_build_identical": final.returncode == 0 and final_problem is None,
            "failures": failures,
        }


# --- the same for `release` -----------------------------------------------------------------

RELEASE_FILES = ("CHANGELOG.md", "DATASHEET.md", "CITATION.cff")
NEW_SEED = ("Aid convoy reaches Gaza\n\nA United Nations aid convoy reached Gaza on Thursday, officials in "
            "Geneva said, after talks with Egypt about the Rafah crossing.\n")
GIT_ENV = {"GIT_AUTHOR_NAME": "kill-loop", "GIT_AUTHOR_EMAIL": "kill-loop@example.org",
           "GIT_COMMITTER_NAME": "kill-loop", "GIT_COMMITTER_EMAIL": "kill-loop@example.org"}


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def release_project(src: Path, dst: Path) -> Path:
    """A git work tree holding the project's inputs, its current release and its CHANGELOG,
    plus one new seed committed after it (so the next release needs a minor bump)."""
    copy_inputs(src, dst)
    version = tomllib.loads((dst / "corpus.toml").read_text("utf-8"))["dataset"]["version"]
    for name in RELEASE_FILES:
        shutil.copy(src / name, dst / name)
    shutil.copytree(src / "dist" / version, dst / "dist" / version)
    (dst / ".gitignore").write_text(".cache/\ndist/.lock\n")
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "the project at its current release")
    (dst / "seeds" / "900_kill_loop.txt").write_text(NEW_SEED, encoding="utf-8")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "a new document")
    return dst


def release_state(project: Path) -> dict[str, Any]:
    """Releases in dist/, which lack a CHANGELOG entry, pending journal, staging folders."""
    sys.path.insert(0, str(ROOT))
    dist = project / "dist"
    changelog = (project / "CHANGELOG.md").read_text("utf-8")
    versions = sorted((p.name for p in dist.iterdir() if p.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+", p.name)),
                      key=lambda v: tuple(map(int, v.split("."))))
    return {
        "versions": versions,
        "missing_changelog": [v for v in versions if f"## {v} (" not in changelog],
        "journal": (dist / ".release-journal.json").exists(),
        "staging": sorted(p.name for p in dist.glob(".tmp-*")),
        "config_version": tomllib.loads((project / "corpus.toml").read_text("utf-8"))["dataset"]["version"],
    }


def bump_between(old: str, new: str) -> str:
    a, b = [tuple(map(int, v.split("."))) for v in (old, new)]
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def oversized_releases(project: Path, versions: list[str]) -> list[str]:
    """Releases whose changes since the previous one need more than their version bump."""
    from corpus_builder.release.diff import diff_releases
    from corpus_builder.release.versions import at_least
    bad = []
    for old, new in zip(versions, versions[1:]):
        required = diff_releases(project / "dist" / old, project / "dist" / new).required_bump()
        if not at_least(bump_between(old, new), required):
            bad.append(f"{new}: a {bump_between(old, new)} bump for changes that need {required}")
    return bad


def release_kill_loop(project: Path = ROOT, kills: int = 20, *, targeted: int = 0, python: str = sys.executable,
                      workdir: Path | None = None, level: str = "minor", log=None,
                      warm: bool = False) -> dict[str, Any]:
    """SIGKILL ``release --bump LEVEL`` at evenly spread moments; between kills, commit what a
    finished release leaves (as its own message says); a final ``release`` then runs to the end.
    Counts releases whose changes need more than their bump, releases without a CHANGELOG
    entry, and leftover temporary folders; a ``build`` while a release is pending must be refused."""
    log = log or (lambda msg: None)
    with tempfile.TemporaryDirectory(prefix="release-kill-loop-", dir=workdir) as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        reference = release_project(Path(project), tmp / "ref")
        runner = stack.enter_context(closing(Runner(reference, python, tmp / "code", warm)))
        args = ["release", "--bump", level]
        proc = runner.start_command(args, reference)
        t0 = time.perf_counter()  # as the kills' delays: from the fork on (a warm server's imports come first)
        journaled = None  # when the reference's journal appeared: the journaled steps follow
        while proc.poll() is None:
            if journaled is None and (reference / "dist" / ".release-journal.json").exists():
                journaled = time.perf_counter() - t0
            time.sleep(0.002)
        duration = time.perf_counter() - t0
        err = proc.communicate()[1].decode("utf-8", "replace")
        if proc.returncode != 0:
            raise RuntimeError(f"reference release failed ({proc.returncode}):\n{err}")
        window = duration - (journaled if journaled is not None else 0.0)
        log(f"reference release: {duration:.2f} s (journal from {journaled or float('nan'):.2f} s)")

        work = release_project(Path(project), tmp / "project")
        base = git(work, "rev-parse", "HEAD").strip()
        cache = work / ".cache" / "ner"
        oversized: list[str] = []
        failures: list[str] = []
        unexpected, builds_refused, builds_tried, max_states = 0, 0, 0, {"journal": 0, "staging": 0}
        completed, dangling = 0, 0
        span = 1.1 * duration
        # (trigger, delay): None = from the start; "journal" = from the moment this run's journal
        # appears (load jitters between runs by more than the journaled window is wide)
        plan: list[tuple[str | None, float]] = [(None, span * i / max(kills - 1, 1)) for i in range(kills)]
        # up to twice the window: runs in the loop are slower than the reference (cold cache, roll-back)
        plan += [("journal", 2.0 * window * j / max(targeted - 1, 1)) for j in range(targeted)]
        journal = work / "dist" / ".release-journal.json"
        for i, (trigger, delay) in enumerate(plan):
            if i % 2 == 0:
                shutil.rmtree(cache, ignore_errors=True)  # every other kill on a cold cache (and model load)
            stale_journal = journal.exists()  # a pending one is replaced (rolled back) first
            proc = runner.start_command(args, work)
            if trigger == "journal":
                deadline = time.monotonic() + 3 * duration
                while proc.poll() is None and time.monotonic() < deadline:
                    if journal.exists() and not stale_journal:
                        break
                    if stale_journal and not journal.exists():
                        stale_journal = False
                    time.sleep(0.0005)
            kill_after(proc, delay)
            err = proc.communicate()[1].decode("utf-8", "replace")
            if proc.returncode not in (0, -signal.SIGKILL):
                unexpected += 1
                failures.append(f"kill {i + 1}: release exited {proc.returncode}: {err.strip()[-400:]}")
            state = release_state(work)
            max_states["journal"] += state["journal"]
            max_states["staging"] = max(max_states["staging"], len(state["staging"]))
            if state["missing_changelog"] and not state["journal"]:
                dangling += 1
                failures.append(f"kill {i + 1}: {state['missing_changelog']} without a CHANGELOG entry and no journal")
            if state["journal"] and builds_tried < 3:  # the path the old hints led to: a plain build
                builds_tried += 1
                b = runner.run_command(["build"], work)
                builds_refused += b.returncode == 2 and "[E606]" in b.stderr
                if not (b.returncode == 2 and "[E606]" in b.stderr):
                    failures.append(f"kill {i + 1}: build during a pending release exited {b.returncode}: "
                                    f"{b.stderr.strip()[-300:]}")
            if not state["journal"] and len(state["versions"]) > 1:
                # a finished release: check it, commit it as its message says, then start over from
                # the same commit, so that every kill lands on a release of the same change
                completed += 1
                oversized += oversized_releases(work, state["versions"])
                git(work, "add", "-A")
                git(work, "commit", "-qm", f"release {state['config_version']}")
                git(work, "reset", "-q", "--hard", base)
                git(work, "clean", "-qfd", "dist")
            log(f"kill {i + 1:2d}/{len(plan)} at {delay:5.2f} s{' into the journal' if trigger else ''}: exit {proc.returncode}, releases {state['versions']}, "
                f"journal {'pending' if state['journal'] else 'none'}, staging {state['staging']}")

        final = runner.run_command(args, work)
        if final.returncode != 0:
            failures.append(f"final release exited {final.returncode}: {final.stderr.strip()[-400:]}")
        state = release_state(work)
        oversized += oversized_releases(work, state["versions"])
        failures += oversized
        leftovers = state["staging"] + ([".release-journal.json"] if state["journal"] else [])
        if state["config_version"] != state["versions"][-1]:
            failures.append(f"corpus.toml says {state['config_version']}, the newest release is {state['versions'][-1]}")
        return {
            "kills": len(plan),
            "evenly_spread": kills,
            "targeted_at_journal": targeted,
            "reference_seconds": round(duration, 3),
            "reference_journal_window_seconds": round(window, 3),
            "releases": state["versions"],
            "releases_completed_in_loop": completed,
            "kills_leaving_a_pending_journal": max_states["journal"],
            "max_staging_folders": max_states["staging"],
            "builds_refused_while_pending": builds_refused,
            "builds_tried_while_pending": builds_tried,
            "oversized_releases": len(oversized),
            "missing_changelog_entries": len(state["missing_changelog"]),
            "dangling_states": dangling,
            "unexpected_exits": unexpected,
            "final_release_exit": final.returncode,
            "leftover_temporary": len(leftovers),
            "failures": failures,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="kills spread evenly over the build")
    parser.add_argument("--targeted", type=int, default=0, help="extra kills inside the staging window")
    parser.add_argument("--project", type=Path, default=ROOT, help="project whose inputs are copied")
    parser.add_argument("--release", action="store_true", help="kill `release --bump minor` instead of `build`")
    parser.add_argument("--warm", action="store_true", help="fork each command from a warm server (no imports)")
    args = parser.parse_args()
    t = time.perf_counter()
    if args.release:
        summary = release_kill_loop(args.project, args.kills, targeted=args.targeted, log=print, warm=args.warm)
        for failure in summary["failures"]:
            print(f"FAILURE: {failure}")
        print(f"total {time.perf_counter() - t:.1f} s")
        print(json.dumps(summary))
        ok = (summary["oversized_releases"] == 0 and summary["missing_changelog_entries"] == 0
              and summary["leftover_temporary"] == 0 and not summary["failures"])
        sys.exit(0 if ok else 1)
    summary = kill_loop(args.project, args.kills, targeted=args.targeted, log=print, warm=args.warm)
    print(f"kills: {summary['kills']} ({summary['evenly_spread']} evenly over "
          f"[0, {1.1 * summary['reference_seconds']:.2f}] s, {summary['targeted_at_staging']} in the staging window)")
    print(f"landed: {summary['killed_before_release_complete']} before the release was complete, "
          f"{summary['killed_after_release_complete']} after; phases {summary['phases']}")
    print(f"partial releases: {summary['partial_releases']}")
    print(f"changed earlier releases: {summary['changed_earlier_releases']}")
    print(f"corrupted caches: {summary['corrupted_caches']} (entries after the final build: "
          f"{summary['final_cache_entries']})")
    print(f"stale .tmp-* folders: up to {summary['max_stale_tmp_folders']} during the loop, "
          f"{summary['stale_tmp_left_after_final_build']} after the final build")
    print(f"final build: exit {summary['final_build_exit']}, identical to the reference: "
          f"{summary['final_build_identical']}")
    for failure in summary["failures"]:
        print(f"FAILURE: {failure}")
    print(f"total {time.perf_counter() - t:.1f} s")
    print(json.dumps(summary))
    ok = (summary["partial_releases"] == 0 and summary["changed_earlier_releases"] == 0
          and summary["corrupted_caches"] == 0
          and summary["final_build_identical"] and summary["stale_tmp_left_after_final_build"] == 0
          and not summary["failures"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
