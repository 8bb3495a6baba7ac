"""Citation metadata: CITATION.cff (Citation File Format 1.2.0) and the card's BibTeX,
both made from the same data (corpus.toml [dataset] and [citation])."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from ..config import BuildConfig
from ..escape import one_line


def citation_data(config: BuildConfig) -> dict[str, Any]:
    ds = config.dataset
    return {
        "title": ds.pretty_name,
        "name": ds.name,
        "version": ds.version,
        "date_released": ds.date_released,
        "authors": list(config.citation.get("authors") or [{"name": ds.maintainers}]),
        "abstract": config.citation.get("abstract", ""),
        "keywords": list(config.citation.get("keywords", [])),
        "license": ds.annotations_license,
        "text_license": ds.license_name,
        "repository_url": ds.repository_url or None,
    }


def cff(data: dict[str, Any]) -> str:
    """CITATION.cff text; `license` is the annotations' licence (the text's own licence is
    said in `message`)."""
    body: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": ("If you use this dataset, please cite it as below. The annotations are licensed "
                    f"{data['license']}; the text is under {one_line(data.get('text_license') or 'its own licence')}."),
        "type": "dataset",
        "title": data["title"],
        "version": data["version"],
        "date-released": data["date_released"],
        "authors": copy.deepcopy(data["authors"]),
        "license": data["license"],
    }
    if data["abstract"]:
        body["abstract"] = data["abstract"]
    if data["keywords"]:
        body["keywords"] = data["keywords"]
    if data["repository_url"]:
        body["repository"] = data["repository_url"]
    preferred: dict[str, Any] = {
        "type": "data",
        "title": data["title"],
        "authors": copy.deepcopy(data["authors"]),
        "version": data["version"],
        "year": int(data["date_released"][:4]),
        "date-released": data["date_released"],
        "license": data["license"],
    }
    if data["repository_url"]:
        preferred["repository"] = data["repository_url"]
    body["preferred-citation"] = preferred
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)


def author_name(author: dict[str, Any]) -> str:
    """A CFF author as one name: an entity's ``name``, else "Family, Given"."""
    return author.get("name") or f"{author.get('family-names', '')}, {author.get('given-names', '')}".strip(", ")


def bibtex(data: dict[str, Any]) -> str:
    """The BibTeX of the card and of croissant.json's ``citeAs`` (no year without a release date)."""
    key = f"{data['name']}_{data['version']}".replace("-", "_").replace(".", "_")
    fields = [("title", "{" + one_line(data["title"]) + "}"),
              ("author", "{" + " and ".join(one_line(author_name(a)) for a in data["authors"]) + "}")]
    if data["date_released"]:
        fields.append(("year", data["date_released"][:4]))
    fields += [("version", data["version"]),
               ("note", f"Annotations {data['license']}; text under {one_line(data.get('text_license') or 'its own licence')}")]
    if data["repository_url"]:
        fields.append(("url", data["repository_url"]))
    width = max(len(k) for k, _ in fields)
    inner = ",\n".join(f"  {k.ljust(width)} = {{{v}}}" for k, v in fields)
    return f"@misc{{{key},\n{inner}\n}}"
