"""./scripts/soak: feed the pipeline at 120 % of its measured saturation for a while and show what it does.

First a closed-loop probe (--probe-seconds, 8 files kept in the flow) measures the saturation of the
10 s speech clips; then files arrive open loop at --overload × that rate for --duration, each POST tried
once. Reported: accepted / refused (HTTP 503, ListenHTTP's back-pressure answer) / other statuses,
connection errors and timeouts; lost files (accepted, but not exactly one result or quarantined JSON);
the pipeline group's queued FlowFiles, NiFi's heap (after GC: the samples that followed a collection;
per-window minima in the table) and every Python worker's RSS over time, with their slopes over the
second half; p50/p99 latency of accepted files.

It starts the bench's private NiFi (free ports, data in $PIPELINE_DATA_DIR/bench/instance, stopped at
the end) unless --attach is given, which uses the instance the environment's settings name. Output: a
Markdown report on stdout and $PIPELINE_DATA_DIR/soak/latest.json. Targets are printed next to the
figures, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.instance import Instance, start_private, stop_private
from bench.machine import machine_info
from bench.progress import log
from bench.report import json_safe
from bench.soak import run
from bench.soak.figures import parse_duration
from bench.soak.report import render
from pipelinectl.settings import load


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/soak",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--duration", default="10m", help="how long to feed: seconds, or e.g. 90s, 10m, 1h")
    parser.add_argument("--overload", type=float, default=1.2, help="offered rate as a multiple of saturation")
    parser.add_argument(
        "--attach",
        action="store_true",
        help="use the running instance named by the environment (PIPELINE_DATA_DIR, ports)",
    )
    parser.add_argument("--keep-instance", action="store_true", help="leave the private NiFi running")
    parser.add_argument("--probe-seconds", type=float, default=60.0, help="length of the saturation probe")
    parser.add_argument("--saturation", type=float, default=0.0, help="files/s to take as saturation (no probe)")
    parser.add_argument("--arrivals", choices=("even", "poisson"), default="even", help="spacing of the sends")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Poisson arrivals")
    parser.add_argument("--clients", type=int, default=32, help="HTTP client pool of the open-loop feed")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before an unanswered POST is a timeout")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> run.SoakPlan:
    try:
        duration = parse_duration(args.duration)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.overload <= 0:
        raise SystemExit("--overload must be > 0")
    return run.SoakPlan(
        duration_s=duration,
        overload=args.overload,
        probe_s=args.probe_seconds,
        clients=args.clients,
        arrivals=args.arrivals,
        seed=args.seed,
        timeout_s=args.timeout,
        saturation=args.saturation or None,
    )


def write(report: dict[str, Any], soak_dir: Path) -> Path:
    """latest.json, and a copy under runs/ named by start time and run id."""
    text = json.dumps(json_safe(report), indent=2, sort_keys=True, default=str) + "\n"
    runs = soak_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / f"{report['started_at'].replace(':', '')}-{report['run_id']}.json").write_text(text)
    latest = soak_dir / "latest.json"
    latest.write_text(text)
    return latest


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_from(args)
    settings = load()
    runid = "s" + secrets.token_hex(3)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": runid,
        "machine": machine_info(),
    }
    started = time.monotonic()
    instance: Instance | None = None
    try:
        if args.attach:
            instance = run.attached(settings, dict(os.environ))
            report["instance"] = f"attached (NiFi port {settings.nifi_http_port})"
        else:
            data_dir = settings.data_dir / "bench" / "instance"
            log(f"starting a private NiFi in {data_dir}")
            instance = start_private(data_dir, {}, log)
            report["instance"] = f"private ({data_dir})"
        report["nifi_heap"] = instance.settings.nifi_heap
        clips = run.clips(settings.data_dir / "bench" / "corpus", instance.settings.references_dir)
        report |= run.run(instance, clips, plan, runid)
    finally:
        if instance is not None and instance.private and not args.keep_instance:
            log("stopping the private NiFi")
            stop_private(instance)
    report["duration_s"] = time.monotonic() - started
    latest = write(report, settings.data_dir / "soak")
    print(render(report))
    log(f"done in {report['duration_s']:.0f} s; figures in {latest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
