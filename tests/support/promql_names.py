"""The series names a PromQL expression selects, and every series name our metrics sink and our
cluster exporter export: what the dashboard and alert-rule tests compare, so that a panel or rule
cannot ask for a series that nobody writes."""

from __future__ import annotations

import promql_parser
from audio_pipeline import metrics

from pipelinectl.cluster_metrics import names as cluster_names


def selector_names(expr: str) -> set[str]:
    """Metric names of every vector selector in `expr` (raises ValueError if it does not parse)."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def pipeline_series() -> set[str]:
    """Every series our metrics sink exports, histograms' _bucket/_sum/_count included."""
    return {f"{name}{suffix}" for name in metrics.metric_names() for suffix in ("", "_bucket", "_sum", "_count")}


def cluster_series() -> set[str]:
    """Every series the cluster exporter (pipelinectl.cluster_metrics) exports."""
    return set(cluster_names.METRIC_NAMES)
