"""The cluster exporter (pipelinectl.services.cluster_exporter) as a real process, asking tiny HTTP
servers that stand in for NiFi nodes (support/fake_nifi.py), scraped over HTTP."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.fake_nifi import FakeNode, cluster_document, fake_node
from support.monitoring_stack import free_consecutive_ports

from pipelinectl.cluster_metrics import names
from pipelinectl.cluster_metrics.cluster_view import ClusterView
from pipelinectl.ports import free_port
from pipelinectl.services import cluster_exporter
from pipelinectl.services.prometheus import PROMTOOL_BIN
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    pushgateway = free_consecutive_ports(2)  # the exporter listens on the port after it
    return load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2", "PUSHGATEWAY_PORT": str(pushgateway)})


@pytest.fixture
def node() -> FakeNode:
    return FakeNode(cluster=cluster_document())


@pytest.fixture
def exporter(settings: Settings, node: FakeNode) -> Iterator[Service]:
    """The exporter asking a stopped node first (nothing listens there), then the fake node."""
    stopped = f"http://127.0.0.1:{free_port()}"
    with fake_node(0, node) as live:
        service = cluster_exporter.service(settings, urls=[stopped, live])
        service.start()
        try:
            yield service
        finally:
            service.stop()


def scrape_text(settings: Settings) -> str:
    with urllib.request.urlopen(f"{cluster_exporter.url(settings)}/metrics", timeout=15) as response:
        assert response.status == 200
        return response.read().decode()


def samples(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_stopped_node_is_skipped_and_the_next_ones_view_exported(
    settings: Settings, exporter: Service, node: FakeNode
) -> None:
    assert exporter.is_ready()
    found = samples(scrape_text(settings))
    assert found[(names.REACHABLE.name, ())] == 1
    assert found[(names.NODES_EXPECTED.name, ())] == 2
    assert found[(names.NODE_CONNECTED.name, (("node", "127.0.0.1:8080"),))] == 1
    assert found[(names.NODE_CONNECTED.name, (("node", "127.0.0.1:8081"),))] == 0
    assert found[(names.NODE_PRIMARY.name, (("node", "127.0.0.1:8080"),))] == 1
    assert found[(names.NODES.name, (("state", "DISCONNECTED"),))] == 1
    assert ("/nifi-api/controller/cluster", "") in node.seen

    node.cluster = None  # now the only answering node says 409, as a disconnected node does
    found = samples(scrape_text(settings))
    assert found == {(names.REACHABLE.name, ()): 0, (names.NODES_EXPECTED.name, ()): 2}
    assert "no node answered /nifi-api/controller/cluster" in exporter.log_tail()


@pytest.mark.skipif(not Path(PROMTOOL_BIN).exists(), reason="needs Debian package prometheus")
def test_the_exposition_passes_promtool(settings: Settings, exporter: Service) -> None:
    checked = subprocess.run(
        [PROMTOOL_BIN, "check", "metrics"], input=scrape_text(settings), capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_stop_ends_it(settings: Settings, exporter: Service) -> None:
    assert exporter.stop() is True
    assert not exporter.is_running()
    assert exporter.stop() is False


def test_the_bearer_token_is_sent_and_read_again_at_every_call(tmp_path: Path) -> None:
    token = tmp_path / "nifi.token"
    secured = FakeNode(cluster=cluster_document(), token="fresh")
    with fake_node(0, secured) as url:
        view = ClusterView([url], token_file=token)
        assert view.fetch() is None  # no token yet: 401
        token.write_text("fresh\n")
        nodes = view.fetch()
        assert nodes is not None and [n.node for n in nodes] == ["127.0.0.1:8080", "127.0.0.1:8081"]
    assert [auth for _, auth in secured.seen] == ["", "Bearer fresh"]
