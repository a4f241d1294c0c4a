"""PESQ scoring (agreement with pesq.pesq), error mapping, quality labels, reference resolution."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pesq
import pytest
import soundfile as sf
import soxr
from audio_pipeline import attributes as attr
from audio_pipeline import speech_quality as sq
from audio_pipeline.decoding import decode
from audio_pipeline.errors import AudioPipelineError, InvalidReferenceError, PesqScoringError
from support.audio_fixtures import VOICES, AudioFactory

DEGRADATIONS = ("opus6k", "noise", "lowpass")


def _read(path: Path) -> tuple[np.ndarray, int]:
    x, rate = sf.read(str(path))
    return x, int(rate)


# --------------------------------------------------------------------------------------------------
# Agreement with pesq.pesq
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("voice", VOICES[:2])
@pytest.mark.parametrize("kind", DEGRADATIONS)
def test_score_equals_pesq_on_the_files(audio: AudioFactory, rate: int, voice: str, kind: str) -> None:
    ref_path = audio.speech(voice, rate=rate)
    deg_path = audio.degrade(ref_path, kind, rate=rate)
    ref, ref_rate = _read(ref_path)
    deg, deg_rate = _read(deg_path)
    mode = "wb" if rate == 16000 else "nb"
    truth = pesq.pesq(rate, ref, deg, mode)

    # as the processor gets them: decoded at the received rate (float32)
    ours = sq.score(
        decode(deg_path.read_bytes(), target_rate=None).samples,
        deg_rate,
        decode(ref_path.read_bytes(), target_rate=None).samples,
        ref_rate,
    )

    assert (ours.mode, ours.sample_rate) == (mode, rate)
    assert abs(ours.mos - truth) <= 0.01
    assert 1.0 <= ours.mos <= 4.7


def test_degradation_lowers_the_score(audio: AudioFactory) -> None:
    ref_path = audio.speech("en-us", rate=16000)
    ref, rate = _read(ref_path)
    clean = sq.score(ref, rate, ref, rate)
    noisy = sq.score(_read(audio.degrade(ref_path, "noise", rate=rate))[0], rate, ref, rate)
    assert clean.mos > 4.4
    assert noisy.mos < clean.mos - 0.5


def test_nb_mode_at_16k_scores_without_resampling(audio: AudioFactory) -> None:
    ref_path = audio.speech("en-gb+f3", rate=16000)
    ref, _ = _read(ref_path)
    deg, _ = _read(audio.degrade(ref_path, "opus6k", rate=16000))
    ours = sq.score(deg, 16000, ref, 16000, mode="nb")
    assert ours.sample_rate == 16000 and ours.mode == "nb"
    assert abs(ours.mos - pesq.pesq(16000, ref, deg, "nb")) <= 0.01


def test_8k_input_scored_from_16k_analysis_form(audio: AudioFactory) -> None:
    """The flow's degraded signal is 16 kHz; with an 8 kHz reference it goes back to 8 kHz (nb)."""
    for kind in ("opus6k", "noise"):
        ref_path = audio.speech("en-us", rate=8000)
        deg_path = audio.degrade(ref_path, kind, rate=8000)
        ref, _ = _read(ref_path)
        truth = pesq.pesq(8000, ref, _read(deg_path)[0], "nb")
        analysis = decode(deg_path.read_bytes())  # 16 kHz analysis form
        assert analysis.sample_rate == 16000
        ours = sq.score(analysis.samples, 16000, ref, 8000)
        assert (ours.mode, ours.sample_rate) == ("nb", 8000)
        assert abs(ours.mos - truth) <= 0.01


