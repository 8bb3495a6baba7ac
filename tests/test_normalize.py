import unicodedata
from importlib.metadata import version
from pathlib import Path

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import AGENCIES
from corpus_builder.cache import Store
from corpus_builder.errors import CorpusError
from corpus_builder.io import sha256_text, source_sha256
from corpus_builder.records import Document, Edit
from corpus_builder.stages import normalize as normalize_module
from corpus_builder.stages.normalize import Normalizer, fingerprint
from corpus_builder.text import edits as edits_module, rules as rules_module
from corpus_builder.text.edits import EditableText, OffsetMap, apply_edits, raw_offsets
from corpus_builder.text.rules import (RULES, _PRINTABLE_ASCII, FTFY_CONFIG, _diff_spans, _whole_line,
                                       agency_credit_line, agency_patterns, copyright_footer, extract_agencies,
                                       extract_title, html_markup, image_credit, paragraph_breaks, whitespace)

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


# --- the edit algebra: exact edits, not only the right text -------------------------------------------------


def edits_of(text: EditableText) -> list[tuple[int, int, str, str]]:
    return [(e.raw_start, e.raw_end, e.replacement, e.rule) for e in text.edits()]


def test_edits_are_minimal_and_keep_the_untouched_pieces_out():
    text = EditableText("abcdef")
    assert text.apply([(1, 2, "B"), (4, 5, "E")], "one") == 2
    assert text.apply([(2, 3, "C")], "two") == 1  # between two replaced pieces: a piece of its own
    assert text.text == "aBCdEf"
    assert edits_of(text) == [(1, 2, "B", "one"), (2, 3, "C", "two"), (4, 5, "E", "one")]


def test_edit_inside_a_replaced_piece_rewrites_that_piece_only():
    text = EditableText("ab123cd")
    text.apply([(2, 5, "XYZ")], "one")
    text.apply([(3, 4, "q")], "two")      # inside the replacement: prefix X, suffix Z kept
    assert text.text == "abXqZcd"
    assert edits_of(text) == [(2, 5, "XqZ", "one+two")]


def test_a_piece_edited_back_to_its_raw_text_is_no_edit():
    text = EditableText("abc")
    text.apply([(0, 1, "X")], "one")
    text.apply([(0, 1, "a")], "two")
    assert text.text == "abc" and text.edits() == []


def test_composed_rule_names_are_listed_once_in_piece_order():
    text = EditableText("abcdef")
    text.apply([(1, 2, "B")], "one")                  # a B cdef
    text.apply([(0, 2, "AB"), (3, 4, "D")], "two")    # AB(one+two) c D(two) ef
    assert edits_of(text) == [(0, 2, "AB", "one+two"), (3, 4, "D", "two")]
    text.apply([(1, 4, "")], "three")                 # reaches into both replaced pieces
    assert text.text == "Aef"
    assert edits_of(text) == [(0, 4, "A", "one+two+three")]


def test_insertions_next_to_and_inside_replaced_pieces():
    inside = EditableText("abc")
    inside.apply([(0, 3, "XYZ")], "one")
    inside.apply([(1, 1, "-")], "two")     # inside a replacement: joins it
    assert inside.text == "X-YZ" and edits_of(inside) == [(0, 3, "X-YZ", "one+two")]

    before, after = EditableText("abcd"), EditableText("abcd")
    before.apply([(0, 3, "XYZ")], "one")
    before.apply([(0, 0, "-")], "two")      # at its start: an insertion of its own, before it
    assert before.text == "-XYZd" and edits_of(before) == [(0, 0, "-", "two"), (0, 3, "XYZ", "one")]
    after.apply([(0, 3, "XYZ")], "one")
    after.apply([(3, 3, "-")], "two")       # at its end: before the next raw character
    assert after.text == "XYZ-d" and edits_of(after) == [(0, 3, "XYZ", "one"), (3, 3, "-", "two")]


def test_insertion_after_a_deletion_anchors_on_the_next_raw_character():
    text = EditableText("abcd")
    text.apply([(1, 2, "")], "drop")
    text.apply([(1, 1, "X")], "add")        # the empty deleted piece is no anchor
    assert text.text == "aXcd"
    assert edits_of(text) == [(1, 2, "", "drop"), (2, 2, "X", "add")]
    assert apply_edits("abcd", text.edits()) == "aXcd"


