"""Where long files are cut for the model: whole speech regions, pieces no longer than the limit."""

from __future__ import annotations

import pytest
from audio_pipeline.transcription.pieces import Piece, Region, plan


def test_regions_are_grouped_until_a_piece_would_be_too_long() -> None:
    regions = [Region(0, 40), Region(50, 90), Region(120, 160), Region(170, 200)]
    pieces = plan(regions, max_samples=100)
    assert pieces == [
        Piece(0, 90, (Region(0, 40), Region(50, 90))),
        Piece(120, 200, (Region(120, 160), Region(170, 200))),
    ]
    assert all(p.end - p.start <= 100 for p in pieces)


def test_every_region_lands_in_exactly_one_piece_whole() -> None:
    regions = [Region(s, s + 30) for s in range(0, 2000, 45)]
    pieces = plan(regions, max_samples=200)
    assert [r for p in pieces for r in p.regions] == regions
    assert all(p.start == p.regions[0].start and p.end == p.regions[-1].end for p in pieces)


def test_a_region_longer_than_a_piece_is_a_piece_of_its_own() -> None:
    pieces = plan([Region(0, 10), Region(20, 500), Region(510, 520)], max_samples=100)
    assert [(p.start, p.end) for p in pieces] == [(0, 10), (20, 500), (510, 520)]


def test_no_speech_no_pieces_and_empty_regions_are_ignored() -> None:
    assert plan([], max_samples=100) == []
    assert plan([Region(5, 5)], max_samples=100) == []


def test_clip_timestamps_are_seconds_from_the_start_of_the_piece() -> None:
    piece = Piece(16_000, 64_000, (Region(16_000, 32_000), Region(48_000, 64_000)))
    assert piece.clips_seconds(16_000) == [0.0, 1.0, 2.0, 3.0]


def test_a_piece_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan([Region(0, 1)], max_samples=0)


def test_regions_cut_by_a_detection_block_edge_are_rejoined_while_they_fit() -> None:
    from audio_pipeline.transcription.pieces import rejoined

    cut = [Region(0, 50), Region(50, 80), Region(90, 120)]
    assert rejoined(cut, max_samples=100) == [Region(0, 80), Region(90, 120)]
    assert rejoined(cut, max_samples=60) == cut  # joined, it would not fit in a piece
    assert rejoined([Region(10, 20), Region(0, 5)], max_samples=100) == [Region(0, 5), Region(10, 20)]
