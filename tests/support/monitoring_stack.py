"""Prometheus test helpers: a private Pushgateway + Prometheus (free ports, a temporary data dir,
stopped on exit), settings with fixed ports for checking rendered configs, and runs of free ports
for what derives ports from a base (cluster nodes, the cluster exporter)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from pipelinectl.ports import free_port, port_is_free
from pipelinectl.services import prometheus
from pipelinectl.settings import Settings, load


@contextlib.contextmanager
def temporary_stack(data_dir: Path, *, scrape_interval: str = "1s") -> Iterator[Settings]:
    """Pushgateway + Prometheus on free ports with data under `data_dir`; stopped on exit.

    Yields the `Settings` they run with (NiFi and model-server ports are free ports too, so
    those targets are simply down). A 1 s scrape interval makes pushes visible fast.
    """
    settings = load(
        {
            "PIPELINE_DATA_DIR": str(data_dir),
            "PROMETHEUS_PORT": str(free_port()),
            "PUSHGATEWAY_PORT": str(free_port()),
            "NIFI_HTTP_PORT": str(free_port()),
            "SERVING_REST_PORT": str(free_port()),
        }
    )
    stack = prometheus.services(settings, scrape_interval=scrape_interval, evaluation_interval=scrape_interval)
    try:
        for service in stack:
            service.start()
        yield settings
    finally:
        for service in reversed(stack):
            service.stop()


def fixed_port_settings(data_dir: Path, **env: str) -> Settings:
    """Settings with known, non-default ports (nothing is started on them)."""
    return load(
        {
            "PIPELINE_DATA_DIR": str(data_dir),
            "PROMETHEUS_PORT": "19090",
            "PUSHGATEWAY_PORT": "19091",
            "NIFI_HTTP_PORT": "18080",
            "SERVING_REST_PORT": "18501",
            **env,
        }
    )


def scrape_jobs(document: dict) -> dict[str, dict]:
    """A Prometheus config's scrape jobs by name."""
    return {job["job_name"]: job for job in document["scrape_configs"]}


def free_consecutive_ports(count: int, attempts: int = 50) -> int:
    """The first of `count` consecutive free ports (a small race with other programs is possible)."""
    for _ in range(attempts):
        base = free_port()
        if base + count <= 65535 and all(port_is_free(base + offset) for offset in range(1, count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")
