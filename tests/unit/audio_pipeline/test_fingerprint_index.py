"""The fingerprint step's value objects as attributes (the index itself is tested against real databases)."""

from __future__ import annotations

from audio_pipeline import attributes as attr
from audio_pipeline.fingerprint_index import CatalogRegistration, FingerprintOutcome, Match


def test_outcome_with_a_match_and_a_duplicate() -> None:
    match = Match(track_id="track-7", score=40, offset_seconds=12.345, confidence=0.81234, runner_up=3)
    assert FingerprintOutcome("AQAA", "earlier--uuid", match).to_attributes() == {
        attr.FINGERPRINT_CHROMAPRINT: "AQAA",
        attr.DUPLICATE_OF: "earlier--uuid",
        attr.FINGERPRINT_MATCH: "track-7",
        attr.FINGERPRINT_SCORE: "0.812",
        attr.FINGERPRINT_OFFSET_SECONDS: "12.35",
    }


def test_outcome_of_a_new_file_outside_the_catalog() -> None:
    assert FingerprintOutcome("AQAB", None, None).to_attributes() == {
        attr.FINGERPRINT_CHROMAPRINT: "AQAB",
        attr.DUPLICATE_OF: "",
        attr.FINGERPRINT_MATCH: "",
        attr.FINGERPRINT_SCORE: "0",
        attr.FINGERPRINT_OFFSET_SECONDS: "",
    }


def test_catalog_registration() -> None:
    assert CatalogRegistration("song", 1234).to_attributes() == {
        attr.CATALOG_TRACK_ID: "song",
        attr.CATALOG_HASHES: "1234",
    }
