"""Overlay loading, checking and applying, on a blank pipeline with an entity ruler."""

import json
import shutil
from pathlib import Path

import pytest

from conftest import write_annotators, write_overlay
from corpus_builder.actions.validate import validate
from corpus_builder.config import load_config
from corpus_builder.annotation.apply import apply_ops, ordered_ops
from corpus_builder.actions.build import run

DOC = "000_609d6079c7c3312f"


@pytest.fixture()
def ruler_project(project: Path, ruler_nlp):
    """Project copy with no overlays, and the ruler's view of document 000."""
    for f in (project / "annotations").glob("*.json"):
        f.unlink()
    shutil.rmtree(project / "annotations" / "adjudication", ignore_errors=True)
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
    problems = validate(load_config(project), ruler_nlp).all_problems
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
        {"id": "g2", "op": "accept", **span(doc, "Gaza"), "expects": model_ent(doc, "Gaza")},
    ]))
    problems = validate(load_config(project), ruler_nlp).all_problems
    codes = {(p.code, p.op_id) for p in problems}
    assert ("E421", "x") in codes  # the add overlaps the model's "Ban Ki-moon"
    assert ("E420", "g1") in codes  # accepting GPE contradicts relabelling to LOC in the same layer


def review_all(doc, annotator: str, decide=lambda e: None) -> dict:
    """A complete overlay: ``decide(entity)`` gives an op dict or None (= accept)."""
    ops = []
    for i, e in enumerate(doc.model_entities):
        exp = {"start": e.start, "end": e.end, "quote": e.text, "label": e.label}
        op = decide(e) or {"op": "accept", "start": e.start, "end": e.end, "quote": e.text}
        ops.append({"id": f"{annotator}-{i}", **op, "expects": exp})
    return overlay(doc, ops, annotator) | {"scope": "complete"}


def test_complete_scope_requires_an_op_for_every_model_entity(ruler_project, ruler_nlp):
    project, doc = ruler_project
    ov = review_all(doc, "ann-a")
    dropped = ov["ops"].pop(3)
    write_overlay(project / "annotations", ov)
    corpus = run(load_config(project), ruler_nlp)
    e422 = [p for p in corpus.problems if p.code == "E422"]
    assert len(e422) == 1 and f"[{dropped['start']}, {dropped['end']})" in e422[0].message
    assert e422[0].file.endswith(f"{DOC}.ann-a.json") and e422[0].hint
    cov = corpus.stats.overlays.coverage
    assert (cov.documents, cov.complete, cov.unreviewed) == (5, 0, 1 + sum(
        len(d.model_entities) for d in corpus.documents if d.doc_id != DOC))
    ov["ops"].append(dropped)
    write_overlay(project / "annotations", ov)
    corpus = run(load_config(project), ruler_nlp)
    assert corpus.problems == []
    cov = corpus.stats.overlays.coverage
    assert (cov.complete, cov.characters_reviewed) == (1, len(doc.text))
    out = next(d for d in corpus.documents if d.doc_id == DOC)
    assert [e.span for e in out.entities] == [e.span for e in doc.model_entities]
    assert all(e.source == "model" and e.annotator == "ann-a" and len(e.refs[0].file_sha256) == 64
               for e in out.entities)


