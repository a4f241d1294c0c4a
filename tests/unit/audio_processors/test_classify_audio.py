"""ClassifyAudio on a fake NiFi context: properties read once, routes and failures, validation."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from audio_pipeline import classification, flow_steps
from audio_pipeline.errors import ServingResponseError
from audio_processors.classify_audio import ClassifyAudio, is_host_port
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties

SERVER = {"Model Server": "127.0.0.1:8500"}


def test_properties_are_read_once_and_given_to_the_step(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def classify(content: bytes, attributes: Mapping[str, str], **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs | {"attributes": attributes})
        return flow_steps.StepResult({"audio.retry.reason": "UNAVAILABLE: down"}, route=flow_steps.RETRY)

    monkeypatch.setattr(flow_steps, "classify", classify)
    values = SERVER | {
        "Window Duration": "500 millis",
        "Hop Duration": "250 millis",
        "Request Timeout": "3 secs",
        "Attempts": "2",
        "Model Version Label": "canary",
    }
    processor, context = scheduled(ClassifyAudio, values)
    result = transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF"))
    assert result.relationship == "retry"
    assert calls[0]["windowing"] == classification.Windowing(window_seconds=0.5, hop_seconds=0.25)
    assert calls[0]["client"] is processor.client
    assert isinstance(calls[0]["attributes"], Mapping)  # read lazily: the step asks for audio.out.of.band only
    config = processor.client.config
    assert (config.target, config.timeout_seconds, config.max_attempts) == ("127.0.0.1:8500", 3.0, 2)
    assert (config.model_name, config.version_label) == ("audio_classifier", "canary")


def test_the_defaults_are_the_former_values(scheduled) -> None:
    processor, _ = scheduled(ClassifyAudio, SERVER)
    assert processor.windowing == classification.Windowing(window_seconds=1.0, hop_seconds=1.0)
    assert (processor.client.config.timeout_seconds, processor.client.config.max_attempts) == (10.0, 3)
    assert processor.client.config.version_label is None


def test_an_unusable_answer_fails_with_its_reason_and_no_bulletin(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    def classify(*_args: object, **_kwargs: object) -> None:
        raise ServingResponseError("output missing")

    monkeypatch.setattr(flow_steps, "classify", classify)
    processor, context = scheduled(ClassifyAudio, SERVER)
    assert fails_with(transform_without_reading_properties(processor, context, FakeFlowFile()), "serving_bad_response")
    assert processor.logger.errors == []


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_steps, "classify", lambda *_a, **_k: None.attribute)
    processor, context = scheduled(ClassifyAudio, SERVER)
    assert fails_with(processor.transform(context, FakeFlowFile()), "internal_error")
    assert len(processor.logger.errors) == 1 and "AttributeError" in processor.logger.errors[0]


def _problems(values: dict[str, str]) -> dict[str, str]:
    processor = ClassifyAudio()
    return {r.subject: r.explanation for r in processor.customValidate(FakeContext(processor, SERVER | values))}


def test_the_defaults_are_valid() -> None:
    assert _problems({}) == {}
    assert _problems({"Window Duration": "2 secs", "Hop Duration": "500 millis"}) == {}


@pytest.mark.parametrize(
    ("values", "subject"),
    [
        ({"Hop Duration": "0 sec"}, "Hop Duration"),  # used to pass, then quarantine every file as internal_error
        ({"Window Duration": "0 sec", "Hop Duration": "0 sec"}, "Window Duration"),
        ({"Window Duration": "500 millis"}, "Hop Duration"),  # hop longer than the window: audio left out
        ({"Request Timeout": "0 secs"}, "Request Timeout"),
        ({"Model Server": "tfserving"}, "Model Server"),
    ],
)
def test_bad_configuration_is_invalid(values: dict[str, str], subject: str) -> None:
    assert subject in _problems(values)


@pytest.mark.parametrize("target", ["127.0.0.1:8500", "tfserving:8500", "[::1]:8500", "model-server.example:1"])
def test_host_port_accepts_one_address(target: str) -> None:
    assert is_host_port(target)


@pytest.mark.parametrize(
    "target",
    ["", None, "tfserving", "tfserving:", ":8500", "h:0", "h:99999", "h:port", "a:1,b:2", "dns:///h:1", "h: 1"],
)
def test_host_port_rejects_everything_else(target: str | None) -> None:
    assert not is_host_port(target)
