"""The retry ledger: the reason of a transient failure waits for NiFi's retry of the same file."""

from __future__ import annotations

from audio_pipeline.errors import PROCESSOR_UNAVAILABLE
from audio_pipeline.retries import RetryLedger, retries_so_far, retry_attribute


def test_nifi_names_the_counter_after_the_processor() -> None:
    assert retry_attribute("0b1c") == "retryCount.0b1c"


def test_the_counter_reads_as_nifi_reads_it() -> None:
    assert [retries_so_far(v) for v in (None, "0", "3", "x", "-2")] == [0, 0, 3, 0, 0]


def test_a_retry_gets_the_reason_of_its_failure_once() -> None:
    ledger = RetryLedger()
    ledger.failed("a", "database_error")
    assert ledger.retried("a") == "database_error"
    assert ledger.retried("a") == PROCESSOR_UNAVAILABLE  # taken: a second retry was not seen failing


def test_the_ledger_forgets_the_oldest_beyond_its_capacity() -> None:
    ledger = RetryLedger(capacity=2)
    for uuid in ("a", "b", "c"):
        ledger.failed(uuid, "internal_error")
    assert ledger.retried("a") == PROCESSOR_UNAVAILABLE
    assert (ledger.retried("b"), ledger.retried("c")) == ("internal_error", "internal_error")
