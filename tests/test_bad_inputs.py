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
from conftest import AGENCIES, ROOT, copy_project, warm_cli, write_overlay  # noqa: E402

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


def dedup_policy(**policy: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        toml = project / "corpus.toml"
        toml.write_text(toml.read_text("utf-8") + "\n[dedup]\n" + "".join(f'{k} = "{v}"\n' for k, v in policy.items()),
                        "utf-8")
    return setup


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        for one in setups:
            one(project)
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


def fifo(where: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        os.mkfifo(project / where)
    return setup


def link_to(where: str, target: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        path = project / where
        if path.exists():
            path.unlink()
        path.symlink_to(target)
    return setup


def toml_edit(old: str, new: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        toml = project / "corpus.toml"
        text = toml.read_text("utf-8")
        assert old in text
        toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return setup


def toml_append(extra: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        with (project / "corpus.toml").open("a", encoding="utf-8") as fh:
            fh.write("\n" + extra + "\n")
    return setup


def read_only_out(project: Path) -> None:
    (project / "ro").mkdir(mode=0o555)


def file_as_out(project: Path) -> None:
    (project / "afile").write_text("not a folder\n")


def tiny_disk(project: Path) -> None:
    """A 96 KiB tmpfs as the output folder: the release (about 320 KiB) cannot fit."""
    (project / "full").mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(project / "full")], check=True)


def unmount_tiny_disk(project: Path) -> None:
    subprocess.run(["umount", str(project / "full")], check=True)


def forged(mutate: Callable[[Path], None]) -> Callable[[Path], None]:
    """A copy of the committed release, changed by ``mutate`` and made consistent the way a
    forger would: croissant.json's digests and SHA256SUMS recomputed (manifest.json kept)."""
    def setup(project: Path) -> None:
        import hashlib
        import shutil
        release = project / "dist" / "3.0.0"
        shutil.copytree(ROOT / "dist" / "3.0.0", release)
        mutate(release)
        digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
        croissant = release / "croissant.json"
        if croissant.exists():
            obj = json.loads(croissant.read_text("utf-8"))
            for o in obj["distribution"]:
                if o.get("@type") == "cr:FileObject" and (release / o["contentUrl"]).is_file():
                    o["sha256"] = digest(release / o["contentUrl"])
            croissant.write_text(json.dumps(obj, indent=2), encoding="utf-8")
        files = sorted(p for p in release.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
        (release / "SHA256SUMS").write_text(
            "".join(f"{digest(p)}  {p.relative_to(release).as_posix()}\n" for p in files), encoding="utf-8")
    return setup


def edit_row(release: Path) -> None:
    """Relabel the first entity of the first training document (text and offsets untouched)."""
    import pyarrow.parquet as pq
    path = release / "data" / "documents" / "train-00000-of-00001.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["entities"][0]["label"] = (rows[0]["entities"][0]["label"] + 2) % 18
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)


def edit_text(release: Path) -> None:
    """Change one letter of a document text (same length) and its text_sha256, like a careful forger."""
    import hashlib
    import pyarrow.parquet as pq
    path = release / "data" / "documents" / "train-00000-of-00001.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["text"] = rows[0]["text"].replace("heading", "headinq", 1)
    rows[0]["text_sha256"] = hashlib.sha256(rows[0]["text"].encode()).hexdigest()
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)


def add_file(name: str, listed_in_croissant: bool = True) -> Callable[[Path], None]:
    def mutate(release: Path) -> None:
        (release / name).parent.mkdir(parents=True, exist_ok=True)
        (release / name).write_bytes((release / "data" / "ner" / "train-00000-of-00001.parquet").read_bytes())
        if listed_in_croissant:
            croissant = release / "croissant.json"
            obj = json.loads(croissant.read_text("utf-8"))
            obj["distribution"].append({"@type": "cr:FileObject", "@id": name, "name": name, "contentUrl": name,
                                        "encodingFormat": "application/x-parquet", "sha256": ""})
            croissant.write_text(json.dumps(obj, indent=2), encoding="utf-8")
    return mutate


def damage(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    """A release copy whose file ``name`` is damaged (SHA256SUMS left as it was)."""
    def setup(project: Path) -> None:
        import shutil
        release = project / "dist" / "3.0.0"
        shutil.copytree(ROOT / "dist" / "3.0.0", release)
        (release / name).write_text(change((release / name).read_text("utf-8")), encoding="utf-8")
    return setup


def old_release(in_git: bool) -> Callable[[Path], None]:
    """dist/1.0.0 in a project copy whose history (if any) never held its inputs."""
    def setup(project: Path) -> None:
        import shutil
        shutil.copytree(ROOT / "dist" / "1.0.0", project / "dist" / "1.0.0")
        if in_git:
            env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
            for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "today's inputs"]):
                subprocess.run(["git", *args], cwd=project, check=True, env=env, capture_output=True)
    return setup


def pending_journal(text: str | None = None) -> Callable[[Path], None]:
    """dist/ holds the journal of a release that was killed half way (or a damaged one)."""
    def setup(project: Path) -> None:
        toml = (project / "corpus.toml").read_text("utf-8")
        journal = text if text is not None else json.dumps(
            {"version": "3.1.0", "level": "minor", "date": "2026-12-03", "previous": "3.0.0",
             "staging": ".tmp-release-3.1.0", "original": toml, "bumped": toml.replace('"3.0.0"', '"3.1.0"'),
             "step": "started"})
        (project / "dist").mkdir(exist_ok=True)
        (project / "dist" / ".release-journal.json").write_text(journal, encoding="utf-8")
    return setup


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        for s in setups:
            s(project)
    return setup


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
    teardown: Callable[[Path], None] | None = None
    left: str = ""  # what the command leaves on disk, when it is more than nothing
    recorded: tuple[str, str] | None = None  # (doc_id, rule): a repair the built release must record as an edit
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
         seed(f"{SEED}.txt", "\ufeff" + ARTICLE.replace("\n", "\r\n")), 0, ": written", BUILD, recorded=(SEED, "line_endings")),
    Case("mojibake (repaired, recorded as an edit)",
         seed("mojibake.txt", "Gazaâ€™s borders must be opened, Mashaal told reporters in Doha on Wednesday."), 0, ": written",
         BUILD, recorded=("mojibake", "fix_unicode")),
    Case("NUL and control characters (removed, recorded)",
         seed("controls.txt", "Ban Ki-moon\x00 visited\x07 Gaza\x1b on Tuesday, officials said, before talks in Cairo."),
         0, ": written", BUILD, recorded=("controls", "fix_unicode")),
    Case("bidi override and zero-width characters (removed, recorded)",
         seed("bidi.txt", "Ban\u200b Ki-moon met \u202eNetanyahu\u202c in Jerusalem\u2060 on Tuesday."), 0, ": written",
         BUILD, recorded=("bidi", "invisible_characters")),
    Case("HTML markup (stripped, recorded)",
         seed("html.txt", "<html><body><p>Ban Ki-moon met Netanyahu &amp; Abbas.</p><script>x()</script>"
                          "<p>Talks went on in <b>Cairo</b>.</p></body></html>"), 0, ": written", BUILD,
         recorded=("html", "html_markup")),
    Case("one line of several megabytes", seed("huge.txt", ("Ban Ki-moon met officials in Gaza today. " * 80_000)), 1,
         "[E106] seeds/huge.txt: document too long for the model (3,279,999 characters > 1,000,000)"),
    Case("only boilerplate", seed("boiler.txt", "© Copyright 2014, APN New Zealand Limited\n\n- AFP\n"), 1,
         "[E103] seeds/boiler.txt: no article text left after normalization"),
    Case("same article twice (exact = error)", both(dedup_policy(exact="error"), seed("copy_of_000.txt", ARTICLE)), 1,
         "[E107] seeds/copy_of_000.txt: same article as another file (found 'seeds/000_609d6079c7c3312f.txt'"),
    Case("same article twice (default: dropped and listed)", seed("copy_of_000.txt", ARTICLE), 0,
         "[W130] 1 duplicate document(s) left out (1 exact, 0 near)"),
    Case("near-duplicate (near = warn: warning, kept)",
         both(dedup_policy(near="warn"), seed("near_000.txt", ARTICLE.replace("Friday", "Saturday"))), 0,
         "[W107] seeds/near_000.txt: near-duplicate of seeds/000_609d6079c7c3312f.txt"),
    Case("unknown [dedup] value", dedup_policy(near="merge"), 1,
         "[E130] corpus.toml at [dedup].near: invalid [dedup] setting (found \"'merge'\""),
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
         check=markup_is_inert),
    Case("corpus.toml pretty_name and card answers with newlines, |, <script> and ![](...)", pretty_name_and_answers, 0,
         "", BUILD, check=markup_is_inert),
    Case("overlay: a file of many megabytes", raw_overlay(b'{"ops": [' + b'{"id": "x"}, ' * 1_000_000 + b'{}]}'), 1,
         f"[E405] annotations/{SEED}.maintainer-a.json: overlay file too large (13,000,013 bytes > 10,485,760)"),
    # issue 17.9: overlay discovery refuses what it will not read; seeds are stat-ed before they are opened
    Case("overlay: symlink to a device", link_to(f"annotations/{SEED}.maintainer-a.json", "/dev/zero"), 1,
         f"[E424] annotations/{SEED}.maintainer-a.json: a symlink under annotations/ is not read"),
    Case("overlay: symlink to an overlay outside (build)", both(
        lambda p: (p / "elsewhere.json").write_bytes((p / "annotations" / f"{SEED}.maintainer-a.json").read_bytes()),
        link_to(f"annotations/{SEED}.maintainer-a.json", "../elsewhere.json")), 1,
         f"[E424] annotations/{SEED}.maintainer-a.json: a symlink under annotations/ is not read",
         ("build", "--out", "out")),
    Case("overlay: a FIFO (never opened, no hang)", fifo("annotations/x.maintainer-a.json"), 1,
         "[E424] annotations/x.maintainer-a.json: a FIFO under annotations/ is not read"),
    Case("overlay: a FIFO in the adjudication folder", both(
        lambda p: (p / "annotations" / "adjudication").mkdir(exist_ok=True), fifo("annotations/adjudication/x.json")), 1,
         "[E424] annotations/adjudication/x.json: a FIFO under annotations/ is not read"),
    Case("annotator registry: a symlink", link_to("annotations/annotators.json", "/dev/zero"), 1,
         "[E424] annotations/annotators.json: a symlink under annotations/ is not read"),
    Case("overlay: over the size setting", toml_append("[limits]\noverlay_file_bytes = 100"), 1,
         f"[E405] annotations/{SEED}.maintainer-a.json: overlay file too large ("),
    Case("seed: a FIFO (never opened, no hang)", fifo("seeds/pipe.txt"), 1,
         "[E151] seeds/pipe.txt: seed is a FIFO, not a regular file"),
    Case("seed: a symlink to a device", link_to("seeds/zero.txt", "/dev/zero"), 1,
         "[E108] seeds/zero.txt: symlink points outside the seeds folder"),
    Case("seed: over the size setting", toml_append("[limits]\nseed_file_bytes = 1000"), 1,
         f"[E152] seeds/{SEED}.txt: seed file too large ("),
    # issue 17.12: duplicate JSON keys are refused, not "last wins"
    Case("overlay: a key given twice", raw_overlay(json.dumps(OVERLAY)[:-1] + ', "scope": "partial", "scope": "full"}'),
         1, f"[E423] annotations/{SEED}.maintainer-a.json: a JSON object names the key 'scope' twice"),
    Case("JSONL: a key given twice", seed("dup.jsonl", '{"id": "d1", "text": "Ban Ki-moon visited Gaza.", "id": "d2"}\n'),
         1, "[E150] seeds/dup.jsonl at line 1: a JSON record names the key 'id' twice"),
    Case("annotator registry: a key given twice", lambda p: (p / "annotations" / "annotators.json").write_text(
        '{"annotators": [], "annotators": [{"id": "maintainer-a", "name": "A", "role": "r"}]}'), 1,
         "[E423] annotations/annotators.json: a JSON object names the key 'annotators' twice"),
    # issue 17.12: typed settings, checked at load, one error per bad key
    Case("setting of the wrong type", toml_edit("batch_size = 64", 'batch_size = "64"'), 1,
         "[E030] corpus.toml at [model].batch_size: setting batch_size has the wrong type (found \"'64'\", "
         "expected 'an integer')"),
    Case("two settings of the wrong type (both reported)",
         both(toml_edit('pretty_name = "UN Gaza News NER"', "pretty_name = 3"),
              toml_edit('seeds = "seeds"', "seeds = true")), 1,
         "[E030] corpus.toml at [paths].seeds: setting seeds has the wrong type (found 'True', expected 'a string')"),
    Case("a section of the wrong type", toml_edit("[dataset]", "limits = 5\n[dataset]"), 1,
         "[E030] corpus.toml at [limits]: setting [limits] has the wrong type (found 'int', expected 'a table')"),
    Case("batch_size = 0 (would drop every document)", toml_edit("batch_size = 64", "batch_size = 0"), 1,
         "[E031] corpus.toml at [model].batch_size: setting batch_size must be at least 1 (found '0'",
         ("build", "--out", "out")),
    # issue 17.10: a consistent forgery (SHA256SUMS and croissant.json digests recomputed) fails plain verify
    Case("forged release: an entity relabelled in a row", forged(edit_row), 1,
         "[E763] dist/3.0.0/data/documents at /counts/entities_by_label/PERSON/total: the rows differ from manifest.json", ("verify", "dist/3.0.0")),
    Case("forged release: a word of a text changed (same length, text_sha256 updated)", forged(edit_text), 1,
         "[E764] dist/3.0.0/data/ner at doc_id 000_609d6079c7c3312f: tokens of the ner config differ from the "
         "document text (1 tokens)", ("verify", "dist/3.0.0")),
    Case("forged release: an extra file listed in SHA256SUMS and croissant.json", forged(add_file("data/ner/notes.parquet")),
         1, "[E762] dist/3.0.0/data/ner/notes.parquet: not a file a release holds", ("verify", "dist/3.0.0")),
    Case("forged release: an extra shard listed in both", forged(add_file("data/ner/train-00001-of-00001.parquet")), 1,
         "[E762] dist/3.0.0/data/ner/train-00001-of-00001.parquet: not a file a release holds", ("verify", "dist/3.0.0")),
    Case("forged release: a file in SHA256SUMS only", forged(add_file("LICENSE.md.bak", False)), 1,
         "[E761] dist/3.0.0/LICENSE.md.bak: file listed in SHA256SUMS but not in croissant.json", ("verify", "dist/3.0.0")),
    Case("forged release: croissant.json removed", forged(lambda r: (r / "croissant.json").unlink()), 1,
         "[E760] dist/3.0.0/croissant.json: the release has no croissant.json", ("verify", "dist/3.0.0")),
    # issue 17.11: damaged metadata is a coded error in verify and diff, never exit 3
    Case("broken card YAML (verify)", damage("README.md", lambda t: t.replace("pretty_name: UN Gaza News NER",
         "pretty_name: UN Gaza\nNews NER: [", 1)), 1, "[E766] dist/3.0.0/README.md at line ", ("verify", "dist/3.0.0")),
    Case("broken card YAML (diff)", damage("README.md", lambda t: t.replace("pretty_name: UN Gaza News NER",
         "pretty_name: UN Gaza\nNews NER: [", 1)), 1, "[E766] dist/3.0.0/README.md at line ",
         ("diff", "dist/3.0.0", "dist/3.0.0")),
    Case("card without a YAML header (diff)", damage("README.md", lambda t: t.replace("---\n", "", 2)), 1,
         "[E766] dist/3.0.0/README.md: the dataset card's YAML header is damaged: no YAML header",
         ("diff", "dist/3.0.0", "dist/3.0.0")),
    Case("truncated manifest.json (verify)", damage("manifest.json", lambda t: t[:500]), 1,
         "[E765] dist/3.0.0/manifest.json: manifest.json is damaged: ", ("verify", "dist/3.0.0")),
    Case("truncated manifest.json (diff)", damage("manifest.json", lambda t: t[:500]), 1,
         "[E765] dist/3.0.0/manifest.json: manifest.json is damaged: ", ("diff", "dist/3.0.0", "dist/3.0.0")),
    Case("manifest.json a JSON list (verify)", damage("manifest.json", lambda t: "[1, 2]\n"), 1,
         "[E765] dist/3.0.0/manifest.json: manifest.json is damaged: a JSON list, not an object", ("verify", "dist/3.0.0")),
    Case("manifest.json without its counts (verify)", damage("manifest.json", lambda t: json.dumps(
        {k: v for k, v in json.loads(t).items() if k != "counts"})), 1,
         "[E765] dist/3.0.0/manifest.json: manifest.json is damaged: KeyError: 'counts'", ("verify", "dist/3.0.0")),
    Case("croissant.json damaged (verify)", damage("croissant.json", lambda t: t[:300]), 1,
         "[E713] dist/3.0.0/croissant.json: croissant.json is damaged: ", ("verify", "dist/3.0.0")),
    Case("manifest.json without its version (diff)", damage("manifest.json", lambda t: json.dumps(
        {k: v for k, v in json.loads(t).items() if k != "version"})), 1,
         "[E765] dist/3.0.0/manifest.json or dist/3.0.0/manifest.json: manifest.json is damaged: KeyError: 'version'",
         ("diff", "dist/3.0.0", "dist/3.0.0")),
    # issue 17.13: an older release is rebuilt at the commit holding its inputs
    Case("verify --rebuild: no commit holds the release's inputs", old_release(True), 1,
         "[E767] dist/1.0.0/manifest.json: no commit of the project's history holds the inputs release 1.0.0",
         ("verify", "--rebuild", "dist/1.0.0")),
    Case("verify --rebuild of an older release outside a git work tree", old_release(False), 2,
         "[E768] .: cannot rebuild at commit -: fatal: not a git repository", ("verify", "--rebuild", "dist/1.0.0")),
    # issue 17.4: a build never releases over a half-done release (the old hints led there)
    Case("build while an interrupted release is pending", pending_journal(), 2,
         "[E606] dist/.release-journal.json: an interrupted release of 3.1.0 is pending -> run "
         "`corpus-builder release --bump minor`", ("build",)),
    Case("build with a damaged release journal", pending_journal("{"), 2,
         "[E606] dist/.release-journal.json: the release journal is damaged", ("build",)),
    # issue 17.12: the Hub's repo id grammar (the dry run refuses what the Hub would)
    *[Case(f"publish --dry-run: repo id {rid!r}", lambda p: None, 2,
           f"[E801] repo id must look like OWNER/NAME (found {rid!r}",
           ("publish", "dist/3.0.0", "--repo-id", rid, "--dry-run"))
      for rid in ("user/a--b", "user/a..b", "user/na me", "user/x.git", "-user/x", "user/" + "a" * 97, "a/b/c")],
    Case("annotator id too long for an overlay file name", lambda p: (p / "annotations" / "annotators.json").write_text(
        json.dumps({"annotators": [{"id": "a" * 100, "name": "A", "role": "r"}]})), 1,
         "[E425] annotations/annotators.json at /annotators/0/id: annotator id too long (100 characters > 64)"),
    # issue 17.12: an output folder that cannot be used, a full disk
    Case("--out a read-only folder", read_only_out, 2,
         "[E504] ro/3.0.0: cannot use the output folder: Permission denied", ("build", "--out", "ro/3.0.0")),
    Case("--out a file", file_as_out, 2, "[E504] afile: cannot use the output folder: File exists",
         ("build", "--out", "afile")),
    Case("full disk (a 96 KiB tmpfs as --out)", tiny_disk, 2,
         "[E505] full: cannot write the release: No space left on device", ("build", "--out", "full"),
         teardown=unmount_tiny_disk),
]


