"""Annotation tools round trip (issue 13): `tasks` -> the tool's export -> `import`,
for Label Studio, doccano, Prodigy, brat and INCEpTION, in a temporary copy of the
project (the corpus's own annotations and releases are never touched)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus_builder.actions.build import build, run
from corpus_builder.actions.import_ import import_export
from corpus_builder.actions.tasks import write_tasks
from corpus_builder.config import load_config
from corpus_builder.release.diff import diff_releases
from corpus_builder.tools.offsets import utf16_offset

from conftest import DOC_002, TOOLS, copy_project, tool_export

REVISER = "reviser-d"
# a seed per tool whose offsets differ between code points and UTF-16 after the emoji
EMOJI_TEXT = ("Gaza talks \U0001F54A\ufe0f resume in Cairo\n\n"
              "United Nations Secretary-General Ban Ki-moon met Egyptian President Abdel Fattah el-Sisi in Cairo "
              "on Monday \U0001F600. Hamas and Israel agreed to talks in Doha, Qatar, said John Kerry of the "
              "United States.\n")


def emoji_doc(tool: str) -> str:
    return f"emoji_{tool}"


def add_reviser(root: Path) -> None:
    path = root / "annotations" / "annotators.json"
    registry = json.loads(path.read_text(encoding="utf-8"))
    registry["annotators"].append({"id": REVISER, "name": "test reviser D", "role": "test"})
    path.write_text(json.dumps(registry, indent=2), encoding="utf-8")


def four_changes(doc, text: str) -> tuple[list[tuple[int, int, str]], dict[str, tuple]]:
    """The annotator's work on ``doc``: one relabel, one resize, one add, one remove."""
    ents = sorted(doc.entities, key=lambda e: e.start)
    tokens = doc.tokens
    relabel = next(e for e in ents if e.label == "GPE")
    multi = next(e for e in ents if e is not relabel and sum(1 for s, t in tokens if e.start <= s and t <= e.end) > 1)
    last = max((s, t) for s, t in tokens if multi.start <= s and t <= multi.end)
    remove = next(e for e in reversed(ents) if e not in (relabel, multi))
    covered = [(e.start, e.end) for e in ents]
    add = next((s, t) for s, t in tokens if text[s:t].isalpha() and text[s].isupper() and len(text[s:t]) > 2
               and not any(a < t and s < b for a, b in covered))
    spans = [(e.start, e.end, e.label) for e in ents if e not in (relabel, multi, remove)]
    spans += [(relabel.start, relabel.end, "LOC"), (last[0], last[1], multi.label), (add[0], add[1], "ORG")]
    expect = {"relabel": (relabel.start, relabel.end, "LOC"), "resize": (last[0], last[1], multi.label),
              "add": (add[0], add[1], "ORG"), "remove": (remove.start, remove.end, remove.label)}
    return sorted(spans), expect


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("tools")
    root = copy_project(tmp / "project")
    add_reviser(root)
    for tool in TOOLS:
        (root / "seeds" / f"{emoji_doc(tool)}.txt").write_text(EMOJI_TEXT.replace("Gaza talks", f"{tool} talks"),
                                                               encoding="utf-8")
    config = load_config(root)
    before = build(config.with_overrides(out=tmp / "before"))
    docs = {d.doc_id: d for d in run(config).documents}
    out = {}
    for tool in TOOLS:
        doc_id = emoji_doc(tool)
        tasks = tmp / f"tasks-{tool}"
        write_tasks(config, tool, tasks, [doc_id, DOC_002])
        same = import_export(config, tool, tool_export(tool, tasks, tmp / f"same-{tool}"), REVISER, "revise")
        spans, expect = four_changes(docs[doc_id], docs[doc_id].text)
        edited = tool_export(tool, tasks, tmp / f"edited-{tool}", {doc_id: spans})
        first = import_export(config, tool, edited, REVISER, "revise")
        again = import_export(config, tool, edited, REVISER, "revise")
        out[tool] = {"same": same, "first": first, "again": again, "expect": expect, "tasks": tasks}
    after = build(config.with_overrides(out=tmp / "after"))
    return {"root": root, "config": config, "tools": out, "before": before.release, "after": after.release,
            "docs": docs}


