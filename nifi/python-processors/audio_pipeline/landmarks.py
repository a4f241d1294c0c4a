"""Shazam-style landmark fingerprints (Wang 2003): the excerpt matcher.

Spectrogram peaks form a constellation; each anchor peak is paired with a few later peaks in a
target zone and the pair (f1, f2 − f1, Δt) is packed into an integer hash stored with the anchor
time. A true match shows up as many hashes agreeing on one time offset between query and track;
that is what `score_offsets` counts. Everything is vectorised numpy: a 10 s clip takes a few ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from audio_pipeline.errors import LandmarkError

_DT_BITS = 6
_DF_BITS = 7
_F1_BITS = 9
HASH_BITS = _F1_BITS + _DF_BITS + _DT_BITS  # 22: fits every database's INTEGER


@dataclass(frozen=True)
class LandmarkParams:
    """Tuning knobs; the defaults are what bench/fingerprint_accuracy.py validated.

    Changing anything that alters hashes (all but the rate caps' effect on counts) invalidates an
    existing index: re-register the catalog.
    """

    rate: int = 8000  # analysis rate: everything above 4 kHz is dropped anyway (codecs and noise hit it first)
    n_fft: int = 1024  # 128 ms window, 7.8 Hz bins: tonal peaks stand further above broadband noise
    hop: int = 128  # 16 ms frames
    min_bin: int = 6  # ignore < ~50 Hz (rumble, DC)
    max_bin: int = 512  # up to just below 4 kHz
    peak_time_radius: int = 4  # a peak is the maximum of a (2r+1) frame × (2r+1) bin neighbourhood
    peak_freq_radius: int = 20
    peak_floor_db: float = 60.0  # ignore peaks more than this below the loudest bin (silence, dither)
    peaks_per_second: float = 30.0  # rate cap: strongest peaks per one-second block
    fan_out: int = 10  # targets paired with each anchor
    min_dt: int = 1  # target zone, frames after the anchor
    max_dt: int = 63  # 6 bits
    max_df: int = 63  # |f2 − f1| in bins, 7 bits signed

    def __post_init__(self) -> None:
        if not 0 <= self.min_bin < self.max_bin <= self.n_fft // 2 + 1 or self.max_bin - self.min_bin > 1 << _F1_BITS:
            raise ValueError(f"bins [{self.min_bin}, {self.max_bin}) do not fit {_F1_BITS} bits")
        if not 1 <= self.min_dt <= self.max_dt < 1 << _DT_BITS or not 0 < self.max_df < 1 << (_DF_BITS - 1):
            raise ValueError("target zone does not fit the hash layout")

    @property
    def seconds_per_frame(self) -> float:
        return self.hop / self.rate


DEFAULT_PARAMS = LandmarkParams()


@dataclass(frozen=True)
class Landmarks:
    """Hashes of one signal with the frame index of each anchor (parallel int arrays)."""

    hashes: np.ndarray  # int64
    times: np.ndarray  # int64 frame index of the anchor peak
    duration: float
    peaks: int

    def __len__(self) -> int:
        return len(self.hashes)


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    return np.asarray(soxr.resample(samples, rate, target, quality="HQ"), dtype=np.float32)


def spectrogram_db(samples: np.ndarray, params: LandmarkParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-magnitude STFT (frames × bins in [min_bin, max_bin)) with a Hann window."""
    x = np.asarray(samples, dtype=np.float32)
    if len(x) < params.n_fft:
        return np.zeros((0, params.max_bin - params.min_bin), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, params.n_fft)[:: params.hop]
    # float64 on purpose: numpy's pocketfft runs ~2.5x faster in double than in single precision
    spectrum = np.fft.rfft(frames * np.hanning(params.n_fft), axis=1)[:, params.min_bin : params.max_bin]
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return 10.0 * np.log10(power + np.float32(1e-10))


def _running_max(a: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Centred running maximum of width 2·radius+1 along `axis`, by doubling windows (log2 passes)."""
    if radius <= 0:
        return a
    a = np.moveaxis(a, axis, 0)
    n, width = a.shape[0], 2 * radius + 1
    padded = np.full((n + 2 * radius, *a.shape[1:]), -np.inf, dtype=a.dtype)
    padded[radius : radius + n] = a
    span, step = padded, 1  # span[i] = max(padded[i : i + step])
    while step * 2 <= width:
        span = np.maximum(span[:-step], span[step:])
        step *= 2
    out = np.maximum(span[:n], span[width - step : width - step + n])
    return np.moveaxis(out, 0, axis)


def _frames_per_block(params: LandmarkParams) -> int:
    return max(1, round(params.rate / params.hop))


def find_peaks(
    spec: np.ndarray, params: LandmarkParams = DEFAULT_PARAMS, first_frame: int = 0, keep: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Constellation peaks (frame, bin) sorted by frame, at most `peaks_per_second` per second.

    `spec` row 0 is frame `first_frame`; only peaks in frames [keep[0], keep[1]) are returned
    (chunked analysis of long files passes a margin around the chunk so borders see the same
    neighbourhood).
    """
    empty = np.zeros(0, dtype=np.int64)
    if spec.size == 0:
        return empty, empty
    local = _running_max(_running_max(spec, params.peak_freq_radius, 1), params.peak_time_radius, 0)
    floor = float(spec.max()) - params.peak_floor_db
    is_peak = (spec == local) & (spec > floor)
    rows, bins = np.nonzero(is_peak)
    frames = rows.astype(np.int64) + first_frame
    if keep is not None:
        inside = (frames >= keep[0]) & (frames < keep[1])
        rows, bins, frames = rows[inside], bins[inside], frames[inside]
    if len(frames) == 0:
        return empty, empty
    strength = spec[rows, bins]
    # Rate cap: rank peaks by strength inside one-second blocks and keep the strongest.
    frames_per_block = _frames_per_block(params)
    per_block = max(1, round(params.peaks_per_second * frames_per_block * params.hop / params.rate))
    block = frames // frames_per_block
    order = np.lexsort((-strength, block))
    block_sorted = block[order]
    starts = np.searchsorted(block_sorted, block_sorted, side="left")
    rank = np.arange(len(order)) - starts
    chosen = order[rank < per_block]
    chosen.sort()  # nonzero() is row-major, so index order is frame order
    return frames[chosen], bins[chosen].astype(np.int64)


CHUNK_BLOCKS = 60  # analyse long files in ~1 min chunks: the STFT of an hour would need ~1 GB


def constellation(x: np.ndarray, params: LandmarkParams = DEFAULT_PARAMS) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of a signal at the analysis rate, chunk by chunk; same result as one pass for short clips."""
    if len(x) < params.n_fft:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    total = 1 + (len(x) - params.n_fft) // params.hop
    chunk = _frames_per_block(params) * CHUNK_BLOCKS  # whole rate-cap blocks per chunk
    margin = params.peak_time_radius
    all_frames, all_bins = [], []
    for start in range(0, total, chunk):
        stop = min(total, start + chunk)
        lo, hi = max(0, start - margin), min(total, stop + margin)
        spec = spectrogram_db(x[lo * params.hop : (hi - 1) * params.hop + params.n_fft], params)
        frames, bins = find_peaks(spec, params, first_frame=lo, keep=(start, stop))
        all_frames.append(frames)
        all_bins.append(bins)
    return np.concatenate(all_frames), np.concatenate(all_bins)


def pair_peaks(
    frames: np.ndarray, bins: np.ndarray, params: LandmarkParams = DEFAULT_PARAMS
) -> tuple[np.ndarray, np.ndarray]:
    """Hash each anchor with its first `fan_out` targets in the zone; returns (hashes, anchor frames)."""
    n = len(frames)
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # Look ahead over a bounded number of later peaks: enough to find fan_out zone members, since
    # the rate cap bounds how many peaks can sit within max_dt frames.
    lookahead = min(
        n - 1,
        max(4 * params.fan_out, int(params.peaks_per_second * params.max_dt * params.seconds_per_frame * 1.5) + 1),
    )
    step = np.arange(1, lookahead + 1)
    out_hashes, out_times = [], []
    for first in range(0, n, PAIR_BATCH):  # bounded memory for long files
        anchors = np.arange(first, min(n, first + PAIR_BATCH))
        idx = anchors[:, None] + step[None, :]
        valid = idx < n
        idx = np.minimum(idx, n - 1)
        dt = frames[idx] - frames[anchors, None]
        df = bins[idx] - bins[anchors, None]
        valid &= (dt >= params.min_dt) & (dt <= params.max_dt) & (np.abs(df) <= params.max_df)
        # keep the first fan_out valid targets of each anchor
        valid &= np.cumsum(valid, axis=1) <= params.fan_out
        row, which = np.nonzero(valid)
        f1 = bins[anchors[row]] & ((1 << _F1_BITS) - 1)
        d_f = df[row, which] & ((1 << _DF_BITS) - 1)
        d_t = dt[row, which] & ((1 << _DT_BITS) - 1)
        out_hashes.append((f1 << (_DF_BITS + _DT_BITS)) | (d_f << _DT_BITS) | d_t)
        out_times.append(frames[anchors[row]])
    return np.concatenate(out_hashes).astype(np.int64), np.concatenate(out_times).astype(np.int64)


PAIR_BATCH = 20_000


def landmarks(samples: np.ndarray, rate: int, params: LandmarkParams = DEFAULT_PARAMS) -> Landmarks:
    """Landmark hashes of mono float samples (resampled to the analysis rate when needed)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise LandmarkError(f"expected mono samples, got shape {x.shape}")
    if rate <= 0:
        raise LandmarkError(f"invalid sample rate {rate}")
    if not np.all(np.isfinite(x)):
        raise LandmarkError("samples contain NaN or infinity")
    x = _resample(x, rate, params.rate)
    frames, bins = constellation(x, params)
    hashes, times = pair_peaks(frames, bins, params)
    return Landmarks(hashes=hashes, times=times, duration=len(x) / params.rate, peaks=len(frames))


@dataclass(frozen=True)
class OffsetScore:
    """Candidate tracks for a query, best first, from `score_offsets`."""

    tracks: np.ndarray  # track keys
    counts: np.ndarray  # score: distinct query anchor frames agreeing on one offset
    offsets: np.ndarray  # that offset in frames (track time − query time)
    hashes: np.ndarray  # raw count of hashes agreeing on it (diagnostics)


RESCORE_CANDIDATES = 20


def _expand_matches(
    query_hashes: np.ndarray,
    query_times: np.ndarray,
    db_hashes: np.ndarray,
    db_tracks: np.ndarray,
    db_times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (track, offset, query time) where a query hash meets a database hash (a join, vectorised)."""
    order = np.argsort(query_hashes, kind="stable")
    qh, qt = query_hashes[order], query_times[order]
    left = np.searchsorted(qh, db_hashes, side="left")
    counts = np.searchsorted(qh, db_hashes, side="right") - left
    present = counts > 0
    counts, left = counts[present], left[present]
    rows = np.repeat(np.flatnonzero(present), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    q_times = qt[np.repeat(left, counts) + within]
    return db_tracks[rows].astype(np.int64), db_times[rows] - q_times, q_times


def score_offsets(
    query_hashes: np.ndarray,
    query_times: np.ndarray,
    db_hashes: np.ndarray,
    db_tracks: np.ndarray,
    db_times: np.ndarray,
    tolerance: int = 1,
    candidates: int = RESCORE_CANDIDATES,
) -> OffsetScore:
    """Histogram offsets (db time − query time) per track and score each track's tallest bin.

    `tolerance` merges neighbouring offsets (±frames): an excerpt cut anywhere lands between frame
    boundaries, so peaks jitter by a frame. The score counts distinct query anchor frames rather
    than hashes: two unrelated pieces that share one pair of notes at the same interval agree on
    dozens of harmonic hashes at a single moment, while a true match agrees all along the query.
    """
    empty = np.zeros(0, np.int64)
    if len(db_hashes) == 0 or len(query_hashes) == 0:
        return OffsetScore(empty, empty, empty, empty)
    tracks, offsets, q_times = _expand_matches(query_hashes, query_times, db_hashes, db_tracks, db_times)
    if len(tracks) == 0:
        return OffsetScore(empty, empty, empty, empty)
    # 1. tallest (tolerance-widened) offset bin of every track, by hash count
    base = int(offsets.min()) - tolerance
    span = int(offsets.max()) - base + tolerance + 1
    keys = tracks * span + (offsets - base)
    uniq, hits = np.unique(keys, return_counts=True)
    if tolerance:
        cum = np.concatenate(([0], np.cumsum(hits)))
        windowed = (
            cum[np.searchsorted(uniq, uniq + tolerance, side="right")]
            - cum[np.searchsorted(uniq, uniq - tolerance, side="left")]
        )
        # a track's keys lie inside [track·span + tolerance, (track+1)·span − tolerance): no bleed
    else:
        windowed = hits
    track_of = uniq // span
    order = np.lexsort((-windowed, track_of))
    first = np.ones(len(order), dtype=bool)
    first[1:] = track_of[order][1:] != track_of[order][:-1]
    best = order[first]
    best = best[np.argsort(-windowed[best], kind="stable")][:candidates]
    cand_tracks = track_of[best]
    cand_offsets = uniq[best] % span + base
    cand_hashes = windowed[best]
    # 2. rescore the leading candidates by distinct query frames near their best offset
    by_track = np.argsort(cand_tracks)
    sorted_tracks = cand_tracks[by_track]
    slot = np.clip(np.searchsorted(sorted_tracks, tracks), 0, len(sorted_tracks) - 1)
    is_cand = sorted_tracks[slot] == tracks
    cand_index = by_track[slot]
    near = is_cand & (np.abs(offsets - cand_offsets[cand_index]) <= tolerance)
    frame_span = int(q_times.max()) + 1 if len(q_times) else 1
    distinct = np.unique(cand_index[near] * frame_span + q_times[near]) // frame_span
    score = np.bincount(distinct, minlength=len(cand_tracks))
    ranking = np.lexsort((-cand_hashes, -score))
    return OffsetScore(
        tracks=cand_tracks[ranking],
        counts=score[ranking].astype(np.int64),
        offsets=cand_offsets[ranking].astype(np.int64),
        hashes=cand_hashes[ranking].astype(np.int64),
    )
