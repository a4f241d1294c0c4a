"""Which NiFis of a data dir there are to stop, and what to say when one does not come up."""

from __future__ import annotations

from pathlib import Path

from pipelinectl import cluster
from pipelinectl.nifi import nodes
from pipelinectl.process_supervision import pid_path
from pipelinectl.settings import load


def _pid_file(settings_dir: Path, name: str) -> None:
    path = pid_path(load({"PIPELINE_DATA_DIR": str(settings_dir)}), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("999999\n")


def test_stopping_without_cluster_settings_still_finds_the_nodes_a_cluster_run_started(tmp_path: Path) -> None:
    _pid_file(tmp_path, "nifi-node1")
    _pid_file(tmp_path, "nifi-node2")
    standalone = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_HTTP_PORT": "18080"})
    found = nodes.running_nodes(standalone)
    assert [n.nifi_name for n in found] == ["nifi", "nifi-node1", "nifi-node2"]
    assert found[2].nifi_http_port == 18081


def test_a_smaller_cluster_still_stops_the_nodes_of_a_larger_one(tmp_path: Path) -> None:
    _pid_file(tmp_path, "nifi-node3")
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2"})
    assert [n.nifi_name for n in nodes.running_nodes(settings)] == ["nifi-node1", "nifi-node2", "nifi-node3"]


def test_the_cause_shown_is_the_last_error_lines_of_the_node_log(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2"})
    node = cluster.node(settings, 2)
    log = node.nifi_logs_dir / "nifi-app.log"
    assert nodes.last_errors(node) == "(no log yet)"
    log.parent.mkdir(parents=True)
    log.write_text("INFO starting\nERROR [main] first\nWARN x\nERROR [main] Failed to connect to ZooKeeper\n")
    assert nodes.last_errors(node, lines=1) == "ERROR [main] Failed to connect to ZooKeeper"


def test_the_innermost_cause_of_the_last_stack_trace_follows_the_error_lines(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2"})
    node = cluster.node(settings, 1)
    log = node.nifi_logs_dir / "nifi-app.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "ERROR [main] Failed to start Flow Service\njava.lang.IllegalStateException: flow\n\tat x.y(Z.java:1)\n"
        "Caused by: org.apache.nifi.controller.serialization.FlowSynchronizationException: sync\n"
        "Caused by: org.apache.nifi.encrypt.EncryptionException: Decryption Failed with Algorithm [AES]\n"
        "\tat a.b(C.java:2)\nERROR [main] Failed to start Server\n"
    )
    assert nodes.last_errors(node, lines=1) == (
        "ERROR [main] Failed to start Server\n"
        "    root cause: org.apache.nifi.encrypt.EncryptionException: Decryption Failed with Algorithm [AES]"
    )


def test_a_key_that_cannot_decrypt_the_saved_flow_is_explained(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "2"})
    node = cluster.node(settings, 2)
    log = node.nifi_logs_dir / "nifi-app.log"
    log.parent.mkdir(parents=True)
    log.write_text("ERROR [main] Failed to start Server\nCaused by: javax.crypto.AEADBadTagException: Tag mismatch\n")
    shown = nodes.last_errors(node)
    assert "root cause: javax.crypto.AEADBadTagException: Tag mismatch" in shown
    assert "sensitive-properties key (state/nifi-sensitive-props.key) does not decrypt the flow" in shown
