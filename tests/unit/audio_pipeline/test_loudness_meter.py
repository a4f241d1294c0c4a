"""The streaming loudness meter (BS.1770-4 / EBU R 128) and its attributes through the decode step."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pyebur128
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps, loudness_conformance
from audio_pipeline.loudness_meter import FLOOR_LUFS, LoudnessMeter
from audio_pipeline.true_peak import TruePeakMeter, oversampling, phase_filters

RATE = 48000


def _measure(planar: np.ndarray, rate: int = RATE, block: int = 1 << 16, **kwargs: object):
    meter = LoudnessMeter(rate, planar.shape[0], **kwargs)
    for start in range(0, planar.shape[1], block):
        meter.push(np.ascontiguousarray(planar[:, start : start + block]))
    return meter.loudness()


def _programme(seconds: float, channels: int, rate: int = RATE, seed: int = 1) -> np.ndarray:
    """Noise bursts and tones with a changing level: something for every gate and the true-peak skipping."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 0.6 * t)) ** 3
    out = []
    for channel in range(channels):
        tone = 0.3 * np.sin(2 * np.pi * (220 * (channel + 1)) * t)
        out.append(envelope * (tone + 0.2 * rng.standard_normal(t.size)))
    return np.stack(out)


@pytest.mark.parametrize("block", [1, 333, 4800, 4801, 65536, 10**7])
def test_the_block_sizes_change_nothing(block: int) -> None:
    x = _programme(4.0, 2)
    if block == 1:  # frame by frame over a stretch, the rest at once: every hop boundary falls inside a block
        meter = LoudnessMeter(RATE, 2)
        for i in range(5000):
            meter.push(x[:, i : i + 1])
        meter.push(x[:, 5000:])
        found = meter.loudness()
    else:
        found = _measure(x, block=block)
    reference = _measure(x, block=4800)
    for field in dataclasses.fields(found):  # equal but for float rounding (the true peak's two paths)
        assert getattr(found, field.name) == pytest.approx(getattr(reference, field.name), rel=1e-12), field.name


