"""The NER cache: reused only when the output would be identical, and never trusted
when an entry is damaged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from corpus_builder.cache import NERCache, check_cache
from corpus_builder.config import load_config
from corpus_builder.actions.build import run

SEED = "000_609d6079c7c3312f"


def ner_counts(corpus) -> dict:
    return dict(corpus.stats.ner.cache)


def layers(corpus) -> list:
    """What the NER cache determines (entity provenance names the overlay file's sha256, which an edit changes)."""
    return [(d.doc_id, d.tokens, d.sentences, d.model_entities, [(e.span, e.label) for e in d.entities])
            for d in corpus.documents]


def test_put_get_and_damaged_entries(tmp_path: Path):
    cache = NERCache(tmp_path, {"model": "a"})
    key = cache.key("0" * 64)
    assert cache.get(key) is None
    cache.put(key, {"tokens": [[0, 3]]})
    assert cache.get(key) == {"tokens": [[0, 3]]}
    assert NERCache(tmp_path, {"model": "b"}).key("0" * 64) != key  # another model: another entry
    path = cache.path(key)
    path.write_bytes(path.read_bytes()[:-7])  # half-written by something outside the cache
    assert cache.get(key) is None and cache.counts["corrupt"] == 1
    assert check_cache(tmp_path) == {"entries": 1, "corrupt": 1}
    cache.put(key, {"tokens": [[0, 3]]})
    assert check_cache(tmp_path) == {"entries": 1, "corrupt": 0}


def test_rebuild_after_an_overlay_edit_reuses_every_entry(project: Path, ruler_nlp):
    config = load_config(project)
    cold = run(config, ruler_nlp)
    assert ner_counts(cold)["misses"] == 5 and ner_counts(cold).get("hits", 0) == 0
    overlay = project / "annotations" / f"{SEED}.maintainer-a.json"
    data = json.loads(overlay.read_text())
    data["comment"] = "edited"
    overlay.write_text(json.dumps(data))
    warm = run(config, ruler_nlp)
    assert ner_counts(warm)["hits"] == 5 and ner_counts(warm).get("misses", 0) == 0
    assert layers(warm) == layers(cold)


def test_a_changed_text_misses_only_its_own_entry(project: Path, ruler_nlp):
    config = load_config(project)
    run(config, ruler_nlp)
    seed = project / "seeds" / f"{SEED}.txt"
    seed.write_text(seed.read_text("utf-8").replace("officials said Friday", "officials said on Friday"), "utf-8")
    again = run(config, ruler_nlp)
    assert ner_counts(again)["hits"] == 4 and ner_counts(again)["misses"] == 1


def test_another_model_misses_everything(project: Path, ruler_nlp):
    import spacy

    config = load_config(project)
    run(config, ruler_nlp)
    other = spacy.blank("en")
    other.add_pipe("entity_ruler", name="ner").add_patterns([{"label": "GPE", "pattern": "Cairo"}])
    assert ner_counts(run(config, other))["misses"] == 5


def test_a_fully_cached_rebuild_never_imports_spacy(project: Path, tmp_path: Path):
    """The model's identity is kept beside the NER cache (keyed by its files' sha256),
    so a rebuild whose every result is cached neither loads the model nor imports spaCy;
    the release's Parquet schemas are kept too, so it does not import `datasets` either.
    Its release is byte-identical to the cold one."""
    script = ("import sys; from pathlib import Path; from corpus_builder.config import load_config; "
              "from corpus_builder.actions.build import build; "
              "build(load_config(Path('.')).with_overrides(out=Path(sys.argv[1]))); "
              "print('spacy' in sys.modules, 'datasets' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", script, str(tmp_path / out)], cwd=project, capture_output=True,
                           text=True, check=True) for out in ("cold", "warm")]
    assert [r.stdout.strip() for r in runs] == ["True True", "False False"]
    sums = [next((tmp_path / out).glob("*/SHA256SUMS")).read_bytes() for out in ("cold", "warm")]
    assert sums[0] == sums[1]
    (project / ".cache" / "ner" / "models").rename(project / "gone")  # identity unknown: load to learn it
    again = subprocess.run([sys.executable, "-c", script, str(tmp_path / "again")], cwd=project,
                           capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "True False"


def test_a_build_without_a_cache_normalizes_each_document_once(ruler_nlp, tmp_path: Path, monkeypatch):
    """Dedup's task and the annotating task both read every document; without a cache the
    second reads the first's normalized text from the build's scratch folder (one file per
    shard), which is gone when the build ends. The release is the cached build's."""
    from collections import Counter
    from dataclasses import replace

    from conftest import planted_project
    from corpus_builder.actions.build import build
    from corpus_builder.stages.normalize import Normalizer

    config = load_config(planted_project(tmp_path, 150, exact="drop", near="group"))  # 3 shards
    calls: Counter[str] = Counter()
    normalize = Normalizer._normalize
    monkeypatch.setattr(Normalizer, "_normalize", lambda self, doc: calls.update([doc.doc_id]) or normalize(self, doc))
    reports = [build(replace(config, cache=None, out=tmp_path / "no-cache"), ruler_nlp)]
    assert len(calls) > 120 and set(calls.values()) == {1}
    assert sorted(p.name for p in (tmp_path / "no-cache").iterdir()) == [".lock", reports[0].release.name]
    once = set(calls)
    calls.clear()
    monkeypatch.setattr("corpus_builder.cache.ShardScratch.flush", lambda self: None)  # nothing kept: twice
    reports.append(build(replace(config, cache=None, out=tmp_path / "twice"), ruler_nlp))
    assert set(calls) == once and set(calls.values()) == {2}
    reports.append(build(replace(config, out=tmp_path / "cached"), ruler_nlp))
    sums = [(r.release / "SHA256SUMS").read_bytes() for r in reports]
    assert sums[0] == sums[1] == sums[2]
