"""Properties of the analysis form (hypothesis): it reads back as the samples decoded, and bytes never crash it.

The analysis form is the content every processor after DecodeAudio reads, so its round trip must
hold for any audio, not only for the tones of the example tests: any rate the limits allow, any
length, mono or stereo, samples anywhere in full scale. And whatever bytes arrive, decoding returns
audio or a reason code (`AudioPipelineError`); anything else would be retried as a fault of the
environment. The example counts keep the module within seconds; the atheris harness
(tests/fuzz/decode_target.py) explores the bytes far longer.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps
from audio_pipeline.analysis_wav import PCM_SCALE, read_analysis_wav, to_wav_bytes
from audio_pipeline.decoding import decode
from audio_pipeline.decoding.mono_sink import MIN_MEASURED_RATE
from audio_pipeline.errors import AudioPipelineError, InvalidHeaderError
from audio_pipeline.limits import MAX_SAMPLE_RATE
from fuzz.decode_target import filename_for
from fuzz.seeds import CORPUS_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

HALF_STEP = 0.5 / float(PCM_SCALE)  # 16-bit quantisation: rounding to the nearest step
TOP = 32767 / float(PCM_SCALE)  # the largest 16-bit value; full scale +1.0 clips to it
# No example database kept in the checkout: a failure prints the example (and how to reproduce it).
FAST = settings(deadline=None, max_examples=200, database=None, suppress_health_check=[HealthCheck.too_slow])

samples_in_full_scale = st.floats(-1.0, 1.0, width=32, allow_nan=False)
decodable_rates = st.integers(MIN_MEASURED_RATE, MAX_SAMPLE_RATE)
common_rates = st.sampled_from([8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000])


@st.composite
def audio(draw: st.DrawFn, rates: st.SearchStrategy[int], max_frames: int = 2000) -> tuple[np.ndarray, int]:
    """(frames, channels) float32 in [-1, 1], mono or stereo, at a rate drawn from `rates`."""
    channels = draw(st.integers(1, 2))
    frames = draw(st.integers(1, max_frames))
    x = draw(arrays(np.float32, (frames, channels), elements=samples_in_full_scale))
    return x, draw(rates)


def _input_file(x: np.ndarray, rate: int, subtype: str) -> bytes:
    out = io.BytesIO()
    sf.write(out, x, rate, format="WAV", subtype=subtype)
    return out.getvalue()


def _downmix(x: np.ndarray) -> np.ndarray:
    """The mono analysis signal of (frames, channels) `x`, in float32 as the decoder's sink forms it."""
    mono = x[:, 0].copy()
    for channel in range(1, x.shape[1]):
        mono += x[:, channel]
    mono *= np.float32(1.0 / x.shape[1])
    return mono


def _assert_within_quantisation(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, np.clip(want, -1.0, TOP), rtol=0, atol=HALF_STEP * (1 + 1e-6))


mono_samples = st.integers(1, 4000).flatmap(lambda n: arrays(np.float32, n, elements=samples_in_full_scale))


@FAST
@given(mono_samples, st.integers(1, MAX_SAMPLE_RATE))
def test_writing_and_reading_the_analysis_form_keeps_samples_and_rate(x: np.ndarray, rate: int) -> None:
    samples, got_rate = read_analysis_wav(to_wav_bytes(x, rate))

    assert got_rate == rate
    assert samples.dtype == np.float32
    _assert_within_quantisation(samples, x)


@FAST
@given(audio(decodable_rates), st.sampled_from(["PCM_16", "FLOAT"]))
def test_decode_step_analysis_form_reads_back_as_the_input_at_its_own_rate(
    sound: tuple[np.ndarray, int], subtype: str
) -> None:
    x, rate = sound
    data = _input_file(x, rate, subtype)
    received, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # what was sent, as decoded

    step = flow_steps.decode(data, target_rate=rate, max_duration_s=3600.0)
    samples, got_rate = read_analysis_wav(step.content if step.content is not None else data)

    assert got_rate == rate
    assert step.attributes[attr.SAMPLE_RATE] == str(rate)
    assert step.attributes[attr.DURATION_SECONDS] == f"{x.shape[0] / rate:.3f}"
    source = step.attributes[attr.ANALYSIS_SOURCE]
    want = _downmix(received) if source == "downmix" else received[:, int(source.removeprefix("channel ")) - 1]
    _assert_within_quantisation(samples, want)


@FAST
@given(audio(common_rates))
def test_decode_step_analysis_form_at_16k_has_the_rate_and_duration_of_the_input(
    sound: tuple[np.ndarray, int],
) -> None:
    x, rate = sound
    step = flow_steps.decode(_input_file(x, rate, "FLOAT"), target_rate=16_000, max_duration_s=3600.0)
    samples, got_rate = read_analysis_wav(step.content)

    assert got_rate == 16_000
    assert step.attributes[attr.DURATION_SECONDS] == f"{x.shape[0] / rate:.3f}"
    assert abs(samples.size - x.shape[0] * 16_000 / rate) <= 1  # the resampler keeps the duration
    assert samples.size == 0 or float(np.abs(samples).max()) <= 1.0


@settings(FAST, max_examples=20)
@given(audio(st.integers(1, MIN_MEASURED_RATE - 1), max_frames=50))
def test_rates_too_low_to_measure_are_an_invalid_header(sound: tuple[np.ndarray, int]) -> None:
    """Found by these properties: libebur128 refuses them, and that was a MemoryError (internal_error)."""
    x, rate = sound
    with pytest.raises(InvalidHeaderError):
        flow_steps.decode(_input_file(x, rate, "PCM_16"), target_rate=16_000, max_duration_s=3600.0)


def _seeds() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS_DIR.iterdir())]


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    """A committed fuzzing seed (a small valid file of one format) with bytes overwritten and its end cut."""
    data = bytearray(draw(st.sampled_from(_seeds())))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(FAST, max_examples=120)
@given(st.one_of(st.binary(max_size=4096), mutated_seed()))
def test_any_bytes_decode_or_raise_a_pipeline_error(data: bytes) -> None:
    try:
        decoded = decode(data, max_duration_s=5.0, timeout_s=30.0, filename=filename_for(data))
    except AudioPipelineError as refusal:
        assert refusal.code and str(refusal), "a refusal carries a reason code and a message"
        return
    assert decoded.samples.ndim == 1 and decoded.samples.size > 0
    assert np.isfinite(decoded.samples).all()