def test_other_rates_are_resampled_once(audio: AudioFactory) -> None:
    ref_path = audio.speech("en-us", rate=44100)
    deg_path = audio.degrade(ref_path, "noise", rate=44100)
    ref, _ = _read(ref_path)
    deg, _ = _read(deg_path)
    ours = sq.score(deg, 44100, ref, 44100)
    assert (ours.mode, ours.sample_rate) == ("wb", 16000)
    expected = pesq.pesq(
        16000,
        soxr.resample(ref.astype(np.float32), 44100, 16000, quality="HQ"),
        soxr.resample(deg.astype(np.float32), 44100, 16000, quality="HQ"),
        "wb",
    )
    assert ours.mos == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("deg_rate", "ref_rate", "mode", "rate"),
    [
        (16000, 16000, "wb", 16000),
        (44100, 48000, "wb", 16000),
        (16000, 8000, "nb", 8000),
        (8000, 8000, "nb", 8000),
        (8000, 44100, "nb", 8000),
        (22050, 22050, "wb", 16000),
    ],
)
def test_mode_and_rate_choice(deg_rate: int, ref_rate: int, mode: str, rate: int) -> None:
    assert sq.choose_mode(deg_rate, ref_rate) == mode
    assert sq.scoring_rate(mode, deg_rate, ref_rate) == rate


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


def _speechlike(rate: int, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 300 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)


def test_wb_forced_below_16k_is_refused() -> None:
    x = _speechlike(8000)
    with pytest.raises(PesqScoringError, match="wide-band"):
        sq.score(x, 8000, x, 8000, mode="wb")


def test_unknown_mode_is_refused() -> None:
    x = _speechlike(16000)
    with pytest.raises(PesqScoringError, match="mode"):
        sq.score(x, 16000, x, 16000, mode="swb")


@pytest.mark.parametrize(
    ("degraded", "match"),
    [
        (np.zeros(16000, dtype=np.float32), "silence"),
        (np.full(3000, 0.1, dtype=np.float32), "at least 0.25 s"),
        (np.r_[_speechlike(16000)[:-1], np.nan].astype(np.float32), "NaN"),
        (np.zeros((10, 2, 2), dtype=np.float32), "1-D"),
    ],
    ids=["silence", "too-short", "nan", "3-D"],
)
def test_unusable_signals_give_clear_errors(degraded: np.ndarray, match: str) -> None:
    with pytest.raises(PesqScoringError, match=match) as info:
        sq.score(degraded, 16000, _speechlike(16000), 16000)
    assert info.value.code == "pesq_error"


@pytest.mark.parametrize(
    ("raised", "match"),
    [
        (pesq.NoUtterancesError(b"No utterances detected"), "no speech"),
        (pesq.BufferTooShortError(b"Buffer needs to be at least 1/4 of a second long"), "too short"),
        (pesq.OutOfMemoryError(b"Unable to allocate memory"), "OutOfMemoryError"),
        (ValueError("fs (sampling frequency) should be either 8000 or 16000"), "rate/mode"),
    ],
    ids=["no-utterances", "too-short", "memory", "value-error"],
)
def test_pesq_exceptions_are_mapped(monkeypatch: pytest.MonkeyPatch, raised: Exception, match: str) -> None:
    def fail(*_args: object, **_kwargs: object) -> float:
        raise raised

    monkeypatch.setattr(pesq, "pesq", fail)
    x = _speechlike(16000)
    with pytest.raises(PesqScoringError, match=match):
        sq.score(x, 16000, x, 16000)


def test_stereo_input_is_downmixed(audio: AudioFactory) -> None:
    ref, rate = _read(audio.speech("en-us", rate=16000))
    stereo = np.stack([ref, ref], axis=1)
    assert sq.score(stereo, rate, ref, rate).mos == pytest.approx(sq.score(ref, rate, ref, rate).mos)


# --------------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mos", "label"),
    [
        (4.64, "Excellent"),
        (4.02, "Excellent"),
        (4.0199, "Good"),
        (3.60, "Good"),
        (3.5999, "Fair"),
        (3.10, "Fair"),
        (3.0999, "Poor"),
        (2.58, "Poor"),
        (2.5799, "Bad"),
        (1.0, "Bad"),
        (-0.5, "Bad"),
    ],
)
def test_default_labels_at_thresholds(mos: float, label: str) -> None:
    assert sq.quality_label(mos) == label


