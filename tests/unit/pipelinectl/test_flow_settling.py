"""A cluster whose nodes are still loading the flow answers replicated requests with 500 for a
while; `./scripts/run` waits that out instead of stopping everything it started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipelinectl import flow
from pipelinectl.nifi.rest_client import NiFiApiError
from pipelinectl.settings import load

RUNNING = {"component": {"state": "RUNNING", "validationStatus": "VALID"}}


class SettlingNiFi:
    """Fails the first `failures` processor listings as a node that has just reconnected does."""

    def __init__(self, failures: int, status: int = 500) -> None:
        self.failures = failures
        self.status = status
        self.calls = 0

    def child_group(self, name: str) -> dict[str, Any]:
        return {"id": "group-1", "component": {"name": name}}

    def processors(self, group_id: str) -> list[dict[str, Any]]:
        self.calls += 1
        if self.calls <= self.failures:
            raise NiFiApiError(f"GET /process-groups/{group_id}/processors -> {self.status}", self.status)
        return [RUNNING, RUNNING]


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow.time, "sleep", lambda _s: None)


def test_is_running_waits_out_a_settling_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_sleep: None
) -> None:
    nifi = SettlingNiFi(failures=3)
    monkeypatch.setattr(flow, "client", lambda _settings: nifi)
    assert flow.is_running(load({"PIPELINE_DATA_DIR": str(tmp_path)}))
    assert nifi.calls == 4


def test_other_errors_are_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_sleep: None) -> None:
    nifi = SettlingNiFi(failures=1, status=403)
    monkeypatch.setattr(flow, "client", lambda _settings: nifi)
    with pytest.raises(NiFiApiError):
        flow.is_running(load({"PIPELINE_DATA_DIR": str(tmp_path)}))
    assert nifi.calls == 1
