"""The local Prometheus and Pushgateway services: config rendering, definitions, CLIs (no Prometheus runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from support.monitoring_stack import fixed_port_settings, scrape_jobs

from pipelinectl.services import cluster_exporter, ingest_balancer
from pipelinectl.services import prometheus as prom
from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


def test_rendered_dev_config_scrapes_every_target(tmp_path: Path) -> None:
    text = prom.render_config(fixed_port_settings(tmp_path))
    assert "$" not in text.split("scrape_configs:", 1)[1]
    document = yaml.safe_load(text)
    scrape = scrape_jobs(document)
    assert scrape["nifi"]["metrics_path"] == "/nifi-api/flow/metrics/prometheus"
    assert scrape["nifi"]["scheme"] == "http"
    assert scrape["nifi"]["static_configs"][0]["targets"] == ["127.0.0.1:18080"]
    assert scrape["pushgateway"]["honor_labels"] is True
    assert scrape["pushgateway"]["static_configs"][0]["targets"] == ["127.0.0.1:19091"]
    assert scrape["model_server"]["metrics_path"] == "/monitoring/prometheus/metrics"
    assert scrape["model_server"]["static_configs"][0]["targets"] == ["127.0.0.1:18501"]
    assert scrape["prometheus"]["static_configs"][0]["targets"] == ["127.0.0.1:19090"]
    assert document["rule_files"] == [f"{REPO / 'prometheus' / 'rules'}/*.yml"]


def test_standalone_config_has_no_cluster_jobs(tmp_path: Path) -> None:
    scrape = scrape_jobs(yaml.safe_load(prom.render_config(fixed_port_settings(tmp_path))))
    assert set(scrape) == {"prometheus", "nifi", "pushgateway", "model_server"}


def test_a_cluster_is_scraped_on_every_node_with_its_exporter_and_balancer(tmp_path: Path) -> None:
    settings = fixed_port_settings(tmp_path, NIFI_CLUSTER_NODES="3", INGEST_HTTP_PORT="19099")
    text = prom.render_config(settings)
    assert "$" not in text.split("scrape_configs:", 1)[1]
    scrape = scrape_jobs(yaml.safe_load(text))
    assert scrape["nifi"]["static_configs"][0]["targets"] == ["127.0.0.1:18080", "127.0.0.1:18081", "127.0.0.1:18082"]
    assert scrape["nifi_cluster"]["static_configs"][0]["targets"] == [f"127.0.0.1:{cluster_exporter.port(settings)}"]
    assert cluster_exporter.port(settings) == 19092
    assert scrape["ingest_balancer"]["metrics_path"] == ingest_balancer.METRICS_PATH
    assert scrape["ingest_balancer"]["static_configs"][0]["targets"] == ["127.0.0.1:19099"]
    assert "honor_labels" not in scrape["nifi_cluster"]  # its `node` label is its own, `instance` the target
    assert scrape["pushgateway"]["honor_labels"] is True


def test_cli_render_config(tmp_path: Path) -> None:
    env = {"PIPELINE_DATA_DIR": str(tmp_path), "PUSHGATEWAY_PORT": "29091", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "pipelinectl.services.prometheus", "render-config"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
    )
    assert re.search(r"127\.0\.0\.1:29091", result.stdout)


def test_service_definitions(tmp_path: Path) -> None:
    settings = fixed_port_settings(tmp_path)
    pushgateway, prometheus = prom.services(settings)
    assert (pushgateway.name, prometheus.name) == ("pushgateway", "prometheus")
    assert "--web.listen-address=127.0.0.1:19091" in pushgateway.command
    assert f"--persistence.file={tmp_path / 'state' / 'pushgateway' / 'pushgateway.store'}" in pushgateway.command
    assert f"--config.file={prom.config_path(settings)}" in prometheus.command
    assert "--web.listen-address=127.0.0.1:19090" in prometheus.command
    assert prometheus.cwd == tmp_path / "state" / "prometheus"
    assert (pushgateway.comm, prometheus.comm) == (prom.PUSHGATEWAY_BIN, prom.PROMETHEUS_BIN)
    assert not prom.config_path(settings).exists()
    prometheus.prepare()
    assert "127.0.0.1:19091" in prom.config_path(settings).read_text()


def test_secure_config_reads_the_refreshed_token_over_https(tmp_path: Path) -> None:
    settings = fixed_port_settings(tmp_path, NIFI_PROFILE="secure")
    nifi = scrape_jobs(yaml.safe_load(prom.render_config(settings)))["nifi"]
    assert nifi["scheme"] == "https"
    assert nifi["authorization"] == {"type": "Bearer", "credentials_file": str(prom.nifi_token_file(settings))}
    assert nifi["tls_config"] == {"ca_file": str(tmp_path / "state" / "tls" / "nifi.crt")}


def test_secure_cluster_config_scrapes_every_node_with_the_token(tmp_path: Path) -> None:
    settings = fixed_port_settings(tmp_path, NIFI_PROFILE="secure", NIFI_CLUSTER_NODES="2")
    scrape = scrape_jobs(yaml.safe_load(prom.render_config(settings)))
    assert scrape["nifi"]["static_configs"][0]["targets"] == ["127.0.0.1:18080", "127.0.0.1:18081"]
    assert scrape["nifi"]["authorization"]["credentials_file"] == str(prom.nifi_token_file(settings))
    assert "authorization" not in scrape["nifi_cluster"] and "authorization" not in scrape["ingest_balancer"]