def run_cli(project: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    # root reads any file: drop the capabilities that let it, so permissions apply as for a user
    prefix = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search") if os.geteuid() == 0 else ()
    return warm_cli(args, project, prefix)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_clear_line(case: Case, tmp_path: Path, ner_cache: Path):
    # the NER results of the committed seeds come warm from the session's build: only a case's
    # new or changed text runs the model (the checks are the same; the run is faster)
    project = copy_project(tmp_path / "p", cache=ner_cache)
    case.setup(project)
    try:
        result = run_cli(project, case.args)
        if case.teardown is not None:
            assert [p.name for p in (project / "full").rglob("*")] == [".lock"], "a failed write left files behind"
    finally:
        if case.teardown is not None:
            case.teardown(project)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == case.exit_code, result.stderr
    assert case.expect in result.stderr, result.stderr
    if case.check is not None:
        case.check(project)
    for line in result.stderr.splitlines():
        if line.startswith(("error:", "warning:")):
            assert " -> " in line, f"no advice on what to do next: {line}"
    if case.recorded:
        assert_recorded(project, *case.recorded)


def assert_recorded(project: Path, doc_id: str, rule: str) -> None:
    """The repair is in the released document's edits, and the edits turn the raw file into its text."""
    import pyarrow.parquet as pq

    rows = [r for p in (project / "out").glob("*/data/documents/*.parquet") for r in pq.read_table(p).to_pylist()]
    row = next(r for r in rows if r["doc_id"] == doc_id)
    assert any(rule in e["rule"].split("+") for e in row["edits"]), row["edits"]
    raw = (project / "seeds" / row["source_file"]).read_bytes().decode("utf-8")
    out, pos = [], 0  # replayed here, not with the package's own apply_edits
    for e in row["edits"]:
        assert pos <= e["raw_start"] <= e["raw_end"] <= len(raw), e
        out += [raw[pos:e["raw_start"]], e["replacement"]]
        pos = e["raw_end"]
    assert "".join(out) + raw[pos:] == row["text"]


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
    """Print the table of bad inputs, commands, exit codes, messages and what each
    command left on disk (files it added or removed, its NER cache aside)."""
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # a fragment of the case names to run
    print("| bad input | command | exit | message | left on disk |")
    print("|---|---|---|---|---|")
    for case in CASES:
        if only not in case.name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            project = copy_project(Path(tmp))
            case.setup(project)
            before = files_of(project)
            try:
                result = run_cli(project, case.args)
                added, removed = sorted(files_of(project) - before), sorted(before - files_of(project))
            finally:
                if case.teardown is not None:
                    case.teardown(project)
            lines = [l for l in result.stderr.splitlines() if case.expect in l] or result.stderr.splitlines()[-1:]
            message = lines[0].replace("|", "\\|") if lines else ""
            left = ", ".join([*(f"+{a}" for a in added), *(f"-{r}" for r in removed)]) or "nothing"
            print(f"| {case.name} | `corpus-builder {' '.join(case.args)}` | {result.returncode} | {message} | "
                  f"{left.replace('|', '/')} |")


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in project.rglob("*")
            if p.is_file() and not p.is_symlink() and ".cache" not in p.parts and ".git" not in p.parts}


if __name__ == "__main__":
    main()
