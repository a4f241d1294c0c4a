"""./scripts/bench: throughput, latency, scaling and memory of the pipeline on NiFi, against the same steps
without NiFi (a plain-Python process pool) and the NiFi 1.x way (ExecuteStreamCommand, a script per file).

Sections (all by default; --quick runs `throughput` with fewer files):

    throughput   10 s clips without and with PESQ references, fed over HTTP at saturation, through the
                 NiFi flow, the plain-Python baseline and the ExecuteStreamCommand flow
    latency      POST accepted -> result written, open-loop arrivals at 50 % and 90 % of saturation
    scaling      1 s .. 1 h clips one at a time: time, NiFi JVM and Python worker peak RSS
    fingerprint  catalog query time with 10, 100 and 1,000 tracks (if audio_pipeline.fingerprint_index exists)

It starts a private NiFi (free ports, data in $PIPELINE_DATA_DIR/bench/instance, stopped at the end)
unless --attach is given, which uses the instance the environment's settings name. The corpus is
generated once into $PIPELINE_DATA_DIR/bench/corpus. Output: a Markdown report on stdout and
$PIPELINE_DATA_DIR/bench/latest.json. Targets are printed next to the figures, never asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.util
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import corpus as bench_corpus
from bench import execute_stream_command as bench_esc
from bench import load as bench_load
from bench import memory as bench_memory
from bench import report as bench_report
from bench import steps as bench_steps
from bench.corpus import Clip, ClipSet
from bench.instance import (
    Instance,
    attach,
    parse_properties,
    start_private,
    stop_data_dir,
    stop_private,
)
from bench.load import OutcomeWatcher, Send, Sent
from bench.report import Throughput
from pipelinectl import flow
from pipelinectl.nifi import flow_groups
from pipelinectl.ports import free_port
from pipelinectl.settings import load

SECTIONS = ("throughput", "latency", "scaling", "fingerprint")
LATENCY_LOADS = (0.5, 0.9)
LATENCY_SET = 1  # index in bench_corpus.throughput_sets: the speech clips, every step runs
FINGERPRINT_SIZES = (10, 100, 1000)
# Files each way processes before it is timed. NiFi's JVM is started by the bench, and until its JIT
# has compiled the hot paths (py4j's base64 codec, sessions, repositories) it runs at two thirds of
# its steady rate: 4 warm-up files measured a cold JVM. Every way gets the same count.
WARMUP_FILES = 60


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- one measured run -------------------------------------------------------------------------------


def sends_for(clips: list[Clip], prefix: str, count: int) -> list[Send]:
    """`count` sends cycling through the clips, each with a unique name starting with `prefix`."""
    return [
        Send(f"{prefix}{i:05d}{clip.path.suffix}", clip.path, clip.seconds, clip.reference)
        for i, clip in ((i, clips[i % len(clips)]) for i in range(count))
    ]


def measure(sent: list[Sent], watcher: OutcomeWatcher) -> Throughput:
    """First POST to the last file's (first) outcome; lost, duplicated and failed files counted."""
    by_name = watcher.by_name()
    done = [s for s in sent if s.send.name in by_name]
    if not done:
        return Throughput(files=0, audio_s=0.0, wall_s=float("nan"), missing=len(sent))
    first = min(s.started for s in sent)
    last = max(min(o.mtime for o in by_name[s.send.name]) for s in done)
    return Throughput(
        files=len(done),
        audio_s=sum(s.send.seconds for s in done),
        wall_s=last - first,
        errors=watcher.errors(),
        missing=len(sent) - len(done),
        duplicates=sum(1 for s in done if len(by_name[s.send.name]) > 1),
    )


def run_http(
    url: str, folders: list[Path], prefix: str, sends: list[Send], concurrency: int, rate: float | None = None
) -> tuple[list[Sent], OutcomeWatcher]:
    """POST the sends (named `prefix`...; closed loop, or open loop at `rate` files/s), wait for their outcomes."""
    watcher = OutcomeWatcher(folders, prefix)
    if rate is None:
        sent = bench_load.closed_loop(url, sends, concurrency)
    else:
        sent = bench_load.open_loop(url, sends, rate, concurrency)
    refused = [s for s in sent if not s.accepted]
    if refused:
        log(f"{len(refused)} of {len(sent)} POSTs never accepted ({refused[0].error})")
    longest = max(s.seconds for s in sends)
    watcher.wait({s.send.name for s in sent if s.accepted}, idle_timeout_s=120 + 0.25 * longest)
    return sent, watcher


