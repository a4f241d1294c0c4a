"""Panel specs to Grafana dashboard JSON with grafana-foundation-sdk, in a diff-stable text form."""

from __future__ import annotations

import json

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

from grafana.panel_specs import DATASOURCE_UID, PanelSpec, Query, Rows

DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


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
        if "text_mode" in spec.extra:  # "name": show which series (e.g. which node) rather than its value
            panel = panel.text_mode(common.BigValueTextMode(spec.extra["text_mode"]))
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


def render(document: dict) -> str:
    """Stable text form: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
