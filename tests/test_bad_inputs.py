"""Every kind of bad input gets one clear line (file, position, what to do) and an
exit code, never a traceback. Run as a script to print the table of answers:

    .venv/bin/python tests/test_bad_inputs.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import AGENCIES, ROOT, copy_project, write_overlay  # noqa: E402

from corpus_builder.records import Document  # noqa: E402
from corpus_builder.stages.normalize import Normalizer  # noqa: E402

SEED = "000_609d6079c7c3312f"
ARTICLE = (ROOT / "seeds" / f"{SEED}.txt").read_text("utf-8")
OVERLAY = json.loads((ROOT / "annotations" / f"{SEED}.maintainer-a.json").read_text("utf-8"))


def normalized(raw: str) -> Document:
    return Normalizer(agencies=AGENCIES).normalize(Document("x", "x.txt", "", raw))


def seed(name: str, data: bytes | str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        path = project / "seeds" / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return setup


def symlink_outside(project: Path) -> None:
    outside = project / "elsewhere.txt"
    outside.write_text("An article kept outside the seeds folder.", encoding="utf-8")
    (project / "seeds" / "linked.txt").symlink_to(outside)


def unreadable(project: Path) -> None:
    path = project / "seeds" / "locked.txt"
    path.write_text("Locked article text.", encoding="utf-8")
    path.chmod(0)


def version(value: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        toml = project / "corpus.toml"
        text = toml.read_text("utf-8")
        line = next(l for l in text.splitlines() if l.startswith("version = "))
        toml.write_text(text.replace(line, f"version = {json.dumps(value)}"), encoding="utf-8")
    return setup


def overlay(mutate: Callable[[dict], None], name: str | None = None) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        ov = json.loads(json.dumps(OVERLAY))
        mutate(ov)
        path = project / "annotations" / (name or f"{SEED}.maintainer-a.json")
        (project / "annotations" / f"{SEED}.maintainer-a.json").unlink()
        path.write_text(json.dumps(ov, ensure_ascii=False, indent=1), encoding="utf-8")
    return setup


def in_subfolder(folder: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        (project / "annotations" / folder).mkdir(parents=True)
        (project / "annotations" / f"{SEED}.maintainer-a.json").rename(
            project / "annotations" / folder / f"{SEED}.maintainer-a.json")
    return setup


def raw_overlay(text: str | bytes) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        data = text if isinstance(text, bytes) else text.encode()
        (project / "annotations" / f"{SEED}.maintainer-a.json").write_bytes(data)
    return setup


def add_op(op: dict) -> Callable[[dict], None]:
    return lambda ov: ov["ops"].append(op)


def second_annotator(project: Path) -> None:
    reg = json.loads((project / "annotations" / "annotators.json").read_text())
    reg["annotators"].append({"id": "maintainer-b", "name": "B", "role": "test"})
    (project / "annotations" / "annotators.json").write_text(json.dumps(reg))
    ov = json.loads(json.dumps(OVERLAY))
    ov["annotator"] = "maintainer-b"
    ov["ops"] = [{"id": "op-001", "op": "set_metadata", "field": "event", "value": "another-event"}]
    write_overlay(project / "annotations", ov)


def text_of(doc_id: str) -> str:
    return normalized((ROOT / "seeds" / f"{doc_id}.txt").read_text("utf-8")).text


TEXT = text_of(SEED)
NES = TEXT.index("Martin Nesirky")
BAN = TEXT.index("Ban Ki-moon will")


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], None]
    exit_code: int
    expect: str  # a fragment of the message (its code and position)
    args: tuple[str, ...] = ("validate",)
    check: Callable[[Path], None] | None = None  # what the written release must (not) say


INJECTION = "Evil\r\n# Injected heading\n| forged | row |\n<script>alert(1)</script> ![x](http://example.invalid/x.png)"
BUILD = ("build", "--out", "out")


def markup_is_inert(project: Path) -> None:
    """Text from the inputs stays text: no heading, table row, HTML or image it did not have."""
    release = next(p for p in (project / "out").iterdir() if p.is_dir())
    for name in ("README.md", "DATASHEET.md"):
        doc = (release / name).read_text("utf-8")
        if doc.startswith("---\n"):  # the card's YAML header: a value is a quoted YAML string
            header, doc = doc[4:].split("\n---\n", 1)
            assert isinstance(yaml.safe_load(header)["pretty_name"], str)
        doc = re.sub(r"(?ms)^```.*?^```", "", doc)  # code blocks show text as it is
        assert "Injected heading" in doc, name  # the value is shown...
        assert not any(line.lstrip("> ").startswith("# Injected") for line in doc.splitlines()), name
        assert "<script>" not in doc and "![x](" not in doc and "\r" not in doc, name  # ...as inert text
        assert not any(line.startswith("| forged") for line in doc.splitlines()), name
        for table in re.findall(r"(?m)(?:^\|.*\|\n)+", doc):  # every row of a table has its header's cells
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.splitlines()}
            assert len(widths) == 1, (name, table[:300])
    meta = json.loads((release / "croissant.json").read_text("utf-8"))
    assert meta["name"]


def set_title_and_event(project: Path) -> None:
    path = project / "annotations" / f"{SEED}.maintainer-a.json"
    ov = json.loads(path.read_text("utf-8"))
    ov["ops"] = [op for op in ov["ops"] if op.get("field") != "event"]
    ov["ops"] += [{"id": "op-900", "op": "set_metadata", "field": "title", "value": INJECTION},
                  {"id": "op-901", "op": "set_metadata", "field": "event", "value": INJECTION}]
    path.write_text(json.dumps(ov, ensure_ascii=False, indent=1), encoding="utf-8")
    toml = project / "corpus.toml"
    toml.write_text(toml.read_text("utf-8").replace('"2012-israel-gaza-conflict" = "train"', f'{json.dumps(INJECTION)} = "train"'),
                    encoding="utf-8")


def pretty_name_and_answers(project: Path) -> None:
    toml = project / "corpus.toml"
    text = toml.read_text("utf-8")
    line = next(l for l in text.splitlines() if l.startswith("pretty_name = "))
    toml.write_text(text.replace(line, f"pretty_name = {json.dumps(INJECTION)}"), encoding="utf-8")
    (project / "card" / "2.14.md").write_text(INJECTION + "\n", encoding="utf-8")
    (project / "card" / "summary.md").write_text(INJECTION + "\n", encoding="utf-8")


CASES = [
    # raw input
    Case("empty file", seed("empty.txt", b""), 1, "[E102] seeds/empty.txt: file is empty"),
    Case("whitespace only", seed("blank.txt", " \n\t\n  \r\n"), 1, "[E103] seeds/blank.txt: no article text"),
    Case("binary data", seed("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8), 1,
         "[E105] seeds/image.txt at byte 6: file holds binary data"),
    Case("Latin-1 text", seed("latin1.txt", "Caf\u00e9 au lait in Gaza.".encode("latin-1")), 1,
         "[E101] seeds/latin1.txt at line 1, column 4 (byte 3): file is not valid UTF-8"),
    Case("invalid UTF-8 part-way", seed("partway.txt", ARTICLE.encode() [:900] + b"\n\xff\xfe broken\n"), 1,
         "[E101] seeds/partway.txt at line 13, column 1 (byte 901)"),
    Case("UTF-8 BOM and CRLF (builds; same text as LF, so its overlay still anchors)",
         seed(f"{SEED}.txt", "\ufeff" + ARTICLE.replace("\n", "\r\n")), 0, "ok:"),
    Case("mojibake (repaired, recorded as an edit)",
         seed("mojibake.txt", "Gazaâ€™s borders must be opened, Mashaal told reporters in Doha on Wednesday."), 0, "ok:"),
    Case("NUL and control characters (removed, recorded)",
         seed("controls.txt", "Ban Ki-moon\x00 visited\x07 Gaza\x1b on Tuesday, officials said, before talks in Cairo."),
         0, "ok:"),
    Case("bidi override and zero-width characters (removed, recorded)",
         seed("bidi.txt", "Ban\u200b Ki-moon met \u202eNetanyahu\u202c in Jerusalem\u2060 on Tuesday."), 0, "ok:"),
    Case("HTML markup (stripped, recorded)",
         seed("html.txt", "<html><body><p>Ban Ki-moon met Netanyahu &amp; Abbas.</p><script>x()</script>"
                          "<p>Talks went on in <b>Cairo</b>.</p></body></html>"), 0, "ok:"),
    Case("one line of several megabytes", seed("huge.txt", ("Ban Ki-moon met officials in Gaza today. " * 80_000)), 1,
         "[E106] seeds/huge.txt: document too long for the model (3,279,999 characters > 1,000,000)"),
    Case("only boilerplate", seed("boiler.txt", "© Copyright 2014, APN New Zealand Limited\n\n- AFP\n"), 1,
         "[E103] seeds/boiler.txt: no article text left after normalization"),
    Case("same article twice", seed("copy_of_000.txt", ARTICLE), 1,
         "[E107] seeds/copy_of_000.txt: same article as another file (found 'seeds/000_609d6079c7c3312f.txt'"),
    Case("near-duplicate (warning, kept)", seed("near_000.txt", ARTICLE.replace("Friday", "Saturday")), 0,
         "[W107] seeds/near_000.txt: near-duplicate of seeds/000_609d6079c7c3312f.txt"),
    Case("file name not a valid doc id", seed("bad name!.txt", "Ban Ki-moon visited Gaza on Tuesday."), 1,
         "[E104] seeds/bad name!.txt: file name is not a valid document id"),
    Case("symlink outside the seeds folder", symlink_outside, 1, "[E108] seeds/linked.txt: symlink points outside"),
    Case("unreadable file", unreadable, 1, "[E109] seeds/locked.txt: cannot read file: Permission denied"),
    # configuration
    Case("version with a path separator (build)", version("1.0.0/extra"), 1,
         "[E006] corpus.toml at [dataset].version: the version is not a semantic version (found '1.0.0/extra'",
         ("build", "--out", "out")),
    Case("version leaving dist/", version("../x"), 1, "[E006] corpus.toml at [dataset].version: the version is not a "
         "semantic version (found '../x', expected 'MAJOR.MINOR.PATCH[+BUILD]')"),
    Case("version an absolute path", version("/abs"), 1, "(found '/abs', expected 'MAJOR.MINOR.PATCH[+BUILD]')"),
    Case("version empty", version(""), 1, "[E006] corpus.toml at [dataset].version: the version is not a semantic version (found ''"),
    Case("version with a trailing newline", version("3.0.0\n"), 1, "(found '3.0.0\\n'"),
    # ids, dates and links: no control characters (Python's `$` lets a final "\n" by)
    Case("file name with a trailing newline", seed("doc\n.txt", "Ban Ki-moon visited Gaza on Tuesday."), 1,
         "[E104] seeds/doc\\n.txt: file name is not a valid document id (found 'doc\\n'"),
    Case("JSONL id with a trailing newline", seed("more.jsonl", json.dumps({"id": "doc-1\n", "text": "Ban Ki-moon visited Gaza."}) + "\n"),
         1, "[E104] seeds/more.jsonl at line 1: record id is not a valid document id"),
    Case("JSONL published on a day that does not exist", seed("more.jsonl", json.dumps(
        {"id": "doc-1", "text": "Ban Ki-moon visited Gaza.", "published": "2012-02-30"}) + "\n"), 1,
         "[E114] seeds/more.jsonl at line 1, /published: record metadata is not well formed (found '2012-02-30'"),
    Case("JSONL url with a newline", seed("more.jsonl", json.dumps(
        {"id": "doc-1", "text": "Ban Ki-moon visited Gaza.", "url": "https://un.org/x\n"}) + "\n"), 1,
         "[E114] seeds/more.jsonl at line 1, /url: record metadata is not well formed (found 'https://un.org/x\\n'"),
    Case("overlay: op id with a trailing newline", overlay(lambda ov: ov["ops"][0].update(id="op-001\n")), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /ops/0/id: schema violation: 'op-001\\n' does not match"),
    Case("overlay: kb_id with a trailing newline", overlay(lambda ov: ov["ops"][1].update(kb_id="Q1065\n")), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /ops/1/kb_id: schema violation: 'Q1065\\n' does not match"),
    Case("overlay: published with a trailing newline", overlay(lambda ov: ov["ops"][0].update(field="published", value="2012-11-20\n")), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /ops/0/value: schema violation: '2012-11-20\\n' does not match"),
    Case("overlay: published on a day that does not exist", overlay(lambda ov: ov["ops"][0].update(field="published", value="2012-02-30")), 1,
         f"[E408] annotations/{SEED}.maintainer-a.json at /ops/0/value: op 'op-001': not a calendar date (found '2012-02-30'"),
    # lone surrogates: valid JSON, not Unicode
    Case("overlay: lone surrogate in a value", raw_overlay(json.dumps(
        {**OVERLAY, "ops": [{**OVERLAY["ops"][0], "value": "gaza-\ud800"}, *OVERLAY["ops"][1:]]})), 1,
         f"[E409] annotations/{SEED}.maintainer-a.json at /ops/0/value: string holds a lone surrogate"),
    Case("overlay: lone surrogate (build)", raw_overlay(json.dumps(
        {**OVERLAY, "ops": [{**OVERLAY["ops"][0], "value": "gaza-\ud800"}, *OVERLAY["ops"][1:]]})), 1,
         f"[E409] annotations/{SEED}.maintainer-a.json at /ops/0/value: string holds a lone surrogate", ("build", "--out", "out")),
    Case("JSONL text with a lone surrogate", seed("sur.jsonl", '{"id": "s1", "text": "Ban Ki-moon \\ud800 visited Gaza."}\n'), 1,
         "[E113] seeds/sur.jsonl at line 1, /text: record holds a lone surrogate"),
    Case("JSONL text with a lone surrogate (build)", seed("sur.jsonl", '{"id": "s1", "text": "Ban Ki-moon \\ud800 visited Gaza."}\n'), 1,
         "[E113] seeds/sur.jsonl at line 1, /text: record holds a lone surrogate", ("build", "--out", "out")),
    # overlays the loader would not read: refused, never skipped
    Case("overlay: upper-case .JSON", overlay(lambda ov: None, f"{SEED}.maintainer-a.JSON"), 1,
         f"[E400] annotations/{SEED}.maintainer-a.JSON: file under annotations/ is not read"),
    Case("overlay: .json5", overlay(lambda ov: None, f"{SEED}.maintainer-a.json5"), 1,
         f"[E400] annotations/{SEED}.maintainer-a.json5: file under annotations/ is not read"),
    Case("overlay: in a subfolder", in_subfolder("reviews"), 1,
         f"[E400] annotations/reviews/{SEED}.maintainer-a.json: file under annotations/ is not read"),
    Case("overlay: in a nested adjudication folder (build)", in_subfolder("x/adjudication"), 1,
         f"[E400] annotations/x/adjudication/{SEED}.maintainer-a.json: file under annotations/ is not read",
         ("build", "--out", "out")),
    # overlays
    Case("overlay: invalid JSON", raw_overlay('{"schema_version": "1.0",\n "ops": [1,]\n}'), 1,
         f"[E401] annotations/{SEED}.maintainer-a.json at line 2, column 12: invalid JSON"),
    Case("overlay: schema violation", overlay(lambda ov: ov["ops"][1].pop("quote")), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /ops/1: schema violation: 'quote' is a required property"),
    Case("overlay: offsets outside the text", overlay(add_op(
        {"id": "op-x", "op": "add", "start": 99999, "end": 100005, "quote": "Gaza", "label": "GPE"})), 1,
         f"[E413] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/start: op 'op-x': span [99999, 100005)"),
    Case("overlay: negative offset", overlay(add_op(
        {"id": "op-x", "op": "add", "start": -4, "end": 0, "quote": "Gaza", "label": "GPE"})), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/start: schema violation: -4 is less than the minimum"),
    Case("overlay: reversed offsets", overlay(add_op(
        {"id": "op-x", "op": "add", "start": NES + 6, "end": NES, "quote": "Martin", "label": "PERSON"})), 1,
         f"[E413] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/start: op 'op-x': span [{NES + 6}, {NES})"),
    Case("overlay: quote mismatch", overlay(add_op(
        {"id": "op-x", "op": "add", "start": NES, "end": NES + 14, "quote": "Martin Nesirki", "label": "PERSON"})), 1,
         "(found 'Martin Nesirky', expected 'Martin Nesirki')"),
    Case("overlay: overlapping spans", overlay(add_op(
        {"id": "op-x", "op": "add", "start": BAN, "end": BAN + 16, "quote": "Ban Ki-moon will", "label": "PERSON"})), 1,
         f"[E421] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}: op 'op-x': entities overlap"),
    Case("overlay: unknown label", overlay(add_op(
        {"id": "op-x", "op": "add", "start": NES, "end": NES + 14, "quote": "Martin Nesirky", "label": "HUMAN"})), 1,
         f"[E412] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/label: op 'op-x': unknown label (found 'HUMAN'"),
    Case("overlay: unknown doc id", overlay(lambda ov: ov.update(doc_id="999_unknown"), "999_unknown.maintainer-a.json"), 1,
         "[E410] annotations/999_unknown.maintainer-a.json at /doc_id: unknown doc_id"),
    Case("overlay: unknown annotator", overlay(lambda ov: ov.update(annotator="stranger"), f"{SEED}.stranger.json"), 1,
         f"[E406] annotations/{SEED}.stranger.json at /annotator: unknown annotator (found 'stranger'"),
    Case("overlay: duplicate op ids", overlay(add_op(
        {"id": "op-001", "op": "add", "start": NES, "end": NES + 14, "quote": "Martin Nesirky", "label": "PERSON"})), 1,
         f"[E404] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/id: op 'op-001': duplicate op id"),
    Case("overlay: two ops contradict each other", second_annotator, 1,
         f"[E420] annotations/{SEED}.maintainer-b.json at /ops/0/value: op 'op-001': contradicts op 'op-001'"),
    Case("overlay: op on text removed by normalization", overlay(add_op(
        {"id": "op-x", "op": "add", "start": 0, "end": 23, "quote": "APN New Zealand Limited", "label": "ORG"})), 1,
         f"[E418] annotations/{SEED}.maintainer-a.json at /ops/{len(OVERLAY['ops'])}/quote: op 'op-x': the quote is text that normalization "
         "removed (rule copyright_footer)"),
    Case("overlay: id with ../ or a path separator", overlay(lambda ov: ov.update(doc_id="../000_609d6079c7c3312f")), 1,
         f"[E402] annotations/{SEED}.maintainer-a.json at /doc_id: schema violation: '../000_609d6079c7c3312f' does not match"),
    # text from the inputs reaching the card and datasheet as Markdown/HTML (escape.py)
    Case("overlay: title and event with newlines, |, \\r, <script> and ![](...)", set_title_and_event, 0, "", BUILD,
         markup_is_inert),
    Case("corpus.toml pretty_name and card answers with newlines, |, <script> and ![](...)", pretty_name_and_answers, 0,
         "", BUILD, markup_is_inert),
    Case("overlay: a file of many megabytes", raw_overlay(b'{"ops": [' + b'{"id": "x"}, ' * 1_000_000 + b'{}]}'), 1,
         f"[E405] annotations/{SEED}.maintainer-a.json: overlay file too large (13,000,013 bytes > 10,485,760)"),
]


def run_cli(project: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    # root reads any file: drop the capabilities that let it, so permissions apply as for a user
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, sys.executable, "-m", "corpus_builder", *args], cwd=project,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_clear_line(case: Case, tmp_path: Path):
    project = copy_project(tmp_path / "p")
    case.setup(project)
    result = run_cli(project, case.args)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == case.exit_code, result.stderr
    assert case.expect in result.stderr, result.stderr
    if case.check is not None:
        case.check(project)
    for line in result.stderr.splitlines():
        if line.startswith(("error:", "warning:")):
            assert " -> " in line, f"no advice on what to do next: {line}"


def test_a_refused_version_leaves_nothing_on_disk(tmp_path: Path):
    project = copy_project(tmp_path / "p")
    version("1.0.0/extra")(project)
    (project / "dist").mkdir()
    result = run_cli(project, ("build",))
    assert result.returncode == 1 and "[E006]" in result.stderr, result.stderr
    assert list((project / "dist").iterdir()) == []


def test_bom_crlf_gives_the_same_text_as_lf():
    assert normalized("\ufeff" + ARTICLE.replace("\n", "\r\n")).text == normalized(ARTICLE).text


@pytest.mark.parametrize("raw, text, rule", [
    ("Gazaâ€™s borders.", "Gaza’s borders.", "fix_unicode"),
    ("Ban\x00 went\x07 home.", "Ban went home.", "fix_unicode"),
    ("Ban\u200b met \u202eNetanyahu\u202c.", "Ban met Netanyahu.", "invisible_characters"),
    ("<p>Ban &amp; Abbas.</p><p>Next.</p>", "Ban & Abbas.\n\nNext.", "html_markup"),
])
def test_repairs_are_recorded_as_edits(raw: str, text: str, rule: str):
    doc = normalized(raw)
    assert doc.text == text
    assert any(rule in e.rule.split("+") for e in doc.edits)


def main() -> None:
    """Print the table of bad inputs, commands, exit codes and messages."""
    print("| bad input | command | exit | message |")
    print("|---|---|---|---|")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            project = copy_project(Path(tmp))
            case.setup(project)
            result = run_cli(project, case.args)
            lines = [l for l in result.stderr.splitlines() if case.expect in l] or result.stderr.splitlines()[-1:]
            message = lines[0].replace("|", "\\|") if lines else ""
            print(f"| {case.name} | `corpus-builder {' '.join(case.args)}` | {result.returncode} | {message} |")


if __name__ == "__main__":
    main()
