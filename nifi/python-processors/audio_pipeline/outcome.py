"""How a failed step becomes FlowFile attributes, the same way in every processor.

A step that succeeds returns a value object whose `to_attributes()` gives its attributes; a step that
fails raises, and `failure_attributes` turns whatever was raised into the reason code and detail.
"""

from __future__ import annotations

from audio_pipeline import attributes as attr
from audio_pipeline.errors import INTERNAL_ERROR, AudioPipelineError

MAX_DETAIL_CHARS = 2000  # attributes travel through the JVM and into provenance: keep them bounded


def failure_attributes(error: BaseException) -> dict[str, str]:
    """`audio.error` (machine code) and `audio.error.detail` (human text) for any exception.

    Unexpected exceptions get the code `internal_error`, so a processor never loses a file to a
    bare exception route without a reason.
    """
    if isinstance(error, AudioPipelineError):
        code, detail = error.code, error.detail
    else:
        code, detail = INTERNAL_ERROR, f"{type(error).__name__}: {error}"
    return {attr.ERROR: code, attr.ERROR_DETAIL: detail[:MAX_DETAIL_CHARS]}
