"""Cluster mode: the cluster exporter (pipelinectl.cluster_metrics) as the background service
"cluster-exporter", for Prometheus's job `nifi_cluster`.

It asks the nodes of the settings, node 1 first, for the cluster's view of its nodes at every
scrape and serves connection state and roles per node on 127.0.0.1:port(settings)/metrics. The
port is derived, PUSHGATEWAY_PORT + 1 (9092 by default): the pipeline's pushed and exported metrics
side by side, without another setting. In the secure profile it reads the bearer token the token
refresher keeps in Prometheus's token file and checks NiFi's certificate.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pipelinectl import cluster
from pipelinectl.cluster_metrics.server import HEALTH_PATH
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.ports import port_is_free
from pipelinectl.services import prometheus
from pipelinectl.services.supervisor import Service, answers_http
from pipelinectl.settings import REPO_ROOT, Settings

NAME = "cluster-exporter"
MODULE = "pipelinectl.cluster_metrics"  # the program it runs, and how its process is recognised


def port(settings: Settings) -> int:
    """The exporter's port on 127.0.0.1: the one after the Pushgateway's."""
    return settings.pushgateway_port + 1


def url(settings: Settings) -> str:
    return f"http://127.0.0.1:{port(settings)}"


def node_urls(settings: Settings) -> list[str]:
    """Every node's REST base URL, node 1 first."""
    return [nifi_instance.base_url(node) for node in cluster.nodes(settings)]


def command(settings: Settings, urls: Sequence[str] | None = None) -> list[str]:
    """The exporter's command line; `urls` replaces the nodes' URLs (tests)."""
    args = [sys.executable, "-m", MODULE, f"--port={port(settings)}", f"--expected-nodes={settings.cluster_nodes}"]
    args += [f"--node-url={node_url}" for node_url in urls or node_urls(settings)]
    if settings.profile == "secure":
        args += [
            f"--token-file={prometheus.nifi_token_file(settings)}",
            f"--ca-file={nifi_instance.tls_verify(settings)}",
        ]
    return args


def prepare(settings: Settings) -> None:
    if not port_is_free(port(settings)):
        raise RuntimeError(
            f"the cluster exporter cannot start: port {port(settings)} (PUSHGATEWAY_PORT + 1) is already in use"
        )


def service(settings: Settings, urls: Sequence[str] | None = None) -> Service:
    """The exporter as a background service; `urls`: other NiFi base URLs than the nodes' (tests)."""
    return Service(
        name=NAME,
        settings=settings,
        command=command(settings, urls),
        cmdline_marker=MODULE,
        ready=answers_http(url(settings) + HEALTH_PATH),
        environment=lambda: {"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        prepare=lambda: prepare(settings),
        stop_timeout=10.0,
        after_flow=True,
        address=f"{url(settings)}/metrics",
    )
