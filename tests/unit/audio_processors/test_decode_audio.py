"""DecodeAudio on a fake NiFi context: properties read once, failures with their reason, validation."""

from __future__ import annotations

import pytest
from audio_pipeline import flow_steps
from audio_processors.decode_audio import DecodeAudio
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties


def test_properties_are_read_once_and_given_to_the_step(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def decode(data: bytes, **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs)
        return flow_steps.StepResult({"audio.format": "wav"}, content=b"analysis form")

    monkeypatch.setattr(flow_steps, "decode", decode)
    processor, context = scheduled(DecodeAudio, {"Target Sample Rate": "8000", "Maximum Duration": "2 mins"})
    result = transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF"))
    assert result.relationship == "success" and result.contents == b"analysis form"
    assert calls[0] == {"target_rate": 8000, "max_duration_s": 120.0, "filename": "clip.wav"}  # names .gsm and the like


def test_the_defaults_are_16_khz_and_one_hour(scheduled) -> None:
    processor, _ = scheduled(DecodeAudio)
    assert (processor.target_rate, processor.max_duration_s) == (16000, 3600.0)


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
