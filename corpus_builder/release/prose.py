"""Everything a release says in words is in ``templates/``; this module renders it.

Two kinds of template: whole documents (the card, the datasheet: ``render``) and
texts of a few sentences that a JSON file holds (croissant.json: ``block`` renders one
``{% block %}`` of a template; ``paragraphs`` gives a block's paragraphs as a list),
plus fixed descriptions kept as YAML data (``described``/``required``). Every
figure comes from the build's facts passed in; no sentence lives in Python code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
import yaml

from ..escape import FILTERS

TEMPLATES = Path(__file__).parent / "templates"


def pluralize(count: int, noun: str, plural: str | None = None) -> str:
    """``1|pluralize("document")`` is "1 document", ``2|pluralize("document")`` "2 documents"."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


@cache
def _documents() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters.update(FILTERS)  # every value from the inputs goes through one of them (escape.py)
    env.filters["pluralize"] = pluralize
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    """A whole document (the card, the datasheet)."""
    return _documents().get_template(template).render(**context)


@cache
def _markup() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=True)


def render_markup(template: str, context: Mapping[str, Any]) -> str:
    """An SVG (or other XML) file: values are escaped."""
    return _markup().get_template(template).render(**context)


class _JoinWrappedLines(jinja2.ext.Extension):
    """Makes each line break inside a paragraph of the template source one space, so the
    template wraps long sentences freely while values (an abstract, an empty list) are
    rendered untouched; blank lines stay and separate the items of a list."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        paragraphs = re.split(r"\s*\n\s*\n\s*", source)
        return "\n\n".join(re.sub(r"\s*\n\s*", " ", p) for p in paragraphs)


@cache
def _texts() -> jinja2.Environment:
    # no trim_blocks/lstrip_blocks: with the lines joined, the "-" of a tag (not the
    # line layout) decides the spaces around it
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=False, extensions=[_JoinWrappedLines])
    env.filters["pluralize"] = pluralize
    env.filters.update(FILTERS)
    return env


def block(template: str, name: str, **facts: Any) -> str:
    """Block ``name`` of ``template`` rendered with ``facts``."""
    t = _texts().get_template(template)
    return "".join(t.blocks[name](t.new_context(facts)))


def paragraphs(template: str, name: str, **facts: Any) -> list[str]:
    """A block written as paragraphs, one list item each."""
    return block(template, name, **facts).split("\n\n")


@cache
def _yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))


def described(data: str, *keys: str) -> str | None:
    """The description at ``keys`` in the YAML file ``data``; None if it lists none
    (the caller then renders a generic one)."""
    node: Any = _yaml(data)
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def required(data: str, *keys: str) -> str:
    """A description ``data`` must have (a missing one is a bug, not a null)."""
    text = described(data, *keys)
    if not isinstance(text, str):
        raise KeyError(f"{data} has no description at {' > '.join(keys)}")
    return text