def test_custom_thresholds() -> None:
    thresholds = sq.QualityThresholds.parse("4.0, 3.5, 3.0, 2.5")
    assert thresholds == sq.QualityThresholds(4.0, 3.5, 3.0, 2.5)
    assert sq.quality_label(3.5, thresholds) == "Good"
    assert sq.quality_label(2.49, thresholds) == "Bad"


@pytest.mark.parametrize("text", ["4,3,2", "4,3,3,2", "4,3.5,x,2", "6,4,3,2", "2,3,4,4.5", ""])
def test_bad_thresholds_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        sq.QualityThresholds.parse(text)


def test_nan_mos_has_no_label() -> None:
    with pytest.raises(ValueError):
        sq.quality_label(float("nan"))


def test_result_attributes() -> None:
    result = sq.PesqResult(mos=3.14159, mode="wb", sample_rate=16000)
    assert sq.SpeechQuality.of(result, "ref.wav").to_attributes() == {
        attr.PESQ_MOS: "3.142",
        attr.PESQ_MODE: "wb",
        attr.REFERENCE_FILENAME: "ref.wav",
        attr.QUALITY_LABEL: "Fair",
    }


# --------------------------------------------------------------------------------------------------
# Reference resolution
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def references(tmp_path: Path) -> Path:
    base = tmp_path / "references"
    base.mkdir()
    (base / "call-01.wav").write_bytes(b"RIFF")
    (base / "Ünïcode name 100%.wav").write_bytes(b"RIFF")
    (base / "sub").mkdir()
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    return base


