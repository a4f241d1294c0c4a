"""The work of each NiFi processor as one plain function: content and attributes in and out.

Processors stay thin (read properties, call a step, route); the steps are what the unit tests and
the plain-Python benchmark baseline call, so NiFi and the baseline run exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio_pipeline import decoding, levels


@dataclass(frozen=True)
class StepResult:
    attributes: dict[str, str]
    content: bytes | None = None  # None: the FlowFile content stays as it is


def decode(data: bytes, *, target_rate: int, max_duration_s: float) -> StepResult:
    """Received bytes -> analysis-form WAV content plus format and level attributes."""
    decoded = decoding.decode(data, target_rate=target_rate, max_duration_s=max_duration_s)
    measured = levels.measure(decoded.samples, decoded.sample_rate, clipping_ratio=decoded.clipping_ratio)
    content = decoding.to_wav_bytes(decoded.samples, decoded.sample_rate)
    return StepResult(attributes=decoded.to_attributes() | measured.to_attributes(), content=content)