def release_docs(folder: Path) -> dict[str, dict]:
    rows = [r for p in sorted((folder / "data" / "documents").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return {r["doc_id"]: r for r in rows}


@pytest.mark.parametrize("tool", TOOLS)
def test_unchanged_export_imports_to_no_op(rounds, tool):
    report = rounds["tools"][tool]["same"]
    assert report.ops == 0
    assert {d.doc_id for d in report.documents} == {emoji_doc(tool), DOC_002}
    assert not any(d.written for d in report.documents)


@pytest.mark.parametrize("tool", TOOLS)
def test_four_changes_import_to_exactly_four_ops(rounds, tool):
    r = rounds["tools"][tool]
    doc_id = emoji_doc(tool)
    first = {d.doc_id: d for d in r["first"].documents}
    assert first[doc_id].changes == 4 and first[doc_id].written
    assert first[DOC_002].changes == 0 and not first[DOC_002].written
    overlay = json.loads((rounds["root"] / "annotations" / "revisions" / f"{doc_id}.{REVISER}.json").read_text())
    assert overlay["mode"] == "revise" and overlay["reason"] and overlay["annotator"] == REVISER
    got = {op["op"]: (op["start"], op["end"], op.get("label") or op["expects"]["label"]) for op in overlay["ops"]}
    assert got == r["expect"]
    assert all(op["quote"] for op in overlay["ops"]) and all("expects" in op for op in overlay["ops"] if op["op"] != "add")
    assert r["again"].ops == 0 and not any(d.written for d in r["again"].documents)  # idempotent


@pytest.mark.parametrize("tool", TOOLS)
def test_release_shows_the_changes_with_the_importing_annotator(rounds, tool):
    doc_id = emoji_doc(tool)
    expect = rounds["tools"][tool]["expect"]
    old = {(e["start"], e["end"]): e for e in release_docs(rounds["before"])[doc_id]["entities"]}
    new = {(e["start"], e["end"]): e for e in release_docs(rounds["after"])[doc_id]["entities"]}
    labels = json.loads((rounds["after"] / "manifest.json").read_text())["model"]["labels"]
    def label(e):
        return labels[e["label"]] if isinstance(e["label"], int) else e["label"]
    for kind in ("relabel", "resize", "add"):
        a, b, lab = expect[kind]
        assert label(new[(a, b)]) == lab and new[(a, b)]["annotators"] == REVISER and new[(a, b)]["source"] == "manual"
    a, b, _ = expect["remove"]
    assert (a, b) in old and (a, b) not in new
    d = diff_releases(rounds["before"], rounds["after"]).documents[doc_id]  # and nothing else changed
    assert (len(d.added), len(d.removed), len(d.relabelled), len(d.resized)) == (1, 1, 1, 1)


def test_offsets_are_utf16_where_the_tool_counts_them(rounds):
    """Label Studio and doccano tasks carry UTF-16 offsets, the others code points; all
    round-trip to the same code-point spans (the emoji docs prove the conversion)."""
    text = EMOJI_TEXT.replace("Gaza talks", "labelstudio talks")
    task = json.loads((rounds["tools"]["labelstudio"]["tasks"] / "tasks.json").read_text())[0]
    last = task["predictions"][0]["result"][-1]["value"]
    assert last["start"] != text.index(last["text"]) and last["start"] == utf16_offset(text, text.index(last["text"]))
    row = json.loads((rounds["tools"]["prodigy"]["tasks"] / "tasks.jsonl").read_text().splitlines()[0])
    assert all(row["text"][s["start"]:s["end"]] == s["text"] for s in row["spans"])
    assert {d.unit for d in rounds["tools"]["labelstudio"]["first"].documents} == {"utf16"}
    assert {d.unit for d in rounds["tools"]["doccano"]["first"].documents} == {"utf16"}
    assert {d.unit for d in rounds["tools"]["brat"]["first"].documents} == {"codepoint"}


def test_independent_import_is_a_complete_review_and_idempotent(rounds, tmp_path):
    """--mode independent: one op per model entity (accepts for the unchanged ones), a
    complete review that `agreement` can compare; importing it again adds nothing."""
    config, tasks = rounds["config"], rounds["tools"]["prodigy"]["tasks"]
    doc_id = emoji_doc("prodigy")

    def only_emoji(rows):
        rows[:] = [r for r in rows if r["meta"]["doc_id"] == doc_id]

    export = tool_export("prodigy", tasks, tmp_path / "x", mutate=only_emoji)
    target = config.annotations / f"{doc_id}.{REVISER}.json"
    try:
        (d,) = import_export(config, "prodigy", export, REVISER, "independent").documents
        assert d.changes == 0 and d.accepts == len(rounds["docs"][doc_id].model_entities) and d.written
        assert json.loads(target.read_text())["scope"] == "complete"
        again = import_export(config, "prodigy", export, REVISER, "independent")
        assert again.ops == 0 and not again.documents[0].written
    finally:
        target.unlink(missing_ok=True)


def test_two_entity_fix_to_002_by_revision_gives_no_dispute(tmp_path):
    """The issue's case: a second person fixes two entities of document 002. As a
    revision it needs no adjudication, and the release changes by exactly those two."""
    from corpus_builder.actions.quality import agreement
    root = copy_project(tmp_path / "project")
    add_reviser(root)
    config = load_config(root)
    before = build(config.with_overrides(out=tmp_path / "before")).release
    write_tasks(config, "labelstudio", tmp_path / "tasks", [DOC_002])
    doc = next(d for d in run(config).documents if d.doc_id == DOC_002)
    air_force = next(e for e in doc.entities if e.text == "Air Force")
    more = next(e for e in doc.entities if e.text == "more than 700")
    seven = more.start + more.text.index("700")
    spans = sorted([(e.start, e.end, e.label) for e in doc.entities if e not in (air_force, more)]
                   + [(seven, more.end, more.label)])
    export = tool_export("labelstudio", tmp_path / "tasks", tmp_path / "export", {DOC_002: spans})
    report = import_export(config, "labelstudio", export, REVISER, "revise",
                           reason="an Air Force jet is a kind of aircraft; the amount is 700")
    assert report.ops == 2
    result = run(config)
    assert result.problems == []  # no E440: a revision is not a second opinion
    assert doc.doc_id not in {d for d in agreement(config).split() if d.startswith("002")}
    after = build(config.with_overrides(out=tmp_path / "after")).release
    d = diff_releases(before, after)
    assert list(d.documents) == [DOC_002] and not d.documents_added
    change = d.documents[DOC_002]
    assert (len(change.added), len(change.removed), len(change.relabelled), len(change.resized)) == (0, 1, 0, 1)
    assert change.removed[0]["text"] == "Air Force"


def test_agreement_names_its_layers(config):
    from corpus_builder.actions.quality import agreement
    out = agreement(config, disputes=True)
    assert "None:" not in out
    assert "maintainer-a vs annotator-b" in out or "annotator-b vs maintainer-a" in out


def test_revision_files_are_checked_against_the_current_layer(tmp_path):
    """A revision's ops are checked like an overlay's, with `expects` naming an entity of
    the current layer; `accept` (nothing to revise) is not a revision op."""
    from corpus_builder.actions.validate import validate
    root = copy_project(tmp_path / "project")
    add_reviser(root)
    config = load_config(root)
    doc = next(d for d in run(config).documents if d.doc_id == DOC_002)
    kerry = next(e for e in doc.entities if e.text == "John Kerry")
    folder = root / "annotations" / "revisions"
    folder.mkdir()
    revision = {"schema_version": "1.0", "doc_id": DOC_002, "annotator": REVISER, "text_sha256": doc.text_sha256,
                "mode": "revise", "reason": "test",
                "ops": [{"id": "r1", "op": "relabel", "start": kerry.start, "end": kerry.end, "quote": kerry.text,
                         "label": "ORG", "expects": {"start": kerry.start, "end": kerry.end, "quote": kerry.text,
                                                     "label": "GPE"}}]}
    path = folder / f"{DOC_002}.{REVISER}.json"
    path.write_text(json.dumps(revision), encoding="utf-8")
    assert [p.code for p in validate(config).problems] == ["E417"]  # the current layer says PERSON
    revision["ops"][0]["op"] = "accept"
    path.write_text(json.dumps(revision), encoding="utf-8")
    assert {p.code for p in validate(config).problems} == {"E402"}
    revision["ops"][0].update(op="relabel", expects={**revision["ops"][0]["expects"], "label": "PERSON"})
    path.write_text(json.dumps(revision), encoding="utf-8")
    result = validate(config)
    assert result.problems == []
    e = next(e for e in next(d for d in result.documents if d.doc_id == DOC_002).entities if e.span == kerry.span)
    assert e.label == "ORG" and e.annotator == REVISER and e.source == "manual"


def test_offset_units_are_decided_by_the_quotes():
    from corpus_builder.tools import CODEPOINT, UTF16, ToolSpan
    from corpus_builder.tools.offsets import codepoint_offset, detect
    text = "a \U0001F600 Gaza and Cairo"
    cp = text.index("Cairo")
    u16 = utf16_offset(text, cp)
    assert u16 == cp + 1 and codepoint_offset(text, u16) == cp and codepoint_offset(text, 3) is None  # mid-pair
    as16 = [ToolSpan(u16, u16 + 5, "GPE", "s1", "Cairo")]
    ascp = [ToolSpan(cp, cp + 5, "GPE", "s1", "Cairo")]
    assert detect(text, as16, None, UTF16).unit == UTF16
    assert detect(text, ascp, None, UTF16).unit == CODEPOINT  # a JavaScript tool's file that counted code points
    claimed = detect(text, as16, CODEPOINT, CODEPOINT)
    assert claimed.contradicts and claimed.unit == UTF16
    wrong = detect(text, [ToolSpan(cp, cp + 5, "GPE", "s1", "Gaza!")], None, UTF16)
    assert [s.position for s in wrong.unanchored] == ["s1"]
    tokens = [(0, 1), (2, 3), (4, 8), (9, 12), (13, 18)]  # no quote: the token boundaries decide
    assert detect(text, [ToolSpan(u16, u16 + 5, "GPE", "s1")], None, UTF16, tokens).unit == UTF16
    assert detect(text, [ToolSpan(cp, cp + 5, "GPE", "s1")], None, UTF16, tokens).unit == CODEPOINT
