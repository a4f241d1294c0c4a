"""A cluster that cannot form: `./scripts/run` names the node or service and the cause, exits 1 and
leaves nothing running (no NiFi, no ZooKeeper, no PostgreSQL, no balancer, no model server)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import pytest
from support.pipeline_instance import data_dir_passable_by_postgres

from pipelinectl import cluster, services
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import nodes as nifi_nodes
from pipelinectl.settings import REPO_ROOT, Settings, load

NODES = 2


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """A two-node pipeline's environment on free ports; ./scripts/stop afterwards, whatever happened."""
    with data_dir_passable_by_postgres("cluster-start") as data_dir:
        found = {**os.environ, **cluster.free_base_ports(NODES), "PIPELINE_DATA_DIR": str(data_dir)}
        yield found
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=found, capture_output=True, timeout=300)


@pytest.fixture
def squatter() -> Iterator[socket.socket]:
    """Another program's listening socket (on all interfaces, as NiFi's ports would bind)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield sock
    sock.close()


def _failed_run(env: dict[str, str]) -> str:
    """./scripts/run, which must fail and leave nothing running; its stderr."""
    run = subprocess.run([str(REPO_ROOT / "scripts" / "run")], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stdout + run.stderr
    assert _running(load(env)) == []
    return run.stderr


def _running(settings: Settings) -> list[str]:
    running = [service.name for service in services.for_settings(settings, any_profile=True) if service.is_running()]
    running += [node.nifi_name for node in nifi_nodes.running_nodes(settings) if nifi_instance.is_running(node)]
    return running


@pytest.mark.parametrize("taken", ["ListenHTTP", "cluster protocol"])
def test_a_node_port_in_use_names_the_node_and_stops_everything(
    env: dict[str, str], squatter: socket.socket, taken: str
) -> None:
    second = cluster.node(load(env), 2)
    port = cluster.node_ports(second)[taken]
    squatter.bind(("0.0.0.0", port))
    squatter.listen()

    stderr = _failed_run(env)
    assert f"NiFi node 2 (127.0.0.1:{second.nifi_http_port}) cannot start: its {taken} port {port}" in stderr
    assert "Stopped everything it had started." in stderr


def test_zookeeper_port_in_use_names_zookeeper_and_stops_everything(
    env: dict[str, str], squatter: socket.socket
) -> None:
    port = load(env).zookeeper_port
    squatter.bind(("127.0.0.1", port))
    squatter.listen()

    stderr = _failed_run(env)
    assert f"ZooKeeper cannot start: port {port} (ZOOKEEPER_PORT) is already in use" in stderr