def test_two_annotators_need_adjudication_and_the_release_uses_it(ruler_project, ruler_nlp):
    project, doc = ruler_project
    gaza = model_ent(doc, "Gaza")
    relabel = lambda label: lambda e: {"op": "relabel", "start": e.start, "end": e.end, "quote": e.text,
                                       "label": label} if e.span == (gaza["start"], gaza["end"]) else None
    write_overlay(project / "annotations", review_all(doc, "ann-a", relabel("LOC")))
    write_overlay(project / "annotations", review_all(doc, "ann-b"))
    corpus = run(load_config(project), ruler_nlp)
    e440 = [p for p in corpus.problems if p.code == "E440"]
    gaza_i = next(i for i, e in enumerate(doc.model_entities) if e.text == "Gaza")
    assert len(e440) == 1 and e440[0].found == f"ann-a/ann-a-{gaza_i}, ann-b/ann-b-{gaza_i}"
    adj = project / "annotations" / "adjudication"
    adj.mkdir()
    decision = {"id": "d1", "resolves": [f"ann-a/ann-a-{gaza_i}"],
                "entities": [{"start": gaza["start"], "end": gaza["end"], "quote": "Gaza", "label": "LOC"}]}
    body = {"schema_version": "1.0", "doc_id": DOC, "adjudicator": "schema", "text_sha256": doc.text_sha256,
            "decisions": [decision]}
    (adj / f"{DOC}.json").write_text(json.dumps(body), encoding="utf-8")
    corpus = run(load_config(project), ruler_nlp)
    assert [(p.code, p.found) for p in corpus.problems] == [("E442", f"ann-b/ann-b-{gaza_i}")]
    decision["resolves"].append(f"ann-b/ann-b-{gaza_i}")
    (adj / f"{DOC}.json").write_text(json.dumps(body), encoding="utf-8")
    corpus = run(load_config(project), ruler_nlp)
    assert corpus.problems == []
    out = next(d for d in corpus.documents if d.doc_id == DOC)
    decided = next(e for e in out.entities if e.span == (gaza["start"], gaza["end"]))
    assert (decided.label, decided.source, [str(r) for r in decided.refs]) == (
        "LOC", "adjudication", ["schema/d1", f"ann-a/ann-a-{gaza_i}"])
    agreed = next(e for e in out.entities if e.text == "Ban Ki-moon")
    assert agreed.source == "model" and [r.annotator for r in agreed.refs] == ["ann-a", "ann-b"]
    assert set(out.layers) == {"ann-a", "ann-b"}


def test_op_status_against_another_model(ruler_project, ruler_nlp):
    """Ops written for one model, read against another: needed, redundant or stale."""
    from corpus_builder.records import Entity
    from corpus_builder.annotation.check import op_status
    from corpus_builder.annotation.overlay import Op

    def op(kind, start, end, label=None, expects=None):
        return Op("o", kind, "f", "/ops/0", "a", start, end, "x", label, expects)

    ent = lambda s, e, label: Entity(s, e, "x", label)
    exp = {"start": 0, "end": 4, "quote": "x", "label": "ORG"}
    assert op_status(op("remove", 0, 4, expects=exp), [ent(0, 4, "ORG")]) == "needed"
    assert op_status(op("remove", 0, 4, expects=exp), []) == "redundant"
    assert op_status(op("remove", 0, 4, expects=exp), [ent(0, 2, "GPE")]) == "stale"
    assert op_status(op("relabel", 0, 4, "GPE", exp), [ent(0, 4, "GPE")]) == "redundant"
    assert op_status(op("relabel", 0, 4, "GPE", exp), [ent(0, 4, "LOC")]) == "stale"
    assert op_status(op("resize", 0, 8, None, exp), [ent(0, 8, "ORG")]) == "redundant"
    assert op_status(op("add", 5, 9, "DATE"), [ent(5, 9, "DATE")]) == "redundant"
    assert op_status(op("add", 5, 9, "DATE"), [ent(6, 9, "DATE")]) == "needed"  # no `expects`: cannot go stale
    assert op_status(op("add", 5, 9, "DATE"), [ent(0, 4, "ORG")]) == "needed"
    assert op_status(op("accept", 0, 4, expects=exp), [ent(0, 4, "ORG")]) == "needed"
    assert op_status(op("accept", 0, 4, expects=exp), [ent(0, 4, "GPE")]) == "stale"


def test_links_must_agree_across_the_corpus(ruler_project, ruler_nlp):
    project, doc = ruler_project
    first = span(doc, "Ban Ki-moon", 0)
    second = span(doc, "Ban Ki-moon", 1)
    write_overlay(project / "annotations", overlay(doc, [
        {"id": "l1", "op": "accept", **first, "kb_id": "Q1253", "expects": model_ent(doc, "Ban Ki-moon", 0)},
        {"id": "l2", "op": "accept", **second, "kb_id": "Q1", "expects": model_ent(doc, "Ban Ki-moon", 1)},
    ]))
    corpus = run(load_config(project), ruler_nlp)
    assert corpus.problems == []
    assert ("W445", "Q1, Q1253") in [(p.code, p.found) for p in corpus.warnings]
def test_file_name_must_match_content(ruler_project, ruler_nlp):
    project, doc = ruler_project
    (project / "annotations" / "renamed.json").write_text(
        __import__("json").dumps(overlay(doc, [])), encoding="utf-8")
    problems = validate(load_config(project), ruler_nlp).all_problems
    assert [(p.code, p.expected) for p in problems] == [("E403", f"{DOC}.ann-a.json")]


