"""The NiFi nodes of a data dir: one standalone NiFi, or the N nodes of a cluster on this machine.

Every node shares the data dir's user folders, state/ (the one sensitive-properties key, the
secrets) and services; each has its own NiFi home, pid file, logs and ports, derived from the
base ports so that one set of settings describes the whole cluster:

    node i (1-based)   UI/API   NIFI_HTTP_PORT + i - 1       ListenHTTP        INGEST_HTTP_PORT + i
                       cluster  NIFI_CLUSTER_PROTOCOL_PORT + i - 1
                       balance  NIFI_LOAD_BALANCE_PORT + i - 1

INGEST_HTTP_PORT itself is the ingest balancer's, so clients keep one URL. Node 1's UI is on
NIFI_HTTP_PORT, as the standalone NiFi's: the control plane deploys through it.
"""

from __future__ import annotations

import dataclasses
import socket

from pipelinectl.ports import free_port, free_port_block
from pipelinectl.settings import Settings

CLUSTER_ROOT_NODE = "/audio-pipeline"  # ZooKeeper root of this cluster's coordination and component state


def nodes(settings: Settings) -> list[Settings]:
    """The settings of each NiFi of `settings`: itself when standalone, else one per cluster node."""
    if not settings.clustered:
        return [settings]
    return [node(settings, index) for index in range(1, settings.cluster_nodes + 1)]


def node(settings: Settings, index: int) -> Settings:
    """Cluster node `index` (1-based): its ports, and its own identity for the processors' metrics."""
    if not 1 <= index <= settings.cluster_nodes:
        raise ValueError(f"node {index} is not one of the {settings.cluster_nodes} nodes")
    offset = index - 1
    web_port = settings.nifi_http_port + offset
    # Two nodes on one host share the host name (and any configured METRICS_INSTANCE): the node's web
    # port tells their pushed metrics apart, or they would overwrite each other's Pushgateway groups.
    host = settings.processor_environment.get("METRICS_INSTANCE") or socket.gethostname()
    identity = {
        "METRICS_INSTANCE": f"{host}:{web_port}",
        "METRICS_STATE_DIR": str(settings.state_dir / "metrics" / f"node{index}"),
    }
    return dataclasses.replace(
        settings,
        node=index,
        nifi_http_port=web_port,
        ingest_http_port=listen_http_port(settings, index),
        cluster_protocol_port=settings.cluster_protocol_port + offset,
        load_balance_port=settings.load_balance_port + offset,
        processor_environment={**settings.processor_environment, **identity},
    )


def listen_http_port(settings: Settings, index: int) -> int:
    """Node `index`'s ListenHTTP port, behind the ingest balancer."""
    return settings.ingest_http_port + index


def node_ports(node_settings: Settings) -> dict[str, int]:
    """What a node binds, by what it is for (to name the one in use when a node cannot start)."""
    ports = {
        "NiFi UI/API": node_settings.nifi_http_port,
        "ListenHTTP": node_settings.ingest_http_port,
    }
    if node_settings.clustered:
        ports["cluster protocol"] = node_settings.cluster_protocol_port
        ports["load balance"] = node_settings.load_balance_port
    return ports


def zookeeper_connect_string(settings: Settings) -> str:
    return f"127.0.0.1:{settings.zookeeper_port}"


PORT_CHOICE_ATTEMPTS = 50


def free_base_ports(nodes: int = 1) -> dict[str, str]:
    """Every port setting of a pipeline of `nodes` NiFi nodes, on free ports (tests and the benchmark
    run private pipelines beside the developer's): blocks where ports are derived from a base.

    Each probe is released before the next, so two probes can be handed the same port (it happened:
    Prometheus and the Pushgateway were given one port and Prometheus could not start); a choice in
    which any two ports coincide is made again.
    """
    for _ in range(PORT_CHOICE_ATTEMPTS):
        blocks = {  # setting -> (base port, ports it covers)
            "NIFI_HTTP_PORT": (free_port_block(nodes), nodes),
            "INGEST_HTTP_PORT": (free_port_block(nodes + 1), nodes + 1),  # the balancer, then node i's ListenHTTP
            "SERVING_GRPC_PORT": (free_port(), 1),
            "SERVING_REST_PORT": (free_port(), 1),
            "PROMETHEUS_PORT": (free_port(), 1),
            "PUSHGATEWAY_PORT": (free_port(), 1),
        }
        if nodes > 1:
            blocks |= {
                "PUSHGATEWAY_PORT": (free_port_block(2), 2),  # the cluster exporter takes the next port
                "NIFI_CLUSTER_PROTOCOL_PORT": (free_port_block(nodes), nodes),
                "NIFI_LOAD_BALANCE_PORT": (free_port_block(nodes), nodes),
                "ZOOKEEPER_PORT": (free_port(), 1),
                "POSTGRES_PORT": (free_port(), 1),
            }
        covered = [base + i for base, size in blocks.values() for i in range(size)]
        if len(covered) == len(set(covered)):
            return {name: str(base) for name, (base, _) in blocks.items()} | {"NIFI_CLUSTER_NODES": str(nodes)}
    raise RuntimeError(f"no {PORT_CHOICE_ATTEMPTS} choices of free ports were all distinct")