def test_insertions_at_the_end_and_into_an_empty_text():
    text = EditableText("abc")
    text.apply([(1, 2, "B")], "one")
    text.apply([(3, 3, "!")], "two")
    assert text.text == "aBc!" and edits_of(text) == [(1, 2, "B", "one"), (3, 3, "!", "two")]
    empty = EditableText("")
    assert empty.apply([(0, 0, "x")], "r") == 1
    assert empty.text == "x" and edits_of(empty) == [(0, 0, "x", "r")]


def test_touching_and_overlapping_deletions_are_one_deletion():
    overlapping = EditableText("one\ntwo\nthree")
    assert overlapping.apply([(0, 4, ""), (3, 8, "")], "lines") == 1  # two lines sharing a newline
    assert overlapping.text == "three" and edits_of(overlapping) == [(0, 8, "", "lines")]
    touching = EditableText("abcdef")
    assert touching.apply([(0, 2, ""), (2, 4, "")], "r") == 1
    assert edits_of(touching) == [(0, 4, "", "r")]
    contained = EditableText("abcdef")
    assert contained.apply([(0, 4, ""), (1, 2, "")], "r") == 1
    assert edits_of(contained) == [(0, 4, "", "r")]
    # a deletion next to a replacement is not merged into it
    mixed = EditableText("abcdef")
    assert mixed.apply([(0, 2, ""), (2, 4, "X")], "r") == 2
    assert edits_of(mixed) == [(0, 2, "", "r"), (2, 4, "X", "r")]


def test_overlapping_edits_from_one_rule_are_refused():
    with pytest.raises(ValueError, match=r"rule bad proposed overlapping edits at 0\.\.3 and 2"):
        EditableText("abcdef").apply([(0, 3, "x"), (2, 4, "y")], "bad")
    with pytest.raises(ValueError, match=r"rule bad proposed overlapping edits at 4\.\.6 and 5"):
        EditableText("abcdef").apply([(0, 1, "x"), (4, 6, "y"), (5, 6, "z")], "bad")
    with pytest.raises(ValueError, match="overlapping"):  # an insertion and an edit at one point: order unknown
        EditableText("abcdef").apply([(2, 2, "y"), (2, 4, "x")], "bad")
    text = EditableText("abcdef")  # an insertion, then an edit further on: fine
    assert text.apply([(2, 2, "y"), (3, 4, "x")], "ok") == 2
    assert text.text == "abycxef"


def test_apply_edits_refuses_edits_out_of_order_or_range():
    ok = [Edit(1, 2, "B", "r")]
    assert apply_edits("abc", ok) == "aBc"
    for bad in ([Edit(1, 5, "x", "r")], [Edit(2, 3, "", "r"), Edit(0, 1, "", "r")], [Edit(2, 1, "", "r")]):
        with pytest.raises(ValueError, match=rf"edits out of order or out of range at raw {bad[-1].raw_start}\.\."):
            apply_edits("abc", bad)


def test_offset_map_copied_replaced_and_end_points():
    raw = "ab12cdef"
    edits = [Edit(2, 4, "XY", "r"), Edit(5, 6, "", "r")]  # published "abXYcef"
    m = OffsetMap(len(raw), edits)
    assert apply_edits(raw, edits) == "abXYcef" and m.published_length == 7
    assert m.to_raw(0, 2) == (0, 2) and m.to_raw(1, 2) == (1, 2)  # copied, before the first edit
    assert m.to_raw(5, 7) == (6, 8) and m.to_raw(5, 6) == (6, 7)  # copied, after the last edit
    assert m.to_raw(3, 3) == (2, 2)        # an empty span inside a replacement stays empty
    assert m.to_raw(3, 4) == (2, 4)        # a boundary inside a replacement goes to its edges
    assert m.to_raw(7, 7) == (8, 8)        # the end of the text
    assert m.to_published(0, 8) == (0, 7)
    with pytest.raises(ValueError, match=r"span \[3, 8\) outside the text"):
        m.to_raw(3, 8)
    with pytest.raises(ValueError, match="outside the text"):
        m.to_published(5, 4)
    start = OffsetMap(6, [Edit(0, 2, "X", "r")])  # published "Xcdef"
    assert start.to_raw(5, 5) == (6, 6) and start.to_raw(1, 3) == (2, 4)
    empty = OffsetMap(0, [])
    assert empty.published_length == 0 and empty.to_raw(0, 0) == (0, 0) and empty.to_published(0, 0) == (0, 0)


