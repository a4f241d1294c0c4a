"""bench.figures: percentiles, latency summaries, throughput, ratios and linearity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import figures
from bench.figures import Throughput


@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy_linear(q: float) -> None:
    values = [*np.random.default_rng(3).exponential(size=101).tolist(), 7.0, 0.0]
    assert figures.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_small_cases() -> None:
    assert figures.percentile([5.0], 99) == 5.0
    assert figures.percentile([1.0, 2.0], 50) == 1.5
    assert figures.percentile([3.0, 1.0, 2.0, 4.0], 100) == 4.0
    assert figures.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 95) == pytest.approx(48.0)
    assert math.isnan(figures.percentile([], 50))
    with pytest.raises(ValueError):
        figures.percentile([1.0], 101)


def test_latency_summary() -> None:
    summary = figures.latency_summary([0.1 * i for i in range(1, 101)])
    assert summary["n"] == 100
    assert summary["p50_s"] == pytest.approx(5.05)
    assert summary["p99_s"] == pytest.approx(9.901)
    assert summary["max_s"] == pytest.approx(10.0)


def test_throughput_rates_and_combined_workload() -> None:
    a = Throughput(files=10, audio_s=100.0, wall_s=4.0)
    b = Throughput(files=30, audio_s=300.0, wall_s=36.0, errors=1)
    assert a.audio_s_per_s == 25.0 and a.files_per_s == 2.5
    both = figures.combined([a, b])
    assert (both.files, both.audio_s, both.wall_s, both.errors) == (40, 400.0, 40.0, 1)
    assert both.audio_s_per_s == 10.0  # all the audio over all the time, not the mean of the rates
    assert math.isnan(Throughput(files=0, audio_s=0.0, wall_s=0.0).audio_s_per_s)
    assert a.to_dict()["audio_s_per_s"] == 25.0


def test_ratio_and_linearity() -> None:
    assert figures.ratio(3.0, 4.0) == 0.75
    assert math.isnan(figures.ratio(3.0, 0.0))
    assert math.isnan(figures.ratio(None, 2.0))
    assert figures.linearity([(10, 1.0), (60, 6.0), (600, 60.0)]) == pytest.approx(1.0)
    # a fixed per-file cost is not non-linearity
    assert figures.linearity([(10, 0.5 + 0.01 * 10), (60, 0.5 + 0.01 * 60), (600, 0.5 + 0.01 * 600)]) == pytest.approx(
        1.0
    )
    # quadratic growth is
    assert figures.linearity([(10, 1.0), (60, 36.0), (600, 3600.0)]) > 5
    # work bounded to the first 120 s makes the curve flatten, which is not super-linear...
    bounded = [(s, 0.1 + 0.003 * s + 0.004 * min(s, 120)) for s in (10, 60, 600, 3599)]
    assert figures.linearity(bounded) <= 1.0
    # ...but a slope that rises again after a dip is
    assert figures.linearity([(10, 0.1), (60, 0.6), (600, 1.6), (3600, 20.0)]) > 2
    assert figures.incremental_slopes([(60, 2.0), (10, 1.0)]) == [pytest.approx(0.02)]
    assert math.isnan(figures.linearity([(10, 1.0), (600, 120.0)]))  # one slope says nothing
    assert math.isnan(figures.linearity([]))
