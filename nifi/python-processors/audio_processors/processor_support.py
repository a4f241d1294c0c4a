"""What the processors of this package do alike: read durations and the database, fail (at once
for the audio's own faults, through NiFi's retries for everything else), report configuration errors.

NiFi reads each processor's documentation (descriptions, property descriptors, use cases) from
the processor's own source by AST, so property descriptors stay literal in each processor class;
only behaviour is shared here. NiFi also loads this file on its own, as a sibling module of the
processors, before them (see pipeline_path.py); it defines no processor.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any

from audio_pipeline import attributes as attr
from audio_pipeline import database_credentials, flow_steps, metrics
from audio_pipeline.errors import AudioPipelineError, is_about_the_audio
from audio_pipeline.outcome import failure_attributes
from audio_pipeline.retries import RetryLedger, retries_so_far, retry_attribute
from nifiapi.flowfiletransform import FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, TimeUnit, ValidationResult
from nifiapi.relationship import Relationship

FAILURE = "failure"  # the relationship NiFi gives every FlowFileTransform; the flow retries it
INVALID_AUDIO = Relationship(
    flow_steps.INVALID,
    "The audio itself is at fault (audio.error says why: not audio, corrupt, too long...): retrying cannot "
    "help, quarantine it. Every other failure leaves through failure, which the flow has NiFi retry.",
)


def seconds(context: Any, descriptor: PropertyDescriptor) -> float:
    """A time-period property (NiFi's form: "10 secs", "500 millis", "2 mins") in seconds, to the ms."""
    return context.getProperty(descriptor).asTimePeriod(TimeUnit.MILLISECONDS) / 1000


def database_url(context: Any, url: PropertyDescriptor, password: PropertyDescriptor) -> str:
    """The URL to connect with: the URL property's, with the sensitive password property's value in it."""
    return database_credentials.with_password(
        context.getProperty(url).getValue(), context.getProperty(password).getValue() or ""
    )


def invalid(descriptor: PropertyDescriptor, value: object, explanation: str) -> ValidationResult:
    """A failed validation of one property, as NiFi shows it on the processor."""
    return ValidationResult(subject=descriptor.name, explanation=explanation, valid=False, input=str(value))


def must_be_positive(context: Any, descriptor: PropertyDescriptor) -> list[ValidationResult]:
    """[] when the time-period property is at least 1 ms, else its validation failure."""
    value = seconds(context, descriptor)
    if value > 0:
        return []
    return [invalid(descriptor, context.getProperty(descriptor).getValue(), "must be longer than 0 ms")]


def mark_scheduled(processor: Any) -> None:
    """The last statement of every onScheduled: the processor has read its properties and opened what it uses."""
    processor._scheduled = True


def ensure_scheduled(processor: Any, context: Any) -> None:
    """The first statement of every transform: schedule the processor if NiFi did not.

    When a processor's Python process dies, NiFi 2.3.0 starts a new one and re-creates the
    processor in it, but does not call onScheduled on the new object while the processor stays
    running: without this, each of its files would fail on the properties it never read.
    """
    if getattr(processor, "_scheduled", False):
        return
    with _SCHEDULE_LOCK:  # concurrent tasks share the process: schedule once
        if not getattr(processor, "_scheduled", False):
            processor.logger.info(f"{type(processor).__name__} was re-created without being scheduled: scheduling it")
            processor.onScheduled(context)


def begin_attempt(processor: Any, context: Any, flowfile: Any, stage: str) -> None:
    """The first statement of every analysis step's transform: scheduled, and a retry counted."""
    ensure_scheduled(processor, context)
    count_retry(processor, flowfile, stage)


def count_retry(processor: Any, flowfile: Any, stage: str) -> None:
    """At the start of every attempt: if NiFi is retrying this file here, count the retry by stage and
    the reason of the failed attempt before it (one attribute read when it is not a retry)."""
    if _retries(processor, flowfile):
        metrics.count_retry(stage, _ledger(processor).retried(flowfile.getAttribute("uuid")))


def failure(processor: Any, flowfile: Any, error: BaseException) -> FlowFileTransformResult:
    """Route a failed file, with the reason in `audio.error` and `audio.error.detail`.

    A fault of the audio (`errors.is_about_the_audio`) goes to `invalid`, to be quarantined at once.
    Anything else (a bug, the database, a missing tool) goes to `failure`, which NiFi retries with
    backoff; the reason is kept for the retry metric, and the attempt number is in `audio.retries`
    and the detail should this attempt be the last. It is also logged through the processor's NiFi
    logger (an error with its traceback for an unexpected exception, else a warning), so that it
    shows as a bulletin on the processor and in nifi-app.log, not only in the quarantine JSON.
    """
    attributes = failure_attributes(error)
    if is_about_the_audio(error):
        return FlowFileTransformResult(flow_steps.INVALID, attributes=attributes)
    retries = _retries(processor, flowfile)
    uuid = flowfile.getAttribute("uuid")
    _ledger(processor).failed(uuid, attributes[attr.ERROR])
    attributes[attr.RETRIES] = str(retries)
    detail = attributes[attr.ERROR_DETAIL]
    attributes[attr.ERROR_DETAIL] = f"{detail} (not a fault of the audio; after {retries} retries)"
    name = flowfile.getAttribute(attr.FILENAME)
    message = (
        f"{type(processor).__name__} failed on {name!r} (uuid {uuid}) with {attr.ERROR}={attributes[attr.ERROR]} "
        f"after {retries} retries; NiFi retries it while its retries last, then it is quarantined."
    )
    if isinstance(error, AudioPipelineError):
        processor.logger.warn(f"{message} {error.detail}")
    else:
        trace = "".join(traceback.format_exception(error)).rstrip()
        processor.logger.error(f"{message}\n{trace}")
    return FlowFileTransformResult(FAILURE, attributes=attributes)


def _retries(processor: Any, flowfile: Any) -> int:
    """How many times NiFi has retried `flowfile` at `processor` so far."""
    identifier = getattr(processor, "identifier", None)
    if not identifier:  # set by NiFi when it initializes the processor
        return 0
    return retries_so_far(flowfile.getAttribute(retry_attribute(identifier)))


def _ledger(processor: Any) -> RetryLedger:
    with _LEDGER_LOCK:  # concurrent tasks of one processor share its process
        ledger = getattr(processor, "_retry_ledger", None)
        if ledger is None:
            ledger = processor._retry_ledger = RetryLedger()
        return ledger


_LEDGER_LOCK = threading.Lock()
_SCHEDULE_LOCK = threading.Lock()
