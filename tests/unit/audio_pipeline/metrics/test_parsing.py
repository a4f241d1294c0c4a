"""Attributes of a finished file -> label values and the counts it adds (no sink, no I/O)."""

from __future__ import annotations

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.metrics import parsing
from audio_pipeline.metrics.aggregates import Aggregates
from prometheus_client.parser import text_string_to_metric_families
from support.metrics_samples import FINISHED, Samples, exposition, parse_samples


def recorded(*files: tuple[dict[str, str], str], now: float = 1_000_000.0) -> Samples:
    aggregates = Aggregates()
    for attributes, status in files:
        parsing.record_file(aggregates, attributes, status, now)
    return parse_samples(exposition(aggregates))


def test_record_ok_maps_attributes_to_metrics() -> None:
    now = 1_000_000.0
    got = recorded(({**FINISHED, attr.INGESTED_AT: str(int((now - 2.5) * 1000))}, "ok"), now=now)
    assert got[("audio_pipeline_files_total", (("source", "folder"), ("status", "ok")))] == 1
    assert got[("audio_pipeline_classifications_total", (("class", "speech"),))] == 1
    assert got[("audio_pipeline_quality_total", (("label", "good"),))] == 1
    assert got[("audio_pipeline_fingerprint_matches_total", ())] == 1
    assert got[("audio_pipeline_duplicates_total", ())] == 0
    assert got[("audio_pipeline_audio_seconds_total", (("source", "folder"),))] == 3.5
    assert got[("audio_pipeline_pesq_mos_count", (("mode", "wb"),))] == 1
    assert got[("audio_pipeline_pesq_mos_bucket", (("le", "3.75"), ("mode", "wb")))] == 0
    assert got[("audio_pipeline_pesq_mos_bucket", (("le", "4.0"), ("mode", "wb")))] == 1
    assert got[("audio_pipeline_classification_confidence_sum", (("class", "speech"),))] == pytest.approx(0.87)
    latency = ("audio_pipeline_end_to_end_latency_seconds_sum", (("source", "folder"), ("status", "ok")))
    assert got[latency] == pytest.approx(2.5)
    assert not any(name.startswith("audio_pipeline_failures") and value for (name, _), value in got.items())


def test_record_quarantined_counts_reason_only() -> None:
    got = recorded(
        ({attr.SOURCE: "http", attr.ERROR: "not_audio", attr.CLASS: "speech"}, "quarantined"),
        ({attr.SOURCE: "http"}, "quarantined"),
    )
    assert got[("audio_pipeline_failures_total", (("reason", "not_audio"),))] == 1
    assert got[("audio_pipeline_failures_total", (("reason", "unknown"),))] == 1
    assert got[("audio_pipeline_files_total", (("source", "http"), ("status", "quarantined")))] == 2
    assert ("audio_pipeline_classifications_total", (("class", "speech"),)) not in got


def test_no_per_file_values_in_labels() -> None:
    aggregates = Aggregates()
    parsing.record_file(aggregates, {**FINISHED, attr.DUPLICATE_OF: "abc123"}, "ok", 1_000_000.0)
    text = exposition(aggregates).decode()
    for value in (FINISHED[attr.FILENAME], FINISHED[attr.SHA256], "catalog-17", "abc123"):
        assert value not in text
    label_names = {name for family in text_string_to_metric_families(text) for s in family.samples for name in s.labels}
    assert label_names <= {
        "source",
        "status",
        "class",
        "label",
        "reason",
        "mode",
        "stage",
        "le",
        "previous_shutdown",
        "profile",
        "compliant",
        "language",
    }


def test_bad_and_missing_values_are_ignored() -> None:
    got = recorded(
        (
            {
                attr.DURATION_SECONDS: "nan",
                attr.PESQ_MOS: "x",
                attr.INGESTED_AT: "soon",
                attr.CLASS: "music",
                attr.CLASS_CONFIDENCE: "inf",
                attr.FINGERPRINT_MATCH: "false",
            },
            "ok",
        )
    )
    assert got[("audio_pipeline_files_total", (("source", "unknown"), ("status", "ok")))] == 1
    assert got[("audio_pipeline_classifications_total", (("class", "music"),))] == 1
    assert got[("audio_pipeline_fingerprint_matches_total", ())] == 0
    assert not [key for key in got if key[0].startswith(("audio_pipeline_pesq_mos", "audio_pipeline_audio_dur"))]
    assert not [key for key in got if "confidence" in key[0] or "latency" in key[0]]


