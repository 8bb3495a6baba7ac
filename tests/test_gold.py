"""The gold layer end to end: coverage of the committed annotations, agreement and
report figures quoted by the card and datasheet (no drift), and what the overlay
ops mean for a second model."""

import json

from conftest import ROOT, write_annotators, write_overlay
from corpus_builder.actions.quality import agreement
from corpus_builder.actions.quality import report
from corpus_builder.config import load_config
from corpus_builder.quality.gold import GoldStats
from corpus_builder.actions.build import run

DOC = "004_72ca955c1549d691"


def tables(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block.startswith("| ")]


def test_every_document_is_reviewed_completely_and_validates():
    corpus = run(load_config(ROOT))
    assert corpus.problems == []
    cov = corpus.stats.overlays.coverage
    assert (cov.complete, cov.unreviewed) == (cov.documents, 0)
    assert cov.characters_reviewed == cov.characters > 0
    assert all(e.refs for d in corpus.documents for e in d.entities)  # every entity has a reviewing op


def test_card_and_datasheet_quote_the_figures_of_the_build():
    """The agreement and report tables printed by the commands appear verbatim in the
    release's card and datasheet (and the top-level copy); the manifest holds the same figures."""
    config = load_config(ROOT)
    release = ROOT / config.dataset.version.join(("dist/", ""))
    card, sheet = (release / "README.md").read_text("utf-8"), (release / "DATASHEET.md").read_text("utf-8")
    top = (ROOT / "DATASHEET.md").read_text("utf-8")
    agreed, reported = tables(agreement(config)), tables(report(config))
    assert len(agreed) >= 1 and len(reported) == 3  # scores, confusion, errors
    for table in agreed + reported[:2]:
        assert table in card and table in sheet and table in top
    assert reported[2] in sheet
    corpus = run(config)
    gold = GoldStats.of(corpus.documents)
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert manifest["gold"] == gold.to_json()
    assert manifest["coverage"] == vars(corpus.stats.overlays.coverage)
    assert gold.to_json()["agreement"][0]["documents"]  # two annotators on at least one document


def test_report_for_a_second_model_says_needed_redundant_stale(project, ruler_nlp):
    """Ops written against the pinned model, read against a blank pipeline with an entity ruler."""
    ann = project / "annotations"
    for f in ann.glob(f"{DOC}.*.json"):
        f.unlink()
    write_annotators(ann, "maintainer-a", "annotator-b", "adjudicator-c", "test")
    text = run(load_config(project), ruler_nlp).documents[4].text

    def at(quote: str, nth: int = 0) -> dict:
        start = -1
        for _ in range(nth + 1):
            start = text.index(quote, start + 1)
        return {"start": start, "end": start + len(quote), "quote": quote}

    def expects(quote: str, label: str, nth: int = 0) -> dict:
        return {**at(quote, nth), "label": label}

    ops = [  # what the pinned model predicted, as an annotator saw it
        {"id": "t-needed", "op": "remove", **at("State"), "expects": expects("State", "ORG")},
        {"id": "t-redundant", "op": "resize", **at("Middle East"), "label": "LOC",
         "expects": expects("the Middle East", "LOC")},
        {"id": "t-stale", "op": "relabel", **at("Guterres", 2), "label": "PERSON",
         "expects": expects("Guterres", "ORG", 2)},
    ]
    write_overlay(ann, {"schema_version": "1.0", "doc_id": DOC, "annotator": "test",
                        "text_sha256": run(load_config(project), ruler_nlp).documents[4].text_sha256, "ops": ops})
    out = report(load_config(project), ruler_nlp, ops=True)
    assert "ops against this model: " in out
    path = f"annotations/{DOC}.test.json"
    assert len([line for line in out.splitlines() if path in line]) == 3
    for op_id, status in (("t-needed", "needed"), ("t-redundant", "redundant"), ("t-stale", "stale")):
        assert any(line.endswith(f"{op_id} {next(o['op'] for o in ops if o['id'] == op_id)}: {status}")
                   and path in line for line in out.splitlines()), (op_id, out)
    corpus = run(load_config(project), ruler_nlp)
    codes = {(p.code, p.op_id) for p in corpus.problems + corpus.warnings}
    assert ("E417", "t-stale") in codes and ("W417", "t-redundant") in codes
    assert not any(op_id == "t-needed" for _, op_id in codes)


def test_links_use_only_verified_qids():
    """GUIDELINES 6: a QID is used only when two public sources pair it with its referent."""
    verified = {v["qid"] for v in json.loads((ROOT / "docs" / "wikidata-evidence.json").read_text("utf-8"))["verified"].values()}
    used = {op["kb_id"] for f in (ROOT / "annotations").glob("*.*.json")
            for op in json.loads(f.read_text("utf-8"))["ops"] if "kb_id" in op}
    assert used and used <= verified | {"NIL"}, used - verified
