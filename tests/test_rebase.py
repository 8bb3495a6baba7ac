"""``corpus-builder rebase``: overlays follow the text when a normalization rule changes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, cli, tree_digest
from corpus_builder.text import rules as normalize
from corpus_builder.config import load_config
from corpus_builder.records import Document
from corpus_builder.stages.normalize import Normalizer
from conftest import AGENCIES
from corpus_builder.text.rules import RULES, Rule, rules_for
from corpus_builder.actions.rebase import rebase
from corpus_builder.annotation.rebase import rebase_overlay, rebase_spans
from corpus_builder.annotation.snapshots import find_old_text, save_snapshot

DOC = "900_rebase"  # a seed added to the copy: its changed line holds the ambiguous and orphaned ops
RAW = ("Envoy heads to Cairo\n\n"
       "The UN said on Monday that Ban Ki-moon would travel to Cairo.\n\n"
       "Related: Hamas leader Mashaal speaks\n\n"
       "Related: UN envoy in Cairo\n\n"
       "Officials in Cairo said the UN said little else.\n")
REAL = "003_290f42c8fbb873fc"  # has `to " great lengths"`: the improved whitespace rule edits it


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- improved rules ------------------------------------------------------------------

def page_assembly_line_v2(text: str, meta: dict) -> list:
    """The rule, improved: `Related: ...` link lines are page furniture too."""
    spans = normalize.page_assembly_line(text, meta)
    for s, e, line in normalize._lines(text):
        if line.startswith("Related: "):
            spans.append((*normalize._whole_line(text, s, e), ""))
    return spans


def whitespace_v2(text: str, meta: dict) -> list:
    """The rule, improved: no stray space after an opening quote (`to " great` -> `to "great`)."""
    return normalize.whitespace(text, meta) + [(m.start(), m.end(), "") for m in re.finditer(r'(?<=\s")[ ]+(?=\w)', text)]


CORPUS_RULES = rules_for(AGENCIES)  # the rule table with this corpus's agencies
IMPROVED = tuple(Rule(r.name, r.description, {"page_assembly_line": page_assembly_line_v2,
                                               "whitespace": whitespace_v2}.get(r.name, r.apply)) for r in CORPUS_RULES)


def normalized(raw: str, rules=CORPUS_RULES) -> str:
    return Normalizer(rules).normalize(Document(DOC, f"{DOC}.txt", "", raw)).text


OLD = normalized(RAW)
NEW = normalized(RAW, IMPROVED)


def span(text: str, quote: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(quote, start + 1)
    return {"start": start, "end": start + len(quote), "quote": quote}


def custom_overlay() -> dict:
    un = span(OLD, "UN", 1)  # in a `Related:` line; "UN" stays twice in the new text, context ties
    other_un = span(OLD, "UN", 2)
    return {
        "$schema": "../schema/overlay.schema.json",
        "schema_version": "1.0",
        "doc_id": DOC,
        "annotator": "maintainer-a",
        "text_sha256": sha(OLD),
        "comment": "rebase fixture",
        "ops": [
            {"id": "m1", "op": "set_metadata", "field": "event", "value": "test-event"},
            {"id": "k1", "op": "add", **span(OLD, "Ban Ki-moon"), "label": "PERSON", "note": "before the edit"},
            {"id": "o1", "op": "add", **span(OLD, "Mashaal"), "label": "PERSON", "note": "its line is removed"},
            {"id": "a1", "op": "relabel", **un, "label": "GPE", "expects": {**un, "label": "ORG"}},
            {"id": "d1", "op": "add", **span(OLD, "Cairo", 3), "label": "GPE"},
            {"id": "r1", "op": "remove", **other_un, "expects": {**other_un, "label": "ORG"}},
        ],
    }


@pytest.fixture()
def rebase_project(project: Path) -> Path:
    """Project copy + the custom seed and its overlay; the old texts are findable the two
    ways rebase looks: the committed release (real documents) and a snapshot (the custom one)."""
    (project / "seeds" / f"{DOC}.txt").write_text(RAW, encoding="utf-8")
    path = project / "annotations" / f"{DOC}.maintainer-a.json"
    path.write_text(json.dumps(custom_overlay(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copytree(ROOT / "dist" / "1.0.0" / "data" / "documents", project / "dist" / "1.0.0" / "data" / "documents")
    save_snapshot(load_config(project).cache, OLD)
    return project


def outcomes(report, name: str) -> dict[str, tuple]:
    entry = next(f for f in report.files if f.path.name == name)
    return {op.op_id: (op.outcome, op.span and op.span.method, op.span and (op.span.new_start, op.span.new_end))
            for op in entry.result.ops}


# --- end to end ------------------------------------------------------------------------

def test_changed_rule_rebases_kept_mapped_ambiguous_orphaned(rebase_project: Path):
    config = load_config(rebase_project)
    ann = rebase_project / "annotations"
    custom, real = ann / f"{DOC}.maintainer-a.json", ann / f"{REAL}.maintainer-a.json"
    assert OLD != NEW and find_old_text(sha(OLD), config.cache, config.out) == OLD
    before, custom_bytes, real_obj = tree_digest(ann), custom.read_bytes(), json.loads(real.read_text("utf-8"))

    report = rebase(config, normalizer=Normalizer(IMPROVED))
    assert tree_digest(ann) == before  # report only: nothing on disk changed
    assert sorted(p.name.split(".")[0] for p in report.up_to_date) == [  # 000 and 004 have two annotators,
        "000_609d6079c7c3312f", "000_609d6079c7c3312f", "000_609d6079c7c3312f",  # + metadata-agent everywhere
        "001_829009ebf935329d", "001_829009ebf935329d", "002_8a522ef4c5b173fa", "002_8a522ef4c5b173fa",
        "004_72ca955c1549d691", "004_72ca955c1549d691", "004_72ca955c1549d691"]
    assert outcomes(report, custom.name) == {
        "m1": ("kept", None, None),
        "k1": ("kept", "offsets", (49, 60)),
        "o1": ("orphaned", None, (None, None)),
        "a1": ("ambiguous", None, (None, None)),
        "d1": ("mapped", "diff", (98, 103)),
        "r1": ("mapped", "diff", (113, 115)),
    }
    a1 = next(op for f in report.files for op in f.result.ops if op.op_id == "a1")
    assert a1.span.candidates == (26, 113) and a1.expects.outcome == "ambiguous"
    real_ops = outcomes(report, real.name)
    assert real_ops["op-003"] == ("kept", "offsets", (0, 4))  # before the first edit
    assert real_ops["op-004"] == ("mapped", "diff", (1945, 1952))  # one space removed before it
    assert real_ops["op-010"] == ("mapped", "diff", (2501, 2528))  # right after the third
    assert {o for o, _, _ in real_ops.values()} == {"kept", "mapped"}
    assert [(p.code, p.position, p.op_id) for p in report.problems] == [
        ("E432", "/ops/2/start", "o1"), ("E431", "/ops/3/start", "a1")]
    lines = report.lines()
    assert f"annotations/{REAL}.maintainer-a.json op-004 mapped (diff) [1946, 1953) -> [1945, 1952) 'Defense'" in [
        line.replace(str(rebase_project) + "/", "") for line in lines]
    assert lines[-1].startswith("rebase: ") and "1 ambiguous, 1 orphaned; 2 files can be written, 1 cannot" in lines[-1]

    real.chmod(0o644)  # a checked-out file's mode: a rewrite keeps it (mkstemp's 0600 did not, issue 17.12)
    report = rebase(config, write=True, normalizer=Normalizer(IMPROVED))
    metadata = f"{REAL}.metadata-agent.json"  # metadata ops only: re-anchored to the new text as well
    assert sorted(f.path.name for f in report.written) == sorted([real.name, metadata])
    assert real.stat().st_mode & 0o777 == 0o644
    assert custom.read_bytes() == custom_bytes  # ambiguous/orphaned ops: file left untouched
    assert "2 files written, 1 not written" in report.lines()[-1]
    new_real = normalized((rebase_project / "seeds" / f"{REAL}.txt").read_text("utf-8"), IMPROVED)
    obj = json.loads(real.read_text("utf-8"))
    assert real.read_text("utf-8").endswith("}\n")
    assert obj["text_sha256"] == sha(new_real) != real_obj["text_sha256"]
    assert list(obj) == list(real_obj) and obj["comment"] == real_obj["comment"]
    for op, was in zip(obj["ops"], real_obj["ops"], strict=True):
        assert list(op) == list(was) and op.get("note") == was.get("note") and op.get("quote") == was.get("quote")
        for s in (op, op.get("expects")):
            if s and "start" in s:
                assert new_real[s["start"]:s["end"]] == s["quote"], (op["id"], s)
    again = rebase(config, normalizer=Normalizer(IMPROVED))  # the written file now matches the new text
    assert real in again.up_to_date and [f.path.name for f in again.files] == [custom.name]


def test_cli_reports_e431_e432_one_line_each_and_exits_1(rebase_project: Path):
    """The seed itself changed (the `Related:` lines deleted), the old text is in the snapshot."""
    (rebase_project / "seeds" / f"{DOC}.txt").write_text(
        RAW.replace("Related: Hamas leader Mashaal speaks\n\nRelated: UN envoy in Cairo\n\n", ""), encoding="utf-8")
    custom = rebase_project / "annotations" / f"{DOC}.maintainer-a.json"
    before = custom.read_bytes()
    result = cli("rebase", "--write", cwd=rebase_project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    errors = result.stderr.splitlines()
    assert errors[0].startswith(f"error: [E432] annotations/{DOC}.maintainer-a.json at /ops/2/start: op 'o1': orphaned")
    assert errors[1].startswith(f"error: [E431] annotations/{DOC}.maintainer-a.json at /ops/3/start: op 'a1': ambiguous")
    assert "found '[26, 28), [113, 115)'" in errors[1] and " -> " in errors[1]
    assert errors[2] == "2 problems found."
    out = result.stdout.splitlines()
    assert f"annotations/{DOC}.maintainer-a.json d1 mapped (diff) [164, 169) -> [98, 103) 'Cairo'" in out
    assert f"annotations/{DOC}.maintainer-a.json k1 kept (offsets) [49, 60) 'Ban Ki-moon'" in out
    assert out[-1] == "rebase: 2 kept, 2 mapped, 1 ambiguous, 1 orphaned; 0 files written, 1 not written"
    assert "rebase: 12 overlay(s) up to date" in out  # 7, plus the five metadata-agent files
    assert custom.read_bytes() == before


def test_unknown_old_text_is_e430_and_nothing_is_written(project: Path):
    path = project / "annotations" / "000_609d6079c7c3312f.maintainer-a.json"
    path.write_text(path.read_text("utf-8").replace(
        "639c32b3abb1b610c3bc1144974de4ee1fd1c051f22607dcd581f3c7b396b4a3", "0" * 64), encoding="utf-8")
    before = path.read_bytes()
    report = rebase(load_config(project), write=True)
    assert [(p.code, p.position, p.found) for p in report.problems] == [("E430", "/text_sha256", "0" * 64)]
    assert "re-anchor the ops by hand" in report.problems[0].hint and path.read_bytes() == before
    result = cli("rebase", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "[E430] annotations/000_609d6079c7c3312f.maintainer-a.json at /text_sha256:" in result.stderr


def test_snapshot_is_content_addressed(tmp_path: Path):
    save_snapshot(tmp_path, "Ban met Guterres.")
    save_snapshot(tmp_path, "Ban met Guterres.")
    files = list((tmp_path / "texts").iterdir())
    assert [f.name for f in files] == [f"{sha('Ban met Guterres.')}.txt"]
    assert files[0].read_text("utf-8") == "Ban met Guterres."


# --- rebase_spans --------------------------------------------------------------------

def one(old: str, new: str, quote: str, nth: int = 0):
    s = span(old, quote, nth)
    return rebase_spans(old, new, [(s["start"], s["end"], quote)])[0]


def test_diff_maps_across_an_insertion_before_the_span():
    r = one("Ban met Guterres in Gaza.", "Yesterday, Ban met Guterres in Gaza.", "Guterres")
    assert (r.outcome, r.method, r.start, r.end, r.new_start, r.new_end) == ("mapped", "diff", 8, 16, 19, 27)


def test_diff_maps_across_a_deletion_before_the_span():
    r = one("Photo: AP\nBan met Guterres in Gaza.", "Ban met Guterres in Gaza.", "Gaza")
    assert (r.outcome, r.method, r.new_start, r.new_end) == ("mapped", "diff", 20, 24)


def test_unchanged_offsets_are_kept():
    r = one("Ban met Guterres. Photo: AP", "Ban met Guterres.", "Guterres")
    assert (r.outcome, r.method, r.new_start, r.new_end) == ("kept", "offsets", 8, 16)


def test_search_uses_context_to_choose_the_occurrence():
    body = "Rockets hit Gaza overnight. Officials in Gaza said more would come. " * 3
    old = "Gaza talks began in Cairo. " + body
    new = body + "Gaza talks began in Cairo."  # the sentence moved: no diff block holds it
    r = one(old, new, "Gaza")
    assert (r.outcome, r.method, r.new_start, r.new_end) == ("mapped", "search", len(body), len(body) + 4)


def test_single_occurrence_without_context_is_accepted():
    rest = "Officials met in Cairo on Monday."
    r = one("Hamas " + rest, rest + " Hamas", "Hamas")  # moved to where nothing around it is as before
    assert (r.outcome, r.method, r.new_start) == ("mapped", "search", len(rest) + 1)


def test_equal_context_is_ambiguous_never_a_guess():
    old, new = "The UN said. Notice: UN wire. The UN said.", "The UN said. The UN said."
    r = one(old, new, "UN", 1)
    assert (r.outcome, r.new_start, r.candidates) == ("ambiguous", None, (4, 17))


def test_missing_quote_is_orphaned():
    r = one("Mashaal spoke. Ban left.", "Ban left.", "Mashaal")
    assert (r.outcome, r.method, r.new_start, r.candidates) == ("orphaned", None, None, ())


def test_overlay_maps_expects_too_and_keeps_everything_else():
    old = "Ban will be in Jerusalem, according to UN Diplomats and media."
    new = "Ban will be in Jerusalem on Tuesday, according to UN Diplomats and media."
    un, diplomats = span(old, "UN"), span(old, "UN Diplomats")
    obj = {"$schema": "x", "text_sha256": sha(old), "doc_id": "d", "ops": [
        {"id": "r", "op": "resize", **un, "expects": {**diplomats, "label": "ORG"}, "note": "n"},
        {"id": "x", "op": "accept", **span(old, "Ban"), "expects": {**span(old, "Ban"), "label": "PERSON"}},
        {"id": "g", "op": "remove", **span(old, "media"), "expects": {"start": 0, "end": 3, "quote": "Bob", "label": "X"}},
    ]}
    result = rebase_overlay(obj, old, new)
    r, x, g = result.ops
    assert (r.outcome, r.span.new_start, r.expects.new_start, r.expects.new_end) == ("mapped", 50, 50, 62)
    assert (x.outcome, x.span.method) == ("kept", "offsets")
    assert (g.span.outcome, g.expects.outcome, g.outcome) == ("mapped", "orphaned", "orphaned")  # the worse wins
    assert not result.resolved and result.new_sha256 == sha(new)
    op = result.obj["ops"][0]
    assert (op["start"], op["end"], op["expects"]["start"], op["expects"]["end"]) == (50, 52, 50, 62)
    assert list(result.obj) == list(obj) and result.obj["text_sha256"] == sha(new) and op["note"] == "n"
    assert obj["ops"][0]["start"] == 39  # the input is not modified
