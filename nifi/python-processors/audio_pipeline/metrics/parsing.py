"""FlowFile attributes → bounded label values, finite numbers, and the counts of one finished file.

Attribute values come from users and earlier steps: missing or unparsable ones are skipped, never
raised, and no label carries a per-file value (names, hashes, ids), see docs/metrics.md §1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from audio_pipeline import attributes as attr
from audio_pipeline.metrics import catalogue as m
from audio_pipeline.metrics.aggregates import Aggregates

MAX_LABEL_VALUE_LENGTH = 64
UNKNOWN = "unknown"
_FALSE_WORDS = frozenset({"", "0", "false", "no", "none", "null"})


def label_value(value: str | None) -> str:
    """A bounded, printable label value ("unknown" when missing)."""
    if value is None:
        return UNKNOWN
    value = value.strip()
    if not value:
        return UNKNOWN
    return value[:MAX_LABEL_VALUE_LENGTH]


def finite_number(value: str | None) -> float | None:
    """A finite float from an attribute, or None."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def is_set(value: str | None) -> bool:
    """True for a present value that is not a false word (empty, 0, false, no, none, null)."""
    return value is not None and value.strip().lower() not in _FALSE_WORDS


def compliant_value(value: str | None) -> str | None:
    """ "true" or "false" (any case, trimmed) as the `compliant` label value; None for anything else."""
    word = (value or "").strip().lower()
    return word if word in m.COMPLIANT_VALUES else None


def _record_loudness(aggregates: Aggregates, attributes: Mapping[str, str], source: str) -> None:
    integrated = finite_number(attributes.get(attr.LOUDNESS_INTEGRATED_LUFS))
    if integrated is not None:
        aggregates.observe(m.LOUDNESS_INTEGRATED, (source,), integrated)
    true_peak = finite_number(attributes.get(attr.LOUDNESS_TRUE_PEAK_DBTP))
    if true_peak is not None:
        aggregates.observe(m.TRUE_PEAK, (source,), true_peak)
    compliant = compliant_value(attributes.get(attr.LOUDNESS_COMPLIANT))
    if compliant is None:
        return  # not measured (older FlowFiles, too short to measure): counted in neither
    profile = label_value(attributes.get(attr.LOUDNESS_PROFILE))
    # Both series of the profile exist (at 0 if need be; LOUDNESS_PROFILES have them from the start),
    # so its compliance ratio has a numerator whether every file passes or none does.
    for value in m.COMPLIANT_VALUES:
        aggregates.inc(m.LOUDNESS_FILES, (profile, value), 1.0 if value == compliant else 0.0)


def _record_transcript(aggregates: Aggregates, attributes: Mapping[str, str], source: str) -> None:
    if attributes.get(attr.TRANSCRIPT) is None:
        return  # not transcribed (not speech, or from before transcription)
    language = label_value(attributes.get(attr.TRANSCRIPT_LANGUAGE))
    aggregates.inc(m.TRANSCRIPTS, (language,))
    duration = finite_number(attributes.get(attr.DURATION_SECONDS))
    if duration is not None and duration >= 0:
        aggregates.inc(m.TRANSCRIBED_SECONDS, (source,), duration)
    words = finite_number(attributes.get(attr.TRANSCRIPT_WORDS))
    speech = finite_number(attributes.get(attr.TRANSCRIPT_SPEECH_SECONDS))
    if words is not None and words >= 0 and speech is not None and speech > 0:  # no segments: no rate
        aggregates.observe(m.WORDS_PER_MINUTE, (language,), words * 60.0 / speech)


def record_file(aggregates: Aggregates, attributes: Mapping[str, str], status: str, now: float) -> None:
    """Count one file that left the pipeline with `status` at `now` (epoch seconds)."""
    source = label_value(attributes.get(attr.SOURCE))
    aggregates.inc(m.FILES, (source, status))

    duration = finite_number(attributes.get(attr.DURATION_SECONDS))
    if duration is not None and duration >= 0:
        aggregates.inc(m.AUDIO_SECONDS, (source,), duration)
        aggregates.observe(m.DURATION, (source,), duration)

    ingested_ms = finite_number(attributes.get(attr.INGESTED_AT))
    if ingested_ms is not None:
        latency = now - ingested_ms / 1000.0
        if latency >= 0:
            aggregates.observe(m.LATENCY, (source, status), latency)

    if status == m.QUARANTINED:
        aggregates.inc(m.FAILURES, (label_value(attributes.get(attr.ERROR)),))
        return

    predicted = attributes.get(attr.CLASS)
    if predicted:
        aggregates.inc(m.CLASSIFICATIONS, (label_value(predicted),))
        confidence = finite_number(attributes.get(attr.CLASS_CONFIDENCE))
        if confidence is not None:
            aggregates.observe(m.CONFIDENCE, (label_value(predicted),), confidence)
    quality = attributes.get(attr.QUALITY_LABEL)
    if quality:
        aggregates.inc(m.QUALITY, (label_value(quality),))
    mos = finite_number(attributes.get(attr.PESQ_MOS))
    if mos is not None:
        aggregates.observe(m.PESQ_MOS, (label_value(attributes.get(attr.PESQ_MODE)),), mos)
    if is_set(attributes.get(attr.FINGERPRINT_MATCH)):
        aggregates.inc(m.FINGERPRINT_MATCHES)
    if is_set(attributes.get(attr.DUPLICATE_OF)):
        aggregates.inc(m.DUPLICATES)
    _record_loudness(aggregates, attributes, source)
    _record_transcript(aggregates, attributes, source)
