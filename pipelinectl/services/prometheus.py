"""Local Prometheus and Pushgateway: render the config, start, stop, query; NiFi token helper.

Uses the Debian binaries (`/usr/bin/prometheus`, `/usr/bin/prometheus-pushgateway`), bound to
127.0.0.1 on the ports from `pipelinectl.settings`, as services of pipelinectl.services (pid file
and log like every service), each with its data under `settings.state_dir/<service>/`.
`panel_queries()` returns every Grafana panel query of the committed dashboards with the Grafana
variables substituted, ready for `query()`.

CLI: `python -m pipelinectl.services.prometheus {render-config,nifi-token}`; start, stop and status
through `python -m pipelinectl.services`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import ssl
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from pipelinectl import settings as settings_mod
from pipelinectl.ports import free_port
from pipelinectl.services.supervisor import Service, answers_http
from pipelinectl.settings import REPO_ROOT, Settings

PROMETHEUS_DIR = REPO_ROOT / "prometheus"
CONFIG_TEMPLATE = PROMETHEUS_DIR / "prometheus.yml.tmpl"
RULES_DIR = PROMETHEUS_DIR / "rules"
DASHBOARDS_DIR = REPO_ROOT / "grafana" / "dashboards"

PROMETHEUS_BIN = "/usr/bin/prometheus"
PUSHGATEWAY_BIN = "/usr/bin/prometheus-pushgateway"
PROMTOOL_BIN = "/usr/bin/promtool"

# Gauge names of NiFi 2.3.0's NiFiMetricsRegistry and JvmMetricsRegistry (nifi-web-api,
# org.apache.nifi.prometheusutil), served at /nifi-api/flow/metrics/prometheus; 2.11.0 (the
# compose image) keeps all of them and adds nifi_jvm_*_committed, nifi_jvm_non_heap_used and
# nifi_processing_performance_*. Tests check every nifi_* name in the rules and dashboards.
NIFI_METRIC_NAMES = frozenset(
    """
    nifi_amount_flowfiles_sent nifi_amount_flowfiles_transferred nifi_amount_flowfiles_received
    nifi_amount_flowfiles_removed nifi_amount_bytes_sent nifi_total_bytes_sent nifi_amount_bytes_read
    nifi_total_bytes_read nifi_total_bytes_written nifi_amount_bytes_written nifi_amount_bytes_received
    nifi_total_bytes_received nifi_amount_bytes_transferred nifi_amount_threads_active
    nifi_amount_threads_terminated nifi_size_content_output_total nifi_size_content_input_total
    nifi_size_content_queued_total nifi_amount_items_output nifi_amount_items_input
    nifi_amount_items_queued nifi_total_task_duration nifi_processor_counters
    nifi_backpressure_bytes_threshold nifi_backpressure_object_threshold nifi_backpressure_enabled
    nifi_percent_used_bytes nifi_percent_used_count nifi_transmitting nifi_active_remote_port_count
    nifi_inactive_remote_port_count nifi_average_lineage_duration
    nifi_flow_file_repo_total_space_bytes nifi_flow_file_repo_used_space_bytes
    nifi_flow_file_repo_free_space_bytes nifi_content_repo_total_space_bytes
    nifi_content_repo_used_space_bytes nifi_content_repo_free_space_bytes
    nifi_provenance_repo_total_space_bytes nifi_provenance_repo_used_space_bytes
    nifi_provenance_repo_free_space_bytes
    nifi_jvm_heap_used nifi_jvm_heap_usage nifi_jvm_heap_non_usage nifi_jvm_thread_count
    nifi_jvm_daemon_thread_count nifi_jvm_uptime nifi_jvm_file_descriptor_usage nifi_jvm_gc_runs
    nifi_jvm_gc_time
    """.split()
)


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
    """Render prometheus/prometheus.yml.tmpl for `settings` (secure profile: HTTPS + token file)."""
    template = string.Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    text = template.substitute(
        SCRAPE_INTERVAL=scrape_interval,
        EVALUATION_INTERVAL=evaluation_interval,
        RULES_DIR=str(rules_dir),
        PROMETHEUS_PORT=settings.prometheus_port,
        PUSHGATEWAY_PORT=settings.pushgateway_port,
        NIFI_HTTP_PORT=settings.nifi_http_port,
        NIFI_SCHEME="https" if settings.profile == "secure" else "http",
        SERVING_REST_PORT=settings.serving_rest_port,
    )
    if settings.profile != "secure":
        return text
    import yaml  # only the secure profile needs to edit the parsed document

    document = yaml.safe_load(text)
    for job in document["scrape_configs"]:
        if job["job_name"] == "nifi":
            # NiFi's generated certificate (it names 127.0.0.1); the token comes from `nifi-token`.
            job["authorization"] = {"type": "Bearer", "credentials_file": str(nifi_token_file(settings))}
            job["tls_config"] = {"ca_file": str(settings.state_dir / "tls" / "nifi.crt")}
    header = "# Rendered by pipelinectl.services.prometheus for the secure NiFi profile.\n"
    return header + yaml.safe_dump(document, sort_keys=False)


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
    _atomic_write(target, render_config(settings, **render_options))
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


@contextlib.contextmanager
def temporary_stack(data_dir: Path, *, scrape_interval: str = "1s") -> Iterator[Settings]:
    """Pushgateway + Prometheus on free ports with data under `data_dir`; stopped on exit.

    Yields the `Settings` they run with (NiFi and model-server ports are free ports too, so
    those targets are simply down). For tests: a 1 s scrape interval makes pushes visible fast.
    """
    env = {
        "PIPELINE_DATA_DIR": str(data_dir),
        "PROMETHEUS_PORT": str(free_port()),
        "PUSHGATEWAY_PORT": str(free_port()),
        "NIFI_HTTP_PORT": str(free_port()),
        "SERVING_REST_PORT": str(free_port()),
    }
    settings = settings_mod.load(env)
    stack = services(settings, scrape_interval=scrape_interval, evaluation_interval=scrape_interval)
    try:
        for service in stack:
            service.start()
        yield settings
    finally:
        for service in reversed(stack):
            service.stop()


# --- queries -----------------------------------------------------------------------------------


def query(settings_or_url: Settings | str, expr: str, *, timeout: float = 10.0) -> list[dict]:
    """Instant query; returns the `result` list (raises RuntimeError on a Prometheus error)."""
    base = settings_or_url if isinstance(settings_or_url, str) else prometheus_url(settings_or_url)
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as error:
        payload = json.loads(error.read() or b"{}")
    if payload.get("status") != "success":
        raise RuntimeError(f"query failed: {expr}: {payload.get('error', payload)}")
    result = payload["data"]["result"]
    return result if isinstance(result, list) else [result]


def wait_for_query(
    settings_or_url: Settings | str,
    expr: str,
    predicate: Callable[[list[dict]], bool] = bool,
    *,
    timeout: float = 30.0,
    interval: float = 0.25,
) -> list[dict]:
    """Poll an instant query until `predicate(result)` holds (default: non-empty); return it."""
    deadline = time.monotonic() + timeout
    result: list[dict] = []
    while True:
        result = query(settings_or_url, expr)
        if predicate(result):
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no matching result for {expr!r} within {timeout:g}s; last: {result}")
        time.sleep(interval)


def targets_up(settings: Settings) -> dict[str, str]:
    """Scrape job -> health ("up", "down", "unknown") of the active targets."""
    with urllib.request.urlopen(f"{prometheus_url(settings)}/api/v1/targets", timeout=10) as response:
        payload = json.load(response)
    return {target["labels"]["job"]: target["health"] for target in payload["data"]["activeTargets"]}


GRAFANA_VARIABLES = {
    "$__rate_interval": None,  # filled from the `rate_interval` argument
    "${__rate_interval}": None,
    "$__interval": "1m",
    "${__interval}": "1m",
    "$__range": "1h",
    "${__range}": "1h",
}


def substitute_grafana_variables(expr: str, rate_interval: str = "5m") -> str:
    """Replace Grafana's built-in interval variables and template variables (`$name` -> `.*`).

    Dashboard template variables are used only inside `=~"$name"` matchers, so `.*` selects all.
    """
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, rate_interval if value is None else value)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


def dashboard_files(dashboards_dir: Path = DASHBOARDS_DIR) -> list[Path]:
    return sorted(dashboards_dir.glob("*.json"))


def _panels(panels: Iterable[dict]) -> Iterable[dict]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])


def panel_queries(rate_interval: str = "5m", dashboards_dir: Path = DASHBOARDS_DIR) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every committed dashboard, variables substituted.

    Titles are prefixed with the dashboard title ("Audio pipeline / Throughput by source"); a
    panel with several targets yields one entry per target.
    """
    result: list[tuple[str, str]] = []
    for path in dashboard_files(dashboards_dir):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets") or []:
                if target.get("expr"):
                    title = f"{dashboard['title']} / {panel.get('title', '')}"
                    result.append((title, substitute_grafana_variables(target["expr"], rate_interval)))
    return result


