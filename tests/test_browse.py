"""``browse``: the static site of a release, checked against the release itself."""

from __future__ import annotations

import json
import shutil
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from corpus_builder.actions.browse import browse
from corpus_builder.browse.markup import pieces
from corpus_builder.browse.site import RECORD, build_site, site_digest
from corpus_builder.errors import CorpusError
from corpus_builder.release.diff import diff_releases
from corpus_builder.release.read import read_release

from conftest import cli


class Marks(HTMLParser):
    """Entity marks per element id that contains them, data-ref of each, and every URL."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.marks: Counter[str] = Counter()
        self.classes: dict[str, Counter[str]] = {}
        self.urls: list[tuple[str, str, str]] = []  # tag, attribute, value

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("href", "src"):
            if a.get(k):
                self.urls.append((tag, k, a[k]))
        if tag == "mark" and "entity" in (a.get("class") or "").split():
            where = next((x for x in reversed(self.stack) if x), "")
            self.marks[where] += 1
            self.classes.setdefault(where, Counter()).update(c for c in a["class"].split() if c != "entity")
        if tag not in ("br", "meta", "link", "input"):
            self.stack.append(a.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("br", "meta", "link", "input") and self.stack:
            self.stack.pop()


def parse(path: Path) -> Marks:
    m = Marks()
    m.feed(path.read_text("utf-8"))
    return m


def test_every_document_has_a_page_with_each_entity_marked(browsed, release_dir):
    release = read_release(release_dir)
    pages = sorted(p.stem for p in (browsed.out / "doc").glob("*.html"))
    assert pages == sorted(release.documents)
    for doc_id, row in release.documents.items():
        m = parse(browsed.out / "doc" / f"{doc_id}.html")
        assert m.marks["published"] == len(row["entities"]) == m.marks["gold"] == m.marks["changes"], doc_id
        html = (browsed.out / "doc" / f"{doc_id}.html").read_text("utf-8")
        for e in row["entities"]:  # provenance rows: every op id and overlay file
            for op in (e["op_ids"] or "").split():
                assert f"<code>{op}</code>" in html
            if e["kb_id"] and e["kb_id"] != "NIL":
                assert f'href="https://www.wikidata.org/wiki/{e["kb_id"]}"' in html
        assert html.count('class="sentence"') == 4 * (len(row["sentences"]) - 1)  # four views of the text


def test_model_errors_are_the_ones_the_release_reports(browsed, release_dir):
    """Every document is reviewed completely, so the model view's errors are the
    release's own model errors (manifest gold.model_quality, which `report` prints)."""
    manifest = json.loads((release_dir / "manifest.json").read_text("utf-8"))
    expected = manifest["gold"]["model_quality"]["errors_by_kind"]
    found: Counter[str] = Counter()
    for page in (browsed.out / "doc").glob("*.html"):
        m = parse(page)
        found.update({k[4:]: n for k, n in m.classes["model"].items() if k.startswith("err-") and k != "err-match"})
        found["false_negative"] += m.classes["gold"]["err-false_negative"]
        assert re.findall(r'<tr class="err-([a-z_]+)">', page.read_text("utf-8"))  # the error table
    assert dict(sorted(found.items())) == expected
    index = (browsed.out / "index.html").read_text("utf-8")
    assert ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in expected.items()) in index


def test_compare_shows_the_diff_classes(browsed, release_dir):
    d = diff_releases(release_dir.parent / "1.0.0", release_dir)
    assert d.entity_total("resized") and d.entity_total("added")
    for doc_id, dd in d.documents.items():
        m = parse(browsed.out / "doc" / f"{doc_id}.html")
        marked = m.classes["changes"]
        assert marked["diff-added"] == len(dd.added) and marked["diff-resized"] == len(dd.resized)
        assert marked["diff-relabelled"] == len(dd.relabelled)
        html = (browsed.out / "doc" / f"{doc_id}.html").read_text("utf-8")
        assert html.count('<tr class="diff-removed">') == len(dd.removed)
    index = (browsed.out / "index.html").read_text("utf-8")
    assert (f"entities added {d.entity_total('added')}, removed {d.entity_total('removed')}, relabelled "
            f"{d.entity_total('relabelled')}, resized {d.entity_total('resized')}") in index


def test_nothing_is_fetched_from_the_network(browsed):
    """Only local files are loaded; the only absolute URLs are links to Wikidata items."""
    for path in browsed.out.rglob("*"):
        if path.suffix not in (".html", ".js", ".css"):
            continue
        text = path.read_text("utf-8")
        assert "@import" not in text and "url(" not in text
        links = {u for u in re.findall(r"https?://[^\s\"'<>)]+", text)}
        assert all(re.fullmatch(r"https://www\.wikidata\.org/wiki/Q[1-9][0-9]*", u) for u in links), path
        if path.suffix == ".html":
            for tag, attr, value in parse(path).urls:
                assert tag == "a" or not re.match(r"[a-z]+:", value), (path, tag, value)
                assert attr == "href" or tag == "script"


