"""Latency from the POST accepted to the result written, with open-loop arrivals at fractions of the
NiFi flow's saturation rate (measured here if the throughput section did not run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import corpus
from bench.figures import latency_summary
from bench.http_runs import at_saturation, run_http, sends_for
from bench.instance import Instance
from bench.load import late_sends
from bench.plan import Plan
from bench.progress import log

LOADS = (0.5, 0.9)
CLIP_SET = 1  # index in corpus.throughput_sets: the speech clips, every step runs


def run(instance: Instance, plan: Plan, corpus_dir: Path, runid: str, report: dict[str, Any]) -> None:
    clip_set = corpus.throughput_sets(plan.quick)[CLIP_SET]
    clips = corpus.ensure(corpus_dir, clip_set)
    saturation = (report.get("throughput", {}).get(clip_set.name, {}).get("NiFi") or {}).get("files_per_s")
    if not saturation:
        log(f"latency: measuring saturation first ({clip_set.name})")
        saturation = at_saturation(
            instance.ingest_url,
            instance.outcome_folders,
            clips,
            min(plan.files, 60),
            plan,
            f"{runid}-warm-lat-",
            f"{runid}-sat-",
        ).files_per_s
    report["latency_clips"] = f"{clip_set.name}, saturation {saturation:.2f} files/s"
    report["latency"] = {}
    for fraction in LOADS:
        rate = fraction * saturation
        count = max(20, round(rate * plan.latency_seconds))
        log(f"latency at {fraction:.0%} load: {rate:.2f} files/s, {count} files")
        prefix = f"{runid}-lat{round(fraction * 100)}-"
        sent, watcher = run_http(
            instance.ingest_url,
            instance.outcome_folders,
            prefix,
            sends_for(clips, prefix, count),
            concurrency=max(plan.concurrency, 32),
            rate=rate,
        )
        by_name = watcher.by_name()
        latencies = [
            min(o.mtime for o in by_name[s.send.name]) - s.accepted
            for s in sent
            if s.accepted and s.send.name in by_name
        ]
        summary = latency_summary(latencies)
        summary |= {
            "rate_files_per_s": rate,
            "late_sends": late_sends(sent),
            "missing": count - len(latencies),
        }
        report["latency"][f"{fraction:.0%}"] = summary
        watcher.remove_files()
        log(f"  p50 {summary['p50_s']:.3f} s, p99 {summary['p99_s']:.3f} s")
