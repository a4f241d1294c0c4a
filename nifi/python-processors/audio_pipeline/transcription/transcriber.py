"""Whisper speech-to-text on the 16 kHz analysis form: speech regions, pieces, model, filtered segments.

The model runs through faster-whisper (CTranslate2, int8 on the CPU, one thread: a worker process is
one core). Silero VAD (shipped inside faster-whisper) finds the speech regions once per file; the model
only sees those (as clip timestamps), so silence, music without voice and noise cost almost nothing
and get no words. A long file goes to the model in pieces (pieces.py) whose segment times are shifted
back onto the file's own clock, so timestamps are continuous across pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline import attributes as attr
from audio_pipeline.analysis_wav import PCM_SCALE
from audio_pipeline.transcription import model_files, pieces, segments
from audio_pipeline.transcription.segments import Segment

RATE = 16_000  # Whisper's input rate, which is also the analysis form's
# Speech is detected in blocks: Silero's input is copied twice (padding, context windows), which for a
# whole hour of float32 would be ≈ 0.5 GB on top of the samples; a 10-minute block costs ≈ 80 MB.
VAD_BLOCK_SECONDS = 600.0
DEFAULT_MAX_PIECE_SECONDS = 180.0
DEFAULT_BEAM_SIZE = 5
TEMPERATURES = (0.0, 0.2, 0.4, 0.6)  # fallbacks when decoding repeats itself; bounded, since each is a decode


@dataclass(frozen=True)
class TranscriptionSettings:
    language: str | None = None  # ISO 639-1; None identifies it from the first piece
    beam_size: int = DEFAULT_BEAM_SIZE
    max_piece_seconds: float = DEFAULT_MAX_PIECE_SECONDS
    no_speech_threshold: float = segments.NO_SPEECH_THRESHOLD
    cpu_threads: int = 1


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float
    segments: tuple[Segment, ...]
    audio_seconds: float
    model: str
    model_version: str
    pieces: int = field(default=0, compare=False)

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def speech_seconds(self) -> float:
        return sum(s.end - s.start for s in self.segments)

    def to_attributes(self) -> dict[str, str]:
        return {
            attr.TRANSCRIPT: self.text,
            attr.TRANSCRIPT_LANGUAGE: self.language,
            attr.TRANSCRIPT_LANGUAGE_PROBABILITY: f"{self.language_probability:.3f}",
            attr.TRANSCRIPT_SEGMENTS: segments.to_json(self.segments),
            attr.TRANSCRIPT_WORDS: str(self.words),
            attr.TRANSCRIPT_SPEECH_SECONDS: f"{self.speech_seconds:.3f}",
            attr.TRANSCRIPT_MODEL: self.model,
            attr.TRANSCRIPT_MODEL_VERSION: self.model_version,
        }


class Transcriber:
    """One loaded model (≈ 1 s to load, ≈ 360 MB for base): made once per worker process, used per file."""

    def __init__(self, model: model_files.ModelFiles, settings: TranscriptionSettings | None = None) -> None:
        from faster_whisper import WhisperModel

        self.model = model
        self.settings = settings or TranscriptionSettings()
        self._whisper = WhisperModel(
            str(model.directory),
            device="cpu",
            compute_type="int8",
            cpu_threads=self.settings.cpu_threads,
            num_workers=1,
        )

    @classmethod
    def load(cls, directory: Path, settings: TranscriptionSettings | None = None) -> Transcriber:
        """From an assembled model directory, its files checked against the manifest first."""
        return cls(model_files.verify(directory), settings)

    def speech_regions(self, samples: np.ndarray) -> list[pieces.Region]:
        """Speech regions of the whole file, detected block by block (regions cut by a block edge rejoined)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        options = VadOptions(max_speech_duration_s=self.settings.max_piece_seconds)
        block = int(VAD_BLOCK_SECONDS * RATE)
        found = []
        for start in range(0, samples.size, block):
            detected = get_speech_timestamps(as_float(samples[start : start + block]), options, RATE)
            found += [pieces.Region(start + r["start"], start + r["end"]) for r in detected]
        return pieces.rejoined(found, int(self.settings.max_piece_seconds * RATE))

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """The transcript of mono samples at 16 kHz: float32 (−1…1), or 16-bit PCM, which is converted
        piece by piece (an hour of it is 115 MB; as float32 it would be twice that, whole)."""
        if samples.dtype != np.int16:
            samples = np.ascontiguousarray(samples, dtype=np.float32)
        planned = pieces.plan(self.speech_regions(samples), int(self.settings.max_piece_seconds * RATE))
        language = self.settings.language
        probability = 1.0 if language else 0.0
        kept: list[Segment] = []
        for piece in planned:
            audio = as_float(samples[piece.start : piece.end])
            found, info = self._whisper.transcribe(
                audio,
                language=language,
                beam_size=self.settings.beam_size,
                temperature=list(TEMPERATURES),
                condition_on_previous_text=False,
                clip_timestamps=piece.clips_seconds(RATE),
                no_speech_threshold=self.settings.no_speech_threshold,
            )
            offset = piece.start / RATE
            for raw in found:  # a generator: decoding happens as it is consumed
                segment = Segment(raw.start, raw.end, raw.text, raw.no_speech_prob).shifted(offset)
                if segments.keep(segment, samples, RATE, no_speech_threshold=self.settings.no_speech_threshold):
                    kept.append(segment)
            if language is None:  # the first piece decides; the rest are decoded in the same language
                language, probability = info.language, float(info.language_probability)
        return Transcript(
            text=segments.joined_text(kept),
            language=language or "",
            language_probability=probability,
            segments=tuple(kept),
            audio_seconds=samples.size / RATE,
            model=self.model.name,
            model_version=self.model.version,
            pieces=len(planned),
        )


def as_float(block: np.ndarray) -> np.ndarray:
    """float32 samples (−1…1) of a block of float or 16-bit PCM samples."""
    if block.dtype == np.int16:
        return block.astype(np.float32) * (1 / PCM_SCALE)
    return np.ascontiguousarray(block, dtype=np.float32)
