"""A small PromQL client for Prometheus's HTTP API: instant queries, waiting for a result, target health."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from pipelinectl.services.prometheus import prometheus_url
from pipelinectl.settings import Settings


def query(settings_or_url: Settings | str, expr: str, *, timeout: float = 10.0) -> list[dict]:
    """Instant query; returns the `result` list (raises RuntimeError on a Prometheus error)."""
    base = settings_or_url if isinstance(settings_or_url, str) else prometheus_url(settings_or_url)
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as error:
        payload = json.loads(error.read() or b"{}")
    if payload.get("status") != "success":
        raise RuntimeError(f"query failed: {expr}: {payload.get('error', payload)}")
    result = payload["data"]["result"]
    return result if isinstance(result, list) else [result]


def wait_for_query(
    settings_or_url: Settings | str,
    expr: str,
    predicate: Callable[[list[dict]], bool] = bool,
    *,
    timeout: float = 30.0,
    interval: float = 0.25,
) -> list[dict]:
    """Poll an instant query until `predicate(result)` holds (default: non-empty); return it."""
    deadline = time.monotonic() + timeout
    result: list[dict] = []
    while True:
        result = query(settings_or_url, expr)
        if predicate(result):
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no matching result for {expr!r} within {timeout:g}s; last: {result}")
        time.sleep(interval)


def targets_up(settings: Settings) -> dict[str, str]:
    """Scrape job -> health ("up", "down", "unknown") of the active targets."""
    with urllib.request.urlopen(f"{prometheus_url(settings)}/api/v1/targets", timeout=10) as response:
        payload = json.load(response)
    return {target["labels"]["job"]: target["health"] for target in payload["data"]["activeTargets"]}
