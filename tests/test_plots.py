"""The release's plots: SVG files under ``plots/``, drawn from the build's figures,
listed like every other release file, shown by the card and the datasheet, and
byte-identical when another process builds the same release."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from corpus_builder.io import sha256_file
from corpus_builder.release.folder import SUMS, read_checksums
from corpus_builder.release.plots import entities_per_document
from corpus_builder.release.verify import verify

from conftest import cli

PLOTS = ("plots/labels_by_split.svg", "plots/entities_per_document.svg", "plots/f1_by_label.svg")
SVG = "{http://www.w3.org/2000/svg}"


def titles(path: Path) -> list[str]:
    """The tooltip of every bar."""
    root = ET.parse(path).getroot()
    return [t.text or "" for rect in root.iter(f"{SVG}rect") for t in rect.iter(f"{SVG}title")]


def test_plots_are_release_files_the_card_and_datasheet_show(fresh_build):
    folder = fresh_build.release
    listed = read_checksums(folder / SUMS)
    croissant = json.loads((folder / "croissant.json").read_text("utf-8"))
    described = {d.get("contentUrl"): d for d in croissant["distribution"]}
    for plot in PLOTS:
        assert listed[plot] == sha256_file(folder / plot)
        assert described[plot]["encodingFormat"] == "image/svg+xml"
        assert described[plot]["sha256"] == listed[plot]
        for doc in ("README.md", "DATASHEET.md"):
            assert re.search(rf"!\[[^\]]+\]\({re.escape(plot)}\)", (folder / doc).read_text("utf-8")), (doc, plot)
    assert verify(folder) == []


def test_plots_state_the_builds_figures(fresh_build):
    folder = fresh_build.release
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    per_label: Counter[str] = Counter()
    for t in titles(folder / "plots/labels_by_split.svg"):
        label, _, n = t.rpartition(": ")
        per_label[label.split()[0]] += int(n.replace(",", ""))
    assert per_label == {k: v["total"] for k, v in manifest["counts"]["entities_by_label"].items() if v["total"]}
    histogram = sum(int(t.rpartition(": ")[2]) for t in titles(folder / "plots/entities_per_document.svg"))
    assert histogram == manifest["counts"]["documents"]
    f1 = {t.split(":")[0]: float(t.split("F1 ")[1].split()[0]) for t in titles(folder / "plots/f1_by_label.svg")}
    quality = manifest["gold"]["model_quality"]
    assert abs(f1.pop("micro") - quality["overall"]["f1"]) < 6e-4
    f1.pop("macro")
    assert f1.keys() == quality["per_label"].keys()
    for label, value in f1.items():
        assert abs(value - quality["per_label"][label]["f1"]) < 6e-4, label


def test_another_process_draws_the_same_bytes(fresh_build, tmp_path):
    proc = cli("build", "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    version = fresh_build.release.name
    for plot in PLOTS:
        assert (tmp_path / version / plot).read_bytes() == (fresh_build.release / plot).read_bytes(), plot


def test_histogram_bins_cover_every_document():
    chart = entities_per_document(Counter({0: 3, 7: 1, 250: 2}))
    names = [r.name for r in chart["rows"]]
    assert names[0].startswith("0") and names[-1].endswith("251") and len(names) <= 12
    assert sum(int(r.note) for r in chart["rows"]) == 6
