"""bench.instance: nifi.properties overrides, the run's timings line and the environment of a private instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.instance import parse_properties, private_env, run_timings


def test_parse_properties() -> None:
    assert parse_properties(["nifi.content.repository.archive.enabled=false", "nifi.a.b = 90%"]) == {
        "nifi.content.repository.archive.enabled": "false",
        "nifi.a.b": "90%",
    }
    with pytest.raises(ValueError):
        parse_properties(["archive=false"])
    with pytest.raises(ValueError):
        parse_properties(["nifi.x"])


def test_run_timings_reads_the_last_timings_line() -> None:
    output = (
        "[setup] something\n"
        "  setup 0.9 s, serving_up 4.1 s, nodes_connected 80.2 s, flow_running 101.0 s, ingest-balancer_up 0.3 s\n"
        "Audio pipeline is running.\n"
        "  NiFi UI, node 1  http://127.0.0.1:8080/nifi/\n"
        "  HTTP ingest      POST http://127.0.0.1:9099/audio (headers: filename, optional reference)\n"
    )
    assert run_timings(output) == {
        "setup": 0.9,
        "serving_up": 4.1,
        "nodes_connected": 80.2,
        "flow_running": 101.0,
        "ingest-balancer_up": 0.3,
    }
    assert list(run_timings(output)) == ["setup", "serving_up", "nodes_connected", "flow_running", "ingest-balancer_up"]
    assert run_timings("Audio pipeline is running.\n") == {}


def test_private_env_of_a_cluster_has_port_blocks(tmp_path: Path) -> None:
    standalone = private_env(tmp_path / "one")
    assert standalone["NIFI_CLUSTER_NODES"] == "1" and standalone["RESULTS_DATABASE_URL"] == ""
    env = private_env(tmp_path / "two", nodes=2)
    assert env["NIFI_CLUSTER_NODES"] == "2" and env["PIPELINE_DATA_DIR"] == str(tmp_path / "two")
    names = ("NIFI_HTTP_PORT", "INGEST_HTTP_PORT", "NIFI_CLUSTER_PROTOCOL_PORT", "NIFI_LOAD_BALANCE_PORT")
    blocks = [range(int(env[n]), int(env[n]) + (3 if n == "INGEST_HTTP_PORT" else 2)) for n in names]
    singles = [int(env[n]) for n in ("ZOOKEEPER_PORT", "POSTGRES_PORT", "SERVING_GRPC_PORT", "PROMETHEUS_PORT")]
    taken = [p for block in blocks for p in block] + singles
    assert len(set(taken)) == len(taken)  # no port used twice
