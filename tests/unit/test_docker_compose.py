"""docker-compose.yml as written: secrets without defaults, secure defaults, wiring, every referenced path exists."""

from __future__ import annotations

import re
import subprocess

from support.compose_file import COMPOSE_FILE, REPO, SECRETS, env_example, raw

from pipelinectl.nifi.assembly import NIFI_VERSION


def test_secrets_have_no_defaults_and_example_is_placeholder() -> None:
    text = COMPOSE_FILE.read_text()
    for secret in SECRETS:
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses, secret
        assert all(use.startswith(":?") for use in uses), (secret, uses)
        assert "change-me" in env_example()[secret]
    assert len(env_example()["NIFI_PASSWORD"]) >= 12  # NiFi's single-user minimum
    assert len(env_example()["NIFI_SENSITIVE_PROPS_KEY"]) >= 12


def test_env_file_is_not_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO, check=False)
    assert ignored.returncode == 0, "add /.env to .gitignore"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".env"], cwd=REPO, capture_output=True, check=False)
    assert tracked.returncode != 0


def test_security_defaults() -> None:
    services = raw()["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), (name, image)
    assert not {"pushgateway", "tfserving", "postgres"} & {n for n, s in services.items() if s.get("ports")}
    nifi = services["nifi"]
    assert nifi["image"] == f"apache/nifi:{NIFI_VERSION}"
    assert "NIFI_WEB_HTTP_PORT" not in nifi["environment"]
    assert nifi["environment"]["NIFI_WEB_HTTPS_PORT"] == "8443"
    grafana = services["grafana"]["environment"]
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false" and grafana["GF_USERS_ALLOW_SIGN_UP"] == "false"


def test_wiring() -> None:
    services = raw()["services"]
    nifi = services["nifi"]
    assert "./nifi/python-processors:/opt/nifi/nifi-current/python_extensions:ro" in nifi["volumes"]
    env = nifi["environment"]
    assert env["RESULTS_DATABASE_URL"].startswith("postgresql://")
    assert "POSTGRES_PASSWORD" not in env["RESULTS_DATABASE_URL"]  # it travels apart, as a sensitive parameter
    assert env["RESULTS_DATABASE_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    assert env["PUSHGATEWAY_URL"] == "http://pushgateway:9091"
    deployer = services["flow-deployer"]
    assert deployer["image"] == "python:3.11-slim"
    assert "python -m pipelinectl.flow deploy" in " ".join(deployer["command"])
    assert deployer["depends_on"]["nifi"]["condition"] == "service_healthy"
    assert {"NIFI_URL", "NIFI_USERNAME", "NIFI_PASSWORD"} <= set(deployer["environment"])
    assert "./:/repo:ro" in deployer["volumes"]
    assert deployer["environment"]["PYTHONPATH"].split(":")[0] == "/repo"  # pipelinectl/ is at the repo root
    token = services["nifi-token"]
    assert "./pipelinectl:/app/pipelinectl:ro" in token["volumes"]
    assert token["environment"]["PYTHONPATH"] == "/app"
    assert token["command"][:3] == ["python", "-m", "pipelinectl.nifi.bearer_token"]
    assert {"--out=/run/nifi-token/token", "--every=3600"} <= set(token["command"])
    assert {"NIFI_USERNAME", "NIFI_PASSWORD"} <= set(token["environment"])
    assert "nifi-token:/run/nifi-token:ro" in services["prometheus"]["volumes"]
    tfserving = " ".join(services["tfserving"]["command"])
    for flag in (
        "--model_config_file=/models/models.config",
        "--batching_parameters_file=/models/batching.config",
        "--monitoring_config_file=/models/monitoring.config",
        "--rest_api_port=8501",
        "--port=8500",
    ):
        assert flag in tfserving
    prometheus = services["prometheus"]
    assert "./prometheus/prometheus.compose.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["pushgateway"]["image"].startswith("prom/pushgateway:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")


def mounts() -> list[tuple[str, str, str]]:
    """(service, host path relative to the repo, container path) of every bind mount."""
    found = []
    for name, service in raw()["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                found.append((name, source, target))
    return found


def test_every_referenced_local_path_exists() -> None:
    missing = [f"{service}: {source}" for service, source, _ in mounts() if not (REPO / source).exists()]
    services = raw()["services"]
    # Files used inside the containers through those mounts.
    by_target = {(service, target): source for service, source, target in mounts()}
    for arg in services["tfserving"]["command"]:
        match = re.match(r"--[a-z_]+=/models/(\S+)", arg)
        if match:
            path = REPO / by_target[("tfserving", "/models")] / match.group(1)
            if not path.exists():
                missing.append(f"tfserving: {path.relative_to(REPO)}")
    constraint = services["nifi"]["environment"]["PIP_CONSTRAINT"].removeprefix("/opt/audio-pipeline/")
    for relative in (
        constraint,
        "requirements/dev.txt",
        "prometheus/rules",
        "grafana/provisioning/datasources/prometheus.yaml",
        "grafana/provisioning/dashboards/audio-pipeline.yaml",
        "grafana/dashboards/audio-pipeline.json",
    ):
        if not (REPO / relative).exists():
            missing.append(relative)
    assert not missing, f"missing: {missing}"


def test_python_modules_the_containers_run_are_mounted_on_their_path() -> None:
    """`python -m X` in a container finds X through a bind mount on its PYTHONPATH or working dir."""
    services = raw()["services"]
    by_service: dict[str, list[tuple[str, str]]] = {}
    for service, source, target in mounts():
        by_service.setdefault(service, []).append((source, target))
    checked = []
    for name, service in services.items():
        command = " ".join(service.get("command") or [])
        for module in re.findall(r"python -m ([\w.]+)", command):
            roots = [*service.get("environment", {}).get("PYTHONPATH", "").split(":"), service.get("working_dir", "")]
            files = [f"{root.rstrip('/')}/{module.replace('.', '/')}.py" for root in roots if root]
            found = [
                REPO / source / file.removeprefix(target.rstrip("/") + "/")
                for file in files
                for source, target in by_service.get(name, [])
                if file.startswith(target.rstrip("/") + "/")
            ]
            assert any(path.is_file() for path in found), (name, module, found)
            checked.append((name, module))
    assert {("flow-deployer", "pipelinectl.flow"), ("nifi-token", "pipelinectl.nifi.bearer_token")} <= set(checked)
