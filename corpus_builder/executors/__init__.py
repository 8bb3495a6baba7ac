"""Executors: where the model's work runs. The NER stage hands an executor chunks of
texts and gets their results back in input order, so the release bytes do not
depend on which executor ran them.

One module per executor (``local``, ``dask``), each with a ``start(config, ...)``
context manager; ``--executor NAME`` imports ``corpus_builder.executors.NAME``, so
adding another engine (Ray, ...) is one new module here and nothing else.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..catalogue import error

if TYPE_CHECKING:
    from spacy.language import Language

    from ..config import BuildConfig
    from ..nlp.model import ModelIdentity

T = TypeVar("T")
DEFAULT = "local"


class Executor(Protocol):
    """Runs the model over chunks of texts."""

    chunk_size: int  # documents per chunk the NER stage hands over
    loads_configured_model: bool  # it loads ``config.model`` (so the pinned fingerprint applies)

    def identity(self) -> ModelIdentity:
        """The model the results come from (loading it only if nothing recorded it)."""
        ...

    def map(self, chunks: Iterable[tuple[T, list[str], str]]) -> Iterator[tuple[T, list[dict[str, Any]]]]:
        """(tag, texts, where) in, (tag, one parse result per text) out, in input order;
        ``where`` names the first document of a chunk in error messages."""
        ...


def available() -> list[str]:
    from importlib.resources import files

    return sorted(p.name[:-3] for p in files(__name__).iterdir() if p.name.endswith(".py") and p.name[0] != "_")


def open_executor(name: str, config: BuildConfig, *, processes: int = 1, scheduler: str | None = None,
                  nlp: Language | None = None) -> AbstractContextManager[Executor]:
    """The executor called ``name``, opened for ``config`` (a context manager: a
    cluster or worker pool is shut down when the build ends)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name not in available():
        raise error("E005", found=name, expected=" | ".join(available()))
    module = importlib.import_module(f"{__name__}.{name}")
    return module.start(config, processes=processes, scheduler=scheduler, nlp=nlp)