def test_pages_and_filters(release_dir, tmp_path):
    """Index pages of at most page_size rows; each row carries what the filters match."""
    site = browse(release_dir, tmp_path / "site", no_model=True, page_size=2)
    release = read_release(release_dir)
    assert site.record["index_pages"] == 3 and site.pages == 3 + len(release.documents)
    seen = []
    for name in ("index.html", "index-2.html", "index-3.html"):
        html = (tmp_path / "site" / name).read_text("utf-8")
        rows = re.findall(r'<tr data-split="([^"]*)" data-event="([^"]*)" data-label="([^"]*)" data-source="([^"]*)"', html)
        links = re.findall(r'<a href="doc/([^"]+)\.html">', html)
        assert len(rows) == len(links) <= 2
        for (split, event, labels, sources), doc_id in zip(rows, links):
            row = release.documents[doc_id]
            assert split == row["split"] and event == (row["event"] or "")
            assert labels.split() == sorted({release.labels[e["label"]] for e in row["entities"]})
            assert sources.split() == sorted({e["source"] for e in row["entities"]})
        seen += links
        assert 'id="filter-split"' in html and 'id="filter-label"' in html and 'id="filter-event"' in html
    assert sorted(seen) == sorted(release.documents)
    assert "Model vs gold" not in (tmp_path / "site" / "doc" / f"{seen[0]}.html").read_text("utf-8")


def test_same_release_same_site(release_dir, tmp_path):
    a = build_site(release_dir, tmp_path / "a")
    b = build_site(release_dir, tmp_path / "b")
    digest = site_digest(a.out)
    record = json.loads((a.out / RECORD).read_text("utf-8"))
    assert record["release"]["version"] == read_release(release_dir).manifest["version"]
    assert digest == site_digest(b.out)
    c = build_site(release_dir, tmp_path / "a")  # an earlier site is replaced
    assert site_digest(c.out) == digest


def test_pieces_keep_the_text():
    text = "Ban Ki-moon went to Gaza. Then he left."
    out = pieces(text, [(0, 11, {"ref": "g-0"}), (20, 24, {"ref": "g-1"})], [0, 26])
    assert "".join(p["text"] for p in out) == text
    assert [p["sentence"] for p in out if p["sentence"]] == [2]
    assert [p["mark"]["ref"] for p in out if p["mark"]] == ["g-0", "g-1"]


def test_out_inside_the_release_is_refused(release_dir):
    with pytest.raises(CorpusError) as exc:
        browse(release_dir, release_dir / "site", no_model=True)
    assert exc.value.problems[0].code == "E740"
    assert not (release_dir / "site").exists()


def test_a_foreign_folder_is_not_overwritten(release_dir, tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    proc = cli("browse", str(release_dir), "--out", str(out), "--no-model")
    assert proc.returncode == 2 and "E741" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "mine.txt").read_text() == "keep me"


def test_one_model_source_only(release_dir, tmp_path):
    proc = cli("browse", str(release_dir), "--out", str(tmp_path / "s"), "--no-model", "--model", "x")
    assert proc.returncode == 2 and "E742" in proc.stderr


def test_an_altered_release_is_refused(release_copy, tmp_path):
    shard = sorted((release_copy / "data" / "documents").glob("*.parquet"))[0]
    shard.write_bytes(shard.read_bytes() + b"\0")
    with pytest.raises(CorpusError) as exc:
        browse(release_copy, tmp_path / "site", no_model=True)
    assert exc.value.problems[0].code == "E721"
    assert not (tmp_path / "site").exists()


def test_predictions_file_as_the_model(release_dir, tmp_path):
    """--predictions: any model's spans, checked like `evaluate`'s (one line per document)."""
    release = read_release(release_dir)
    first = next(iter(release.documents))
    lines = [json.dumps({"doc_id": d, "entities": [] if d != first else [{"start": 0, "end": 3, "label": "ORG"}]})
             for d in release.documents]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n")
    site = browse(release_dir, tmp_path / "site", predictions=path)
    m = parse(site.out / "doc" / f"{first}.html")
    assert m.marks["model"] == 1
    assert m.classes["gold"]["err-false_negative"] >= len(release.documents[first]["entities"]) - 1
    path.write_text(lines[0] + "\n")
    proc = cli("browse", str(release_dir), "--out", str(tmp_path / "t"), "--predictions", str(path))
    assert proc.returncode == 1 and "E734" in proc.stderr


def test_text_and_metadata_are_escaped(project: Path, ruler_nlp, tmp_path):
    """Autoescaping: a title, publisher or text holding markup is shown, never run."""
    from corpus_builder.actions.build import build
    from corpus_builder.config import load_config

    shutil.rmtree(project / "annotations" / "adjudication")
    for f in (project / "annotations").glob("*.*.json"):
        f.unlink()
    evil = "<script>alert(1)</script>"
    text = f"Ban Ki-moon visited Gaza. The UN said {evil} & more.\n\nGaza is in the Middle East."
    (project / "seeds" / "a.jsonl").write_text(
        json.dumps({"id": "x1", "text": text, "title": f"Title {evil}", "publisher": '"><img src=x onerror=alert(1)>'})
        + "\n")
    toml = project / "corpus.toml"  # without overlays there are no events: pin documents to the splits
    toml.write_text(toml.read_text("utf-8").replace(
        "[splits.pins]\n", '[splits.pins]\n"x1" = "validation"\n"001_829009ebf935329d" = "test"\n'), "utf-8")
    report = build(load_config(project).with_overrides(out=tmp_path / "dist"), ruler_nlp)
    site = browse(report.release, tmp_path / "site", no_model=True)
    for page in (site.out / "index.html", site.out / "doc" / "x1.html"):
        html = page.read_text("utf-8")
        assert "<script>alert" not in html and "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    m = parse(site.out / "doc" / "x1.html")
    assert m.marks["published"] == len(read_release(report.release).documents["x1"]["entities"]) > 0
