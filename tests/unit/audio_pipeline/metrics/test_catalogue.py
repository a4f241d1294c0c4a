"""The metric catalogue: names, labels and buckets that Prometheus conventions accept."""

from __future__ import annotations

from audio_pipeline.metrics import catalogue


def test_names_are_prefixed_unique_and_suffixed_by_type() -> None:
    names = catalogue.metric_names()
    assert len(names) == len(set(names)) == len(catalogue.COUNTERS) + len(catalogue.HISTOGRAMS)
    assert all(name.startswith(catalogue.PREFIX) for name in names)
    assert not any(c.name.endswith("_total") for c in catalogue.COUNTERS)  # the exposition adds it
    suffixes = ("_seconds", "_mos", "_confidence", "_lufs", "_dbtp", "_per_minute")
    assert all(h.name.endswith(suffixes) for h in catalogue.HISTOGRAMS)


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


def test_transcription_metric_names() -> None:
    names = catalogue.metric_names()
    assert "audio_pipeline_transcribed_audio_seconds_total" in names
    assert "audio_pipeline_transcripts_total" in names and catalogue.TRANSCRIPTS.labels == ("language",)
    assert "audio_pipeline_transcript_words_per_minute" in names
    assert {110, 130, 150, 170} <= set(catalogue.WORDS_PER_MINUTE.buckets)  # conversational speech, resolved
