"""NiFi reinstalls processor dependencies when what it installs from changed."""

from __future__ import annotations

import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pipelinectl import cluster
from pipelinectl.nifi import instance
from pipelinectl.settings import load


@pytest.fixture
def processors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "python-processors"
    shutil.copytree(instance.PROCESSORS_DIR / "audio_processors", root / "audio_processors")
    monkeypatch.setattr(instance, "PROCESSORS_DIR", root)
    return root / "audio_processors"


def _installed(home: Path) -> Path:
    """The marker NiFi leaves once a processor type's dependencies are installed."""
    marker = home / "work" / "python" / "extensions" / "DecodeAudio" / "0.1.0" / "dependency-download.complete"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("True")
    return marker


@pytest.mark.parametrize("changed", ["requirements.txt", "decode_audio.py"])
def test_a_changed_requirements_file_or_source_forgets_installed_dependencies(
    processors: Path, tmp_path: Path, changed: str
) -> None:
    home = tmp_path / "nifi"
    instance._forget_stale_dependencies(home)
    marker = _installed(home)
    instance._forget_stale_dependencies(home)
    assert marker.exists()  # nothing changed: keep what NiFi installed

    (processors / changed).write_text((processors / changed).read_text() + "\n# changed\n")
    instance._forget_stale_dependencies(home)
    assert not marker.exists()


def test_a_standalone_nifi_is_no_cluster_node(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path)})
    assert instance.cluster_properties(settings) == {"nifi.cluster.is.node": "false"}
    xml = ElementTree.fromstring(instance.state_management_xml(settings))
    assert [p.tag for p in xml] == ["local-provider"]


def test_a_cluster_node_coordinates_through_zookeeper(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2", "ZOOKEEPER_PORT": "21810"})
    node = cluster.node(settings, 2)
    properties = instance.nifi_properties(node, tmp_path / "assembly")
    assert properties["nifi.cluster.is.node"] == "true"
    assert properties["nifi.web.http.port"] == str(node.nifi_http_port)
    assert properties["nifi.cluster.node.protocol.port"] == str(node.cluster_protocol_port)
    assert properties["nifi.cluster.load.balance.port"] == str(node.load_balance_port)
    assert properties["nifi.cluster.flow.election.max.candidates"] == "2"  # every node votes
    assert properties["nifi.zookeeper.connect.string"] == "127.0.0.1:21810"
    provider = properties["nifi.state.management.provider.cluster"]
    xml = ElementTree.fromstring(instance.state_management_xml(node))
    (cluster_provider,) = xml.findall("cluster-provider")
    assert cluster_provider.findtext("id") == provider
    values = {p.get("name"): p.text for p in cluster_provider.findall("property")}
    assert values["Connect String"] == "127.0.0.1:21810"
    assert values["Root Node"] == properties["nifi.zookeeper.root.node"]


def test_nodes_share_one_sensitive_properties_key(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2"})
    keys = {instance.nifi_properties(n, tmp_path)["nifi.sensitive.props.key"] for n in cluster.nodes(settings)}
    assert len(keys) == 1
