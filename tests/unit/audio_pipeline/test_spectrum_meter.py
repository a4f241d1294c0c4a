"""Bandwidth and tonal share from the long-term spectrum of the received signal."""

from __future__ import annotations

import numpy as np
import pytest
from audio_pipeline.spectrum_meter import SEGMENT_FRAMES, SpectrumMeter


def _spectrum(x: np.ndarray, rate: int, block: int = 3000):
    x = x if x.ndim == 2 else x[:, None]
    meter = SpectrumMeter(rate, x.shape[1])
    for start in range(0, x.shape[0], block):
        meter.push(np.ascontiguousarray(x[start : start + block].T))  # planar
    return meter.spectrum()


def _sine(freq: float, rate: int, seconds: float = 2.0, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


@pytest.mark.parametrize("rate", [8000, 44100, 48000, 96000])
@pytest.mark.parametrize("share_of_nyquist", [0.05, 0.3, 0.7, 0.95])
def test_a_tone_s_bandwidth_is_its_frequency(rate: int, share_of_nyquist: float) -> None:
    freq = share_of_nyquist * rate / 2
    found = _spectrum(_sine(freq, rate), rate)
    bin_hz = rate / SEGMENT_FRAMES
    assert freq - bin_hz <= found.bandwidth_hz <= freq + 4 * bin_hz
    assert found.tonal_share > 0.99


def test_white_noise_fills_the_band_and_is_not_tonal() -> None:
    rng = np.random.default_rng(4)
    found = _spectrum(rng.standard_normal((48000 * 2, 2)) * 0.1, 48000)
    assert found.bandwidth_hz == pytest.approx(24000, rel=0.01)
    assert found.tonal_share < 0.1


def test_upsampled_telephone_audio_shows_its_narrow_band() -> None:
    import soxr

    rng = np.random.default_rng(5)
    narrow = soxr.resample(rng.standard_normal(8000 * 3) * 0.1, 8000, 48000)
    assert 3600 <= _spectrum(narrow, 48000).bandwidth_hz <= 4100


def test_dither_alone_has_no_bandwidth() -> None:
    rng = np.random.default_rng(6)
    dither = rng.uniform(-1, 1, 48000) / 32768  # ±1 LSB of 16-bit audio
    assert _spectrum(dither, 48000).bandwidth_hz == 0.0


def test_shorter_than_one_segment_and_empty() -> None:
    assert _spectrum(_sine(1000.0, 16000, seconds=0.05), 16000).bandwidth_hz == pytest.approx(
        1000, abs=100
    )  # a wide main lobe
    assert _spectrum(np.zeros((0, 1)), 16000).bandwidth_hz == 0.0


def test_the_block_split_does_not_change_the_spectrum() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20000, 2))
    whole, split = _spectrum(x, 16000, block=20000), _spectrum(x, 16000, block=333)
    assert split.bandwidth_hz == whole.bandwidth_hz
    assert split.tonal_share == pytest.approx(whole.tonal_share, rel=1e-9)  # summed in another order
