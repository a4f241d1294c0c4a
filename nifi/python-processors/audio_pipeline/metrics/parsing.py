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