# --- NiFi bearer token (secure profile, compose) -----------------------------------------------


def fetch_nifi_token(base_url: str, username: str, password: str, *, verify_tls: bool = True) -> str:
    """Log in to NiFi (`POST /nifi-api/access/token`) and return the JWT."""
    context = ssl.create_default_context()
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/nifi-api/access/token",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return response.read().decode().strip()


def refresh_nifi_token(
    base_url: str,
    username: str,
    password: str,
    out: Path,
    *,
    every: float = 0,
    verify_tls: bool = True,
    retry_seconds: float = 10,
    owner: tuple[int, int] | None = None,
) -> None:
    """Write a fresh token to `out` (0600, optionally chowned); with `every` > 0 keep refreshing."""
    while True:
        try:
            token = fetch_nifi_token(base_url, username, password, verify_tls=verify_tls)
        except (urllib.error.URLError, OSError) as error:
            if every <= 0:
                raise
            print(f"nifi-token: login failed ({error}); retrying in {retry_seconds:g}s", file=sys.stderr)
            time.sleep(retry_seconds)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(out, token + "\n", mode=0o600, owner=owner)
        print(f"nifi-token: wrote {out}", file=sys.stderr)
        if every <= 0:
            return
        time.sleep(every)


# --- helpers and CLI ---------------------------------------------------------------------------


