"""The alerting rules: required alerts, documentation, real metric names, every alert exercised."""

from __future__ import annotations

import promql_parser
import yaml
from support.promql_names import cluster_series, pipeline_series, selector_names

from pipelinectl.nifi import metric_names
from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


RULE_FILES = sorted((REPO / "prometheus" / "rules").glob("*.yml"))


RULE_TESTS = sorted((REPO / "prometheus" / "tests").glob("*.yml"))


NIFI_METRICS = metric_names.NIFI_METRIC_NAMES


def alerting_rules() -> list[dict]:
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(rule for rule in group["rules"] if "alert" in rule)
    return rules


def test_required_alerts_exist_and_are_documented() -> None:
    rules = alerting_rules()
    names = {rule["alert"] for rule in rules}
    assert {
        "AudioPipelineHighQuarantineRatio",
        "AudioPipelineStalled",
        "AudioPipelineNoFilesProcessed",
        "NiFiBacklog",
        "NiFiBackPressure",
        "ModelServerDown",
        "NiFiClusterNodeDisconnected",
    } <= names
    assert len(names) == len(rules)
    for rule in rules:
        assert rule["labels"]["severity"] in ("info", "warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        promql_parser.parse(rule["expr"])


def test_every_alert_fires_in_a_rule_unit_test() -> None:
    fired = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert {rule["alert"] for rule in alerting_rules()} <= fired


def test_rules_use_real_metric_names() -> None:
    ours = pipeline_series() | cluster_series()
    for rule in alerting_rules():
        for name in selector_names(rule["expr"]):
            if name.startswith("nifi_"):
                assert name in NIFI_METRICS, (rule["alert"], name)
            elif name.startswith("audio_pipeline_"):
                assert name in ours, (rule["alert"], name)
            else:
                assert name == "up" or name.startswith(":tensorflow:serving:"), (rule["alert"], name)
