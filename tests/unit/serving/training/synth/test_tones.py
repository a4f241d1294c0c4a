"""Tone synthesis (serving.training.synth.tones)."""

from __future__ import annotations

import numpy as np

from serving.model_contract import SAMPLE_RATE as SR
from serving.training.synth import tones


def test_dtmf_contains_the_standard_frequencies() -> None:
    x = tones.dtmf(np.random.default_rng(2), 2 * SR)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    peaks = freqs[np.argsort(spectrum)[-40:]]
    assert any(min(abs(peaks - f)) < 3 for f in tones.DTMF_LOW)
    assert any(min(abs(peaks - f)) < 3 for f in tones.DTMF_HIGH)