HOSTILE_NAMES = [
    "",
    "   ",
    ".",
    "..",
    "../secret.wav",
    "..\\secret.wav",
    "/etc/passwd",
    "sub/file.wav",
    "C:\\Windows\\win.ini",
    "C:secret.wav",
    "%2e%2e%2fsecret.wav",
    "%2E%2E/secret.wav",
    "..%2fsecret.wav",
    "%252e%252e%252fsecret.wav",
    "a%2fb.wav",
    "a%5cb.wav",
    "a%00.wav",
    "call-01.wav\x00.txt",
    "line\nbreak.wav",
    "tab\there.wav",
    "bell\x07.wav",
    "del\x7f.wav",
    "sep\u2028.wav",
    ".hidden.wav",
    "..wav",
    "x" * 300,
    "\uff0e\uff0e\uff0fsecret.wav",  # fullwidth "../" (NFKC)
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_reference_names_are_refused(references: Path, name: str) -> None:
    with pytest.raises(InvalidReferenceError) as info:
        sq.resolve_reference(name, references)
    assert info.value.code == "invalid_reference"


def test_non_string_name_is_refused(references: Path) -> None:
    with pytest.raises(InvalidReferenceError):
        sq.resolve_reference(b"call-01.wav", references)  # type: ignore[arg-type]


def test_plain_names_resolve(references: Path) -> None:
    assert sq.resolve_reference("call-01.wav", references) == (references / "call-01.wav").resolve()
    assert sq.resolve_reference("Ünïcode name 100%.wav", references) is not None


def test_missing_reference_is_none(references: Path) -> None:
    assert sq.resolve_reference("absent.wav", references) is None
    assert sq.resolve_reference("sub", references) is None  # a directory is not a reference
    assert sq.resolve_reference("call-01.wav", references / "missing-dir") is None


def test_default_reference_is_the_input_name(references: Path) -> None:
    found = sq.resolve_reference(None, references, input_filename="call-01.wav")
    assert found == (references / "call-01.wav").resolve()
    assert sq.resolve_reference(None, references, input_filename="other.wav") is None
    assert sq.resolve_reference(None, references) is None
    with pytest.raises(InvalidReferenceError):
        sq.resolve_reference(None, references, input_filename="../secret.wav")


def test_symlink_out_of_the_directory_is_refused(references: Path) -> None:
    (references / "escape.wav").symlink_to(references.parent / "secret.wav")
    with pytest.raises(InvalidReferenceError, match="outside"):
        sq.resolve_reference("escape.wav", references)


def test_load_reference_decodes_at_native_rate(audio: AudioFactory, tmp_path: Path) -> None:
    path = audio.speech("en-us", rate=8000)
    samples, rate = sq.load_reference(path)
    assert rate == 8000
    np.testing.assert_array_equal(samples, sf.read(str(path), dtype="float32")[0])
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(InvalidReferenceError, match="not usable"):
        sq.load_reference(bad)
    with pytest.raises(InvalidReferenceError, match="cannot be read"):
        sq.load_reference(tmp_path / "absent.wav")


def test_a_reference_is_decoded_once_per_version_of_the_file(
    audio: AudioFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audio_pipeline.decoding as decoding

    decodes = []
    real_decode = decoding.decode
    monkeypatch.setattr(decoding, "decode", lambda *a, **k: decodes.append(1) or real_decode(*a, **k))
    path = tmp_path / "shared-ref.wav"
    path.write_bytes(audio.speech("en-us", rate=16000).read_bytes())
    first, _ = sq.load_reference(path)
    again, _ = sq.load_reference(path)
    assert len(decodes) == 1 and again is first
    assert not first.flags.writeable  # shared by every file scored against it
    path.write_bytes(audio.speech("en-gb+f3", rate=16000).read_bytes())  # replaced: a new version
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    changed, _ = sq.load_reference(path)
    assert (len(decodes) == 2 and changed.shape != first.shape) or not np.array_equal(changed, first)


def test_errors_are_pipeline_errors() -> None:
    assert issubclass(PesqScoringError, AudioPipelineError)
    assert issubclass(InvalidReferenceError, AudioPipelineError)


# --------------------------------------------------------------------------------------------------
# The flow step with a pool of worker processes (ScoreSpeechQuality's "PESQ Worker Processes")
# --------------------------------------------------------------------------------------------------


def test_scoring_in_worker_processes_gives_the_same_result_and_errors(audio: AudioFactory, tmp_path: Path) -> None:
    from audio_pipeline import flow_steps
    from audio_pipeline.analysis_wav import to_wav_bytes

    ref_path = audio.speech("en-us", rate=16000)
    deg_path = audio.degrade(ref_path, "noise", rate=16000)
    decoded = decode(deg_path.read_bytes(), target_rate=16000)
    content = to_wav_bytes(decoded.samples, decoded.sample_rate)
    attributes = {attr.ORIGINAL_SAMPLE_RATE: "16000"}
    too_short = to_wav_bytes(decoded.samples[:1600], 16000)

    in_process = flow_steps.score_speech_quality(content, attributes, reference=ref_path)
    pool = sq.ScoringPool(2)
    try:
        pooled = flow_steps.score_speech_quality(content, attributes, reference=ref_path, pool=pool)
        with pytest.raises(PesqScoringError) as failed:  # raised in the worker, arrives with its code
            flow_steps.score_speech_quality(too_short, attributes, reference=ref_path, pool=pool)
        for worker in list(pool._pool._processes.values()):  # workers die (not the file's fault) ...
            worker.kill()
            worker.join()
        again = flow_steps.score_speech_quality(content, attributes, reference=ref_path, pool=pool)
    finally:
        pool.close()

    assert pooled == in_process
    assert again == in_process  # ... the pool is replaced and the file scored
    assert float(pooled.attributes[attr.PESQ_MOS]) > 1.0
    assert failed.value.code == "pesq_error" and "PESQ needs at least" in failed.value.detail
