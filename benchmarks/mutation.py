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
    # edits group: the edit algebra (text/edits.py)
    "corpus_builder.text.edits.xǁEditableTextǁapply__mutmut_8":
        "an empty insertion kept by the first filter is dropped by the second (current[s:s] == ''), and merging it "
        "into a neighbouring deletion changes no deletion's extent",
    "corpus_builder.text.edits.xǁEditableTextǁ__init____mutmut_4":
        "an empty raw text then has one empty verbatim piece: no characters, never covered, never an insertion "
        "anchor (raw_pos is 0 either way) and never an edit",
    **{f"corpus_builder.text.edits.xǁEditableTextǁ_split_at__mutmut_{n}":
       "splitting at a piece's own start or end only adds an empty verbatim piece: never covered at an edit's "
       "edges, absorbed without effect inside one, skipped as an insertion anchor, never an edit" for n in (5, 6)},
    "corpus_builder.text.edits.xǁEditableTextǁ_replace__mutmut_21":
        "the clause `ps == pe and s < ps < e` is implied by `ps < e and pe > s`; restricting it to ps != pe "
        "changes nothing",
    **{f"corpus_builder.text.edits.xǁEditableTextǁ_replace__mutmut_{n}":
       "when the last covered piece ends at or before e, the suffix slice starts at or past its end and is '' "
       "anyway" for n in (71, 84)},
    "corpus_builder.text.edits.xǁEditableTextǁ_replace__mutmut_76":
        "the suffix is only taken from a covered piece that starts before e, so e - start >= 1 and max(1, ...) "
        "== max(0, ...)",
    **{f"corpus_builder.text.edits.xǁOffsetMapǁ__init____mutmut_{n}":
       "adds only an empty copied segment (nothing on either side), which _point skips and which ends where "
       "the previous segment ends" for n in (4, 19)},
    "corpus_builder.text.edits.xǁOffsetMapǁ_map__mutmut_15": "is_end=None is tested for truth only, like False",
    "corpus_builder.text.edits.xǁOffsetMapǁ_point__mutmut_13":
        "an end point equal to a segment's start is first matched by the non-empty segment ending there (the "
        "first non-empty segment starts at 0, and an end of 0 is an empty span, mapped before _point's end call)",
    # overlays group (annotation/check.py, annotation/apply.py)
    **{f"corpus_builder.annotation.check.x__check_expects__mutmut_{n}":
       "the default of a missing `expects` start/end is never used: schema/overlay.schema.json requires start, "
       "end, quote and label in `expects`, and every op _check_expects sees (accept/remove/relabel/resize) "
       "requires `expects`" for n in (5, 7, 10, 11, 13, 15, 18, 19)},
    "corpus_builder.annotation.apply.x_apply_metadata__mutmut_8":
        "only set_metadata ops have a field, and the schema requires it there, so `or` and `and` skip the same ops",
    "corpus_builder.annotation.check.x__token_hint__mutmut_26":
        "the last token ends the normalized text (no trailing blanks) and E413 has refused end > length, so "
        "j <= len(tokens) - 1 already and min(j, len + 1) == min(j, len - 1)",
    "corpus_builder.stages.normalize.x_fingerprint__mutmut_14":
        "distribution names are matched case-insensitively: version('FTFY') is version('ftfy')",
    "corpus_builder.annotation.check.x_check_overlay__mutmut_151":
        "_check_expects takes the document but never reads it (it works on the model's entities and the labels)",
    "corpus_builder.annotation.apply.x_apply_ops__mutmut_48":
        "a resize op always has `expects` (schema/overlay.schema.json requires it), so the fallback to the op's "
        "own span is never taken",
    # edits group: the rules (text/rules.py)
    **{f"corpus_builder.text.rules.x__whole_line__mutmut_{n}":
       "callers pass whole lines: start > 0 means text[start - 1] is a newline, and a line that starts at 0 and "
       "ends the text holds no newline" for n in (7, 8)},
    "corpus_builder.text.rules.x__diff_spans__mutmut_44":
        "difflib tests autojunk for truth only: None is False",
    "corpus_builder.text.rules.x_copyright_footer__mutmut_14":
        "the pattern is matched with re.I: `(C)`/`COPYRIGHT` match what `(c)`/`copyright` match",
    "corpus_builder.text.rules.x_duplicate_line__mutmut_2":
        "blank lines are skipped, so a line compared with previous is never '': '' and None both never match",
    "corpus_builder.text.rules.x_extract_agencies__mutmut_3":
        "agency_patterns sets all its patterns or none, so `or` and `and` agree",
    **{f"corpus_builder.text.rules.x_{f}__mutmut_2": "_per_line's rule never reads meta" for f in ("fix_unicode", "unicode_nfc")},
    "corpus_builder.text.rules.x_fix_unicode__mutmut_7":
        "the printable-ASCII fast path only skips ftfy where ftfy returns the line unchanged (tests/test_normalize.py "
        "test_ftfy_leaves_printable_ascii_alone_which_the_fast_path_relies_on checks that)",
    "corpus_builder.text.rules.x_html_markup__mutmut_12":
        "no tag or entity can start where a dropped script/style/noscript/comment starts ('<script' etc. are not "
        "tags of _HTML_TAG, entities start with '&')",
    "corpus_builder.text.rules.x_line_endings__mutmut_7": "regex escapes are case-insensitive: \\x0B is \\x0b",
    "corpus_builder.text.rules.x_whitespace__mutmut_8": "regex escapes are case-insensitive: \\u00A0 is \\u00a0",
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
    log = work / "mutmut.log"
    with log.open("wb") as fh:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children)], cwd=work,
                              env=env, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode != 0:  # e.g. the selected tests failed before any mutant ran: say so, never a silent 0%
        tail = log.read_text("utf-8", "replace").replace("\r", "\n").splitlines()[-15:]
        print(f"mutmut run of group {group} failed (exit {done.returncode}); last lines of {log}:", *tail,
              sep="\n", file=sys.stderr)


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