# --- the rules, called on their own: the exact edits each proposes ----------------------------------------

WIRE = agency_patterns(tuple(sorted(set(AGENCIES))))
NO_AGENCIES = agency_patterns(())


def test_diff_spans_trims_common_ends_and_diffs_the_rest():
    assert _diff_spans("abcXdef", "abcYdef", 10) == [(13, 14, "Y")]
    assert _diff_spans("abcX", "abcY", 0) == [(3, 4, "Y")]          # the last character differs
    assert _diff_spans("Xabc", "Yabc", 5) == [(5, 6, "Y")]          # the first character differs
    assert _diff_spans("aa", "aaa", 0) == [(2, 2, "a")]             # common ends never overlap
    assert _diff_spans("aaa", "a", 4) == [(5, 7, "")]
    assert _diff_spans("abXcdYef", "ab1cd2ef", 0) == [(2, 3, "1"), (5, 6, "2")]  # equal middle: no edit
    # difflib without its "popular character" heuristic: the long common run is kept
    assert _diff_spans("Q" + "x" * 300 + "R", "S" + "x" * 300 + "T", 0) == [(0, 1, "S"), (301, 302, "T")]


def test_diff_spans_beyond_the_limit_is_one_replacement():
    big = "ab" * 5_001                       # 10,002 characters after "a" is trimmed: 10,001 > limit
    assert _diff_spans("a" + big, "a" + "Xa", 3) == [(4, 4 + len(big), "Xa")]
    assert _diff_spans("Xa", big, 3) == [(3, 5, big)]
    # common ends are trimmed before the limit applies: one replacement of the middle only
    assert _diff_spans("a" + big + "YZ", "a" + "Xa" + "YZ", 0) == [(1, 1 + len(big), "Xa")]
    at_limit = "b" + "ab" * 4_999 + "b"    # exactly 10,000 characters: still diffed character by character
    assert len(at_limit) == 10_000
    assert len(_diff_spans(at_limit, "Xa", 0)) > 1
    assert len(_diff_spans("Xa", at_limit, 0)) > 1


def test_whole_line_swallows_the_following_newline_else_the_preceding():
    assert _whole_line("a\nbc\nd", 2, 4) == (2, 5)
    assert _whole_line("a\nbc", 2, 4) == (1, 4)
    assert _whole_line("\nbc", 1, 3) == (0, 3)
    assert _whole_line("bc", 0, 2) == (0, 2)


def test_copyright_footer_rule():
    meta: dict = {}
    assert copyright_footer("Body.\nCOPYRIGHT 2020 Daily X.", meta) == [(5, 29, "")]
    assert meta == {"publisher": "Daily X"}
    kept = {"publisher": "Stated"}
    assert copyright_footer("© 2014 Other Ltd.", kept) == [(0, 17, "")] and kept == {"publisher": "Stated"}
    long_line = "© " + "x" * 198
    assert len(long_line) == 200 and copyright_footer(long_line, {}) == []  # a paragraph, not a footer
    assert copyright_footer(long_line[:199], {}) == [(0, 199, "")]
    assert copyright_footer("It was copyright 2014 news.", {}) == []


def test_agency_rules_without_agencies_find_nothing():
    assert agency_credit_line("Body.\n- AFP", {}, NO_AGENCIES) == []
    assert image_credit("A caption. Photo / AFP", {}, NO_AGENCIES) == []
    meta: dict = {}
    extract_agencies("Gaza-AFP. Text.", meta, ())
    assert meta == {}


def test_image_credit_rule():
    meta: dict = {}
    text = "[Image by Ann]\nA caption. Photo / AFP\nB Photo / AP\n Photo / AP"
    assert image_credit(text, meta, WIRE) == [(0, 15, ""), (25, 37, ""), (39, 50, "")]
    assert meta == {"image_credits": ["Ann", "AFP", "AP"]}


