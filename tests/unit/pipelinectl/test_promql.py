"""The PromQL client against a local stand-in for Prometheus's HTTP API."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelinectl import promql

RESULT = [{"metric": {"job": "pushgateway"}, "value": [0, "1"]}]
TARGETS = {"activeTargets": [{"labels": {"job": "nifi"}, "health": "down"}, {"labels": {"job": "x"}, "health": "up"}]}


class _Prometheus(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        expr = urllib.parse.parse_qs(url.query).get("query", [""])[0]
        if url.path == "/api/v1/targets":
            status, body = 200, {"status": "success", "data": TARGETS}
        elif expr == "bad(":
            status, body = 400, {"status": "error", "error": "parse error"}
        else:
            status, body = 200, {"status": "success", "data": {"result": RESULT if expr == "up" else []}}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_query_returns_the_result_list_and_raises_on_errors(base_url: str) -> None:
    assert promql.query(base_url, "up") == RESULT
    assert promql.query(base_url, "absent_metric") == []
    with pytest.raises(RuntimeError, match="parse error"):
        promql.query(base_url, "bad(")


def test_wait_for_query_polls_until_the_predicate_holds_or_times_out(base_url: str) -> None:
    assert promql.wait_for_query(base_url, "up", timeout=1) == RESULT
    with pytest.raises(TimeoutError, match="absent_metric"):
        promql.wait_for_query(base_url, "absent_metric", timeout=0.3, interval=0.05)


def test_targets_up_by_job(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(promql, "prometheus_url", lambda settings: base_url)
    assert promql.targets_up(object()) == {"nifi": "down", "x": "up"}  # type: ignore[arg-type]
