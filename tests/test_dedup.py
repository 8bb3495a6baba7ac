"""Near-duplicate detection keeps working after its buckets move into sorted arrays."""

import numpy as np

from corpus_builder.stages import dedup
from corpus_builder.records import Document


def doc(i: int, text: str) -> Document:
    import hashlib

    return Document(f"d{i}", f"d{i}.txt", "", text, text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())


def test_near_duplicates_found_across_bucket_merges(monkeypatch):
    monkeypatch.setattr(dedup._Buckets, "RUN", 64)  # a new sorted run every 4 documents
    monkeypatch.setattr(dedup._Signatures, "BLOCK", 3)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    texts = [" ".join(rng.choice(words, 300)) for _ in range(30)]
    texts.append(texts[2] + " one more sentence at the end")  # near-duplicate of d2, 28 documents later
    stage = dedup.Dedup()
    kept = list(stage(doc(i, t) for i, t in enumerate(texts)))
    assert len(kept) == 31 and stage.buckets.keys.size >= 28 * 16 and len(stage.buckets.runs) > 1
    assert [n["doc_ids"] for n in stage.stats.near] == [["d2", "d30"]]
    assert [w.code for w in stage.problems] == ["W107"]


def test_exact_duplicate_names_the_first_file():
    stage = dedup.Dedup()
    list(stage([doc(1, "same text here, long enough"), doc(2, "same text here, long enough")]))
    assert [(p.code, p.found) for p in stage.problems] == [("E107", "d1.txt")]
