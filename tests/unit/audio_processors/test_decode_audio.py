"""DecodeAudio on a fake NiFi context: properties read once, failures with their reason, validation."""

from __future__ import annotations

import pytest
from audio_pipeline import flow_steps, loudness_profiles
from audio_processors.decode_audio import DecodeAudio
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties


def test_properties_are_read_once_and_given_to_the_step(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def decode(data: bytes, **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs)
        return flow_steps.StepResult({"audio.format": "wav"}, content=b"analysis form")

    monkeypatch.setattr(flow_steps, "decode", decode)
    processor, context = scheduled(
        DecodeAudio, {"Target Sample Rate": "8000", "Maximum Duration": "2 mins", "Loudness Profile": "atsc-a85"}
    )
    result = transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF"))
    assert result.relationship == "success" and result.contents == b"analysis form"
    assert calls[0] == {
        "target_rate": 8000,
        "max_duration_s": 120.0,
        "filename": "clip.wav",  # names .gsm and the like
        "loudness_profile": loudness_profiles.ATSC_A85,
    }


def test_the_defaults_are_16_khz_one_hour_and_ebu_r128(scheduled) -> None:
    processor, _ = scheduled(DecodeAudio)
    assert (processor.target_rate, processor.max_duration_s) == (16000, 3600.0)
    assert processor.loudness_profile == loudness_profiles.EBU_R128 == loudness_profiles.DEFAULT


def test_a_custom_profile_takes_its_three_properties(scheduled) -> None:
    custom = {
        "Loudness Profile": "custom",
        "Custom Target Loudness": "-16",
        "Custom Maximum True Peak": "-1.5",
        "Custom Loudness Tolerance": "1",
    }
    processor, _ = scheduled(DecodeAudio, custom)
    assert processor.loudness_profile == loudness_profiles.LoudnessProfile("custom", -16.0, 1.0, -1.5)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("Custom Target Loudness", "-80", "target_lufs must be from -69 to 0"),
        ("Custom Target Loudness", "loud", "target_lufs must be a number"),
        ("Custom Maximum True Peak", "6", "max_true_peak_dbtp must be from -20 to 3"),
        ("Custom Loudness Tolerance", "-1", "tolerance_lu must be from 0 to 10"),
    ],
)
def test_custom_values_out_of_range_are_invalid(name: str, value: str, says: str) -> None:
    processor = DecodeAudio()
    assert processor.customValidate(FakeContext(processor, {"Loudness Profile": "custom"})) == []
    [problem] = processor.customValidate(FakeContext(processor, {"Loudness Profile": "custom", name: value}))
    assert (problem.subject, problem.valid, problem.input) == (name, False, value)
    assert problem.explanation.startswith(says)
    # Ignored, so not checked, with another profile.
    assert processor.customValidate(FakeContext(processor, {name: value})) == []


def test_bad_input_fails_with_its_reason_and_no_bulletin(scheduled) -> None:
    processor, context = scheduled(DecodeAudio)
    assert fails_with(transform_without_reading_properties(processor, context, FakeFlowFile(b"")), "empty_input")
    assert processor.logger.errors == []


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_steps, "decode", lambda *_a, **_k: 1 / 0)
    processor, context = scheduled(DecodeAudio)
    assert fails_with(processor.transform(context, FakeFlowFile(b"RIFF")), "internal_error")
    assert len(processor.logger.errors) == 1 and "ZeroDivisionError" in processor.logger.errors[0]


def test_a_maximum_duration_of_zero_is_invalid() -> None:
    processor = DecodeAudio()
    assert processor.customValidate(FakeContext(processor, {})) == []
    [problem] = processor.customValidate(FakeContext(processor, {"Maximum Duration": "0 sec"}))
    assert (problem.subject, problem.valid, problem.input) == ("Maximum Duration", False, "0 sec")


def test_the_loudness_profile_choices_are_the_profiles() -> None:
    from audio_pipeline import attributes as attr
    from audio_pipeline import loudness_profiles

    assert tuple(DecodeAudio.LOUDNESS_PROFILE.allowableValues) == attr.LOUDNESS_PROFILES
    assert DecodeAudio.LOUDNESS_PROFILE.defaultValue == loudness_profiles.DEFAULT.name
