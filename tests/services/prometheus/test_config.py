"""The rendered and the compose Prometheus configs pass promtool."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support.monitoring_stack import fixed_port_settings, scrape_jobs

from pipelinectl.services import prometheus as prom
from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs Debian package prometheus")


def promtool_ok(*args: str) -> None:
    result = prom.promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_rendered_configs_pass_promtool(tmp_path: Path) -> None:
    dev = prom.write_config(fixed_port_settings(tmp_path / "dev"))
    promtool_ok("check", "config", str(dev))
    secure_settings = fixed_port_settings(tmp_path / "secure", NIFI_PROFILE="secure")
    secure = prom.write_config(secure_settings)
    nifi = scrape_jobs(yaml.safe_load(secure.read_text()))["nifi"]
    assert nifi["scheme"] == "https"
    assert nifi["authorization"]["credentials_file"] == str(prom.nifi_token_file(secure_settings))
    assert prom.nifi_token_file(secure_settings).stat().st_mode & 0o077 == 0
    promtool_ok("check", "config", str(secure))


@needs_promtool
def test_rendered_cluster_configs_pass_promtool(tmp_path: Path) -> None:
    for profile in ("dev", "secure"):
        settings = fixed_port_settings(tmp_path / profile, NIFI_PROFILE=profile, NIFI_CLUSTER_NODES="2")
        rendered = prom.write_config(settings)
        scrape = scrape_jobs(yaml.safe_load(rendered.read_text()))
        assert scrape["nifi"]["static_configs"][0]["targets"] == ["127.0.0.1:18080", "127.0.0.1:18081"]
        assert {"nifi_cluster", "ingest_balancer"} <= set(scrape)
        promtool_ok("check", "config", str(rendered))


@needs_promtool
def test_compose_config_passes_promtool(tmp_path: Path) -> None:
    text = (REPO / "prometheus" / "prometheus.compose.yml").read_text()
    document = yaml.safe_load(text)
    scrape = scrape_jobs(document)
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