def _atomic_write(path: Path, text: str, mode: int = 0o644, owner: tuple[int, int] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        if owner is not None:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelinectl.services.prometheus", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("render-config", help="print the rendered Prometheus config")
    token = commands.add_parser("nifi-token", help="log in to NiFi and write a bearer token file")
    token.add_argument("--url", default=os.environ.get("NIFI_URL", "https://localhost:8443"))
    token.add_argument("--out", type=Path, required=True)
    token.add_argument("--every", type=float, default=0, help="refresh period in seconds (0: once)")
    token.add_argument("--insecure", action="store_true", help="skip TLS verification (self-signed NiFi)")
    token.add_argument("--chown", metavar="UID:GID", help="owner of the token file (the reader's uid)")
    args = parser.parse_args(argv)

    if args.command == "nifi-token":
        username = os.environ.get("NIFI_USERNAME", "")
        password = os.environ.get("NIFI_PASSWORD", "")
        if not username or not password:
            parser.error("set NIFI_USERNAME and NIFI_PASSWORD")
        owner = tuple(int(part) for part in args.chown.split(":", 1)) if args.chown else None
        refresh_nifi_token(
            args.url,
            username,
            password,
            args.out,
            every=args.every,
            verify_tls=not args.insecure,
            owner=owner,  # type: ignore[arg-type]
        )
        return 0
    sys.stdout.write(render_config(settings_mod.load()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