# --- boundaries: the quote against the span, overlaps against touching spans ---------------

from corpus_builder.annotation.check import check_overlay  # noqa: E402
from corpus_builder.annotation.overlay import Op, Overlay  # noqa: E402
from corpus_builder.io import sha256_text  # noqa: E402
from corpus_builder.records import Document, Entity  # noqa: E402

CITY = "Ban Ki-moon flew to Gaza City on Tuesday and met officials of Gaza."


def city_doc() -> Document:
    d = Document("city", "city.txt", "", CITY, text=CITY, text_sha256=sha256_text(CITY))
    pos = 0
    for word in CITY.replace(".", " .").split():
        start = CITY.index(word, pos)
        d.tokens.append((start, start + len(word)))
        pos = start + len(word)
    d.model_entities = [Entity(0, 11, "Ban Ki-moon", "PERSON")]
    return d


def one_op(kind: str, start: int, end: int, quote: str, label: str = "GPE", expects=None, op_id="op-1") -> Op:
    return Op(op_id, kind, "city.ann.json", f"/ops/{op_id}", "ann", start, end, quote, label, expects)


def problems_of(*ops: Op) -> list[tuple[str, str | None]]:
    overlay = Overlay("city.ann.json", "0" * 64, "city", "ann", sha256_text(CITY), "partial", tuple(ops))
    return [(p.code, p.op_id) for p in check_overlay(overlay, city_doc(), ("GPE", "PERSON"))]


GAZA_CITY = CITY.index("Gaza City")


@pytest.mark.parametrize("start, end, quote, codes", [
    (GAZA_CITY, GAZA_CITY + 9, "Gaza City", []),           # the span is the quote
    (GAZA_CITY, GAZA_CITY + 9, "Gaza", [("E414", "op-1")]),  # span longer than its quote
    (GAZA_CITY, GAZA_CITY + 4, "Gaza City", [("E414", "op-1")]),  # span shorter than its quote
    (GAZA_CITY, GAZA_CITY + 4, "Gaza", []),
    (GAZA_CITY + 1, GAZA_CITY + 5, "Gaza", [("E414", "op-1")]),  # shifted by one
    (GAZA_CITY, GAZA_CITY + 9, "gaza city", [("E414", "op-1")]),  # case matters
])
def test_the_quote_must_be_exactly_the_span(start, end, quote, codes):
    assert problems_of(one_op("add", start, end, quote)) == codes


@pytest.mark.parametrize("first, second, overlap", [
    ((0, 4), (4, 9), False),   # touching: end == start
    ((0, 5), (4, 9), True),    # one character in common
    ((4, 9), (0, 5), True),    # the same, the other way round
    ((0, 9), (3, 5), True),    # nested
    ((0, 4), (5, 9), False),   # a gap
    ((3, 4), (3, 4), False),   # the same span twice is one entity, not an overlap
])
def test_overlap_is_one_shared_character_and_touching_is_not(first, second, overlap):
    text = "Gaza City, Gaza"
    ops = [one_op("add", s, e, text[s:e], op_id=f"op-{i}") for i, (s, e) in enumerate((first, second))]
    entities, problems = apply_ops(text, [], ops)
    assert [p.code for p in problems] == (["E421"] if overlap else [])
    if not overlap:
        spans = sorted({first, second})
        assert [(e.start, e.end) for e in entities] == spans
        assert all(e.text == text[e.start:e.end] for e in entities)


# --- each problem in full: code, place, op, what was found and what was expected -------------------------

from corpus_builder.annotation.apply import apply_metadata  # noqa: E402
from corpus_builder.annotation.check import op_status  # noqa: E402
from corpus_builder.records import Edit  # noqa: E402

LABELS = ("GPE", "PERSON")
BAN = {"start": 0, "end": 11, "quote": "Ban Ki-moon", "label": "PERSON"}


def full(problems) -> list[tuple]:
    return [(p.code, p.file, p.position, p.op_id, p.found, p.expected) for p in problems]


def city_overlay(*ops: Op, scope: str = "partial", text_sha256: str = sha256_text(CITY)) -> Overlay:
    return Overlay("city.ann.json", "0" * 64, "city", "ann", text_sha256, scope, tuple(ops))


def checked(*ops: Op, doc: Document | None = None) -> list:
    return check_overlay(city_overlay(*ops), doc or city_doc(), LABELS)


