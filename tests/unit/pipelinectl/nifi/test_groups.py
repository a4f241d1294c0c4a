"""Group operations against a recording stand-in for the REST client: upload when absent, stop and
replace when present, parameters always set, processor lookups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipelinectl.nifi import groups
from pipelinectl.nifi.sent_secrets import SentSecrets

SNAPSHOT = {
    "flowContents": {"identifier": "g"},
    "parameterContexts": {"ctx": {"name": "ctx", "parameters": [{"name": "dir", "sensitive": False, "value": ""}]}},
}


class FakeNiFi:
    def __init__(self, existing: dict[str, Any] | None = None, processors: list[dict] | None = None) -> None:
        self.existing = existing
        self.calls: list[tuple] = []
        self._processors = processors or []
        self.held: str | None = "********"  # how NiFi shows a sensitive value it holds

    def child_group(self, name: str) -> dict[str, Any] | None:
        return self.existing

    def root_id(self) -> str:
        return "root"

    def upload_group(self, parent: str, name: str, snapshot_json: str) -> dict[str, Any]:
        self.calls.append(("upload", parent, name, json.loads(snapshot_json)))
        return {"id": "new-group"}

    def replace_group(self, group_id: str, snapshot: dict[str, Any]) -> None:
        self.calls.append(("replace", group_id, snapshot))

    def set_group_state(self, group_id: str, state: str) -> None:
        self.calls.append(("state", group_id, state))

    def group_status(self, group_id: str) -> dict[str, Any]:
        return {"aggregateSnapshot": {"activeThreadCount": 0}}

    def update_parameters(self, context: str, values: dict[str, str], *, sensitive: set[str] = frozenset()) -> bool:
        self.calls.append(("parameters", context, values))
        return True

    def parameter_context(self, name: str) -> dict[str, Any]:
        return {"id": "ctx-id", "component": {"parameters": [{"parameter": {"name": "pw", "value": self.held}}]}}

    def processors(self, group_id: str) -> list[dict]:
        return self._processors


def filled(snapshot: dict) -> str:
    return snapshot["parameterContexts"]["ctx"]["parameters"][0]["value"]


def test_deploy_uploads_an_absent_group_with_its_parameters_filled() -> None:
    nifi = FakeNiFi()
    assert groups.deploy(nifi, SNAPSHOT, "pipeline", "ctx", {"dir": "/data"}) == "new-group"  # type: ignore[arg-type]
    (upload, parameters) = nifi.calls
    assert upload[:3] == ("upload", "root", "pipeline") and filled(upload[3]) == "/data"
    assert parameters == ("parameters", "ctx", {"dir": "/data"})
    assert filled(SNAPSHOT) == "", "the file's snapshot is not changed"


def test_deploy_stops_and_replaces_a_present_group_unless_told_not_to() -> None:
    nifi = FakeNiFi(existing={"id": "old"})
    assert groups.deploy(nifi, SNAPSHOT, "pipeline", "ctx", {"dir": "/d"}) == "old"  # type: ignore[arg-type]
    kinds = [call[0] if call[0] != "state" else call[2] for call in nifi.calls]
    assert kinds == ["STOPPED", "DISABLED", "replace", "parameters"]

    kept = FakeNiFi(existing={"id": "old"})
    assert groups.deploy(kept, SNAPSHOT, "pipeline", "ctx", {"dir": "/d"}, replace=False) == "old"  # type: ignore[arg-type]
    assert kept.calls == [("parameters", "ctx", {"dir": "/d"})]


def test_processor_lookups() -> None:
    python = {"component": {"name": "DecodeAudio", "bundle": {"artifact": groups.PYTHON_BUNDLE_ARTIFACT}}}
    java = {"component": {"name": "GetFile", "bundle": {"artifact": "nifi-standard-nar"}}}
    nifi = FakeNiFi(processors=[python, java])
    assert groups.processor_named(nifi, "g", "GetFile") is java  # type: ignore[arg-type]
    assert groups.python_processors(nifi, "g") == [python]  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        groups.processor_named(nifi, "g", "Missing")  # type: ignore[arg-type]


SECRET_SNAPSHOT = {
    "flowContents": {"identifier": "g"},
    "parameterContexts": {
        "ctx": {
            "name": "ctx",
            "parameters": [
                {"name": "dir", "sensitive": False, "value": ""},
                {"name": "pw", "sensitive": True, "value": ""},
            ],
        }
    },
}


def test_a_running_group_gets_a_sensitive_value_only_when_it_changed_or_nifi_lacks_it(tmp_path: Path) -> None:
    """NiFi refuses to update a sensitive parameter while a processor using it is still starting, as
    after a restart; so into a group left running only a changed value goes, and it goes always
    into a group just uploaded or replaced."""
    sent = SentSecrets(tmp_path / "sent.json")
    values = {"dir": "/d", "pw": "s3cret"}
    fresh = FakeNiFi()
    groups.deploy(fresh, SECRET_SNAPSHOT, "pipeline", "ctx", values, sent=sent)  # type: ignore[arg-type]
    assert fresh.calls[-1] == ("parameters", "ctx", values)

    running = FakeNiFi(existing={"id": "old"})
    groups.deploy(running, SECRET_SNAPSHOT, "pipeline", "ctx", values, replace=False, sent=sent)  # type: ignore[arg-type]
    assert running.calls == [("parameters", "ctx", {"dir": "/d"})]

    changed = {"dir": "/d", "pw": "new"}
    groups.deploy(running, SECRET_SNAPSHOT, "pipeline", "ctx", changed, replace=False, sent=sent)  # type: ignore[arg-type]
    assert running.calls[-1] == ("parameters", "ctx", changed)

    running.held = None  # e.g. someone cleared it in the UI
    groups.deploy(running, SECRET_SNAPSHOT, "pipeline", "ctx", changed, replace=False, sent=sent)  # type: ignore[arg-type]
    assert running.calls[-1] == ("parameters", "ctx", changed)

    replaced = FakeNiFi(existing={"id": "old"})
    groups.deploy(replaced, SECRET_SNAPSHOT, "pipeline", "ctx", changed, sent=sent)  # type: ignore[arg-type]
    assert replaced.calls[-1] == ("parameters", "ctx", changed)
