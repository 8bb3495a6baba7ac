from pathlib import Path

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_builder.records import Document
from corpus_builder.errors import CorpusError
from conftest import AGENCIES
from corpus_builder.stages.normalize import Normalizer
from corpus_builder.text.edits import EditableText, apply_edits, raw_offsets
from corpus_builder.text.rules import _PRINTABLE_ASCII, FTFY_CONFIG, extract_title

ROOT = Path(__file__).resolve().parents[1]


def normalize(raw: str) -> Document:
    return Normalizer(agencies=AGENCIES).normalize(Document("d", "d.txt", "", raw))


def roundtrip(raw: str) -> Document:
    doc = normalize(raw)
    assert apply_edits(raw, doc.edits) == doc.text
    offsets = raw_offsets(raw, doc.edits)
    assert len(offsets) == len(doc.text)
    assert offsets == sorted(offsets) and all(0 <= o <= len(raw) for o in offsets)
    return doc


@pytest.mark.parametrize("path", sorted((ROOT / "seeds").glob("*.txt")), ids=lambda p: p.stem)
def test_edits_reproduce_every_seed(path: Path):
    raw = path.read_text(encoding="utf-8")
    doc = roundtrip(raw)
    # copied characters really are the raw characters they map to
    offsets = raw_offsets(raw, doc.edits)
    replaced = {i for e in doc.edits for i in range(e.raw_start, e.raw_end)}
    for i, o in enumerate(offsets):
        if o not in replaced and not any(e.raw_start == o and e.replacement for e in doc.edits):
            assert doc.text[i] == raw[o]


def test_mojibake_is_repaired_and_recorded():
    doc = roundtrip("Gazaâ€™s borders must be opened, he said.")
    assert doc.text == "Gaza’s borders must be opened, he said."
    assert [e.rule for e in doc.edits] == ["fix_unicode"]


def test_curly_quotes_and_spelling_are_kept():
    raw = "He said: “I condemn this.” The future cease- fire agreement, militarised."
    assert roundtrip(raw).text == raw


def test_nfc_crlf_and_whitespace():
    doc = roundtrip("Cafe\u0301  news\r\nline two  \r\n\r\n\r\nlast\tline\r\n")
    assert doc.text == "Café news\n\nline two\n\nlast line"
    assert {"unicode_nfc", "line_endings", "whitespace", "paragraph_breaks"} <= {
        r for e in doc.edits for r in e.rule.split("+")}


def test_boilerplate_removed_and_metadata_kept():
    raw = (
        " date 2021-05-12 UN chief speaks.\n\n"
        "A caption here.Photo / AP\nA caption here.Photo / AP\n\n"
        "Body text stays.\n\n- AFP\n\n"
        "© Copyright 2014, APN New Zealand Limited\n\n"
        "Assembled by: (static) on production apcf05 at 23 Nov 2014 19:21:38 Processing Time: 601ms"
    )
    doc = roundtrip(raw)
    assert doc.text == "UN chief speaks.\n\nA caption here.\n\nBody text stays."
    assert doc.metadata["published"] == "2021-05-12"
    assert doc.metadata["publisher"] == "APN New Zealand Limited"
    assert doc.metadata["agencies"] == ["AFP"]
    assert doc.metadata["image_credits"] == ["AP"]
    assert doc.metadata["title"] is None  # the first paragraph is a sentence, not a headline
    assert doc.metadata_sources["published"] == "text:inline_date_header"


def test_glued_sentence_gets_its_space():
    doc = roundtrip("Ban will visit within days.Photographers gathered. U.S.Army stays.")
    assert doc.text == "Ban will visit within days. Photographers gathered. U.S.Army stays."


def test_image_line_and_source_credit():
    doc = roundtrip("Text one.\n\nA soldier takes cover. Source: Associated Press\n\nEnd.\n\n[Image by Danny-w]")
    assert doc.text == "Text one.\n\nA soldier takes cover.\n\nEnd."
    assert doc.metadata["image_credits"] == ["Associated Press", "Danny-w"]


def test_unstated_metadata_is_null():
    doc = roundtrip("Israel and Hamas agreed to talk, officials said.")
    assert {k: doc.metadata[k] for k in ("title", "published", "publisher", "event")} == dict.fromkeys(
        ("title", "published", "publisher", "event"))


def test_title_rule():
    assert extract_title("Ban Ki moon heading to Gaza\n\nBody.") == "Ban Ki moon heading to Gaza"
    assert extract_title("A full sentence.\n\nBody.") is None
    assert extract_title("Only one paragraph") is None


def test_only_boilerplate_is_rejected():
    with pytest.raises(CorpusError) as exc:
        normalize("© Copyright 2014, APN New Zealand Limited\n\n   \n")
    assert exc.value.problems[0].code == "E103"


def test_editable_text_composes_overlapping_rules():
    text = EditableText("abc def ghi")
    text.apply([(4, 7, "DEF!")], "one")          # abc DEF! ghi
    text.apply([(2, 6, "")], "two")              # reaches into the replaced piece
    text.apply([(0, 0, ">")], "three")           # insertion at the start
    assert text.text == ">abF! ghi"
    assert apply_edits("abc def ghi", text.edits()) == text.text
    assert [e.rule for e in text.edits()] == ["three", "one+two"]


def test_normalizer_counts_rules():
    n = Normalizer(agencies=AGENCIES)
    n.normalize(Document("a", "a.txt", "", "x  y\r\n"))
    n.normalize(Document("b", "b.txt", "", "x y"))
    assert n.stats.documents["whitespace"] == 1 and n.stats.edits["line_endings"] == 1 and n.stats.kept == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=80))
def test_ftfy_leaves_printable_ascii_alone_which_the_fast_path_relies_on(line: str):
    """fix_unicode skips lines of printable ASCII; that is only right while ftfy, with
    our config, would return them unchanged (checked against whatever ftfy is installed)."""
    if _PRINTABLE_ASCII.fullmatch(line):
        assert ftfy.fix_text(line, FTFY_CONFIG) == line
    else:  # a control character: ftfy may act, so the fast path must not take it
        assert any(c not in "\t" and not " " <= c <= "~" for c in line)
