"""The analysis-form WAV: 16-bit round trip, quantisation, other layouts, partial reads, the kept-input check."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline.analysis_wav import is_analysis_form, read_analysis_wav, to_wav_bytes
from audio_pipeline.decoding import DecodedAudio, decode
from audio_pipeline.errors import AudioPipelineError


def test_analysis_wav_round_trip_is_16_bit_and_exact_for_16_bit_input() -> None:
    pcm = np.random.default_rng(0).integers(-32768, 32768, 16001).astype(np.int16)
    x = pcm.astype(np.float32) / 32768
    data = to_wav_bytes(x, 16000)
    assert isinstance(data, bytes)
    assert len(data) == 44 + pcm.nbytes

    y, rate = read_analysis_wav(data)

    assert rate == 16000
    assert y.dtype == np.float32
    np.testing.assert_array_equal(x, y)
    y[0] = 0.5  # the caller owns the samples


def test_analysis_wav_quantises_to_the_nearest_step_and_clips() -> None:
    x = np.array([0.1, -0.1, 1 / 65536 * 0.9, 1.5, -1.5, 1.0, -1.0], dtype=np.float32)
    y, _ = read_analysis_wav(to_wav_bytes(x, 16000))
    np.testing.assert_array_equal(y * 32768, [3277, -3277, 0, 32767, -32768, 32767, -32768])
    assert np.max(np.abs(y[:2] - x[:2])) <= 0.5 / 32768


def test_analysis_wav_is_a_standard_pcm16_wav() -> None:
    x = np.arange(-400, 400, dtype=np.float32) * 80 / 32768  # 16-bit values from -1 up
    data = to_wav_bytes(x, 8000)
    info = sf.info(__import__("io").BytesIO(data))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (8000, 1, "PCM_16", 800)
    decoded = decode(data, target_rate=None)
    np.testing.assert_array_equal(decoded.samples, x)  # k/32768 values survive exactly
    by_libsndfile, _ = sf.read(__import__("io").BytesIO(data), dtype="float32")
    np.testing.assert_array_equal(read_analysis_wav(data)[0], by_libsndfile)


def test_read_analysis_wav_accepts_other_wavs(tmp_path: Path) -> None:
    stereo = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1)
    path = tmp_path / "s.wav"
    sf.write(str(path), stereo, 22050, subtype="PCM_16")
    y, rate = read_analysis_wav(path.read_bytes())
    assert rate == 22050
    np.testing.assert_allclose(y, 0.125, atol=1e-4)


def test_read_analysis_wav_keeps_only_the_start_when_asked(tmp_path: Path) -> None:
    x = np.arange(-8000, 8000, dtype=np.float32) / 32768  # 1 s at 16 kHz, exact 16-bit values
    data = to_wav_bytes(x, 16000)
    head, rate = read_analysis_wav(data, max_seconds=0.25)
    assert rate == 16000
    np.testing.assert_array_equal(head, x[:4000])
    assert read_analysis_wav(data, max_seconds=5.0)[0].size == x.size
    path = tmp_path / "stereo.wav"  # the soundfile path cuts too
    sf.write(str(path), np.stack([x, x], axis=1), 16000, subtype="PCM_16")
    np.testing.assert_array_equal(read_analysis_wav(path.read_bytes(), max_seconds=0.25)[0], x[:4000])


def test_read_analysis_wav_rejects_garbage() -> None:
    with pytest.raises(AudioPipelineError) as info:
        read_analysis_wav(b"not a wav at all")
    assert info.value.code == "corrupt_audio"
    with pytest.raises(AudioPipelineError) as info:
        read_analysis_wav(b"")
    assert info.value.code == "empty_input"


def test_analysis_form_check_compares_the_samples() -> None:
    data = to_wav_bytes(np.linspace(-0.5, 0.5, 3200, dtype=np.float32), 16000)
    decoded = decode(data)
    assert is_analysis_form(data, decoded)
    changed = decoded.samples.copy()
    changed[-1] += 1 / 32768
    assert not is_analysis_form(data, DecodedAudio(**{**decoded.__dict__, "samples": changed}))
    assert not is_analysis_form(data, DecodedAudio(**{**decoded.__dict__, "samples": changed[:-1]}))
    assert not is_analysis_form(data[:-2], decoded)  # truncated data chunk


def test_to_wav_bytes_memory_is_the_output_plus_one_block_and_validates() -> None:
    x = np.zeros(4_000_000, dtype=np.float32)
    tracemalloc.start()
    try:
        data = to_wav_bytes(x, 16000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) == 44 + x.size * 2
    assert peak < x.size * 2 * 1.3 + 8 * (1 << 20)  # the BytesIO growing, plus one converted block
    with pytest.raises(ValueError):
        to_wav_bytes(np.zeros((10, 2), dtype=np.float32), 16000)
    with pytest.raises(ValueError):
        to_wav_bytes(x, 0)