def warm_up(url: str, folders: list[Path], clips: list[Clip], prefix: str, concurrency: int, count: int) -> None:
    """`count` files first, so that first-use costs (imports, JIT compilation, caches) are not measured."""
    if count <= 0:
        return
    _, watcher = run_http(url, folders, prefix, sends_for(clips, prefix, count), concurrency)
    watcher.remove_files()


def nifi_folders(instance: Instance) -> list[Path]:
    return [instance.settings.results_dir, instance.settings.quarantine_dir]


# -- plain-Python baseline ----------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(references_dir: str, out_dir: str, database_url: str, environment: dict[str, str]) -> None:
    os.environ.update(environment)  # the instance's settings (e.g. its Pushgateway), as NiFi's workers get them
    _worker.update(context=bench_steps.StepContext(Path(references_dir), database_url), out=Path(out_dir))
    # Pool workers skip atexit. Like a processor's onStopped: save and push the counts when the worker
    # ends (else the next run's workers report them lost).
    from audio_pipeline import metrics

    multiprocessing.util.Finalize(None, metrics.close, exitpriority=10)


def _work(job: tuple[str, str | None]) -> bool:
    path, reference = job
    return bench_steps.process_file(Path(path), _worker["out"], reference, _worker["context"])


def _ready(_: int) -> bool:
    return bool(_worker)


