"""The secure profile: HTTPS with a generated certificate, single-user login with generated
credentials kept in a file only the user can read; the flow still deploys, runs and processes files."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import pytest
import requests
from support.pipeline_instance import Pipeline, start_pipeline, stop_pipeline

from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import security as nifi_security


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    instance = start_pipeline(tmp_path_factory.mktemp("secure-data"), NIFI_PROFILE="secure")
    try:
        yield instance
    finally:
        stop_pipeline(instance)


def test_credentials_are_generated_private_and_not_in_nifi_conf(secure: Pipeline) -> None:
    settings = secure.settings
    path = nifi_security.credentials_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = json.loads(path.read_text())["password"]
    assert len(password) >= 24
    conf = (settings.nifi_home / "conf" / "login-identity-providers.xml").read_text()
    assert password not in conf and "pbkdf2-sha256$" in conf
    assert "credentials in" in secure.run_output


def test_api_needs_login_over_https(secure: Pipeline) -> None:
    settings = secure.settings
    base = nifi_instance.base_url(settings)
    assert base.startswith("https://")
    cert = nifi_instance.tls_verify(settings)
    anonymous = requests.get(f"{base}/nifi-api/flow/process-groups/root", verify=cert, timeout=30)
    assert anonymous.status_code == 401
    wrong = requests.post(
        f"{base}/nifi-api/access/token", data={"username": "admin", "password": "x" * 16}, verify=cert, timeout=30
    )
    assert wrong.status_code >= 400
    token = nifi_security.login(base, settings)
    authorized = requests.get(
        f"{base}/nifi-api/flow/process-groups/root",
        verify=cert,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert authorized.status_code == 200


def test_secure_pipeline_processes_files(secure: Pipeline, audio) -> None:
    assert secure.post(audio.tone(duration=1.5).read_bytes(), "secure-tone.wav").status_code == 200
    kind, attrs = secure.wait_for("secure-tone.wav")
    assert kind == "result" and attrs["audio.format"] == "wav"
