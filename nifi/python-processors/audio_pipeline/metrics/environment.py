"""The environment variables the metrics sink reads (inherited from NiFi's), in one place.

Meaning and defaults: docs/metrics.md §1 "Environment".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

PUSHGATEWAY_URL = "PUSHGATEWAY_URL"  # full URL, or "off" to disable pushing
PUSHGATEWAY_PORT = "PUSHGATEWAY_PORT"  # the Pushgateway on 127.0.0.1 when PUSHGATEWAY_URL is empty
METRICS_STATE_DIR = "METRICS_STATE_DIR"  # worker slot files
PIPELINE_DATA_DIR = "PIPELINE_DATA_DIR"  # slot files in <it>/state/metrics when METRICS_STATE_DIR is empty
METRICS_PUSH_INTERVAL_SECONDS = "METRICS_PUSH_INTERVAL_SECONDS"
METRICS_INSTANCE = "METRICS_INSTANCE"  # the `instance` grouping label (default: host name)
METRICS_COMPONENT = "METRICS_COMPONENT"  # the slot name when `configure` was given none

VARIABLES = (
    PUSHGATEWAY_URL,
    PUSHGATEWAY_PORT,
    METRICS_STATE_DIR,
    PIPELINE_DATA_DIR,
    METRICS_PUSH_INTERVAL_SECONDS,
    METRICS_INSTANCE,
    METRICS_COMPONENT,
)

DEFAULT_PUSHGATEWAY_PORT = "9091"
DEFAULT_PUSH_INTERVAL_SECONDS = 2.0
DEFAULT_COMPONENT = "python"


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def pushgateway_url(env: Mapping[str, str]) -> str | None:
    """Where to push, or None when pushing is off."""
    url = _get(env, PUSHGATEWAY_URL)
    if url.lower() == "off":
        return None
    if url:
        return url
    return f"http://127.0.0.1:{_get(env, PUSHGATEWAY_PORT) or DEFAULT_PUSHGATEWAY_PORT}"


def state_dir(env: Mapping[str, str]) -> Path | None:
    """The worker slot directory, or None (slots named by pid, nothing saved)."""
    explicit = _get(env, METRICS_STATE_DIR)
    if explicit:
        return Path(explicit)
    data_dir = _get(env, PIPELINE_DATA_DIR)
    return Path(data_dir) / "state" / "metrics" if data_dir else None


def push_interval(env: Mapping[str, str]) -> float:
    return float(_get(env, METRICS_PUSH_INTERVAL_SECONDS) or DEFAULT_PUSH_INTERVAL_SECONDS)


def instance(env: Mapping[str, str]) -> str | None:
    return _get(env, METRICS_INSTANCE) or None


def component(env: Mapping[str, str]) -> str:
    return _get(env, METRICS_COMPONENT) or DEFAULT_COMPONENT


def sink_options(env: Mapping[str, str]) -> dict[str, object]:
    """`MetricsSink` keyword arguments from `env`."""
    return {
        "pushgateway_url": pushgateway_url(env),
        "state_dir": state_dir(env),
        "interval": push_interval(env),
        "instance": instance(env),
    }