def test_unknown_document_and_changed_text_are_located():
    ov = city_overlay(text_sha256="f" * 64)
    assert full(check_overlay(ov, None, LABELS)) == [("E410", "city.ann.json", "/doc_id", None, "city", None)]
    assert full(check_overlay(ov, city_doc(), LABELS)) == [
        ("E411", "city.ann.json", "/text_sha256", None, "f" * 64, sha256_text(CITY))]


def test_metadata_ops_are_skipped_and_later_ops_still_checked():
    meta = Op("m", "set_metadata", "city.ann.json", "/ops/0", "ann", field="event", value="x")
    bad = one_op("add", 20, 29, "Gaza City", "CITY", op_id="a")
    assert full(checked(meta, bad)) == [("E412", "city.ann.json", "/ops/a/label", "a", "CITY", "GPE | PERSON")]


def test_token_hint_is_the_whole_tokens_around_the_span():
    def hint(start: int, end: int) -> str:
        [p] = checked(one_op("add", start, end, CITY[start:end], "PERSON"))
        assert (p.code, p.position, p.found) == ("E415", "/ops/op-1/start", CITY[start:end])
        return p.expected
    assert hint(1, 6) == "Ban Ki-moon"          # inside the first token
    assert hint(3, 11) == "Ban Ki-moon"         # from the space before a token
    assert hint(21, 27) == "Gaza City"          # inside a token in the middle
    assert hint(len(CITY) - 4, len(CITY)) == "Gaza."  # up to the end of the text


def test_removed_boilerplate_is_e418_with_the_rule_and_a_changed_quote_e414():
    doc = city_doc()
    doc.raw_text = CITY + "\n- AFP"
    doc.edits = [Edit(len(CITY), len(CITY) + 6, "", "agency_credit_line")]
    [p] = checked(one_op("add", 0, 3, "AFP", op_id="a"), doc=doc)
    assert (p.code, p.position, p.op_id, p.found, p.expected) == ("E418", "/ops/a/quote", "a", "Ban", "AFP")
    assert "agency_credit_line" in p.message
    doc.raw_text, doc.edits = "Ban  Ki-moon" + CITY[11:], [Edit(3, 5, " ", "whitespace")]  # changed, not removed
    [p] = checked(one_op("add", 0, 3, "Ban ", op_id="a"), doc=doc)
    assert (p.code, p.found, p.expected) == ("E414", "Ban", "Ban ")


def test_expects_problems_in_full():
    doc = city_doc()
    elsewhere = one_op("accept", 20, 29, "Gaza City", None, expects=BAN, op_id="a")
    [e416] = checked(elsewhere, doc=doc)  # the model entity it names is there: not stale
    assert (e416.code, e416.position, e416.found, e416.expected) == ("E416", "/ops/a/expects", "[0, 11]", "[20, 29]")
    assert "[0, 11]" in e416.message and "accept" in e416.hint
    relabelled = one_op("remove", 0, 11, "Ban Ki-moon", None, expects={**BAN, "label": "GPE"}, op_id="s")
    [e417] = checked(relabelled, doc=doc)
    assert (e417.code, e417.position, e417.op_id, e417.found, e417.expected) == (
        "E417", "/ops/s/expects", "s", "PERSON 'Ban Ki-moon'", "GPE 'Ban Ki-moon'")
    assert "[0, 11]" in e417.message
    unknown = one_op("remove", 0, 11, "Ban Ki-moon", None, expects={**BAN, "label": "PEOPLE"}, op_id="b")
    assert full(checked(unknown, doc=doc))[0] == (
        "E412", "city.ann.json", "/ops/b/expects/label", "b", "PEOPLE", "GPE | PERSON")
    nothing = one_op("remove", 20, 29, "Gaza City", None,
                     expects={"start": 20, "end": 29, "quote": "Gaza City", "label": "GPE"}, op_id="c")
    doc.model_entities.append(Entity(20, 24, "Gaza", "GPE"))  # the model predicts something else there now
    [p] = checked(nothing, doc=doc)
    assert (p.code, p.found, p.expected) == ("E417", "no entity", "GPE 'Gaza City'")
    assert "[20, 29]" in p.message


