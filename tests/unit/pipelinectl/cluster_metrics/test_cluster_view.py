"""The cluster's view of its nodes read from a NiFi 2.3.0 ClusterEntity (no NiFi runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_nifi import cluster_document

from pipelinectl.cluster_metrics.cluster_view import ClusterView, NodeStatus, parse_cluster, read_token


def test_nodes_are_named_by_their_api_address_with_state_roles_and_queues() -> None:
    assert parse_cluster(cluster_document()) == [
        NodeStatus(
            "127.0.0.1:8080", "CONNECTED", primary=True, coordinator=True, flowfiles_queued=12, bytes_queued=5242880
        ),
        NodeStatus("127.0.0.1:8081", "DISCONNECTED", primary=False, coordinator=False),
    ]
    first, second = parse_cluster(cluster_document())
    assert first.connected and not second.connected


def test_roles_and_queues_may_be_absent() -> None:
    document = {"cluster": {"nodes": [{"address": "nifi-1.example", "apiPort": 8443, "status": "CONNECTING"}]}}
    assert parse_cluster(document) == [NodeStatus("nifi-1.example:8443", "CONNECTING", False, False)]


@pytest.mark.parametrize(
    "document",
    [{}, {"cluster": {}}, {"cluster": {"nodes": [{"apiPort": 8080, "status": "CONNECTED"}]}}, {"cluster": None}],
)
def test_anything_else_is_refused(document: dict) -> None:
    with pytest.raises(ValueError, match="ClusterEntity"):
        parse_cluster(document)


def test_the_token_is_read_fresh_and_an_empty_or_missing_file_means_none(tmp_path: Path) -> None:
    token = tmp_path / "nifi.token"
    assert read_token(None) is None
    assert read_token(token) is None
    token.write_text("")
    assert read_token(token) is None
    token.write_text("eyJhbGciOi.first\n")
    assert read_token(token) == "eyJhbGciOi.first"
    token.write_text("eyJhbGciOi.second\n")
    assert read_token(token) == "eyJhbGciOi.second"


def test_a_view_needs_a_node_to_ask() -> None:
    with pytest.raises(ValueError):
        ClusterView([])
    assert ClusterView(["http://127.0.0.1:8080/"]).base_urls == ["http://127.0.0.1:8080"]
