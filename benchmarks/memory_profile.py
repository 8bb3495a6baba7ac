"""Where a build's memory goes: one build in this process, its resident memory sampled
by kind of mapping (glibc's main heap, mimalloc's region, which pyarrow uses unless
told otherwise (a build puts Arrow on glibc's heap: executors.ALLOCATOR_ENV), other
anonymous mappings, files).

    python benchmarks/memory_profile.py PROJECT OUT [build options, e.g. --no-cache --processes 1]

``bench_build.py``'s ``memory_ratio`` is a peak over a whole run; this shows what the
peak is made of and whether the floor (the least resident memory in each 10-second
window, between the model's batches) grows as documents stream. Prints the floor per
window, then the breakdown at the floor's start, its end and the peak (MB). Sampling
``/proc/self/smaps`` costs CPU: the build runs slower than it would alone.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WINDOW_S = 10.0
EVERY_S = 0.05


def by_kind() -> dict[str, int]:
    """Resident MB of this process per kind of mapping."""
    kinds: dict[str, int] = {}
    kind = ""
    with open("/proc/self/smaps") as f:
        for line in f:
            parts = line.split()
            if parts[0] == "Rss:":
                kinds[kind] = kinds.get(kind, 0) + int(parts[1])
            elif "-" in parts[0] and not parts[0].endswith(":"):
                start, end = (int(x, 16) for x in parts[0].split("-"))
                name = parts[5] if len(parts) > 5 else ""
                kind = ("heap" if name == "[heap]" else "file" if name.startswith("/") else
                        "1 GiB+ reservations (mimalloc: pyarrow by default)" if end - start >= 2**30 else
                        "anon >= 4 MB" if end - start >= 4 * 2**20 else "anon < 4 MB")
    return {k: v // 1024 for k, v in sorted(kinds.items())}


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    project, out, *options = sys.argv[1:]
    os.chdir(project)
    samples: list[tuple[float, int, dict[str, int]]] = []
    done = threading.Event()
    start = time.perf_counter()

    def sample() -> None:
        while not done.wait(EVERY_S):
            kinds = by_kind()
            samples.append((time.perf_counter() - start, sum(kinds.values()), kinds))

    threading.Thread(target=sample, daemon=True).start()
    from corpus_builder.cli import main as cli

    sys.argv = ["corpus-builder", "build", "--quiet", "--out", out, *options]
    code: object = 0
    try:
        cli()
    except SystemExit as exc:
        code = exc.code
    done.set()
    if code:
        raise SystemExit(f"build failed ({code})")
    floors: dict[int, tuple[float, int, dict[str, int]]] = {}
    for s in samples:
        w = int(s[0] // WINDOW_S)
        if w not in floors or s[1] < floors[w][1]:
            floors[w] = s
    print(f"build {time.perf_counter() - start:.1f} s; floor per {WINDOW_S:.0f} s (MB):",
          [floors[w][1] for w in sorted(floors)])
    windows = [floors[w] for w in sorted(floors)]
    windows = windows[1:] or windows  # the first window holds the imports (unless it is the only one)
    peak = max(samples, key=lambda s: s[1])
    for label, (t, total, kinds) in (("floor, start", windows[0]), ("floor, end", windows[-1]), ("peak", peak)):
        print(f"{label:>12} at {t:7.1f} s: {total} MB {kinds}")


if __name__ == "__main__":
    main()