def test_redundant_review_is_a_warning_not_an_error():
    doc = city_doc()
    gaza = {"start": 20, "end": 29, "quote": "Gaza City", "label": "PERSON"}
    doc.model_entities.append(Entity(20, 29, "Gaza City", "GPE"))  # the model now gives what the op makes
    ops = [one_op("relabel", 20, 29, "Gaza City", "GPE", expects=gaza, op_id="r")]
    assert full(checked(*ops, doc=doc)) == [("W417", "city.ann.json", "/ops/r", "r", None, None)]


def test_complete_scope_names_the_unreviewed_entity_at_scope():
    ov = city_overlay(scope="complete")
    [p] = check_overlay(ov, city_doc(), LABELS)
    assert (p.code, p.file, p.position) == ("E422", "city.ann.json", "/scope")
    assert "PERSON 'Ban Ki-moon' [0, 11)" in p.message


def test_op_status_touching_is_not_overlapping():
    op = one_op("remove", 4, 8, "x", None, expects={"start": 4, "end": 8, "quote": "x", "label": "ORG"})
    assert op_status(op, [Entity(0, 4, "x", "GPE"), Entity(8, 12, "x", "GPE")]) == "redundant"
    assert op_status(op, [Entity(7, 12, "x", "GPE")]) == "stale"
    # an accept whose span is not its `expects`: judged on `expects` only
    accept = one_op("accept", 20, 29, "Gaza City", None, expects={**BAN, "label": "GPE"})
    assert op_status(accept, [Entity(20, 29, "Gaza City", "GPE")]) == "stale"


def test_ordered_ops_follow_kind_then_file():
    def ov(file: str, *ops: Op) -> Overlay:
        return Overlay(file, "0" * 64, "city", "ann", sha256_text(CITY), "partial", ops)
    a = ov("a.json", one_op("add", 0, 3, "Ban", op_id="a-add"), one_op("remove", 0, 3, "Ban", op_id="a-rm"))
    b = ov("b.json", one_op("add", 4, 6, "Ki", op_id="b-add"), one_op("remove", 4, 6, "Ki", op_id="b-rm"),
           Op("m", "set_metadata", "b.json", "/ops/2", "ann", field="event", value="x"))
    assert [op.id for op in ordered_ops([b, a])] == ["a-rm", "b-rm", "a-add", "b-add"]


def test_metadata_ops_contradicting_across_overlays():
    def setter(file: str, op_id: str, field: str, value: str) -> Overlay:
        op = Op(op_id, "set_metadata", file, f"/ops/{op_id}", file[0], field=field, value=value)
        return Overlay(file, "0" * 64, "city", file[0], sha256_text(CITY), "partial", (op,))
    doc = city_doc()
    problems = apply_metadata(doc, [setter("b.json", "b1", "event", "talks"), setter("a.json", "a1", "event", "war"),
                                    setter("c.json", "c1", "event", "war"), setter("d.json", "d1", "title", "T")])
    assert full(problems) == [("E420", "b.json", "/ops/b1/value", "b1", "talks", "war")]
    assert "'a1' in a.json" in problems[0].message
    assert doc.metadata == {"event": "war", "title": "T"}
    assert doc.metadata_sources == {"event": "manual:c:c1", "title": "manual:d:d1"}


@pytest.mark.parametrize("start, end", [(10, 5), (5, 5), (-1, 3), (60, len(CITY) + 1)])
def test_span_outside_the_text_is_e413_with_its_numbers(start, end):
    [p] = checked(one_op("add", start, end, "x", op_id="r"))
    assert (p.code, p.file, p.position, p.op_id) == ("E413", "city.ann.json", "/ops/r/start", "r")
    assert f"[{start}, {end})" in p.message and f"(length {len(CITY)})" in p.message


def test_a_span_ending_the_text_is_inside_it():
    assert checked(one_op("add", len(CITY) - 5, len(CITY), "Gaza.")) == []  # end == length is allowed


def test_apply_ops_every_kind_in_full():
    model = [Entity(0, 11, "Ban Ki-moon", "PERSON"), Entity(20, 24, "Gaza", "GPE"), Entity(64, 68, "Gaza", "GPE")]
    ops = [
        one_op("accept", 0, 11, "Ban Ki-moon", None, expects=BAN, op_id="acc"),
        one_op("remove", 64, 68, "Gaza", None, expects={"start": 64, "end": 68, "quote": "Gaza", "label": "GPE"},
               op_id="rm"),
        one_op("resize", 20, 29, "Gaza City", None, expects={"start": 20, "end": 24, "quote": "Gaza", "label": "GPE"},
               op_id="rs"),
        one_op("add", 33, 40, "Tuesday", "DATE", op_id="add"),
    ]
    entities, problems = apply_ops(CITY, model, ops)
    assert problems == []
    assert [(e.start, e.end, e.text, e.label, e.source, [r.op_id for r in e.refs]) for e in entities] == [
        (0, 11, "Ban Ki-moon", "PERSON", "model", ["acc"]),
        (20, 29, "Gaza City", "GPE", "manual", ["rs"]),
        (33, 40, "Tuesday", "DATE", "manual", ["add"]),
    ]


