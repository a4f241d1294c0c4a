"""Every environment variable the project reads, with its default and meaning: the one place for
configuration.

The control plane reads its variables through `load()`. The others are read by name where
pipelinectl is not importable (NiFi's Python processors, the training scripts, the test helpers,
TensorFlow), and are declared here too; a unit test fails on any variable read anywhere in the
repository that is not declared. `python -m pipelinectl.settings` prints them as a Markdown table.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Who reads a variable.
CONTROL_PLANE = "pipelinectl"
PROCESSORS = "processors"  # NiFi's Python processes (audio_pipeline), from NiFi's environment
TRAINING = "training"  # serving/training
TESTS = "tests"
TENSORFLOW = "TensorFlow"
OPENSSL = "OpenSSL"


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # an unset or empty variable means this (for those read elsewhere: how it is found)
    meaning: str
    read_by: tuple[str, ...] = (CONTROL_PLANE,)


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "PIPELINE_DATA_DIR",
        str(REPO_ROOT / "var"),
        "inbox/, results/, quarantine/, references/, catalog/, and the runtime state/ (secrets, pid files in "
        "state/run/, SQLite database, service data), logs/, nifi/ (the instance's conf, repositories, work dirs)",
        (CONTROL_PLANE, PROCESSORS),
    ),
    Variable("NIFI_PROFILE", "dev", "dev: HTTP bound to 127.0.0.1, no login; secure: HTTPS with a single-user login"),
    Variable("NIFI_HTTP_PORT", "8080", "NiFi UI and REST API (HTTPS in the secure profile)"),
    Variable(
        "INGEST_HTTP_PORT",
        "9099",
        "HTTP ingest endpoint: ListenHTTP standalone; in a cluster the ingest balancer, in front of node i's "
        "ListenHTTP on INGEST_HTTP_PORT + i",
    ),
    Variable(
        "NIFI_CLUSTER_NODES",
        "1",
        "1: one standalone NiFi; N > 1: a NiFi cluster of N nodes on this machine with ZooKeeper, PostgreSQL "
        "and the ingest balancer (node i's UI on NIFI_HTTP_PORT + i - 1)",
    ),
    Variable("NIFI_CLUSTER_PROTOCOL_PORT", "11443", "cluster mode: node i's cluster protocol port is this + i - 1"),
    Variable("NIFI_LOAD_BALANCE_PORT", "6342", "cluster mode: node i's load-balance port is this + i - 1"),
    Variable("ZOOKEEPER_PORT", "2181", "cluster mode: the ZooKeeper client port the nodes coordinate through"),
    Variable(
        "POSTGRES_PORT",
        "5432",
        "cluster mode without RESULTS_DATABASE_URL: the port of the PostgreSQL the scripts start for the results",
    ),
    Variable("SERVING_GRPC_PORT", "8500", "model server gRPC (TF Serving API)"),
    Variable("SERVING_REST_PORT", "8501", "model server REST status and /monitoring/prometheus/metrics"),
    Variable("SERVING_HOST", "127.0.0.1", "where ClassifyAudio finds the model server's gRPC port"),
    Variable("PROMETHEUS_PORT", "9090", "Prometheus"),
    Variable(
        "PUSHGATEWAY_PORT",
        "9091",
        "Prometheus Pushgateway (the processors push to it on 127.0.0.1 unless PUSHGATEWAY_URL is set)",
        (CONTROL_PLANE, PROCESSORS),
    ),
    Variable(
        "RESULTS_DATABASE_URL",
        "",
        "empty: SQLite in state/pipeline.db; postgresql://user@host/db keeps the results table and the "
        "fingerprint index in PostgreSQL (a password still in the URL is split off before deploying)",
    ),
    Variable(
        "RESULTS_DATABASE_PASSWORD",
        "",
        "the database password; wins over one in RESULTS_DATABASE_URL; becomes the flow's sensitive parameter "
        "results_database_password, which NiFi never shows or exports",
    ),
    Variable(
        "TRANSCRIPTION_MODELS_DIR",
        str(REPO_ROOT / "build" / "models"),
        "where setup assembles the packaged speech-to-text models (serving/transcription_models.toml), one "
        "directory per model; TranscribeSpeech reads them from here",
    ),
    Variable(
        "NIFI_HEAP",
        "2g",
        "NiFi JVM heap (an hour-long file's 115 MB analysis form crosses py4j as text, several copies at once)",
    ),
    # ./scripts/flow and the token refresher against a NiFi that scripts/run did not start (compose):
    Variable("NIFI_URL", "", "empty: this data dir's own instance; else the NiFi ./scripts/flow deploys to"),
    Variable("NIFI_USERNAME", "", "login for NIFI_URL (and for the bearer-token refresher)"),
    Variable("NIFI_PASSWORD", "", "password for NIFI_URL (and for the bearer-token refresher)"),
    Variable("NIFI_TLS_VERIFY", "true", "false only for a self-signed NiFi at NIFI_URL on a private network"),
    # Read by NiFi's Python processes (the audio_pipeline.metrics package):
    Variable(
        "PUSHGATEWAY_URL",
        "http://127.0.0.1:$PUSHGATEWAY_PORT",
        "where the processors push their metrics; off: not at all",
        (PROCESSORS,),
    ),
    Variable(
        "METRICS_STATE_DIR",
        "$PIPELINE_DATA_DIR/state/metrics",
        "the processors' metric slots, kept across restarts (docs/metrics.md §3)",
        (PROCESSORS,),
    ),
    Variable("METRICS_PUSH_INTERVAL_SECONDS", "2", "how often each processor process pushes", (PROCESSORS,)),
    Variable("METRICS_INSTANCE", "the host name", "the `instance` label of the pushed metrics", (PROCESSORS,)),
    Variable(
        "METRICS_COMPONENT",
        "python",
        "the worker slot's name when a process does not give one (processors name theirs)",
        (PROCESSORS,),
    ),
    Variable(
        "EVAL_RESERVED_FILE",
        "../shared/eval-reserved.txt",
        "Debian packages whose recordings training must never use (added to the built-in list)",
        (TRAINING,),
    ),
    Variable(
        "PG_BIN",
        "Debian's newest /usr/lib/postgresql/N/bin, else PATH",
        "the PostgreSQL programs the tests run their own server with",
        (TESTS,),
    ),
    Variable(
        "TF_CPP_MIN_LOG_LEVEL",
        "2 (set for the model server and training unless given)",
        "TensorFlow's C++ log level",
        (TENSORFLOW,),
    ),
    Variable(
        "SSL_CERT_FILE",
        "the system's CA certificates",
        "what pipelinectl.nifi.bearer_token checks NiFi's certificate against (the secure profile's token "
        "refresher gets state/tls/nifi.crt)",
        (OPENSSL,),
    ),
)

DEFAULTS: dict[str, str] = {v.name: v.default for v in VARIABLES if CONTROL_PLANE in v.read_by}
# Passed on to NiFi's Python processes when set (the control plane does not use them itself).
PROCESSOR_ONLY = tuple(v.name for v in VARIABLES if v.read_by == (PROCESSORS,))


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
    cluster_nodes: int
    cluster_protocol_port: int
    load_balance_port: int
    zookeeper_port: int
    postgres_port: int
    results_database_url: str  # as configured: may still carry a password (flow.results_database splits it)
    results_database_password: str
    serving_host: str
    transcription_models_dir: Path
    nifi_url: str
    nifi_username: str
    nifi_password: str
    nifi_tls_verify: bool
    processor_environment: Mapping[str, str] = field(default_factory=dict, hash=False)  # PROCESSOR_ONLY, if set
    node: int = 0  # 0: the standalone NiFi, or the cluster as a whole; i >= 1: cluster node i (pipelinectl.cluster)

    @property
    def clustered(self) -> bool:
        return self.cluster_nodes > 1

    @property
    def nifi_name(self) -> str:
        """The NiFi's name for its home, pid file and log folder: nifi, or nifi-node<i> in a cluster."""
        return f"nifi-node{self.node}" if self.node else "nifi"

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
        return self.data_dir / self.nifi_name

    @property
    def nifi_logs_dir(self) -> Path:
        return self.logs_dir / self.nifi_name

    @property
    def serving_grpc_address(self) -> str:
        """Where ClassifyAudio (and the bench's steps without NiFi) reach the model server's gRPC API."""
        return f"{self.serving_host}:{self.serving_grpc_port}"

    def as_environment(self) -> dict[str, str]:
        """The settings as environment variables, for the processes we start: NiFi, and through it its
        Python processes (which read PIPELINE_DATA_DIR, PUSHGATEWAY_PORT and PROCESSOR_ONLY by name)."""
        return {
            **self.processor_environment,
            "PIPELINE_DATA_DIR": str(self.data_dir),
            "NIFI_PROFILE": self.profile,
            "NIFI_HTTP_PORT": str(self.nifi_http_port),
            "INGEST_HTTP_PORT": str(self.ingest_http_port),
            "SERVING_GRPC_PORT": str(self.serving_grpc_port),
            "SERVING_REST_PORT": str(self.serving_rest_port),
            "PROMETHEUS_PORT": str(self.prometheus_port),
            "PUSHGATEWAY_PORT": str(self.pushgateway_port),
            "NIFI_HEAP": self.nifi_heap,
            "NIFI_CLUSTER_NODES": str(self.cluster_nodes),
            "RESULTS_DATABASE_URL": self.results_database_url,
            "RESULTS_DATABASE_PASSWORD": self.results_database_password,
            "SERVING_HOST": self.serving_host,
            "TRANSCRIPTION_MODELS_DIR": str(self.transcription_models_dir),
        }

    @property
    def user_dirs(self) -> tuple[Path, ...]:
        return (self.inbox_dir, self.results_dir, self.quarantine_dir, self.references_dir, self.catalog_dir)


