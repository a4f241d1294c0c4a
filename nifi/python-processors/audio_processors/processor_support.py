"""What the processors of this package do alike: read durations and the database, fail, report
configuration errors.

NiFi reads each processor's documentation (descriptions, property descriptors, use cases) from
the processor's own source by AST, so property descriptors stay literal in each processor class;
only behaviour is shared here. NiFi also loads this file on its own, as a sibling module of the
processors, before them (see pipeline_path.py); it defines no processor.
"""

from __future__ import annotations

import traceback
from typing import Any

from audio_pipeline import attributes as attr
from audio_pipeline import database_credentials
from audio_pipeline.errors import AudioPipelineError
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, TimeUnit, ValidationResult

FAILURE = "failure"  # the relationship NiFi gives every FlowFileTransform


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


def failure(processor: Any, flowfile: Any, error: BaseException) -> FlowFileTransformResult:
    """The failure route, with the reason in `audio.error` and `audio.error.detail`.

    An error that is not an `AudioPipelineError` is a bug, not bad input: it is also logged at
    ERROR with its traceback through the processor's NiFi logger, so that it shows as a bulletin
    on the processor and in nifi-app.log, not only in the quarantine JSON.
    """
    attributes = failure_attributes(error)
    if not isinstance(error, AudioPipelineError):
        name = flowfile.getAttribute(attr.FILENAME)
        uuid = flowfile.getAttribute("uuid")
        trace = "".join(traceback.format_exception(error)).rstrip()
        processor.logger.error(
            f"{type(processor).__name__} failed on {name!r} (uuid {uuid}); it goes to failure with "
            f"{attr.ERROR}={attributes[attr.ERROR]}.\n{trace}"
        )
    return FlowFileTransformResult(FAILURE, attributes=attributes)
