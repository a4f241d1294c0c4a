"""The local Prometheus and Pushgateway as services, and Prometheus's rendered config.

Uses the Debian binaries (`/usr/bin/prometheus`, `/usr/bin/prometheus-pushgateway`), bound to
127.0.0.1 on the ports from `pipelinectl.settings`, each with its data under
`settings.state_dir/<service>/` (pid file and log as every service of pipelinectl.services). The
config is rendered from prometheus/prometheus.yml.tmpl: NiFi on every node (pipelinectl.cluster),
and in cluster mode also the jobs of prometheus/cluster-scrape-configs.yml.tmpl (the cluster
exporter, the ingest balancer). In the secure profile Prometheus scrapes NiFi over HTTPS with the
bearer token the token refresher keeps fresh (services/nifi_token.py).

    python -m pipelinectl.services.prometheus render-config   print the config rendered for the settings
"""

from __future__ import annotations

import argparse
import string
import subprocess
import sys
import urllib.request
from pathlib import Path

from pipelinectl import cluster
from pipelinectl.atomic_file import write_atomically
from pipelinectl.nifi import security as nifi_security
from pipelinectl.services import ingest_balancer
from pipelinectl.services.supervisor import Service, answers_http
from pipelinectl.settings import REPO_ROOT, Settings, load

PROMETHEUS_DIR = REPO_ROOT / "prometheus"
CONFIG_TEMPLATE = PROMETHEUS_DIR / "prometheus.yml.tmpl"
CLUSTER_JOBS_TEMPLATE = PROMETHEUS_DIR / "cluster-scrape-configs.yml.tmpl"
RULES_DIR = PROMETHEUS_DIR / "rules"

PROMETHEUS_BIN = "/usr/bin/prometheus"
PUSHGATEWAY_BIN = "/usr/bin/prometheus-pushgateway"
PROMTOOL_BIN = "/usr/bin/promtool"


def prometheus_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.prometheus_port}"


def pushgateway_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.pushgateway_port}"


def service_data_dir(settings: Settings, name: str) -> Path:
    """Where the service `name` ("prometheus" or "pushgateway") keeps its data."""
    return settings.state_dir / name


# --- configuration -----------------------------------------------------------------------------


def nifi_token_file(settings: Settings) -> Path:
    """Bearer token file Prometheus reads when NiFi runs the secure (HTTPS) profile."""
    return service_data_dir(settings, "prometheus") / "nifi.token"


def render_config(
    settings: Settings,
    *,
    scrape_interval: str = "15s",
    evaluation_interval: str = "15s",
    rules_dir: Path = RULES_DIR,
) -> str:
    """Render prometheus/prometheus.yml.tmpl for `settings`: every NiFi node, the cluster's jobs when
    clustered (secure profile: HTTPS + token file)."""
    template = string.Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    text = template.substitute(
        SCRAPE_INTERVAL=scrape_interval,
        EVALUATION_INTERVAL=evaluation_interval,
        RULES_DIR=str(rules_dir),
        PROMETHEUS_PORT=settings.prometheus_port,
        PUSHGATEWAY_PORT=settings.pushgateway_port,
        NIFI_TARGETS=nifi_targets(settings),
        NIFI_SCHEME="https" if settings.profile == "secure" else "http",
        SERVING_REST_PORT=settings.serving_rest_port,
        CLUSTER_SCRAPE_CONFIGS=cluster_scrape_configs(settings),
    )
    if settings.profile != "secure":
        return text
    import yaml  # only the secure profile needs to edit the parsed document

    document = yaml.safe_load(text)
    for job in document["scrape_configs"]:
        if job["job_name"] == "nifi":
            # NiFi's generated certificate (it names 127.0.0.1); the token refresher writes the token.
            job["authorization"] = {"type": "Bearer", "credentials_file": str(nifi_token_file(settings))}
            job["tls_config"] = {"ca_file": str(nifi_security.tls_paths(settings)[0])}
    header = "# Rendered by pipelinectl.services.prometheus for the secure NiFi profile.\n"
    return header + yaml.safe_dump(document, sort_keys=False)


