"""What every processor does alike: durations in seconds, the database URL with its password, failures."""

from __future__ import annotations

from audio_pipeline.errors import CorruptAudioError, DatabaseError
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


def _processor_with_logger(identifier: str | None = None) -> DecodeAudio:
    processor = DecodeAudio()
    processor.logger = FakeLogger()
    processor.identifier = identifier  # NiFi sets it when it initializes the processor
    return processor


def test_a_fault_of_the_audio_goes_to_invalid_with_its_reason_and_is_not_logged() -> None:
    processor = _processor_with_logger()
    result = processor_support.failure(processor, FakeFlowFile(), CorruptAudioError("truncated frame"))
    assert result.relationship == "invalid"
    assert result.attributes == {"audio.error": "corrupt_audio", "audio.error.detail": "truncated frame"}
    assert processor.logger.errors == [] and processor.logger.warnings == []


def test_a_bug_goes_to_failure_to_be_retried_and_is_logged_as_an_error_with_its_traceback() -> None:
    processor = _processor_with_logger()
    try:
        {}["missing"]
    except KeyError as error:
        result = processor_support.failure(processor, FakeFlowFile(attributes={"filename": "a.wav"}), error)
    assert result.relationship == "failure"
    assert result.attributes["audio.error"] == "internal_error"
    assert result.attributes["audio.error.detail"].startswith("KeyError: 'missing' (not a fault of the audio")
    assert result.attributes["audio.retries"] == "0"
    [message] = processor.logger.errors
    assert "DecodeAudio failed on 'a.wav'" in message and "audio.error=internal_error" in message
    assert "Traceback (most recent call last)" in message and "KeyError: 'missing'" in message


def test_a_database_outage_goes_to_failure_with_the_retries_so_far_and_a_warning() -> None:
    processor = _processor_with_logger("proc-1")
    flowfile = FakeFlowFile(attributes={"filename": "a.wav", "uuid": "ff-1", "retryCount.proc-1": "7"})
    result = processor_support.failure(processor, flowfile, DatabaseError("connection refused"))
    assert result.relationship == "failure"
    assert result.attributes["audio.error"] == "database_error"
    assert result.attributes["audio.retries"] == "7"
    assert result.attributes["audio.error.detail"] == "connection refused (not a fault of the audio; after 7 retries)"
    [warning] = processor.logger.warnings
    assert "audio.error=database_error" in warning and "connection refused" in warning
    assert processor.logger.errors == []


def test_retries_are_counted_by_stage_and_the_reason_of_the_attempt_before(monkeypatch) -> None:
    counted: list[tuple[str, str]] = []
    monkeypatch.setattr(processor_support.metrics, "count_retry", lambda stage, reason: counted.append((stage, reason)))
    processor = _processor_with_logger("proc-1")
    first = FakeFlowFile(attributes={"uuid": "ff-1"})
    processor_support.count_retry(processor, first, "decode")  # a first attempt is no retry
    processor_support.failure(processor, first, DatabaseError("down"))
    retried = FakeFlowFile(attributes={"uuid": "ff-1", "retryCount.proc-1": "1"})
    processor_support.count_retry(processor, retried, "decode")
    # the attempt before never reached this process: it had died or was restarting
    unseen = FakeFlowFile(attributes={"uuid": "ff-2", "retryCount.proc-1": "1"})
    processor_support.count_retry(processor, unseen, "decode")
    assert counted == [("decode", "database_error"), ("decode", "processor_unavailable")]


def test_the_processors_read_one_attribute_for_retries_only_when_nifi_gave_them_an_identity() -> None:
    processor = _processor_with_logger()  # not initialized by NiFi: no retry counter to read
    flowfile = FakeFlowFile(attributes={"retryCount.None": "3"})
    processor_support.count_retry(processor, flowfile, "decode")
    assert processor_support.failure(processor, flowfile, KeyError("x")).attributes["audio.retries"] == "0"


def test_a_processor_nifi_recreated_without_scheduling_schedules_itself_once() -> None:
    """After its Python process died, NiFi 2.3.0 re-creates the processor without calling onScheduled."""
    processor = _processor_with_logger()
    calls: list[object] = []

    def on_scheduled(context: object) -> None:
        calls.append(context)
        processor_support.mark_scheduled(processor)

    processor.onScheduled = on_scheduled
    for _ in range(3):
        processor_support.ensure_scheduled(processor, "context")
    assert calls == ["context"]
