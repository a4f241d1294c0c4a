"""The cluster exporter's gauges from a cluster view, and its HTTP app (no NiFi, no server runs)."""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from support.fake_nifi import cluster_document

from pipelinectl.cluster_metrics import names
from pipelinectl.cluster_metrics.cluster_view import STATES, NodeStatus, parse_cluster
from pipelinectl.cluster_metrics.collector import ClusterCollector
from pipelinectl.cluster_metrics.server import HEALTH_PATH, application

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(nodes: list[NodeStatus] | None, expected: int = 2) -> Samples:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(lambda: nodes, expected))  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def node(name: str, metric: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (metric, (("node", name),))


def test_a_listed_cluster_exports_state_counts_connection_roles_and_queues() -> None:
    samples = scrape(parse_cluster(cluster_document()))
    assert samples[(names.REACHABLE.name, ())] == 1
    assert samples[(names.NODES_EXPECTED.name, ())] == 2
    counts = {labels[0][1]: value for (metric, labels), value in samples.items() if metric == names.NODES.name}
    assert counts == {state: 1 if state in ("CONNECTED", "DISCONNECTED") else 0 for state in STATES}
    first, second = "127.0.0.1:8080", "127.0.0.1:8081"
    assert samples[node(first, names.NODE_CONNECTED.name)] == 1
    assert samples[node(second, names.NODE_CONNECTED.name)] == 0
    assert samples[node(first, names.NODE_PRIMARY.name)] == samples[node(first, names.NODE_COORDINATOR.name)] == 1
    assert samples[node(second, names.NODE_PRIMARY.name)] == samples[node(second, names.NODE_COORDINATOR.name)] == 0
    assert samples[node(first, names.NODE_FLOWFILES_QUEUED.name)] == 12
    assert samples[node(first, names.NODE_BYTES_QUEUED.name)] == 5242880
    assert node(second, names.NODE_FLOWFILES_QUEUED.name) not in samples  # no heartbeat, no guess
    assert {metric for metric, _ in samples} == names.METRIC_NAMES


def test_no_answering_node_exports_only_reachability_and_the_expected_count() -> None:
    assert scrape(None, expected=3) == {(names.REACHABLE.name, ()): 0, (names.NODES_EXPECTED.name, ()): 3}


def test_a_node_listed_twice_is_exported_once_connected_first() -> None:
    stale = NodeStatus("127.0.0.1:8081", "DISCONNECTED", False, False)
    rejoined = NodeStatus("127.0.0.1:8081", "CONNECTED", True, False, flowfiles_queued=0, bytes_queued=0)
    samples = scrape([stale, rejoined])
    assert samples[node("127.0.0.1:8081", names.NODE_CONNECTED.name)] == 1
    assert samples[(names.NODES.name, (("state", "CONNECTED"),))] == 1
    assert samples[(names.NODES.name, (("state", "DISCONNECTED"),))] == 0


def test_a_state_of_a_later_nifi_is_counted_too() -> None:
    samples = scrape([NodeStatus("127.0.0.1:8080", "UPGRADING", False, False)])
    assert samples[(names.NODES.name, (("state", "UPGRADING"),))] == 1
    assert samples[node("127.0.0.1:8080", names.NODE_CONNECTED.name)] == 0


def test_names_are_the_exporters_own_and_documented() -> None:
    assert all(name.startswith(names.PREFIX) for name in names.METRIC_NAMES)
    assert len(names.METRIC_NAMES) == len(names.GAUGES)
    assert all(gauge.help for gauge in names.GAUGES)


def call(app, path: str) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    environ: dict = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO()
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], body


def test_the_health_path_answers_without_asking_nifi() -> None:
    asked: list[int] = []

    def fetch() -> list[NodeStatus] | None:
        asked.append(1)
        return None

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(fetch, 2))  # type: ignore[arg-type]
    app = application(registry)
    assert call(app, HEALTH_PATH) == ("200 OK", b"ok\n")
    assert asked == []
    status, body = call(app, "/metrics")
    assert status.startswith("200") and names.REACHABLE.name.encode() in body
    assert asked == [1]
