"""Transcription in the processor's own worker processes, with the model loaded once per worker.

Whisper costs ≈ 0.1–0.3 CPU-seconds per audio second, far more than any other stage; in worker
processes it uses its own cores and never holds the processor's Python process (py4j, metrics). The
content crosses to the worker as the analysis WAV's bytes and is converted to samples there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_pipeline.analysis_wav import pcm16_mono_layout, read_analysis_wav
from audio_pipeline.transcription import model_files
from audio_pipeline.transcription.transcriber import RATE, Transcriber, Transcript, TranscriptionSettings
from audio_pipeline.worker_pool import WorkerPool

_worker: Transcriber | None = None  # the model of this worker process


def _load(directory: Path, settings: TranscriptionSettings) -> None:
    global _worker
    _worker = Transcriber(model_files.read_manifest(directory), settings)  # the parent verified the files


def transcribe_content(transcriber: Transcriber, content: bytes) -> Transcript:
    """The analysis form is 16 kHz 16-bit mono: its samples are used in place (no copy of the file);
    any other WAV is read and resampled to 16 kHz first."""
    layout = pcm16_mono_layout(content)
    if layout is not None and layout[0] == RATE:
        _, offset, count = layout
        return transcriber.transcribe(np.frombuffer(content, dtype="<i2", count=count, offset=offset))
    samples, rate = read_analysis_wav(content)
    if rate != RATE:
        import soxr

        samples = soxr.resample(samples, rate, RATE).astype("float32")
    return transcriber.transcribe(samples)


def _transcribe_in_worker(content: bytes) -> Transcript:
    assert _worker is not None, "worker started without its model"
    return transcribe_content(_worker, content)


class TranscriptionPool:
    """workers ≥ 1: that many worker processes, each with the model; 0: the model in this process."""

    def __init__(self, directory: Path, settings: TranscriptionSettings, workers: int) -> None:
        self.model = model_files.verify(directory)  # once, here: a bad model fails the start, not files
        self._local = Transcriber(self.model, settings) if workers == 0 else None
        self._pool = WorkerPool(workers, _load, (directory, settings)) if workers else None

    def transcribe(self, content: bytes) -> Transcript:
        if self._pool is None:
            assert self._local is not None
            return transcribe_content(self._local, content)
        return self._pool.call(_transcribe_in_worker, content)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
