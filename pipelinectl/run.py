"""./scripts/run: set up, start NiFi, deploy and start the flow, print the entry points.

Idempotent: with everything already up it deploys nothing, restarts nothing, and prints the same.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import requests

from pipelinectl import flow, setup
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import security as nifi_security
from pipelinectl.process_supervision import read_pid, write_pid
from pipelinectl.services import model_server, prometheus
from pipelinectl.settings import Settings, load

TOKEN_REFRESHER = "nifi-token-refresher"
REFRESHER_IDENTITY = {"cmdline_marker": "nifi-token"}
TOKEN_REFRESH_SECONDS = 3600  # NiFi tokens of our single-user login last 8 h
DEPLOY_ATTEMPTS = 3
RESTART_STOP_TIMEOUT_S = 30.0  # a NiFi stuck in start-up may not finish its shutdown hook


def entry_points(settings: Settings) -> list[tuple[str, str]]:
    return [
        ("NiFi UI", f"{nifi_instance.base_url(settings)}/nifi/"),
        *(
            [("NiFi login", f"credentials in {nifi_security.credentials_file(settings)}")]
            if settings.profile == "secure"
            else []
        ),
        (
            "HTTP ingest",
            f"POST http://127.0.0.1:{settings.ingest_http_port}/audio (headers: filename, optional reference)",
        ),
        ("Inbox folder", str(settings.inbox_dir)),
        ("Results folder", str(settings.results_dir)),
        ("Quarantine folder", str(settings.quarantine_dir)),
        ("PESQ references", str(settings.references_dir)),
        ("Catalog folder", str(settings.catalog_dir)),
        (
            "Model server",
            f"gRPC 127.0.0.1:{settings.serving_grpc_port}, metrics {model_server.rest_url(settings)}"
            "/monitoring/prometheus/metrics",
        ),
        ("Prometheus", f"http://127.0.0.1:{settings.prometheus_port}/"),
        ("Pushgateway", f"http://127.0.0.1:{settings.pushgateway_port}/"),
        ("Logs", str(settings.logs_dir)),
    ]


def start_token_refresher(settings: Settings) -> None:
    """Secure profile: keep a fresh NiFi bearer token in the file Prometheus scrapes NiFi with."""
    if read_pid(settings, TOKEN_REFRESHER, **REFRESHER_IDENTITY) is not None:
        return
    creds = nifi_security.ensure_credentials(settings)
    out = prometheus.nifi_token_file(settings)
    out.write_text(nifi_security.login(nifi_instance.base_url(settings), settings) + "\n")
    env = dict(
        os.environ,
        NIFI_USERNAME=creds.username,
        NIFI_PASSWORD=creds.password,
        SSL_CERT_FILE=str(nifi_security.tls_paths(settings)[0]),
    )
    command = [
        sys.executable,
        "-m",
        "pipelinectl.services.prometheus",
        "nifi-token",
        "--url",
        nifi_instance.base_url(settings),
        "--out",
        str(out),
        "--every",
        str(TOKEN_REFRESH_SECONDS),
    ]
    with open(settings.logs_dir / f"{TOKEN_REFRESHER}.log", "ab") as log:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    write_pid(settings, TOKEN_REFRESHER, process.pid)


def deploy(settings: Settings, attempts: int = DEPLOY_ATTEMPTS) -> str:
    """Deploy the flow; if NiFi never answers, keep a thread dump, restart NiFi and deploy again.

    NiFi 2.3.0 now and then leaves the upload of a flow with Python processors unanswered: it starts
    launching the first Python process and then neither adds the processors nor answers (seen twice in
    about forty starts on fresh data dirs; the next start went through). After a restart the group, if
    it was stored at all, may be incomplete, so it is replaced from the flow file.
    """
    replace = False
    for attempt in range(1, attempts):
        try:
            return flow.deploy(settings, replace=replace)
        except requests.Timeout:
            dump = nifi_instance.thread_dump(settings)
            print(
                f"NiFi did not answer the flow deployment (attempt {attempt} of {attempts}); thread dump: "
                f"{dump}; restarting NiFi",
                file=sys.stderr,
            )
            nifi_instance.stop(settings, timeout=RESTART_STOP_TIMEOUT_S)
            nifi_instance.start(settings)
            nifi_instance.wait_until_up(settings)
            replace = True
    return flow.deploy(settings, replace=replace)


def bring_up(settings: Settings) -> dict[str, float]:
    """Start whatever is not running; return timings (seconds) of the steps that ran."""
    timings: dict[str, float] = {}
    timings["setup"] = setup.setup(settings)
    started = time.monotonic()
    if not model_server.is_running(settings):
        model_server.start(settings)  # the TF Serving stand-in; ClassifyAudio holds files until it answers
    timings["model_server_up"] = time.monotonic() - started
    started = time.monotonic()
    if not nifi_instance.is_running(settings):
        nifi_instance.start(settings)
    nifi_instance.wait_until_up(settings)
    timings["nifi_up"] = time.monotonic() - started
    nifi = flow.client(settings)
    group = nifi.child_group(flow.GROUP_NAME)
    if group is None or not flow.is_running(settings):
        group_id = deploy(settings)
        flow.start(settings, group_id)
    timings["flow_running"] = time.monotonic() - started
    prometheus.start_all(settings)
    if settings.profile == "secure":
        start_token_refresher(settings)
    return timings


def main(argv: list[str] | None = None) -> int:
    # scripts/run deploys to the NiFi it starts; NIFI_URL names another NiFi for ./scripts/flow only
    settings = dataclasses.replace(load(), nifi_url="")
    timings = bring_up(settings)
    width = max(len(name) for name, _ in entry_points(settings))
    print("Audio pipeline is running.")
    for name, value in entry_points(settings):
        print(f"  {name:<{width}}  {value}")
    print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
