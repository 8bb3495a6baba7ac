from corpus_builder.records import Document
from corpus_builder.stages.splits import Splits, assign_split, hashed_split

SALT = "un-gaza-news-ner/split/"  # this corpus's salt (corpus.toml [splits].salt)


def doc(doc_id: str, event: str | None = None) -> Document:
    d = Document(doc_id, f"{doc_id}.txt", "", "")
    d.metadata = {"event": event}
    return d


def test_group_is_event_else_doc_id():
    assert doc("a", "war").group == "war" and doc("b").group == "b"


def test_pins_win_and_hashing_is_stable():
    assert assign_split("g", {"g": "test"}, SALT) == "test"
    assert hashed_split("some-event", SALT) == hashed_split("some-event", SALT)
    # golden values of the documented rule: if they change, every released split moves
    assert [i for i in range(20) if hashed_split(f"doc-{i}", SALT) != "train"] == [12, 17]
    shares = [hashed_split(f"doc-{i}", SALT) for i in range(2000)]
    assert 0.75 < shares.count("train") / 2000 < 0.85
    assert 0.07 < shares.count("validation") / 2000 < 0.13


def test_related_documents_share_a_split_and_growth_moves_nothing():
    first = [doc("a", "e1"), doc("b", "e1"), doc("c")]
    before = {d.doc_id: d.split for d in Splits({}, SALT)(first)}
    assert before["a"] == before["b"]
    grown = [doc("a", "e1"), doc("b", "e1"), doc("c")] + [doc(f"new-{i}", f"e{i % 7}") for i in range(50)]
    after = {d.doc_id: d.split for d in Splits({}, SALT)(grown)}
    assert {k: after[k] for k in before} == before
    events = {}
    for d in grown:
        events.setdefault(d.group, set()).add(after[d.doc_id])
    assert all(len(s) == 1 for s in events.values())
