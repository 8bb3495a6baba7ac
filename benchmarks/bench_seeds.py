"""Build throughput and peak memory on the seeds (or another seeds folder).

    python benchmarks/bench_seeds.py [--repeats 5] [--seeds DIR]

Loads the model once, then builds the release ``--repeats`` times into temporary
folders, and times ``nlp.pipe`` alone with the build's components and with
``tok2vec+parser+ner`` (the alternative sentence segmenter) on the same texts.
The last line printed is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus_builder.actions.build import build  # noqa: E402
from corpus_builder.config import load_config  # noqa: E402
from corpus_builder.nlp.model import prepare_pipeline  # noqa: E402
from corpus_builder.actions.build import run  # noqa: E402


def pipe_seconds(nlp, texts: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _doc in nlp.pipe(texts, batch_size=64):
            pass
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=None)
    args = parser.parse_args()

    config = load_config(ROOT).with_overrides(seeds=args.seeds)
    config = replace(config, cache=None)  # time the model, not the NER cache
    t = time.perf_counter()
    nlp = spacy.load(config.model)
    load_seconds = time.perf_counter() - t
    nlp, identity = prepare_pipeline(nlp, config.model)

    seconds, report = [], None
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            report = build(config.with_overrides(out=Path(out)), nlp=nlp)
            seconds.append(time.perf_counter() - t)
    counts = report.manifest["counts"]
    build_s = statistics.median(seconds)
    texts = [d.text for d in run(config, nlp).documents]

    parser_nlp = spacy.load(config.model)
    parser_nlp.select_pipes(enable=[n for n in ("tok2vec", "parser", "ner") if n in parser_nlp.component_names])
    pipe_s = pipe_seconds(nlp, texts, args.repeats)
    parser_s = pipe_seconds(parser_nlp, texts, args.repeats)

    result = {
        "documents": counts["documents"],
        "tokens": counts["tokens"],
        "model": f"{identity.name} {identity.version}",
        "components": list(identity.components),
        "model_load_seconds": round(load_seconds, 3),
        "build_seconds_median": round(build_s, 4),
        "build_docs_per_s": round(counts["documents"] / build_s, 1),
        "build_tokens_per_s": round(counts["tokens"] / build_s, 1),
        "nlp_pipe_seconds": round(pipe_s, 4),
        "nlp_pipe_parser_seconds": round(parser_s, 4),
        "senter_speedup_over_parser": round(parser_s / pipe_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    for key, value in result.items():
        print(f"{key:>28}: {value}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
