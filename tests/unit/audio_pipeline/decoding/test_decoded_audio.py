"""DecodedAudio: the facts about the original as decode-step attributes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.decoding import decode
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import TONE_S


def test_attributes_and_hash(audio: AudioFactory, tone: Path) -> None:

    data = tone.read_bytes()
    decoded = decode(data)
    attrs = decoded.to_attributes()
    assert attrs[attr.SHA256] == hashlib.sha256(data).hexdigest() == decoded.sha256
    assert attrs[attr.FORMAT] == "wav"
    assert attrs[attr.ORIGINAL_SAMPLE_RATE] == "44100"
    assert attrs[attr.ORIGINAL_CHANNELS] == "2"
    assert attrs[attr.SAMPLE_RATE] == "16000"
    assert attrs[attr.CHANNELS] == "1"
    assert float(attrs[attr.DURATION_SECONDS]) == pytest.approx(TONE_S)
