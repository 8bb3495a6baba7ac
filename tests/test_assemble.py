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
