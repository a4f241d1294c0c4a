"""One soak on an instance: probe the saturation, feed open loop above it while sampling, drain, count."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import corpus
from bench.corpus import Clip, ClipSet
from bench.figures import latency_summary
from bench.instance import Instance
from bench.load import OutcomeWatcher
from bench.progress import log
from bench.soak import feed, figures
from bench.soak.samples import Sampler
from pipelinectl import flow
from pipelinectl.settings import Settings

# The 10 s speech clips of the bench's throughput section (same corpus folder: the key ignores the
# count); every step of the flow runs on them, transcription included. 40 clips, sent in turn.
CLIP_SET = ClipSet("speech-10s", "speech", 10.0, 40, references=12)
LATE_S = 0.1  # a send that started later than this after it was due: the client pool held it back


@dataclass
class SoakPlan:
    duration_s: float = 600.0
    overload: float = 1.2
    probe_s: float = 60.0
    in_flight: int = 8  # probe: files kept inside the flow
    clients: int = 32  # feed: HTTP client pool, so slow answers do not hold arrivals back
    arrivals: str = "even"
    seed: int = 0
    sample_s: float = 1.0
    timeout_s: float = 30.0  # a POST not answered within this is a timeout (a hung connection)
    saturation: float | None = None  # files/s; None: probed
    drain_idle_s: float = 120.0  # give up draining after this long without a new outcome

    @property
    def window_s(self) -> float:
        """About 30 windows per soak, 5–30 s each (the heap's minimum per window ≈ after a GC)."""
        return min(30.0, max(5.0, self.duration_s / 30))


def clips(corpus_dir: Path, references_dir: Path) -> list[Clip]:
    """The soak's clips (generated once, cached), their PESQ references installed into the instance."""
    found = corpus.ensure(corpus_dir, CLIP_SET)
    corpus.install_references(corpus_dir, references_dir)
    return found


def attached(settings: Settings, env: dict[str, str]) -> Instance:
    """An Instance for a pipeline someone else started (the e2e fixture, or --attach's)."""
    group = flow.client(settings).child_group(flow.GROUP_NAME)
    if group is None:
        raise SystemExit(f"no {flow.GROUP_NAME!r} group in the NiFi at port {settings.nifi_http_port}")
    return Instance(settings, env, private=False, group_id=group["id"])


def run(instance: Instance, soak_clips: list[Clip], plan: SoakPlan, runid: str) -> dict[str, Any]:
    """The soak's figures (a JSON-able dict); the run's files are removed from the instance afterwards."""
    report: dict[str, Any] = {"plan": asdict(plan) | {"window_s": plan.window_s}, "clips": CLIP_SET.name}
    folders = instance.outcome_folders
    saturation = plan.saturation
    if saturation is None:
        log(f"saturation probe: {plan.in_flight} files in the flow for {plan.probe_s:.0f} s")
        report["probe"] = feed.probe(
            instance.ingest_url, folders, soak_clips, f"{runid}-probe-", plan.probe_s, plan.in_flight
        )
        saturation = report["probe"]["files_per_s"]
        if not saturation or math.isnan(saturation):
            raise SystemExit(f"the probe saw too few files come out to measure a rate: {report['probe']}")
    rate = plan.overload * saturation
    offsets = feed.arrivals(rate, plan.duration_s, plan.arrivals, plan.seed)
    report |= {"saturation_files_per_s": saturation, "offered_files_per_s": rate, "offered_files": len(offsets)}
    log(f"feeding {rate:.3f} files/s ({plan.overload:g} × {saturation:.3f}) for {plan.duration_s:.0f} s")

    prefix = f"{runid}-soak-"
    start = time.monotonic()
    with Sampler(flow.client(instance.settings), instance.group_id, instance.java_pid, start, plan.sample_s) as sampler:
        posts = feed.feed(
            instance.ingest_url, feed.named_sends(soak_clips, prefix), offsets, plan.clients, plan.timeout_s
        )
        feed_s = time.monotonic() - start
        accepted = {p.name for p in posts if p.kind == "accepted"}
        log(f"fed {len(posts)} files in {feed_s:.0f} s, {len(accepted)} accepted; draining")
        watcher = OutcomeWatcher(folders, prefix)
        watcher.wait(accepted, idle_timeout_s=plan.drain_idle_s)
        drained_s = time.monotonic() - start
    report |= {"feed_s": feed_s, "drain_s": drained_s - feed_s, "sampling_failures": sampler.failures}

    report["posts"] = figures.post_counts(p.kind for p in posts)
    report["late_sends"] = sum(1 for p in posts if p.started - p.scheduled > LATE_S)
    report["not_accepted_examples"] = sorted(
        {f"{p.kind}: {p.status or ''} {p.detail}"[:160] for p in posts if p.kind != "accepted"}
    )[:5]
    refused = {p.name for p in posts if p.kind != "accepted"}
    report["outcomes"] = figures.outcome_counts(accepted, refused, feed.outcome_filenames(folders, prefix))
    report["quarantined"] = sum(1 for o in watcher.outcomes.values() if o.kind == "quarantine")
    by_name = watcher.by_name()
    latencies = [
        min(o.mtime for o in by_name[p.name]) - p.finished for p in posts if p.name in accepted and p.name in by_name
    ]
    report["latency"] = latency_summary(latencies)

    committed = flow.read_flow()
    thresholds = figures.committed_thresholds(committed)
    queued = [s["queued"] for s in sampler.samples if s["queued"] is not None]
    deepest = max(sampler.deepest.values(), key=lambda kd: kd[1], default=None)
    report["queue"] = {
        "max_queued": max(queued, default=None),
        "bound_sum_of_thresholds": figures.queue_bound(committed),
        "deepest_queue": None if deepest is None else figures.label(deepest[0]),
        "deepest_queue_max": None if deepest is None else deepest[1],
        "deepest_queue_threshold": None if deepest is None else thresholds.get(deepest[0]),
        "over_threshold": figures.over_threshold(sampler.deepest, thresholds),
        "smallest_threshold": min(thresholds.values()),
    }
    series = figures.windows(sampler.samples, plan.window_s, drained_s)
    report["series"] = [asdict(w) for w in series]
    report["samples"] = sampler.samples  # every sample, for a second look at the series
    report["memory"] = figures.trends(series, feed_s, sampler.samples) | {"heap_max_mb": sampler.heap_max_mb}
    done = [s for s in sampler.samples if s["t"] <= feed_s and s.get("gc_count") is not None]
    report["memory"]["collections_while_feeding"] = done[-1]["gc_count"] - done[0]["gc_count"] if done else None
    report["queue"]["backlog_growth_files_per_s"] = rate - saturation
    feeding = [(x["t"], float(x["queued"])) for x in sampler.samples if x["t"] <= feed_s and x["queued"] is not None]
    report["queue"]["queued_slope_per_min"] = figures.slope_per_minute(feeding)
    report["queue"]["minutes_to_smallest_threshold"] = (
        report["queue"]["smallest_threshold"] / (rate - saturation) / 60 if rate > saturation else None
    )
    watcher.remove_files()
    return report
