"""The work of each NiFi processor as one plain function: content and attributes in and out.

Processors stay thin (read properties, call a step, route); the steps are what the unit tests and
the plain-Python benchmark baseline call, so NiFi and the baseline run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline import attributes as attr
from audio_pipeline import decoding, levels, speech_quality
from audio_pipeline.errors import InvalidReferenceError

SUCCESS = "success"
NO_REFERENCE = "no reference"


@dataclass(frozen=True)
class StepResult:
    attributes: dict[str, str]
    content: bytes | None = None  # None: the FlowFile content stays as it is
    route: str = SUCCESS


def decode(data: bytes, *, target_rate: int, max_duration_s: float) -> StepResult:
    """Received bytes -> analysis-form WAV content plus format and level attributes."""
    decoded = decoding.decode(data, target_rate=target_rate, max_duration_s=max_duration_s)
    measured = levels.measure(decoded.samples, decoded.sample_rate, clipping_ratio=decoded.clipping_ratio)
    content = decoding.to_wav_bytes(decoded.samples, decoded.sample_rate)
    return StepResult(attributes=decoded.to_attributes() | measured.to_attributes(), content=content)


def score_speech_quality(
    content: bytes,
    attributes: Mapping[str, str],
    *,
    references_dir: Path,
    mode: str | None = None,
    thresholds: speech_quality.QualityThresholds = speech_quality.DEFAULT_THRESHOLDS,
) -> StepResult:
    """PESQ of the analysis-form content against its reference, or the `no reference` route.

    The reference is the one named by `audio.reference` (refused if path-like), else the file in
    `references_dir` with the input's own name. The mode follows the original rate (`nb` below
    16 kHz), so 8 kHz input is scored narrow-band at 8 kHz as the pesq package would score it.
    """
    explicit = attributes.get(attr.REFERENCE) or None
    try:
        path = speech_quality.resolve_reference(explicit, references_dir, input_filename=attributes.get(attr.FILENAME))
    except InvalidReferenceError:
        if explicit is not None:
            raise
        path = None  # the input's own name is not a usable file name: there is no default reference
    if path is None:
        return StepResult(attributes={}, route=NO_REFERENCE)
    reference, reference_rate = speech_quality.load_reference(path)
    degraded, rate = decoding.read_analysis_wav(content)
    original_rate = int(attributes.get(attr.ORIGINAL_SAMPLE_RATE) or rate)
    chosen = mode or speech_quality.choose_mode(original_rate, reference_rate)
    result = speech_quality.score(degraded, rate, reference, reference_rate, mode=chosen)
    return StepResult(attributes=speech_quality.result_attributes(result, path.name, thresholds))
