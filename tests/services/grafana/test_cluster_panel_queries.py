"""Cluster mode's monitoring end to end: Prometheus with the config rendered for a 2-node cluster
scrapes both nodes (stand-ins serving NiFi's metrics and cluster resources), the cluster exporter,
the ingest balancer (a real HAProxy) and the Pushgateway the nodes' processors push to; every panel
of the dashboards' cluster row returns data, and the per-node labels of all sources agree."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from audio_pipeline.metrics import environment
from support.fake_nifi import FakeNode, cluster_document, fake_node
from support.monitoring_stack import free_consecutive_ports

from grafana.platform_dashboard import cluster_panels
from pipelinectl import cluster, dashboard_queries, promql
from pipelinectl.ports import free_port
from pipelinectl.services import cluster_exporter, ingest_balancer
from pipelinectl.services import prometheus as prom
from pipelinectl.settings import Settings, load

DASHBOARD = "Audio pipeline platform"


def nifi_metrics(node_id: str, queued: int) -> str:
    """A sliver of a node's /nifi-api/flow/metrics/prometheus: one connection's queue."""
    labels = (
        f'instance="{node_id}",component_type="Connection",component_name="success",component_id="c1",'
        'parent_id="g1",source_id="p1",source_name="DecodeAudio",destination_id="p2",destination_name="ClassifyAudio"'
    )
    return f"# TYPE nifi_amount_items_queued gauge\nnifi_amount_items_queued{{{labels}}} {queued}.0\n"


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Two stand-in nodes, HAProxy, the exporter, Pushgateway and Prometheus for a 2-node cluster."""
    if not (shutil.which("prometheus") and shutil.which("prometheus-pushgateway")):
        pytest.skip("needs Debian packages prometheus and prometheus-pushgateway")
    if not Path(ingest_balancer.HAPROXY_BIN).exists():
        pytest.skip("needs Debian package haproxy")
    web = free_consecutive_ports(2)
    settings = load(
        {
            "PIPELINE_DATA_DIR": str(tmp_path_factory.mktemp("cluster-monitoring")),
            "NIFI_CLUSTER_NODES": "2",
            "NIFI_HTTP_PORT": str(web),
            "PUSHGATEWAY_PORT": str(free_consecutive_ports(2)),  # the exporter takes the next one
            "PROMETHEUS_PORT": str(free_port()),
            "INGEST_HTTP_PORT": str(free_port()),
            "SERVING_REST_PORT": str(free_port()),
        }
    )
    view = cluster_document([web, web + 1], connected=[True, True])
    nodes = [FakeNode(cluster=view, metrics=nifi_metrics(f"node-{i}", 5 * i)) for i in (1, 2)]
    services = [
        ingest_balancer.service(settings, ports=[free_port(), free_port()]),  # its metrics need no backend
        *prom.services(settings, scrape_interval="1s", evaluation_interval="1s"),
        cluster_exporter.service(settings),
    ]
    with contextlib.ExitStack() as stack:
        for port, node in zip((web, web + 1), nodes, strict=True):
            stack.enter_context(fake_node(port, node))
        try:
            for service in services:
                service.start()
            yield settings
        finally:
            for service in reversed(services):
                service.stop()


def push_from_every_node(settings: Settings) -> None:
    """Each node's processors record files twice, so that rate() windows hold a change."""
    sinks = [
        metrics.MetricsSink("StoreResult", start_thread=False, **environment.sink_options(node.as_environment()))  # type: ignore[arg-type]
        for node in cluster.nodes(settings)
    ]
    for round_ in (1, 2):
        for count, sink in enumerate(sinks, start=1):
            for _ in range(count):
                sink.record_result({attr.SOURCE: "http", attr.DURATION_SECONDS: "1.0"}, "ok")
            assert sink.flush()
        expected = round_ * 3
        promql.wait_for_query(
            settings, "sum(audio_pipeline_files_total)", lambda r, n=expected: bool(r) and float(r[0]["value"][1]) == n
        )
        time.sleep(1.5)  # one more scrape after the change
    for sink in sinks:
        sink.close()


def test_every_scrape_job_of_the_cluster_is_up(clustered: Settings) -> None:
    expr = "up == 1"
    jobs = {"nifi": 2, "nifi_cluster": 1, "ingest_balancer": 1, "pushgateway": 1, "prometheus": 1}

    def all_up(result: list[dict]) -> bool:
        counts: dict[str, int] = {}
        for sample in result:
            counts[sample["metric"]["job"]] = counts.get(sample["metric"]["job"], 0) + 1
        return all(counts.get(job) == n for job, n in jobs.items())

    promql.wait_for_query(clustered, expr, all_up)


def test_every_cluster_panel_returns_data_and_the_nodes_are_named_alike(clustered: Settings) -> None:
    push_from_every_node(clustered)
    promql.wait_for_query(clustered, 'audio_pipeline_nifi_cluster_nodes{state="CONNECTED"} == 2')
    titles = {f"{DASHBOARD} / {panel.title}" for panel in cluster_panels()}
    checked = set()
    for title, expr in dashboard_queries.panel_queries(rate_interval="1m"):
        if title not in titles:
            continue
        values = [float(sample["value"][1]) for sample in promql.query(clustered, expr)]
        assert values and all(value == value for value in values), f"{title}: no data for {expr}"  # NaN != NaN
        checked.add(title)
    assert checked == titles

    web = [f"127.0.0.1:{node.nifi_http_port}" for node in cluster.nodes(clustered)]
    primary = promql.query(clustered, "max by (node) (audio_pipeline_nifi_cluster_node_primary) == 1")
    assert [sample["metric"]["node"] for sample in primary] == [web[0]]
    # The exporter's `node` is what Prometheus calls the node's NiFi target: panels and alerts can join them.
    exported = {s["metric"]["node"] for s in promql.query(clustered, "audio_pipeline_nifi_cluster_node_connected")}
    scraped = {s["metric"]["instance"] for s in promql.query(clustered, 'up{job="nifi"}')}
    assert exported == scraped == set(web)
    queued = promql.query(clustered, 'sum by (instance) (nifi_amount_items_queued{component_type="Connection"})')
    assert {s["metric"]["instance"]: float(s["value"][1]) for s in queued} == {web[0]: 5, web[1]: 10}
    per_node = promql.query(clustered, "sum by (instance) (audio_pipeline_files_total)")
    assert sorted(float(s["value"][1]) for s in per_node) == [2, 4]  # each node's own count, none doubled
