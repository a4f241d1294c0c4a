"""Throughput at saturation of the NiFi flow, the plain-Python baseline and ExecuteStreamCommand, on 10 s
clips without and with PESQ references, and the ratios between them on the combined workload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import baseline, corpus, execute_stream_command
from bench.corpus import ClipSet
from bench.figures import Throughput, combined, ratio
from bench.http_runs import at_saturation
from bench.instance import Instance
from bench.plan import Plan
from bench.progress import log
from bench.steps import fresh_database_url
from pipelinectl import flow
from pipelinectl.nifi import groups
from pipelinectl.ports import free_port

WAYS = ("NiFi", "plain Python", "ExecuteStreamCommand")


def python_processors_used(instance: Instance) -> list[str]:
    """The flow's Python processors that took FlowFiles in NiFi's last five minutes (the bench's files
    pass through them; the catalog path's processors stay idle), plus one entry per worker process
    such a processor runs itself (a property named "... Worker Processes", e.g. ScoreSpeechQuality's
    PESQ pool), so that the baseline gets as many processes as the flow uses."""
    used = []
    for processor in groups.python_processors(flow.client(instance.settings), instance.group_id):
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


def run(
    instance: Instance, plan: Plan, corpus_dir: Path, workers: int, bench_dir: Path, runid: str, report: dict[str, Any]
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
    values = execute_stream_command.parameter_values(
        esc_port, esc_results, settings.references_dir, fresh_database_url(bench_dir / "esc.db")
    )
    esc_group = groups.deploy(
        nifi,
        flow.read_flow(execute_stream_command.FLOW_FILE),
        execute_stream_command.GROUP_NAME,
        execute_stream_command.PARAMETER_CONTEXT,
        values,
    )
    try:
        for clip_set in corpus.throughput_sets(plan.quick):
            clips = corpus.ensure(
                corpus_dir,
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
            by_way["NiFi"] = at_saturation(
                instance.ingest_url,
                instance.outcome_folders,
                clips,
                plan.files,
                plan,
                f"{runid}-warm-{clip_set.name}-",
                f"{runid}-nifi-{clip_set.name}-",
            )
            if "python_processors_used" not in report:  # after the first NiFi run
                report["python_processors_used"] = python_processors_used(instance)
                workers = workers or len(report["python_processors_used"]) or len(report["python_processors"]) or 1
                report["workers"] = workers
                runner = groups.processor_named(nifi, esc_group, execute_stream_command.RUN_PROCESSOR)
                groups.set_concurrent_tasks(nifi, runner, workers)  # the ESC group is stopped until its turn
            log(f"  {by_way['NiFi'].audio_s_per_s:.1f} audio s/s; plain-Python baseline, {workers} processes")
            by_way["plain Python"] = baseline.run(
                clips,
                plan.files,
                workers,
                settings.references_dir,
                bench_dir / "baseline-results",
                fresh_database_url(bench_dir / "baseline.db"),
                settings.as_environment(),
                plan.warmup_files,
            )
            log(
                f"  {by_way['plain Python'].audio_s_per_s:.1f} audio s/s; ExecuteStreamCommand, "
                f"{plan.esc_files} files, {workers} concurrent tasks"
            )
            flow.start(settings, esc_group)
            esc_url = f"http://127.0.0.1:{esc_port}/audio"
            by_way["ExecuteStreamCommand"] = at_saturation(
                esc_url,
                [esc_results],
                clips,
                plan.esc_files,
                plan,
                f"{runid}-escwarm-{clip_set.name}-",
                f"{runid}-esc-{clip_set.name}-",
            )
            log(f"  {by_way['ExecuteStreamCommand'].audio_s_per_s:.1f} audio s/s")
            groups.stop(nifi, esc_group)
            results[clip_set.name] = by_way
    finally:
        groups.remove(nifi, esc_group)
        groups.remove_parameter_context(nifi, execute_stream_command.PARAMETER_CONTEXT)
        log("ExecuteStreamCommand group removed")
    report["throughput"] = {name: {way: t.to_dict() for way, t in ways.items()} for name, ways in results.items()}
    report |= figures(results)


def figures(results: dict[str, dict[str, Throughput]]) -> dict[str, float]:
    """Each way's rate on the combined workload (all audio of all sets over all their time), and the ratios."""
    overall = {way: combined([ways[way] for ways in results.values()]) for way in WAYS}
    nifi_rate, plain_rate, esc_rate = (overall[way].audio_s_per_s for way in WAYS)
    return {
        "nifi_audio_s_per_s": nifi_rate,
        "baseline_audio_s_per_s": plain_rate,
        "execute_stream_command_audio_s_per_s": esc_rate,
        "nifi_files_per_s": overall["NiFi"].files_per_s,
        "ratio_nifi_to_baseline": ratio(nifi_rate, plain_rate),
        "ratio_nifi_to_execute_stream_command": ratio(nifi_rate, esc_rate),
        # What NiFi / ExecuteStreamCommand would be if NiFi cost nothing over the same steps in plain Python.
        "ratio_baseline_to_execute_stream_command": ratio(plain_rate, esc_rate),
    }
