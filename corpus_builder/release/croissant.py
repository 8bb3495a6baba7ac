"""croissant.json: Croissant 1.1 (JSON-LD) metadata of a release folder.

Written by ``writer.ReleaseWriter.finish`` after the Parquet files, the card, the datasheet, the
licence and the manifest, and before ``SHA256SUMS``. Everything comes from the
folder (its files, their sha256, the schema and ClassLabel names stored in each
Parquet file) and from the manifest; the output has no timestamps, so the same
release gives the same bytes.

What it describes:

- ``distribution``: one ``cr:FileObject`` per file of the release (except
  ``croissant.json`` and ``SHA256SUMS``) with its relative ``contentUrl``, size and
  ``sha256``; one ``cr:FileSet`` per config and split (``documents-train`` ...) and one
  per config covering its splits (``documents-files``), which the RecordSets read.
  FileSets without ``containedIn`` are local files, relative to the folder of
  ``croissant.json``.
- ``recordSet``: one per config (``documents``, ``ner``) with a typed field per
  Parquet column (lists are ``isArray`` fields, lists of structs have ``subField``s
  extracted with ``jsonPath``) and a ``split`` field taken from the file path; a
  ``splits`` RecordSet (``cr:Split``); the ClassLabel names as ``entity_labels`` and
  ``ner_tags`` RecordSets with inline data (the Hub's own Croissant export loses
  them).
- the Responsible-AI properties (``rai:``) of the dataset.

This module keeps the structure; every description and ``rai:`` text is worded in
``templates/croissant.txt.j2`` (sentences built from the build's facts) and
``templates/croissant.yaml`` (fixed descriptions), so the wording lives with the rest
of the release's prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from ..config import SPLITS
from ..io import sha256_file, write_json
from .answers import QUESTIONS
from .citation import author_name, bibtex
from .manifest import KIND_NAMES
from .prose import block, described, paragraphs, required
from .rows import iob_names

FILE_NAME = "croissant.json"
NOT_DESCRIBED = frozenset({FILE_NAME, "SHA256SUMS"})  # croissant.json itself; SHA256SUMS is written after it
CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
CC_BY_4_0 = "https://creativecommons.org/licenses/by/4.0/"
PROSE = "croissant.txt.j2"
DESCRIPTIONS = "croissant.yaml"

# Croissant 1.1 Appendix 1 "JSON-LD context", with schema.org as https://schema.org/
# (what mlcroissant writes and expects), plus the terms mlcroissant 1.1.1's own
# context adds (path, repeated, replace, samplingRate, and name/description as
# language maps), so that mlcroissant reads it as its standard context.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "annotation": "cr:annotation",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "excludes": "cr:excludes",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "readLines": "cr:readLines",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sdVersion": "cr:sdVersion",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "unArchive": "cr:unArchive",
    "value": "cr:value",
}

ENCODING_FORMATS = {
    ".parquet": "application/x-parquet",
    ".md": "text/markdown",
    ".json": "application/json",
    ".cff": "application/yaml",  # Citation File Format is YAML
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
}

CONFIG_KEYS = {"documents": "doc_id", "ner": "id"}

SPLIT_URLS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}

# The rai: properties in the order written; True where the property is a list (one paragraph of
# its block in croissant.txt.j2 per item).
RAI_FIELDS: dict[str, bool] = {
    "dataCollection": False,
    "dataCollectionType": True,
    "dataCollectionRawData": False,
    "dataCollectionMissingData": False,
    "dataPreprocessingProtocol": True,
    "dataAnnotationProtocol": True,
    "dataAnnotationPlatform": True,
    "machineAnnotationTools": True,
    "dataAnnotationAnalysis": True,
    "annotationsPerItem": False,
    "annotatorDemographics": True,
    "dataBiases": True,
    "dataLimitations": True,
    "personalSensitiveInformation": True,
    "dataUseCases": True,
    "dataSocialImpact": False,
    "dataReleaseMaintenancePlan": False,
}

_INTEGER_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
_FLOAT_DTYPES = {"float16", "float32", "float64"}


# --- helpers -----------------------------------------------------------------------

def _ref(id_: str) -> dict[str, str]:
    return {"@id": id_}


def _encoding_format(path: Path) -> str:
    return ENCODING_FORMATS.get(path.suffix.lower(), "application/octet-stream")


def _release_files(folder: Path) -> list[Path]:
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    return [files[rel] for rel in sorted(files) if rel not in NOT_DESCRIBED]


def _split_order(splits: Sequence[str]) -> list[str]:
    known = [s for s in SPLITS if s in splits]
    return known + sorted(s for s in splits if s not in SPLITS)


def _data_files(folder: Path) -> dict[str, dict[str, list[Path]]]:
    """{config: {split: [parquet files]}} from ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``."""
    found: dict[str, dict[str, list[Path]]] = {}
    for path in sorted((folder / "data").glob("*/*.parquet")):
        m = re.fullmatch(r"(?P<split>[A-Za-z0-9_.]+?)-\d{5}-of-\d{5}\.parquet", path.name)
        if not m:
            raise ValueError(f"{path.relative_to(folder).as_posix()}: not a <split>-NNNNN-of-NNNNN.parquet file")
        found.setdefault(path.parent.name, {}).setdefault(m["split"], []).append(path)
    if not found:
        raise ValueError(f"{folder}: no data/<config>/<split>-*.parquet files")
    order = {name: i for i, name in enumerate(CONFIG_KEYS)}  # documents, ner, then others by name
    return {config: {s: splits[s] for s in _split_order(list(splits))}
            for config, splits in sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))}


def _features(path: Path) -> dict[str, Any]:
    """The ``datasets`` features stored in a Parquet file's schema metadata."""
    meta = pq.read_schema(path).metadata or {}
    try:
        return json.loads(meta[b"huggingface"])["info"]["features"]
    except (KeyError, ValueError) as e:
        raise ValueError(f"{path}: no datasets features in the Parquet schema metadata") from e


