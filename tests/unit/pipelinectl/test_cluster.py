"""Cluster nodes: each derives its own ports and identity from one set of settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelinectl import cluster
from pipelinectl.ports import port_is_free
from pipelinectl.settings import load

BASE = {
    "NIFI_CLUSTER_NODES": "3",
    "NIFI_HTTP_PORT": "18080",
    "INGEST_HTTP_PORT": "19099",
    "NIFI_CLUSTER_PROTOCOL_PORT": "21443",
    "NIFI_LOAD_BALANCE_PORT": "16342",
}


def test_standalone_is_its_own_only_node(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path)})
    assert cluster.nodes(settings) == [settings]
    assert settings.nifi_name == "nifi" and settings.nifi_home == tmp_path / "nifi"
    assert set(cluster.node_ports(settings)) == {"NiFi UI/API", "ListenHTTP"}


def test_nodes_derive_their_ports_from_the_base_ports(tmp_path: Path) -> None:
    settings = load({**BASE, "PIPELINE_DATA_DIR": str(tmp_path)})
    nodes = cluster.nodes(settings)
    assert [n.node for n in nodes] == [1, 2, 3]
    assert [n.nifi_http_port for n in nodes] == [18080, 18081, 18082]  # node 1 keeps NIFI_HTTP_PORT
    assert [n.ingest_http_port for n in nodes] == [19100, 19101, 19102]  # 19099 is the balancer's
    assert [n.cluster_protocol_port for n in nodes] == [21443, 21444, 21445]
    assert [n.load_balance_port for n in nodes] == [16342, 16343, 16344]
    every_port = [p for n in nodes for p in cluster.node_ports(n).values()] + [settings.ingest_http_port]
    assert len(every_port) == len(set(every_port))


def test_nodes_share_the_data_dir_but_not_their_homes_or_metric_identity(tmp_path: Path) -> None:
    settings = load({**BASE, "PIPELINE_DATA_DIR": str(tmp_path)})
    first, second, _ = cluster.nodes(settings)
    assert first.inbox_dir == second.inbox_dir == settings.inbox_dir
    assert first.state_dir == second.state_dir  # one sensitive-properties key, one set of secrets
    assert first.nifi_home == tmp_path / "nifi-node1" != second.nifi_home
    assert first.nifi_logs_dir != second.nifi_logs_dir
    assert first.as_environment()["INGEST_HTTP_PORT"] == "19100"  # what its ListenHTTP binds
    identities = {n.processor_environment["METRICS_INSTANCE"] for n in (first, second)}
    slots = {n.processor_environment["METRICS_STATE_DIR"] for n in (first, second)}
    assert len(identities) == len(slots) == 2


def test_a_configured_metrics_identity_names_the_host_and_each_node_keeps_its_own(tmp_path: Path) -> None:
    settings = load({**BASE, "PIPELINE_DATA_DIR": str(tmp_path), "METRICS_INSTANCE": "media-a"})
    first, second = cluster.node(settings, 1), cluster.node(settings, 2)
    assert first.processor_environment["METRICS_INSTANCE"] == f"media-a:{first.nifi_http_port}"
    assert second.processor_environment["METRICS_INSTANCE"] == f"media-a:{second.nifi_http_port}"


def test_a_node_outside_the_cluster_is_refused(tmp_path: Path) -> None:
    settings = load({**BASE, "PIPELINE_DATA_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="node 4"):
        cluster.node(settings, 4)


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_the_node_count_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(ValueError, match="NIFI_CLUSTER_NODES"):
        load({"NIFI_CLUSTER_NODES": value})


def test_free_base_ports_leave_room_for_every_derived_port() -> None:
    ports = cluster.free_base_ports(2)
    blocks = {"NIFI_HTTP_PORT": 2, "INGEST_HTTP_PORT": 3, "PUSHGATEWAY_PORT": 2, "NIFI_LOAD_BALANCE_PORT": 2}
    for name, count in blocks.items():
        assert all(port_is_free(int(ports[name]) + i, "127.0.0.1") for i in range(count)), name
    assert ports["NIFI_CLUSTER_NODES"] == "2"
    assert cluster.free_base_ports(1)["NIFI_CLUSTER_NODES"] == "1"


def test_free_base_ports_are_chosen_again_when_two_probes_got_the_same_port(monkeypatch) -> None:
    """The kernel may hand a released probe's port to the next probe: no two settings may share one."""
    first = [41000, 41010, 41020, 41020, 41030, 41040]  # Prometheus's and the Pushgateway's probes coincide
    handed = iter([*first, 42000, 42010, 42020, 42030, 42040, 42050])
    monkeypatch.setattr(cluster, "free_port", lambda: next(handed))
    monkeypatch.setattr(cluster, "free_port_block", lambda count: next(handed))
    ports = cluster.free_base_ports(1)
    numbers = [int(v) for k, v in ports.items() if k.endswith("_PORT")]
    assert len(numbers) == len(set(numbers)) == 6
    assert ports["NIFI_HTTP_PORT"] == "42000"  # the second choice
