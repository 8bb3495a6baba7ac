import pytest

from corpus_builder.release.rows import (assemble, card_features, config_schemas, document_features, document_row,
                                         iob_names, iob_tags, ner_features, ner_rows)
from corpus_builder.records import Document, Edit, Entity, OpRef

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


# --- the documents row and both configs' features: the on-disk contract (docs/data-format.md) ----------

def full_doc() -> Document:
    d = make_doc()
    d.raw_sha256, d.text_sha256 = "r" * 64, "t" * 64
    d.edits = [Edit(5, 6, "", "whitespace")]
    d.metadata = {"title": "A title", "published": "2014-07-20", "publisher": "Pub", "url": "https://x.test/a",
                  "agencies": ["AFX"], "image_credits": ["Photo: A. Person"], "event": "ev-1"}
    d.metadata_sources = {"title": "manual:maintainer-a:op-1", "published": "text:dateline"}
    d.entities = [Entity(0, 11, "Ban Ki-moon", "PERSON", "manual",
                         (OpRef("maintainer-a", "op-2", "a" * 64), OpRef("maintainer-b", "op-9", "b" * 64),
                          OpRef("maintainer-a", "op-3", "a" * 64)), "Q1253"),
                  Entity(20, 29, "Gaza City", "GPE")]
    return d


def test_a_documents_row_states_every_field():
    row = document_row(full_doc(), LABELS, default_license="CC-BY-4.0", model="m 1.0")
    assert row == {
        "doc_id": "d", "title": "A title", "text": make_doc().text, "published": "2014-07-20",
        "publisher": "Pub", "license": "CC-BY-4.0", "url": "https://x.test/a", "agencies": ["AFX"],
        "image_credits": ["Photo: A. Person"], "event": "ev-1", "group": "ev-1", "source_file": "d.txt",
        "raw_sha256": "r" * 64, "text_sha256": "t" * 64,
        # sorted by field; the licence's source is the corpus default, since the document states none
        "metadata_sources": [{"field": "license", "source": "default:corpus.toml"},
                             {"field": "published", "source": "text:dateline"},
                             {"field": "title", "source": "manual:maintainer-a:op-1"}],
        "edits": [{"raw_start": 5, "raw_end": 6, "replacement": "", "rule": "whitespace"}],
        "sentences": [{"start": 0, "end": 30}, {"start": 31, "end": 39}],
        "entities": [
            {"start": 0, "end": 11, "text": "Ban Ki-moon", "label": 1, "kb_id": "Q1253", "source": "manual",
             "model": None, "annotators": "maintainer-a maintainer-b",
             "op_ids": "maintainer-a/op-2 maintainer-b/op-9 maintainer-a/op-3",
             "overlay_sha256": " ".join(["a" * 64, "b" * 64, "a" * 64])},
            {"start": 20, "end": 29, "text": "Gaza City", "label": 0, "kb_id": None, "source": "model",
             "model": "m 1.0", "annotators": None, "op_ids": None, "overlay_sha256": None},
        ],
    }
    document_features(LABELS).encode_example(row)  # the row fits its features


def test_a_documents_own_licence_wins_and_no_default_leaves_it_unstated():
    d = full_doc()
    d.metadata["license"] = "CC0-1.0"
    row = document_row(d, LABELS, default_license="CC-BY-4.0")
    assert row["license"] == "CC0-1.0" and {"field": "license", "source": "default:corpus.toml"} \
        not in row["metadata_sources"]
    d = full_doc()
    row = document_row(d, LABELS)
    assert row["license"] is None and [s["field"] for s in row["metadata_sources"]] == ["published", "title"]
    assert [e["model"] for e in row["entities"]] == [None, None]  # no model named: none stated


def test_assemble_gives_one_documents_row_and_one_ner_row_per_sentence():
    d = full_doc()
    rows = assemble(d, LABELS, "CC-BY-4.0", "m 1.0")
    assert rows == {"documents": [document_row(d, LABELS, "CC-BY-4.0", "m 1.0")], "ner": ner_rows(d, LABELS)}
    for row in rows["ner"]:
        ner_features(LABELS).encode_example(row)


def test_features_are_the_documented_schema():
    docs, ner = document_features(LABELS), ner_features(LABELS)
    assert list(docs) == ["doc_id", "title", "text", "published", "publisher", "license", "url", "agencies",
                          "image_credits", "event", "group", "source_file", "raw_sha256", "text_sha256",
                          "metadata_sources", "edits", "sentences", "entities"]
    assert list(ner) == ["id", "doc_id", "sentence_index", "start", "end", "tokens", "token_starts",
                         "token_ends", "ner_tags"]
    schema = {f.name: str(f.type) for f in docs.arrow_schema} | {f"ner.{f.name}": str(f.type) for f in ner.arrow_schema}
    assert schema == {
        **{k: "string" for k in ("doc_id", "title", "text", "published", "publisher", "license", "url", "event",
                                 "group", "source_file", "raw_sha256", "text_sha256")},
        "agencies": "list<item: string>", "image_credits": "list<item: string>",
        "metadata_sources": "list<item: struct<field: string, source: string>>",
        "edits": "list<item: struct<raw_start: int32, raw_end: int32, replacement: string, rule: string>>",
        "sentences": "list<item: struct<start: int32, end: int32>>",
        "entities": "list<item: struct<start: int32, end: int32, text: string, label: int64, kb_id: string, "
                    "source: string, model: string, annotators: string, op_ids: string, overlay_sha256: string>>",
        "ner.id": "string", "ner.doc_id": "string", "ner.sentence_index": "int32", "ner.start": "int32",
        "ner.end": "int32", "ner.tokens": "list<item: string>", "ner.token_starts": "list<item: int32>",
        "ner.token_ends": "list<item: int32>", "ner.ner_tags": "list<item: int64>",
    }
    assert docs["entities"].feature["label"].names == LABELS
    assert ner["ner_tags"].feature.names == iob_names(LABELS)


def test_the_card_states_scalar_lists_as_sequence_and_lists_of_structs_as_list():
    by_name = {e["name"]: e for e in card_features(document_features(LABELS))}
    assert by_name["agencies"] == {"name": "agencies", "sequence": "string"}
    assert "list" in by_name["edits"] and "sequence" not in by_name["edits"]
    assert by_name["doc_id"] == {"name": "doc_id", "dtype": "string"}
    tags = {e["name"]: e for e in card_features(ner_features(LABELS))}["ner_tags"]
    assert tags == {"name": "ner_tags", "sequence": {"class_label": {"names": {str(i): n for i, n in enumerate(iob_names(LABELS))}}}}


def test_cached_schemas_are_the_features_own(tmp_path):
    """What the release writer reads from ``<cache>/features`` is what the features give:
    the Arrow schema with its `datasets` metadata, and the card's statement of them."""
    features = {"documents": document_features(LABELS), "ner": ner_features(LABELS)}
    written = config_schemas(LABELS, tmp_path)
    assert len(list((tmp_path / "features").rglob("*.bin"))) == 1
    read = config_schemas(LABELS, tmp_path)
    other = config_schemas(["ORG"], tmp_path)  # other labels: another entry
    assert len(list((tmp_path / "features").rglob("*.bin"))) == 2
    for name, f in features.items():
        for got in (written[name], read[name]):
            assert got.arrow.equals(f.arrow_schema, check_metadata=True)
            assert got.card == card_features(f)
        assert not other[name].arrow.equals(f.arrow_schema, check_metadata=True)
