"""``browse`` benchmarks: the site of a generated corpus and of the latest release.

    python benchmarks/bench_browse.py [--docs 100,300] [--workdir DIR]

- generated: for each size N in --docs, a deterministic corpus of N unique articles
  (benchmarks/corpus.py) is built in a scratch project, then browsed (with the
  model's entities, i.e. the model runs again over every text, and without them):
  seconds, pages, total bytes and bytes per document. Bytes per document that stay
  about the same from the smaller N to the larger one show the site grows linearly.
- release: ``browse dist/<latest> --compare dist/<previous>`` (the two highest
  versions in dist/): pages, total bytes, seconds.

Each ``browse`` runs as a ``python -m corpus_builder browse`` subprocess (wall time
includes starting Python and loading spaCy). The last line printed is one JSON
object with every figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import project, run_build  # noqa: E402
from corpus import make_corpus  # noqa: E402


def browse(release: Path, out: Path, *args: str) -> dict:
    cmd = [sys.executable, "-m", "corpus_builder", "browse", str(release), "--out", str(out), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"browse failed ({proc.returncode}): {proc.stderr[-2000:]}")
    record = json.loads((out / "site.json").read_text("utf-8"))
    files = [p for p in out.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    docs = record["documents"]
    return {"seconds": round(seconds, 2), "documents": docs, "pages": record["index_pages"] + record["document_pages"],
            "files": len(files), "bytes": total, "bytes_per_document": round(total / docs) if docs else None,
            "printed": proc.stdout.strip()}


def versions() -> list[Path]:
    found = [p for p in (ROOT / "dist").iterdir() if p.is_dir() and (p / "SHA256SUMS").is_file()]
    return sorted(found, key=lambda p: tuple(int(x) for x in p.name.split("+")[0].split(".")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="100,300", help="corpus sizes, comma-separated")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    result: dict = {"generated": {}, "release": None}
    with tempfile.TemporaryDirectory(prefix="bench-browse-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        for n in (int(x) for x in args.docs.split(",")):
            corpus = make_corpus(n, tmp / f"corpus-{n}" / "corpus.jsonl")
            proj = project(tmp / f"project-{n}", corpus)
            build = run_build(proj, proj / "dist")
            release = next((proj / "dist").glob("*/SHA256SUMS")).parent
            row = {"build_seconds": round(build["seconds"], 2),
                   "browse": browse(release, tmp / f"site-{n}"),
                   "browse_no_model": browse(release, tmp / f"site-{n}-nomodel", "--no-model")}
            result["generated"][n] = row
            print(f"generated {n} documents: {json.dumps(row)}", flush=True)
        released = versions()
        if len(released) >= 2:
            latest, previous = released[-1], released[-2]
            row = browse(latest, tmp / "site-release", "--compare", str(previous))
            result["release"] = {"release": latest.name, "compare": previous.name, **row}
            print(f"release {latest.name} --compare {previous.name}: {json.dumps(row)}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
