"""The cluster exporter's service definition (no exporter runs)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipelinectl import services
from pipelinectl.services import cluster_exporter, prometheus
from pipelinectl.settings import Settings, load


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load(
        {
            "PIPELINE_DATA_DIR": str(tmp_path),
            "NIFI_CLUSTER_NODES": "3",
            "NIFI_HTTP_PORT": "18080",
            "PUSHGATEWAY_PORT": "19091",
        }
    )


def test_it_asks_every_node_node_one_first_and_listens_after_the_pushgateway(settings: Settings) -> None:
    service = cluster_exporter.service(settings)
    assert service.name == "cluster-exporter"
    assert cluster_exporter.port(settings) == 19092
    assert service.command[1:3] == ["-m", cluster_exporter.MODULE]
    assert "--port=19092" in service.command and "--expected-nodes=3" in service.command
    assert [arg for arg in service.command if arg.startswith("--node-url=")] == [
        "--node-url=http://127.0.0.1:18080",
        "--node-url=http://127.0.0.1:18081",
        "--node-url=http://127.0.0.1:18082",
    ]
    assert not any(arg.startswith("--token-file") for arg in service.command)
    assert service.cmdline_marker == cluster_exporter.MODULE
    assert service.after_flow
    assert service.address == "http://127.0.0.1:19092/metrics"
    assert service.pid_file == settings.state_dir / "run" / "cluster-exporter.pid"


def test_urls_can_be_given_for_tests(settings: Settings) -> None:
    command = cluster_exporter.service(settings, urls=["http://127.0.0.1:1", "http://127.0.0.1:2"]).command
    assert [arg for arg in command if arg.startswith("--node-url=")] == [
        "--node-url=http://127.0.0.1:1",
        "--node-url=http://127.0.0.1:2",
    ]


def test_secure_profile_reads_the_refreshed_token_and_checks_nifis_certificate(tmp_path: Path) -> None:
    secure = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2", "NIFI_PROFILE": "secure"})
    command = cluster_exporter.command(secure)
    assert f"--token-file={prometheus.nifi_token_file(secure)}" in command
    assert f"--ca-file={tmp_path / 'state' / 'tls' / 'nifi.crt'}" in command
    assert "--node-url=https://localhost:8080" in command


def test_a_taken_port_is_named_before_starting(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        crowded = load({"PIPELINE_DATA_DIR": str(settings.data_dir), "PUSHGATEWAY_PORT": str(busy - 1)})
        with pytest.raises(RuntimeError, match=rf"port {busy} \(PUSHGATEWAY_PORT \+ 1\)"):
            cluster_exporter.prepare(crowded)


def test_a_cluster_lists_it_last_a_standalone_nifi_not_at_all(settings: Settings, tmp_path: Path) -> None:
    assert [s.name for s in services.for_settings(settings)][-1] == "cluster-exporter"
    standalone = load({"PIPELINE_DATA_DIR": str(tmp_path)})
    assert "cluster-exporter" not in [s.name for s in services.for_settings(standalone)]
    assert "cluster-exporter" in [s.name for s in services.for_settings(standalone, any_profile=True)]
