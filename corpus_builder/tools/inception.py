"""INCEpTION: UIMA CAS XMI files (one per document, with ``TypeSystem.xml``) written
and read with ``dkpro-cassis``, using DKPro Core's types (``NamedEntity`` with
``value``/``identifier``, ``Sentence``, ``Token``, ``DocumentMetaData``), so INCEpTION's
built-in named-entity layer shows them; plus a tagset JSON for the label set. XMI
counts UTF-16 code units; cassis converts them to code points on load and save."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import cassis

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import json_text
from . import CODEPOINT, TaskDoc, ToolDoc, ToolSpan

NE = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
SENTENCE = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Sentence"
TOKEN = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Token"
META = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
TYPESYSTEM = "TypeSystem.xml"
SHAPE = "UIMA CAS XMI (INCEpTION export, format 'UIMA CAS XMI') with TypeSystem.xml beside it"
WIKIDATA = "http://www.wikidata.org/entity/"


def typesystem() -> cassis.TypeSystem:
    ts = cassis.TypeSystem()
    ne = ts.create_type(NE)
    ts.create_feature(ne, "value", "uima.cas.String")
    ts.create_feature(ne, "identifier", "uima.cas.String")
    ts.create_type(SENTENCE)
    ts.create_type(TOKEN)
    meta = ts.create_type(META, supertypeName="uima.tcas.DocumentAnnotation")
    for f in ("documentTitle", "documentId", "documentUri", "collectionId", "documentBaseUri"):
        ts.create_feature(meta, f, "uima.cas.String")
    ts.create_feature(meta, "isLastSegment", "uima.cas.Boolean")
    return ts


def doc_uri(corpus: str, doc_id: str, text_sha256: str) -> str:
    return f"corpus-builder://{corpus}/{doc_id}?text_sha256={text_sha256}"


def write_tasks(docs: Sequence[TaskDoc], labels: Sequence[str], out: Path, corpus: str, layer: str) -> list[Path]:
    ts = typesystem()
    written = [out / TYPESYSTEM]
    ts.to_xml(str(out / TYPESYSTEM))
    NamedEntity, Token, Meta = ts.get_type(NE), ts.get_type(TOKEN), ts.get_type(META)
    for d in docs:
        cas = cassis.Cas(typesystem=ts)
        cas.sofa_string = d.text
        cas.add(Meta(begin=0, end=len(d.text), documentId=d.doc_id, documentTitle=d.doc_id, collectionId=corpus,
                     documentUri=doc_uri(corpus, d.doc_id, d.text_sha256), isLastSegment=False))
        cas.add_all(Token(begin=s, end=e) for s, e in d.tokens)
        cas.add_all(NamedEntity(begin=e.start, end=e.end, value=e.label,
                                identifier=WIKIDATA + e.kb_id if e.kb_id and e.kb_id != "NIL" else None)
                    for e in d.entities)
        path = out / f"{d.doc_id}.xmi"
        cas.to_xmi(str(path), pretty_print=True)
        written.append(path)
    tagset = out / "tagset.json"
    tagset.write_text(json_text({"name": f"{corpus} labels", "description": f"the label set of {corpus} ({layer})",
                                 "language": None, "create_tag": False,
                                 "tags": [{"tag_name": label, "tag_description": None} for label in labels]}),
                      encoding="utf-8")
    return [*written, tagset]


def _read(path: Path, ts: cassis.TypeSystem) -> ToolDoc:
    cas = cassis.load_cas_from_xmi(path.read_bytes().decode("utf-8"), typesystem=ts, lenient=True)
    metas = list(cas.select(META)) if META in {t.name for t in cas.typesystem.get_types()} else []
    meta = metas[0] if metas else None
    uri = urlparse(getattr(meta, "documentUri", None) or "")
    corpus = uri.netloc if uri.scheme == "corpus-builder" else getattr(meta, "collectionId", None)
    doc_id = (getattr(meta, "documentId", None) or path.stem).removesuffix(".xmi")  # INCEpTION may keep the file name
    sha = (parse_qs(uri.query).get("text_sha256") or [None])[0]
    doc = ToolDoc(rel(path), "/", doc_id, cas.sofa_string, sha, corpus, unit=CODEPOINT)
    for i, a in enumerate(cas.select(NE) if NE in {t.name for t in cas.typesystem.get_types()} else []):
        ident = a.get("identifier") if hasattr(a, "identifier") else None
        kb = ident.rsplit("/", 1)[-1] if ident and ident.startswith(WIKIDATA) else None
        doc.spans.append(ToolSpan(a.begin, a.end, a.value or "", f"NamedEntity {i + 1} (xmi:id {a.xmiID})",
                                  a.get_covered_text(), kb))
    return doc


def read_export(path: Path) -> tuple[list[ToolDoc], list[Problem]]:
    folder = path if path.is_dir() else path.parent
    files = sorted(folder.glob("*.xmi")) if path.is_dir() else [path]
    ts_file = folder / TYPESYSTEM
    problems: list[Problem] = []
    try:
        ts = cassis.load_typesystem(ts_file.read_bytes().decode("utf-8")) if ts_file.is_file() else typesystem()
    except Exception as exc:  # cassis raises many kinds on a bad type system
        return [], [problem("E470", file=rel(ts_file), error=str(exc)[:80], shape=SHAPE)]
    if not files:
        return [], [problem("E470", file=rel(path), error="no .xmi file", shape=SHAPE)]
    docs = []
    for f in files:
        try:
            docs.append(_read(f, ts))
        except Exception as exc:  # malformed XML, types the type system lacks...
            problems.append(problem("E470", file=rel(f), error=f"{type(exc).__name__}: {str(exc)[:80]}", shape=SHAPE))
    return docs, problems