def nifi_targets(settings: Settings) -> str:
    """Every node's web address as a YAML flow list: ["127.0.0.1:8080", "127.0.0.1:8081"]."""
    return "[" + ", ".join(f'"127.0.0.1:{node.nifi_http_port}"' for node in cluster.nodes(settings)) + "]"


def cluster_scrape_configs(settings: Settings) -> str:
    """The cluster-only scrape jobs (exporter, ingest balancer) as text to append, or "" standalone."""
    if not settings.clustered:
        return ""
    from pipelinectl.services import cluster_exporter  # here: it imports this module

    template = string.Template(CLUSTER_JOBS_TEMPLATE.read_text(encoding="utf-8"))
    return "\n" + template.substitute(
        CLUSTER_EXPORTER_PORT=cluster_exporter.port(settings),
        INGEST_HTTP_PORT=settings.ingest_http_port,
        INGEST_METRICS_PATH=ingest_balancer.METRICS_PATH,
    )


def config_path(settings: Settings) -> Path:
    return service_data_dir(settings, "prometheus") / "prometheus.yml"


def write_config(settings: Settings, **render_options: str) -> Path:
    """Render the config into the state dir and return its path."""
    target = config_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.profile == "secure":
        token = nifi_token_file(settings)
        if not token.exists():
            token.write_text("", encoding="utf-8")
            token.chmod(0o600)
    write_atomically(target, render_config(settings, **render_options))
    return target


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run promtool with `args`; the caller checks `returncode` (1 means the check failed)."""
    return subprocess.run([PROMTOOL_BIN, *args], capture_output=True, text=True, check=False, timeout=120)


# --- services ----------------------------------------------------------------------------------


def pushgateway_service(settings: Settings) -> Service:
    """The Pushgateway our processors push to; its persistence file keeps the groups over restarts."""
    data = service_data_dir(settings, "pushgateway")
    return Service(
        name="pushgateway",
        settings=settings,
        command=[
            PUSHGATEWAY_BIN,
            f"--web.listen-address=127.0.0.1:{settings.pushgateway_port}",
            f"--persistence.file={data / 'pushgateway.store'}",
            "--persistence.interval=30s",
        ],
        comm=PUSHGATEWAY_BIN,
        ready=answers_http(f"{pushgateway_url(settings)}/-/ready"),
        cwd=data,
        after_flow=True,
        address=pushgateway_url(settings),
    )


def prometheus_service(settings: Settings, **render_options: str) -> Service:
    """Prometheus with the config rendered for `settings` (`render_options` go to render_config); a
    start that finds it running renders the config again and makes it reload."""
    data = service_data_dir(settings, "prometheus")

    def render_and_reload() -> None:
        write_config(settings, **render_options)
        reload(settings)

    return Service(
        name="prometheus",
        settings=settings,
        command=[
            PROMETHEUS_BIN,
            f"--config.file={config_path(settings)}",
            f"--storage.tsdb.path={data / 'data'}",
            "--storage.tsdb.retention.time=15d",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
            "--web.enable-lifecycle",  # POST /-/reload after re-rendering; loopback only
        ],
        comm=PROMETHEUS_BIN,
        ready=answers_http(f"{prometheus_url(settings)}/-/ready"),
        cwd=data,
        prepare=lambda: write_config(settings, **render_options),
        reconfigure=render_and_reload,
        after_flow=True,
        address=prometheus_url(settings),
    )


def services(settings: Settings, **render_options: str) -> list[Service]:
    """The Pushgateway, then Prometheus (start order)."""
    return [pushgateway_service(settings), prometheus_service(settings, **render_options)]


def reload(settings: Settings) -> None:
    """Ask a running Prometheus to re-read its (re-rendered) config."""
    request = urllib.request.Request(f"{prometheus_url(settings)}/-/reload", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelinectl.services.prometheus")
    parser.add_argument("command", choices=["render-config"], help="print the config rendered for the settings")
    parser.parse_args(argv)
    sys.stdout.write(render_config(load()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