@pytest.mark.parametrize(("channels", "rate"), [(1, 8000), (2, 44100), (6, 48000), (2, 96000), (1, 192000)])
def test_the_true_peak_equals_libebur128s_interpolating_every_sample(channels: int, rate: int) -> None:
    x = _programme(5.0, channels, rate, seed=channels)
    x[:, rate : 2 * rate] *= 0.01  # a quiet second
    x[0, 3 * rate : 3 * rate + 5] = [0.0, 0.6, -0.6, 0.6, 0.0]  # a burst that overshoots between samples
    meter = TruePeakMeter(rate, channels)
    for start in range(0, x.shape[1], 7777):
        meter.push(x[:, start : start + 7777])
    state = pyebur128.R128State(channels, rate, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
    state.add_frames(np.ascontiguousarray(x.T).reshape(-1), x.shape[1])
    library = [pyebur128.get_true_peak(state, channel) for channel in range(channels)]
    assert meter.peaks == pytest.approx(library, rel=1e-6)  # the library interpolates in float32
    assert (meter.peaks >= np.abs(x).max(axis=1)).all()


@pytest.mark.parametrize("rate", [48000, 96000])
def test_the_skipping_bound_is_the_librarys_worst_case(rate: int) -> None:
    """The bound the skipping rests on is reached by the input that drives the filter hardest, so a change
    of libebur128's filter shows here."""
    meter = TruePeakMeter(rate, 1)
    phases = phase_filters(oversampling(rate))
    worst_phase = phases[np.abs(phases).sum(axis=1).argmax()]
    worst = np.zeros(rate // 10)
    pattern = np.sign(worst_phase) * 0.25
    worst[1000 : 1000 + pattern.size] = pattern
    state = pyebur128.R128State(1, rate, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
    state.add_frames(worst, worst.size)
    assert pyebur128.get_true_peak(state, 0) / 0.25 == pytest.approx(meter.bound, rel=1e-6)


def test_digital_silence_reads_the_floor_and_is_not_measured() -> None:
    found = _measure(np.zeros((2, 5 * RATE)))
    assert (found.integrated_lufs, found.momentary_max_lufs, found.short_term_max_lufs) == (FLOOR_LUFS,) * 3
    assert (found.range_lu, found.true_peak_dbtp, found.channel_true_peaks_dbtp) == (0.0, -120.0, (-120.0, -120.0))
    assert not found.measured


def test_a_file_shorter_than_one_block_is_not_measured_but_has_its_peaks() -> None:
    x = loudness_conformance.tone_sequence([(-23, 0.3)])
    found = _measure(x)
    assert not found.measured and found.integrated_lufs == FLOOR_LUFS
    assert found.true_peak_dbtp == pytest.approx(-23.0, abs=0.05)
    assert found.momentary_max_lufs == pytest.approx(-23 + 10 * np.log10(0.3 / 0.4), abs=0.1)  # padded window


def test_below_three_seconds_the_range_is_zero() -> None:
    found = _measure(loudness_conformance.tone_sequence([(-20, 1.2), (-40, 1.2)]))
    assert found.measured and found.range_lu == 0.0


def test_the_lfe_of_5_1_is_not_measured_and_the_surrounds_weigh_1_5_db() -> None:
    base = [-28.0, -28.0, -24.0, None, -30.0, -30.0]
    plain = _measure(loudness_conformance.channel_tones(base, 5)).integrated_lufs
    with_lfe = _measure(loudness_conformance.channel_tones([-28, -28, -24, -6, -30, -30], 5)).integrated_lufs
    assert with_lfe == plain
    front = _measure(loudness_conformance.channel_tones([-23, None, None, None, None, None], 5)).integrated_lufs
    surround = _measure(loudness_conformance.channel_tones([None, None, None, None, -23, None], 5)).integrated_lufs
    assert surround - front == pytest.approx(10 * np.log10(1.41), abs=0.01)


def test_mono_is_one_channel_and_stereo_two() -> None:
    mono = _measure(loudness_conformance.channel_tones([-23], 5)).integrated_lufs
    stereo = _measure(loudness_conformance.channel_tones([-23, -23], 5)).integrated_lufs
    assert stereo == pytest.approx(-23.0, abs=0.05) and stereo - mono == pytest.approx(3.01, abs=0.01)


def test_true_peak_is_per_channel_and_counts_the_lfe() -> None:
    x = loudness_conformance.channel_tones([-20, -10, None, -3, -30, -40], 2)
    found = _measure(x)
    assert found.channel_true_peaks_dbtp == pytest.approx([-20, -10, -120, -3, -30, -40], abs=0.05)
    assert found.true_peak_dbtp == found.channel_true_peaks_dbtp[3]
    attributes = found.to_attributes()
    assert attributes[attr.channel_true_peak_dbtp(4)] == f"{found.channel_true_peaks_dbtp[3]:.2f}"
    assert attr.channel_true_peak_dbtp(7) not in attributes


def _flac(planar: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, planar.T, rate, format="FLAC", subtype="PCM_24")
    return buffer.getvalue()


def test_the_decode_step_reports_loudness_and_compliance_of_the_audio_as_received() -> None:
    x = loudness_conformance.tone_sequence([(-23, 5)], rate=44100)
    found = flow_steps.decode(_flac(x, 44100), target_rate=16000, max_duration_s=60).attributes
    assert float(found[attr.LOUDNESS_INTEGRATED_LUFS]) == pytest.approx(-23.0, abs=0.05)
    assert float(found[attr.LOUDNESS_RANGE_LU]) == pytest.approx(0.0, abs=0.05)
    assert float(found[attr.LOUDNESS_MOMENTARY_MAX_LUFS]) == pytest.approx(-23.0, abs=0.05)
    assert float(found[attr.LOUDNESS_SHORT_TERM_MAX_LUFS]) == pytest.approx(-23.0, abs=0.05)
    assert float(found[attr.LOUDNESS_TRUE_PEAK_DBTP]) == pytest.approx(-23.0, abs=0.05)
    assert float(found[attr.channel_true_peak_dbtp(2)]) == pytest.approx(-23.0, abs=0.05)
    assert found[attr.LOUDNESS_PROFILE] == "ebu-r128" and found[attr.LOUDNESS_COMPLIANT] == "true"
    assert abs(float(found[attr.LOUDNESS_GAIN_DB])) < 0.05


def test_the_decode_step_of_silence_is_not_compliant_and_has_no_gain() -> None:
    from audio_pipeline import loudness_profiles

    found = flow_steps.decode(
        _flac(np.zeros((1, 44100)), 44100),
        target_rate=16000,
        max_duration_s=60,
        loudness_profile=loudness_profiles.STREAMING_14,
    ).attributes
    assert found[attr.LOUDNESS_INTEGRATED_LUFS] == "-70.00"
    assert (found[attr.LOUDNESS_PROFILE], found[attr.LOUDNESS_COMPLIANT], found[attr.LOUDNESS_GAIN_DB]) == (
        "streaming-14",
        "false",
        "",
    )
