"""Dedup on a corpus that looks like news, end to end.

    python benchmarks/bench_dedup.py [--docs 400] [--memory-docs 20000]

Generates a corpus with planted duplicates (benchmarks/corpus.py: 10% syndicated
copies, 5% lightly edited copies) in a scratch project and:

- builds it with ``[dedup] exact = "drop"``, ``near = "group"`` (default processes):
  documents kept and dropped, dedup precision/recall against the planted pairs, and
  the near-duplicate pairs that cross splits (must be 0);
- builds it with ``exact = "error"``: the build must stop (exit 1) with one ``E107``
  line per planted exact pair;
- measures dedup's client-side state per document (tracemalloc over the fingerprints
  of --memory-docs documents), the time a fingerprint takes (on a worker), and the
  client's own time per document: merging fingerprints into the plan, and writing
  rows (the build summary's ``write`` seconds).

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import project  # noqa: E402
from corpus import dedup_scores, make_corpus, planted_path  # noqa: E402


def with_dedup(proj: Path, exact: str, near: str) -> Path:
    toml = proj / "corpus.toml"
    text = toml.read_text("utf-8").split("\n[dedup]")[0]
    toml.write_text(text + f'\n[dedup]\nexact = "{exact}"\nnear = "{near}"\n', "utf-8")
    return proj


def build(proj: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus_builder", "build", "--no-cache", "--out", str(out)],
                          cwd=proj, capture_output=True, text=True)


def state_per_document(corpus: Path) -> tuple[float, float, float]:
    """Bytes of dedup state per document on the client, seconds per fingerprint (a
    worker's share), and seconds per document of merging them into the plan (the client's)."""
    from corpus_builder.stages.dedup import Dedup, document_fingerprint
    from corpus_builder.stages.ingest import Ingest
    from corpus_builder.stages.normalize import Normalizer

    docs = list(Normalizer()(Ingest(corpus)()))
    start = time.perf_counter()
    fps = [document_fingerprint(d) for d in docs]
    seconds = (time.perf_counter() - start) / len(docs)
    del docs
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    dedup = Dedup("drop", "group")
    for fp in fps:
        dedup.add(fp)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del dedup
    start = time.perf_counter()
    dedup = Dedup("drop", "group")
    for fp in fps:
        dedup.add(fp)
    dedup.plan()
    return used / len(fps), seconds, (time.perf_counter() - start) / len(fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--memory-docs", type=int, default=20000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="bench-dedup-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        corpus = make_corpus(args.docs, tmp / "corpus" / "corpus.jsonl")
        planted = json.loads(planted_path(corpus).read_text("utf-8"))
        proj = with_dedup(project(tmp / "project", corpus), "drop", "group")
        done = build(proj, tmp / "drop")
        if done.returncode != 0:
            raise SystemExit(f"build failed ({done.returncode}): {done.stderr[-2000:]}")
        manifest = json.loads(next((tmp / "drop").glob("*/manifest.json")).read_text("utf-8"))
        d = manifest["dedup"]
        scores = dedup_scores(planted, manifest)
        log(next(line for line in done.stderr.splitlines() if "dedup (" in line).strip())
        stopped = build(with_dedup(proj, "error", "group"), tmp / "error")
        e107 = [line for line in stopped.stderr.splitlines() if "[E107]" in line]
        log(f"exact = \"error\": exit {stopped.returncode}, {len(e107)} E107 lines, e.g. {e107[0] if e107 else None}")
        memory_corpus = make_corpus(args.memory_docs, tmp / "corpus-big" / "corpus.jsonl") if args.memory_docs else corpus
        per_doc, fp_seconds, merge_seconds = state_per_document(memory_corpus)
        line = next(line for line in done.stderr.splitlines() if "seconds (documents/s)" in line)
        write_seconds = float(re.search(r"write ([0-9.]+)", line).group(1))
        result = {
            "docs": args.docs,
            "kept": d["kept"],
            "dropped": len(d["dropped"]),
            "dropped_exact": sum(1 for x in d["dropped"] if x["rule"] == "exact"),
            "dropped_near": sum(1 for x in d["dropped"] if x["rule"] == "near"),
            "documents_released": manifest["counts"]["documents"],
            **scores,
            "near_clusters": len(d["clusters"]),
            "cross_split_near_pairs": d["cross_split_near_pairs"],
            "error_exit_code": stopped.returncode,
            "error_e107_lines": len(e107),
            "dedup_state_bytes_per_doc": round(per_doc),
            "fingerprint_ms_per_doc": round(fp_seconds * 1000, 3),
            "client_dedup_ms_per_doc": round(merge_seconds * 1000, 3),
            "client_write_ms_per_doc": round(write_seconds * 1000 / max(d["kept"], 1), 3),
            "memory_docs": args.memory_docs or args.docs,
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
