"""Every environment variable the pipeline reads, with its default: the one place for configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, str] = {
    "PIPELINE_DATA_DIR": str(REPO_ROOT / "var"),
    "NIFI_PROFILE": "dev",  # dev: HTTP on 127.0.0.1, no login; secure: HTTPS with login
    "NIFI_HTTP_PORT": "8080",
    "INGEST_HTTP_PORT": "9099",
    "SERVING_GRPC_PORT": "8500",
    "SERVING_REST_PORT": "8501",
    "PROMETHEUS_PORT": "9090",
    "PUSHGATEWAY_PORT": "9091",
    "NIFI_HEAP": "2g",  # an hour-long file's analysis form (115 MB) crosses py4j as base64 text
    "RESULTS_DATABASE_URL": "",  # empty: SQLite in the data dir; postgresql://user@host/db to use PostgreSQL
    "RESULTS_DATABASE_PASSWORD": "",  # its password (wins over one still in the URL); a sensitive flow parameter
    "SERVING_HOST": "127.0.0.1",  # where ClassifyAudio finds the model server's gRPC port
    # `scripts/flow` against a NiFi that scripts/run did not start (e.g. the compose deployer):
    "NIFI_URL": "",  # empty: this data dir's own instance
    "NIFI_USERNAME": "",
    "NIFI_PASSWORD": "",
    "NIFI_TLS_VERIFY": "true",  # false only for a self-signed NiFi on a private network
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    profile: str
    nifi_http_port: int
    ingest_http_port: int
    serving_grpc_port: int
    serving_rest_port: int
    prometheus_port: int
    pushgateway_port: int
    nifi_heap: str
    results_database_url: str  # as configured: may still carry a password (flow.results_database splits it)
    results_database_password: str
    serving_host: str
    nifi_url: str
    nifi_username: str
    nifi_password: str
    nifi_tls_verify: bool

    # Folders users and the flow share.
    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def references_dir(self) -> Path:
        return self.data_dir / "references"

    @property
    def catalog_dir(self) -> Path:
        return self.data_dir / "catalog"

    # Runtime state: secrets, pid files, logs, the NiFi instance home.
    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def nifi_home(self) -> Path:
        return self.data_dir / "nifi"

    @property
    def serving_grpc_address(self) -> str:
        """Where ClassifyAudio (and the bench's steps without NiFi) reach the model server's gRPC API."""
        return f"{self.serving_host}:{self.serving_grpc_port}"

    def as_environment(self) -> dict[str, str]:
        """The settings as environment variables, for the processes we start (NiFi and its Python workers)."""
        return {
            "PIPELINE_DATA_DIR": str(self.data_dir),
            "NIFI_PROFILE": self.profile,
            "NIFI_HTTP_PORT": str(self.nifi_http_port),
            "INGEST_HTTP_PORT": str(self.ingest_http_port),
            "SERVING_GRPC_PORT": str(self.serving_grpc_port),
            "SERVING_REST_PORT": str(self.serving_rest_port),
            "PROMETHEUS_PORT": str(self.prometheus_port),
            "PUSHGATEWAY_PORT": str(self.pushgateway_port),
            "NIFI_HEAP": self.nifi_heap,
            "RESULTS_DATABASE_URL": self.results_database_url,
            "RESULTS_DATABASE_PASSWORD": self.results_database_password,
            "SERVING_HOST": self.serving_host,
        }

    @property
    def user_dirs(self) -> tuple[Path, ...]:
        return (self.inbox_dir, self.results_dir, self.quarantine_dir, self.references_dir, self.catalog_dir)


def load(env: dict[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: os.environ), falling back to DEFAULTS."""
    source = os.environ if env is None else env

    def get(name: str) -> str:
        value = source.get(name, "")
        return value if value != "" else DEFAULTS[name]

    profile = get("NIFI_PROFILE")
    if profile not in ("dev", "secure"):
        raise ValueError(f"NIFI_PROFILE must be 'dev' or 'secure', not {profile!r}")
    return Settings(
        data_dir=Path(get("PIPELINE_DATA_DIR")).resolve(),
        profile=profile,
        nifi_http_port=int(get("NIFI_HTTP_PORT")),
        ingest_http_port=int(get("INGEST_HTTP_PORT")),
        serving_grpc_port=int(get("SERVING_GRPC_PORT")),
        serving_rest_port=int(get("SERVING_REST_PORT")),
        prometheus_port=int(get("PROMETHEUS_PORT")),
        pushgateway_port=int(get("PUSHGATEWAY_PORT")),
        nifi_heap=get("NIFI_HEAP"),
        results_database_url=get("RESULTS_DATABASE_URL"),
        results_database_password=get("RESULTS_DATABASE_PASSWORD"),
        serving_host=get("SERVING_HOST"),
        nifi_url=get("NIFI_URL"),
        nifi_username=get("NIFI_USERNAME"),
        nifi_password=get("NIFI_PASSWORD"),
        nifi_tls_verify=get("NIFI_TLS_VERIFY").lower() not in ("false", "0", "no"),
    )