def test_apply_ops_conflicts_in_full():
    first = one_op("add", 20, 29, "Gaza City", "GPE", op_id="a1")
    second = one_op("add", 20, 29, "Gaza City", "PERSON", op_id="a2")
    entities, problems = apply_ops(CITY, [], [first, second])
    assert [(e.span, e.label) for e in entities] == [((20, 29), "GPE")]
    assert full(problems) == [("E420", "city.ann.json", "/ops/a2", "a2", "PERSON", "GPE")]
    assert "contradicts op 'a1' in city.ann.json" in problems[0].message
    removed = one_op("remove", 0, 11, "Ban Ki-moon", None, expects=BAN, op_id="rm")
    moved = one_op("resize", 0, 3, "Ban", None, expects=BAN, op_id="rs")  # the old span is already removed: fine
    entities, problems = apply_ops(CITY, [Entity(0, 11, "Ban Ki-moon", "PERSON")], [removed, moved])
    assert problems == [] and [(e.span, e.label) for e in entities] == [((0, 3), "PERSON")]
    overlap = one_op("add", 4, 29, CITY[4:29], "GPE", op_id="x")
    entities, problems = apply_ops(CITY, [Entity(0, 11, "Ban Ki-moon", "PERSON")], [overlap])
    assert full(problems) == [("E421", "city.ann.json", "/ops/x", "x", None, None)]
    assert "GPE 'Ki-moon flew to Gaza City' [4, 29) and PERSON 'Ban Ki-moon' [0, 11)" in problems[0].message


def test_removed_quote_does_not_stop_the_check_and_resize_must_align():
    doc = city_doc()
    doc.raw_text = CITY + "\n- AFP"
    doc.edits = [Edit(len(CITY), len(CITY) + 6, "", "agency_credit_line")]
    ops = [one_op("add", 0, 3, "AFP", op_id="a"), one_op("add", 20, 29, "Gaza City", "CITY", op_id="b")]
    assert [(p.code, p.op_id) for p in checked(*ops, doc=doc)] == [("E418", "a"), ("E412", "b")]
    resize = one_op("resize", 1, 11, "an Ki-moon", None, expects=BAN, op_id="r")
    assert full(checked(resize)) == [("E415", "city.ann.json", "/ops/r/start", "r", "an Ki-moon", "Ban Ki-moon")]


def test_redundant_add_is_a_warning():
    assert full(checked(one_op("add", 0, 11, "Ban Ki-moon", "PERSON", op_id="d"))) == [
        ("W417", "city.ann.json", "/ops/d", "d", None, None)]


def test_resize_of_a_span_another_op_decided_is_e420_and_later_ops_still_apply():
    relabel = one_op("relabel", 0, 11, "Ban Ki-moon", "GPE", expects=BAN, op_id="rl")
    resize = one_op("resize", 0, 3, "Ban", None, expects=BAN, op_id="rs")
    add = one_op("add", 20, 29, "Gaza City", "GPE", op_id="ad")
    entities, problems = apply_ops(CITY, [Entity(0, 11, "Ban Ki-moon", "PERSON")], [relabel, resize, add])
    assert [(e.span, e.label, e.source) for e in entities] == [((0, 11), "GPE", "manual"), ((20, 29), "GPE", "manual")]
    assert full(problems) == [("E420", "city.ann.json", "/ops/rs", "rs", "None", "GPE")]


