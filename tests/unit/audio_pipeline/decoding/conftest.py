"""The decoder tests' shared input: a stereo 44.1 kHz tone, transcoded per format by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import TONE_HZ, TONE_S


@pytest.fixture(scope="module")
def tone(audio: AudioFactory) -> Path:
    return audio.tone(freq=TONE_HZ, duration=TONE_S, rate=44100, channels=2, amplitude=0.5)
