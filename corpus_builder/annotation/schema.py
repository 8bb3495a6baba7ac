"""JSON files checked against the project's JSON Schemas (``schema/``): one cached
validator per schema, and JSON pointers for the positions of what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema


@cache
def validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""


def expected(error: jsonschema.ValidationError) -> str | None:
    if error.validator in ("enum", "const", "pattern", "type", "minimum", "required"):
        return f"{error.validator}: {json.dumps(error.validator_value)}"
    return None
