"""A stand-in for NiFi nodes' REST API in tests of the monitoring: GET /nifi-api/controller/cluster
(a ClusterEntity, shaped like NiFi 2.3.0's, from data/controller-cluster.json) and GET
/nifi-api/flow/metrics/prometheus (text given by the test), on 127.0.0.1."""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CLUSTER_FIXTURE = Path(__file__).resolve().parent / "data" / "controller-cluster.json"
CLUSTER_PATH = "/nifi-api/controller/cluster"
METRICS_PATH = "/nifi-api/flow/metrics/prometheus"


def cluster_document(ports: Sequence[int] | None = None, *, connected: Sequence[bool] | None = None) -> dict:
    """The fixture's ClusterEntity; `ports` replaces its nodes' apiPort (node 1 first), `connected`
    makes node i CONNECTED (with a heartbeat) or DISCONNECTED (without)."""
    document = json.loads(CLUSTER_FIXTURE.read_text(encoding="utf-8"))
    nodes = document["cluster"]["nodes"]
    template_connected, template_disconnected = nodes
    if connected is not None:
        nodes[:] = [copy.deepcopy(template_connected if up else template_disconnected) for up in connected]
        for index, node in enumerate(nodes):
            node["nodeId"] = f"node-{index + 1}"
            node["roles"] = node["roles"] if index == 0 else []
    for node, port in zip(nodes, ports or (), strict=False):
        node["apiPort"] = port
    return document


@dataclass
class FakeNode:
    """What one fake node answers; tests change the fields while it runs."""

    cluster: dict | None = None  # None: answer 409, as a disconnected or standalone NiFi does
    metrics: str = ""
    token: str | None = None  # required bearer token, if any
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)


@contextlib.contextmanager
def fake_node(port: int, node: FakeNode) -> Iterator[str]:
    """Serve `node` on 127.0.0.1:`port` (0: any free port) until exit; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            node.seen.append((path, self.headers.get("Authorization", "")))
            if node.token and self.headers.get("Authorization") != f"Bearer {node.token}":
                self._answer(401, "text/plain", b"Unauthorized")
            elif path == CLUSTER_PATH and node.cluster is not None:
                self._answer(200, "application/json", json.dumps(node.cluster).encode())
            elif path == CLUSTER_PATH:
                self._answer(409, "text/plain", b"Only a node connected to a cluster can process the request.")
            elif path == METRICS_PATH:
                self._answer(200, "text/plain; version=0.0.4; charset=utf-8", node.metrics.encode())
            else:
                self._answer(404, "text/plain", b"not found")

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
