"""The cluster exporter's metric names, labels and help texts: the one place for them.

Rules, dashboards and their tests check their audio_pipeline_nifi_cluster_* names against
`METRIC_NAMES`; docs/metrics.md §2 documents them.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "audio_pipeline_nifi_cluster_"
NODE = "node"  # label: the node's API address, address:apiPort (as its NiFi scrape target is named)
STATE = "state"  # label: a NiFi NodeConnectionState name


@dataclass(frozen=True)
class GaugeDef:
    name: str
    help: str
    labels: tuple[str, ...] = ()


REACHABLE = GaugeDef(
    PREFIX + "reachable", "1 when a connected node answered GET /nifi-api/controller/cluster at this scrape, else 0."
)
NODES_EXPECTED = GaugeDef(PREFIX + "nodes_expected", "Nodes the control plane runs (NIFI_CLUSTER_NODES).")
NODES = GaugeDef(PREFIX + "nodes", "Nodes the cluster lists, by connection state.", (STATE,))
NODE_CONNECTED = GaugeDef(PREFIX + "node_connected", "1 while the cluster reports the node CONNECTED, else 0.", (NODE,))
NODE_PRIMARY = GaugeDef(
    PREFIX + "node_primary", "1 on the primary node (runs the inbox and catalog listings).", (NODE,)
)
NODE_COORDINATOR = GaugeDef(PREFIX + "node_coordinator", "1 on the cluster coordinator.", (NODE,))
NODE_FLOWFILES_QUEUED = GaugeDef(
    PREFIX + "node_flowfiles_queued", "FlowFiles queued on the node, from its last heartbeat.", (NODE,)
)
NODE_BYTES_QUEUED = GaugeDef(
    PREFIX + "node_bytes_queued", "Bytes of FlowFile content queued on the node, from its last heartbeat.", (NODE,)
)

GAUGES = (
    REACHABLE,
    NODES_EXPECTED,
    NODES,
    NODE_CONNECTED,
    NODE_PRIMARY,
    NODE_COORDINATOR,
    NODE_FLOWFILES_QUEUED,
    NODE_BYTES_QUEUED,
)
METRIC_NAMES = frozenset(gauge.name for gauge in GAUGES)
