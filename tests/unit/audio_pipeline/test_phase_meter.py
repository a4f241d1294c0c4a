"""Phase correlation and downmix loss as a correlation meter and a mono check would show them."""

from __future__ import annotations

import numpy as np
import pytest
from audio_pipeline.phase_meter import MAX_LOSS_DB, MONO_LOSS_LIMIT_DB, PhaseMeter

RATE = 48000


def _phase(x: np.ndarray):
    meter = PhaseMeter(x.shape[1])
    for start in range(0, x.shape[0], 5000):
        meter.push(np.ascontiguousarray(x[start : start + 5000].T))  # planar
    return meter.phase()


def _sine(seconds: float = 1.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(int(seconds * RATE)) / RATE)


def test_identical_channels_correlate_fully_and_lose_nothing() -> None:
    s = _sine()
    phase = _phase(np.stack([s, s], axis=1))
    assert phase.correlation == pytest.approx(1.0)
    assert phase.downmix_loss_db == pytest.approx(0.0, abs=1e-9)
    assert phase.mono_compatible


def test_antiphase_correlates_at_minus_one_and_cancels() -> None:
    s = _sine()
    phase = _phase(np.stack([s, -s], axis=1))
    assert phase.correlation == pytest.approx(-1.0)
    assert phase.downmix_loss_db == MAX_LOSS_DB
    assert not phase.mono_compatible


def test_uncorrelated_channels_lose_three_db_and_stay_compatible() -> None:
    rng = np.random.default_rng(2)
    phase = _phase(rng.standard_normal((RATE * 2, 2)) * 0.1)
    assert phase.correlation == pytest.approx(0.0, abs=0.01)
    assert phase.downmix_loss_db == pytest.approx(3.01, abs=0.05)
    assert phase.mono_compatible


@pytest.mark.parametrize(
    ("inverted_share", "compatible"),
    [(0.1, True), (0.3, True), (0.6, True), (0.8, False), (0.95, False)],
)
def test_partly_out_of_phase_stereo(inverted_share: float, compatible: bool) -> None:
    """Right = left, with the polarity of a share of the signal's energy flipped (an antiphase
    component mixed in): correlation 1 − 2·share, loss −10·log10(1 − share)."""
    s = _sine()
    rng = np.random.default_rng(3)
    other = rng.standard_normal(s.shape[0]) * 0.5 / np.sqrt(2)
    left = np.sqrt(1 - inverted_share) * s + np.sqrt(inverted_share) * other
    right = np.sqrt(1 - inverted_share) * s - np.sqrt(inverted_share) * other
    phase = _phase(np.stack([left, right], axis=1))
    assert phase.correlation == pytest.approx(1 - 2 * inverted_share, abs=0.02)
    assert phase.downmix_loss_db == pytest.approx(-10 * np.log10(1 - inverted_share), abs=0.1)
    assert phase.mono_compatible is compatible
    assert (phase.downmix_loss_db <= MONO_LOSS_LIMIT_DB) is compatible


def test_one_silent_channel_reads_zero_correlation_and_loses_three_db() -> None:
    s = _sine()
    phase = _phase(np.stack([s, np.zeros_like(s)], axis=1))
    assert phase.correlation == 0.0
    assert phase.downmix_loss_db == pytest.approx(3.01, abs=0.01)


def test_mono_and_silence() -> None:
    assert _phase(_sine()[:, None]).correlation == 1.0
    silent = _phase(np.zeros((RATE, 2)))
    assert (silent.correlation, silent.downmix_loss_db, silent.mono_compatible) == (0.0, 0.0, True)
