"""Overlay loading, checking and applying, on a blank pipeline with an entity ruler."""

from pathlib import Path

import pytest

from conftest import write_annotators, write_overlay
from corpus_builder.cli.validate import validate
from corpus_builder.config import load_config
from corpus_builder.overlays import apply_ops, ordered_ops
from corpus_builder.pipeline import run

DOC = "000_609d6079c7c3312f"


@pytest.fixture()
def ruler_project(project: Path, ruler_nlp):
    """Project copy with no overlays, and the ruler's view of document 000."""
    for f in (project / "annotations").glob("*.json"):
        f.unlink()
    write_annotators(project / "annotations", "ann-a", "ann-b", "schema")
    corpus = run(load_config(project), ruler_nlp)
    doc = next(d for d in corpus.documents if d.doc_id == DOC)
    return project, doc


def span(doc, quote: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(quote, start + 1)
    return {"start": start, "end": start + len(quote), "quote": quote}


def model_ent(doc, quote: str, nth: int = 0) -> dict:
    s = span(doc, quote, nth)
    ent = next(e for e in doc.model_entities if (e.start, e.end) == (s["start"], s["end"]))
    return {**s, "label": ent.label}


def overlay(doc, ops, annotator="ann-a") -> dict:
    return {"schema_version": "1.0", "doc_id": doc.doc_id, "annotator": annotator,
            "text_sha256": doc.text_sha256, "ops": ops}


def test_ops_apply_with_provenance_and_are_idempotent(ruler_project, ruler_nlp):
    project, doc = ruler_project
    ops = [
        {"id": "o1", "op": "relabel", **span(doc, "Gaza"), "label": "LOC", "expects": model_ent(doc, "Gaza")},
        {"id": "o2", "op": "remove", **span(doc, "UN", 0), "expects": model_ent(doc, "UN", 0)},
        {"id": "o3", "op": "add", **span(doc, "Martin Nesirky"), "label": "PERSON"},
        {"id": "o4", "op": "resize", **span(doc, "United Nations Secretary-General Ban Ki-moon"),
         "expects": model_ent(doc, "Ban Ki-moon", 0), "label": "PERSON"},
        {"id": "o5", "op": "set_metadata", "field": "event", "value": "2012-israel-gaza-conflict"},
    ]
    write_overlay(project / "annotations", overlay(doc, ops))
    corpus = run(load_config(project), ruler_nlp)
    assert corpus.problems == []
    out = next(d for d in corpus.documents if d.doc_id == DOC)
    manual = {(e.text, e.label, e.source, e.annotator, e.op_id) for e in out.entities if e.source == "manual"}
    assert manual == {
        ("Gaza", "LOC", "manual", "ann-a", "o1"),
        ("Martin Nesirky", "PERSON", "manual", "ann-a", "o3"),
        ("United Nations Secretary-General Ban Ki-moon", "PERSON", "manual", "ann-a", "o4"),
    }
    assert not any(e.start == ops[1]["start"] for e in out.entities)
    assert out.metadata["event"] == "2012-israel-gaza-conflict"
    assert out.metadata_sources["event"] == "manual:ann-a:o5"
    # idempotent: applying the same ops to the result changes nothing
    again, problems = apply_ops(out.text, out.entities, ordered_ops(corpus.overlays))
    assert problems == [] and again == out.entities
    assert all(a.end <= b.start for a, b in zip(out.entities, out.entities[1:]))


def test_every_problem_is_reported_in_one_run(ruler_project, ruler_nlp):
    project, doc = ruler_project
    ann = project / "annotations"
    bad_quote = span(doc, "Gaza") | {"quote": "Gaza Strip"}
    write_overlay(ann, overlay(doc, [
        {"id": "q", "op": "add", **bad_quote, "label": "GPE"},
        {"id": "l", "op": "add", **span(doc, "Martin Nesirky"), "label": "PEOPLE"},
        {"id": "r", "op": "add", "start": 10, "end": 5, "quote": "x", "label": "ORG"},
        {"id": "x", "op": "add", **span(doc, "Ban Ki-moon will"), "label": "PERSON"},
        {"id": "e", "op": "remove", **span(doc, "Gaza"), "expects": span(doc, "Gaza") | {"label": "ORG"}},
        {"id": "t", "op": "add", **span(doc, "Ki-mo"), "label": "PERSON"},
    ]))
    (ann / f"{DOC}.broken.json").write_text('{"schema_version": "1.0",\n  "doc_id": }', encoding="utf-8")
    write_overlay(ann, overlay(doc, [{"id": "s", "op": "relabel", **span(doc, "Gaza"), "label": "GPE"}], "schema"))
    write_overlay(ann, {**overlay(doc, []), "doc_id": "no-such-doc"} | {"annotator": "ghost"})
    problems = validate(load_config(project), ruler_nlp)
    got = {(p.code, Path(p.file).name if p.file else None, p.position, p.op_id) for p in problems}
    assert ("E401", f"{DOC}.broken.json", "line 2, column 13", None) in got
    assert ("E402", f"{DOC}.schema.json", "/ops/0", None) in got  # relabel without `expects`
    assert ("E410", "no-such-doc.ghost.json", "/doc_id", None) in got
    assert ("E414", f"{DOC}.ann-a.json", "/ops/0/quote", "q") in got
    assert ("E412", f"{DOC}.ann-a.json", "/ops/1/label", "l") in got
    assert ("E413", f"{DOC}.ann-a.json", "/ops/2/start", "r") in got
    assert ("E417", f"{DOC}.ann-a.json", "/ops/4/expects", "e") in got
    assert ("E415", f"{DOC}.ann-a.json", "/ops/5/start", "t") in got
    quote = next(p for p in problems if p.code == "E414")
    assert (quote.found, quote.expected) == ("Gaza", "Gaza Strip")
    assert all(p.hint for p in problems)


def test_overlapping_and_contradicting_ops(ruler_project, ruler_nlp):
    project, doc = ruler_project
    write_overlay(project / "annotations", overlay(doc, [
        {"id": "x", "op": "add", **span(doc, "Ban Ki-moon will"), "label": "PERSON"},
        {"id": "g1", "op": "relabel", **span(doc, "Gaza"), "label": "LOC", "expects": model_ent(doc, "Gaza")},
    ]))
    write_overlay(project / "annotations", overlay(doc, [
        {"id": "g2", "op": "relabel", **span(doc, "Gaza"), "label": "GPE", "expects": model_ent(doc, "Gaza")},
    ], "ann-b"))
    problems = validate(load_config(project), ruler_nlp)
    codes = {(p.code, p.op_id) for p in problems}
    assert ("E421", "x") in codes  # the add overlaps the model's "Ban Ki-moon"
    assert ("E420", "g2") in codes  # ann-b contradicts ann-a on the same span


def test_file_name_must_match_content(ruler_project, ruler_nlp):
    project, doc = ruler_project
    (project / "annotations" / "renamed.json").write_text(
        __import__("json").dumps(overlay(doc, [])), encoding="utf-8")
    problems = validate(load_config(project), ruler_nlp)
    assert [(p.code, p.expected) for p in problems] == [("E403", f"{DOC}.ann-a.json")]