def test_extract_agencies_from_dateline_and_quotes():
    meta: dict = {}
    extract_agencies("Gaza City-AFP. Talks began. Reuters reports quoting AP sources. AFP reports it.", meta,
                     tuple(AGENCIES))
    assert meta == {"agencies": ["AFP", "Reuters", "AP"]}


def test_extract_title_edge_cases():
    assert extract_title("Title\n\nBody one\n\nBody two.") == "Title"
    assert extract_title("Line one\nline two\n\nBody.") is None
    assert extract_title("T" * 150 + "\n\nBody.") == "T" * 150
    assert extract_title("T" * 151 + "\n\nBody.") is None


def test_html_markup_rule():
    assert html_markup("Fish &amp; chips, a < b", {}) == []  # no tags: entities and brackets left alone
    text = "<!--c--><p>A&nbsp;<B>b</B> &bogus; &amp;</P>"
    assert html_markup(text, {}) == [(0, 8, ""), (8, 11, "\n\n"), (18, 21, ""), (22, 26, ""),
                                      (40, 44, "\n\n"), (12, 18, " "), (35, 40, "&")]
    assert html_markup("<script>x</script><b>&amp;</b>", {}) == [(0, 18, ""), (18, 21, ""), (26, 30, ""),
                                                                (21, 26, "&")]
    assert html_markup("<!--<p>&amp;</p>-->x", {}) == [(0, 19, "")]  # markup inside a comment goes with it


def test_whitespace_rule():
    assert whitespace("  x", {}) == [(0, 2, "")]
    assert whitespace("a\n  x  y \n", {}) == [(5, 7, " "), (2, 4, ""), (8, 9, "")]
    assert whitespace("a\n   \nb", {}) == [(2, 5, "")]
    assert whitespace("a\n\u2003\nX", {}) == []  # only spaces, tabs and no-break spaces count


def test_paragraph_breaks_rule():
    assert paragraph_breaks("a\n\nb", {}) == []
    assert paragraph_breaks("\na\nb\n\n\nc\n", {}) == [(0, 1, ""), (2, 3, "\n\n"), (4, 7, "\n\n"), (8, 9, "")]


# --- the stage: metadata sources, dropped documents, the cache ---------------------------------------------


def test_metadata_says_where_each_value_came_from():
    dateline = roundtrip("Gaza City-AFP. Talks began, officials said.")
    assert dateline.metadata["agencies"] == ["AFP"] and dateline.metadata["title"] is None
    assert dateline.metadata_sources == {"agencies": "text:credit"}
    assert dateline.text_sha256 == sha256_text(dateline.text)
    credited = roundtrip("Ban arrives in Gaza\n\nTalks began.\n\n[Image by Ann]\n\n- AP")
    assert credited.metadata["title"] == "Ban arrives in Gaza"
    assert (credited.metadata["agencies"], credited.metadata["image_credits"]) == (["AP"], ["Ann"])
    assert credited.metadata_sources == {"title": "text:first_line", "agencies": "text:agency_credit_line",
                                         "image_credits": "text:image_credit"}
    plain = roundtrip("Talks began, officials said.")
    assert plain.metadata_sources == {} and plain.metadata["agencies"] == []


def test_input_metadata_wins_over_extraction():
    doc = Document("d", "d.txt", "", "Ban arrives in Gaza\n\nTalks began.", input_metadata={"title": "Stated"})
    doc = Normalizer(agencies=AGENCIES).normalize(doc)
    assert doc.metadata["title"] == "Stated" and doc.metadata_sources["title"] == "input"


def test_stage_drops_empty_documents_with_a_located_error_and_counts_them():
    n = Normalizer(agencies=AGENCIES)
    docs = [Document("a", "a.txt", "", "© 2014 X Ltd.\n"), Document("b", "b.txt", "", "Text stays."),
            Document("c", "c.txt", "", "  \n\n", origin="seeds/c.txt")]
    assert [d.doc_id for d in n(docs)] == ["b"]
    assert [(p.code, p.file) for p in n.problems] == [("E103", "a.txt"), ("E103", "seeds/c.txt")]
    assert n.stats.dropped == {"E103": 2} and n.stats.kept == 1


