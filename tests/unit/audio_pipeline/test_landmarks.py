"""Landmark extraction and offset scoring, without a database."""

from __future__ import annotations

import numpy as np
import pytest
from audio_pipeline import landmarks as lm

from bench.synthetic_music import add_noise, synth_music, synth_texture

RATE = 16000
P = lm.DEFAULT_PARAMS


@pytest.fixture(scope="module")
def tracks() -> list[np.ndarray]:
    return [synth_music(21, 25.0), synth_music(22, 25.0), synth_texture(23, 25.0), synth_music(24, 25.0)]


def _naive_running_max(a: np.ndarray, radius: int, axis: int) -> np.ndarray:
    a = np.moveaxis(a, axis, 0)
    out = np.stack([a[max(0, i - radius) : i + radius + 1].max(axis=0) for i in range(a.shape[0])])
    return np.moveaxis(out, 0, axis)


@pytest.mark.parametrize(("radius", "axis"), [(1, 0), (4, 0), (20, 1), (7, 1), (30, 0)])
def test_running_max_matches_naive(radius: int, axis: int) -> None:
    a = np.random.default_rng(radius).normal(size=(37, 53)).astype(np.float32)
    assert np.array_equal(lm._running_max(a, radius, axis), _naive_running_max(a, radius, axis))


def test_peaks_are_local_maxima_with_a_bounded_rate(tracks: list[np.ndarray]) -> None:
    x = lm._resample(tracks[0], RATE, P.rate)
    spec = lm.spectrogram_db(x)
    frames, bins = lm.find_peaks(spec)
    assert np.all(np.diff(frames) >= 0)
    seconds = len(x) / P.rate
    assert 0.5 * P.peaks_per_second * seconds < len(frames) <= P.peaks_per_second * (seconds + 1)
    per_second = np.bincount(frames // round(P.rate / P.hop))
    assert per_second.max() <= P.peaks_per_second + 1
    for f, b in zip(frames[:50], bins[:50], strict=True):
        lo_f, lo_b = max(0, f - P.peak_time_radius), max(0, b - P.peak_freq_radius)
        assert spec[f, b] == spec[lo_f : f + P.peak_time_radius + 1, lo_b : b + P.peak_freq_radius + 1].max()


def test_pairs_stay_in_the_target_zone() -> None:
    rng = np.random.default_rng(0)
    frames = np.sort(rng.integers(0, 600, size=300))
    bins = rng.integers(0, 500, size=300)
    hashes, times = lm.pair_peaks(frames, bins)
    assert len(hashes) > 0
    assert np.all(hashes >= 0) and np.all(hashes < 1 << lm.HASH_BITS)
    dt = hashes & 63
    assert np.all((dt >= P.min_dt) & (dt <= P.max_dt))
    _, per_anchor = np.unique(times * 1000 + (hashes >> 13), return_counts=True)
    assert per_anchor.max() <= P.fan_out * 2  # two anchors may share a frame and f1 only by chance
    f1 = hashes >> 13
    assert set(np.unique(f1)) <= set(np.unique(bins))


def test_hash_packs_f1_df_dt() -> None:
    hashes, times = lm.pair_peaks(np.array([10, 14]), np.array([100, 90]))
    assert times.tolist() == [10]
    assert hashes.tolist() == [(100 << 13) | ((-10 & 127) << 6) | 4]


def test_a_ten_second_clip_gives_over_a_hundred_landmarks_a_second(tracks: list[np.ndarray]) -> None:
    """Dense enough for excerpt matching; how long extraction takes is the benchmark's to print
    (`./scripts/bench`, fingerprint section), not a test's to assert."""
    marks = lm.landmarks(tracks[0][: 10 * RATE], RATE)
    assert len(marks) > 100 * 10


def test_degenerate_input() -> None:
    assert len(lm.landmarks(np.zeros(0, np.float32), RATE)) == 0
    assert len(lm.landmarks(np.zeros(100, np.float32), RATE)) == 0
    silence = lm.landmarks(np.zeros(5 * RATE, np.float32), RATE)
    assert silence.duration == pytest.approx(5.0)
    with pytest.raises(lm.LandmarkError):
        lm.landmarks(np.array([0.0, np.nan], np.float32), RATE)
    with pytest.raises(lm.LandmarkError):
        lm.landmarks(np.zeros((2, 10), np.float32), RATE)
    with pytest.raises(lm.LandmarkError):
        lm.landmarks(np.zeros(10, np.float32), 0)


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        lm.LandmarkParams(max_bin=2000)
    with pytest.raises(ValueError):
        lm.LandmarkParams(max_dt=64)


def test_other_input_rates_are_resampled(tracks: list[np.ndarray]) -> None:
    import soxr

    at_44k = soxr.resample(tracks[1], RATE, 44100).astype(np.float32)
    a = lm.landmarks(tracks[1], RATE)
    b = lm.landmarks(at_44k, 44100)
    assert len(np.intersect1d(a.hashes, b.hashes)) > 0.5 * len(np.unique(a.hashes))


def _index(tracks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    marks = [lm.landmarks(t, RATE) for t in tracks]
    hashes = np.concatenate([m.hashes for m in marks])
    ids = np.concatenate([np.full(len(m), k) for k, m in enumerate(marks)])
    times = np.concatenate([m.times for m in marks])
    return hashes, ids, times


@pytest.mark.parametrize("noisy", [False, True], ids=["clean", "noise-0dB"])
def test_score_offsets_finds_track_and_offset(tracks: list[np.ndarray], noisy: bool) -> None:
    hashes, ids, times = _index(tracks)
    rng = np.random.default_rng(5)
    for k, track in enumerate(tracks):
        start = int(rng.integers(0, len(track) - 5 * RATE))
        query = track[start : start + 5 * RATE]
        if noisy:
            query = add_noise(query, 0.0, rng)
        q = lm.landmarks(query, RATE)
        scored = lm.score_offsets(q.hashes, q.times, hashes, ids, times)
        assert scored.tracks[0] == k
        assert scored.counts[0] >= 2 * scored.counts[1]
        assert abs(scored.offsets[0] * P.seconds_per_frame - start / RATE) <= 2 * P.seconds_per_frame


def test_score_offsets_counts_distinct_frames_not_hashes() -> None:
    """Many hashes at one query moment (one shared chord) must not outscore a steady match."""
    q_hashes = np.arange(40)
    q_times = np.concatenate([np.zeros(30, np.int64), np.arange(1, 11) * 10])
    # track 0: 30 hashes agree but all from query frame 0; track 1: 10 hashes from 10 frames
    db_hashes = np.concatenate([np.arange(30), np.arange(30, 40)])
    db_tracks = np.concatenate([np.zeros(30, np.int64), np.ones(10, np.int64)])
    db_times = np.concatenate([np.full(30, 500), q_times[30:] + 200])
    scored = lm.score_offsets(q_hashes, q_times, db_hashes, db_tracks, db_times)
    assert scored.tracks.tolist() == [1, 0]
    assert scored.counts.tolist() == [10, 1]
    assert scored.hashes.tolist() == [10, 30]
    assert scored.offsets.tolist() == [200, 500]


def test_score_offsets_empty() -> None:
    empty = np.zeros(0, np.int64)
    assert len(lm.score_offsets(empty, empty, empty, empty, empty).tracks) == 0
    assert len(lm.score_offsets(np.array([1]), np.array([0]), np.array([2]), np.array([0]), np.array([0])).tracks) == 0
