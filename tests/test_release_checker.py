"""The independent release checker (tests/release_checker.py) on the committed release,
on a fresh build, and on copies with one published figure changed."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT

import release_checker as rc

CHECKER = Path(rc.__file__)

# Wrong figures dist/3.0.0 publishes (immutable: it stays wrong). The Manual column's All
# row leaves out the adjudicated entity (46 instead of 47, so Model + Manual = 339, not 340), so
# does the datasheet's Counts table,
# and croissant.json still says the review is partial (293 "unreviewed", every entity was reviewed)
# and counts only source == manual as coming from overlays.
KNOWN_3_0_0 = {
    ("README.md", "table Label/all/manual", 46, 47),
    ("README.md", "table Label/all: Model + Manual = Total", 339, 340),
    ("README.md", "table Label/all/manual = sum of the rows", 46, 47),
    ("DATASHEET.md", "table Label/all/manual", 46, 47),
    ("DATASHEET.md", "table Label/all: Model + Manual = Total", 339, 340),
    ("DATASHEET.md", "table Label/all/manual = sum of the rows", 46, 47),
    # the datasheet's Counts table has no adjudication row, so its 293 + 46 leave one entity out
    ("DATASHEET.md", "table Measure/Entities added or changed by overlays", 46, 47),
    ("croissant.json", "text '293 of 340 entities are unreviewed'", (293, 340), (0, 340)),
    ("croissant.json", "text '46 of 340 entities come from overlays'", (46, 340), (47, 340)),
}


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


@pytest.fixture
def release_copy(tmp_path: Path) -> Path:
    """A writable copy of dist/3.0.0: the figures the CHANGES below edit, and its known wrong ones, are 3.0.0's."""
    import shutil
    return Path(shutil.copytree(ROOT / "dist" / "3.0.0", tmp_path / "3.0.0"))


def _found(report: rc.Report) -> set[tuple]:
    return {(m.file, m.figure, _frozen(m.published), _frozen(m.actual)) for m in report.mismatches}


