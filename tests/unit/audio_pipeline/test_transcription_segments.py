"""The filter that keeps words off non-speech, and the segments' attribute form."""

from __future__ import annotations

import json

import numpy as np
from audio_pipeline.transcription import segments
from audio_pipeline.transcription.segments import Segment

RATE = 16_000


def _speechlike(seconds: float, level: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_a_segment_with_words_on_audible_audio_is_kept() -> None:
    assert segments.keep(Segment(0.0, 1.0, " Hello there.", 0.05), _speechlike(2), RATE)


def test_what_the_model_rates_probably_not_speech_is_dropped() -> None:
    assert not segments.keep(Segment(0.0, 1.0, " You", 0.6), _speechlike(2), RATE)
    assert segments.keep(Segment(0.0, 1.0, " You", 0.59), _speechlike(2), RATE)


def test_text_without_a_word_is_dropped() -> None:
    for text in (" ...", " ♪♪", " - ", ""):
        assert not segments.keep(Segment(0.0, 1.0, text, 0.0), _speechlike(2), RATE)


def test_words_on_near_silence_are_dropped() -> None:
    audio = np.concatenate([_speechlike(1), _speechlike(1, level=1e-4)])  # second second ≈ -83 dBFS
    assert segments.keep(Segment(0.0, 1.0, " Words.", 0.0), audio, RATE)
    assert not segments.keep(Segment(1.0, 2.0, " Words.", 0.0), audio, RATE)
    assert not segments.keep(Segment(5.0, 6.0, " Beyond the end.", 0.0), audio, RATE)


def test_segments_shift_onto_the_files_clock() -> None:
    assert Segment(1.0, 2.5, "x", 0.1).shifted(180.0) == Segment(181.0, 182.5, "x", 0.1)


def test_attribute_form_round_trips_with_times_to_the_millisecond() -> None:
    found = [Segment(0.12345, 1.98765, " Bonjour à tous.", 0.012345), Segment(2.0, 3.0, " Oui.", 0.2)]
    text = segments.to_json(found)
    assert json.loads(text)[0] == {"start": 0.123, "end": 1.988, "text": "Bonjour à tous.", "no_speech_prob": 0.0123}
    assert "à" in text  # not escaped: the attribute stays readable in the NiFi UI
    assert segments.from_json(text)[1] == Segment(2.0, 3.0, "Oui.", 0.2)
    assert segments.joined_text(found) == "Bonjour à tous. Oui."
