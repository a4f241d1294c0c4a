"""decode(): every supported format end to end, through the back end each goes to, and the duration cap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline.decoding import decode
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import TONE_HZ, TONE_S, decode_error_code

FORMATS = {
    "wav": ("wav", 44100, "PCM_16"),
    "aiff": ("aiff", 44100, "PCM_16"),
    "flac": ("flac", 44100, "PCM_16"),
    "ogg": ("ogg", 44100, "VORBIS"),
    "opus": ("opus", 48000, "OPUS"),
    "mp3": ("mp3", 44100, "MPEG_LAYER_III"),
    "m4a": ("m4a", 44100, "aac"),
    "aac": ("aac", 44100, "aac"),
    "webm": ("webm", 48000, "opus"),
    "mka": ("mka", 44100, "flac"),
}


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_format_decodes_to_16k_mono_with_true_duration(audio: AudioFactory, tone: Path, ext: str) -> None:
    label, rate, codec = FORMATS[ext]
    data = audio.transcode(tone, ext).read_bytes()

    decoded = decode(data)

    assert decoded.format == label
    assert decoded.codec == codec
    assert decoded.original_sample_rate == rate
    assert decoded.original_channels == 2
    assert decoded.duration_s == pytest.approx(TONE_S, rel=0.01)
    assert decoded.sample_rate == 16000
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.samples.size == pytest.approx(TONE_S * 16000, rel=0.01)
    assert _dominant_hz(decoded.samples, 16000) == pytest.approx(TONE_HZ, abs=2.0)
    rms = float(np.sqrt(np.mean(decoded.samples[16000:-16000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_speech_voices_decode_at_native_rate_when_asked(audio: AudioFactory) -> None:
    for voice in ("en-us", "en-gb+f3"):
        path = audio.speech(voice, rate=8000)
        truth = sf.info(str(path)).duration
        decoded = decode(path.read_bytes(), target_rate=None)
        assert decoded.sample_rate == decoded.original_sample_rate == 8000
        assert decoded.original_channels == 1
        assert decoded.samples.size == sf.info(str(path)).frames
        assert decoded.duration_s == pytest.approx(truth, rel=1e-6)
        reference, _ = sf.read(str(path), dtype="float32")
        np.testing.assert_array_equal(decoded.samples, reference)


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "m4a"])
def test_longer_than_max_is_too_long(audio: AudioFactory, tone: Path, ext: str) -> None:
    data = audio.transcode(tone, ext).read_bytes()
    assert decode_error_code(data, max_duration_s=2.0) == "too_long"
    assert decode(data, max_duration_s=TONE_S + 1).duration_s == pytest.approx(TONE_S, rel=0.01)
