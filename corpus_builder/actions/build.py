"""The build: seeds + annotations -> ``<out>/<version>/``.

lock -> staging folder -> pipeline -> release writer -> promote. The command line,
``verify --rebuild``, ``release``, the benchmarks and the tests all call
:func:`build`; :func:`run` runs the same stages and keeps the documents instead of
writing a release (``validate``, ``agreement``, ``report``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalogue import error, problem
from ..config import BuildConfig
from ..errors import CorpusError, rel
from ..executors import DEFAULT, open_executor
from ..pipeline import Pipeline, PipelineResult
from ..release.answers import answer_problems
from ..release.folder import output_lock, pending_release, promote, staging, sync_top_level
from ..release.writer import ReleaseWriter

if TYPE_CHECKING:
    from spacy.language import Language


SCRATCH = "scratch"  # the staging name of a build's scratch folder (``.tmp-scratch-<pid>``; no version's name)


@dataclass
class BuildReport:
    status: str  # "written" | "unchanged"
    release: Path
    result: PipelineResult
    manifest: dict[str, Any]


def build(config: BuildConfig, nlp: Language | None = None, *, sync_top_level_to: Path | None = None,
          processes: int = 1, executor: str = DEFAULT, scheduler: str | None = None,
          progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> BuildReport:
    """Stream every document through the stages into a staging folder and promote it;
    on any problem raise :class:`CorpusError` with all of them, releasing nothing.

    ``nlp``: an already loaded pipeline instead of ``config.model`` (tests);
    ``sync_top_level_to``: the project folder whose ``DATASHEET.md``/``CITATION.cff``
    follow this release (only a release of the pinned model); ``progress`` wraps the
    document stream (a progress bar)."""
    check_project(config)
    with open_executor(executor, config, processes=processes, scheduler=scheduler, nlp=nlp) as runner:
        pipeline = Pipeline(config, runner)
        version = config.release_version(pipeline.identity.sha256)
        pinned = version == config.dataset.version
        if not pinned:  # another model: another release, never the pinned one's
            config = replace(config, dataset=replace(config.dataset, version=version))
        result, manifest, status = _write(pipeline, config, progress)
    if sync_top_level_to is not None and pinned:  # the project's own top-level copies follow its release
        sync_top_level(config.release_dir, sync_top_level_to)
    return BuildReport(status, config.release_dir, result, manifest)


def _write(pipeline: Pipeline, config: BuildConfig,
           progress: Callable[[Iterable[Any]], Iterable[Any]] | None) -> tuple[PipelineResult, dict[str, Any], str]:
    try:
        return _write_release(pipeline, config, progress)
    except OSError as exc:  # a full disk, a read-only file system: nothing was promoted
        raise error("E505", file=rel(exc.filename or config.out), reason=os_reason(exc)) from None


def os_reason(exc: OSError) -> str:
    """The system's words for a failed write (pyarrow's OSError carries the errno only in its text)."""
    m = re.search(r"errno (\d+)", str(exc), re.IGNORECASE)
    code = int(m.group(1)) if m else exc.errno
    return os.strerror(code) if code else str(exc)[:120]


def _write_release(pipeline: Pipeline, config: BuildConfig,
                   progress: Callable[[Iterable[Any]], Iterable[Any]] | None
                   ) -> tuple[PipelineResult, dict[str, Any], str]:
    with output_lock(config.out), staging(config.out, config.dataset.version) as tmp, \
            (staging(config.out, SCRATCH) if config.cache is None else nullcontext()) as scratch:
        pending_release(config)  # a half-done release is finished by `release`, never built over
        writer = ReleaseWriter(config, pipeline.labels, tmp, pipeline.identity.ref)
        times = {"write": 0.0}  # the client's own share: batches into Parquet (the stages' seconds are the tasks')

        def written() -> Iterator[str]:
            for part in pipeline.parts(scratch, lambda: {name: c.arrow for name, c in writer.configs.items()}):
                t = time.perf_counter()
                assert part.release is not None
                writer.add(part.batches, part.release)
                times["write"] += time.perf_counter() - t
                yield from (doc_id for doc_id, _ in part.kept)  # one step per document (the progress bar)

        for _ in (progress or iter)(written()):
            pass
        pipeline.times["write"] = times["write"]
        result = pipeline.finish()
        result.warnings += answer_problems(config.card)  # unanswered author-only questions: build anyway
        if result.problems:
            raise CorpusError(result.problems, warnings=result.warnings)
        empty = [s for s, v in writer.stats.splits.items() if not v["documents"]]
        if empty:
            raise error([problem("E503", file=rel(config.root / "corpus.toml"), position="[splits.pins]", split=s)
                         for s in empty], warnings=result.warnings)
        manifest = writer.finish(result)
        return result, manifest, promote(tmp, config.release_dir)


def run(config: BuildConfig, nlp: Language | None = None) -> PipelineResult:
    """Run every stage and keep the documents (for validation and inspection; a build
    streams them instead)."""
    check_project(config)
    with open_executor(DEFAULT, config, nlp=nlp) as runner:
        pipeline = Pipeline(config, runner)
        result = pipeline.finish(list(pipeline))
    result.warnings += answer_problems(config.card)
    return result


def check_project(config: BuildConfig) -> None:
    """The files corpus.toml names exist, before any work: each missing one is a coded
    error with its fix (never an internal error halfway through writing a release)."""
    problems = []
    licence = config.root / config.dataset.license_link
    if not licence.is_file():
        problems.append(problem("E008", file=rel(licence), position="[dataset].license_link",
                                found="no such file", expected="the licence of the texts and annotations"))
    if not config.seeds.exists():
        problems.append(problem("E100", file=rel(config.seeds)))
    registry = config.annotations / "annotators.json"
    if config.annotations.is_dir() and not registry.is_file() and not registry.is_symlink():  # a link: E424 later
        problems.append(problem("E407", file=rel(config.annotations / "annotators.json")))
    if problems:
        raise error(problems)
