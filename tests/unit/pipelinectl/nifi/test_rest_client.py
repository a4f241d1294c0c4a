"""NiFiClient against a local HTTP server: 503 while NiFi initialises is waited out, other errors are not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelinectl.nifi import rest_client
from pipelinectl.nifi.rest_client import NiFiApiError, NiFiClient


class _Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next status of the server's script (then 200 with JSON)."""

    def _answer(self) -> None:
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        script: list[int] = self.server.script  # type: ignore[attr-defined]
        status = script.pop(0) if script else 200
        body = b'{"ok": true}' if status == 200 else b"NiFi is not ready"
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    monkeypatch.setattr(rest_client.time, "sleep", lambda _s: None)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    httpd.script, httpd.seen = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(httpd: ThreadingHTTPServer) -> NiFiClient:
    return NiFiClient(f"http://127.0.0.1:{httpd.server_address[1]}")


def test_503_is_retried_until_nifi_answers(server: ThreadingHTTPServer) -> None:
    server.script[:] = [503, 503]  # type: ignore[attr-defined]
    assert _client(server).post("/process-groups/x", {"a": 1}) == {"ok": True}
    assert server.seen == [("POST", "/nifi-api/process-groups/x")] * 3  # type: ignore[attr-defined]


def test_503_is_given_up_after_the_retry_window(server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest_client, "UNAVAILABLE_RETRY_S", -1.0)
    server.script[:] = [503, 503]  # type: ignore[attr-defined]
    with pytest.raises(NiFiApiError) as info:
        _client(server).get("/flow/about")
    assert info.value.status == 503 and "not ready" in str(info.value)


def test_other_errors_are_not_retried(server: ThreadingHTTPServer) -> None:
    server.script[:] = [409]  # type: ignore[attr-defined]
    with pytest.raises(NiFiApiError) as info:
        _client(server).put("/processors/p/run-status", {"state": "RUNNING"})
    assert info.value.status == 409
    assert len(server.seen) == 1  # type: ignore[attr-defined]


def test_refused_connection_is_retried_for_get_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest_client.time, "sleep", lambda _s: None)
    calls: list[str] = []

    def refuse(method: str, url: str, **_kwargs: object) -> None:
        calls.append(method)
        raise rest_client.requests.ConnectionError("refused")

    client = NiFiClient("http://127.0.0.1:9")
    monkeypatch.setattr(client.session, "request", refuse)
    with pytest.raises(rest_client.requests.ConnectionError):
        client.post("/x", {})
    assert calls == ["POST"]
    monkeypatch.setattr(rest_client, "UNAVAILABLE_RETRY_S", 0.05)
    with pytest.raises(rest_client.requests.ConnectionError):
        client.get("/x")
    assert len(calls) > 2


def test_sensitive_parameters_are_sent_as_such_and_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """NiFi never returns a sensitive parameter's value, so it cannot be compared: always send it."""
    client = NiFiClient("http://127.0.0.1:9")
    context = {
        "id": "ctx",
        "revision": {"version": 3},
        "component": {
            "parameters": [
                {"parameter": {"name": "results_dir", "value": "/srv/results", "sensitive": False}},
                {"parameter": {"name": "results_database_password", "value": "********", "sensitive": True}},
            ]
        },
    }
    posted: list[dict] = []
    monkeypatch.setattr(client, "parameter_context", lambda _name: context)
    monkeypatch.setattr(client, "post", lambda _path, body: posted.append(body) or {"request": {"requestId": "r"}})
    monkeypatch.setattr(client, "_await_request", lambda _path, _timeout: None)

    values = {"results_dir": "/srv/results", "results_database_password": "pw"}
    assert client.update_parameters("audio-pipeline", values, sensitive={"results_database_password"})
    [body] = posted
    assert body["component"]["parameters"] == [
        {"parameter": {"name": "results_database_password", "value": "pw", "sensitive": True}}
    ]
    assert not client.update_parameters("audio-pipeline", {"results_dir": "/srv/results"})  # unchanged: nothing sent
    assert len(posted) == 1
