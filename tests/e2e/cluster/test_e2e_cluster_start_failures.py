"""A cluster that cannot form: `./scripts/run` names the node or service and the cause, exits 1 and
leaves nothing running (no NiFi, no ZooKeeper, no PostgreSQL, no balancer, no model server)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.pipeline_instance import pipeline_ports

from pipelinectl import cluster, services
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import nodes as nifi_nodes
from pipelinectl.settings import REPO_ROOT, load

NODES = 2


def _data_dir(tmp_path: Path) -> Path:
    """A data dir the started PostgreSQL (OS user postgres) can pass into."""
    for folder in (tmp_path, *tmp_path.parents):
        if folder == Path(tempfile.gettempdir()):
            break
        folder.chmod(folder.stat().st_mode | stat.S_IXOTH)
    return tmp_path


@pytest.fixture
def squatter() -> Iterator[socket.socket]:
    """Another program's listening socket (on all interfaces, as NiFi's ports would bind)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield sock
    sock.close()


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO_ROOT / "scripts" / "run")], env=env, capture_output=True, text=True, timeout=900)


def _nothing_running(env: dict[str, str]) -> list[str]:
    settings = load(env)
    running = [service.name for service in services.for_settings(settings, any_profile=True) if service.is_running()]
    running += [node.nifi_name for node in nifi_nodes.running_nodes(settings) if nifi_instance.is_running(node)]
    return running


@pytest.mark.parametrize("taken", ["ListenHTTP", "cluster protocol"])
def test_a_node_port_in_use_names_the_node_and_stops_everything(
    tmp_path: Path, squatter: socket.socket, taken: str
) -> None:
    env = {**os.environ, **pipeline_ports(NODES), "PIPELINE_DATA_DIR": str(_data_dir(tmp_path))}
    second = cluster.node(load(env), 2)
    port = cluster.node_ports(second)[taken]
    squatter.bind(("0.0.0.0", port))
    squatter.listen()

    run = _run(env)
    try:
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"NiFi node 2 (127.0.0.1:{second.nifi_http_port}) cannot start: its {taken} port {port}" in run.stderr
        assert "Stopped everything it had started." in run.stderr
        assert _nothing_running(env) == []
    finally:
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300)


def test_zookeeper_port_in_use_names_zookeeper_and_stops_everything(tmp_path: Path, squatter: socket.socket) -> None:
    env = {**os.environ, **pipeline_ports(NODES), "PIPELINE_DATA_DIR": str(_data_dir(tmp_path))}
    port = load(env).zookeeper_port
    squatter.bind(("127.0.0.1", port))
    squatter.listen()

    run = _run(env)
    try:
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"ZooKeeper cannot start: port {port} (ZOOKEEPER_PORT) is already in use" in run.stderr
        assert _nothing_running(env) == []
    finally:
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300)
