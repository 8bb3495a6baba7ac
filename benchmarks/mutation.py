"""Mutation score of the core modules with mutmut (pip extra ``mutation``).

Usage: ``nice -n 10 python benchmarks/mutation.py [GROUP ...] [--children N]``

Each group (below) is a set of core modules and the smallest fast test selection
that covers them. For each group the project is copied into
``build/mutation/<group>/`` with a ``[tool.mutmut]`` section naming only those
modules and tests, ``mutmut run`` mutates them and runs, for every mutant, the
selected tests that reach the mutated function. The script then prints per group
and overall: killed, survived, timeout, other (no tests/suspicious/not checked), and
the score = killed / (mutants - equivalent). Every survivor is listed with its diff's
first changed line and a reason: ``EQUIVALENT`` entries (below, by mutant name) say
why the mutant cannot change behaviour; any other survivor is a missing test.

Slow (minutes per group on a busy 2-core machine): not part of CI. Results stay in
``build/mutation/`` (``mutmut show NAME`` there gives a mutant's diff). Property tests
run with ``PROPERTY_EXAMPLES`` (default 100 here) examples instead of 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"

GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "splits": (["corpus_builder/stages/splits.py"], ["tests/test_splits.py"]),
    "metrics": (["corpus_builder/quality/metrics.py"], ["tests/test_metrics.py"]),
    "edits": (["corpus_builder/text/edits.py", "corpus_builder/text/rules.py", "corpus_builder/stages/normalize.py"],
              ["tests/test_normalize.py", "tests/test_properties.py", "tests/test_rebase.py",
               "tests/test_bad_inputs.py::test_repairs_are_recorded_as_edits",
               "tests/test_bad_inputs.py::test_bom_crlf_gives_the_same_text_as_lf"]),
    "overlays": (["corpus_builder/annotation/check.py", "corpus_builder/annotation/apply.py"],
                 ["tests/test_overlays.py", "tests/test_properties.py"]),
    "rows": (["corpus_builder/release/rows.py"], ["tests/test_assemble.py", "tests/test_export.py"]),
    "verify": (["corpus_builder/release/verify.py"], ["tests/test_verify.py"]),
}

# Survivors that cannot change behaviour, with the reason: by mutant name (mutmut's
# <module>.x<function>__mutmut_<n>), or by what the mutation does to the line (a regex over
# "`old` -> `new`"). Filled in from `mutmut show` after a run; any other survivor is a missing test.
EQUIVALENT: dict[str, str] = {
    **{f"corpus_builder.release.rows.x_ner_rows__mutmut_{n}":
       "the tag-name map ner_rows passes to iob_tags is only a saving: without it (or with labels=None, which "
       "iob_tags reads only to build that map) iob_tags builds the same map itself" for n in (7, 8, 12)},
    "corpus_builder.release.verify.x_check_contents__mutmut_216":
        "`current = None` -> `current = \"\"`: the IOB2 decoder only tests `current` for truth, and both are false",
}
EQUIVALENT_CHANGES: list[tuple[str, str]] = [
    (r'\("utf-8"\)[^`]*` -> `.*\("UTF-8"\)', "codec names are case-insensitive: 'UTF-8' is 'utf-8'"),
    (r'\("utf-8"\)[^`]*` -> `.*\(None\)',
     "encoding=None is the locale's encoding, UTF-8 wherever the suite runs (C.UTF-8/en_US.UTF-8); "
     "equivalent there, not on a non-UTF-8 locale"),
]

COPY = ("corpus_builder", "tests", "schema", "seeds", "annotations", "card", "corpus.toml", "LICENSE.md", "pyproject.toml",
        "benchmarks")


def prepare(group: str) -> Path:
    modules, tests = GROUPS[group]
    work = WORK / group
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPY:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    shutil.copytree(ROOT / "dist", work / "dist")  # every release: some tests read older ones
    if (ROOT / ".cache" / "ner").is_dir():
        shutil.copytree(ROOT / ".cache" / "ner", work / ".cache" / "ner")
    config = "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["corpus_builder"]',
        f"only_mutate = {json.dumps(modules)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-x", "-q"]',
        'also_copy = ["schema", "seeds", "annotations", "card", "corpus.toml", "LICENSE.md", "dist", ".cache", "benchmarks"]',
        "",
    ])
    with (work / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(config)
    return work


def run(group: str, children: int) -> None:
    work = prepare(group)
    env = {**os.environ, "PROPERTY_EXAMPLES": os.environ.get("PROPERTY_EXAMPLES", "100"),
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONPATH": ""}
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children)], cwd=work, env=env,
                   stdout=subprocess.DEVNULL)


STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout"}


def results(group: str) -> tuple[Counter, list[tuple[str, str]]]:
    work = WORK / group
    counts: Counter = Counter()
    survivors = []
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
            status = STATUS.get(code, "other")
            change = first_change(work, name) if status == "survived" else ""
            if status == "survived" and reason(name, change):
                status = "equivalent"
            counts[status] += 1
            if status in ("survived", "equivalent"):
                survivors.append((name, change))
    return counts, survivors


def reason(name: str, change: str) -> str | None:
    """Why a survivor is equivalent, or None (then it is a missing test)."""
    if name in EQUIVALENT:
        return EQUIVALENT[name]
    return next((why for pattern, why in EQUIVALENT_CHANGES if re.search(pattern, change)), None)


def first_change(work: Path, name: str) -> str:
    out = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=work, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ""}).stdout
    minus = next((l[1:].strip() for l in out.splitlines() if l.startswith("-") and not l.startswith("---")), "")
    plus = next((l[1:].strip() for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")), "")
    return f"`{minus}` -> `{plus}`"


def score(c: Counter) -> str:
    relevant = sum(c.values()) - c["equivalent"]
    return f"{100 * c['killed'] / relevant:.1f}%" if relevant else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("groups", nargs="*", default=list(GROUPS))
    parser.add_argument("--children", type=int, default=2)
    parser.add_argument("--report-only", action="store_true", help="print the table of earlier runs")
    args = parser.parse_args()
    total: Counter = Counter()
    rows, listed = [], []
    for group in args.groups:
        if not args.report_only:
            run(group, args.children)
        counts, survivors = results(group)
        total += counts
        rows.append(f"| {group} | {sum(counts.values())} | {counts['killed']} | {counts['survived']} | "
                    f"{counts['equivalent']} | {counts['timeout']} | {counts['other']} | {score(counts)} |")
        listed += [(group, n, change) for n, change in survivors]
    print("| group | mutants | killed | survived | equivalent | timeout | other | killed / non-equivalent |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"| **overall** | {sum(total.values())} | {total['killed']} | {total['survived']} | {total['equivalent']} "
          f"| {total['timeout']} | {total['other']} | {score(total)} |")
    if listed:
        print("\nSurvivors:\n")
        for group, name, change in listed:
            why = reason(name, change)
            print(f"- {group} `{name}`: {change} ({'equivalent: ' + why if why else 'not equivalent: no test notices it'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
