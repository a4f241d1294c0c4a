"""The sink's exposition passes `promtool check metrics` (Debian package prometheus)."""

from __future__ import annotations

import subprocess
import time

from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from prometheus_client.parser import text_string_to_metric_families
from support.metrics_samples import FINISHED, make_sink


def test_exposition_passes_promtool_and_names_follow_conventions() -> None:
    sink = make_sink()
    loudness = {
        attr.LOUDNESS_INTEGRATED_LUFS: "-23.2",
        attr.LOUDNESS_TRUE_PEAK_DBTP: "-1.4",
        attr.LOUDNESS_PROFILE: "ebu-r128",
        attr.LOUDNESS_COMPLIANT: "true",
    }
    transcript = {
        attr.TRANSCRIPT: "a few words here",
        attr.TRANSCRIPT_LANGUAGE: "en",
        attr.TRANSCRIPT_WORDS: "4",
        attr.TRANSCRIPT_SPEECH_SECONDS: "1.6",
    }
    sink.record_result({**FINISHED, **loudness, **transcript, attr.INGESTED_AT: str(int(time.time() * 1000))}, "ok")
    sink.observe_stage("decode", 0.02)
    text = sink.exposition()
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    names = {family.name for family in text_string_to_metric_families(text.decode())}
    for name in metrics.metric_names():
        assert name.startswith("audio_pipeline_")
        assert name.removesuffix("_total") in names
    suffixes = ("_seconds", "_mos", "_confidence", "_lufs", "_dbtp", "_per_minute")
    assert all(h.name.endswith(suffixes) for h in metrics.HISTOGRAMS)