def test_the_checker_imports_nothing_from_corpus_builder():
    tree = ast.parse(CHECKER.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names and not any(n.split(".")[0] == "corpus_builder" for n in names), names
    # and at run time nothing pulls the package in indirectly
    code = (f"import sys; sys.path.insert(0, {str(CHECKER.parent)!r}); import release_checker as rc; "
            f"rc.check(rc.Path({str(ROOT / 'dist' / '3.0.0')!r}), rc.Path({str(ROOT / 'seeds')!r}), "
            f"rc.Path({str(ROOT / 'annotations')!r})); "
            "print(sorted(m for m in sys.modules if m.startswith('corpus_builder')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_committed_3_0_0_release_has_exactly_its_known_wrong_figures():
    report = rc.check(ROOT / "dist" / "3.0.0", ROOT / "seeds", ROOT / "annotations")
    assert _found(report) == KNOWN_3_0_0
    # recomputed from the overlay files 3.0.0 was built from (its manifest's inputs): files added
    # since (metadata-agent's) are left out, and each is named
    recorded = {a["file"] for a in json.loads((ROOT / "dist" / "3.0.0" / "manifest.json").read_text())[
        "inputs"]["annotations"]}
    later = sorted(p.name for p in (ROOT / "annotations").glob("*.*.json") if p.name not in recorded)
    assert later and all(any(name in n and "left out" in n for n in report.notes) for name in later)
    # every file is compared, on many figures each
    assert {f: n > 0 for f, n in report.checked.items()} == dict.fromkeys(
        ["README.md", "DATASHEET.md", "manifest.json", "croissant.json", "CITATION.cff"], True)
    assert report.checked["README.md"] > 100 and report.checked["DATASHEET.md"] > 100
    assert report.checked["manifest.json"] > 50


def test_a_fresh_build_passes_every_data_check(fresh_build, config):
    """Offsets, IOB2 <-> entities, hashes, text = raw + edits, on a build made now (not the committed files)."""
    f = rc.recompute(fresh_build.release, config.seeds, config.annotations)
    assert f["errors"] == []
    assert f["documents"] == len(list(config.seeds.iterdir())) and f["entities"] > 0


def test_a_fresh_builds_figures_all_agree(fresh_build, config):
    report = rc.check(fresh_build.release, config.seeds, config.annotations)
    assert report.ok, [str(m) for m in report.mismatches]
    assert report.notes == []  # built from exactly the overlay files on disk
    assert sum(report.checked.values()) > 600
    # the new label table (Adjudication column) and the review wording are read, not skipped
    for file in ("README.md", "DATASHEET.md"):
        assert (file, "table Label/all: Model + Manual + Adjudication = Total") in report.figures
        assert (file, "table Label/person/adjudication") in report.figures
    assert ("manifest.json", "counts/entities_by_label/PERSON/adjudication") in report.figures


# The same, on a copy of a fresh build (the wording and tables rendered since issue #12)
FRESH_CHANGES = {
    "card adjudication column": ("README.md", "| `PERSON` | 69 | 5 | 1 | 75 |", "| `PERSON` | 69 | 5 | 2 | 75 |",
                                 "README.md: table Label/person/adjudication: published 2, recomputed 1"),
    "datasheet row sum": ("DATASHEET.md", "| `PERSON` | 69 | 5 | 1 | 75 |", "| `PERSON` | 69 | 5 | 1 | 76 |",
                          "DATASHEET.md: table Label/person: Model + Manual + Adjudication = Total: "
                          "published 75, recomputed 76"),
    "card review sentence": ("README.md", "46 added or changed by annotators and 1 decided",
                             "45 added or changed by annotators and 1 decided",
                             "README.md: text '293 kept as the model predicted them after review, 45 added or "
                             "changed by annotators and 1 decided by adjudication': published (293, 45, 1), "
                             "recomputed (293, 46, 1)"),
    "croissant sources": ("croissant.json", "Of 340 entities, 293 are kept", "Of 340 entities, 294 are kept",
                          "croissant.json: text 'Of 340 entities, 294 are kept as the model predicted them (source "
                          "= model, each reviewed and accepted), 46 were added or changed by annotators (source = "
                          "manual) and 1 decided by adjudication': published (340, 294, 46, 1), "
                          "recomputed (340, 293, 46, 1)"),
    "manifest adjudication": ("manifest.json", '"adjudication": 1,\n        "total": 75',
                              '"adjudication": 0,\n        "total": 75',
                              "manifest.json: counts/entities_by_label/PERSON/adjudication: published 0, recomputed 1"),
    "datasheet set_metadata": ("DATASHEET.md", "(e.g. `event`) | 20 |", "(e.g. `event`) | 21 |",
                               "DATASHEET.md: table Operation/set_metadata: published 21, recomputed 20"),
}


def _assert_named(release: Path, file: str, old: str, new: str, message: str) -> None:
    """Change one figure of ``release``: the checker fails and names the file, the figure and both values."""
    _edit(release / file, old, new)
    out = _run(release)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"MISMATCH {message}" in out.stdout, out.stdout


@pytest.mark.parametrize("change", sorted(FRESH_CHANGES))
def test_one_changed_figure_of_a_fresh_build_is_named(change, fresh_build, tmp_path):
    copy = Path(shutil.copytree(fresh_build.release, tmp_path / fresh_build.release.name))
    assert _run(copy).returncode == 0  # unchanged: every figure agrees
    _assert_named(copy, *FRESH_CHANGES[change])


def test_metadata_only_overlays_form_no_layer_and_unrecorded_files_are_left_out(tmp_path):
    ops = [{"id": "1", "op": "accept", "start": 0, "end": 3, "quote": "Ban",
            "expects": {"start": 0, "end": 3, "quote": "Ban", "label": "PERSON"}}]
    meta = [{"id": "1", "op": "set_metadata", "field": "published", "value": "2014-07-21"}]
    for who, o in (("a", ops), ("m", meta)):
        (tmp_path / f"d.{who}.json").write_text(json.dumps(
            {"doc_id": "d", "annotator": who, "scope": "partial", "text_sha256": "x", "ops": o}))
    assert set(rc._annotator_layers(tmp_path)["d"]) == {"a"}
    notes: list[str] = []
    digest = rc.hashlib.sha256((tmp_path / "d.a.json").read_bytes()).hexdigest()
    files = rc._overlay_files(tmp_path, {"d.a.json": digest}, notes)
    assert [p.name for p, _ in files] == ["d.a.json"]
    assert notes == ["overlay d.m.json is not among the release's inputs: left out"]
    notes.clear()
    assert len(rc._overlay_files(tmp_path, {"d.a.json": "0" * 64, "d.m.json": "0" * 64}, notes)) == 2
    assert len(notes) == 2 and all("changed since the release" in n for n in notes)


def _run(release: Path) -> subprocess.CompletedProcess:
    """The checker's command line (``main``) on ``release``, in this process: its exit code
    and what it printed (test_an_unchanged_copy_reports_only_the_known_figures runs it as a script)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = rc.main(_args(release))
    return subprocess.CompletedProcess(["release_checker.py", str(release)], code, out.getvalue(), "")


def _args(release: Path) -> list[str]:
    return [str(release), "--seeds", str(ROOT / "seeds"), "--annotations", str(ROOT / "annotations")]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {
    "card entity count": ("README.md", "| Entities | 340 |", "| Entities | 341 |",
                          "README.md: table Measure/Entities: published 341, recomputed 340"),
    "card split tokens": ("README.md", "| train | 2 | 47 | 1200 |", "| train | 2 | 47 | 1201 |",
                          "README.md: table Split/train/tokens: published 1201, recomputed 1200"),
    "card YAML num_examples": ("README.md", "num_examples: 47", "num_examples: 48",
                               "README.md: dataset_info/ner/train/num_examples: published 48, recomputed 47"),
    "datasheet label row": ("DATASHEET.md", "| GPE | 80 | 16 | 96 |", "| GPE | 80 | 16 | 97 |",
                            "DATASHEET.md: table Label/gpe/total: published 97, recomputed 96"),
    "datasheet agreement": ("DATASHEET.md", "| PERSON | 0.966 |", "| PERSON | 0.967 |",
                            "DATASHEET.md: table Agreement annotator-b/maintainer-a/PERSON/exact p: "
                            "published 0.967, recomputed 0.966"),
    "datasheet document table": ("DATASHEET.md", "| validation | 3003 | 65 |", "| validation | 3003 | 64 |",
                                 "DATASHEET.md: table doc_id/004_72ca955c1549d691/entities: published 64, "
                                 "recomputed 65"),
    "datasheet operations": ("DATASHEET.md", "| 400 |", "| 401 |",
                             "DATASHEET.md: table Operation/accept: published 401, recomputed 400"),
    "card coverage": ("README.md", "14,503/14,503 characters", "14,503/14,504 characters",
                      "README.md: text '14,503/14,504 characters reviewed': published (14503, 14504), "
                      "recomputed (14503, 14503)"),
    "manifest entities": ("manifest.json", '"entities": 340', '"entities": 339',
                          "manifest.json: counts/entities: published 339, recomputed 340"),
    "croissant size": ("croissant.json", '"contentSize": "822 B"', '"contentSize": "823 B"',
                       "croissant.json: distribution/CITATION.cff/contentSize: published 823, recomputed 822"),
    "citation version": ("CITATION.cff", "version: 3.0.0\n", "version: 3.0.1\n",
                         "CITATION.cff: version: published '3.0.1', recomputed '3.0.0'"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_one_changed_figure_is_named_with_file_figure_and_both_values(change, release_copy):
    _assert_named(release_copy, *CHANGES[change])


def test_an_unchanged_copy_reports_only_the_known_figures(release_copy):
    out = subprocess.run([sys.executable, str(CHECKER), *_args(release_copy)], capture_output=True, text=True)
    assert out.returncode == 1
    assert sorted(line for line in out.stdout.splitlines() if line.startswith("MISMATCH")) == sorted(
        f"MISMATCH {rc.Mismatch(*k)}" for k in KNOWN_3_0_0)


def _rewrite(path: Path, change) -> None:
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)


def test_data_that_disagree_with_the_published_figures_are_caught(release_copy):
    """The other direction: the card is right, the data changed (one entity dropped)."""
    path = release_copy / "data" / "documents" / "train-00000-of-00001.parquet"
    _rewrite(path, lambda rows: rows[0]["entities"].pop())
    report = rc.check(release_copy)
    figures = {(m.file, m.figure) for m in report.mismatches}
    assert ("README.md", "table Measure/Entities") in figures
    assert ("manifest.json", "counts/entities") in figures
    assert ("README.md", "table Split/train/entities") in figures
    assert any(m.file == "data" and "IOB2" in m.published for m in report.mismatches)


def test_an_entity_whose_text_is_not_at_its_offsets_is_caught(release_copy):
    path = release_copy / "data" / "documents" / "test-00000-of-00001.parquet"

    def shift(rows):
        e = rows[0]["entities"][0]
        e["start"], e["end"] = e["start"] + 1, e["end"] + 1
    _rewrite(path, shift)
    errors = rc.recompute(release_copy)["errors"]
    assert any("!= text[start:end]" in e for e in errors), errors


def test_a_broken_iob2_sequence_is_caught():
    with pytest.raises(ValueError, match="does not continue"):
        rc._decode_iob2(["O", "I-GPE"], [0, 2], [1, 3])
    with pytest.raises(ValueError):
        rc._decode_iob2(["B-ORG", "I-GPE"], [0, 2], [1, 3])
    assert rc._decode_iob2(["B-GPE", "I-GPE", "B-GPE", "O"], [0, 2, 4, 6], [1, 3, 5, 7]) == [
        (0, 3, "GPE"), (4, 5, "GPE")]


def test_a_total_row_that_is_not_the_sum_of_its_rows_is_caught():
    md = "| Label | Model | Manual | Total |\n|---|---:|---:|---:|\n| A | 1 | 2 | 3 |\n| B | 1 | 1 | 2 |\n" \
         "| **All** | 2 | 2 | 5 |\n"
    report = rc.Report()
    rc._check_total_row("x.md", "Label", ["label", "model", "manual", "total"], rc.tables(md)[0][2], report)
    assert [str(m) for m in report.mismatches] == [
        "x.md: table Label/all/manual = sum of the rows: published 2, recomputed 3"]


def test_agreement_is_recomputed_from_the_overlay_files(tmp_path):
    ops_a = [{"id": "1", "op": "accept", "start": 0, "end": 3, "quote": "Ban",
              "expects": {"start": 0, "end": 3, "quote": "Ban", "label": "PERSON"}},
             {"id": "2", "op": "add", "start": 5, "end": 9, "quote": "Gaza", "label": "GPE"}]
    ops_b = [{"id": "1", "op": "relabel", "start": 0, "end": 3, "quote": "Ban", "label": "ORG",
              "expects": {"start": 0, "end": 3, "quote": "Ban", "label": "PERSON"}},
             {"id": "2", "op": "add", "start": 5, "end": 10, "quote": "Gaza ", "label": "GPE"}]
    for who, ops in (("a", ops_a), ("b", ops_b)):
        (tmp_path / f"d.{who}.json").write_text(json.dumps(
            {"doc_id": "d", "annotator": who, "scope": "complete", "text_sha256": "x", "ops": ops}))
    table = rc.agreement(rc._annotator_layers(tmp_path))[("a", "b")]["table"]
    assert table["all"]["exact F1"] == 0.0
    assert table["all"]["relaxed F1"] == 0.5  # Gaza overlaps with the same label; Ban differs in label
    assert table["all"]["kappa"] == 0.0  # one boundary pair, labelled differently
    assert table["all"]["n (a/b)"] == "2/2"
