"""docker-compose.yml is valid for a real `docker-compose config` (no engine needed) and refuses missing secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support.compose_file import COMPOSE_FILE, ENV_EXAMPLE, REPO, SECRETS, env_example

needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs Debian package docker-compose")


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    # Compose reads variables from the process environment first: keep ours out of it.
    environment = {key: value for key, value in os.environ.items() if key not in env_example()}
    environment["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # proves no engine is needed
    return subprocess.run(
        [
            "docker-compose",
            "--project-directory",
            str(REPO),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "config",
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def resolved() -> dict:
    if shutil.which("docker-compose") is None:
        pytest.skip("needs Debian package docker-compose")
    result = compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@needs_compose
def test_config_is_valid_with_env_example(resolved: dict) -> None:
    services = resolved["services"]
    assert {
        "postgres",
        "tfserving",
        "nifi",
        "flow-deployer",
        "nifi-token",
        "pushgateway",
        "prometheus",
        "grafana",
    } <= set(services)
    nifi = services["nifi"]["environment"]
    example = env_example()
    assert nifi["SINGLE_USER_CREDENTIALS_USERNAME"] == example["NIFI_USERNAME"]
    assert nifi["SINGLE_USER_CREDENTIALS_PASSWORD"] == example["NIFI_PASSWORD"]
    assert (
        nifi["RESULTS_DATABASE_URL"]
        == f"postgresql://{example['POSTGRES_USER']}@postgres:5432/{example['POSTGRES_DB']}"
    )
    assert nifi["RESULTS_DATABASE_PASSWORD"] == example["POSTGRES_PASSWORD"]  # apart: a sensitive flow parameter
    assert services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == example["GRAFANA_ADMIN_PASSWORD"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == example["POSTGRES_PASSWORD"]


@needs_compose
@pytest.mark.parametrize("secret", SECRETS)
def test_missing_secret_is_refused(secret: str, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env_example().items() if k != secret))
    result = compose_config(env_file)
    assert result.returncode != 0
    assert secret in result.stderr
