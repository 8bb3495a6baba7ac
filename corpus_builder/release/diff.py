"""What changed between two releases: documents, entities (compared on the raw
text, so a normalization change does not look like new entities), metadata, split
moves and features. The changelog entry of a release is this diff, summarized."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..catalogue import error
from ..errors import rel
from ..records import Edit
from ..text.edits import OffsetMap
from .read import Release, read_release

METADATA = ("title", "published", "publisher", "license", "event", "agencies", "image_credits")


def _raw_length(text: str, edits: list[Edit]) -> int:
    return len(text) + sum((e.raw_end - e.raw_start) - len(e.replacement) for e in edits)


def offset_map(row: dict[str, Any]) -> OffsetMap:
    """A ``documents`` row's map between raw and published offsets."""
    edits = [Edit(**e) for e in row["edits"]]
    return OffsetMap(_raw_length(row["text"], edits), edits)


def raw_entities(row: dict[str, Any], labels: list[str]) -> dict[tuple[int, int], dict[str, Any]]:
    """Entities keyed by their span on the raw text."""
    m = offset_map(row)
    return {m.to_raw(e["start"], e["end"]): {"text": e["text"], "label": labels[e["label"]], "kb_id": e.get("kb_id")}
            for e in row["entities"]}


@dataclass
class DocumentDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    relabelled: list[dict[str, Any]] = field(default_factory=list)
    resized: list[dict[str, Any]] = field(default_factory=list)
    relinked: list[dict[str, Any]] = field(default_factory=list)  # same span and label, another kb_id
    metadata: dict[str, list[Any]] = field(default_factory=dict)
    text_changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.relabelled or self.resized or self.relinked or self.metadata
                    or self.text_changed)


@dataclass
class ReleaseDiff:
    old: str
    new: str
    documents_added: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    documents: dict[str, DocumentDiff] = field(default_factory=dict)
    split_moves: dict[str, list[str]] = field(default_factory=dict)
    feature_changes: list[str] = field(default_factory=list)

    def entity_total(self, kind: str) -> int:
        return sum(len(getattr(d, kind)) for d in self.documents.values())

    def required_bump(self) -> str:
        """Semantic versioning of data: what the least bump for this diff is."""
        if self.feature_changes:
            return "major"
        if self.documents_added or self.documents_removed or any(
                d.text_changed or d.added or d.removed or d.relabelled or d.resized or d.relinked
                for d in self.documents.values()):
            return "minor"
        return "patch"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def diff_documents(a: dict[str, Any], b: dict[str, Any], labels_a: list[str], labels_b: list[str]) -> DocumentDiff:
    d = DocumentDiff(text_changed=a["text_sha256"] != b["text_sha256"])
    for key in METADATA:
        if a.get(key) != b.get(key):
            d.metadata[key] = [a.get(key), b.get(key)]
    old, new = raw_entities(a, labels_a), raw_entities(b, labels_b)
    for span in sorted(old.keys() & new.keys()):
        if old[span]["label"] != new[span]["label"]:
            d.relabelled.append({"raw_span": list(span), "text": new[span]["text"],
                                 "old": old[span]["label"], "new": new[span]["label"]})
        elif old[span]["kb_id"] != new[span]["kb_id"]:  # an entity link is an annotation too
            d.relinked.append({"raw_span": list(span), "text": new[span]["text"], "label": new[span]["label"],
                               "old": old[span]["kb_id"], "new": new[span]["kb_id"]})
    only_old = sorted(old.keys() - new.keys())
    only_new = sorted(new.keys() - old.keys())
    for so in list(only_old):
        match = next((sn for sn in only_new if so[0] < sn[1] and sn[0] < so[1]), None)
        if match is not None:
            d.resized.append({"old_raw_span": list(so), "new_raw_span": list(match), "old_text": old[so]["text"],
                              "new_text": new[match]["text"], "old": old[so]["label"], "new": new[match]["label"]})
            only_old.remove(so)
            only_new.remove(match)
    d.removed = [{"raw_span": list(s), **old[s]} for s in only_old]
    d.added = [{"raw_span": list(s), **new[s]} for s in only_new]
    return d


def _features(release: Release) -> dict[str, Any]:
    return {info["config_name"]: info["features"] for info in release.card.get("dataset_info", [])}


def _sequences(features: list[dict[str, Any]]) -> list[str]:
    return [f["name"] for f in features if "sequence" in f]


