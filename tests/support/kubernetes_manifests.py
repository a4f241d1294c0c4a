"""The Kubernetes manifests (kubernetes/) as the tests see them: rendered with fake secrets, and the
NiFi properties a pod of the StatefulSet ends up with.

Rendering works on a copy of kubernetes/ (plus the grafana/ and prometheus/ files its base reads) so
that fake secret files never land in the real, git-ignored secrets/ folder an operator may use.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelinectl.kubernetes_tools import kustomize_command
from pipelinectl.settings import REPO_ROOT

KUBERNETES_DIR = REPO_ROOT / "kubernetes"
OVERLAY = KUBERNETES_DIR / "overlays" / "production"
SECRETS_DIR = OVERLAY / "secrets"
# Folders outside kubernetes/ that the base generates ConfigMaps from (one copy of each file).
SHARED_SOURCES = ("grafana/dashboards", "grafana/provisioning", "prometheus/rules")
NIFI_HOME = "/opt/nifi/nifi-current"

# What apache/nifi 2.3.0's nifi-docker/dockerhub/sh/start.sh (and secure.sh, for AUTH=tls) write into
# nifi.properties, and from which variable with which default; None: the pod's host name. Every key
# these scripts touch is listed, since an override of one of them would be silently undone.
START_SH_VARIABLES: dict[str, tuple[str, str | None]] = {
    "nifi.web.https.port": ("NIFI_WEB_HTTPS_PORT", "8443"),
    "nifi.web.https.host": ("NIFI_WEB_HTTPS_HOST", None),
    "nifi.web.proxy.host": ("NIFI_WEB_PROXY_HOST", ""),
    "nifi.remote.input.host": ("NIFI_REMOTE_INPUT_HOST", None),
    "nifi.remote.input.socket.port": ("NIFI_REMOTE_INPUT_SOCKET_PORT", "10000"),
    "nifi.cluster.is.node": ("NIFI_CLUSTER_IS_NODE", "false"),
    "nifi.cluster.node.address": ("NIFI_CLUSTER_ADDRESS", None),
    "nifi.cluster.node.protocol.port": ("NIFI_CLUSTER_NODE_PROTOCOL_PORT", ""),
    "nifi.cluster.node.protocol.max.threads": ("NIFI_CLUSTER_NODE_PROTOCOL_MAX_THREADS", "50"),
    "nifi.cluster.load.balance.host": ("NIFI_CLUSTER_LOAD_BALANCE_HOST", ""),
    "nifi.zookeeper.connect.string": ("NIFI_ZK_CONNECT_STRING", ""),
    "nifi.zookeeper.root.node": ("NIFI_ZK_ROOT_NODE", "/nifi"),
    "nifi.cluster.flow.election.max.wait.time": ("NIFI_ELECTION_MAX_WAIT", "5 mins"),
    "nifi.cluster.flow.election.max.candidates": ("NIFI_ELECTION_MAX_CANDIDATES", ""),
    "nifi.web.proxy.context.path": ("NIFI_WEB_PROXY_CONTEXT_PATH", ""),
    "nifi.cluster.leader.election.implementation": (
        "NIFI_CLUSTER_LEADER_ELECTION_IMPLEMENTATION",
        "CuratorLeaderElectionManager",
    ),
    "nifi.state.management.provider.cluster": ("NIFI_STATE_MANAGEMENT_PROVIDER_CLUSTER", "zk-provider"),
    "nifi.cluster.leader.election.kubernetes.lease.prefix": (
        "NIFI_CLUSTER_LEADER_ELECTION_KUBERNETES_LEASE_PREFIX",
        "",
    ),
    "nifi.sensitive.props.key": ("NIFI_SENSITIVE_PROPS_KEY", ""),
    "nifi.security.keystore": ("KEYSTORE_PATH", ""),
    "nifi.security.keystoreType": ("KEYSTORE_TYPE", ""),
    "nifi.security.keystorePasswd": ("KEYSTORE_PASSWORD", ""),
    "nifi.security.truststore": ("TRUSTSTORE_PATH", ""),
    "nifi.security.truststoreType": ("TRUSTSTORE_TYPE", ""),
    "nifi.security.truststorePasswd": ("TRUSTSTORE_PASSWORD", ""),
    "nifi.security.user.authorizer": ("NIFI_SECURITY_USER_AUTHORIZER", "managed-authorizer"),
    "nifi.security.user.login.identity.provider": ("NIFI_SECURITY_USER_LOGIN_IDENTITY_PROVIDER", ""),
}
START_SH_FIXED = frozenset(
    {
        "nifi.python.command",
        "nifi.python.extensions.source.directory.default",
        "nifi.nar.library.autoload.directory",
        "nifi.remote.input.secure",
        "nifi.cluster.protocol.is.secure",
        "nifi.security.keyPasswd",
        "nifi.web.http.port",
        "nifi.web.http.host",
        "nifi.nar.library.provider.nifi-registry.implementation",
        "nifi.nar.library.provider.nifi-registry.url",
    }
    | {f"nifi.analytics.{key}" for key in ("predict.enabled", "predict.interval", "query.interval")}
    | {f"nifi.analytics.connection.model.{key}" for key in ("implementation", "score.name", "score.threshold")}
)
# apache/nifi 2.3.0's defaults that the checks rely on (nifi-resources pom.xml, state-management.xml).
IMAGE_DEFAULTS = {
    "nifi.flowfile.repository.directory": "./flowfile_repository",
    "nifi.content.repository.directory.default": "./content_repository",
    "nifi.provenance.repository.directory.default": "./provenance_repository",
    "nifi.database.directory": "./database_repository",
    "nifi.flow.configuration.file": "./conf/flow.json.gz",
}
LOCAL_STATE_DIRECTORY = "./state/local"
# The cluster provider that apache/nifi 2.3.0's conf/state-management.xml declares, with the class
# org.apache.nifi.kubernetes.state.provider.KubernetesConfigMapStateProvider.
KUBERNETES_STATE_PROVIDER = "kubernetes-provider"


@dataclass(frozen=True)
class Rendered:
    """The production overlay rendered with fake secrets, and those secrets' values."""

    documents: list[dict[str, Any]]
    secret_values: dict[str, bytes]  # secret file name (or env-file key) -> the fake value written

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        """The object of that kind whose name is `name` (or `name` plus kustomize's hash suffix)."""
        found = [
            d for d in self.of_kind(kind) if re.fullmatch(re.escape(name) + r"(-[a-z0-9]{10})?", d["metadata"]["name"])
        ]
        assert len(found) == 1, (kind, name, [d["metadata"]["name"] for d in self.of_kind(kind)])
        return found[0]

    @property
    def namespace(self) -> str:
        return self.get("Namespace", "audio-pipeline")["metadata"]["name"]


