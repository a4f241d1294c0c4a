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
