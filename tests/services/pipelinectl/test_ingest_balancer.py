"""The ingest balancer (pipelinectl.services.ingest_balancer) as a real HAProxy in front of two tiny
HTTP servers standing in for the nodes' ListenHTTP."""

from __future__ import annotations

import http.server
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelinectl import process_supervision
from pipelinectl.ports import free_port
from pipelinectl.services import ingest_balancer
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load


class Recording(http.server.BaseHTTPRequestHandler):
    """Answers 200 to a POST and records (its port, header names and values, body length)."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((self.server.server_port, dict(self.headers.items()), len(body)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backends() -> Iterator[list[http.server.ThreadingHTTPServer]]:
    seen: list[tuple[int, dict[str, str], int]] = []
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording) for _ in range(2)]
    for server in servers:
        server.seen = seen  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def balancer(tmp_path: Path, backends: list[http.server.ThreadingHTTPServer]) -> Iterator[tuple[Settings, Service]]:
    if not shutil.which(ingest_balancer.HAPROXY_BIN):
        pytest.skip("needs Debian package haproxy")
    settings = load(
        {"PIPELINE_DATA_DIR": str(tmp_path), "INGEST_HTTP_PORT": str(free_port()), "NIFI_CLUSTER_NODES": "2"}
    )
    service = ingest_balancer.service(settings, [server.server_port for server in backends])
    service.start()
    yield settings, service
    service.stop()


def post(settings: Settings, headers: dict[str, str], body: bytes = b"RIFF....WAVE") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{settings.ingest_http_port}/audio", data=body, headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_requests_alternate_and_headers_arrive_in_any_case(
    balancer: tuple[Settings, Service], backends: list[http.server.ThreadingHTTPServer]
) -> None:
    settings, _ = balancer
    sent = [{"Filename": "a.wav", "Reference": "a-ref.wav"}, {"FILENAME": "b.wav", "reference": "b-ref.wav"}] * 2
    assert [post(settings, headers) for headers in sent] == [200] * 4
    seen = backends[0].seen  # type: ignore[attr-defined]
    ports = [port for port, _, _ in seen]
    assert ports[0] != ports[1] and ports[:2] == ports[2:]
    for (_, headers, length), wanted in zip(seen, sent, strict=True):
        received = {name.lower(): value for name, value in headers.items()}
        assert received["filename"] == next(v for k, v in wanted.items() if k.lower() == "filename")
        assert received["reference"] == next(v for k, v in wanted.items() if k.lower() == "reference")
        assert received["x-forwarded-for"] == "127.0.0.1"
        assert length == len(b"RIFF....WAVE")


def test_a_large_body_passes_whole(
    balancer: tuple[Settings, Service], backends: list[http.server.ThreadingHTTPServer]
) -> None:
    settings, _ = balancer
    assert post(settings, {"filename": "big.wav"}, b"\0" * (20 * 1024 * 1024)) == 200
    assert backends[0].seen[-1][2] == 20 * 1024 * 1024  # type: ignore[attr-defined]


def test_a_stopped_node_fails_no_request(
    balancer: tuple[Settings, Service], backends: list[http.server.ThreadingHTTPServer]
) -> None:
    settings, _ = balancer
    backends[0].shutdown()
    backends[0].server_close()  # connections to it are refused from now on
    assert [post(settings, {"filename": f"{n}.wav"}) for n in range(8)] == [200] * 8
    assert {port for port, _, _ in backends[1].seen} == {backends[1].server_port}  # type: ignore[attr-defined]


def test_metrics_and_stop(balancer: tuple[Settings, Service]) -> None:
    settings, service = balancer
    with urllib.request.urlopen(ingest_balancer.metrics_url(settings), timeout=5) as response:
        assert b"haproxy_backend_active_servers" in response.read()
    pid = service.pid()
    assert pid is not None
    assert service.stop()
    assert not process_supervision.process_alive(pid)
    assert not service.is_running()


def test_the_config_for_real_nodes_passes_haproxys_check(tmp_path: Path) -> None:
    if not shutil.which(ingest_balancer.HAPROXY_BIN):
        pytest.skip("needs Debian package haproxy")
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_CLUSTER_NODES": "3"})
    path = tmp_path / "haproxy.cfg"
    path.write_text(ingest_balancer.render_config(settings))
    ingest_balancer.check_config(path)
