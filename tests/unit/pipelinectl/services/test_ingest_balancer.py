"""The ingest balancer's HAProxy config and service definition (no HAProxy runs)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from pipelinectl.services import ingest_balancer
from pipelinectl.settings import Settings, load


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load({"PIPELINE_DATA_DIR": str(tmp_path), "INGEST_HTTP_PORT": "19099", "NIFI_CLUSTER_NODES": "3"})


def directives(text: str, section: str) -> list[str]:
    """The lines of one section ("frontend ingest", "defaults"), stripped, without comments."""
    lines = text.splitlines()
    start = lines.index(section) + 1
    body: list[str] = []
    for line in lines[start:]:
        if line and not line.startswith(" "):
            break
        if line.strip() and not line.strip().startswith("#"):
            body.append(line.strip())
    return body


def test_frontend_is_the_public_ingest_port_on_loopback(settings: Settings) -> None:
    frontend = directives(ingest_balancer.render_config(settings), "frontend ingest")
    assert "bind 127.0.0.1:19099" in frontend
    assert "default_backend listenhttp" in frontend
    assert "http-request use-service prometheus-exporter if { path /haproxy/metrics }" in frontend


def test_every_nodes_listenhttp_is_a_checked_server_round_robin(settings: Settings) -> None:
    backend = directives(ingest_balancer.render_config(settings), "backend listenhttp")
    assert "balance roundrobin" in backend
    servers = [line for line in backend if line.startswith("server ")]
    assert servers == [
        "server node1 127.0.0.1:19100",
        "server node2 127.0.0.1:19101",
        "server node3 127.0.0.1:19102",
    ]
    default_server = next(line for line in backend if line.startswith("default-server"))
    assert re.search(r"\bcheck\b.*\binter 1s\b", default_server)
    assert "on-error mark-down" in default_server


def test_a_refused_node_costs_no_request_and_uploads_may_be_slow(settings: Settings) -> None:
    defaults = directives(ingest_balancer.render_config(settings), "defaults")
    assert "mode http" in defaults
    assert "option redispatch 1" in defaults
    assert "retries 3" in defaults
    assert "option forwardfor" in defaults
    assert "timeout client 5m" in defaults
    assert "timeout server 5m" in defaults
    text = ingest_balancer.render_config(settings)
    assert "http-buffer-request" not in text  # bodies stream; no size limit of the balancer's own
    assert "$" not in text


def test_ports_override_the_nodes_for_tests(settings: Settings) -> None:
    text = ingest_balancer.render_config(settings, [4001, 4002])
    assert re.findall(r"^    server (\S+) (\S+)$", text, re.MULTILINE) == [
        ("node1", "127.0.0.1:4001"),
        ("node2", "127.0.0.1:4002"),
    ]


def test_service_runs_haproxy_in_the_foreground_after_the_flow(settings: Settings) -> None:
    service = ingest_balancer.service(settings)
    assert service.command == ["/usr/sbin/haproxy", "-db", "-f", str(ingest_balancer.config_path(settings))]
    assert service.name == "ingest-balancer"
    assert service.after_flow
    assert ingest_balancer.config_path(settings).is_relative_to(settings.state_dir)
    assert ingest_balancer.metrics_url(settings) == "http://127.0.0.1:19099/haproxy/metrics"


def test_port_in_use_names_the_balancer_and_the_port(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "INGEST_HTTP_PORT": str(port), "NIFI_CLUSTER_NODES": "2"})
        if not Path(ingest_balancer.HAPROXY_BIN).exists():
            pytest.skip("needs Debian package haproxy")
        with pytest.raises(RuntimeError, match=rf"ingest balancer \(HAProxy\) cannot start: port {port}"):
            ingest_balancer.prepare(settings)
