"""The transcriber under evaluation: the pipeline's own (audio_pipeline.transcription.transcriber),
loaded from a model directory. One model is loaded at a time: a new language setting replaces it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.model_contract import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "nifi" / "python-processors"))

try:
    from serving.transcription_models import DEFAULT_MODEL, MODELS_DIR

    DEFAULT_MODEL_DIR = MODELS_DIR / DEFAULT_MODEL
except ImportError:  # without the catalog module: where setup puts whisper-base by default
    DEFAULT_MODEL_DIR = REPO_ROOT / "build" / "models" / "whisper-base"


@dataclass(frozen=True)
class Result:
    text: str
    language: str


class Engine:
    """transcribe(samples, language): language None lets the model identify it, else ISO 639-1."""

    def __init__(self, model_dir: Path, warmup: np.ndarray | None = None) -> None:
        self.model_dir = model_dir
        self._warmup = warmup
        self._language: str | None = None
        self._transcriber = None

    def _load(self, language: str | None) -> None:
        from audio_pipeline.transcription.transcriber import Transcriber, TranscriptionSettings

        self._transcriber = None
        self._transcriber = Transcriber.load(self.model_dir, TranscriptionSettings(language=language))
        self._language = language
        if self._warmup is not None:  # the first call pays one-time set-up; keep it out of the timings
            self._transcriber.transcribe(self._warmup)

    def prepare(self, language: str | None) -> None:
        """Have the model for `language` loaded and warmed up (call before timing a transcription)."""
        if self._transcriber is None or language != self._language:
            self._load(language)

    def transcribe(self, samples: np.ndarray, language: str | None = None) -> Result:
        self.prepare(language)
        transcript = self._transcriber.transcribe(samples)
        return Result(transcript.text, transcript.language)
