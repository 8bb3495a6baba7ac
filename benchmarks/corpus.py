"""A deterministic benchmark corpus: N unique articles made by recombining the seeds'
sentences (no two texts equal, so a cold build cannot be helped by the cache)."""

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


def make_corpus(n: int, path: Path, seed: int = 2012) -> Path:
    """Write ``n`` articles as JSON Lines (ids bench-000000...) and return the path."""
    rng = random.Random(seed)
    sentences = seed_sentences()
    seen: set[str] = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        i = 0
        while i < n:
            k = rng.randint(12, 24)
            paragraphs = []
            picked = rng.sample(sentences, k)
            for j in range(0, k, 3):
                paragraphs.append(" ".join(picked[j:j + 3]))
            text = "\n\n".join(paragraphs)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            fh.write(json.dumps({"id": f"bench-{i:06d}", "text": text}) + "\n")
            i += 1
    return path


if __name__ == "__main__":
    print(make_corpus(int(sys.argv[1]), Path(sys.argv[2])))