def test_overlap_blames_the_manual_entity_else_the_later_one():
    manual_first = one_op("add", 0, 11, "Ban Ki-moon", "PERSON", op_id="m")
    entities, problems = apply_ops(CITY, [Entity(4, 11, "Ki-moon", "PERSON")], [manual_first])
    assert full(problems) == [("E421", "city.ann.json", "/ops/m", "m", None, None)]
    assert problems[0].message.startswith("entities overlap: PERSON 'Ban Ki-moon' [0, 11) and PERSON 'Ki-moon'")
    # two model entities (no op made either): the later one, located nowhere
    entities, problems = apply_ops(CITY, [Entity(0, 11, "Ban Ki-moon", "PERSON"), Entity(4, 11, "Ki-moon", "PERSON")], [])
    assert full(problems) == [("E421", None, None, None, None, None)]
    assert problems[0].message.startswith("entities overlap: PERSON 'Ki-moon' [4, 11) and PERSON 'Ban Ki-moon' [0, 11)")


def test_a_contradicting_metadata_op_does_not_stop_the_overlay():
    ops = (Op("x1", "set_metadata", "b.json", "/ops/0", "b", field="event", value="talks"),
           Op("x2", "set_metadata", "b.json", "/ops/1", "b", field="title", value="T"))
    first = Overlay("a.json", "0" * 64, "city", "a", sha256_text(CITY), "partial",
                    (Op("a1", "set_metadata", "a.json", "/ops/0", "a", field="event", value="war"),))
    doc = city_doc()
    problems = apply_metadata(doc, [Overlay("b.json", "0" * 64, "city", "b", sha256_text(CITY), "partial", ops), first])
    assert [(p.code, p.op_id) for p in problems] == [("E420", "x1")]
    assert doc.metadata == {"event": "war", "title": "T"}


def test_overlap_is_located_at_the_culprit_op_not_another_of_its_annotator():
    ops = [one_op("add", 20, 29, "Gaza City", "GPE", op_id="g"), one_op("add", 0, 11, "Ban Ki-moon", "PERSON", op_id="m")]
    _, problems = apply_ops(CITY, [Entity(4, 11, "Ki-moon", "PERSON")], ops)
    assert full(problems) == [("E421", "city.ann.json", "/ops/m", "m", None, None)]


def test_a_files_schema_check_is_remembered_by_its_bytes(tmp_path: Path, monkeypatch):
    """`<cache>/validated` records the files that passed their schema check: the next load
    checks only files whose bytes (or the schemas) changed, and never records a file
    that failed. The overlays loaded are the same either way."""
    from corpus_builder.annotation import overlay as overlay_module
    from corpus_builder.annotation.overlay import load_overlays
    from corpus_builder.errors import rel

    root = Path(__file__).resolve().parents[1]
    folder = shutil.copytree(root / "annotations", tmp_path / "annotations")
    schemas = shutil.copytree(root / "schema", tmp_path / "schema")
    checked: list[str] = []
    real = overlay_module.validator

    def counting(schema_path):
        v = real(schema_path)
        return type("Counting", (), {"iter_errors": lambda self, obj: (checked.append(obj.get("doc_id")),
                                                                       v.iter_errors(obj))[1]})()

    monkeypatch.setattr(overlay_module, "validator", counting)
    files = len(list(folder.glob("*.json"))) - 1 + len(list((folder / "revisions").glob("*.json")))
    checks = lambda: len([c for c in checked if c is not None])  # noqa: E731  (annotators.json: always checked)
    first, problems = load_overlays(folder, schemas, cache=tmp_path / "cache")
    assert problems == [] and checks() == files > 5
    checked.clear()
    again, _ = load_overlays(folder, schemas, cache=tmp_path / "cache")
    assert checks() == 0 and again == first
    assert load_overlays(folder, schemas)[0] == first and checks() == files  # no cache: every file checked

    edited = sorted(folder.glob("0*.json"))[0]
    edited.write_text(edited.read_text("utf-8") + "\n", "utf-8")  # other bytes, same content
    broken = sorted(folder.glob("0*.json"))[1]
    data = json.loads(broken.read_text("utf-8"))
    data["ops"][0]["op"] = "rename"
    broken.write_text(json.dumps(data), "utf-8")
    for expected_checks in (2, 1):  # the edited file once, the broken one (refused) every time
        checked.clear()
        _, problems = load_overlays(folder, schemas, cache=tmp_path / "cache")
        assert checks() == expected_checks
        assert problems and {p.code for p in problems} == {"E402"} and {p.file for p in problems} == {rel(broken)}
    (schemas / "overlay.schema.json").write_text((schemas / "overlay.schema.json").read_text("utf-8") + "\n", "utf-8")
    checked.clear()
    load_overlays(folder, schemas, cache=tmp_path / "cache")
    assert checks() == files  # another schema: every file checked again
