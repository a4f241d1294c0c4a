"""Transcript segments, and the filter that keeps words off what is not speech.

Whisper writes text for almost any input: "..." or "You" on silence, words on noise or music. Three
guards, cheapest first: only what the voice-activity detector calls speech reaches the model (see
transcriber.py); a segment the model itself rates probably not speech (no-speech probability at or
above the threshold) is dropped; and so is one whose audio is near-silent or whose text has no word
in it (punctuation, music notes).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

NO_SPEECH_THRESHOLD = 0.6  # Whisper's own default for its no-speech token probability
NEAR_SILENCE_DBFS = -55.0  # a segment whose RMS is below this is not speech anyone would transcribe
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    """A stretch of the file with its text; times in seconds from the start of the file."""

    start: float
    end: float
    text: str
    no_speech_prob: float

    def shifted(self, seconds: float) -> Segment:
        return Segment(self.start + seconds, self.end + seconds, self.text, self.no_speech_prob)


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of float samples (−1…1) or 16-bit PCM, in dBFS."""
    if samples.size == 0:
        return -math.inf
    power = float(np.mean(np.square(samples, dtype=np.float64)))
    if samples.dtype == np.int16:
        power /= 32768.0**2
    return 10 * math.log10(power) if power > 0 else -math.inf


def keep(
    segment: Segment,
    samples: np.ndarray,
    rate: int,
    *,
    no_speech_threshold: float = NO_SPEECH_THRESHOLD,
    near_silence_dbfs: float = NEAR_SILENCE_DBFS,
) -> bool:
    """Whether a segment is speech worth its words (samples: the whole file, mono, float or 16-bit PCM)."""
    if not _WORD.search(segment.text):
        return False
    if segment.no_speech_prob >= no_speech_threshold:
        return False
    span = samples[max(0, int(segment.start * rate)) : max(0, math.ceil(segment.end * rate))]
    return rms_dbfs(span) >= near_silence_dbfs


def joined_text(segments: Iterable[Segment]) -> str:
    return " ".join(part for s in segments if (part := s.text.strip()))


def to_json(segments: Sequence[Segment]) -> str:
    """The audio.transcript.segments form: times to the millisecond, text without Whisper's lead space."""
    return json.dumps(
        [
            {**asdict(s), "start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip(),
             "no_speech_prob": round(s.no_speech_prob, 4)}
            for s in segments
        ],
        ensure_ascii=False,
    )  # fmt: skip


def from_json(text: str) -> list[Segment]:
    return [
        Segment(float(s["start"]), float(s["end"]), str(s["text"]), float(s["no_speech_prob"]))
        for s in json.loads(text)
    ]
