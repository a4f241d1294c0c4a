"""Reason codes: every machine-readable reason a FlowFile can fail (or wait) with, in one place.

A FlowFile that fails carries its error's `code` in `audio.error` and the message in
`audio.error.detail` (`outcome.failure_attributes`); the results table, the metrics and the alerts
use the code, so codes never change spelling. Each code belongs to exactly one error class below,
whose docstring's first line is its meaning; `internal_error` and `processor_unavailable` alone are
constants, since nothing raises them. `REASON_CODES` (code -> meaning) is built from them: the list
of all reasons there are.

An error is either the audio's own fault (`about_the_audio`: quarantined at once, retrying cannot
help) or not (the environment failed: NiFi retries the file with backoff, docs/reliability.md).
"""

from __future__ import annotations


class AudioPipelineError(Exception):
    """A pipeline failure without a more specific reason (the base of every reason-coded error).

    `code` is the stable machine-readable reason, the message is for humans.
    """

    code = "processing_error"
    about_the_audio = True  # False: a fault of the environment, which NiFi retries before quarantining

    @property
    def detail(self) -> str:
        return str(self)


INTERNAL_ERROR = "internal_error"
# Nothing raises it: `outcome.failure_attributes` gives it to any exception that is not an
# AudioPipelineError, and the NiFi flow (UpdateAttribute on a processor's failure route) sets it
# when a processor raised before it could give a reason.
INTERNAL_ERROR_MEANING = "An unexpected exception (a bug or a fault of the environment), not a fault of the file."

PROCESSOR_UNAVAILABLE = "processor_unavailable"
# Nothing raises it either: the flow's quarantine gives it to a file that left a Python processor's
# failure route without a reason, which happens only when the processor's Python process did not
# answer (it had died or was being restarted), on every attempt NiFi made.
PROCESSOR_UNAVAILABLE_MEANING = (
    "The processor's Python process did not answer (it had died or was restarting) on every retry."
)


def is_about_the_audio(error: BaseException) -> bool:
    """True for a fault of the file itself; False for a bug or a failing environment, which is retried."""
    return isinstance(error, AudioPipelineError) and error.about_the_audio


# --- decoding ---------------------------------------------------------------------------------------


class EmptyInputError(AudioPipelineError):
    """The input has no bytes, or its container holds no audio samples."""

    code = "empty_input"


class NotAudioError(AudioPipelineError):
    """The input is not audio: no recognised audio signature, or a container without an audio stream."""

    code = "not_audio"


class CorruptAudioError(AudioPipelineError):
    """The audio is truncated or damaged, as its container structure or the decoder shows."""

    code = "corrupt_audio"


class InvalidHeaderError(AudioPipelineError):
    """The header declares absurd parameters (sample rate, channel count or sample size)."""

    code = "invalid_header"


class NonFiniteSamplesError(AudioPipelineError):
    """A sample is NaN or infinite."""

    code = "non_finite_samples"


class TooLongError(AudioPipelineError):
    """The audio lasts longer than the configured maximum duration."""

    code = "too_long"


class DecoderUnavailableError(AudioPipelineError):
    """A tool needed to decode this format (ffmpeg or ffprobe) is not installed."""

    code = "decoder_unavailable"
    about_the_audio = False


class DecodeTimeoutError(AudioPipelineError):
    """Decoding (ffprobe or ffmpeg) did not finish within its time limit."""

    code = "decode_timeout"


# --- speech quality ---------------------------------------------------------------------------------


class InvalidReferenceError(AudioPipelineError):
    """The PESQ reference is missing, unreadable, not usable audio, or named with a path."""

    code = "invalid_reference"


class PesqScoringError(AudioPipelineError):
    """PESQ could not score the file (no speech found, too short, digital silence, unusable rate or mode)."""

    code = "pesq_error"


# --- classification ---------------------------------------------------------------------------------


class ServingUnavailableError(AudioPipelineError):
    """TF Serving is unreachable, overloaded or too slow after bounded retries: transient, the file waits.

    `status` is the last gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED).
    """

    code = "serving_unavailable"
    about_the_audio = False

    def __init__(self, detail: str, status: str = "UNAVAILABLE") -> None:
        super().__init__(detail)
        self.status = status


class ServingRequestError(AudioPipelineError):
    """TF Serving rejected the request (unknown model or version, bad input): not transient."""

    code = "serving_request_rejected"


class ServingMessageTooLargeError(ServingRequestError):
    """A request or response exceeded the gRPC message-size limit (a rejected request of its own kind)."""

    code = "serving_message_too_large"


class ServingResponseError(AudioPipelineError):
    """TF Serving answered, but the response is malformed (missing output, wrong shape or dtype, bad values)."""

    code = "serving_bad_response"


# --- fingerprints and storage -----------------------------------------------------------------------


class ChromaprintError(AudioPipelineError):
    """Chromaprint could not fingerprint the samples (bad input, or libchromaprint/fpcalc missing or failing)."""

    code = "chromaprint_error"


class LandmarkError(AudioPipelineError):
    """Landmark hashes could not be computed from the samples (not mono, bad rate, NaN or infinity)."""

    code = "landmark_error"


class DatabaseError(AudioPipelineError):
    """The results/fingerprint database is unreachable, misconfigured, or refused a statement."""

    code = "database_error"
    about_the_audio = False


# --- transcription --------------------------------------------------------------------------------


class TooLongToTranscribeError(AudioPipelineError):
    """The file is longer than TranscribeSpeech's Maximum Duration, so it is not transcribed."""

    code = "too_long_to_transcribe"


ERROR_TYPES: tuple[type[AudioPipelineError], ...] = (
    AudioPipelineError,
    EmptyInputError,
    NotAudioError,
    CorruptAudioError,
    InvalidHeaderError,
    NonFiniteSamplesError,
    TooLongError,
    DecoderUnavailableError,
    DecodeTimeoutError,
    InvalidReferenceError,
    PesqScoringError,
    ServingUnavailableError,
    ServingRequestError,
    ServingMessageTooLargeError,
    ServingResponseError,
    ChromaprintError,
    LandmarkError,
    DatabaseError,
    TooLongToTranscribeError,
)


def _meaning(error_type: type[AudioPipelineError]) -> str:
    return (error_type.__doc__ or "").strip().splitlines()[0]


# Reasons NiFi retries (the flow's 'failure' relationships) before quarantining; all others are the
# audio's own faults ('invalid'), quarantined at once.
RETRIED_CODES = frozenset(
    {t.code for t in ERROR_TYPES if not t.about_the_audio} | {INTERNAL_ERROR, PROCESSOR_UNAVAILABLE}
)

REASON_CODES: dict[str, str] = {t.code: _meaning(t) for t in ERROR_TYPES} | {
    INTERNAL_ERROR: INTERNAL_ERROR_MEANING,
    PROCESSOR_UNAVAILABLE: PROCESSOR_UNAVAILABLE_MEANING,
}