def _card_header(folder: Path) -> dict[str, Any]:
    text = (folder / "README.md").read_text(encoding="utf-8") if (folder / "README.md").is_file() else ""
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    header = yaml.safe_load(m[1]) if m else None
    return header if isinstance(header, dict) else {}


# --- citation ----------------------------------------------------------------------

def _citation(folder: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``citation`` values, with fallbacks from the card and the manifest."""
    cit = dict(manifest.get("citation") or {})
    name = cit.get("name") or manifest["name"]
    card = _card_header(folder)
    return {
        "name": name,
        "title": cit.get("title") or card.get("pretty_name") or name,
        "version": cit.get("version") or manifest["version"],
        "date_released": cit.get("date_released") or manifest.get("date_released"),
        "authors": list(cit.get("authors") or [{"name": "corpus-builder maintainers"}]),
        "license": cit.get("license") or "CC-BY-4.0",
        "text_license": cit.get("text_license"),
        "abstract": cit.get("abstract") or "",
        "keywords": list(cit.get("keywords") or []),
        "repository_url": cit.get("repository_url") or None,
    }


def _creators(cit: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for a in cit["authors"]:
        if a.get("name"):
            out.append({"@type": "sc:Organization", "name": a["name"]})
        else:
            person = {"@type": "sc:Person", "name": author_name(a)}
            if a.get("given-names"):
                person["givenName"] = a["given-names"]
            if a.get("family-names"):
                person["familyName"] = a["family-names"]
            out.append(person)
    return out


# --- distribution ------------------------------------------------------------------

def _file_object(folder: Path, path: Path) -> dict[str, Any]:
    rel = path.relative_to(folder).as_posix()
    if rel.startswith("data/"):
        description = block(PROSE, "data_file", config=path.parent.name, split=path.name.split("-", 1)[0])
    else:
        description = described(DESCRIPTIONS, "files", rel) or block(PROSE, "release_file", path=rel)
    return {
        "@type": "cr:FileObject",
        "@id": rel,
        "name": rel,
        "description": description,
        "contentUrl": rel,
        "contentSize": f"{path.stat().st_size} B",
        "encodingFormat": _encoding_format(path),
        "sha256": sha256_file(path),
    }


def _file_sets(data: Mapping[str, Mapping[str, list[Path]]]) -> list[dict[str, Any]]:
    sets = []
    for config, splits in data.items():
        sets.append({
            "@type": "cr:FileSet",
            "@id": f"{config}-files",
            "name": f"{config}-files",
            "description": block(PROSE, "config_file_set", config=config, splits=list(splits)),
            "encodingFormat": "application/x-parquet",
            "includes": [f"data/{config}/{split}-*.parquet" for split in splits],
        })
        for split in splits:
            sets.append({
                "@type": "cr:FileSet",
                "@id": f"{config}-{split}",
                "name": f"{config}-{split}",
                "description": block(PROSE, "split_file_set", config=config, split=split),
                "encodingFormat": "application/x-parquet",
                "includes": f"data/{config}/{split}-*.parquet",
            })
    return sets


# --- record sets -------------------------------------------------------------------

def _class_label_target(names: list[str], labels: list[str]) -> str:
    if names == labels:
        return "entity_labels"
    if names == iob_names(labels):
        return "ner_tags"
    raise ValueError(f"ClassLabel names {names} are neither manifest model.labels nor their IOB2 names")


def _scalar_type(feature: Mapping[str, Any], where: str) -> str:
    kind = feature.get("_type")
    if kind == "ClassLabel":
        return "sc:Integer"
    if kind != "Value":
        raise ValueError(f"{where}: unsupported feature {feature}")
    dtype = feature["dtype"]
    if dtype in ("string", "large_string"):
        return "sc:Text"
    if dtype in _INTEGER_DTYPES:
        return "sc:Integer"
    if dtype in _FLOAT_DTYPES:
        return "sc:Float"
    if dtype == "bool":
        return "sc:Boolean"
    raise ValueError(f"{where}: unsupported dtype {dtype}")


def _typed(field: dict[str, Any], feature: Mapping[str, Any], labels: list[str]) -> dict[str, Any]:
    """Add dataType (and, for a ClassLabel, the reference to its names) to ``field``."""
    field["dataType"] = _scalar_type(feature, field["@id"])
    if feature.get("_type") == "ClassLabel":
        target = _class_label_target(list(feature["names"]), labels)
        field["description"] += " " + block(PROSE, "class_label", target=target)
        field["references"] = {"field": _ref(f"{target}/index")}
    return field


def _column_field(config: str, column: str, feature: Mapping[str, Any], labels: list[str]) -> dict[str, Any]:
    fid = f"{config}/{column}"
    source = {"fileSet": _ref(f"{config}-files"), "extract": {"column": column}}
    description = described(DESCRIPTIONS, "columns", config, column) or block(PROSE, "column", column=column)
    field: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": column}
    kind = feature.get("_type")
    if kind in ("List", "Sequence", "LargeList"):
        inner = feature["feature"]
        field["isArray"] = True
        if "_type" in inner:  # a list of scalars
            field["description"] = description
            field["source"] = source
            _typed(field, inner, labels)
        else:  # a list of structs: one subField per struct member, read with jsonPath from each element
            field["description"] = description
            field["subField"] = []
            for member, sub in inner.items():
                sub_field = {
                    "@type": "cr:Field",
                    "@id": f"{fid}/{member}",
                    "name": member,
                    "description": (described(DESCRIPTIONS, "subfields", column, member)
                                    or block(PROSE, "member", column=column, member=member)),
                }
                sub_field["source"] = {**source, "transform": {"jsonPath": member}}
                _typed(sub_field, sub, labels)
                field["subField"].append(sub_field)
    else:
        field["description"] = description
        field["source"] = source
        _typed(field, feature, labels)
    return field


def _data_record_set(config: str, files: Mapping[str, list[Path]], labels: list[str]) -> dict[str, Any]:
    features = None
    for paths in files.values():
        for path in paths:
            f = _features(path)
            if features is None:
                features = f
            elif f != features:
                raise ValueError(f"{path}: features differ from the other files of config {config}")
    assert features is not None
    if "split" in features:
        raise ValueError(f"config {config} has a column named 'split', which croissant.json uses for the split")
    # The path data/<config>/<split>-NNNNN-of-NNNNN.parquet gives the split. The prefix and suffix are
    # optional because mlcroissant 1.1.1 applies the regex twice when the field has `references` (once
    # for the join with splits, then again on the already extracted name).
    split_regex = ("^(?:data/" + re.escape(config) + "/)?(" + "|".join(map(re.escape, files))
                   + r")(?:-\d{5}-of-\d{5}\.parquet)?$")
    fields = [{
        "@type": "cr:Field",
        "@id": f"{config}/split",
        "name": "split",
        "description": required(DESCRIPTIONS, "fields", "split"),
        "dataType": "sc:Text",
        "source": {"fileSet": _ref(f"{config}-files"), "extract": {"fileProperty": "fullpath"},
                   "transform": {"regex": split_regex}},
        "references": {"field": _ref("splits/name")},
    }]
    fields += [_column_field(config, column, feature, labels) for column, feature in features.items()]
    record_set: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": config,
        "name": config,
        "description": block(PROSE, "config_record_set", config=config, about=described(DESCRIPTIONS, "configs", config),
                              splits=list(files)),
    }
    if CONFIG_KEYS.get(config) in features:
        record_set["key"] = _ref(f"{config}/{CONFIG_KEYS[config]}")
    record_set["field"] = fields
    return record_set


def _enumeration(rs_id: str, names: list[str]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": rs_id,
        "name": rs_id,
        "description": required(DESCRIPTIONS, "record_sets", rs_id),
        "dataType": "sc:Enumeration",
        "key": _ref(f"{rs_id}/index"),
        "field": [
            {"@type": "cr:Field", "@id": f"{rs_id}/index", "name": "index", "dataType": "sc:Integer",
             "description": required(DESCRIPTIONS, "fields", "index")},
            {"@type": "cr:Field", "@id": f"{rs_id}/name", "name": "name", "dataType": "sc:Text",
             "description": required(DESCRIPTIONS, "fields", "name")},
        ],
        "data": [{f"{rs_id}/index": i, f"{rs_id}/name": n} for i, n in enumerate(names)],
    }


def _splits_record_set(splits: list[str]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": required(DESCRIPTIONS, "record_sets", "splits"),
        "dataType": "cr:Split",
        "key": _ref("splits/name"),
        "field": [
            {"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text",
             "description": required(DESCRIPTIONS, "fields", "splits/name")},
            {"@type": "cr:Field", "@id": "splits/url", "name": "url", "dataType": ["sc:URL", "cr:Split"],
             "description": required(DESCRIPTIONS, "fields", "splits/url")},
        ],
        "data": [{"splits/name": s, "splits/url": SPLIT_URLS.get(s, f"cr:{s}")} for s in splits],
    }


# --- prose --------------------------------------------------------------------------
# The words are in templates/: croissant.txt.j2 (sentences built from facts, one block each)
# and croissant.yaml (fixed descriptions by id), rendered by prose.py.

def _rai(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The rai: properties, each from its block rai_<name>."""
    return {f"rai:{name}": (paragraphs if is_list else block)(PROSE, f"rai_{name}", **facts)
            for name, is_list in RAI_FIELDS.items()}


def _facts(manifest: Mapping[str, Any], cit: Mapping[str, Any], labels: list[str],
           answers: Mapping[str, str | None], card: Mapping[str, Any]) -> dict[str, Any]:
    """What the dataset's prose may state, from the manifest (an older one lacks some keys)
    and the corpus authors' answers."""
    c = manifest["counts"]
    ov = manifest.get("overlays") or {}
    ops = ov.get("ops_by_kind") or {}
    by_source = c.get("entities_by_source") or {}
    normalization = manifest.get("normalization") or {}
    coverage = manifest.get("coverage") or {"documents": 0, "complete": 0, "characters": 0,
                                            "characters_reviewed": 0, "unreviewed": c.get("model_entities", 0)}
    return {
        "version": manifest["version"],
        "abstract": cit["abstract"],
        "model": manifest["model"],
        "labels": labels,
        "counts": c,
        "split_documents": {s: v["documents"] for s, v in c.get("splits", {}).items()},
        "entities_model": by_source.get("model", 0),
        "entities_manual": by_source.get("manual", 0),
        "edits": sum(r.get("edits", 0) for r in normalization.values()),
        "rules_used": [name for name, r in normalization.items() if r.get("edits")],
        "ops": dict(sorted(ops.items())),
        "operations": sum(ops.values()),
        "overlay_files": ov.get("files", 0),
        "annotators": list(manifest.get("annotators") or [{"id": a, "name": a, "kind": None}
                                                          for a in ov.get("annotators") or []]),
        "kind_names": KIND_NAMES,
        "entities_adjudication": by_source.get("adjudication", 0),
        "coverage": coverage,
        "review_complete": coverage["documents"] > 0 and coverage["complete"] == coverage["documents"]
        and coverage["unreviewed"] == 0,
        "agreement": list((manifest.get("gold") or {}).get("agreement") or []),
        "double_annotated": sorted({d for ag in (manifest.get("gold") or {}).get("agreement") or []
                                    for d in ag["documents"]}),
        "adjudications": sum(a.get("decisions", 0) for a in ov.get("adjudications") or []),
        "licenses": manifest.get("licenses") or {"text": card.get("license_name", "see LICENSE.md"),
                                                 "text_name": card.get("license_name", "see LICENSE.md"),
                                                 "text_link": card.get("license_link", "LICENSE.md"),
                                                 "annotations": cit["license"]},
        "maintainers": ", ".join(author_name(a) for a in cit["authors"]),
        "answers": {q.key: answers.get(q.key) for q in QUESTIONS},
    }


# --- the document ------------------------------------------------------------------

def croissant(folder: Path, manifest: Mapping[str, Any],
              answers: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD of the release in ``folder`` (not written); ``answers``:
    the corpus authors' answers (card/), without which the corpus-specific texts say so."""
    folder = Path(folder)
    labels = list(manifest.get("labels") or manifest["model"]["labels"])
    cit = _citation(folder, manifest)
    facts = _facts(manifest, cit, labels, answers or {}, _card_header(folder))
    data = _data_files(folder)
    splits = _split_order(sorted({s for splits in data.values() for s in splits}))

    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "name": manifest["name"],
        "alternateName": cit["title"],
        "description": block(PROSE, "description", **facts),
        "version": manifest["version"],
    }
    if manifest.get("date_released"):
        doc["datePublished"] = manifest["date_released"]
    doc.update({
        "license": [
            CC_BY_4_0,
            {"@type": "sc:CreativeWork", "name": block(PROSE, "license_name", **facts),
             "description": block(PROSE, "license_text", **facts)},
        ],
        "citeAs": bibtex(cit),
        "creator": _creators(cit),
        "inLanguage": manifest.get("language", "en"),
        "keywords": sorted(set(cit["keywords"]) | {"named entity recognition", "provenance"}),
    })
    if cit["repository_url"]:
        doc["url"] = cit["repository_url"]
    doc.update(_rai(facts))
    doc["distribution"] = [_file_object(folder, p) for p in _release_files(folder)] + _file_sets(data)
    doc["recordSet"] = (
        [_data_record_set(config, files, labels) for config, files in data.items()]
        + [_splits_record_set(splits),
           _enumeration("entity_labels", labels),
           _enumeration("ner_tags", iob_names(labels))]
    )
    return doc


def write_croissant(folder: Path, manifest: dict, answers: Mapping[str, str | None] | None = None) -> dict:
    """Write folder/croissant.json (Croissant 1.1 JSON-LD) and return it."""
    doc = croissant(Path(folder), manifest, answers)
    write_json(Path(folder) / FILE_NAME, doc)
    return doc
