"""Results rows built from FlowFile attributes (no database)."""

from __future__ import annotations

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.results_store import row_from_attributes
from support.finished_flowfiles import flowfile


def test_row_is_built_from_attributes() -> None:
    row = row_from_attributes(
        flowfile(
            **{
                attr.PESQ_MOS: "3.71",
                attr.QUALITY_LABEL: "good",
                attr.FINGERPRINT_MATCH: "track-1",
                attr.FINGERPRINT_SCORE: "0.42",
                attr.FINGERPRINT_OFFSET_SECONDS: "3.50",
                attr.DUPLICATE_OF: "",
                attr.CLASS: "speech",
                attr.CLASS_CONFIDENCE: "nan",
            }
        ),
        "ok",
    )
    assert row["sample_rate"] == 44100 and row["channels"] == 2  # the file's own, not the analysis form
    assert row["duration_seconds"] == 12.5
    assert row["pesq_mos"] == 3.71 and row["quality_label"] == "good"
    assert row["fingerprint_match"] == "track-1" and row["fingerprint_offset_seconds"] == 3.5
    assert row["duplicate_of"] is None  # empty attribute means none
    assert row["audio_class"] == "speech" and row["class_confidence"] is None  # not finite
    assert row["error"] is None
    quarantined = row_from_attributes(
        {"uuid": "u", attr.ERROR: "not_audio", attr.ERROR_DETAIL: "text file"}, "quarantined"
    )
    assert quarantined["error"] == "not_audio: text file"
    assert quarantined["sample_rate"] is None
    assert row_from_attributes({"uuid": "u", attr.SAMPLE_RATE: "8000"}, "ok")["sample_rate"] == 8000
    with pytest.raises(ValueError, match="status"):
        row_from_attributes(flowfile(), "done")
    with pytest.raises(ValueError, match="uuid"):
        row_from_attributes({attr.FILENAME: "x"}, "ok")


def test_recorded_row_tells_the_flowfile_its_status() -> None:
    from datetime import UTC, datetime

    from audio_pipeline.results_store import COLUMNS, Result

    values = dict.fromkeys(COLUMNS) | {"status": "quarantined", "created_at": datetime.now(UTC)}
    values["updated_at"] = values["created_at"]
    assert Result(**values).to_attributes() == {attr.STATUS: "quarantined"}


def test_loudness_columns_from_attributes() -> None:
    row = row_from_attributes(
        flowfile(
            **{
                attr.LOUDNESS_INTEGRATED_LUFS: "-23.4",
                attr.LOUDNESS_RANGE_LU: "6.1",
                attr.LOUDNESS_MOMENTARY_MAX_LUFS: "-15.0",
                attr.LOUDNESS_SHORT_TERM_MAX_LUFS: "-18.5",
                attr.LOUDNESS_TRUE_PEAK_DBTP: "-1.2",
                attr.LOUDNESS_PROFILE: "ebu-r128",
                attr.LOUDNESS_COMPLIANT: "true",
                attr.LOUDNESS_GAIN_DB: "0.4",
            }
        ),
        "ok",
    )
    assert row["loudness_integrated_lufs"] == -23.4 and row["loudness_range_lu"] == 6.1
    assert row["loudness_momentary_max_lufs"] == -15.0 and row["loudness_short_term_max_lufs"] == -18.5
    assert row["loudness_true_peak_dbtp"] == -1.2 and row["loudness_gain_db"] == 0.4
    assert row["loudness_profile"] == "ebu-r128" and row["loudness_compliant"] == 1
    assert row_from_attributes(flowfile(**{attr.LOUDNESS_COMPLIANT: " False "}), "ok")["loudness_compliant"] == 0
    # older FlowFiles and quarantined files: missing, empty or odd values are NULL
    for value in (None, "", "yes", "maybe"):
        extra = {} if value is None else {attr.LOUDNESS_COMPLIANT: value, attr.LOUDNESS_INTEGRATED_LUFS: value}
        row = row_from_attributes(flowfile(**extra), "quarantined")
        assert row["loudness_compliant"] is None and row["loudness_integrated_lufs"] is None, value
    assert (
        row_from_attributes(flowfile(**{attr.LOUDNESS_TRUE_PEAK_DBTP: "-inf"}), "ok")["loudness_true_peak_dbtp"] is None
    )


def test_transcript_columns_from_attributes() -> None:
    row = row_from_attributes(
        flowfile(
            **{
                attr.TRANSCRIPT: " Hello there. ",
                attr.TRANSCRIPT_LANGUAGE: "en",
                attr.TRANSCRIPT_LANGUAGE_PROBABILITY: "0.93",
                attr.TRANSCRIPT_WORDS: "2",
                attr.TRANSCRIPT_MODEL: "whisper-base",
                attr.TRANSCRIPT_MODEL_VERSION: "1.2.1",
            }
        ),
        "ok",
    )
    assert (row["transcript"], row["transcript_language"], row["transcript_language_probability"]) == (
        "Hello there.",
        "en",
        0.93,
    )
    assert (row["transcript_words"], row["transcript_model"], row["transcript_model_version"]) == (
        2,
        "whisper-base",
        "1.2.1",
    )
    silent = row_from_attributes(flowfile(**{attr.TRANSCRIPT: "", attr.TRANSCRIPT_WORDS: "0"}), "ok")
    assert (silent["transcript"], silent["transcript_words"]) == ("", 0)  # transcribed, without words
    untranscribed = row_from_attributes(flowfile(), "ok")
    assert untranscribed["transcript"] is None and untranscribed["transcript_words"] is None
    assert row_from_attributes(flowfile(**{attr.TRANSCRIPT_WORDS: "many"}), "ok")["transcript_words"] is None
