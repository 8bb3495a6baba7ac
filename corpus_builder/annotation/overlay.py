"""Overlay files: stand-off manual annotation, parsed and schema-checked.

One JSON file per (document, annotator), named ``<doc_id>.<annotator>.json`` under
``annotations/`` and validated against ``schema/overlay.schema.json``. Each file
records the sha256 of the normalized text it was written against; each span op
repeats the exact ``quote`` at ``[start, end)``, and an op on a model entity states
what it ``expects`` the model to have predicted. The on-disk contract is in
``docs/data-format.md``.

Loading collects *every* problem of a file, so one run reports all of them.
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .. import catalogue
from ..catalogue import problem
from ..errors import Problem, rel
from ..cache import Store
from ..io import (DuplicateKey, NotRegular, file_kind, TooLarge, lone_surrogate, loads_strict, read_regular,
                  sha256_bytes, source_sha256)
from ..records import OpRef
from . import schema as schema_module
from .adjudication import FOLDER as ADJUDICATION_FOLDER
from .schema import expected, pointer, validator

SCHEMA_FILE = "overlay.schema.json"
REVISION_SCHEMA_FILE = "revision.schema.json"
REVISIONS = "revisions"  # annotations/revisions/<doc_id>.<reviser>.json: corrections to the current layer
INDEPENDENT, REVISE = "independent", "revise"
SPAN_KINDS = ("accept", "remove", "resize", "relabel", "add")  # order in which ops apply
REVIEW_KINDS = ("accept", "remove", "relabel", "resize")  # ops that review a model entity


@dataclass(frozen=True)
class Op:
    id: str
    kind: str
    file: str
    pointer: str
    annotator: str
    start: int = 0
    end: int = 0
    quote: str = ""
    label: str | None = None
    expects: Mapping[str, Any] | None = None
    field: str | None = None
    value: str | None = None
    kb_id: str | None = None
    file_sha256: str = ""

    @property
    def ref(self) -> OpRef:
        return OpRef(self.annotator, self.id, self.file_sha256)

    @property
    def reviewed(self) -> tuple[int, int] | None:
        """The model entity span this op reviews, if it reviews one."""
        if self.kind not in REVIEW_KINDS or not self.expects:
            return None
        return (self.expects["start"], self.expects["end"])

    def problem(self, id: str, suffix: str = "", **kw: Any) -> Problem:
        """The catalogued problem ``id`` located at this op (``suffix``: below its pointer)."""
        return catalogue.problem(id, file=self.file, position=self.pointer + suffix, op_id=self.id, **kw)


@dataclass(frozen=True)
class Overlay:
    file: str
    sha256: str
    doc_id: str
    annotator: str
    text_sha256: str
    scope: str
    ops: tuple[Op, ...]
    mode: str = INDEPENDENT  # "revise": corrections to the current layer, not a second opinion
    reason: str | None = None  # why a revision was made


MAX_BYTES = 10 * 1024 * 1024  # an overlay is hand-written; anything bigger is a mistake


def valid_files(cache: Path | None, schema_dir: Path) -> Store | None:
    """Which files passed their schema check before: ``<cache>/validated``, one entry per
    file's bytes and schema, keyed by every schema file (they refer to each other), the
    version of jsonschema and this module's code. A file is checked once, not at every
    build (the check takes about 25 ms per overlay)."""
    if cache is None:
        return None
    schemas = {p.name: sha256_bytes(p.read_bytes()) for p in sorted(schema_dir.glob("*.schema.json"))}
    return Store(cache / "validated", {"schemas": schemas, "jsonschema": version("jsonschema"),
                                       "schema_source": source_sha256(schema_module.__file__),
                                       "overlay_source": source_sha256(__file__)})


def load_overlay(path: Path, schema_dir: Path, annotators: Iterable[str] | None = None,
                 max_bytes: int = MAX_BYTES, schema_file: str = SCHEMA_FILE,
                 valid: Store | None = None) -> tuple[Overlay | None, list[Problem]]:
    """Parse and schema-check one file (an overlay, or with ``schema_file`` a revision);
    returns all problems found in it. ``valid``: see :func:`valid_files`."""
    name = rel(path)
    try:
        data = read_regular(path, max_bytes)
    except TooLarge as exc:
        return None, [problem("E405", file=name, size=exc.size, limit=exc.limit)]
    except NotRegular as exc:
        return None, [problem("E424", file=name, kind=exc.kind)]
    except OSError as exc:
        return None, [problem("E405:unreadable", file=name, reason=exc.strerror or exc)]
    try:
        obj = loads_strict(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [problem("E401:encoding", file=name, position=f"byte {exc.start}")]
    except DuplicateKey as exc:
        return None, [problem("E423", file=name, key=exc.key)]
    except json.JSONDecodeError as exc:
        return None, [problem("E401", file=name, position=f"line {exc.lineno}, column {exc.colno}", error=exc.msg)]
    except (RecursionError, ValueError) as exc:
        return None, [problem("E401:limits", file=name, error=str(exc)[:80] or type(exc).__name__)]
    sha = sha256_bytes(data)
    key = valid.key(schema_file, sha) if valid is not None else None
    problems: list[Problem] = []
    if key is None or valid.get(key) is None:  # type: ignore[union-attr]
        try:
            errors = sorted(validator(schema_dir / schema_file).iter_errors(obj),
                            key=lambda e: list(map(str, e.absolute_path)))
        except RecursionError:
            return None, [problem("E402:deep", file=name, position="/", schema=SCHEMA_FILE)]
        problems = [
            problem("E402", file=name, position=pointer(e.absolute_path) or "/", expected=expected(e),
                    error=e.message, schema=schema_file)
            for e in errors
        ]
        if not problems and (at := lone_surrogate(obj)) is not None:
            problems.append(problem("E409", file=name, position=at))
        if problems:
            return None, problems
        if key is not None:
            valid.put(key, True)  # type: ignore[union-attr]
    if annotators is not None and obj["annotator"] not in annotators:
        problems.append(problem("E406", file=name, position="/annotator", found=obj["annotator"],
                                expected=" | ".join(sorted(annotators)) or "an id listed in annotators.json",
                                registry=ANNOTATORS_FILE))
    stem = f"{obj['doc_id']}.{obj['annotator']}.json"
    if path.name != stem:
        problems.append(problem("E403", file=name, position="/doc_id", found=path.name, expected=stem, name=stem))
    ops, seen = [], Counter(op.get("id") for op in obj["ops"])
    for i, raw in enumerate(obj["ops"]):
        ptr = f"/ops/{i}"
        if seen[raw["id"]] > 1:
            problems.append(problem("E404", file=name, position=ptr + "/id", op_id=raw["id"]))
        expects = raw.get("expects")
        if expects is not None:  # JSON Schema's "integer" admits 1.0; offsets are ints from here on
            expects = {**expects, "start": int(expects["start"]), "end": int(expects["end"])}
        if raw["op"] == "set_metadata" and raw["field"] == "published" and not _is_date(raw["value"]):
            problems.append(problem("E408", file=name, position=ptr + "/value", op_id=raw["id"], found=raw["value"],
                                    expected="YYYY-MM-DD, a day of the calendar"))
        ops.append(Op(id=raw["id"], kind=raw["op"], file=name, pointer=ptr, annotator=obj["annotator"],
                      start=int(raw.get("start", 0)), end=int(raw.get("end", 0)), quote=raw.get("quote", ""),
                      label=raw.get("label"), expects=expects, field=raw.get("field"),
                      value=raw.get("value"), kb_id=raw.get("kb_id"), file_sha256=sha))
    overlay = Overlay(file=name, sha256=sha, doc_id=obj["doc_id"],
                      annotator=obj["annotator"], text_sha256=obj["text_sha256"],
                      scope=obj.get("scope", "partial"), ops=tuple(ops), mode=obj.get("mode", INDEPENDENT),
                      reason=obj.get("reason"))
    return overlay, problems


ANNOTATORS_FILE = "annotators.json"
# "<doc_id>.<annotator>.json" fits a file name (255 bytes): doc ids have at most 128
# ASCII characters (stages/ingest.py), annotator ids at most 64
MAX_ANNOTATOR_ID = 64


def load_annotators(folder: Path, schema_dir: Path) -> tuple[set[str], list[Problem]]:
    """The annotator registry ``annotations/annotators.json`` (validated by its schema)."""
    path = folder / ANNOTATORS_FILE
    name = rel(path)
    if not path.is_file() and not path.is_symlink():
        return set(), [problem("E407", file=name)]
    try:
        obj = loads_strict(read_regular(path, MAX_BYTES).decode("utf-8"))
    except NotRegular as exc:
        return set(), [problem("E424", file=name, kind=exc.kind)]
    except DuplicateKey as exc:
        return set(), [problem("E423", file=name, key=exc.key)]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return set(), [problem("E407:unreadable", file=name, error=str(exc)[:80])]
    errors = list(validator(schema_dir / "annotators.schema.json").iter_errors(obj))
    if errors:
        return set(), [problem("E407:schema", file=name, position=pointer(e.absolute_path) or "/", error=e.message)
                       for e in errors]
    long = [problem("E425", file=name, position=f"/annotators/{i}/id", found=a["id"], length=len(a["id"]),
                    limit=MAX_ANNOTATOR_ID) for i, a in enumerate(obj["annotators"]) if len(a["id"]) > MAX_ANNOTATOR_ID]
    if long:
        return set(), long
    return {a["id"] for a in obj["annotators"]}, []


# What the loaders read, per folder below annotations/ ("": the folder itself), and
# what they may leave alone; any other file is refused, never skipped (E400)
READ = {"": "*.json", ADJUDICATION_FOLDER: "*.json", REVISIONS: "*.json"}
NOTES = ("*.md", ".gitkeep")


def unread_files(folder: Path) -> list[Problem]:
    """Every file under ``folder`` that no loader reads and that is not notes:
    ``x.JSON``, ``x.json5``, ``other/x.json``... would otherwise lose annotations silently."""
    problems = []
    for path in sorted(folder.rglob("*")):
        if not is_regular(path):  # a link can point anywhere (a device, a FIFO, another tree): never followed
            if not path.is_dir() or path.is_symlink():
                if path != folder / ANNOTATORS_FILE:  # its loader says so
                    problems.append(problem("E424", file=rel(path), kind=file_kind(path.lstat().st_mode)))
            continue
        where = "" if path.parent == folder else path.parent.relative_to(folder).as_posix()
        pattern = READ.get(where)
        if (pattern is None or not path.match(pattern)) and not (where in READ and any(map(path.match, NOTES))):
            problems.append(problem("E400", file=rel(path)))
    return problems


def is_regular(path: Path) -> bool:
    """A regular file itself, not a link to one (``lstat``: nothing is opened)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def load_overlays(folder: Path, schema_dir: Path, max_bytes: int = MAX_BYTES,
                  cache: Path | None = None) -> tuple[list[Overlay], list[Problem]]:
    """Every overlay and revision file of ``folder``; ``cache``: see :func:`valid_files`."""
    overlays: list[Overlay] = []
    if not folder.is_dir():
        return [], []
    # links and special files are refused by unread_files, never opened
    paths = [(p, SCHEMA_FILE) for p in sorted(folder.glob("*.json")) if p.name != ANNOTATORS_FILE and is_regular(p)]
    paths += [(p, REVISION_SCHEMA_FILE) for p in sorted((folder / REVISIONS).glob("*.json")) if is_regular(p)]
    annotators, problems = load_annotators(folder, schema_dir) if paths else (set(), [])
    problems = unread_files(folder) + problems
    valid = valid_files(cache, schema_dir) if paths else None
    for path, schema_file in paths:
        overlay, found = load_overlay(path, schema_dir, annotators, max_bytes, schema_file, valid)
        problems.extend(found)
        if overlay is not None:
            overlays.append(overlay)
    return overlays, problems


def _is_date(value: str | None) -> bool:
    """The schema checks the YYYY-MM-DD shape; this, that the day exists (not 2012-02-30)."""
    if value is None:  # null clears the field
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True
