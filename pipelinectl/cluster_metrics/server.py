"""The cluster exporter program: the collector on a loopback HTTP port, for Prometheus to scrape.

    python -m pipelinectl.cluster_metrics --port 9092 --expected-nodes 2 \
        --node-url http://127.0.0.1:8080 --node-url http://127.0.0.1:8081 [--token-file F] [--ca-file F]

Serves the gauges at /metrics (prometheus_client's WSGI app: any other path too) and answers
HEALTH_PATH without asking NiFi, so that a readiness probe stays fast while a node hangs. Runs in
the foreground until SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from pipelinectl.cluster_metrics.cluster_view import ClusterView
from pipelinectl.cluster_metrics.collector import ClusterCollector

HEALTH_PATH = "/-/healthy"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class QuietHandler(WSGIRequestHandler):
    """No access log: a line per scrape would fill logs/cluster-exporter.log for nothing."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def application(registry: CollectorRegistry) -> WsgiApp:
    """The metrics app, with HEALTH_PATH answered on its own."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return metrics(environ, start_response)

    return app


def registry_for(view: ClusterView, expected_nodes: int) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(view.fetch, expected_nodes))  # type: ignore[arg-type]
    return registry


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelinectl.cluster_metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--node-url", action="append", required=True, help="a node's base URL (repeat, node 1 first)")
    parser.add_argument("--expected-nodes", type=int, required=True, help="nodes the cluster should have")
    parser.add_argument("--token-file", type=Path, help="bearer token file (secure profile), read at every scrape")
    parser.add_argument("--ca-file", help="CA certificate NiFi's HTTPS certificate is checked against")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    view = ClusterView(args.node_url, token_file=args.token_file, verify=args.ca_file or True)
    server = make_server(
        "127.0.0.1",
        args.port,
        application(registry_for(view, args.expected_nodes)),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    logging.getLogger(__name__).info("serving on 127.0.0.1:%d for %s", args.port, ", ".join(args.node_url))
    server.serve_forever()
    return 0
