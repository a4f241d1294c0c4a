"""What a dashboard panel shows (title, kind, PromQL, looks), independent of Grafana's JSON model.

The two dashboards are lists of these (pipeline_dashboard.py, platform_dashboard.py); builder.py
turns them into Grafana JSON with grafana-foundation-sdk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

DATASOURCE_UID = "audio-prometheus"  # the uid of the provisioned Prometheus datasource
RATE = "$__rate_interval"
SOURCE = 'source=~"$source"'
CONNECTION = 'component_type="Connection"'
QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class Query:
    expr: str
    legend: str = ""
    heatmap: bool = False


@dataclass
class PanelSpec:
    """One panel: kind ("timeseries", "stat", "heatmap", "piechart"), queries and looks."""

    title: str
    kind: str
    queries: list[Query]
    description: str = ""
    unit: str = "short"
    width: int = 12
    height: int = 8
    stacked: bool = False
    bars: bool = False
    extra: dict = field(default_factory=dict)  # "min", "max"; stat panels: "text_mode"


Rows = list[tuple[str, list[PanelSpec]]]


def quantile_queries(metric: str, by: Sequence[str] = (), selector: str = "", divide: str = "") -> list[Query]:
    """p50/p95/p99 of a classic histogram, aggregated over workers (optionally kept `by` labels)."""
    labels = ", ".join(("le", *by))
    legend_prefix = " ".join("{{" + label + "}}" for label in by)
    queries = []
    for q in QUANTILES:
        expr = f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket{{{selector}}}[{RATE}])))"
        if divide:
            expr = f"{expr} / {divide}"
        queries.append(Query(expr, f"{legend_prefix} p{round(q * 100)}".strip()))
    return queries


def zero_when_absent(expr: str, labels: Sequence[str]) -> str:
    """`expr`, or a single 0 (its `labels` set to "none") when it has no series: an error or retry
    panel then shows 0 in a healthy run, where the counters of failures that never happened do not
    exist, instead of "No data", which reads as a broken panel."""
    zero = "vector(0)"
    for label in labels:
        zero = f'label_replace({zero}, "{label}", "none", "", "")'
    return f"({expr}) or on() {zero}"
