"""Generate the Grafana dashboards in grafana/dashboards/ from code (grafana-foundation-sdk).

    .venv/bin/python grafana/generate.py           # rewrite the committed JSON
    .venv/bin/python grafana/generate.py --check   # exit 1 if the committed JSON is out of date

The JSON is written with sorted keys and a 2-space indent so regenerating is diff-stable. All
panels use the Prometheus datasource provisioned with uid DATASOURCE_UID. Metric names:
docs/metrics.md. The queries are also used by tests through `pipelinectl.dashboard_queries.panel_queries`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard, heatmap, piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dashboard_model
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE_UID = "audio-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
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
    extra: dict = field(default_factory=dict)


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


def pipeline_rows() -> Rows:
    """Rows of the "Audio pipeline" dashboard (audio_pipeline_* metrics only)."""
    throughput = [
        PanelSpec(
            "Throughput by source",
            "timeseries",
            [
                Query(
                    f"sum by (source, status) (rate(audio_pipeline_files_total{{{SOURCE}}}[{RATE}]))",
                    "{{source}} {{status}}",
                )
            ],
            "Files that finished the pipeline per second, by ingest source and status (ok, quarantined).",
            unit="ops",
        ),
        PanelSpec(
            "Audio processed",
            "timeseries",
            [
                Query(
                    f"sum by (source) (rate(audio_pipeline_audio_seconds_total{{{SOURCE}}}[{RATE}]))",
                    "{{source}}",
                )
            ],
            "Seconds of audio finished per second of wall time (1 = real time).",
            unit="none",
            width=6,
        ),
        PanelSpec(
            "Files finished in range",
            "stat",
            [
                Query(
                    f"sum by (status) (increase(audio_pipeline_files_total{{{SOURCE}}}[$__range]))",
                    "{{status}}",
                )
            ],
            "Files that finished in the selected time range, by status.",
            width=6,
        ),
    ]
    latency = [
        PanelSpec(
            "Stage latency percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_stage_duration_seconds", by=("stage",)),
            "p50/p95/p99 processing time of one file per stage (decode, classify, fingerprint, pesq, ...).",
            unit="s",
        ),
        PanelSpec(
            "End-to-end latency percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_end_to_end_latency_seconds", selector=f'{SOURCE}, status="ok"'),
            "Time from ingest (audio.ingested.at) to the stored result, files with status ok.",
            unit="s",
        ),
        PanelSpec(
            "Mean time per stage",
            "timeseries",
            [
                Query(
                    f"sum by (stage) (rate(audio_pipeline_stage_duration_seconds_sum[{RATE}]))"
                    f" / sum by (stage) (rate(audio_pipeline_stage_duration_seconds_count[{RATE}]))",
                    "{{stage}}",
                )
            ],
            "Average seconds per file in each stage; stacked, the total approximates the pipeline cost.",
            unit="s",
            stacked=True,
        ),
        PanelSpec(
            "Audio duration percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_audio_duration_seconds", selector=SOURCE),
            "Length of the audio files that finished.",
            unit="s",
        ),
    ]
    results = [
        PanelSpec(
            "Classes over time",
            "timeseries",
            [Query(f"sum by (class) (rate(audio_pipeline_classifications_total[{RATE}]))", "{{class}}")],
            "Files with status ok per second, by predicted class.",
            unit="ops",
            stacked=True,
        ),
        PanelSpec(
            "Classification confidence (median by class)",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.5, sum by (le, class) "
                    f"(rate(audio_pipeline_classification_confidence_bucket[{RATE}])))",
                    "{{class}}",
                )
            ],
            "Median confidence of the predicted class; a drop hints at drift or a bad model version.",
            unit="percentunit",
        ),
        PanelSpec(
            "PESQ MOS distribution",
            "heatmap",
            [
                Query(
                    f"sum by (le) (increase(audio_pipeline_pesq_mos_bucket[{RATE}]))",
                    "{{le}}",
                    heatmap=True,
                )
            ],
            "Files per PESQ MOS-LQO bucket over time (1 = bad, 4.5 = excellent).",
        ),
        PanelSpec(
            "PESQ MOS percentiles",
            "timeseries",
            quantile_queries("audio_pipeline_pesq_mos", by=("mode",)),
            "p50/p95/p99 of PESQ MOS-LQO by mode (nb/wb).",
            unit="none",
            width=6,
        ),
        PanelSpec(
            "Quality labels",
            "piechart",
            [Query("sum by (label) (increase(audio_pipeline_quality_total[$__range]))", "{{label}}")],
            "Files per PESQ quality label in the selected range.",
            width=6,
        ),
        PanelSpec(
            "Fingerprint matches and duplicates",
            "timeseries",
            [
                Query(f"sum(rate(audio_pipeline_fingerprint_matches_total[{RATE}]))", "catalog matches"),
                Query(f"sum(rate(audio_pipeline_duplicates_total[{RATE}]))", "duplicates"),
            ],
            "Files with status ok per second that matched the fingerprint catalog or duplicated an earlier file.",
            unit="ops",
        ),
        PanelSpec(
            "Quarantined files by reason",
            "timeseries",
            [Query(f"sum by (reason) (rate(audio_pipeline_failures_total[{RATE}]))", "{{reason}}")],
            "Quarantined files per second by audio.error code (not_audio, corrupt_audio, pesq_error, ...).",
            unit="ops",
            stacked=True,
            bars=True,
        ),
        PanelSpec(
            "Quarantine ratio",
            "stat",
            [
                Query(
                    f'sum(increase(audio_pipeline_files_total{{{SOURCE}, status="quarantined"}}[$__range]))'
                    f" / sum(increase(audio_pipeline_files_total{{{SOURCE}}}[$__range]))",
                    "quarantined",
                )
            ],
            "Share of finished files that were quarantined in the selected range (alert above 10% over 10 min).",
            unit="percentunit",
            width=6,
        ),
        PanelSpec(
            "Metric worker restarts",
            "timeseries",
            [
                Query(
                    f"sum by (previous_shutdown) (increase(audio_pipeline_worker_starts_total[{RATE}]))",
                    "{{previous_shutdown}}",
                )
            ],
            "Processor processes taking over a metrics slot; 'unclean' means up to one push interval "
            "of counts was lost.",
            width=6,
            bars=True,
        ),
    ]
    return [("Throughput", throughput), ("Latency", latency), ("Results and quality", results)]


def platform_rows() -> Rows:
    """Rows of the "Audio pipeline platform" dashboard (NiFi, JVM, model server, scrapes)."""
    pair = "{{source_name}} → {{destination_name}}"
    nifi = [
        PanelSpec(
            "Queue depth per connection",
            "timeseries",
            [
                Query(
                    f"sum by (source_name, destination_name) (nifi_amount_items_queued{{{CONNECTION}}})",
                    pair,
                )
            ],
            "FlowFiles waiting in each NiFi connection.",
            stacked=True,
        ),
        PanelSpec(
            "Queued bytes per connection",
            "timeseries",
            [
                Query(
                    f"sum by (source_name, destination_name) (nifi_size_content_queued_total{{{CONNECTION}}})",
                    pair,
                )
            ],
            "Content bytes waiting in each NiFi connection.",
            unit="bytes",
            stacked=True,
        ),
        PanelSpec(
            "Back-pressure engaged",
            "timeseries",
            [
                Query(
                    f"max by (source_name, destination_name) (nifi_backpressure_enabled{{{CONNECTION}}})",
                    pair,
                )
            ],
            "1 while a connection is at its object or size threshold (its source is not scheduled).",
            extra={"min": 0, "max": 1},
        ),
        PanelSpec(
            "Queue fill (% of back-pressure threshold)",
            "timeseries",
            [
                Query(
                    f"max by (source_name, destination_name) (nifi_percent_used_count{{{CONNECTION}}})",
                    pair + " objects",
                ),
                Query(
                    f"max by (source_name, destination_name) (nifi_percent_used_bytes{{{CONNECTION}}})",
                    pair + " bytes",
                ),
            ],
            "How close each connection is to back-pressure (alert above 80%).",
            unit="percent",
        ),
        PanelSpec(
            "Processor activity",
            "timeseries",
            [
                Query(
                    'sum by (component_name) (nifi_amount_items_input{component_type="Processor"})',
                    "{{component_name}} in",
                ),
                Query(
                    'sum by (component_name) (nifi_amount_threads_active{component_type="Processor"})',
                    "{{component_name}} threads",
                ),
            ],
            "FlowFiles taken in per processor over NiFi's rolling 5-minute window, and active threads.",
        ),
        PanelSpec(
            "JVM heap",
            "timeseries",
            [
                Query("max by (instance) (nifi_jvm_heap_used)", "used {{instance}}"),
            ],
            "NiFi JVM heap in use.",
            unit="bytes",
            width=6,
        ),
        PanelSpec(
            "JVM heap usage",
            "stat",
            [Query("max by (instance) (nifi_jvm_heap_usage)", "{{instance}}")],
            "Heap used as a share of the maximum heap (alert above 90%).",
            unit="percentunit",
            width=6,
        ),
    ]
    model = [
        PanelSpec(
            "Model-server requests by status",
            "timeseries",
            [
                Query(
                    f"sum by (model_name, status) (rate(:tensorflow:serving:request_count[{RATE}]))",
                    "{{model_name}} {{status}}",
                )
            ],
            "TensorFlow Serving requests per second by model and gRPC status.",
            unit="reqps",
            stacked=True,
        ),
        PanelSpec(
            "Model-server error ratio",
            "timeseries",
            [
                Query(
                    "sum by (model_name) "
                    f'(rate(:tensorflow:serving:request_count{{status!="OK"}}[{RATE}]))'
                    " / sum by (model_name) "
                    f"(rate(:tensorflow:serving:request_count[{RATE}]))",
                    "{{model_name}}",
                )
            ],
            "Share of model-server requests that did not return OK (alert above 5%).",
            unit="percentunit",
        ),
        PanelSpec(
            "Model-server request latency",
            "timeseries",
            quantile_queries(":tensorflow:serving:request_latency", by=("model_name",), divide="1e6"),
            "p50/p95/p99 request latency inside TensorFlow Serving (exported in microseconds).",
            unit="s",
        ),
        PanelSpec(
            "Scrape targets up",
            "stat",
            [Query("max by (job) (up)", "{{job}}")],
            "1 = Prometheus reaches the target (nifi, pushgateway, model_server, prometheus).",
        ),
    ]
    return [("NiFi", nifi), ("Model server and scrapes", model)]


# --- building ----------------------------------------------------------------------------------


def _target(query: Query, ref_id: str) -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(query.expr).ref_id(ref_id).datasource(DATASOURCE)
    if query.legend:
        target = target.legend_format(query.legend)
    if query.heatmap:
        target = target.format(PromQueryFormat.HEATMAP)
    return target


def _panel(spec: PanelSpec, panel_id: int) -> cogbuilder.Builder[dashboard_model.Panel]:
    panel: timeseries.Panel | stat.Panel | heatmap.Panel | piechart.Panel
    if spec.kind == "timeseries":
        panel = timeseries.Panel().fill_opacity(10 if not spec.bars else 80)
        if spec.stacked:
            panel = panel.stacking(common_builder.StackingConfig().mode(common.StackingMode.NORMAL))
        if spec.bars:
            panel = panel.draw_style(common.GraphDrawStyle.BARS)
        panel = panel.legend(
            common_builder.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    elif spec.kind == "stat":
        panel = stat.Panel().reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]))
    elif spec.kind == "heatmap":
        panel = heatmap.Panel().calculate(False)
    elif spec.kind == "piechart":
        panel = piechart.Panel().reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    else:
        raise ValueError(f"unknown panel kind {spec.kind!r}")
    panel = (
        panel.id(panel_id)
        .title(spec.title)
        .description(spec.description)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .height(spec.height)
        .span(spec.width)
    )
    if "min" in spec.extra:
        panel = panel.min(spec.extra["min"])
    if "max" in spec.extra:
        panel = panel.max(spec.extra["max"])
    for index, query in enumerate(spec.queries):
        panel = panel.with_target(_target(query, chr(ord("A") + index)))
    return panel


def _source_variable() -> dashboard.QueryVariable:
    return (
        dashboard.QueryVariable("source")
        .label("Source")
        .datasource(DATASOURCE)
        .query("label_values(audio_pipeline_files_total, source)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def build_dashboard(uid: str, title: str, description: str, rows: Rows, *, source_variable: bool) -> dict:
    """Build one dashboard as a plain JSON-ready dict."""
    builder = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["audio-pipeline"])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .editable()
    )
    if source_variable:
        builder = builder.with_variable(_source_variable())
    panel_id = 1
    for row_title, specs in rows:
        builder = builder.with_row(dashboard.Row(row_title).id(panel_id))
        panel_id += 1
        for spec in specs:
            builder = builder.with_panel(_panel(spec, panel_id))
            panel_id += 1
    return json.loads(JSONEncoder(sort_keys=True).encode(builder.build()))


def dashboards() -> dict[str, dict]:
    """File name -> dashboard JSON for every generated dashboard."""
    return {
        "audio-pipeline.json": build_dashboard(
            "audio-pipeline",
            "Audio pipeline",
            "Files, latency, classes, PESQ quality, fingerprints and quarantined files (audio_pipeline_* metrics).",
            pipeline_rows(),
            source_variable=True,
        ),
        "audio-pipeline-platform.json": build_dashboard(
            "audio-pipeline-platform",
            "Audio pipeline platform",
            "NiFi queues, back-pressure and JVM; TensorFlow Serving requests, errors and latency.",
            platform_rows(),
            source_variable=False,
        ),
    }


def render(document: dict) -> str:
    """Stable text form: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed JSON differs")
    parser.add_argument("--out", type=Path, default=DASHBOARDS_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, document in dashboards().items():
        path = args.out / name
        text = render(document)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (run grafana/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
