"""./scripts/bench: throughput, latency, scaling and memory of the pipeline on NiFi, against the same steps
without NiFi (a plain-Python process pool) and the NiFi 1.x way (ExecuteStreamCommand, a script per file).

Sections (all but `cluster` by default; --quick runs `throughput` with fewer files):

    throughput   10 s clips without and with PESQ references, fed over HTTP at saturation, through the
                 NiFi flow, the plain-Python baseline and the ExecuteStreamCommand flow
    latency      POST accepted -> result written, open-loop arrivals at 50 % and 90 % of saturation
    scaling      1 s .. 1 h clips one at a time: time, NiFi JVM and Python worker peak RSS
    transcription  the 10 s speech clips with TranscribeSpeech off and on: throughput, its CPU per speech second
    fingerprint  catalog query time with 10, 100 and 1,000 tracks (if audio_pipeline.fingerprint_index exists)
    cluster      only when named: a standalone NiFi and a 2-node cluster in alternating --rounds, each
                 started by ./scripts/run (timed) on its own data dir: throughput of both 10 s sets, CPU
                 seconds per audio second per node and service, a sizing table (about 15-20 min)

It starts a private NiFi (free ports, data in $PIPELINE_DATA_DIR/bench/instance, stopped at the end)
unless --attach is given, which uses the instance the environment's settings name. The corpus is
generated once into $PIPELINE_DATA_DIR/bench/corpus. Output: a Markdown report on stdout and
$PIPELINE_DATA_DIR/bench/latest.json. Targets are printed next to the figures, never asserted.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import corpus, steps
from bench.corpus import ClipSet
from bench.instance import Instance, attach, parse_properties, start_private, stop_data_dir, stop_private
from bench.machine import machine_info
from bench.memory import RssSampler
from bench.plan import WARMUP_FILES, Plan
from bench.progress import log
from bench.report import json_safe, render
from bench.sections import cluster, fingerprint, latency, scaling, throughput, transcription
from pipelinectl import flow
from pipelinectl.nifi import groups
from pipelinectl.settings import load

SECTIONS = ("throughput", "latency", "scaling", "transcription", "fingerprint", "cluster")
ON_REQUEST = ("cluster",)  # not in a run without --sections: it starts instances of its own


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--quick", action="store_true", help="throughput only, fewer files (< 10 min on 2 cores)")
    parser.add_argument("--sections", default="", help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument(
        "--attach",
        action="store_true",
        help="use the running instance named by the environment (PIPELINE_DATA_DIR, ports)",
    )
    parser.add_argument("--keep-instance", action="store_true", help="leave the private NiFi running")
    parser.add_argument("--fresh-instance", action="store_true", help="delete the private instance's data first")
    parser.add_argument(
        "--nifi-property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="nifi.properties override for the private instance (repeatable), e.g. "
        "nifi.content.repository.archive.max.usage.percentage=90%%",
    )
    parser.add_argument("--files", type=int, default=0, help="files per 10 s throughput run (default 120, quick 60)")
    parser.add_argument("--esc-files", type=int, default=0, help="files per ExecuteStreamCommand run")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="baseline processes and ExecuteStreamCommand tasks (default: the number of the "
        "flow's Python processors the files pass through)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP client pool size at saturation")
    parser.add_argument(
        "--warmup-files",
        type=int,
        default=WARMUP_FILES,
        help=f"files each way processes before each throughput run is timed (default {WARMUP_FILES})",
    )
    parser.add_argument("--rounds", type=int, default=2, help="cluster: alternating rounds of 1 node and 2 nodes")
    parser.add_argument("--latency-seconds", type=float, default=0.0, help="duration of each latency run")
    lengths = ",".join(f"{seconds:g}" for _, seconds, _ in corpus.SCALING_LENGTHS)
    parser.add_argument("--lengths", default="", help=f"scaling: clip lengths in seconds (default {lengths})")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    return Plan(
        quick=args.quick,
        files=args.files or (60 if args.quick else 120),
        esc_files=args.esc_files or (30 if args.quick else 60),
        concurrency=args.concurrency,
        warmup_files=args.warmup_files,
        latency_seconds=args.latency_seconds or (30.0 if args.quick else 60.0),
        lengths=tuple(float(x) for x in args.lengths.split(",") if x) or None,
    )


def open_instance(args: argparse.Namespace, bench_dir: Path, properties: dict[str, str]) -> Instance:
    """The attached instance (--attach), or the private one started (or restarted) for this run."""
    if args.attach:
        return attach()
    data_dir = bench_dir / "instance"
    if args.fresh_instance and data_dir.exists():
        stop_data_dir(data_dir)  # a --keep-instance NiFi must not outlive its pid files
        shutil.rmtree(data_dir)
    log(f"starting a private NiFi in {data_dir}")
    return start_private(data_dir, properties, log)


def prepare(instance: Instance, corpus_dir: Path, workers: int, report: dict[str, Any]) -> None:
    """Note what the flow runs on, and give the instance the corpus's PESQ references."""
    instance.mark_log()
    python = groups.python_processors(flow.client(instance.settings), instance.group_id)
    report["python_processors"] = sorted(p["component"]["name"] for p in python)
    report["workers"] = workers or None  # else set by the throughput section
    report["nifi_heap"] = instance.settings.nifi_heap
    corpus.install_references(corpus_dir, instance.settings.references_dir)