def test_future_ingest_time_is_not_observed() -> None:
    now = 1_000_000.0
    got = recorded(({attr.INGESTED_AT: str(int(now * 1000) + 60_000)}, "ok"), now=now)
    assert not [key for key in got if "latency" in key[0]]


def test_label_values_are_bounded() -> None:
    assert parsing.label_value(None) == parsing.label_value("  ") == parsing.UNKNOWN
    assert parsing.label_value(" speech ") == "speech"
    assert len(parsing.label_value("x" * 500)) == parsing.MAX_LABEL_VALUE_LENGTH
    got = recorded(({attr.SOURCE: "folder", attr.CLASS: "x" * 500}, "ok"))
    (label,) = [dict(labels)["class"] for name, labels in got if name == "audio_pipeline_classifications_total"]
    assert label == "x" * parsing.MAX_LABEL_VALUE_LENGTH


def test_numbers_and_flags() -> None:
    assert parsing.finite_number("2.5") == 2.5
    assert parsing.finite_number(None) is parsing.finite_number("nan") is parsing.finite_number("-inf") is None
    assert parsing.is_set("catalog-1") and parsing.is_set("yes")
    assert not any(parsing.is_set(v) for v in (None, "", " 0 ", "False", "no", "none", "NULL"))


LOUDNESS = {
    attr.LOUDNESS_INTEGRATED_LUFS: "-23.4",
    attr.LOUDNESS_RANGE_LU: "7.0",
    attr.LOUDNESS_TRUE_PEAK_DBTP: "-1.2",
    attr.LOUDNESS_PROFILE: "ebu-r128",
    attr.LOUDNESS_COMPLIANT: "true",
    attr.LOUDNESS_GAIN_DB: "0.4",
}


def loudness_files(got: Samples, profile: str, compliant: str) -> float:
    return got[("audio_pipeline_loudness_files_total", (("compliant", compliant), ("profile", profile)))]


def test_loudness_histograms_and_compliance() -> None:
    got = recorded(
        ({**FINISHED, **LOUDNESS}, "ok"),
        ({**FINISHED, **LOUDNESS, attr.SOURCE: "http", attr.LOUDNESS_INTEGRATED_LUFS: "-9.0",
          attr.LOUDNESS_TRUE_PEAK_DBTP: "1.7", attr.LOUDNESS_COMPLIANT: "FALSE"}, "ok"),
        ({**FINISHED, **LOUDNESS, attr.LOUDNESS_PROFILE: "streaming-14", attr.LOUDNESS_COMPLIANT: "false"}, "ok"),
    )  # fmt: skip
    folder, http = (("source", "folder"),), (("source", "http"),)
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "+Inf"), *folder))] == 2
    # prometheus_client exposes no _sum (nor _count) for negative buckets: a sum that can fall is no counter
    assert not [
        key for key in got if key[0].startswith("audio_pipeline_loudness") and key[0].endswith(("_sum", "_count"))
    ]
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "-24.0"), *folder))] == 0
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "-23.0"), *folder))] == 2
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "-10.0"), *http))] == 0
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "-8.0"), *http))] == 1
    assert got[("audio_pipeline_loudness_true_peak_dbtp_bucket", (("le", "-1.5"), *folder))] == 0
    assert got[("audio_pipeline_loudness_true_peak_dbtp_bucket", (("le", "-1.0"), *folder))] == 2
    assert got[("audio_pipeline_loudness_true_peak_dbtp_bucket", (("le", "1.0"), *http))] == 0
    assert got[("audio_pipeline_loudness_true_peak_dbtp_bucket", (("le", "2.0"), *http))] == 1
    assert loudness_files(got, "ebu-r128", "true") == 1 and loudness_files(got, "ebu-r128", "false") == 1
    assert loudness_files(got, "streaming-14", "false") == 1 and loudness_files(got, "streaming-14", "true") == 0
    assert loudness_files(got, "atsc-a85", "true") == loudness_files(got, "custom", "false") == 0  # from the start


