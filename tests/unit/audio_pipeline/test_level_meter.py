"""Levels of the received signal: every channel, any block split, the loudest channel for silence."""

from __future__ import annotations

import numpy as np
import pytest
from audio_pipeline.level_meter import LevelMeter
from audio_pipeline.levels import FLOOR_DBFS, measure

RATE = 48000


def _metered(x: np.ndarray, block: int = 4096, rate: int = RATE) -> LevelMeter:
    meter = LevelMeter(rate, x.shape[1])
    for start in range(0, x.shape[0], block):
        meter.push(np.ascontiguousarray(x[start : start + block].T, dtype=np.float64))  # planar
    return meter


def _sine(freq: float, amplitude: float, seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def test_mono_input_agrees_with_the_one_shot_measure() -> None:
    rng = np.random.default_rng(1)
    x = (_sine(440.0, 0.3, 2.0) * (rng.random(2 * RATE) > 0.3)).astype(np.float32)
    x[RATE // 2 : RATE] = 0.0  # a silent half second
    metered = _metered(x[:, None], block=1000).levels()  # blocks that split the 20 ms frames
    direct = measure(x, RATE)
    assert metered.peak_dbfs == pytest.approx(direct.peak_dbfs, abs=1e-6)
    assert metered.rms_dbfs == pytest.approx(direct.rms_dbfs, abs=1e-6)
    assert metered.silence_ratio == pytest.approx(direct.silence_ratio)
    assert metered.clipping_ratio == pytest.approx(direct.clipping_ratio)


@pytest.mark.parametrize("block", [1, 777, 960, 100_000])
def test_the_block_split_does_not_change_anything(block: int) -> None:
    x = np.stack([_sine(100.0, 0.5, 0.5), np.zeros(RATE // 2)], axis=1)
    x[: RATE // 10] = 0.0
    reference = _metered(x, block=x.shape[0])
    split = _metered(x, block=block)
    assert split.levels() == reference.levels()
    assert split.channels() == reference.channels()


def test_each_channel_is_measured_and_the_loudest_counts_for_silence() -> None:
    loud = _sine(1000.0, 0.5)
    x = np.stack([loud, np.zeros_like(loud)], axis=1)
    meter = _metered(x)
    left, right = meter.channels()
    assert left.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert left.rms_dbfs == pytest.approx(-9.03, abs=0.01)
    assert right.peak_dbfs == right.rms_dbfs == FLOOR_DBFS
    overall = meter.levels()
    assert overall.silence_ratio == 0.0  # the right channel is silent, the file is not
    assert overall.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert overall.rms_dbfs == pytest.approx(-12.04, abs=0.01)  # over all samples of both channels


def test_a_trailing_partial_frame_counts_as_a_frame() -> None:
    frame = round(0.020 * RATE)
    x = np.zeros((frame * 3 + 10, 1))
    x[-10:] = 0.5  # only the partial frame at the end is loud
    assert _metered(x, block=frame).levels().silence_ratio == pytest.approx(3 / 4)


def test_clipping_counts_samples_of_every_channel() -> None:
    x = np.zeros((1000, 2))
    x[:10, 1] = 1.0
    assert _metered(x).levels().clipping_ratio == pytest.approx(10 / 2000)


def test_nothing_pushed_is_silence_at_the_floor() -> None:
    levels = LevelMeter(RATE, 2).levels()
    assert (levels.peak_dbfs, levels.rms_dbfs, levels.silence_ratio, levels.clipping_ratio) == (
        FLOOR_DBFS,
        FLOOR_DBFS,
        1.0,
        0.0,
    )
