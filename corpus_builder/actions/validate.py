"""``validate``: every problem of the inputs (seeds and overlays, checked against the
normalized texts and the model's entities), and the review coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import BuildConfig
from ..pipeline import PipelineResult
from .build import run

if TYPE_CHECKING:
    from spacy.language import Language


def validate(config: BuildConfig, nlp: Language | None = None) -> PipelineResult:
    """The pipeline's result with its problems: ``errors`` then ``warnings``, and
    ``stats.overlays.coverage``; nothing is written."""
    return run(config, nlp)
