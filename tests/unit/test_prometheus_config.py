"""Prometheus configuration and alerting rules: rendering, promtool checks, rule unit tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import promql_parser
import pytest
import yaml
from pipelinectl import prometheus as prom
from pipelinectl import settings as settings_mod

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((REPO / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((REPO / "prometheus" / "tests").glob("*.yml"))

NIFI_METRICS = prom.NIFI_METRIC_NAMES

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs Debian package prometheus")


def promtool_ok(*args: str) -> None:
    result = prom.promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def settings_for(tmp_path: Path, **env: str) -> settings_mod.Settings:
    return settings_mod.load(
        {
            "PIPELINE_DATA_DIR": str(tmp_path),
            "PROMETHEUS_PORT": "19090",
            "PUSHGATEWAY_PORT": "19091",
            "NIFI_HTTP_PORT": "18080",
            "SERVING_REST_PORT": "18501",
            **env,
        }
    )


def jobs(document: dict) -> dict[str, dict]:
    return {job["job_name"]: job for job in document["scrape_configs"]}


def test_rendered_dev_config_scrapes_every_target(tmp_path: Path) -> None:
    text = prom.render_config(settings_for(tmp_path))
    assert "$" not in text.split("scrape_configs:", 1)[1]
    document = yaml.safe_load(text)
    scrape = jobs(document)
    assert scrape["nifi"]["metrics_path"] == "/nifi-api/flow/metrics/prometheus"
    assert scrape["nifi"]["scheme"] == "http"
    assert scrape["nifi"]["static_configs"][0]["targets"] == ["127.0.0.1:18080"]
    assert scrape["pushgateway"]["honor_labels"] is True
    assert scrape["pushgateway"]["static_configs"][0]["targets"] == ["127.0.0.1:19091"]
    assert scrape["model_server"]["metrics_path"] == "/monitoring/prometheus/metrics"
    assert scrape["model_server"]["static_configs"][0]["targets"] == ["127.0.0.1:18501"]
    assert scrape["prometheus"]["static_configs"][0]["targets"] == ["127.0.0.1:19090"]
    assert document["rule_files"] == [f"{REPO / 'prometheus' / 'rules'}/*.yml"]


@needs_promtool
def test_rendered_configs_pass_promtool(tmp_path: Path) -> None:
    dev = prom.write_config(settings_for(tmp_path / "dev"))
    promtool_ok("check", "config", str(dev))
    secure_settings = settings_for(tmp_path / "secure", NIFI_PROFILE="secure")
    secure = prom.write_config(secure_settings)
    nifi = jobs(yaml.safe_load(secure.read_text()))["nifi"]
    assert nifi["scheme"] == "https"
    assert nifi["authorization"]["credentials_file"] == str(prom.nifi_token_file(secure_settings))
    assert prom.nifi_token_file(secure_settings).stat().st_mode & 0o077 == 0
    promtool_ok("check", "config", str(secure))


@needs_promtool
def test_compose_config_passes_promtool(tmp_path: Path) -> None:
    text = (REPO / "prometheus" / "prometheus.compose.yml").read_text()
    document = yaml.safe_load(text)
    scrape = jobs(document)
    assert scrape["nifi"]["scheme"] == "https"
    assert scrape["nifi"]["static_configs"][0]["targets"] == ["nifi:8443"]
    assert scrape["pushgateway"]["honor_labels"] is True
    assert scrape["model_server"]["static_configs"][0]["targets"] == ["tfserving:8501"]
    # Point the container paths at local files so promtool can check them too.
    token = tmp_path / "token"
    token.write_text("x\n")
    text = text.replace("/run/nifi-token/token", str(token))
    text = text.replace("/etc/prometheus/rules", str(REPO / "prometheus" / "rules"))
    local = tmp_path / "prometheus.yml"
    local.write_text(text)
    promtool_ok("check", "config", str(local))


@needs_promtool
def test_rules_pass_promtool_check() -> None:
    assert RULE_FILES
    promtool_ok("check", "rules", *map(str, RULE_FILES))


@needs_promtool
def test_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    promtool_ok("test", "rules", *map(str, RULE_TESTS))


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
        "AudioPipelineHighFailureRatio",
        "AudioPipelineStalled",
        "AudioPipelineNoFilesProcessed",
        "NiFiBacklog",
        "NiFiBackPressure",
        "ModelServerDown",
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


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def test_rules_use_real_metric_names() -> None:
    from audio_pipeline import metrics

    ours = set()
    for name in metrics.metric_names():
        ours |= {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    for rule in alerting_rules():
        for name in metric_names(rule["expr"]):
            if name.startswith("nifi_"):
                assert name in NIFI_METRICS, (rule["alert"], name)
            elif name.startswith("audio_pipeline_"):
                assert name in ours, (rule["alert"], name)
            else:
                assert name == "up" or name.startswith(":tensorflow:serving:"), (rule["alert"], name)


def test_cli_render_config(tmp_path: Path) -> None:
    env = {"PIPELINE_DATA_DIR": str(tmp_path), "PUSHGATEWAY_PORT": "29091", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "pipelinectl.prometheus", "render-config"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO / "scripts")},
        check=True,
    )
    assert re.search(r"127\.0\.0\.1:29091", result.stdout)
    status = subprocess.run(
        [sys.executable, "-m", "pipelinectl.prometheus", "status"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO / "scripts")},
        check=False,
    )
    assert status.returncode == 3 and "stopped" in status.stdout


def test_nifi_token_helper_writes_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_fetch(base_url: str, username: str, password: str, *, verify_tls: bool = True) -> str:
        calls.append((base_url, username, password, verify_tls))
        return "jwt-token"

    monkeypatch.setattr(prom, "fetch_nifi_token", fake_fetch)
    out = tmp_path / "tokens" / "nifi.token"
    prom.refresh_nifi_token("https://nifi:8443", "admin", "secret-password", out, verify_tls=False)
    assert out.read_text() == "jwt-token\n"
    assert out.stat().st_mode & 0o777 == 0o600
    assert calls == [("https://nifi:8443", "admin", "secret-password", False)]