def test_stats_add_up_over_documents():
    n = Normalizer(agencies=AGENCIES)
    for i, raw in enumerate(["a  b\r\nc  d", "e  f\r\n"]):
        n.normalize(Document(str(i), f"{i}.txt", "", raw))
    assert n.stats.edits["whitespace"] == 3 and n.stats.documents["whitespace"] == 2
    assert n.stats.edits["line_endings"] == 2 and n.stats.documents["line_endings"] == 2
    n.stats.dropped["E103"] += 1
    assert n.stats.summary() == {"kept": 2, "dropped_E103": 1, "edits_line_endings": 2, "edits_paragraph_breaks": 2,
                                 "edits_whitespace": 3}


def test_fingerprint_names_everything_the_output_depends_on():
    """The normalize cache's key: this stage's, the rules' and the edit algebra's code, ftfy's
    version, Python's Unicode tables and the corpus's agencies (a set: order and repeats don't count)."""
    assert fingerprint(("AP", "AFP", "AP")) == {
        "normalize": source_sha256(normalize_module.__file__), "rules": source_sha256(rules_module.__file__),
        "edits": source_sha256(edits_module.__file__), "ftfy": version("ftfy"),
        "unicodedata": unicodedata.unidata_version, "agencies": sha256_text("AFP\nAP")}
    assert fingerprint(()) != fingerprint(("AP",))


def test_cache_stores_the_result_and_a_hit_skips_normalization(tmp_path, monkeypatch):
    store = Store(tmp_path, fingerprint(tuple(AGENCIES)))
    raw = "Ban arrives in Gaza\n\nTalks  began.\n\n- AP\n"
    first = Normalizer(cache=store, agencies=AGENCIES)
    done = first.normalize(Document("a", "a.txt", "raw-sha", raw))
    assert store.get(store.key("raw-sha")) == {
        "text": done.text, "text_sha256": done.text_sha256,
        "edits": [[e.raw_start, e.raw_end, e.replacement, e.rule] for e in done.edits],
        "metadata": done.metadata, "sources": done.metadata_sources,
        "rules": {"agency_credit_line": 1, "whitespace": 1, "paragraph_breaks": 1}}

    def fail(*_):
        raise AssertionError("normalized again despite the cache")
    monkeypatch.setattr(Normalizer, "_normalize", fail)
    second = Normalizer(cache=store, agencies=AGENCIES)
    again = second.normalize(Document("b", "b.txt", "raw-sha", raw, input_metadata={"event": "talks"}))
    assert (again.text, again.text_sha256, again.edits) == (done.text, done.text_sha256, done.edits)
    assert again.metadata == {**done.metadata, "event": "talks"}
    assert again.metadata_sources == {**done.metadata_sources, "event": "input"}
    assert (second.stats.edits, second.stats.documents) == (first.stats.edits, first.stats.documents)


def test_cache_is_only_for_the_default_rules_and_known_raw_text(tmp_path):
    store = Store(tmp_path, fingerprint(tuple(AGENCIES)))
    Normalizer(rules=RULES[:1], cache=store).normalize(Document("a", "a.txt", "raw-sha", "x  y"))
    Normalizer(cache=store).normalize(Document("b", "b.txt", "", "x  y"))  # no raw checksum: no key
    assert store.counts["writes"] == 0 and not any(tmp_path.iterdir())


def test_an_earlier_deletion_at_an_edge_stays_an_edit_of_its_own():
    at_start = EditableText("abcdef")
    at_start.apply([(2, 3, "")], "drop")     # abdef
    at_start.apply([(2, 4, "X")], "swap")    # starts where the deletion was
    assert at_start.text == "abXf" and edits_of(at_start) == [(2, 3, "", "drop"), (3, 5, "X", "swap")]
    at_end = EditableText("abcdef")
    at_end.apply([(3, 4, "")], "drop")       # abcef
    at_end.apply([(1, 3, "X")], "swap")      # ends where the deletion was
    assert at_end.text == "aXef" and edits_of(at_end) == [(1, 3, "X", "swap"), (3, 4, "", "drop")]
