"""Secure profile: the background process that keeps a fresh NiFi bearer token in the file Prometheus
scrapes NiFi with (NiFi tokens of our single-user login last 8 h)."""

from __future__ import annotations

import sys

from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import security as nifi_security
from pipelinectl.services import prometheus
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings

NAME = "nifi-token-refresher"
REFRESH_SECONDS = 3600
BEARER_TOKEN_MODULE = "pipelinectl.nifi.bearer_token"  # the program it runs


def refresher(settings: Settings) -> Service:
    """Started once NiFi runs: the first token is written before the refresher starts, so Prometheus
    can scrape at once; the refresher then logs in again every REFRESH_SECONDS."""
    token = prometheus.nifi_token_file(settings)

    def first_token() -> None:
        token.write_text(nifi_security.login(nifi_instance.base_url(settings), settings) + "\n")

    def credentials() -> dict[str, str]:
        creds = nifi_security.ensure_credentials(settings)
        return {
            "NIFI_USERNAME": creds.username,
            "NIFI_PASSWORD": creds.password,
            "SSL_CERT_FILE": str(nifi_security.tls_paths(settings)[0]),
        }

    return Service(
        name=NAME,
        settings=settings,
        command=[
            sys.executable,
            "-m",
            BEARER_TOKEN_MODULE,
            "--url",
            nifi_instance.base_url(settings),
            "--out",
            str(token),
            "--every",
            str(REFRESH_SECONDS),
        ],
        cmdline_marker=BEARER_TOKEN_MODULE,
        ready=lambda: token.exists() and token.stat().st_size > 0,
        environment=credentials,
        prepare=first_token,
        stop_timeout=10.0,
        after_flow=True,
    )
