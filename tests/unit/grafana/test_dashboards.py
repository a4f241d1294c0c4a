"""Grafana: generated dashboards up to date, structure, PromQL syntax and metric names, provisioning."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from support.promql_names import cluster_series, pipeline_series, selector_names

from grafana import builder, generate
from grafana.panel_specs import DATASOURCE_UID
from pipelinectl import dashboard_queries
from pipelinectl.nifi import metric_names
from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


GRAFANA = REPO / "grafana"


DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return generate


def dashboards() -> list[dict]:
    return [json.loads(path.read_text()) for path in DASHBOARD_FILES]


def all_panels(dashboard: dict) -> list[dict]:
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def test_committed_json_is_generated_and_stable(generator: ModuleType, tmp_path: Path) -> None:
    generated = generator.dashboards()
    assert sorted(generated) == [path.name for path in DASHBOARD_FILES]
    for name, document in generated.items():
        committed = (GRAFANA / "dashboards" / name).read_text()
        assert committed == builder.render(document), f"{name} is stale: run python -m grafana.generate"
        assert committed == builder.render(generator.dashboards()[name])  # deterministic
    assert generator.main(["--check"]) == 0
    assert generator.main(["--out", str(tmp_path)]) == 0
    assert generator.main(["--check", "--out", str(tmp_path)]) == 0


def test_dashboard_structure(generator: ModuleType) -> None:
    uids = set()
    for dashboard in dashboards():
        assert dashboard["title"] and dashboard["schemaVersion"] == 41
        assert 0 < len(dashboard["uid"]) <= 40 and dashboard["uid"] not in uids
        uids.add(dashboard["uid"])
        panels = all_panels(dashboard)
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
            assert grid["h"] > 0 and grid["y"] >= 0
            if panel["type"] == "row":
                continue
            assert panel["title"] and panel["description"]
            assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
            targets = panel["targets"]
            assert targets, panel["title"]
            assert len({t["refId"] for t in targets}) == len(targets)
            for target in targets:
                assert target["expr"].strip()
                assert target["datasource"]["uid"] == DATASOURCE_UID


def test_required_panels_are_present() -> None:
    titles = {panel["title"] for dashboard in dashboards() for panel in all_panels(dashboard)}
    required = {
        "Throughput by source",
        "Stage latency percentiles",
        "End-to-end latency percentiles",
        "Classes over time",
        "PESQ MOS distribution",
        "Quality labels",
        "Fingerprint matches and duplicates",
        "Quarantined files by reason",
        "Integrated loudness distribution",
        "True peak distribution",
        "Loudness compliance by profile",
        "Loudness compliance over time",
        "Transcribed audio per second",
        "Transcripts by language",
        "Words per minute of speech (median by language)",
        "Queue depth per connection",
        "Back-pressure engaged",
        "JVM heap",
        "Model-server request latency",
        "Model-server error ratio",
        "Connected nodes",
        "Primary node",
        "Throughput per node",
        "Queue depth per node",
    }
    assert required <= titles, required - titles


def test_every_panel_query_parses_and_uses_known_metrics() -> None:
    ours = pipeline_series() | cluster_series()
    queries = dashboard_queries.panel_queries()
    assert len(queries) >= 25
    for title, expr in queries:
        assert "$" not in expr, title
        try:
            names = selector_names(expr)
        except ValueError as error:
            pytest.fail(f"{title}: {expr}: {error}")
        assert names, title
        for name in names:
            assert (
                name in ours
                or name in metric_names.NIFI_METRIC_NAMES
                or name == "up"
                or name.startswith(":tensorflow:serving:")
            ), (
                title,
                name,
            )


def test_variable_substitution() -> None:
    expr = 'rate(x{source=~"$source"}[$__rate_interval]) + increase(y[$__range]) + z[${__interval}]'
    assert (
        dashboard_queries.substitute_grafana_variables(expr, "2m")
        == 'rate(x{source=~".*"}[2m]) + increase(y[1h]) + z[1m]'
    )


def test_provisioning_matches_dashboards_and_compose(generator: ModuleType) -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    assert datasources["apiVersion"] == 1
    (source,) = datasources["datasources"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == "prometheus"
    assert source["access"] == "proxy" and source["isDefault"] is True
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "audio-pipeline.yaml").read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in grafana["volumes"] if volume.startswith("./"))
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert "PROMETHEUS_URL" in grafana["environment"] and "${PROMETHEUS_URL}" in source["url"]
