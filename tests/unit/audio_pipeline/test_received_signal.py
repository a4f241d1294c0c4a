"""Levels, phase and bandwidth of the audio as received, through the whole decode step: a listener's
view of the file, not the analysis form's (issue: a 12 kHz tone read as silence, antiphase cancelled)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps
from audio_pipeline.analysis_wav import read_analysis_wav
from audio_pipeline.levels import measure

TONE_AMPLITUDE = 0.5  # −6.02 dBFS peak, −9.03 dBFS RMS


def _flac(x: np.ndarray, rate: int, subtype: str = "PCM_24") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, x, rate, format="FLAC", subtype=subtype)
    return buffer.getvalue()


def _sine(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return TONE_AMPLITUDE * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def _decoded(data: bytes) -> flow_steps.StepResult:
    return flow_steps.decode(data, target_rate=16000, max_duration_s=60.0)


@pytest.mark.parametrize(
    ("rate", "freqs"),
    [
        (8000, (20, 300, 1000, 3000, 3900)),
        (16000, (20, 1000, 7000, 7900)),
        (44100, (20, 100, 1000, 5000, 9000, 12000, 15000, 20000)),
        (48000, (20, 1000, 8500, 12000, 16000, 20000)),
        (96000, (20, 1000, 12000, 20000, 40000)),
    ],
)
def test_no_tone_from_20_hz_to_20_khz_is_reported_silent(rate: int, freqs: tuple[int, ...]) -> None:
    for freq in freqs:
        tone = _sine(freq, rate)
        found = _decoded(_flac(tone, rate)).attributes
        assert float(found[attr.SILENCE_RATIO]) == 0.0, (rate, freq)
        sample_peak = 20 * np.log10(np.abs(tone).max())  # below −6.02 dBFS where few samples fall per cycle
        assert float(found[attr.PEAK_DBFS]) == pytest.approx(sample_peak, abs=0.05), (rate, freq)
        assert float(found[attr.RMS_DBFS]) == pytest.approx(-9.03, abs=0.05), (rate, freq)
        bin_hz = rate / 2048
        assert freq - bin_hz <= float(found[attr.BANDWIDTH_HZ]) <= freq + 4 * bin_hz + 10, (rate, freq)
        above_band = freq > 8000 * 1.02  # past the analysis form's 8 kHz band and soxr's transition
        assert found[attr.OUT_OF_BAND] == ("tone" if above_band else ""), (rate, freq)


def test_the_reported_case_a_12_khz_tone_in_48_khz_flac_is_a_tone_not_silence() -> None:
    tone = _sine(12000, 48000, seconds=3.0)
    found = _decoded(_flac(np.stack([tone, tone], axis=1), 48000)).attributes
    assert float(found[attr.RMS_DBFS]) == pytest.approx(-9.03, abs=0.05)
    assert found[attr.OUT_OF_BAND] == "tone"
    classified = flow_steps.classify(b"", found, client=None, windowing=None)  # type: ignore[arg-type]
    assert classified.attributes[attr.CLASS] == "tone"
    assert classified.attributes[attr.CLASS_BASIS] == "received spectrum"
    assert json.loads(classified.attributes[attr.CLASS_SEGMENTS]) == [{"class": "tone", "start": 0.0, "end": 3.0}]


def test_noise_above_the_band_is_noise() -> None:
    import soxr

    rng = np.random.default_rng(8)
    white = rng.standard_normal(48000 * 2) * 0.1
    high = white - soxr.resample(soxr.resample(white, 48000, 12000), 12000, 48000)[: white.size]  # ~> 6 kHz
    high -= soxr.resample(soxr.resample(high, 48000, 19000), 19000, 48000)[: high.size]  # keep > 9.5 kHz
    found = _decoded(_flac(high, 48000)).attributes
    assert found[attr.OUT_OF_BAND] == "noise"
    assert float(found[attr.BANDWIDTH_HZ]) == pytest.approx(24000, rel=0.02)


def test_each_channel_is_reported() -> None:
    tone = _sine(1000, 44100)
    found = _decoded(_flac(np.stack([tone, tone * 0.1, np.zeros_like(tone)], axis=1), 44100)).attributes
    assert float(found[attr.channel_rms_dbfs(1)]) == pytest.approx(-9.03, abs=0.05)
    assert float(found[attr.channel_rms_dbfs(2)]) == pytest.approx(-29.03, abs=0.05)
    assert float(found[attr.channel_peak_dbfs(3)]) == -120.0
    assert attr.channel_rms_dbfs(4) not in found


def test_antiphase_stereo_is_flagged_and_analysed_from_one_channel() -> None:
    speechlike = _sine(300, 48000, 2.0) * (1 + np.sin(2 * np.pi * 3 * np.arange(96000) / 48000)) / 2
    result = _decoded(_flac(np.stack([speechlike, -speechlike], axis=1), 48000))
    found = result.attributes
    assert float(found[attr.PHASE_CORRELATION]) == pytest.approx(-1.0)
    assert found[attr.MONO_COMPATIBLE] == "false"
    assert found[attr.ANALYSIS_SOURCE] == "channel 1"
    assert found[attr.OUT_OF_BAND] == ""  # the analysis form keeps the content
    assert result.content is not None
    samples, _ = read_analysis_wav(result.content)
    assert measure(samples, 16000).rms_dbfs > -20.0


def test_partly_out_of_phase_stereo_keeps_the_downmix_while_it_is_mono_compatible() -> None:
    rng = np.random.default_rng(9)
    common, other = _sine(440, 48000, 2.0), rng.standard_normal(96000) * TONE_AMPLITUDE / np.sqrt(2)
    for share, compatible in ((0.5, True), (0.9, False)):
        left = np.sqrt(1 - share) * common + np.sqrt(share) * other
        right = np.sqrt(1 - share) * common - np.sqrt(share) * other
        found = _decoded(_flac(np.stack([left, right], axis=1) * 0.7, 48000)).attributes
        assert float(found[attr.PHASE_CORRELATION]) == pytest.approx(1 - 2 * share, abs=0.03)
        assert found[attr.MONO_COMPATIBLE] == str(compatible).lower()
        assert found[attr.ANALYSIS_SOURCE] == ("downmix" if compatible else "channel 1")


def test_a_louder_right_channel_is_the_one_analysed_when_the_downmix_cancels() -> None:
    tone = _sine(500, 48000)
    found = _decoded(_flac(np.stack([-tone * 0.9, tone], axis=1), 48000)).attributes
    assert found[attr.MONO_COMPATIBLE] == "false"
    assert found[attr.ANALYSIS_SOURCE] == "channel 2"
