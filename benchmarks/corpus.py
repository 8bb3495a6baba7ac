"""A deterministic benchmark corpus that looks like news: articles made by recombining
the seeds' sentences (no two equal, so a cold build cannot be helped by the cache),
plus planted duplicates at stated rates (10% syndicated verbatim copies, 5% lightly
edited copies by default), listed so dedup's precision and recall can be measured."""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus_builder.records import Document  # noqa: E402
from corpus_builder.stages.normalize import Normalizer  # noqa: E402


def seed_sentences() -> list[str]:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    from corpus_builder.config import load_config

    normalizer = Normalizer(agencies=load_config(ROOT).agencies)
    sentences = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = normalizer.normalize(Document(path.stem, path.name, "", path.read_text("utf-8"))).text
        for paragraph in text.split("\n\n"):
            sentences += [s.text for s in nlp(paragraph).sents if len(s.text) > 20]
    return sentences


EXACT_RATE, NEAR_RATE = 0.10, 0.05  # syndicated copies; lightly edited copies


def article(rng: random.Random, sentences: list[str]) -> str:
    k = rng.randint(12, 24)
    picked = rng.sample(sentences, k)
    return "\n\n".join(" ".join(picked[j:j + 3]) for j in range(0, k, 3))


def light_edit(rng: random.Random, text: str) -> str:
    """A lightly edited copy, as an outlet re-running a wire story would make it: three
    words changed and a credit line added (about 95% of word 5-grams still shared)."""
    words = text.split(" ")
    for i in rng.sample(range(len(words)), 3):
        words[i] = rng.choice(["reportedly", "officials", "Tuesday", "several", "later", "also"])
    return " ".join(words) + "\n\n(Additional reporting by staff.)"


def make_corpus(n: int, path: Path, seed: int = 2012, exact_rate: float = EXACT_RATE,
                near_rate: float = NEAR_RATE) -> Path:
    """Write ``n`` articles as JSON Lines (ids bench-000000... in a shuffled order) and
    return the path: ``exact_rate`` of them are verbatim copies of another article
    (syndication), ``near_rate`` lightly edited copies (:func:`light_edit`), the rest
    unique. The planted pairs are written next to it, ``<name>.planted.json``:
    ``{"exact": [[copy, original], ...], "near": [[copy, original], ...]}``."""
    rng = random.Random(seed)
    sentences = seed_sentences()
    n_exact, n_near = round(n * exact_rate), round(n * near_rate)
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < n - n_exact - n_near:
        text = article(rng, sentences)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            texts.append(text)
    unique = len(texts)
    near_sources = rng.sample(range(unique), n_near)
    planted: dict[str, list[tuple[int, int]]] = {"exact": [], "near": []}
    for source in near_sources:
        planted["near"].append((len(texts), source))
        texts.append(light_edit(rng, texts[source]))
    for _ in range(n_exact):
        source = rng.randrange(unique)
        planted["exact"].append((len(texts), source))
        texts.append(texts[source])
    order = list(range(len(texts)))
    rng.shuffle(order)  # copies are not always after their originals
    ids = {i: f"bench-{position:06d}" for position, i in enumerate(order)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for i in order:
            fh.write(json.dumps({"id": ids[i], "text": texts[i]}) + "\n")
    planted_path(path).write_text(json.dumps({k: [[ids[a], ids[b]] for a, b in v] for k, v in planted.items()}),
                                  "utf-8")
    return path


def planted_path(corpus: Path) -> Path:
    return corpus.with_name(corpus.stem + ".planted.json")


def dedup_scores(planted: dict[str, list[list[str]]], manifest: dict) -> dict[str, object]:
    """Precision and recall of a build's dedup against the planted pairs. Copies of one
    text form a class named by its smallest id (the one a build keeps), so a pair is
    compared as (document, the kept member of what it duplicates)."""
    rep: dict[str, str] = {}
    classes: dict[str, set[str]] = {}
    for copy, original in planted["exact"]:
        members = classes.setdefault(rep.get(original, original), {original})
        members.add(copy)
        for m in members:
            rep[m] = original
    canon = {m: min(members) for members in classes.values() for m in members}
    c = lambda d: canon.get(d, d)  # noqa: E731
    truth_exact = {(m, min(members)) for members in classes.values() for m in members if m != min(members)}
    truth_near = {tuple(sorted((c(a), c(b)))) for a, b in planted["near"]}
    dedup = manifest["dedup"]
    found_exact = {(d["doc_id"], d["duplicate_of"]) for d in dedup["dropped"] if d["rule"] == "exact"}
    found_near = {tuple(sorted(p["doc_ids"])) for p in manifest["near_duplicates"]}
    found_near |= {tuple(sorted((d["doc_id"], d["duplicate_of"]))) for d in dedup["dropped"] if d["rule"] == "near"}

    def pr(found: set, truth: set) -> tuple[float, float]:
        hit = len(found & truth)
        return (round(hit / len(found), 4) if found else 1.0), (round(hit / len(truth), 4) if truth else 1.0)

    (pe, re_), (pn, rn), (pa, ra) = pr(found_exact, truth_exact), pr(found_near, truth_near), \
        pr(found_exact | found_near, truth_exact | truth_near)
    return {"planted_exact_pairs": len(truth_exact), "planted_near_pairs": len(truth_near),
            "found_exact_pairs": len(found_exact), "found_near_pairs": len(found_near),
            "exact_precision": pe, "exact_recall": re_, "near_precision": pn, "near_recall": rn,
            "dedup_precision": pa, "dedup_recall": ra}


if __name__ == "__main__":
    print(make_corpus(int(sys.argv[1]), Path(sys.argv[2])))
