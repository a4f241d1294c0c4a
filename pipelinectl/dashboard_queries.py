"""Every PromQL query of the committed Grafana dashboards, with Grafana's variables substituted, so
tests can run each one against a real Prometheus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "grafana" / "dashboards"

GRAFANA_VARIABLES = {
    "$__rate_interval": None,  # filled from the `rate_interval` argument
    "${__rate_interval}": None,
    "$__interval": "1m",
    "${__interval}": "1m",
    "$__range": "1h",
    "${__range}": "1h",
}


def substitute_grafana_variables(expr: str, rate_interval: str = "5m") -> str:
    """Replace Grafana's built-in interval variables and template variables (`$name` -> `.*`).

    Dashboard template variables are used only inside `=~"$name"` matchers, so `.*` selects all.
    """
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, rate_interval if value is None else value)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


def dashboard_files(dashboards_dir: Path = DASHBOARDS_DIR) -> list[Path]:
    return sorted(dashboards_dir.glob("*.json"))


def _panels(panels: Iterable[dict]) -> Iterable[dict]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])


def panel_queries(rate_interval: str = "5m", dashboards_dir: Path = DASHBOARDS_DIR) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every committed dashboard, variables substituted.

    Titles are prefixed with the dashboard title ("Audio pipeline / Throughput by source"); a
    panel with several targets yields one entry per target.
    """
    result: list[tuple[str, str]] = []
    for path in dashboard_files(dashboards_dir):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets") or []:
                if target.get("expr"):
                    title = f"{dashboard['title']} / {panel.get('title', '')}"
                    result.append((title, substitute_grafana_variables(target["expr"], rate_interval)))
    return result