def database_url(path: Path) -> str:
    """A fresh SQLite database for the steps that need one (each way of running gets its own)."""
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def baseline(
    clips: list[Clip],
    count: int,
    workers: int,
    references_dir: Path,
    out_dir: Path,
    database: str,
    environment: dict[str, str],
    warmup: int,
) -> Throughput:
    """The same steps in a pool of `workers` processes (warm, like NiFi's), reading files from disk and
    writing one JSON per file; first submit to last result."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    jobs = [(str(clips[i % len(clips)].path), clips[i % len(clips)].reference) for i in range(count)]
    seconds = sum(clips[i % len(clips)].seconds for i in range(count))
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=_init_worker, initargs=(str(references_dir), str(out_dir), database, environment)
    ) as pool:
        pool.map(_ready, range(workers * 4))  # every worker up and its imports done
        warmup_jobs = [jobs[i % len(jobs)] for i in range(max(warmup, workers))]  # lazy imports, databases
        pool.map(_work, warmup_jobs, chunksize=1)
        started = time.time()
        ok = list(pool.imap_unordered(_work, jobs, chunksize=1))
        wall = time.time() - started
        pool.close()  # the workers end on their own (and run their finalizers) instead of being terminated
        pool.join()
    # Cycling through the clips reuses names: one output per clip name, so count the calls instead.
    return Throughput(files=count, audio_s=seconds, wall_s=wall, errors=ok.count(False))


# -- sections -----------------------------------------------------------------------------------------


@dataclass
class Plan:
    quick: bool
    files: int
    esc_files: int
    concurrency: int
    warmup_files: int
    latency_seconds: float
    lengths: tuple[float, ...] | None


def python_processors_used(instance: Instance) -> list[str]:
    """The flow's Python processors that took FlowFiles in NiFi's last five minutes (the bench's files
    pass through them; the catalog path's processors stay idle), plus one entry per worker process
    such a processor runs itself (a property named "... Worker Processes", e.g. ScoreSpeechQuality's
    PESQ pool), so that the baseline gets as many processes as the flow uses."""
    used = []
    for processor in flow_groups.python_processors(flow.client(instance.settings), instance.group_id):
        snapshot = (processor.get("status") or {}).get("aggregateSnapshot") or {}
        if (snapshot.get("flowFilesIn") or 0) > 0 or (snapshot.get("taskCount") or 0) > 0:
            name = processor["component"]["name"]
            used.append(name)
            properties = (processor["component"].get("config") or {}).get("properties") or {}
            used += [
                f"{name}: {key} {i + 1}"
                for key, value in properties.items()
                if key.endswith("Worker Processes")
                for i in range(int(value or 0))
            ]
    return sorted(used)


def section_throughput(
    instance: Instance, plan: Plan, corpus: Path, workers: int, bench_dir: Path, runid: str, report: dict[str, Any]
) -> None:
    """Saturation of the NiFi flow, the plain-Python pool and ExecuteStreamCommand on both 10 s sets.

    `workers` 0: as many as the Python processor instances the files pass through (seen after the
    first NiFi run)."""
    settings = instance.settings
    results: dict[str, dict[str, Throughput]] = {}
    esc_results = bench_dir / "esc-results"
    esc_results.mkdir(parents=True, exist_ok=True)
    nifi = flow.client(settings)
    esc_port = free_port()
    values = bench_esc.parameter_values(
        esc_port, esc_results, settings.references_dir, database_url(bench_dir / "esc.db")
    )
    esc_group = flow_groups.deploy(
        nifi, flow.read_flow(bench_esc.FLOW_FILE), bench_esc.GROUP_NAME, bench_esc.PARAMETER_CONTEXT, values
    )
    try:
        for clip_set in bench_corpus.throughput_sets(plan.quick):
            clips = bench_corpus.ensure(
                corpus,
                ClipSet(
                    clip_set.name,
                    clip_set.kind,
                    clip_set.seconds,
                    min(plan.files, clip_set.count) or 1,
                    clip_set.references,
                ),
            )
            by_way: dict[str, Throughput] = {}
            log(f"{clip_set.name}: NiFi flow, {plan.files} files")
            warm_up(
                instance.ingest_url,
                nifi_folders(instance),
                clips,
                f"{runid}-warm-{clip_set.name}-",
                plan.concurrency,
                plan.warmup_files,
            )
            prefix = f"{runid}-nifi-{clip_set.name}-"
            sent, watcher = run_http(
                instance.ingest_url,
                nifi_folders(instance),
                prefix,
                sends_for(clips, prefix, plan.files),
                plan.concurrency,
            )
            by_way["NiFi"] = measure(sent, watcher)
            watcher.remove_files()
            if "python_processors_used" not in report:  # after the first NiFi run
                report["python_processors_used"] = python_processors_used(instance)
                workers = workers or len(report["python_processors_used"]) or len(report["python_processors"]) or 1
                report["workers"] = workers
                run = flow_groups.processor_named(nifi, esc_group, bench_esc.RUN_PROCESSOR)
                flow_groups.set_concurrent_tasks(nifi, run, workers)  # the ESC group is stopped until its turn
            log(f"  {by_way['NiFi'].audio_s_per_s:.1f} audio s/s; plain-Python baseline, {workers} processes")
            by_way["plain Python"] = baseline(
                clips,
                plan.files,
                workers,
                settings.references_dir,
                bench_dir / "baseline-results",
                database_url(bench_dir / "baseline.db"),
                settings.as_environment(),
                plan.warmup_files,
            )
            log(
                f"  {by_way['plain Python'].audio_s_per_s:.1f} audio s/s; ExecuteStreamCommand, "
                f"{plan.esc_files} files, {workers} concurrent tasks"
            )
            flow.start(settings, esc_group)
            esc_url = f"http://127.0.0.1:{esc_port}/audio"
            warm_up(
                esc_url, [esc_results], clips, f"{runid}-escwarm-{clip_set.name}-", plan.concurrency, plan.warmup_files
            )
            prefix = f"{runid}-esc-{clip_set.name}-"
            sent, watcher = run_http(
                esc_url, [esc_results], prefix, sends_for(clips, prefix, plan.esc_files), plan.concurrency
            )
            by_way["ExecuteStreamCommand"] = measure(sent, watcher)
            log(f"  {by_way['ExecuteStreamCommand'].audio_s_per_s:.1f} audio s/s")
            watcher.remove_files()
            flow_groups.stop(nifi, esc_group)
            results[clip_set.name] = by_way
    finally:
        flow_groups.remove(nifi, esc_group)
        flow_groups.remove_parameter_context(nifi, bench_esc.PARAMETER_CONTEXT)
        log("ExecuteStreamCommand group removed")
    report["throughput"] = {name: {way: t.to_dict() for way, t in ways.items()} for name, ways in results.items()}
    overall = {
        way: bench_report.combined([ways[way] for ways in results.values()])
        for way in ("NiFi", "plain Python", "ExecuteStreamCommand")
    }
    report["nifi_audio_s_per_s"] = overall["NiFi"].audio_s_per_s
    report["baseline_audio_s_per_s"] = overall["plain Python"].audio_s_per_s
    report["execute_stream_command_audio_s_per_s"] = overall["ExecuteStreamCommand"].audio_s_per_s
    report["nifi_files_per_s"] = overall["NiFi"].files_per_s
    report["ratio_nifi_to_baseline"] = bench_report.ratio(
        overall["NiFi"].audio_s_per_s, overall["plain Python"].audio_s_per_s
    )
    report["ratio_nifi_to_execute_stream_command"] = bench_report.ratio(
        overall["NiFi"].audio_s_per_s, overall["ExecuteStreamCommand"].audio_s_per_s
    )
    # What NiFi / ExecuteStreamCommand would be if NiFi cost nothing over the same steps in plain Python.
    report["ratio_baseline_to_execute_stream_command"] = bench_report.ratio(
        overall["plain Python"].audio_s_per_s, overall["ExecuteStreamCommand"].audio_s_per_s
    )


def section_latency(instance: Instance, plan: Plan, corpus: Path, runid: str, report: dict[str, Any]) -> None:
    clip_set = bench_corpus.throughput_sets(plan.quick)[LATENCY_SET]
    clips = bench_corpus.ensure(corpus, clip_set)
    saturation = (report.get("throughput", {}).get(clip_set.name, {}).get("NiFi") or {}).get("files_per_s")
    if not saturation:
        log(f"latency: measuring saturation first ({clip_set.name})")
        warm_up(
            instance.ingest_url,
            nifi_folders(instance),
            clips,
            f"{runid}-warm-lat-",
            plan.concurrency,
            plan.warmup_files,
        )
        prefix = f"{runid}-sat-"
        sent, watcher = run_http(
            instance.ingest_url,
            nifi_folders(instance),
            prefix,
            sends_for(clips, prefix, min(plan.files, 60)),
            plan.concurrency,
        )
        saturation = measure(sent, watcher).files_per_s
        watcher.remove_files()
    report["latency_clips"] = f"{clip_set.name}, saturation {saturation:.2f} files/s"
    report["latency"] = {}
    for fraction in LATENCY_LOADS:
        rate = fraction * saturation
        count = max(20, round(rate * plan.latency_seconds))
        log(f"latency at {fraction:.0%} load: {rate:.2f} files/s, {count} files")
        prefix = f"{runid}-lat{round(fraction * 100)}-"
        sent, watcher = run_http(
            instance.ingest_url,
            nifi_folders(instance),
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
        summary = bench_report.latency_summary(latencies)
        summary |= {
            "rate_files_per_s": rate,
            "late_sends": bench_load.late_sends(sent),
            "missing": count - len(latencies),
        }
        report["latency"][f"{fraction:.0%}"] = summary
        watcher.remove_files()
        log(f"  p50 {summary['p50_s']:.3f} s, p99 {summary['p99_s']:.3f} s")


def _plain_python_once(path: Path, references_dir: Path, database: str, env: dict[str, str]) -> dict[str, float]:
    """The steps on one file in a fresh process (the ExecuteStreamCommand worker): seconds of the steps
    alone, of the whole process (start and imports too), and the process's peak RSS in MB."""
    started = time.monotonic()
    with open(path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                str(bench_esc.WORKER_SCRIPT),
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
    steps = [float(line.partition("=")[2]) for line in lines if line.startswith("steps_s=")]
    return {
        "steps_s": steps[-1] if steps else float("nan"),
        "process_s": time.monotonic() - started,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def section_scaling(
    instance: Instance, plan: Plan, corpus: Path, bench_dir: Path, runid: str, report: dict[str, Any]
) -> None:
    pid = instance.java_pid
    if pid is None:
        log("scaling: no NiFi pid known (attached to an instance without our pid file); memory not measured")
    rows = []
    sampler = bench_memory.RssSampler(pid) if pid is not None else None
    if sampler is not None:
        sampler.__enter__()
    try:
        for label, clip_set in bench_corpus.scaling_sets(plan.lengths):
            log(f"scaling: {label}, generating/using {clip_set.count} file(s)")
            clips = bench_corpus.ensure(corpus, clip_set)
            if sampler is not None:
                sampler.reset()
            times = []
            errors: list[str] = []
            for i, clip in enumerate(clips):
                prefix = f"{runid}-len{clip_set.seconds:g}-{i}-"
                sent, watcher = run_http(
                    instance.ingest_url, nifi_folders(instance), prefix, sends_for([clip], prefix, 1), 1
                )
                outcome = watcher.by_name().get(sent[0].send.name)
                times.append(min(o.mtime for o in outcome) - sent[0].started if outcome else float("nan"))
                if watcher.errors():
                    errors += watcher.error_reasons()
                    log(f"  {clip.name} ended in error: {', '.join(watcher.error_reasons())}")
                watcher.remove_files()
            peaks = sampler.peaks() if sampler is not None else {}
            database = database_url(bench_dir / "scaling.db")
            env = dict(os.environ) | instance.settings.as_environment()
            plain = [_plain_python_once(clip.path, instance.settings.references_dir, database, env) for clip in clips]
            worker_peak, worker_name = bench_memory.peak_of_python_workers(peaks)
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
    report["scaling_incremental_s_per_audio_s"] = bench_report.incremental_slopes(points)
    report["scaling_linearity"] = bench_report.linearity(points)
    hour = [r for r in rows if r["seconds"] >= 3599]
    if hour:
        report["one_hour_max_python_worker_rss_mb"] = hour[0]["python_worker_peak_rss_mb"]
    report["peak_memory"] = {
        "jvm_rss_mb": max((r["jvm_peak_rss_mb"] for r in rows), default=float("nan")),
        "python_worker_rss_mb": max((r["python_worker_peak_rss_mb"] for r in rows), default=float("nan")),
    }


def section_fingerprint(quick: bool, report: dict[str, Any]) -> None:
    """Query time of 10 s excerpts against catalogs of 10, 100 and 1,000 tracks (temporary SQLite), with
    the track generators of bench_fingerprint: 10 catalog tracks of 30 s the queries come from, the rest
    10 s fillers."""
    try:
        from audio_pipeline.database import Database
        from audio_pipeline.fingerprint_index import FingerprintIndex

        from bench import fingerprint_accuracy as bench_fingerprint
    except ImportError as error:
        report["fingerprint"] = f"not available ({error})"
        log(report["fingerprint"])
        return
    import numpy as np

    rate = bench_fingerprint.RATE
    queries = 20 if quick else 50
    found: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(6)
    with tempfile.TemporaryDirectory(prefix="bench-fp-") as tmp:
        index = FingerprintIndex(Database(f"sqlite:///{tmp}/catalog.db"))
        try:
            sources = [bench_fingerprint.catalog_track(i, 30.0) for i in range(FINGERPRINT_SIZES[0])]
            for i, samples in enumerate(sources):
                index.register_track(f"track-{i:04d}", samples, rate)
            registered = len(sources)
            with multiprocessing.get_context("spawn").Pool(min(2, os.cpu_count() or 1)) as pool:
                for size in FINGERPRINT_SIZES:
                    jobs = [(k, 10.0) for k in range(registered, size)]
                    for (k, _), samples in zip(jobs, pool.imap(_filler_track, jobs, chunksize=8), strict=True):
                        index.register_track(f"filler-{k:04d}", samples, rate)
                    registered = max(registered, size)
                    log(f"fingerprint: {registered} tracks indexed, {queries} queries")
                    times = []
                    for _ in range(queries):
                        source = sources[int(rng.integers(len(sources)))]
                        start = int(rng.integers(0, len(source) - 10 * rate))
                        started = time.perf_counter()
                        index.match(source[start : start + 10 * rate], rate)
                        times.append(time.perf_counter() - started)
                    found[str(size)] = {
                        "p50_ms": 1000 * bench_report.percentile(times, 50),
                        "p95_ms": 1000 * bench_report.percentile(times, 95),
                        "queries": queries,
                    }
        finally:
            index.close()
    report["fingerprint"] = found


def _filler_track(job: tuple[int, float]) -> Any:
    from bench import fingerprint_accuracy as bench_fingerprint

    return bench_fingerprint.filler_track(*job)


# -- main ----------------------------------------------------------------------------------------------


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
    parser.add_argument("--latency-seconds", type=float, default=0.0, help="duration of each latency run")
    lengths = ",".join(f"{seconds:g}" for _, seconds, _ in bench_corpus.SCALING_LENGTHS)
    parser.add_argument("--lengths", default="", help=f"scaling: clip lengths in seconds (default {lengths})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sections = [s for s in args.sections.split(",") if s] or (["throughput"] if args.quick else list(SECTIONS))
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    try:
        properties = parse_properties(args.nifi_property)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    user = load()
    bench_dir = user.data_dir / "bench"
    corpus = bench_dir / "corpus"
    plan = Plan(
        quick=args.quick,
        files=args.files or (60 if args.quick else 120),
        esc_files=args.esc_files or (30 if args.quick else 60),
        concurrency=args.concurrency,
        warmup_files=args.warmup_files,
        latency_seconds=args.latency_seconds or (30.0 if args.quick else 60.0),
        lengths=tuple(float(x) for x in args.lengths.split(",") if x) or None,
    )
    runid = "b" + secrets.token_hex(3)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": runid,
        "quick": args.quick,
        "sections": sections,
        "machine": bench_report.machine_info(),
        "plan": plan.__dict__,
    }
    started = time.monotonic()
    report["steps"] = [step.name for step in bench_steps.STEPS]
    report["steps_unlisted"] = bench_steps.unlisted()
    if report["steps_unlisted"]:
        log(
            f"flow_steps has steps the bench does not run: {', '.join(report['steps_unlisted'])} "
            "(add them to bench.steps.STEPS, or to NOT_PER_FILE)"
        )

    if "throughput" in sections or "latency" in sections:
        for clip_set in bench_corpus.throughput_sets(args.quick):
            log(f"corpus {clip_set.name}: {min(plan.files, clip_set.count)} clips")
            bench_corpus.ensure(
                corpus,
                ClipSet(
                    clip_set.name, clip_set.kind, clip_set.seconds, min(plan.files, clip_set.count), clip_set.references
                ),
            )
    instance: Instance | None = None
    try:
        if {"throughput", "latency", "scaling"} & set(sections):
            if args.attach:
                instance = attach()
            else:
                data_dir = bench_dir / "instance"
                if args.fresh_instance and data_dir.exists():
                    stop_data_dir(data_dir)  # a --keep-instance NiFi must not outlive its pid files
                    shutil.rmtree(data_dir)
                log(f"starting a private NiFi in {data_dir}")
                instance = start_private(data_dir, properties, log)
            instance.mark_log()
            nifi = flow.client(instance.settings)
            python = flow_groups.python_processors(nifi, instance.group_id)
            report["python_processors"] = sorted(p["component"]["name"] for p in python)
            report["workers"] = args.workers or None  # else set by section_throughput
            report["nifi_heap"] = instance.settings.nifi_heap
            references = bench_corpus.references_dir(corpus)
            instance.settings.references_dir.mkdir(parents=True, exist_ok=True)
            for reference in references.glob("*.wav") if references.exists() else []:
                shutil.copyfile(reference, instance.settings.references_dir / reference.name)
            if "throughput" in sections:
                section_throughput(instance, plan, corpus, args.workers, bench_dir, runid, report)
            if "latency" in sections:
                section_latency(instance, plan, corpus, runid, report)
            if "scaling" in sections:
                section_scaling(instance, plan, corpus, bench_dir, runid, report)
        if "fingerprint" in sections:
            section_fingerprint(args.quick, report)
    finally:
        if instance is not None:
            if instance.java_pid is not None:  # after the runs: NiFi may start a processor's process lazily
                workers_now = bench_memory.RssSampler(instance.java_pid).python_workers()
                report["python_processes"] = sorted(workers_now.values())
            report["nifi_throttled_writes"] = instance.throttled_writes()
            report["nifi_property_overrides"] = properties
        if instance is not None and instance.private and not args.keep_instance:
            log("stopping the private NiFi")
            stop_private(instance)
    report["duration_s"] = time.monotonic() - started
    bench_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(bench_report.json_safe(report), indent=2, sort_keys=True, default=str) + "\n"
    (bench_dir / "latest.json").write_text(text)
    runs = bench_dir / "runs"
    runs.mkdir(exist_ok=True)
    (runs / f"{report['started_at'].replace(':', '')}-{runid}.json").write_text(text)
    print(bench_report.render(report))
    log(f"done in {report['duration_s']:.0f} s; figures in {bench_dir / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
