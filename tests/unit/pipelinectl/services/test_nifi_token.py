"""The secure profile's token refresher as a service: what it runs and with which secrets (no NiFi here)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelinectl.nifi import security
from pipelinectl.services import nifi_token, prometheus
from pipelinectl.settings import load


def test_refresher_runs_the_bearer_token_loop_with_the_credentials_in_its_environment(tmp_path: Path) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_PROFILE": "secure", "NIFI_HTTP_PORT": "18443"})
    refresher = nifi_token.refresher(settings)
    assert refresher.command[:3] == [sys.executable, "-m", "pipelinectl.nifi.bearer_token"]
    assert refresher.command[3:] == [
        "--url",
        "https://localhost:18443",
        "--out",
        str(prometheus.nifi_token_file(settings)),
        "--every",
        "3600",
    ]
    assert refresher.cmdline_marker == "pipelinectl.nifi.bearer_token" and refresher.after_flow
    assert not security.credentials_file(settings).exists(), "defining the service creates no secrets"

    environment = refresher.environment()
    creds = security.ensure_credentials(settings)
    assert (environment["NIFI_USERNAME"], environment["NIFI_PASSWORD"]) == (creds.username, creds.password)
    assert environment["SSL_CERT_FILE"] == str(tmp_path / "state" / "tls" / "nifi.crt")
    assert creds.password not in " ".join(refresher.command), "secrets never on the command line"

    assert not refresher.ready()
    prometheus.nifi_token_file(settings).parent.mkdir(parents=True)
    prometheus.nifi_token_file(settings).write_text("jwt\n")
    assert refresher.ready()
