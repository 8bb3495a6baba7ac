import pytest

from corpus_builder.release.rows import iob_names, iob_tags, ner_rows
from corpus_builder.records import Document, Entity

LABELS = ["GPE", "PERSON"]


def make_doc() -> Document:
    text = "Ban Ki-moon visited Gaza City. He left."
    d = Document("d", "d.txt", "", text, text=text)
    d.tokens = [(0, 3), (4, 11), (12, 19), (20, 24), (25, 29), (29, 30), (31, 33), (34, 38), (38, 39)]
    d.sentences = [(0, 30), (31, 39)]
    d.entities = [Entity(0, 11, "Ban Ki-moon", "PERSON"), Entity(20, 29, "Gaza City", "GPE")]
    return d


def test_iob_names_order():
    assert iob_names(LABELS) == ["O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON"]


def test_ner_rows_tag_entities_in_iob2():
    rows = ner_rows(make_doc(), LABELS)
    names = iob_names(LABELS)
    assert [r["id"] for r in rows] == ["d-0000", "d-0001"]
    assert rows[0]["tokens"] == ["Ban", "Ki-moon", "visited", "Gaza", "City", "."]
    assert [names[t] for t in rows[0]["ner_tags"]] == ["B-PERSON", "I-PERSON", "O", "B-GPE", "I-GPE", "O"]
    assert [names[t] for t in rows[1]["ner_tags"]] == ["O", "O", "O"]


def test_misaligned_entity_is_a_bug_not_silence():
    d = make_doc()
    d.entities = [Entity(1, 11, "an Ki-moon", "PERSON")]
    try:
        iob_tags(d.tokens[:6], d, LABELS)
    except ValueError as exc:
        assert "does not align" in str(exc)
    else:
        raise AssertionError("misaligned entity was accepted")


def test_an_entity_across_a_sentence_boundary_is_a_bug_not_silence():
    d = make_doc()
    d.entities = [Entity(25, 33, "City. He", "GPE")]
    try:
        ner_rows(d, LABELS)
    except ValueError as exc:
        assert "does not align" in str(exc)
    else:
        raise AssertionError("an entity across two sentences was accepted")


# --- boundaries of one sentence's tags (iob_tags on a sentence's own tokens) -------------------------------

def tail_doc() -> Document:
    """Two sentences, each ending on an entity (no full stop): entity ends meet sentence ends."""
    text = "He met Ban Ki-moon Gaza 9 hosted Apollo 9"
    d = Document("t", "t.txt", "", text, text=text)
    d.tokens = [(0, 2), (3, 6), (7, 10), (11, 18), (19, 23), (24, 25), (26, 32), (33, 39), (40, 41)]
    d.sentences = [(0, 18), (19, 41)]
    d.entities = [Entity(7, 18, "Ban Ki-moon", "PERSON"), Entity(19, 25, "Gaza 9", "GPE"),
                  Entity(33, 41, "Apollo 9", "GPE")]
    return d


def tags(d: Document, tokens, **kw) -> list[str]:
    names = iob_names(LABELS)
    return [names[t] for t in iob_tags(tokens, d, LABELS, **kw)]


def test_an_entity_on_a_sentences_last_token_is_tagged():
    d = tail_doc()
    assert tags(d, d.tokens[:4]) == ["O", "O", "B-PERSON", "I-PERSON"]


def test_an_entity_ending_in_a_one_character_token_keeps_it():
    d = tail_doc()
    assert tags(d, d.tokens[4:]) == ["B-GPE", "I-GPE", "O", "B-GPE", "I-GPE"]


def test_entities_of_other_sentences_are_skipped_whichever_comes_first():
    d = tail_doc()
    # the first sentence's entity ends where the second sentence starts (touching, not overlapping)
    d.entities = [Entity(7, 19, "Ban Ki-moon ", "PERSON"), Entity(19, 25, "Gaza 9", "GPE")]
    assert tags(d, d.tokens[4:]) == ["B-GPE", "I-GPE", "O", "O", "O"]
    # one that starts where the first sentence ends is skipped there, and the next still tagged
    d.entities = [Entity(18, 25, " Gaza 9", "GPE"), Entity(7, 18, "Ban Ki-moon", "PERSON")]
    assert tags(d, d.tokens[:4]) == ["O", "O", "B-PERSON", "I-PERSON"]


def test_the_entities_given_are_the_ones_tagged():
    d = tail_doc()
    assert tags(d, d.tokens[4:], entities=[]) == ["O"] * 5
    assert tags(d, d.tokens[4:], entities=[d.entities[2]]) == ["O", "O", "O", "B-GPE", "I-GPE"]


@pytest.mark.parametrize("start,end", [
    (8, 18),  # starts inside a token
    (7, 16),  # ends inside a token
    (5, 18),  # starts before the sentence's tokens it covers (inside "met")
    (11, 21),  # runs past the sentence's end into the next
])
def test_an_entity_that_does_not_cover_whole_tokens_of_the_sentence_is_refused(start, end):
    d = tail_doc()
    d.entities = [Entity(start, end, d.text[start:end], "PERSON")]
    with pytest.raises(ValueError, match="does not align"):
        iob_tags(d.tokens[:4], d, LABELS)


def test_an_entity_starting_inside_the_last_token_is_refused_not_an_index_error():
    d = tail_doc()
    d.entities = [Entity(13, 18, "Ki-moon"[2:], "PERSON")]
    with pytest.raises(ValueError, match="does not align"):
        iob_tags(d.tokens[:4], d, LABELS)


def test_an_entity_before_the_sentence_reaching_into_it_is_refused():
    d = tail_doc()
    d.entities = [Entity(11, 23, "Ki-moon Gaza", "PERSON")]
    with pytest.raises(ValueError, match="does not align"):
        iob_tags(d.tokens[4:], d, LABELS)


def test_ner_rows_of_sentences_ending_on_entities():
    rows = ner_rows(tail_doc(), LABELS)
    names = iob_names(LABELS)
    assert rows == [
        {"id": "t-0000", "doc_id": "t", "sentence_index": 0, "start": 0, "end": 18,
         "tokens": ["He", "met", "Ban", "Ki-moon"], "token_starts": [0, 3, 7, 11], "token_ends": [2, 6, 10, 18],
         "ner_tags": [names.index(t) for t in ("O", "O", "B-PERSON", "I-PERSON")]},
        {"id": "t-0001", "doc_id": "t", "sentence_index": 1, "start": 19, "end": 41,
         "tokens": ["Gaza", "9", "hosted", "Apollo", "9"], "token_starts": [19, 24, 26, 33, 40],
         "token_ends": [23, 25, 32, 39, 41],
         "ner_tags": [names.index(t) for t in ("B-GPE", "I-GPE", "O", "B-GPE", "I-GPE")]},
    ]
