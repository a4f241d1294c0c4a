"""The "Audio pipeline" dashboard: throughput, latency, classes, PESQ quality, fingerprints,
quarantined files, loudness, transcription (audio_pipeline_* metrics; names in docs/metrics.md)."""

from __future__ import annotations

from grafana.panel_specs import RATE, SOURCE, PanelSpec, Query, Rows, quantile_queries, zero_when_absent


def pipeline_rows() -> Rows:
    """Rows of the "Audio pipeline" dashboard (audio_pipeline_* metrics only)."""
    throughput = [
        PanelSpec(
            "Throughput by source",
            "timeseries",
            [
                Query(
                    f"sum by (source, status) (rate(audio_pipeline_files_total{{{SOURCE}}}[{RATE}]))",
                    "{{source}} {{status}}",
                )
            ],
            "Files that finished the pipeline per second, by ingest source and status (ok, quarantined).",
            unit="ops",
        ),
        PanelSpec(
            "Audio processed",
            "timeseries",
            [
                Query(
                    f"sum by (source) (rate(audio_pipeline_audio_seconds_total{{{SOURCE}}}[{RATE}]))",
                    "{{source}}",
                )
            ],
            "Seconds of audio finished per second of wall time (1 = real time).",
            unit="none",
            width=6,
        ),
        PanelSpec(
            "Files finished in range",
            "stat",
            [
                Query(
                    f"sum by (status) (increase(audio_pipeline_files_total{{{SOURCE}}}[$__range]))",
                    "{{status}}",
                )
            ],
            "Files that finished in the selected time range, by status.",
            width=6,
        ),
    ]
    latency = [
        PanelSpec(
            "Stage latency percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_stage_duration_seconds", by=("stage",)),
            "p50/p95/p99 processing time of one file per stage (decode, classify, fingerprint, pesq, ...).",
            unit="s",
        ),
        PanelSpec(
            "End-to-end latency percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_end_to_end_latency_seconds", selector=f'{SOURCE}, status="ok"'),
            "Time from ingest (audio.ingested.at) to the stored result, files with status ok.",
            unit="s",
        ),
        PanelSpec(
            "Mean time per stage",
            "timeseries",
            [
                Query(
                    f"sum by (stage) (rate(audio_pipeline_stage_duration_seconds_sum[{RATE}]))"
                    f" / sum by (stage) (rate(audio_pipeline_stage_duration_seconds_count[{RATE}]))",
                    "{{stage}}",
                )
            ],
            "Average seconds per file in each stage; stacked, the total approximates the pipeline cost.",
            unit="s",
            stacked=True,
        ),
        PanelSpec(
            "Audio duration percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_audio_duration_seconds", selector=SOURCE),
            "Length of the audio files that finished.",
            unit="s",
        ),
    ]
    results = [
        PanelSpec(
            "Classes over time",
            "timeseries",
            [Query(f"sum by (class) (rate(audio_pipeline_classifications_total[{RATE}]))", "{{class}}")],
            "Files with status ok per second, by predicted class.",
            unit="ops",
            stacked=True,
        ),
        PanelSpec(
            "Classification confidence (median by class)",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.5, sum by (le, class) "
                    f"(rate(audio_pipeline_classification_confidence_bucket[{RATE}])))",
                    "{{class}}",
                )
            ],
            "Median confidence of the predicted class; a drop hints at drift or a bad model version.",
            unit="percentunit",
        ),
        PanelSpec(
            "PESQ MOS distribution",
            "heatmap",
            [
                Query(
                    f"sum by (le) (increase(audio_pipeline_pesq_mos_bucket[{RATE}]))",
                    "{{le}}",
                    heatmap=True,
                )
            ],
            "Files per PESQ MOS-LQO bucket over time (1 = bad, 4.5 = excellent).",
        ),
        PanelSpec(
            "PESQ MOS percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_pesq_mos", by=("mode",)),
            "p50/p95/p99 of PESQ MOS-LQO by mode (nb/wb).",
            unit="none",
            width=6,
        ),
        PanelSpec(
            "Quality labels",
            "piechart",
            [Query("sum by (label) (increase(audio_pipeline_quality_total[$__range]))", "{{label}}")],
            "Files per PESQ quality label in the selected range.",
            width=6,
        ),
        PanelSpec(
            "Fingerprint matches and duplicates",
            "timeseries",
            [
                Query(f"sum(rate(audio_pipeline_fingerprint_matches_total[{RATE}]))", "catalog matches"),
                Query(f"sum(rate(audio_pipeline_duplicates_total[{RATE}]))", "duplicates"),
            ],
            "Files with status ok per second that matched the fingerprint catalog or duplicated an earlier file.",
            unit="ops",
        ),
        PanelSpec(
            "Quarantined files by reason",
            "timeseries",
            [
                Query(
                    zero_when_absent(f"sum by (reason) (rate(audio_pipeline_failures_total[{RATE}]))", ["reason"]),
                    "{{reason}}",
                )
            ],
            "Quarantined files per second by audio.error code (not_audio, corrupt_audio, pesq_error, ...); "
            "0 (none) when nothing was quarantined.",
            unit="ops",
            stacked=True,
            bars=True,
        ),
        PanelSpec(
            "Retries by stage and reason",
            "timeseries",
            [
                Query(
                    zero_when_absent(
                        f"sum by (stage, reason) (rate(audio_pipeline_retries_total[{RATE}]))", ["stage", "reason"]
                    ),
                    "{{stage}} {{reason}}",
                )
            ],
            "Retries per second NiFi made of files after a failure that was not the audio's fault, by stage and "
            "the reason of the failed attempt (processor_unavailable: the stage's Python process did not answer). "
            "Retried files are not quarantined unless every retry fails; 0 (none none) when nothing was retried.",
            unit="ops",
            stacked=True,
            bars=True,
        ),
        PanelSpec(
            "Quarantine ratio",
            "stat",
            [
                Query(
                    f'sum(increase(audio_pipeline_files_total{{{SOURCE}, status="quarantined"}}[$__range]))'
                    f" / sum(increase(audio_pipeline_files_total{{{SOURCE}}}[$__range]))",
                    "quarantined",
                )
            ],
            "Share of finished files that were quarantined in the selected range (alert above 10% over 10 min).",
            unit="percentunit",
            width=6,
        ),
        PanelSpec(
            "Metric worker restarts",
            "timeseries",
            [
                Query(
                    f"sum by (previous_shutdown) (increase(audio_pipeline_worker_starts_total[{RATE}]))",
                    "{{previous_shutdown}}",
                )
            ],
            "Processor processes taking over a metrics slot; 'unclean' means up to one push interval "
            "of counts was lost.",
            width=6,
            bars=True,
        ),
    ]
    loudness_files = "audio_pipeline_loudness_files_total"
    measured = f"(sum by (profile) ({loudness_files}) > 0)"  # profiles that have files, not every known one
    loudness = [
        PanelSpec(
            "Integrated loudness distribution",
            "heatmap",
            [
                Query(
                    f"sum by (le) (increase(audio_pipeline_loudness_integrated_lufs_bucket{{{SOURCE}}}[{RATE}]))",
                    "{{le}}",
                    heatmap=True,
                )
            ],
            "Files with status ok per integrated-loudness bucket (LUFS, ITU-R BS.1770-4) over time; targets: "
            "-23 EBU R128, -24 ATSC A/85, -14 streaming. Silence counts in the lowest bucket (-40).",
        ),
        PanelSpec(
            "True peak distribution",
            "heatmap",
            [
                Query(
                    f"sum by (le) (increase(audio_pipeline_loudness_true_peak_dbtp_bucket{{{SOURCE}}}[{RATE}]))",
                    "{{le}}",
                    heatmap=True,
                )
            ],
            "Files with status ok per true-peak bucket (dBTP) over time; limits: -1 EBU R128 and streaming, "
            "-2 ATSC A/85; above 0 the file clips once converted.",
        ),
        PanelSpec(
            "Loudness compliance by profile",
            "stat",
            [
                Query(
                    f'(sum by (profile) (increase({loudness_files}{{compliant="true"}}[$__range]))'
                    f" / sum by (profile) (increase({loudness_files}[$__range])))"
                    f" and on (profile) {measured}",
                    "{{profile}}",
                )
            ],
            "Share of the files checked against each loudness profile that met it, in the selected range "
            "(profiles that never had a file are not shown).",
            unit="percentunit",
            width=6,
            extra={"min": 0, "max": 1},
        ),
        PanelSpec(
            "Loudness compliance over time",
            "timeseries",
            [
                Query(
                    f"sum by (profile, compliant) (rate({loudness_files}[{RATE}])) and on (profile) {measured}",
                    "{{profile}} compliant={{compliant}}",
                )
            ],
            "Files with status ok per second checked against a loudness profile, compliant or not.",
            unit="ops",
            width=18,
            stacked=True,
        ),
    ]
    transcription = [
        PanelSpec(
            "Transcribed audio per second",
            "timeseries",
            [
                Query(
                    f"sum by (source) (rate(audio_pipeline_transcribed_audio_seconds_total{{{SOURCE}}}[{RATE}]))",
                    "{{source}}",
                )
            ],
            "Seconds of audio in transcribed files with status ok per second of wall time (1 = real time), by "
            "source; beside Audio processed, the share of the audio that is speech-to-text work.",
            unit="none",
            width=8,
        ),
        PanelSpec(
            "Transcripts by language",
            "timeseries",
            [Query(f"sum by (language) (rate(audio_pipeline_transcripts_total[{RATE}]))", "{{language}}")],
            "Transcribed files with status ok per second, by the language of the transcript (ISO 639-1).",
            unit="ops",
            width=8,
            stacked=True,
        ),
        PanelSpec(
            "Words per minute of speech (median by language)",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.5, sum by (le, language) "
                    f"(rate(audio_pipeline_transcript_words_per_minute_bucket[{RATE}])))",
                    "{{language}}",
                )
            ],
            "Median words per minute over the speech the segments cover; conversation runs at about 120-160. "
            "A sudden drop hints at missed words (noise, a wrong language), a rise at hallucinated text.",
            unit="none",
            width=8,
        ),
    ]
    return [
        ("Throughput", throughput),
        ("Latency", latency),
        ("Results and quality", results),
        ("Loudness", loudness),
        ("Transcription", transcription),
    ]
