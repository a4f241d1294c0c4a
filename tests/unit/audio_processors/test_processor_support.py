"""What every processor does alike: durations in seconds, the database URL with its password, failures."""

from __future__ import annotations

from audio_pipeline.errors import CorruptAudioError
from audio_processors import processor_support
from audio_processors.decode_audio import DecodeAudio
from audio_processors.fingerprint_audio import FingerprintAudio
from support.nifi_python import FakeContext, FakeFlowFile, FakeLogger


def test_time_periods_become_seconds_to_the_millisecond() -> None:
    processor = DecodeAudio()
    for text, seconds in [("1 hour", 3600.0), ("2 mins", 120.0), ("10 secs", 10.0), ("250 millis", 0.25)]:
        context = FakeContext(processor, {"Maximum Duration": text})
        assert processor_support.seconds(context, processor.MAX_DURATION) == seconds


def test_the_password_property_goes_into_the_url_and_wins() -> None:
    processor = FingerprintAudio()

    def url(address: str, password: str | None) -> str:
        context = FakeContext(processor, {"Database URL": address, "Database Password": password})
        return processor_support.database_url(context, processor.DATABASE_URL, processor.DATABASE_PASSWORD)

    assert url("postgresql://audio@db:5432/audio", "s3cr3t/@:") == "postgresql://audio:s3cr3t%2F%40%3A@db:5432/audio"
    assert url("postgresql://audio:old@db/audio", "new") == "postgresql://audio:new@db/audio"
    assert url("postgresql://audio:kept@db/audio", None) == "postgresql://audio:kept@db/audio"
    assert url("sqlite:////data/state/pipeline.db", "") == "sqlite:////data/state/pipeline.db"


def _processor_with_logger() -> DecodeAudio:
    processor = DecodeAudio()
    processor.logger = FakeLogger()
    return processor


def test_an_expected_failure_carries_its_reason_and_is_not_logged() -> None:
    processor = _processor_with_logger()
    result = processor_support.failure(processor, FakeFlowFile(), CorruptAudioError("truncated frame"))
    assert result.relationship == "failure"
    assert result.attributes == {"audio.error": "corrupt_audio", "audio.error.detail": "truncated frame"}
    assert processor.logger.errors == []


def test_a_bug_is_logged_as_an_error_with_its_traceback() -> None:
    processor = _processor_with_logger()
    try:
        {}["missing"]
    except KeyError as error:
        result = processor_support.failure(processor, FakeFlowFile(attributes={"filename": "a.wav"}), error)
    assert result.attributes["audio.error"] == "internal_error"
    assert result.attributes["audio.error.detail"] == "KeyError: 'missing'"
    [message] = processor.logger.errors
    assert "DecodeAudio failed on 'a.wav'" in message and "audio.error=internal_error" in message
    assert "Traceback (most recent call last)" in message and "KeyError: 'missing'" in message
