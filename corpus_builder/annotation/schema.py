"""JSON files checked against the project's JSON Schemas (``schema/``): one cached
validator per schema, and JSON pointers for the positions of what is wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """``pattern`` as JSON Schema defines it (ECMA-262), where ``$`` ends the input.
    Python's ``$`` also matches before a final newline, so ``"op-1\\n"`` passed every
    anchored pattern (ids, kb_id, dates) and reached the release."""
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))  # our schemas have no `$` in a class


# JSON Schema 2020-12, with ECMA-262 anchors
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def _registry(folder: Path) -> Registry:
    """Every schema of the folder by its ``$id``: one schema may extend another's
    definitions (a revision's ops are the overlay's ops) without copying them."""
    resources = []
    for path in sorted(folder.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        if "$id" in contents:
            resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return _Validator(schema, registry=_registry(schema_path.parent))


def pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""


def expected(error: jsonschema.ValidationError) -> str | None:
    if error.validator in ("enum", "const", "pattern", "type", "minimum", "required"):
        return f"{error.validator}: {json.dumps(error.validator_value)}"
    return None
