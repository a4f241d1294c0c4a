"""Levels: dBFS conventions, floors for silence, silence and clipping ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.decoding import decode
from audio_pipeline.levels import (
    CLIP_THRESHOLD,
    FLOOR_DBFS,
    SILENCE_THRESHOLD_DBFS,
    Levels,
    measure,
    power_to_dbfs,
    to_dbfs,
)
from support.audio_fixtures import AudioFactory

RATE = 16000


def _sine(amplitude: float, seconds: float = 1.0, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_full_scale_sine() -> None:
    levels = measure(_sine(1.0), RATE)
    assert levels.peak_dbfs == pytest.approx(0.0, abs=0.01)
    assert levels.rms_dbfs == pytest.approx(-3.0103, abs=0.01)
    assert levels.silence_ratio == 0.0


def test_half_scale_sine() -> None:
    levels = measure(_sine(0.5), RATE)
    assert levels.peak_dbfs == pytest.approx(-6.0206, abs=0.01)
    assert levels.rms_dbfs == pytest.approx(-9.0309, abs=0.01)
    assert levels.clipping_ratio == 0.0


@pytest.mark.parametrize("n", [0, 1, 160, 16000])
def test_all_zero_and_empty_input_report_the_floor(n: int) -> None:
    levels = measure(np.zeros(n, dtype=np.float32), RATE)
    assert levels.peak_dbfs == FLOOR_DBFS == -120.0
    assert levels.rms_dbfs == FLOOR_DBFS
    assert levels.silence_ratio == 1.0
    assert levels.clipping_ratio == 0.0
    assert all(math.isfinite(float(v)) for v in levels.to_attributes().values())


def test_db_helpers_floor_and_nan() -> None:
    assert to_dbfs(0.0) == FLOOR_DBFS
    assert to_dbfs(float("nan")) == FLOOR_DBFS
    assert to_dbfs(1e-9) == FLOOR_DBFS
    assert power_to_dbfs(0.0) == FLOOR_DBFS
    assert power_to_dbfs(0.01) == pytest.approx(-20.0)


def test_silence_ratio_counts_20ms_frames_below_threshold() -> None:
    loud = _sine(0.5, 1.0)  # 50 frames
    quiet = _sine(10 ** ((SILENCE_THRESHOLD_DBFS - 10) / 20), 0.5)  # 25 frames, 7 dB below threshold
    silent = np.zeros(RATE // 4, dtype=np.float32)  # 12.5 frames: 12 full + 1 partial
    x = np.concatenate([loud, quiet, silent])
    levels = measure(x, RATE)
    assert levels.silence_ratio == pytest.approx((25 + 13) / (50 + 25 + 13))


def test_silence_threshold_is_configurable() -> None:
    x = _sine(10 ** (-50 / 20), 1.0)  # peak -50 dBFS, RMS -53 dBFS
    assert measure(x, RATE).silence_ratio == 0.0
    assert measure(x, RATE, silence_threshold_dbfs=-40.0).silence_ratio == 1.0


def test_clipping_ratio_on_given_samples() -> None:
    x = np.zeros(1000, dtype=np.float32)
    x[:10] = 1.0
    x[10:15] = -CLIP_THRESHOLD
    x[15:20] = 0.998  # below threshold
    assert measure(x, RATE).clipping_ratio == pytest.approx(15 / 1000)


def test_clipping_ratio_override_from_decoder(audio: AudioFactory) -> None:
    """Clipping comes from the original samples; resampling rings and hides the flat tops."""
    path = audio.tone(freq=1000.0, duration=1.0, rate=48000, channels=2, amplitude=4.0)  # hard-clipped
    decoded = decode(path.read_bytes())
    local = measure(decoded.samples, decoded.sample_rate)
    reported = measure(decoded.samples, decoded.sample_rate, clipping_ratio=decoded.clipping_ratio)
    assert reported.clipping_ratio == decoded.clipping_ratio > 0.5
    assert local.clipping_ratio < reported.clipping_ratio


def test_long_signal_is_processed_in_chunks_consistently() -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(3_000_017) * 0.1).astype(np.float32)  # several chunks, odd length
    x[::2][:1000] = 0.0
    levels = measure(x, RATE)
    assert levels.rms_dbfs == pytest.approx(10 * np.log10(np.mean(x.astype(np.float64) ** 2)), abs=1e-6)
    assert levels.peak_dbfs == pytest.approx(20 * np.log10(np.max(np.abs(x))), abs=1e-6)


def test_attributes_use_shared_names() -> None:
    attrs = Levels(-1.234, -20.0, 0.25, 0.0001).to_attributes()
    assert attrs == {
        attr.PEAK_DBFS: "-1.23",
        attr.RMS_DBFS: "-20.00",
        attr.SILENCE_RATIO: "0.2500",
        attr.CLIPPING_RATIO: "0.000100",
    }


def test_rejects_multichannel_and_bad_rate() -> None:
    with pytest.raises(ValueError):
        measure(np.zeros((10, 2)), RATE)
    with pytest.raises(ValueError):
        measure(np.zeros(10), 0)
