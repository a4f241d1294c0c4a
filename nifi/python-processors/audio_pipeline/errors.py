"""Error types with machine-readable codes; a FlowFile that fails carries `code` in `audio.error`."""

from __future__ import annotations


class AudioPipelineError(Exception):
    """Base error: `code` is a stable machine-readable reason, the message is for humans."""

    code = "processing_error"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        if code is not None:
            self.code = code

    @property
    def detail(self) -> str:
        return str(self)


class EmptyInputError(AudioPipelineError):
    code = "empty_input"


class NotAudioError(AudioPipelineError):
    code = "not_audio"


class CorruptAudioError(AudioPipelineError):
    code = "corrupt_audio"


class InvalidHeaderError(AudioPipelineError):
    code = "invalid_header"


class NonFiniteSamplesError(AudioPipelineError):
    code = "non_finite_samples"


class TooLongError(AudioPipelineError):
    code = "too_long"


class InvalidReferenceError(AudioPipelineError):
    """The PESQ reference is missing, unreadable or named with a path."""

    code = "invalid_reference"


class PesqScoringError(AudioPipelineError):
    code = "pesq_error"


class ServingUnavailableError(AudioPipelineError):
    """TF Serving unreachable, overloaded or too slow after bounded retries: transient, route to retry.

    `status` is the last gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED).
    """

    code = "serving_unavailable"

    def __init__(self, detail: str, code: str | None = None, status: str = "UNAVAILABLE") -> None:
        super().__init__(detail, code)
        self.status = status


class ServingRequestError(AudioPipelineError):
    """TF Serving rejected the request (unknown model or version, bad input, message too large): not transient."""

    code = "serving_request_rejected"


class ServingResponseError(AudioPipelineError):
    """TF Serving answered, but the response is malformed (missing output, wrong shape or dtype, bad values)."""

    code = "serving_bad_response"
