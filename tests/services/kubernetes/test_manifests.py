"""The Kubernetes manifests render (`kubectl kustomize`, else the kustomize CLI built into build/tools),
pass kubeconform -strict and kubernetes-validate offline, and say what we mean: NiFi's ports, cluster
settings, RBAC, secrets, resources and images."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from support.compose_file import raw as compose
from support.kubernetes_manifests import (
    KUBERNETES_STATE_PROVIDER,
    LOCAL_STATE_DIRECTORY,
    NIFI_HOME,
    START_SH_FIXED,
    START_SH_VARIABLES,
    Rendered,
    container_environment,
    containers,
    nifi_properties,
    parse_properties,
    pod_spec,
    render,
    workloads,
)

from pipelinectl import kubernetes_tools
from pipelinectl.settings import REPO_ROOT
from serving import model_contract

# Exactly what nifi-framework-kubernetes-nar 2.3.0 calls (kubernetes/base/nifi/rbac.yaml says where).
NIFI_RBAC = {
    ("coordination.k8s.io", "leases"): {"create", "get", "patch"},
    ("", "configmaps"): {"create", "delete", "get", "list", "update"},
}
SECRET_LIKE = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|CREDENTIALS")
# Jobs of the local cluster mode that have no Kubernetes counterpart yet: the cluster exporter
# (pipelinectl.cluster_metrics) listens on loopback and logs in with a token file (docs/kubernetes.md).
LOCAL_ONLY_JOBS = {"nifi_cluster"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render(tmp_path_factory.mktemp("kubernetes"))


@pytest.fixture(scope="module")
def nifi(rendered: Rendered) -> dict[str, Any]:
    return rendered.get("StatefulSet", "nifi")


@pytest.fixture(scope="module")
def nifi_container(nifi: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in pod_spec(nifi)["containers"] if c["name"] == "nifi")


@pytest.fixture(scope="module")
def properties(rendered: Rendered) -> dict[str, str]:
    return nifi_properties(rendered)


def ports(container: dict[str, Any]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container["ports"]}


# -- offline schema validation --------------------------------------------------------------------------


def _kubeconform(manifest: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """kubeconform -strict on `manifest`, against the schemas of kubernetes-validate (offline)."""
    command = [
        str(kubernetes_tools.kubeconform_path()),
        "-strict",
        *flags,
        "-kubernetes-version",
        kubernetes_tools.KUBERNETES_VERSION,
        "-schema-location",
        kubernetes_tools.schema_location(),
        str(manifest),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_kubeconform_strict_accepts_every_resource(rendered: Rendered, tmp_path: Path) -> None:
    kubernetes_tools.ensure()
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(yaml.safe_dump_all(rendered.documents))
    result = _kubeconform(manifest, "-summary", "-output", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary == {"valid": len(rendered.documents), "invalid": 0, "errors": 0, "skipped": 0}


def test_kubeconform_catches_a_wrong_type_and_an_unknown_field(rendered: Rendered, tmp_path: Path) -> None:
    """The schemas are really used: a broken copy of the StatefulSet fails."""
    kubernetes_tools.ensure()
    broken = json.loads(json.dumps(rendered.get("StatefulSet", "nifi")))
    broken["spec"]["replicas"] = "three"
    broken["spec"]["replicaz"] = 3
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(yaml.safe_dump(broken))
    result = _kubeconform(manifest)
    assert result.returncode == 1
    assert "replicas" in result.stdout and "replicaz" in result.stdout


def test_kubernetes_validate_strict_accepts_every_resource(rendered: Rendered) -> None:
    for document in rendered.documents:
        kubernetes_validate.validate(document, kubernetes_tools.KUBERNETES_VERSION, strict=True)


def test_the_whole_stack_is_there(rendered: Rendered) -> None:
    kinds = {(d["kind"], re.sub(r"-[a-z0-9]{10}$", "", d["metadata"]["name"])) for d in rendered.documents}
    assert {
        ("StatefulSet", "nifi"),
        ("Service", "nifi-headless"),
        ("Service", "nifi"),
        ("Service", "nifi-ingest"),
        ("PodDisruptionBudget", "nifi"),
        ("ServiceAccount", "nifi"),
        ("Role", "nifi"),
        ("RoleBinding", "nifi"),
        ("Job", "nifi-flow-deploy"),
        ("Deployment", "tfserving"),
        ("Service", "tfserving"),
        ("HorizontalPodAutoscaler", "tfserving"),
        ("Deployment", "prometheus"),
        ("Deployment", "pushgateway"),
        ("Deployment", "grafana"),
        ("StatefulSet", "postgres"),
        ("Service", "postgres"),
        ("PersistentVolumeClaim", "pipeline-data"),
    } <= kinds
    namespaced = [d for d in rendered.documents if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {rendered.namespace}


def test_every_reference_resolves(rendered: Rendered) -> None:
    """Secret, ConfigMap and claim names in the pods exist (kustomize rewrote them to the hashed names)."""
    names = {(d["kind"], d["metadata"]["name"]) for d in rendered.documents}
    for workload in workloads(rendered):
        claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        spec = pod_spec(workload)
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                secret = rendered.get("Secret", volume["secret"]["secretName"])
                assert {i["key"] for i in volume["secret"].get("items", [])} <= set(secret["data"])
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
        mounted = {v["name"] for v in spec.get("volumes", [])} | claims
        for container in containers(workload):
            assert {m["name"] for m in container.get("volumeMounts", [])} <= mounted, container["name"]
            for source in container.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in names
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["key"] in rendered.get("Secret", reference["name"])["data"], variable["name"]


# -- NiFi: ports, cluster, storage ----------------------------------------------------------------------


def test_container_ports_are_the_ports_in_nifi_properties(
    rendered: Rendered, nifi_container: dict[str, Any], properties: dict[str, str]
) -> None:
    environment = container_environment(rendered, nifi_container, "nifi-0")
    assert ports(nifi_container) == {
        "https": int(properties["nifi.web.https.port"]),
        "cluster": int(properties["nifi.cluster.node.protocol.port"]),
        "load-balance": int(properties["nifi.cluster.load.balance.port"]),
        "ingest": int(environment["INGEST_HTTP_PORT"]),
    }
    assert properties["nifi.web.https.port"] == "8443"


def test_listen_http_listens_on_the_ingest_port_variable() -> None:
    flow = (REPO_ROOT / "nifi" / "flows" / "audio-pipeline.json").read_text()
    listening = set(re.findall(r'"Listening Port": "([^"]*)"', flow))
    assert listening == {"${INGEST_HTTP_PORT}"}


def test_services_expose_the_container_ports(
    rendered: Rendered, nifi: dict[str, Any], nifi_container: dict[str, Any]
) -> None:
    named = ports(nifi_container)
    labels = nifi["spec"]["template"]["metadata"]["labels"]
    headless = rendered.get("Service", "nifi-headless")["spec"]
    assert nifi["spec"]["serviceName"] == "nifi-headless"
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    assert {p["name"]: p["port"] for p in headless["ports"]} == {
        k: named[k] for k in ("https", "cluster", "load-balance")
    }
    ui = rendered.get("Service", "nifi")["spec"]
    assert ui["sessionAffinity"] == "ClientIP"
    assert [(p["port"], p["targetPort"]) for p in ui["ports"]] == [(named["https"], "https")]
    ingest = rendered.get("Service", "nifi-ingest")["spec"]
    assert ingest.get("sessionAffinity", "None") == "None"
    assert [(p["port"], p["targetPort"]) for p in ingest["ports"]] == [(named["ingest"], "ingest")]
    for service in (headless, ui, ingest):
        assert service["selector"].items() <= labels.items()


def test_every_node_is_a_kubernetes_coordinated_cluster_node(nifi: dict[str, Any], properties: dict[str, str]) -> None:
    assert properties["nifi.cluster.is.node"] == "true"
    assert properties["nifi.cluster.leader.election.implementation"] == "KubernetesLeaderElectionManager"
    assert properties["nifi.state.management.provider.cluster"] == KUBERNETES_STATE_PROVIDER
    assert properties["nifi.zookeeper.connect.string"] == ""
    host = properties["nifi.web.https.host"]
    assert host.startswith("nifi-0.nifi-headless.") and properties["nifi.cluster.node.address"] == host
    assert properties["nifi.cluster.load.balance.host"] == host
    # All replicas are election candidates: the flow election waits for exactly that many votes.
    assert int(properties["nifi.cluster.flow.election.max.candidates"]) == nifi["spec"]["replicas"]
    assert nifi["spec"]["podManagementPolicy"] == "Parallel"


def test_the_image_carries_the_kubernetes_nar_of_its_nifi_version() -> None:
    dockerfile = (REPO_ROOT / "nifi" / "Dockerfile").read_text()
    assert "-Dartifact=org.apache.nifi:nifi-framework-kubernetes-nar:${NIFI_VERSION}:nar" in dockerfile
    assert "/nar/nifi-framework-kubernetes-nar-${NIFI_VERSION}.nar ${NIFI_HOME}/lib/" in dockerfile


def test_disruption_budget_keeps_the_cluster(rendered: Rendered, nifi: dict[str, Any]) -> None:
    budget = rendered.get("PodDisruptionBudget", "nifi")["spec"]
    replicas = nifi["spec"]["replicas"]
    assert replicas >= 2
    assert budget["selector"]["matchLabels"].items() <= nifi["spec"]["template"]["metadata"]["labels"].items()
    assert "minAvailable" not in budget  # a fixed count would go stale on `kubectl scale`
    assert 1 <= budget["maxUnavailable"] < replicas


def test_overrides_leave_start_sh_keys_alone(rendered: Rendered) -> None:
    overrides = rendered.get("ConfigMap", "nifi-overrides")["data"]
    keys = set(parse_properties(overrides["nifi.properties.override"]))
    assert not keys & (set(START_SH_VARIABLES) | START_SH_FIXED)
    bootstrap = parse_properties(overrides["bootstrap.conf.override"])
    assert all(key.startswith("java.arg.") and not key[9:].isdigit() for key in bootstrap)  # named: never the image's


def test_repositories_and_flow_are_on_the_pods_volumes(
    nifi: dict[str, Any], nifi_container: dict[str, Any], properties: dict[str, str]
) -> None:
    mounts = {m["mountPath"]: m["name"] for m in nifi_container["volumeMounts"]}
    claims = {t["metadata"]["name"] for t in nifi["spec"]["volumeClaimTemplates"]}

    def volume_of(path: str) -> str:
        absolute = path if path.startswith("/") else f"{NIFI_HOME}/{path.removeprefix('./')}"
        best = max((m for m in mounts if absolute == m or absolute.startswith(m + "/")), key=len)
        return mounts[best]

    for key in (
        "nifi.flowfile.repository.directory",
        "nifi.content.repository.directory.default",
        "nifi.provenance.repository.directory.default",
        "nifi.database.directory",
        "nifi.flow.configuration.file",
    ):
        assert volume_of(properties[key]) in claims, key
    assert volume_of(LOCAL_STATE_DIRECTORY) == "state"
    environment = {e["name"]: e.get("value") for e in nifi_container["env"]}
    assert volume_of(environment["METRICS_STATE_DIR"]) == "state"  # per node, never on the shared volume


def test_shared_folders_are_one_read_write_many_volume(rendered: Rendered, nifi_container: dict[str, Any]) -> None:
    environment = container_environment(rendered, nifi_container, "nifi-0")
    data = {m["name"]: m["mountPath"] for m in nifi_container["volumeMounts"]}
    assert data["pipeline-data"] == environment["PIPELINE_DATA_DIR"]
    assert rendered.get("PersistentVolumeClaim", "pipeline-data")["spec"]["accessModes"] == ["ReadWriteMany"]
    assert environment["METRICS_INSTANCE"] == "nifi-0"
    assert environment["PUSHGATEWAY_URL"] == "http://pushgateway:9091"
    assert environment["SERVING_HOST"] == "tfserving"


def test_database_url_names_the_postgres_service_user_and_database(rendered: Rendered) -> None:
    url = rendered.get("ConfigMap", "pipeline-env")["data"]["RESULTS_DATABASE_URL"]
    postgres = rendered.get("ConfigMap", "postgres-env")["data"]
    service = rendered.get("Service", "postgres")["spec"]["ports"][0]["port"]
    assert url == f"postgresql://{postgres['POSTGRES_USER']}@postgres:{service}/{postgres['POSTGRES_DB']}"


# -- RBAC -----------------------------------------------------------------------------------------------


def test_nifi_role_has_exactly_the_verbs_nifi_calls(rendered: Rendered, nifi: dict[str, Any]) -> None:
    role = rendered.get("Role", "nifi")
    granted = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
        assert "resourceNames" not in rule  # ConfigMap names follow component ids
    assert granted == NIFI_RBAC
    binding = rendered.get("RoleBinding", "nifi")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "nifi"}
    account = pod_spec(nifi)["serviceAccountName"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": rendered.namespace}]
    assert not rendered.of_kind("ClusterRole") and not rendered.of_kind("ClusterRoleBinding")


def test_only_nifi_gets_an_api_token(rendered: Rendered) -> None:
    for workload in workloads(rendered):
        spec = pod_spec(workload)
        if workload["metadata"]["name"] == "nifi":
            assert spec.get("automountServiceAccountToken", True)
        else:
            assert spec["automountServiceAccountToken"] is False, workload["metadata"]["name"]


# -- secrets, images, resources -------------------------------------------------------------------------


def test_secret_values_live_only_in_generated_secrets(rendered: Rendered) -> None:
    secret_data = {base64.b64decode(value) for s in rendered.of_kind("Secret") for value in s["data"].values()}
    assert set(rendered.secret_values.values()) <= secret_data
    for document in rendered.documents:
        if document["kind"] != "Secret":
            text = yaml.safe_dump(document)
            for value in rendered.secret_values.values():
                assert value.decode().strip() not in text, document["metadata"]["name"]


def test_secret_like_variables_come_from_secrets(rendered: Rendered) -> None:
    for workload in workloads(rendered):
        for container in containers(workload):
            for variable in container.get("env", []):
                if SECRET_LIKE.search(variable["name"]):
                    assert "secretKeyRef" in variable.get("valueFrom", {}), (container["name"], variable["name"])


def test_images_are_pinned_and_match_compose(rendered: Rendered) -> None:
    compose_images = {s["image"].split(":")[0]: s["image"] for s in compose()["services"].values()}
    for workload in workloads(rendered):
        for container in containers(workload):
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert name and tag and tag != "latest" and "/" not in tag, image
            if name in compose_images:  # the same third-party image in both stacks
                assert image == compose_images[name]


def test_pods_meet_the_restricted_pod_security_standard(rendered: Rendered) -> None:
    """The namespace enforces `restricted`: a pod that does not meet it would never be admitted."""
    labels = rendered.get("Namespace", "audio-pipeline")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in workloads(rendered):
        pod = pod_spec(workload)["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, workload["metadata"]["name"]
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        for volume in pod_spec(workload).get("volumes", []):
            assert set(volume) - {"name"} <= {"configMap", "secret", "emptyDir", "persistentVolumeClaim"}


def test_every_container_has_requests_and_limits(rendered: Rendered) -> None:
    for workload in workloads(rendered):
        for container in containers(workload):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), (
                    workload["metadata"]["name"],
                    container["name"],
                )


# -- model server ---------------------------------------------------------------------------------------


def test_model_server_is_ready_on_its_model_and_scales_on_cpu(rendered: Rendered) -> None:
    deployment = rendered.get("Deployment", "tfserving")
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it
    (server,) = pod_spec(deployment)["containers"]
    assert server["readinessProbe"]["httpGet"]["path"] == f"/v1/models/{model_contract.MODEL_NAME}"
    config = (REPO_ROOT / "serving" / "models" / "models.config").read_text()
    assert re.findall(r'name: "([^"]+)"', config) == [model_contract.MODEL_NAME]
    assert "--model_config_file=/models/models.config" in server["args"]
    autoscaler = rendered.get("HorizontalPodAutoscaler", "tfserving")["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "tfserving"}
    assert [m["resource"]["name"] for m in autoscaler["metrics"]] == ["cpu"]
    assert 2 <= autoscaler["minReplicas"] < autoscaler["maxReplicas"]
    environment = rendered.get("ConfigMap", "pipeline-env")["data"]
    assert ports(server) == {
        "grpc": int(environment["SERVING_GRPC_PORT"]),
        "http": int(environment["SERVING_REST_PORT"]),
    }


def test_model_server_image_is_the_compose_tensorflow_serving() -> None:
    dockerfile = (REPO_ROOT / "serving" / "Dockerfile").read_text()
    version = re.search(r"^ARG TF_SERVING_VERSION=(\S+)$", dockerfile, re.M)[1]
    assert compose()["services"]["tfserving"]["image"] == "tensorflow/serving:${TF_SERVING_TAG:-" + version + "}"
    base = yaml.safe_load((REPO_ROOT / "kubernetes" / "base" / "kustomization.yaml").read_text())
    assert {i["name"]: i["newTag"] for i in base["images"]}["audio-pipeline/model-server"] == version


# -- monitoring -----------------------------------------------------------------------------------------


def test_grafana_gets_every_dashboard_and_provisioning_file(rendered: Rendered) -> None:
    dashboards = rendered.get("ConfigMap", "grafana-dashboards")["data"]
    expected = {p.name: p.read_text() for p in (REPO_ROOT / "grafana" / "dashboards").glob("*.json")}
    assert dashboards == expected
    provisioning = REPO_ROOT / "grafana" / "provisioning"
    for config, folder in (("grafana-datasources", "datasources"), ("grafana-dashboard-providers", "dashboards")):
        expected = {p.name: p.read_text() for p in (provisioning / folder).glob("*.yaml")}
        assert rendered.get("ConfigMap", config)["data"] == expected
    provider = yaml.safe_load(next(iter(expected.values())))["providers"][0]["options"]["path"]
    grafana = pod_spec(rendered.get("Deployment", "grafana"))["containers"][0]
    assert {m["mountPath"]: m["name"] for m in grafana["volumeMounts"]}[provider] == "dashboards"


def test_prometheus_gets_every_rule_file_and_scrapes_every_job(rendered: Rendered) -> None:
    rules = rendered.get("ConfigMap", "prometheus-rules")["data"]
    assert rules == {p.name: p.read_text() for p in (REPO_ROOT / "prometheus" / "rules").glob("*.yml")}
    config = yaml.safe_load(rendered.get("ConfigMap", "prometheus-config")["data"]["prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    used = set(re.findall(r'job="([^"]+)"', "".join(rules.values())))
    assert used - LOCAL_ONLY_JOBS <= set(jobs)
    headless = rendered.get("Service", "nifi-headless")
    https = next(p for p in headless["spec"]["ports"] if p["port"] == 8443)["name"]
    assert jobs["nifi"]["dns_sd_configs"][0] == {
        "names": [f"_{https}._tcp.{headless['metadata']['name']}"],
        "type": "SRV",
        "refresh_interval": "30s",
    }
    mount = next(
        m["mountPath"]
        for m in pod_spec(rendered.get("Deployment", "prometheus"))["containers"][0]["volumeMounts"]
        if m["name"] == "nifi-client"
    )
    client = rendered.get("Secret", "prometheus-nifi-client")["data"]
    for path in jobs["nifi"]["tls_config"].values():
        assert Path(path).parent == Path(mount) and Path(path).name in client
    model = jobs["model_server"]["dns_sd_configs"][0]
    pods = rendered.get("Service", "tfserving-pods")["spec"]
    assert (
        pods["clusterIP"] == "None"
        and model["names"] == ["tfserving-pods"]
        and model["port"] == pods["ports"][0]["port"]
    )
    pushgateway = rendered.get("ConfigMap", "pipeline-env")["data"]["PUSHGATEWAY_URL"].removeprefix("http://")
    assert jobs["pushgateway"]["static_configs"][0]["targets"] == [pushgateway]
