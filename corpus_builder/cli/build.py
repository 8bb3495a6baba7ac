"""``corpus-builder build``: seeds + annotations -> ``<out>/<version>/``."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from tqdm import tqdm

from ..config import BuildConfig, load_config
from ..errors import CorpusError, Problem, rel
from ..rebase import save_snapshot
from ..pipeline import Corpus, Pipeline
from ..publish import ReleaseWriter, output_lock, promote, staging, sync_top_level
from ._app import app

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass
class BuildReport:
    status: str  # "written" | "unchanged"
    release: Path
    corpus: Corpus
    manifest: dict[str, Any]


def build(config: BuildConfig, nlp: Language | None = None, sync_datasheet: Path | None = None,
          processes: int = 1, progress: bool = False, executor: str = "local",
          scheduler: str | None = None) -> BuildReport:
    """Stream every document through the stages into a staging folder and promote it;
    on any problem raise :class:`CorpusError` with all of them, releasing nothing."""
    version_pinned = config.dataset.version
    if executor == "dask":
        from ..distributed import dask_client
        with dask_client(scheduler, max(processes, 2), config.model, config.max_length, config.batch_size) as client:
            corpus, manifest, status, config = _release(Pipeline(config, nlp, client=client), config, progress)
    else:
        corpus, manifest, status, config = _release(Pipeline(config, nlp, processes), config, progress)
    if config.dataset.version != version_pinned:  # a release of another model leaves the project's copies
        sync_datasheet = None
    if sync_datasheet is not None:  # the project's own top-level copies follow its release
        sync_top_level(config.release_dir, sync_datasheet.parent)
    return BuildReport(status, config.release_dir, corpus, manifest)


def _release(pipeline: Pipeline, config: BuildConfig, progress: bool) -> tuple[Corpus, dict[str, Any], str, BuildConfig]:
    version = config.release_version(pipeline.identity.sha256)
    if version != config.dataset.version:  # another model: another release, never the pinned one's
        config = replace(config, dataset=replace(config.dataset, version=version))
    with output_lock(config.out), staging(config.out, config.dataset.version) as tmp:
        writer = ReleaseWriter(config, pipeline.identity.labels, tmp, pipeline.identity.ref)
        annotated = {o.doc_id for o in pipeline.overlays}
        for doc in tqdm(pipeline, desc="build", unit="doc", disable=not progress, mininterval=1.0):
            writer.add(doc)
            if config.cache is not None and doc.doc_id in annotated:
                save_snapshot(config.cache, doc.text)  # what `rebase` maps from after a rule change
        corpus = pipeline.finish()
        for warning in corpus.warnings:
            print(f"warning: {warning.format()}", file=sys.stderr)
        if corpus.problems:
            raise CorpusError(corpus.problems)
        empty = [s for s, v in writer.stats.splits.items() if not v["documents"]]
        if empty:
            raise CorpusError([Problem(
                "E503", f"split {s!r} would be empty", file=rel(config.root / "corpus.toml"), position="[splits.pins]",
                hint="pin a group (an event, or a doc_id) to it in [splits.pins], or add documents") for s in empty])
        manifest = writer.finish(corpus)
        return corpus, manifest, promote(tmp, config.release_dir), config


def summary(report: BuildReport) -> str:
    c = report.manifest["counts"]
    secs = report.corpus.stages["seconds"]
    lines = [
        f"release {rel(report.release)}: {report.status}",
        f"  documents {c['documents']}, sentences {c['sentences']}, tokens {c['tokens']}, entities {c['entities']} "
        f"({', '.join(f'{k} {v}' for k, v in c['entities_by_source'].items())})",
        "  splits: " + ", ".join(f"{k} {v['documents']}" for k, v in c["splits"].items()),
        f"  model {report.manifest['model']['name']} {report.manifest['model']['version']} "
        f"[{' '.join(report.manifest['model']['components'])}]",
        "  seconds (documents/s): " + ", ".join(
            f"{k} {v:.2f}" + (f" ({c['documents'] / v:,.0f})" if v > 0 else "") for k, v in secs.items())
        + f"; total {report.corpus.seconds:.2f} ({c['documents'] / max(report.corpus.seconds, 1e-9):,.1f})",
    ]
    lines.append(f"  {report.corpus.stages['overlays'].coverage.line()}")
    status = report.manifest["overlays"]["ops_by_status"]
    lines.append("  ops against this model: " + ", ".join(f"{v} {k}" for k, v in status.items()))
    cache = report.corpus.stages["ner"].cache
    if cache is not None:
        c = cache.counts
        lines.append(f"  NER cache {rel(cache.folder)}: {c['hits']} hits, {c['misses'] + c['corrupt']} misses"
                     + (f" ({c['corrupt']} corrupt entries recomputed)" if c["corrupt"] else ""))
    return "\n".join(lines)


@app.command("build")
def build_cli(
    seeds: Annotated[Path | None, typer.Option(help="folder of raw .txt articles [default: seeds/]")] = None,
    annotations: Annotated[Path | None, typer.Option(help="folder of overlay .json files [default: annotations/]")] = None,
    out: Annotated[Path | None, typer.Option(help="releases folder [default: dist/]")] = None,
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path [default: corpus.toml]")] = None,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
    cache: Annotated[bool, typer.Option(help="reuse and store NER results in .cache/ner")] = True,
    processes: Annotated[int, typer.Option(min=1, help="NER worker processes, or Dask workers (the bytes do not depend on it)")] = 1,
    executor: Annotated[str, typer.Option(help="local | dask (a LocalCluster on 127.0.0.1 unless --scheduler)")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="an existing Dask scheduler, tcp://HOST:PORT")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar and no summary")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also print every stage's counts")] = False,
) -> None:
    """Build <out>/<version>/: Parquet configs, dataset card, datasheet, manifest, checksums."""
    config = load_config(project)
    override = model is not None and model != config.model
    config = config.with_overrides(seeds=seeds, annotations=annotations, out=out, model=model, model_override=override)
    if not cache:
        config = replace(config, cache=None)
    sync = project / "DATASHEET.md" if out is None else None  # only the project's own release
    if executor not in ("local", "dask"):
        raise typer.BadParameter("use local or dask", param_hint="--executor")
    report = build(config, sync_datasheet=sync, processes=processes, progress=not quiet and sys.stderr.isatty(),
                   executor="dask" if scheduler else executor, scheduler=scheduler)
    if not quiet:
        print(summary(report), file=sys.stderr)
    if verbose:
        for name, stage in report.corpus.stages.items():
            counts = getattr(stage, "counts", None)
            if counts:
                print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