def write(report: dict[str, Any], bench_dir: Path) -> Path:
    """latest.json, and a copy under runs/ named by start time and run id."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_safe(report), indent=2, sort_keys=True, default=str) + "\n"
    latest = bench_dir / "latest.json"
    latest.write_text(text)
    runs = bench_dir / "runs"
    runs.mkdir(exist_ok=True)
    (runs / f"{report['started_at'].replace(':', '')}-{report['run_id']}.json").write_text(text)
    return latest


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    default = ["throughput"] if args.quick else [s for s in SECTIONS if s not in ON_REQUEST]
    sections = [s for s in args.sections.split(",") if s] or default
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if "cluster" in sections and args.attach:
        raise SystemExit("the cluster section starts instances of its own: it does not --attach")
    try:
        properties = parse_properties(args.nifi_property)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    bench_dir = load().data_dir / "bench"
    corpus_dir = bench_dir / "corpus"
    plan = plan_from(args)
    runid = "b" + secrets.token_hex(3)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": runid,
        "quick": args.quick,
        "sections": sections,
        "machine": machine_info(),
        "plan": plan.__dict__,
    }
    started = time.monotonic()
    report["steps"] = [step.name for step in steps.STEPS]
    report["steps_unlisted"] = steps.unlisted()
    if report["steps_unlisted"]:
        log(
            f"flow_steps has steps the bench does not run: {', '.join(report['steps_unlisted'])} "
            "(add them to bench.steps.STEPS, or to NOT_PER_FILE)"
        )

    if "throughput" in sections or "latency" in sections:
        for clip_set in corpus.throughput_sets(args.quick):
            log(f"corpus {clip_set.name}: {min(plan.files, clip_set.count)} clips")
            corpus.ensure(
                corpus_dir,
                ClipSet(
                    clip_set.name, clip_set.kind, clip_set.seconds, min(plan.files, clip_set.count), clip_set.references
                ),
            )
    instance: Instance | None = None
    try:
        if {"throughput", "latency", "scaling", "transcription"} & set(sections):
            instance = open_instance(args, bench_dir, properties)
            prepare(instance, corpus_dir, args.workers, report)
            if "throughput" in sections:
                throughput.run(instance, plan, corpus_dir, args.workers, bench_dir, runid, report)
            if "latency" in sections:
                latency.run(instance, plan, corpus_dir, runid, report)
            if "scaling" in sections:
                scaling.run(instance, plan, corpus_dir, bench_dir, runid, report)
            if "transcription" in sections:
                transcription.run(instance, plan, corpus_dir, runid, report)
        if "fingerprint" in sections:
            fingerprint.run(args.quick, report)
    finally:
        if instance is not None:
            if instance.java_pid is not None:  # after the runs: NiFi may start a processor's process lazily
                workers_now = RssSampler(instance.java_pid).python_workers()
                report["python_processes"] = sorted(workers_now.values())
            report["nifi_throttled_writes"] = instance.throttled_writes()
            report["nifi_property_overrides"] = properties
        if instance is not None and instance.private and not args.keep_instance:
            log("stopping the private NiFi")
            stop_private(instance)
    if "cluster" in sections:  # after the private instance stopped: one NiFi at a time on the cores
        cluster.run(plan, corpus_dir, bench_dir, runid, args.rounds, report)
    report["duration_s"] = time.monotonic() - started
    latest = write(report, bench_dir)
    print(render(report))
    log(f"done in {report['duration_s']:.0f} s; figures in {latest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
