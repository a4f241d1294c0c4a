"""The cluster's view of its nodes as Prometheus gauges, computed at each scrape.

A custom prometheus_client collector rather than long-lived Gauge objects: a node that leaves the
cluster's list simply stops being exported, with nothing to unregister. When no node answers, only
`reachable` (0) and `nodes_expected` are exported: per-node values would be guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from pipelinectl.cluster_metrics import names
from pipelinectl.cluster_metrics.cluster_view import STATES, NodeStatus


def _family(gauge: names.GaugeDef) -> GaugeMetricFamily:
    return GaugeMetricFamily(gauge.name, gauge.help, labels=list(gauge.labels))


class ClusterCollector:
    """Gauges from `fetch()` (a ClusterView's), for a cluster that should have `expected_nodes` nodes."""

    def __init__(self, fetch: Callable[[], list[NodeStatus] | None], expected_nodes: int) -> None:
        self.fetch = fetch
        self.expected_nodes = expected_nodes

    def collect(self) -> Iterator[Metric]:
        nodes = self.fetch()
        reachable = _family(names.REACHABLE)
        reachable.add_metric([], 0 if nodes is None else 1)
        expected = _family(names.NODES_EXPECTED)
        expected.add_metric([], self.expected_nodes)
        yield reachable
        yield expected
        if nodes is not None:
            yield from node_families(nodes)


def one_per_node(nodes: list[NodeStatus]) -> list[NodeStatus]:
    """One status per address, a connected one first: a node listed twice (a rejoin under a new id
    beside its stale entry) would make the exposition repeat a series, which Prometheus refuses."""
    kept: dict[str, NodeStatus] = {}
    for node in nodes:
        if node.node not in kept or (node.connected and not kept[node.node].connected):
            kept[node.node] = node
    return list(kept.values())


def node_families(nodes: list[NodeStatus]) -> Iterator[Metric]:
    """State counts (every known state, 0 included) and one series per node and gauge."""
    nodes = one_per_node(nodes)
    by_state = {state: 0 for state in STATES}
    for node in nodes:
        by_state[node.state] = by_state.get(node.state, 0) + 1
    counts = _family(names.NODES)
    for state, count in by_state.items():
        counts.add_metric([state], count)
    yield counts

    connected = _family(names.NODE_CONNECTED)
    primary = _family(names.NODE_PRIMARY)
    coordinator = _family(names.NODE_COORDINATOR)
    flowfiles = _family(names.NODE_FLOWFILES_QUEUED)
    content = _family(names.NODE_BYTES_QUEUED)
    for node in nodes:
        connected.add_metric([node.node], int(node.connected))
        primary.add_metric([node.node], int(node.primary))
        coordinator.add_metric([node.node], int(node.coordinator))
        if node.flowfiles_queued is not None:
            flowfiles.add_metric([node.node], node.flowfiles_queued)
        if node.bytes_queued is not None:
            content.add_metric([node.node], node.bytes_queued)
    yield from (connected, primary, coordinator, flowfiles, content)