def _as_lists(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The features with ``sequence:`` read as ``list:`` (same data; the card's YAML
    decides only how `datasets` before 4.0 types it)."""
    return [{("list" if k == "sequence" else k): v for k, v in f.items()} for f in features]


def _default_config(release: Release) -> str | None:
    return next((c["config_name"] for c in release.card.get("configs", []) if c.get("default")), None)


def diff_releases(old_folder: Path, new_folder: Path) -> ReleaseDiff:
    a, b = read_release(old_folder), read_release(new_folder)
    try:
        return _diff(a, b)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:  # a field missing or of another type
        raise error("E765", file=f"{rel(old_folder)}/manifest.json or {rel(new_folder)}/manifest.json",
                    error=f"{type(exc).__name__}: {exc}"[:120]) from None


def _diff(a: Release, b: Release) -> ReleaseDiff:
    out = ReleaseDiff(a.manifest["version"], b.manifest["version"])
    out.documents_added = sorted(b.documents.keys() - a.documents.keys())
    out.documents_removed = sorted(a.documents.keys() - b.documents.keys())
    for doc_id in sorted(a.documents.keys() & b.documents.keys()):
        da, db = a.documents[doc_id], b.documents[doc_id]
        if da["split"] != db["split"]:
            out.split_moves[doc_id] = [da["split"], db["split"]]
        d = diff_documents(da, db, a.labels, b.labels)
        if d:
            out.documents[doc_id] = d
    fa, fb = _features(a), _features(b)
    for config in sorted(fa.keys() | fb.keys()):
        if fa.get(config) != fb.get(config):
            if config not in fa or config not in fb:
                out.feature_changes.append(f"config {config!r} {'added' if config in fb else 'removed'}")
                continue
            if _as_lists(fa[config]) != _as_lists(fb[config]):
                out.feature_changes.append(f"config {config!r}: features changed")
            else:  # same data; how `datasets` < 4.0 types the scalar lists changes
                now = ", ".join(_sequences(fb[config])) or "none"
                out.feature_changes.append(f"config {config!r}: scalar lists declared as `sequence` now: {now} "
                                           "(datasets < 4.0 loads these as Sequence features, the others as lists)")
    if _default_config(a) != _default_config(b):  # `load_dataset(path)` without a name changes
        out.feature_changes.append(f"default config {_default_config(a)!r} -> {_default_config(b)!r}: "
                                   f"load_dataset(path) without a config name now gives {_default_config(b)!r}")
    if a.labels != b.labels:
        out.feature_changes.append(f"label set changed: {a.labels} -> {b.labels}")
    if a.manifest.get("schema_version") != b.manifest.get("schema_version"):
        out.feature_changes.append(f"schema version {a.manifest.get('schema_version')} -> {b.manifest.get('schema_version')}")
    return out


def summarize(diff: ReleaseDiff, detail: bool = True) -> str:
    """Human-readable diff; the changelog entry uses the same text."""
    changed_text = [k for k, d in diff.documents.items() if d.text_changed]
    lines = [
        f"- Documents: {len(diff.documents_added)} added, {len(diff.documents_removed)} removed, "
        f"{len(changed_text)} with changed text.",
        f"- Entities: {diff.entity_total('added')} added, {diff.entity_total('removed')} removed, "
        f"{diff.entity_total('relabelled')} relabelled, {diff.entity_total('resized')} resized, "
        f"{diff.entity_total('relinked')} relinked.",
        f"- Metadata: {sum(len(d.metadata) for d in diff.documents.values())} field changes.",
        f"- Split moves: {len(diff.split_moves) or 'none'}.",
        f"- Features: {'; '.join(diff.feature_changes) if diff.feature_changes else 'unchanged'}.",
    ]
    if diff.documents_added:
        lines.append(f"- Added documents: {', '.join(diff.documents_added)}.")
    if diff.documents_removed:
        lines.append(f"- Removed documents: {', '.join(diff.documents_removed)}.")
    for doc_id, moved in diff.split_moves.items():
        lines.append(f"- Split move: {doc_id} {moved[0]} -> {moved[1]}.")
    if detail:
        for doc_id, d in diff.documents.items():
            lines.append(f"- `{doc_id}`:" + (" text changed;" if d.text_changed else ""))
            lines += [f"  - added {e['label']} {e['text']!r}" for e in d.added]
            lines += [f"  - removed {e['label']} {e['text']!r}" for e in d.removed]
            lines += [f"  - relabelled {e['text']!r} {e['old']} -> {e['new']}" for e in d.relabelled]
            lines += [f"  - resized {e['old_text']!r} ({e['old']}) -> {e['new_text']!r} ({e['new']})" for e in d.resized]
            lines += [f"  - relinked {e['label']} {e['text']!r} {e['old']} -> {e['new']}" for e in d.relinked]
            lines += [f"  - {k}: {v[0]!r} -> {v[1]!r}" for k, v in d.metadata.items()]
    return "\n".join(lines)
