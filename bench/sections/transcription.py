"""Transcription's cost: the speech clips through the NiFi flow with TranscribeSpeech off and on, side by
side in one run, and the CPU its worker processes spend per second of speech transcribed.

TranscribeSpeech's Transcribe property switches the stage ("no files": every file passes unread), so
both runs use the same flow, instance and clips; the difference is the stage's whole cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil

from bench import corpus
from bench.corpus import ClipSet
from bench.figures import Throughput
from bench.http_runs import measure, run_http, sends_for, warm_up
from bench.instance import Instance
from bench.memory import RssSampler
from bench.plan import Plan
from bench.progress import log
from pipelinectl import flow
from pipelinectl.nifi import groups

PROCESSOR = "TranscribeSpeech"
WARMUP_FILES = 4  # enough to start the worker and load the model; the other stages are warm already
SCOPES = (("off", "no files"), ("on", "speech files"))


def worker_cpu_seconds(java_pid: int) -> float:
    """User + system CPU seconds so far of TranscribeSpeech's processes (its Python process and workers)."""
    total = 0.0
    for pid, label in RssSampler(java_pid).python_workers().items():
        if label.startswith(PROCESSOR):
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def run(instance: Instance, plan: Plan, corpus_dir: Path, runid: str, report: dict[str, Any]) -> None:
    speech = corpus.throughput_sets(plan.quick)[1]
    count = max(1, min(plan.files, speech.count) // 2)
    clips = corpus.ensure(corpus_dir, ClipSet(speech.name, speech.kind, speech.seconds, count, speech.references))
    nifi = flow.client(instance.settings)
    figures: dict[str, dict[str, Any]] = {}
    try:
        for label, scope in SCOPES:
            groups.set_properties(nifi, instance.group_id, PROCESSOR, {"Transcribe": scope})
            log(f"transcription {label}: {count} {speech.name} clips through the NiFi flow")
            warm_up(
                instance.ingest_url,
                instance.outcome_folders,
                clips,
                f"{runid}-tw{label}-",
                plan.concurrency,
                min(plan.warmup_files, WARMUP_FILES),
            )
            cpu_before = worker_cpu_seconds(instance.java_pid) if instance.java_pid else float("nan")
            prefix = f"{runid}-t{label}-"
            sent, watcher = run_http(
                instance.ingest_url, instance.outcome_folders, prefix, sends_for(clips, prefix, count), plan.concurrency
            )
            result: Throughput = measure(sent, watcher)
            watcher.remove_files()
            cpu = (worker_cpu_seconds(instance.java_pid) if instance.java_pid else float("nan")) - cpu_before
            figures[label] = result.to_dict() | {
                "transcription_cpu_s": cpu,
                "transcription_cpu_s_per_audio_s": cpu / result.audio_s if result.audio_s else float("nan"),
            }
            log(f"  {result.audio_s_per_s:.1f} audio s/s, TranscribeSpeech CPU {cpu:.1f} s")
    finally:
        groups.set_properties(nifi, instance.group_id, PROCESSOR, {"Transcribe": "speech files"})  # the flow's own
    off, on = figures.get("off"), figures.get("on")
    report["transcription"] = {
        "clips": f"{count} × {speech.name}",
        "runs": figures,
        "ratio_on_to_off": on["audio_s_per_s"] / off["audio_s_per_s"] if on and off and off["audio_s_per_s"] else None,
    }