def test_loudness_of_older_quarantined_and_unmeasured_files() -> None:
    got = recorded(
        (FINISHED, "ok"),  # before loudness was measured
        ({**FINISHED, **LOUDNESS}, "quarantined"),  # like the other quality metrics: ok files only
        ({**FINISHED, attr.LOUDNESS_INTEGRATED_LUFS: "", attr.LOUDNESS_COMPLIANT: "", attr.LOUDNESS_PROFILE: ""}, "ok"),
        ({**FINISHED, attr.LOUDNESS_TRUE_PEAK_DBTP: "-inf", attr.LOUDNESS_COMPLIANT: "maybe"}, "ok"),
        ({**FINISHED, attr.LOUDNESS_INTEGRATED_LUFS: "-70", attr.LOUDNESS_COMPLIANT: "false"}, "ok"),  # floor
    )
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "+Inf"), ("source", "folder")))] == 1
    assert got[("audio_pipeline_loudness_integrated_lufs_bucket", (("le", "-40.0"), ("source", "folder")))] == 1
    assert not [key for key in got if key[0].startswith("audio_pipeline_loudness_true_peak")]
    assert loudness_files(got, "unknown", "false") == 1 and loudness_files(got, "unknown", "true") == 0
    counted = [v for (name, _), v in got.items() if name == "audio_pipeline_loudness_files_total"]
    assert sum(counted) == 1


def test_compliant_values() -> None:
    assert parsing.compliant_value(" True ") == "true" and parsing.compliant_value("false") == "false"
    assert not any(parsing.compliant_value(v) for v in (None, "", "yes", "1", "compliant"))


TRANSCRIBED = {
    attr.TRANSCRIPT: "the words of the file",
    attr.TRANSCRIPT_LANGUAGE: "en",
    attr.TRANSCRIPT_WORDS: "5",
    attr.TRANSCRIPT_SPEECH_SECONDS: "2.0",
    attr.TRANSCRIPT_SEGMENTS: "[]",
}


def test_transcripts_count_seconds_language_and_words_per_minute() -> None:
    got = recorded(
        ({**FINISHED, **TRANSCRIBED}, "ok"),  # 5 words in 2 s: 150 per minute
        ({**FINISHED, **TRANSCRIBED, attr.SOURCE: "http", attr.TRANSCRIPT_LANGUAGE: "de",
          attr.TRANSCRIPT_WORDS: "9", attr.TRANSCRIPT_SPEECH_SECONDS: "3.0"}, "ok"),  # 180 per minute
        ({**FINISHED, **TRANSCRIBED, attr.TRANSCRIPT: "", attr.TRANSCRIPT_WORDS: "0",
          attr.TRANSCRIPT_SPEECH_SECONDS: "0"}, "ok"),  # transcribed, no words: no rate
        (FINISHED, "ok"),  # not transcribed
        ({**FINISHED, **TRANSCRIBED}, "quarantined"),  # like the other quality metrics: ok files only
    )  # fmt: skip
    assert got[("audio_pipeline_transcribed_audio_seconds_total", (("source", "folder"),))] == 7.0  # 2 x 3.5 s
    assert got[("audio_pipeline_transcribed_audio_seconds_total", (("source", "http"),))] == 3.5
    assert got[("audio_pipeline_transcripts_total", (("language", "en"),))] == 2
    assert got[("audio_pipeline_transcripts_total", (("language", "de"),))] == 1
    en, de = (("language", "en"),), (("language", "de"),)
    assert got[("audio_pipeline_transcript_words_per_minute_count", en)] == 1
    assert got[("audio_pipeline_transcript_words_per_minute_sum", en)] == pytest.approx(150.0)
    assert got[("audio_pipeline_transcript_words_per_minute_bucket", (("language", "en"), ("le", "130.0")))] == 0
    assert got[("audio_pipeline_transcript_words_per_minute_bucket", (("language", "en"), ("le", "150.0")))] == 1
    assert got[("audio_pipeline_transcript_words_per_minute_sum", de)] == pytest.approx(180.0)


def test_odd_transcript_values_are_skipped() -> None:
    got = recorded(
        (
            {**FINISHED, attr.TRANSCRIPT: "x", attr.TRANSCRIPT_WORDS: "many", attr.TRANSCRIPT_SPEECH_SECONDS: "nan"},
            "ok",
        ),
        ({**FINISHED, attr.TRANSCRIPT: "x", attr.TRANSCRIPT_WORDS: "3", attr.TRANSCRIPT_SPEECH_SECONDS: "-1"}, "ok"),
    )
    assert got[("audio_pipeline_transcripts_total", (("language", "unknown"),))] == 2
    assert not [key for key in got if key[0].startswith("audio_pipeline_transcript_words_per_minute")]
