"""docker-compose.yml and .env.example as the compose tests read them."""

from __future__ import annotations

import yaml

from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
SECRETS = ("NIFI_PASSWORD", "NIFI_SENSITIVE_PROPS_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD")


def raw() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
