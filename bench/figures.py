"""The figures of a bench run: percentiles, latency summaries, throughput, ratios and linearity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, not {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies in seconds, plus their count."""
    return {
        "n": len(latencies_s),
        "p50_s": percentile(latencies_s, 50),
        "p95_s": percentile(latencies_s, 95),
        "p99_s": percentile(latencies_s, 99),
        "max_s": max(latencies_s) if latencies_s else math.nan,
    }


@dataclass(frozen=True)
class Throughput:
    """One saturation run: `files` files holding `audio_s` seconds of audio finished in `wall_s` seconds."""

    files: int
    audio_s: float
    wall_s: float
    errors: int = 0  # files that ended in quarantine or with audio.error
    missing: int = 0  # files without any outcome when the run gave up
    duplicates: int = 0  # files with more than one outcome

    @property
    def audio_s_per_s(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s > 0 else math.nan

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall_s if self.wall_s > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"audio_s_per_s": self.audio_s_per_s, "files_per_s": self.files_per_s}


def combined(runs: Sequence[Throughput]) -> Throughput:
    """Several runs as one workload: all their audio over all their time."""
    return Throughput(
        files=sum(r.files for r in runs),
        audio_s=sum(r.audio_s for r in runs),
        wall_s=sum(r.wall_s for r in runs),
        errors=sum(r.errors for r in runs),
        missing=sum(r.missing for r in runs),
        duplicates=sum(r.duplicates for r in runs),
    )


def ratio(numerator: float | None, denominator: float | None) -> float:
    if numerator is None or denominator is None or not denominator or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def incremental_slopes(points: Sequence[tuple[float, float]]) -> list[float]:
    """Extra seconds per extra audio second between consecutive clip lengths ((length, time) points)."""
    ordered = sorted((s, t) for s, t in points if not math.isnan(t))
    return [(t2 - t1) / (s2 - s1) for (s1, t1), (s2, t2) in pairwise(ordered) if s2 > s1]


def linearity(points: Sequence[tuple[float, float]]) -> float:
    """How much the cost of an extra audio second grows with clip length: the largest ratio of a
    later incremental slope to an earlier one (1.0 = linear; > 1 = super-linear; < 1 = flattening).

    Incremental, not time per audio second, so that a fixed per-file cost does not count as
    non-linearity; later over earlier, so that work the flow bounds on purpose (fingerprints and the
    catalog match look at the first 120 s only) is not mistaken for it. Slopes ≤ 0 (noise between
    close lengths) are left out."""
    slopes = [x for x in incremental_slopes(points) if x > 0]
    if len(slopes) < 2:
        return math.nan
    return max(slopes[j] / slopes[i] for i in range(len(slopes)) for j in range(i + 1, len(slopes)))
