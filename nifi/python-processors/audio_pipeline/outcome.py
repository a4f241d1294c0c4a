"""How a processing step's outcome becomes FlowFile attributes (one place for every processor)."""

from __future__ import annotations

from collections.abc import Mapping

from audio_pipeline import attributes as attr
from audio_pipeline.errors import AudioPipelineError

MAX_DETAIL_CHARS = 2000  # attributes travel through the JVM and into provenance: keep them bounded


def failure_attributes(error: BaseException) -> dict[str, str]:
    """`audio.error` (machine code) and `audio.error.detail` (human text) for any exception.

    Unexpected exceptions get the code `internal_error`, so a processor never loses a file to a
    bare exception route without a reason.
    """
    if isinstance(error, AudioPipelineError):
        code, detail = error.code, error.detail
    else:
        code, detail = "internal_error", f"{type(error).__name__}: {error}"
    return {attr.ERROR: code, attr.ERROR_DETAIL: detail[:MAX_DETAIL_CHARS]}


def format_attributes(values: Mapping[str, object]) -> dict[str, str]:
    """NiFi attributes are strings: floats get a stable, compact form; None becomes ''."""
    formatted: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            formatted[name] = ""
        elif isinstance(value, float):
            formatted[name] = f"{value:.6g}"
        else:
            formatted[name] = str(value)
    return formatted
