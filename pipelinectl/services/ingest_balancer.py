"""The ingest balancer of cluster mode: HAProxy on INGEST_HTTP_PORT in front of every node's ListenHTTP.

Clients keep one ingest URL however many nodes run: HAProxy (Debian's /usr/sbin/haproxy) listens on
127.0.0.1:INGEST_HTTP_PORT in HTTP mode and hands requests round robin to node i's ListenHTTP on
INGEST_HTTP_PORT + i (pipelinectl.cluster.listen_http_port). A stopped node fails no request: a
refused connection is retried on another node before anything was sent, and health checks take the
node out of the rotation within seconds. The config is rendered from haproxy/haproxy.cfg.tmpl (a
folder named after the program, as prometheus/ is) into state/ingest-balancer/haproxy.cfg and
checked with `haproxy -c` before each start.

HAProxy forwards HTTP/1 header names in lower case (`Filename` arrives as `filename`); ListenHTTP and
the flow read header names in any case, so nothing is lost. Its own Prometheus metrics are on the
same port at METRICS_PATH.
"""

from __future__ import annotations

import string
import subprocess
from pathlib import Path

from pipelinectl.atomic_file import write_atomically
from pipelinectl.cluster import listen_http_port
from pipelinectl.ports import port_is_free
from pipelinectl.services.supervisor import Service, answers_http
from pipelinectl.settings import REPO_ROOT, Settings

NAME = "ingest-balancer"
HAPROXY_BIN = "/usr/sbin/haproxy"
CONFIG_TEMPLATE = REPO_ROOT / "haproxy" / "haproxy.cfg.tmpl"
METRICS_PATH = "/haproxy/metrics"


def state_dir(settings: Settings) -> Path:
    return settings.state_dir / NAME


def config_path(settings: Settings) -> Path:
    return state_dir(settings) / "haproxy.cfg"


def backend_ports(settings: Settings) -> list[int]:
    """The nodes' ListenHTTP ports, node 1 first."""
    return [listen_http_port(settings, index) for index in range(1, settings.cluster_nodes + 1)]


def metrics_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.ingest_http_port}{METRICS_PATH}"


def render_config(settings: Settings, ports: list[int] | None = None) -> str:
    """The HAProxy config for `settings`; `ports` replaces the nodes' ListenHTTP ports (tests)."""
    servers = "\n".join(
        f"    server node{index} 127.0.0.1:{port}"
        for index, port in enumerate(ports or backend_ports(settings), start=1)
    )
    template = string.Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(INGEST_HTTP_PORT=settings.ingest_http_port, METRICS_PATH=METRICS_PATH, SERVERS=servers)


def check_config(path: Path) -> None:
    """RuntimeError with HAProxy's own words when it would refuse the config."""
    done = subprocess.run([HAPROXY_BIN, "-c", "-q", "-f", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"HAProxy refuses {path}:\n{(done.stdout + done.stderr).strip()}")


def prepare(settings: Settings, ports: list[int] | None = None) -> None:
    if not Path(HAPROXY_BIN).exists():
        raise RuntimeError(f"{HAPROXY_BIN} not found (Debian package `haproxy`, in requirements/debian.txt)")
    if not port_is_free(settings.ingest_http_port):
        raise RuntimeError(
            f"the ingest balancer (HAProxy) cannot start: port {settings.ingest_http_port} (INGEST_HTTP_PORT) "
            "is already in use"
        )
    write_atomically(config_path(settings), render_config(settings, ports))
    check_config(config_path(settings))


def service(settings: Settings, ports: list[int] | None = None) -> Service:
    """HAProxy as the background service "ingest-balancer", in the foreground (`-db`: one process, no
    daemon; SIGTERM stops it). `ports`: other backends than the nodes' ListenHTTP (tests)."""
    return Service(
        name=NAME,
        settings=settings,
        command=[HAPROXY_BIN, "-db", "-f", str(config_path(settings))],
        comm=HAPROXY_BIN,
        cmdline_marker=str(config_path(settings)),
        ready=answers_http(metrics_url(settings)),
        cwd=state_dir(settings),
        prepare=lambda: prepare(settings, ports),
        after_flow=True,
        address=f"http://127.0.0.1:{settings.ingest_http_port}/audio",
    )
