"""The metric catalogue: every family the sink exposes, with its help text, labels and buckets.

Names, label values and bucket choices are documented in docs/metrics.md §1; the alert rules, the
dashboards and their tests check their metric names against `metric_names()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_pipeline.attributes import LOUDNESS_PROFILES as PROFILE_NAMES
from audio_pipeline.attributes import SOURCES, STATUSES

PREFIX = "audio_pipeline_"

OK, QUARANTINED = STATUSES
KNOWN_SOURCES = SOURCES  # values of audio.source set by the flow: folder, http, catalog
SHUTDOWN_KINDS = ("first", "clean", "unclean")  # how the previous owner of a worker slot ended
# Values of audio.loudness.profile that DecodeAudio sets (issue #16), and of audio.loudness.compliant.
LOUDNESS_PROFILES = PROFILE_NAMES
COMPLIANT_VALUES = ("true", "false")
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # stage label values: short lowercase words


@dataclass(frozen=True)
class CounterDef:
    name: str  # without the `_total` suffix, which the exposition adds
    help: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistogramDef:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]


FILES = CounterDef(
    PREFIX + "files",
    "Files that finished the pipeline, by source and status (ok or quarantined).",
    ("source", "status"),
)
CLASSIFICATIONS = CounterDef(PREFIX + "classifications", "Files with status ok, by predicted class.", ("class",))
QUALITY = CounterDef(PREFIX + "quality", "Files with status ok, by PESQ quality label.", ("label",))
FAILURES = CounterDef(PREFIX + "failures", "Quarantined files by reason (the audio.error code).", ("reason",))
FINGERPRINT_MATCHES = CounterDef(PREFIX + "fingerprint_matches", "Files with status ok that matched the catalog.")
DUPLICATES = CounterDef(PREFIX + "duplicates", "Files with status ok found to duplicate an earlier file.")
AUDIO_SECONDS = CounterDef(PREFIX + "audio_seconds", "Seconds of audio in files that finished.", ("source",))
LOUDNESS_FILES = CounterDef(
    PREFIX + "loudness_files",
    "Files with status ok checked against a loudness profile, by profile and compliant (true or false).",
    ("profile", "compliant"),
)
# Speech-to-text (issue #17): files with status ok that TranscribeSpeech transcribed (audio.transcript set).
TRANSCRIBED_SECONDS = CounterDef(
    PREFIX + "transcribed_audio_seconds",
    "Seconds of audio (audio.duration.seconds) in files with status ok that were transcribed.",
    ("source",),
)
TRANSCRIPTS = CounterDef(
    PREFIX + "transcripts",
    "Files with status ok that were transcribed, by the transcript's language (ISO 639-1).",
    ("language",),
)
# Issue #15: a failure that is not the audio's fault is retried by NiFi; each retry is counted when it
# arrives, by the stage and the reason code of the failed attempt before it.
RETRIES = CounterDef(
    PREFIX + "retries",
    "Retries NiFi made of a file after a failure that was not the audio's fault, by stage and the reason "
    "of the failed attempt (processor_unavailable: the stage's Python process did not answer).",
    ("stage", "reason"),
)
WORKER_STARTS = CounterDef(
    PREFIX + "worker_starts",
    "Metric worker slot claims: first use, or taken over after a clean end or one that lost counts (unclean).",
    ("previous_shutdown",),
)

PESQ_MOS = HistogramDef(
    PREFIX + "pesq_mos",
    "PESQ MOS-LQO of files with status ok, by PESQ mode.",
    ("mode",),
    (1.0, 1.5, 2.0, 2.5, 3.0, 3.25, 3.5, 3.75, 4.0, 4.25, 4.5),
)
CONFIDENCE = HistogramDef(
    PREFIX + "classification_confidence",
    "Confidence of the predicted class of files with status ok.",
    ("class",),
    (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99),
)
DURATION = HistogramDef(
    PREFIX + "audio_duration_seconds",
    "Duration of the audio in files that finished.",
    ("source",),
    (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
STAGE = HistogramDef(
    PREFIX + "stage_duration_seconds",
    "Processing time of one file in one pipeline stage.",
    ("stage",),
    (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LATENCY = HistogramDef(
    PREFIX + "end_to_end_latency_seconds",
    "Time from ingest (audio.ingested.at) to the result, by source and status.",
    ("source", "status"),
    (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
# Loudness targets: EBU R128 -23 LUFS (±1 LU live), ATSC A/85 -24 LUFS (±2), streaming -14 LUFS;
# the buckets are 1 LU apart from -26 to -20 and from -16 to -12, coarser outside; quieter than -40
# (silence at the measurement's floor included) all falls into the first bucket. With negative
# buckets prometheus_client exposes only `_bucket` series (no `_sum`/`_count`, as OpenMetrics asks):
# the count is the `le="+Inf"` bucket, and quantiles work as for any histogram.
LOUDNESS_INTEGRATED = HistogramDef(
    PREFIX + "loudness_integrated_lufs",
    "Integrated loudness (ITU-R BS.1770-4) of files with status ok, in LUFS.",
    ("source",),
    (-40, -35, -30, -28, -26, -25, -24, -23, -22, -21, -20, -18, -16, -15, -14, -13, -12, -10, -8, -5),
)
# True-peak limits: -1 dBTP (EBU R128, streaming), -2 dBTP (ATSC A/85); above 0 dBTP the file clips
# once converted.
TRUE_PEAK = HistogramDef(
    PREFIX + "loudness_true_peak_dbtp",
    "True peak (ITU-R BS.1770-4, 4x oversampled) of files with status ok, in dBTP.",
    ("source",),
    (-20, -15, -12, -9, -6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 2, 3),
)

# Conversational speech runs at about 120-160 words per minute, read or fast speech up to ~200;
# "speech" is the span the transcript's segments cover, pauses inside a segment included, so the
# buckets are dense from 90 to 190. A language without spaces between words counts few "words".
WORDS_PER_MINUTE = HistogramDef(
    PREFIX + "transcript_words_per_minute",
    "Words per minute of speech (audio.transcript.words over audio.transcript.speech.seconds) of "
    "transcribed files with status ok, by language.",
    ("language",),
    (30, 60, 90, 110, 130, 150, 170, 190, 220, 260, 320, 400),
)

COUNTERS: tuple[CounterDef, ...] = (
    FILES,
    CLASSIFICATIONS,
    QUALITY,
    FAILURES,
    FINGERPRINT_MATCHES,
    DUPLICATES,
    AUDIO_SECONDS,
    LOUDNESS_FILES,
    TRANSCRIBED_SECONDS,
    TRANSCRIPTS,
    RETRIES,
    WORKER_STARTS,
)
HISTOGRAMS: tuple[HistogramDef, ...] = (
    PESQ_MOS,
    CONFIDENCE,
    DURATION,
    STAGE,
    LATENCY,
    LOUDNESS_INTEGRATED,
    TRUE_PEAK,
    WORDS_PER_MINUTE,
)


def metric_names() -> list[str]:
    """Every exposed family name (counters with `_total`)."""
    return [c.name + "_total" for c in COUNTERS] + [h.name for h in HISTOGRAMS]