def _positive(get: Callable[[str], str], name: str) -> int:
    value = get(name)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def load(env: Mapping[str, str] | None = None) -> Settings:
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
        cluster_nodes=_positive(get, "NIFI_CLUSTER_NODES"),
        cluster_protocol_port=int(get("NIFI_CLUSTER_PROTOCOL_PORT")),
        load_balance_port=int(get("NIFI_LOAD_BALANCE_PORT")),
        zookeeper_port=int(get("ZOOKEEPER_PORT")),
        postgres_port=int(get("POSTGRES_PORT")),
        results_database_url=get("RESULTS_DATABASE_URL"),
        results_database_password=get("RESULTS_DATABASE_PASSWORD"),
        serving_host=get("SERVING_HOST"),
        transcription_models_dir=Path(get("TRANSCRIPTION_MODELS_DIR")).resolve(),
        nifi_url=get("NIFI_URL"),
        nifi_username=get("NIFI_USERNAME"),
        nifi_password=get("NIFI_PASSWORD"),
        nifi_tls_verify=get("NIFI_TLS_VERIFY").lower() not in ("false", "0", "no"),
        processor_environment={name: source[name] for name in PROCESSOR_ONLY if source.get(name, "") != ""},
    )


def markdown_table() -> str:
    """The variables as the README's configuration table."""
    rows = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    for v in VARIABLES:
        default = f"`{v.default}`" if v.default and " " not in v.default else v.default or "empty"
        if v.default.startswith(str(REPO_ROOT)):
            default = f"`{Path(v.default).relative_to(REPO_ROOT)}/` in the repo"
        rows.append(f"| `{v.name}` | {default} | {', '.join(v.read_by)} | {v.meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
