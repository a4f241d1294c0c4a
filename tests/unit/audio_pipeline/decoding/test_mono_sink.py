"""The mono sink: clipping on the original samples, NaN/Inf and absurd values, bounded memory, no resampling delay."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline.decoding import DecodedAudio, decode
from audio_pipeline.errors import AudioPipelineError
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import decode_error_code, wav_header


def test_clipping_is_counted_on_original_samples(audio: AudioFactory) -> None:
    clipped = audio.tone(freq=100.0, duration=1.0, rate=44100, channels=1, amplitude=4.0)  # sox clips
    decoded = decode(clipped.read_bytes())
    assert decoded.clipping_ratio > 0.5
    clean = decode(audio.tone(duration=1.0, amplitude=0.5).read_bytes())
    assert clean.clipping_ratio == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_float_wav(tmp_path: Path, bad: float) -> None:
    x = np.zeros((16000, 2), dtype=np.float32)
    x[12345, 1] = bad
    path = tmp_path / "bad.wav"
    sf.write(str(path), x, 16000, subtype="FLOAT")
    with pytest.raises(AudioPipelineError) as info:
        decode(path.read_bytes())
    assert info.value.code == "non_finite_samples"
    assert "12345" in str(info.value)


def test_absurd_float_sample_values_are_corrupt(tmp_path: Path) -> None:
    x = np.zeros(16000, dtype=np.float32)
    x[100] = 3e38  # finite, but would overflow the downmix and every level computed from it
    path = tmp_path / "huge.wav"
    sf.write(str(path), x, 16000, subtype="FLOAT")
    assert decode_error_code(path.read_bytes()) == "corrupt_audio"


def test_decoded_audio_type() -> None:
    decoded = decode(wav_header(16000, 1, frames=1600))
    assert isinstance(decoded, DecodedAudio)
    assert decoded.samples.size == 1600  # same rate: no resampling delay or loss


@pytest.mark.parametrize("ext", ["flac", "mka"])  # soundfile back end, ffmpeg back end
def test_long_file_memory_is_proportional_to_output(audio: AudioFactory, ext: str) -> None:
    minutes = 10.0
    data = audio.long_file(ext, minutes=minutes, rate=44100, channels=2).read_bytes()
    original_f32 = minutes * 60 * 44100 * 2 * 4  # what loading the original as float32 would take
    expected_out = minutes * 60 * 16000 * 4

    tracemalloc.start()
    try:
        decoded = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert decoded.samples.nbytes == pytest.approx(expected_out, rel=0.01)
    assert peak < expected_out * 1.1 + 16e6, f"peak {peak / 1e6:.1f} MB"
    assert peak < original_f32 / 3
