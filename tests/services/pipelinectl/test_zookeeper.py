"""ZooKeeper (pipelinectl.services.zookeeper) as a real process: standalone, loopback only, stopped clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelinectl import process_supervision
from pipelinectl.ports import free_port
from pipelinectl.services import zookeeper
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Service]]:
    zookeeper.ensure_jars()  # the first run lets Maven fetch them (a minute); cached afterwards
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path_factory.mktemp("zk")), "ZOOKEEPER_PORT": str(free_port())})
    service = zookeeper.service(settings)
    service.start()
    yield settings, service
    service.stop()


def test_serves_standalone(running: tuple[Settings, Service]) -> None:
    settings, service = running
    assert service.is_ready()
    assert zookeeper.is_serving(settings)
    answer = zookeeper.four_letter_word(settings, "srvr")
    assert "Zookeeper version: 3.9.3" in answer
    assert "Mode: standalone" in answer


def test_listens_on_loopback_only(running: tuple[Settings, Service]) -> None:
    settings, _ = running
    # 127.0.0.1, as IPv4 or (Java's dual-stack socket) as the IPv4-mapped ::ffff:127.0.0.1
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    found = listening_addresses(settings.zookeeper_port)
    assert found
    assert found <= loopback


def test_words_beyond_the_whitelist_are_refused(running: tuple[Settings, Service]) -> None:
    settings, _ = running
    assert "is not executed because it is not in the whitelist" in zookeeper.four_letter_word(settings, "dump")


def test_a_second_start_on_a_taken_port_names_zookeeper(running: tuple[Settings, Service], tmp_path: Path) -> None:
    settings, _ = running
    other = load({"PIPELINE_DATA_DIR": str(tmp_path), "ZOOKEEPER_PORT": str(settings.zookeeper_port)})
    with pytest.raises(RuntimeError, match=f"ZooKeeper cannot start: port {settings.zookeeper_port}"):
        zookeeper.service(other).start()


def test_stop_leaves_no_process(running: tuple[Settings, Service]) -> None:
    settings, service = running
    pid = service.pid()
    assert pid is not None
    assert service.stop()
    assert not process_supervision.process_alive(pid)
    assert not service.is_running()
    assert not zookeeper.is_serving(settings)
