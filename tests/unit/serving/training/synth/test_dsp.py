"""Signal helpers (serving.training.synth.dsp): codec round trips keep length and alignment; levels."""

from __future__ import annotations

import numpy as np
import pytest

from serving.model_contract import SAMPLE_RATE as SR
from serving.training.synth import dsp, tones


@pytest.mark.parametrize("codec", ["mp3", "gsm", "mulaw", "vorbis"])
def test_codec_roundtrip_keeps_length_and_alignment(codec: str) -> None:
    x = (tones.steady(np.random.default_rng(3), SR) * 0.3).astype(np.float32)
    y = dsp.codec_roundtrip(x, codec)
    assert len(y) == len(x)
    lowband = dsp.bandpass(x, 200, 3000)
    assert np.corrcoef(lowband, dsp.bandpass(y, 200, 3000))[0, 1] > 0.5


def test_levels() -> None:
    x = np.full(SR, 0.1, np.float32)
    assert dsp.rms_db(x) == pytest.approx(-20.0, abs=0.01)
    assert dsp.active_db(dsp.set_active_level(x, -33.0)) == pytest.approx(-33.0, abs=0.01)
