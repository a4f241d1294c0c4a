"""The metrics sink against a real Pushgateway and Prometheus (Debian binaries, free ports).

Checks the transport contract of docs/metrics.md: per-worker groups summed by PromQL, a
restarted worker continuing its slot's counters (no double count, no counter reset), the workers
of two cluster nodes kept apart by their node's identity, a crash made visible, and no loss while
the Pushgateway is down.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from audio_pipeline.metrics import environment
from support.metrics_samples import worker_process_env

from pipelinectl import cluster, promql
from pipelinectl import settings as settings_mod
from pipelinectl.services import prometheus as prom
from pipelinectl.settings import Settings


def sink_for(settings: Settings, state_dir: Path | None, component: str, instance: str) -> metrics.MetricsSink:
    return metrics.MetricsSink(
        component,
        pushgateway_url=prom.pushgateway_url(settings),
        state_dir=state_dir,
        instance=instance,
        start_thread=False,
    )


def total(settings: Settings, instance: str, expected: float) -> list[dict]:
    """Wait until Prometheus sees `expected` files in total for `instance`, summed over workers."""
    expr = f'sum(audio_pipeline_files_total{{job="audio_pipeline", instance="{instance}"}})'
    return promql.wait_for_query(settings, expr, lambda r: bool(r) and float(r[0]["value"][1]) == expected)


def record(sink: metrics.MetricsSink, count: int, source: str = "folder") -> None:
    for _ in range(count):
        sink.record_result({attr.SOURCE: source, attr.DURATION_SECONDS: "1.0"}, "ok")


def test_workers_push_separate_groups_summed_by_promql(stack: Settings, tmp_path: Path) -> None:
    a = sink_for(stack, tmp_path, "StoreResult", "sum-test")
    b = sink_for(stack, tmp_path, "StoreResult", "sum-test")
    record(a, 3)
    record(b, 4, source="http")
    assert a.flush() and b.flush()
    total(stack, "sum-test", 7)
    by_worker = promql.query(stack, 'sum by (worker) (audio_pipeline_files_total{instance="sum-test"})')
    assert {r["metric"]["worker"]: float(r["value"][1]) for r in by_worker} == {
        "StoreResult-0": 3,
        "StoreResult-1": 4,
    }
    up = promql.query(stack, 'up{job="pushgateway"}')
    assert up and up[0]["value"][1] == "1"
    a.close()
    b.close()


def test_restart_continues_counters_without_reset_or_double_count(stack: Settings, tmp_path: Path) -> None:
    first = sink_for(stack, tmp_path, "ClassifyAudio", "restart-test")
    record(first, 5)
    first.close()  # final push, state saved clean, group kept
    total(stack, "restart-test", 5)

    second = sink_for(stack, tmp_path, "ClassifyAudio", "restart-test")
    assert second.worker == first.worker
    record(second, 2)
    assert second.flush()
    total(stack, "restart-test", 7)
    resets = promql.query(stack, 'resets(audio_pipeline_files_total{instance="restart-test"}[5m])')
    assert resets and all(float(r["value"][1]) == 0 for r in resets)
    starts = promql.query(
        stack, 'sum by (previous_shutdown) (audio_pipeline_worker_starts_total{instance="restart-test"})'
    )
    assert {r["metric"]["previous_shutdown"]: float(r["value"][1]) for r in starts} == {
        "first": 1,
        "clean": 1,
        "unclean": 0,
    }
    second.close()


def node_sink(node: Settings, component: str) -> metrics.MetricsSink:
    """A sink configured as a process of `node` is: from the environment the node gives NiFi."""
    options = environment.sink_options(node.as_environment())
    return metrics.MetricsSink(component, start_thread=False, **options)  # type: ignore[arg-type]


def test_two_nodes_workers_sum_without_double_count_also_across_a_node_restart(stack: Settings, tmp_path: Path) -> None:
    clustered = dataclasses.replace(stack, data_dir=tmp_path, cluster_nodes=2)
    first, second = cluster.nodes(clustered)
    a, b = node_sink(first, "StoreResult"), node_sink(second, "StoreResult")
    assert a.worker == b.worker == "StoreResult-0"  # each node's own slot dir: the same slot names
    assert a.instance != b.instance and a.pushgateway_url == prom.pushgateway_url(stack)
    nodes = f'instance=~"{a.instance}|{b.instance}"'
    record(a, 3)
    record(b, 4, source="http")
    assert a.flush() and b.flush()

    def by_instance(expected: dict[str, float]) -> None:
        expr = f"sum by (instance) (audio_pipeline_files_total{{{nodes}}})"
        promql.wait_for_query(
            stack, expr, lambda r: {s["metric"]["instance"]: float(s["value"][1]) for s in r} == expected
        )

    by_instance({a.instance: 3, b.instance: 4})
    b.close()  # node 2 stops: its group stays, with its final values
    restarted = node_sink(second, "StoreResult")  # and starts again: same identity, same slot
    assert (restarted.instance, restarted.worker, restarted.previous_shutdown) == (b.instance, b.worker, "clean")
    record(restarted, 2, source="http")
    assert restarted.flush()
    by_instance({a.instance: 3, b.instance: 6})
    assert float(promql.query(stack, f"sum(audio_pipeline_files_total{{{nodes}}})")[0]["value"][1]) == 9
    resets = promql.query(stack, f"resets(audio_pipeline_files_total{{{nodes}}}[5m])")
    assert resets and all(float(r["value"][1]) == 0 for r in resets)
    a.close()
    restarted.close()


CRASHING_WORKER = textwrap.dedent(
    """
    import sys, time
    from audio_pipeline import metrics
    metrics.configure("Crashy", env={"METRICS_STATE_DIR": sys.argv[1], "PUSHGATEWAY_URL": sys.argv[2],
                                     "METRICS_INSTANCE": "crash-test", "METRICS_PUSH_INTERVAL_SECONDS": "600"})
    for _ in range(6):
        metrics.record_result({"audio.source": "folder"}, "ok")
    assert metrics.flush()
    metrics.record_result({"audio.source": "folder"}, "ok")  # recorded after the last save
    print("recorded", flush=True)
    time.sleep(60)
    """
)


def test_sigkilled_worker_keeps_saved_counts_and_reports_the_loss(stack: Settings, tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, str(tmp_path), prom.pushgateway_url(stack)],
        stdout=subprocess.PIPE,
        text=True,
        env=worker_process_env(),
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "recorded"
    worker.send_signal(signal.SIGKILL)  # what NiFi does to Python processes on shutdown
    worker.wait(timeout=10)
    total(stack, "crash-test", 6)  # the group keeps the last pushed values

    successor = sink_for(stack, tmp_path, "Crashy", "crash-test")
    assert successor.previous_shutdown == "unclean"
    record(successor, 1)
    assert successor.flush()
    total(stack, "crash-test", 7)
    lost = promql.wait_for_query(
        stack,
        'sum(audio_pipeline_worker_starts_total{instance="crash-test", previous_shutdown="unclean"})',
        lambda r: bool(r) and float(r[0]["value"][1]) == 1,
    )
    assert lost
    resets = promql.query(stack, 'resets(audio_pipeline_files_total{instance="crash-test"}[5m])')
    assert resets and all(float(r["value"][1]) == 0 for r in resets)
    successor.close()


def test_pushgateway_outage_loses_nothing(stack: Settings, tmp_path: Path) -> None:
    sink = sink_for(stack, tmp_path, "DecodeAudio", "outage-test")
    record(sink, 2)
    assert sink.flush()
    total(stack, "outage-test", 2)

    pushgateway = prom.pushgateway_service(stack)
    assert pushgateway.stop() is True
    assert not pushgateway.is_running()
    assert pushgateway.stop() is False
    record(sink, 3)
    assert sink.flush() is False
    assert sink.push_failures == 1 and sink.last_push_error

    pushgateway.start()  # its persistence file restores the groups
    with urllib.request.urlopen(f"{prom.pushgateway_url(stack)}/metrics", timeout=5) as response:
        assert b'instance="outage-test"' in response.read()
    assert sink.flush()
    total(stack, "outage-test", 5)
    sink.close()


def test_lifecycle_helpers(stack: Settings, tmp_path: Path) -> None:
    for service in prom.services(stack):
        assert service.is_running()
        assert service.is_ready()
        assert service.pid_file.exists()
        assert service.log_file.exists()
    pushgateway = prom.pushgateway_service(stack)
    pid = pushgateway.pid()
    assert pushgateway.start() == pid  # idempotent
    promql.wait_for_query(stack, 'up{job="pushgateway"} == 1')
    assert promql.targets_up(stack)["pushgateway"] == "up"

    # A stale pid file (a recycled pid of an unrelated process) does not count as running.
    idle = settings_mod.load({"PIPELINE_DATA_DIR": str(tmp_path)})
    prometheus = prom.prometheus_service(idle)
    prometheus.pid_file.parent.mkdir(parents=True)
    prometheus.pid_file.write_text(f"{os.getpid()}\n")
    assert not prometheus.is_running()
    assert prometheus.stop() is False
    assert not prometheus.pid_file.exists()
