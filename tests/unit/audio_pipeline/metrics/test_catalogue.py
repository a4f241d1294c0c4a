"""The metric catalogue: names, labels and buckets that Prometheus conventions accept."""

from __future__ import annotations

from audio_pipeline.metrics import catalogue


def test_names_are_prefixed_unique_and_suffixed_by_type() -> None:
    names = catalogue.metric_names()
    assert len(names) == len(set(names)) == len(catalogue.COUNTERS) + len(catalogue.HISTOGRAMS)
    assert all(name.startswith(catalogue.PREFIX) for name in names)
    assert not any(c.name.endswith("_total") for c in catalogue.COUNTERS)  # the exposition adds it
    assert all(h.name.endswith(("_seconds", "_mos", "_confidence", "_lufs", "_dbtp")) for h in catalogue.HISTOGRAMS)


def test_loudness_buckets_resolve_the_profile_targets() -> None:
    """1 LU steps around EBU R128 (-23), ATSC A/85 (-24) and streaming (-14); the true-peak limits."""
    integrated = catalogue.LOUDNESS_INTEGRATED.buckets
    assert {-26, -25, -24, -23, -22, -21, -20, -16, -15, -14, -13, -12} <= set(integrated)
    assert integrated[0] == -40 and integrated[-1] == -5
    true_peak = catalogue.TRUE_PEAK.buckets
    assert {-2, -1, 0} <= set(true_peak) and true_peak[0] == -20 and true_peak[-1] == 3
    assert catalogue.LOUDNESS_FILES.labels == ("profile", "compliant")
    assert catalogue.COMPLIANT_VALUES == ("true", "false")


def test_histogram_buckets_increase_and_no_reserved_labels() -> None:
    for histogram in catalogue.HISTOGRAMS:
        assert list(histogram.buckets) == sorted(set(histogram.buckets)), histogram.name
        assert "le" not in histogram.labels
    for definition in (*catalogue.COUNTERS, *catalogue.HISTOGRAMS):
        assert definition.help.endswith(".") and not any(label.startswith("__") for label in definition.labels)


def test_stage_names_are_short_lowercase_words() -> None:
    for stage in ("decode", "classify", "fingerprint", "pesq", "store"):
        assert catalogue.STAGE_PATTERN.match(stage)
    for bad in ("Decode Audio", "", "1decode", "x" * 33):
        assert not catalogue.STAGE_PATTERN.match(bad)
