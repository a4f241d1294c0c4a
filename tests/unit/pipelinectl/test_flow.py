"""The results database password never reaches the flow file, the UI or an export in clear text:
it travels apart from the URL, in a sensitive parameter that deploy fills and export blanks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipelinectl import flow
from pipelinectl.nifi import flow_file, groups
from pipelinectl.settings import load

PASSWORD_PARAMETER = "results_database_password"


def _settings(tmp_path: Path, **env: str):
    return load({"PIPELINE_DATA_DIR": str(tmp_path), **env})


def test_a_url_with_a_password_is_split_before_deploying(tmp_path: Path) -> None:
    values = flow.parameter_values(_settings(tmp_path, RESULTS_DATABASE_URL="postgresql://audio:p%40ss@db:5432/audio"))
    assert values["results_database_url"] == "postgresql://audio@db:5432/audio"
    assert values[PASSWORD_PARAMETER] == "p@ss"


def test_the_password_variable_wins(tmp_path: Path) -> None:
    env = {"RESULTS_DATABASE_URL": "postgresql://audio:old@db/audio", "RESULTS_DATABASE_PASSWORD": "new"}
    values = flow.parameter_values(_settings(tmp_path, **env))
    assert (values["results_database_url"], values[PASSWORD_PARAMETER]) == ("postgresql://audio@db/audio", "new")


def test_sqlite_by_default_without_password(tmp_path: Path) -> None:
    values = flow.parameter_values(_settings(tmp_path))
    assert values["results_database_url"] == f"sqlite:///{tmp_path.resolve() / 'state' / 'pipeline.db'}"
    assert values[PASSWORD_PARAMETER] == ""


def test_the_password_is_an_environment_parameter_left_blank_on_export() -> None:
    assert PASSWORD_PARAMETER in flow.MANAGED_PARAMETERS
    downloaded = flow.read_flow()
    for parameter in downloaded["parameterContexts"][flow.PARAMETER_CONTEXT]["parameters"]:
        if parameter["name"] == PASSWORD_PARAMETER:
            parameter["value"] = "s3cr3t"  # as if NiFi had returned it
    assert "s3cr3t" not in flow_file.dumps(flow.normalize(downloaded))


def _processors(node: Any) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if node.get("componentType") == "PROCESSOR":
            found.append(node)
        for value in node.values():
            found += _processors(value)
    elif isinstance(node, list):
        for value in node:
            found += _processors(value)
    return found


def test_the_committed_flow_holds_no_password() -> None:
    snapshot = flow.read_flow()
    [parameter] = [
        p
        for p in snapshot["parameterContexts"][flow.PARAMETER_CONTEXT]["parameters"]
        if p["name"] == PASSWORD_PARAMETER
    ]
    assert parameter["sensitive"] is True and parameter["value"] == ""
    users = 0
    for processor in _processors(snapshot["flowContents"]):
        for name, descriptor in processor.get("propertyDescriptors", {}).items():
            value = processor["properties"].get(name)
            if descriptor.get("sensitive"):
                assert value in (None, f"#{{{PASSWORD_PARAMETER}}}"), (processor["name"], name)  # a reference only
            if name == "Database URL":
                users += 1
                assert processor["properties"]["Database Password"] == f"#{{{PASSWORD_PARAMETER}}}"
                assert (
                    descriptor["sensitive"] is False
                    and processor["propertyDescriptors"]["Database Password"]["sensitive"]
                )
    assert users == 4  # FingerprintAudio, RegisterCatalogTrack and the two RecordResults
    text = flow.FLOW_FILE.read_text()
    assert not re.search(r"://[^/@\s\"]*:[^/@\s\"]+@", text), "a URL with a password"


class _Recorder:
    """The NiFiClient calls groups.deploy makes on a NiFi that has no such group yet."""

    def __init__(self) -> None:
        self.uploaded: dict | None = None
        self.parameters: tuple[dict, set[str]] | None = None

    def child_group(self, name: str) -> None:
        return None

    def root_id(self) -> str:
        return "root"

    def upload_group(self, parent: str, name: str, text: str) -> dict:
        self.uploaded = json.loads(text)
        return {"id": "group"}

    def update_parameters(self, name: str, values: dict, *, sensitive: set[str]) -> bool:
        self.parameters = (values, set(sensitive))
        return True

    def parameter_context(self, name: str) -> None:
        return None


def test_deploy_sends_the_password_as_a_sensitive_parameter(tmp_path: Path) -> None:
    nifi = _Recorder()
    values = flow.parameter_values(_settings(tmp_path, RESULTS_DATABASE_PASSWORD="pw"))
    groups.deploy(nifi, flow.read_flow(), flow.GROUP_NAME, flow.PARAMETER_CONTEXT, values)
    assert nifi.parameters == (values, {PASSWORD_PARAMETER})
