"""bench.sections.cluster: the start phases, CPU per audio second, ratios and the sizing inputs."""

from __future__ import annotations

import pytest

from bench.cpu import Usage
from bench.figures import Throughput
from bench.report import render
from bench.sections import cluster
from bench.sections.cluster import Run

CLUSTER_TIMINGS = {
    "wall_s": 130.0,
    "setup": 1.0,
    "serving_up": 4.0,
    "zookeeper_up": 2.0,
    "postgres_up": 3.0,
    "nodes_connected": 80.0,
    "flow_running": 110.0,
    "prometheus_up": 1.0,
    "pushgateway_up": 0.5,
    "ingest-balancer_up": 0.5,
}


def test_start_phases_split_scripts_run_timings_at_nifi() -> None:
    phases = cluster.start_phases(CLUSTER_TIMINGS)
    assert phases == {
        "wall_s": 130.0,
        "before_nifi_s": 10.0,
        "nodes_connected_s": 80.0,
        "flow_running_s": 110.0,
        "after_flow_s": 2.0,
    }
    standalone = cluster.start_phases(
        {"wall_s": 50.0, "setup": 1.0, "serving_up": 4.0, "nifi_up": 30.0, "flow_running": 40.0}
    )
    assert (standalone["before_nifi_s"], standalone["nodes_connected_s"], standalone["after_flow_s"]) == (5.0, 30.0, 0)
    assert cluster.start_phases({"wall_s": 9.0}) == {"wall_s": 9.0}  # no timings line: the wall time only


def _usage(groups: dict[str, float], own: float = 1.0, busy: float | None = None) -> Usage:
    busy = sum(groups.values()) + own + 2.0 if busy is None else busy
    return Usage(wall_s=10.0, groups=groups, own_s=own, machine_busy_s=busy, vanished=0)


def _runs() -> list[Run]:
    """Two rounds; 1 node at 20 files/s, 2 nodes at 16 files/s; 2 nodes spend 25 % more CPU."""
    runs = []
    for round_no in (1, 2):
        for clips in ("tones-10s", "speech-10s"):
            runs.append(
                Run(
                    round_no,
                    1,
                    clips,
                    Throughput(files=100, audio_s=1000.0, wall_s=5.0),
                    _usage({"node 1": 40.0, "serving": 10.0, "prometheus": 1.0, "pushgateway": 1.0}),
                )
            )
            runs.append(
                Run(
                    round_no,
                    2,
                    clips,
                    Throughput(files=100, audio_s=1000.0, wall_s=6.25, errors=1),
                    _usage({"node 1": 26.0, "node 2": 24.0, "serving": 10.0, "postgres": 3.0, "zookeeper": 1.0}),
                )
            )
    return runs


def test_cpu_per_audio_s_per_group_nodes_and_services() -> None:
    per = cluster.cpu_per_audio_s([r for r in _runs() if r.nodes == 2 and r.clip_set == "tones-10s"])
    assert per["node 1"] == pytest.approx(0.026)
    assert per["node 2"] == pytest.approx(0.024)
    assert per["nodes"] == pytest.approx(0.05)
    assert per["serving"] == pytest.approx(0.01)
    assert per["other services"] == pytest.approx(0.004)  # PostgreSQL + ZooKeeper, not the model server
    assert per["bench client"] == pytest.approx(0.001)
    assert per["other processes"] == pytest.approx(0.002)
    assert cluster.cpu_per_audio_s([]) == {}


def test_idle_cores_per_node_is_the_mean_over_nodes_and_rounds() -> None:
    idles = [
        {"nodes": 2, "wall_s": 10.0, "groups_cpu_s": {"node 1": 0.2, "node 2": 0.4, "serving": 5.0}},
        {"nodes": 2, "wall_s": 10.0, "groups_cpu_s": {"node 1": 0.3, "node 2": 0.3}},
        {"nodes": 1, "wall_s": 10.0, "groups_cpu_s": {"node 1": 0.1}},
    ]
    assert cluster.idle_cores_per_node(idles, 2) == pytest.approx(0.03)
    assert cluster.idle_cores_per_node(idles, 1) == pytest.approx(0.01)
    assert cluster.idle_cores_per_node([], 2) == 0.0


def test_figures_compare_the_modes_and_feed_the_sizing() -> None:
    idles = [{"nodes": 2, "wall_s": 10.0, "groups_cpu_s": {"node 1": 0.5, "node 2": 0.5}}]
    figures = cluster.figures_of(_runs(), idles)
    assert figures["throughput"]["tones-10s"]["1 node"]["audio_s_per_s"] == pytest.approx(200.0)
    assert figures["throughput"]["tones-10s"]["2 nodes"]["audio_s_per_s"] == pytest.approx(160.0)
    assert figures["throughput"]["speech-10s"]["2 nodes"]["errors"] == 2
    assert figures["ratio_2_nodes_to_1_node"]["combined workload"] == pytest.approx(0.8)
    assert figures["ratio_2_nodes_to_1_node_by_round"] == {"1": pytest.approx(0.8), "2": pytest.approx(0.8)}
    assert figures["cpu_ratio_2_nodes_to_1_node"]["speech-10s"] == pytest.approx(1.25)
    assert figures["nodes_cpu_ms_per_file"]["tones-10s"]["2 nodes"] == pytest.approx(500.0)
    assert figures["idle_cores_per_node"]["2 nodes"] == pytest.approx(0.05)
    tones, speech = figures["sizing"]["costs"]
    assert speech["workload"] == "speech-10s"
    assert tones == {
        "workload": "tones-10s",
        "nodes": pytest.approx(0.05),
        "model_server": pytest.approx(0.01),
        "shared": pytest.approx(0.004),
        "idle_cores_per_node": pytest.approx(0.05),
    }
    rows = figures["sizing"]["rows"]
    assert len(rows) == 4  # 2 workloads × 100 and 1,000 h / h
    assert rows[0]["nifi_cores"] == pytest.approx(5.0) and rows[0]["nodes_8"] == 1
    assert rows[1]["nifi_cores"] == pytest.approx(50.0) and rows[1]["nodes_8"] == 10  # 50 / 5.55


def test_report_renders_the_cluster_section() -> None:
    idles = [{"nodes": 2, "wall_s": 10.0, "groups_cpu_s": {"node 1": 0.5, "node 2": 0.5}}]
    runs = _runs()
    report = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "machine": {"cpu_model": "Test CPU", "cores": 2, "ram_gb": 24.0, "load_average": "0.1"},
        "cluster": {
            "rounds": 2,
            "files_per_run": 100,
            "warmup_files_per_node": 60,
            "concurrency": 8,
            "nifi_heap_per_node": "2g",
            "starts": [
                {"round": 1, "nodes": 2, "kind": "first start (new data dir)", **cluster.start_phases(CLUSTER_TIMINGS)}
            ],
            "runs": [r.to_dict() for r in runs],
            "idle": idles,
            **cluster.figures_of(runs, idles),
        },
    }
    text = render(report)
    assert "## Cluster: 1 node and 2 nodes on this machine" in text
    assert "first start (new data dir)" in text
    assert "| all   | both sets" in text and "0.8" in text
    assert "### Sizing a real cluster" in text and "70%" in text
    assert "Targets" not in text  # nothing the targets judge ran
    assert "Python processors" not in text
