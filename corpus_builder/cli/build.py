"""``corpus-builder build``: seeds + annotations -> ``<out>/<version>/``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from ..actions.build import BuildReport, build
from ..config import load_config
from ..errors import rel
from ..executors import available, tune_allocators, usable_cores
from ._app import app

STAGES_HELP = ("Stages, one module each: ingest (stages/ingest.py), normalize (stages/normalize.py, rules in "
               "text/rules.py), dedup (stages/dedup.py), ner (stages/ner.py, run by executors/), overlays "
               "(stages/overlays.py, format in annotation/), splits (stages/splits.py); then release/writer.py "
               "writes the release. See docs/architecture.md.")


def summary(report: BuildReport) -> str:
    """What the build did, in a few lines (stderr)."""
    c = report.manifest["counts"]
    stats = report.result.stats
    model = report.manifest["model"]
    lines = [
        f"release {rel(report.release)}: {report.status}",
        f"  documents {c['documents']}, sentences {c['sentences']}, tokens {c['tokens']}, entities {c['entities']} "
        f"({', '.join(f'{k} {v}' for k, v in c['entities_by_source'].items())})",
        "  splits: " + ", ".join(f"{k} {v['documents']}" for k, v in c["splits"].items()),
        f"  model {model['name']} {model['version']} [{' '.join(model['components'])}]",
        "  seconds (documents/s): " + ", ".join(
            f"{k} {v:.2f}" + (f" ({c['documents'] / v:,.0f})" if v > 0 else "") for k, v in stats.seconds.items())
        + f"; total {stats.total_seconds:.2f} ({c['documents'] / max(stats.total_seconds, 1e-9):,.1f})",
        dedup_line(report.manifest["dedup"]),
        f"  {stats.overlays.coverage.line()}",
        "  ops against this model: " + ", ".join(f"{v} {k}" for k, v in report.manifest["overlays"]["ops_by_status"].items()),
    ]
    ner = stats.ner
    if ner.cache is not None and ner.cache_folder is not None:
        n = ner.cache
        lines.append(f"  NER cache {rel(ner.cache_folder)}: {n['hits']} hits, {n['misses'] + n['corrupt']} misses"
                     + (f" ({n['corrupt']} corrupt entries recomputed)" if n["corrupt"] else ""))
    return "\n".join(lines)


def dedup_line(d: dict) -> str:
    """Kept and dropped documents, and near-duplicate pairs across splits: never silent."""
    exact = sum(1 for x in d["dropped"] if x["rule"] == "exact")
    return (f"  dedup (exact={d['exact']}, near={d['near']}): kept {d['kept']}, dropped {len(d['dropped'])} "
            f"({exact} exact, {len(d['dropped']) - exact} near; listed in manifest.json dedup.dropped), "
            f"{d['near_duplicate_pairs']} near-duplicate pairs, {len(d['clusters'])} clusters made one split group, "
            f"near-duplicate pairs across splits: {d['cross_split_near_pairs']}")


@app.command("build", epilog=STAGES_HELP)
def build_cli(
    seeds: Annotated[Path | None, typer.Option(help="folder of raw .txt articles [default: seeds/]")] = None,
    annotations: Annotated[Path | None, typer.Option(help="folder of overlay .json files [default: annotations/]")] = None,
    out: Annotated[Path | None, typer.Option(help="releases folder [default: dist/]")] = None,
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path [default: corpus.toml]")] = None,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
    cache: Annotated[bool, typer.Option(help="reuse and store NER results in .cache/ner")] = True,
    processes: Annotated[int | None, typer.Option(min=1, help="worker processes, or Dask workers (the bytes do not depend on it) [default: the usable cores, cgroup limits included]")] = None,
    executor: Annotated[str, typer.Option(help=f"{' | '.join(available())} (dask: a LocalCluster on 127.0.0.1 unless --scheduler)")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="an existing Dask scheduler, tcp://HOST:PORT")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar and no summary")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also print every stage's counts")] = False,
) -> None:
    """Build <out>/<version>/: Parquet configs, dataset card, datasheet, manifest, checksums."""
    tune_allocators()
    config = load_config(project)
    override = model is not None and model != config.model
    config = config.with_overrides(seeds=seeds, annotations=annotations, out=out, model=model, model_override=override)
    if not cache:
        config = replace(config, cache=None)
    if processes is None:
        processes = usable_cores()
    show = not quiet and sys.stderr.isatty()
    report = build(config, sync_top_level_to=project if out is None else None,  # only the project's own release
                   processes=processes, executor="dask" if scheduler else executor, scheduler=scheduler,
                   progress=(lambda docs: tqdm(docs, desc="build", unit="doc", mininterval=1.0)) if show else None)
    for warning in report.result.warnings:
        print(f"warning: {warning.format()}", file=sys.stderr)
    if not quiet:
        print(summary(report), file=sys.stderr)
    if verbose:
        for name, stage in report.result.stats.by_stage().items():
            counts = stage.summary()
            if counts:
                print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
