"""Scaling with clip length: 1 s .. 1 h clips one at a time through the NiFi flow (time, peak RSS of the
NiFi JVM and its Python processes) and through the same steps in a fresh process each."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import corpus
from bench.execute_stream_command import WORKER_SCRIPT
from bench.figures import incremental_slopes, linearity
from bench.http_runs import run_http, sends_for
from bench.instance import Instance
from bench.memory import RssSampler, peak_of_python_workers
from bench.plan import Plan
from bench.progress import log
from bench.steps import fresh_database_url


def worker_once(path: Path, references_dir: Path, database: str, env: dict[str, str]) -> dict[str, float]:
    """The steps on one file in a fresh process (the ExecuteStreamCommand worker): seconds of the steps
    alone, of the whole process (start and imports too), and the process's peak RSS in MB."""
    started = time.monotonic()
    with open(path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER_SCRIPT),
                "--references-dir",
                str(references_dir),
                "--database-url",
                database,
                "--filename",
                path.name,
                "--timing",
            ],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
        _, status, usage = os.wait4(process.pid, 0)  # reaps it with its own rusage (this child's peak RSS)
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        lines = stderr.read().decode(errors="replace").splitlines()
    steps_s = [float(line.partition("=")[2]) for line in lines if line.startswith("steps_s=")]
    return {
        "steps_s": steps_s[-1] if steps_s else float("nan"),
        "process_s": time.monotonic() - started,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def run(instance: Instance, plan: Plan, corpus_dir: Path, bench_dir: Path, runid: str, report: dict[str, Any]) -> None:
    pid = instance.java_pid
    if pid is None:
        log("scaling: no NiFi pid known (attached to an instance without our pid file); memory not measured")
    rows = []
    sampler = RssSampler(pid) if pid is not None else None
    if sampler is not None:
        sampler.__enter__()
    try:
        for label, clip_set in corpus.scaling_sets(plan.lengths):
            log(f"scaling: {label}, generating/using {clip_set.count} file(s)")
            clips = corpus.ensure(corpus_dir, clip_set)
            if sampler is not None:
                sampler.reset()
            times = []
            errors: list[str] = []
            for i, clip in enumerate(clips):
                prefix = f"{runid}-len{clip_set.seconds:g}-{i}-"
                sent, watcher = run_http(
                    instance.ingest_url, instance.outcome_folders, prefix, sends_for([clip], prefix, 1), 1
                )
                outcome = watcher.by_name().get(sent[0].send.name)
                times.append(min(o.mtime for o in outcome) - sent[0].started if outcome else float("nan"))
                if watcher.errors():
                    errors += watcher.error_reasons()
                    log(f"  {clip.name} ended in error: {', '.join(watcher.error_reasons())}")
                watcher.remove_files()
            peaks = sampler.peaks() if sampler is not None else {}
            database = fresh_database_url(bench_dir / "scaling.db")
            env = dict(os.environ) | instance.settings.as_environment()
            plain = [worker_once(clip.path, instance.settings.references_dir, database, env) for clip in clips]
            worker_peak, worker_name = peak_of_python_workers(peaks)
            nifi_s = statistics.median(times)
            rows.append(
                {
                    "label": label,
                    "seconds": clip_set.seconds,
                    "files": len(clips),
                    "nifi_s": nifi_s,
                    "nifi_s_per_audio_s": nifi_s / clip_set.seconds,
                    "baseline_s": statistics.median(p["steps_s"] for p in plain),
                    "baseline_process_s": statistics.median(p["process_s"] for p in plain),
                    "baseline_peak_rss_mb": max(p["peak_rss_mb"] for p in plain),
                    "jvm_peak_rss_mb": peaks.get("NiFi JVM", float("nan")),
                    "python_worker_peak_rss_mb": worker_peak,
                    "python_worker_peak_name": worker_name,
                    "peaks_mb": peaks,
                    "errors": errors,
                }
            )
            log(f"  NiFi {nifi_s:.2f} s, worker peak {worker_peak:.0f} MB ({worker_name})")
    finally:
        if sampler is not None:
            sampler.__exit__(None, None, None)
    report["scaling"] = rows
    # Lengths of 10 s and up that ended as clean results (a failed file stops early).
    points = [(r["seconds"], r["nifi_s"]) for r in rows if r["seconds"] >= 10 and not r["errors"]]
    report["scaling_incremental_s_per_audio_s"] = incremental_slopes(points)
    report["scaling_linearity"] = linearity(points)
    hour = [r for r in rows if r["seconds"] >= 3599]
    if hour:
        report["one_hour_max_python_worker_rss_mb"] = hour[0]["python_worker_peak_rss_mb"]
    report["peak_memory"] = {
        "jvm_rss_mb": max((r["jvm_peak_rss_mb"] for r in rows), default=float("nan")),
        "python_worker_rss_mb": max((r["python_worker_peak_rss_mb"] for r in rows), default=float("nan")),
    }