def overlay_kustomization() -> dict[str, Any]:
    return yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())


def secret_sources() -> tuple[list[str], list[str]]:
    """(env files, other files) the overlay's secretGenerator reads, relative to the overlay."""
    envs, files = [], []
    for generator in overlay_kustomization()["secretGenerator"]:
        envs += generator.get("envs", [])
        files += [entry.split("=", 1)[-1] for entry in generator.get("files", [])]
    return sorted(set(envs)), sorted(set(files))


def write_fake_secrets(overlay: Path) -> dict[str, bytes]:
    """Secret files for the copy at `overlay`: env files with the keys of their committed example."""
    values: dict[str, bytes] = {}
    envs, files = secret_sources()
    for relative in envs:
        example = (OVERLAY / f"{relative}.example").read_text()
        lines = []
        for line in example.splitlines():
            if line.strip() and not line.startswith("#"):
                key = line.split("=", 1)[0]
                value = f"fake-{key}-{secrets.token_hex(8)}"
                values[f"{relative}:{key}"] = value.encode()
                lines.append(f"{key}={value}")
        (overlay / relative).write_text("\n".join(lines) + "\n")
    for relative in files:
        value = f"fake {relative} {secrets.token_hex(8)}\n".encode()
        values[relative] = value
        (overlay / relative).write_bytes(value)
    return values


def render(workdir: Path) -> Rendered:
    """The production overlay rendered (`kubectl kustomize`, else the kustomize CLI built into build/tools:
    pipelinectl.kubernetes_tools.kustomize_command), on a copy with fake secrets."""
    copy = workdir / "repo"
    shutil.copytree(KUBERNETES_DIR, copy / "kubernetes", ignore=shutil.ignore_patterns(*_real_secrets()))
    for source in SHARED_SOURCES:
        shutil.copytree(REPO_ROOT / source, copy / source)
    overlay = copy / OVERLAY.relative_to(REPO_ROOT)
    values = write_fake_secrets(overlay)
    result = subprocess.run(
        [*kustomize_command(), "--load-restrictor", "LoadRestrictionsNone", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    (workdir / "rendered.yaml").write_text(result.stdout)
    return Rendered(documents, values)


def _real_secrets() -> list[str]:
    """Names in secrets/ that are not committed (an operator's real files): never copied."""
    return [
        p.name for p in SECRETS_DIR.iterdir() if p.name not in {".gitignore", "README.md"} and p.suffix != ".example"
    ]


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    return document["spec"]["template"]["spec"]


def containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(document)
    return [*spec.get("initContainers", []), *spec["containers"]]


def workloads(rendered: Rendered) -> list[dict[str, Any]]:
    return [d for d in rendered.documents if d["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}]


def container_environment(rendered: Rendered, container: dict[str, Any], pod_name: str) -> dict[str, str]:
    """The container's plain environment variables, $(VAR) references resolved as the kubelet does;
    downward-API fields become the pod's name and namespace, secret references are left out."""
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        config = rendered.get("ConfigMap", source["configMapRef"]["name"])
        environment.update(config["data"])
    fields = {"metadata.name": pod_name, "metadata.namespace": rendered.namespace}
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = re.sub(
                r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: environment.get(m[1], m[0]), variable["value"]
            )
        elif "fieldRef" in variable.get("valueFrom", {}):
            environment[variable["name"]] = fields[variable["valueFrom"]["fieldRef"]["fieldPath"]]
    return environment


def parse_properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def nifi_properties(rendered: Rendered, pod_name: str = "nifi-0") -> dict[str, str]:
    """What a NiFi pod's conf/nifi.properties says for the keys the pipeline cares about: the image's
    defaults, then the nifi-overrides ConfigMap (nifi/container/start.sh), then start.sh's variables."""
    statefulset = rendered.get("StatefulSet", "nifi")
    nifi = next(c for c in pod_spec(statefulset)["containers"] if c["name"] == "nifi")
    environment = container_environment(rendered, nifi, pod_name)
    overrides = rendered.get("ConfigMap", "nifi-overrides")["data"]["nifi.properties.override"]
    properties = {**IMAGE_DEFAULTS, **parse_properties(overrides)}
    for key, (variable, default) in START_SH_VARIABLES.items():
        value = environment.get(variable, pod_name if default is None else default)
        properties[key] = value
    return properties
