"""Property tests (hypothesis, 1,000 examples each): normalization and the overlay
loader hold their contracts on arbitrary input, and what they produce keeps its
properties (edits reproduce the text, offsets map back, an applied layer is sound)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import AGENCIES, ROOT
from corpus_builder.records import Document, Entity
from corpus_builder.errors import CorpusError
from corpus_builder.stages.normalize import Normalizer
from corpus_builder.text.edits import OffsetMap, apply_edits, raw_offsets
from corpus_builder.annotation.apply import apply_ops, ordered_ops
from corpus_builder.annotation.check import check_overlay
from corpus_builder.annotation.overlay import load_overlay

SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "1000")),  # fewer: benchmarks/mutation.py
                     deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces that exercise every rule: combining marks, astral characters, line endings,
# control and invisible characters, mojibake, markup and the boilerplate patterns
PIECES = st.sampled_from([
    "\r\n", "\r", "\n", "\n\n", " ", "  ", "\t", "\u0301", "\u0308", "e\u0301", "\U0001F600", "\U00020000",
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u00a0",
    "â€™", "Ã©", "<p>", "</p>", "<b>", "&amp;", "&#39;", "<script>x</script>", "©", "Copyright 2014, X",
    " date 2021-05-12 ", "Photo / AP", "Source: AFP", "- AFP", "[Image by Y]", "days.Photo", "U.S.",
    "Assembled by: x Processing Time: 5ms", "Gaza", "“", "”", '"', ".", "Ban Ki-moon",
])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join)


def normalized(raw: str) -> Document | None:
    try:
        return Normalizer(agencies=AGENCIES).normalize(Document("d", "d.txt", "", raw))
    except CorpusError as exc:
        assert [p.code for p in exc.problems] == ["E103"]  # no article text: the only refusal
        return None


@SETTINGS
@given(TEXT)
def test_normalization_edits_reproduce_the_text_and_map_monotonically(raw: str):
    doc = normalized(raw)
    if doc is None:
        return
    assert apply_edits(raw, doc.edits) == doc.text
    assert all(a.raw_end <= b.raw_start for a, b in zip(doc.edits, doc.edits[1:]))
    offsets = raw_offsets(raw, doc.edits)
    assert len(offsets) == len(doc.text)
    assert all(0 <= o <= len(raw) for o in offsets)
    assert offsets == sorted(offsets)


@SETTINGS
@given(TEXT, st.data())
def test_entity_offsets_round_trip_through_the_raw_text(raw: str, data):
    doc = normalized(raw)
    if doc is None:
        return
    m = OffsetMap(len(raw), doc.edits)
    assert m.published_length == len(doc.text)
    start = data.draw(st.integers(0, len(doc.text) - 1))  # an entity is never empty
    end = data.draw(st.integers(start + 1, len(doc.text)))
    rs, re = m.to_raw(start, end)
    assert 0 <= rs <= re <= len(raw)
    back = m.to_published(rs, re)
    copied = {i for s in m.segments if s[4] for i in range(s[0], s[1])}
    inserted = {i for s in m.segments if s[2] == s[3] for i in range(s[0], s[1])}  # no raw character
    if start not in inserted and end - 1 not in inserted:
        assert back[0] <= start and back[1] >= end  # never shrinks a span
    if start in copied and end - 1 in copied:
        assert back == (start, end)
        assert raw[rs:re] == doc.text[start:end] or any(
            rs < e.raw_end and e.raw_start < re for e in doc.edits)  # an edit lies inside the span


# --- overlay loader fuzzing ---------------------------------------------------------

_nlp = spacy.blank("en")
_RAW = (ROOT / "seeds" / "000_609d6079c7c3312f.txt").read_text("utf-8")
DOC = Normalizer().normalize(Document("000_609d6079c7c3312f", "000.txt", "", _RAW))
DOC.tokens = [(t.idx, t.idx + len(t)) for t in _nlp(DOC.text) if not t.is_space]
DOC.model_entities = [Entity(DOC.text.index("Gaza"), DOC.text.index("Gaza") + 4, "Gaza", "GPE")]
LABELS = ("GPE", "ORG", "PERSON")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
OFFSET = st.one_of(st.integers(-5, len(DOC.text) + 5), st.floats(-1, 3000), st.text(max_size=3), st.none())
OP = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "../x", ""]), "op": st.sampled_from(["add", "remove", "relabel", "resize", "set_metadata", "x"])},
    optional={"start": OFFSET, "end": OFFSET, "quote": st.sampled_from(["Gaza", "Ban", "", "x"]) | st.text(max_size=5),
              "label": st.sampled_from(["GPE", "ORG", "NOPE", "gpe"]) | JSON,
              "expects": st.fixed_dictionaries({"start": OFFSET, "end": OFFSET, "quote": st.text(max_size=4), "label": st.sampled_from(["GPE", "ORG"])}) | JSON,
              "field": st.sampled_from(["event", "title", "published", "nope"]),
              "value": st.sampled_from([None, "2020-01-01", "x", "2020-13-45"]) | JSON},
)
OVERLAY = st.fixed_dictionaries(
    {"schema_version": st.sampled_from(["1.0", "2.0"]), "doc_id": st.sampled_from([DOC.doc_id, "nope", "../etc"]),
     "annotator": st.sampled_from(["ann", "../x"]), "text_sha256": st.sampled_from([DOC.text_sha256, "0" * 64, "zz"]),
     "ops": st.lists(OP, max_size=5)},
    optional={"scope": st.sampled_from(["partial", "complete", "x"]), "extra": JSON},
)


def load_and_apply(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "000_609d6079c7c3312f.ann.json"
        path.write_bytes(content)
        try:
            overlay, problems = load_overlay(path, ROOT / "schema", {"ann"})
            if overlay is None:
                assert problems
                return
            found = check_overlay(overlay, DOC, LABELS)
            bad = {p.op_id for p in found}
            ops = [op for op in ordered_ops([overlay]) if op.id not in bad]
            if not any(p.op_id is None for p in found):
                assert_applied_layer_is_sound(ops)
        except CorpusError:
            pass  # the project's own error type is the only acceptable exception


def assert_applied_layer_is_sound(ops) -> None:
    """What applying checked ops must give, whatever they were: entities whose text is the
    document's text at their offsets, sorted, non-overlapping unless a conflict is reported,
    each traceable to the model or to an op, and the same layer when applied again."""
    entities, conflicts = apply_ops(DOC.text, DOC.model_entities, ops)
    assert all(0 <= e.start < e.end <= len(DOC.text) and e.text == DOC.text[e.start:e.end] for e in entities)
    assert [(e.start, e.end) for e in entities] == sorted((e.start, e.end) for e in entities)
    overlapping = any(b.start < a.end for a, b in zip(entities, entities[1:]))
    assert not overlapping or any(p.code == "E421" for p in conflicts)
    model = {(e.start, e.end) for e in DOC.model_entities}
    touched = {(op.start, op.end) for op in ops}
    assert all((e.start, e.end) in model | touched for e in entities)
    if not conflicts:
        again, more = apply_ops(DOC.text, entities, ops)
        assert more == [] and [(e.start, e.end, e.label) for e in again] == [(e.start, e.end, e.label) for e in entities]


@SETTINGS
@given(JSON)
def test_overlay_loader_survives_any_json(value):
    load_and_apply(json.dumps(value).encode())


@SETTINGS
@given(OVERLAY)
def test_overlay_loader_survives_near_valid_overlays(value):
    load_and_apply(json.dumps(value).encode())


@SETTINGS
@given(st.binary(max_size=200))
def test_overlay_loader_survives_any_bytes(data: bytes):
    load_and_apply(data)


# valid ops on token boundaries, so that applying (not only loading) is what is exercised
TOKEN = st.integers(0, len(DOC.tokens) - 1)


@st.composite
def valid_ops(draw):
    from corpus_builder.annotation.overlay import Op

    ops = []
    for i in range(draw(st.integers(1, 6))):
        a = draw(TOKEN)
        b = draw(st.integers(a, min(a + 3, len(DOC.tokens) - 1)))
        start, end = DOC.tokens[a][0], DOC.tokens[b][1]
        kind = draw(st.sampled_from(["add", "add", "remove"]))
        label = draw(st.sampled_from(LABELS))
        ops.append(Op(f"op-{i}", kind, "f.json", f"/ops/{i}", "ann", start, end, DOC.text[start:end],
                      label if kind == "add" else None, None))
    return ops


@SETTINGS
@given(valid_ops())
def test_applying_valid_ops_gives_a_sound_layer(ops):
    assert_applied_layer_is_sound(ops)
    entities, conflicts = apply_ops(DOC.text, DOC.model_entities, ops)
    if not conflicts:
        added = {(op.start, op.end, op.label) for op in ops if op.kind == "add"}
        removed = {(op.start, op.end) for op in ops if op.kind == "remove"}
        got = {(e.start, e.end, e.label) for e in entities}
        assert added <= got
        assert not any((s, e) in removed for s, e, _ in got)
