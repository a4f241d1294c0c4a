"""scripts/run's deployment: an unanswered upload restarts NiFi (with a thread dump) and deploys again."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from pipelinectl import run
from pipelinectl.settings import load


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    seen: list[tuple] = []
    monkeypatch.setattr(run.nifi_instance, "thread_dump", lambda s: seen.append(("dump",)) or Path("dump.txt"))
    monkeypatch.setattr(run.nifi_instance, "stop", lambda s, timeout: seen.append(("stop", timeout)) or True)
    monkeypatch.setattr(run.nifi_instance, "start", lambda s: seen.append(("start",)) or 1)
    monkeypatch.setattr(run.nifi_instance, "wait_until_up", lambda s: seen.append(("up",)))
    return seen


def _deploy_answering(answers: list[object], calls: list[tuple]):
    def deploy(settings: object, *, replace: bool) -> str:
        calls.append(("deploy", replace))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    return deploy


def test_a_hung_upload_restarts_nifi_and_replaces_the_group(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple], tmp_path: Path
) -> None:
    monkeypatch.setattr(run.flow, "deploy", _deploy_answering([requests.ReadTimeout("no answer"), "gid"], calls))
    assert run.deploy(load({"PIPELINE_DATA_DIR": str(tmp_path)})) == "gid"
    assert calls == [
        ("deploy", False),
        ("dump",),
        ("stop", run.RESTART_STOP_TIMEOUT_S),
        ("start",),
        ("up",),
        ("deploy", True),
    ]


def test_first_answer_is_used_and_other_errors_are_not_retried(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple], tmp_path: Path
) -> None:
    settings = load({"PIPELINE_DATA_DIR": str(tmp_path)})
    monkeypatch.setattr(run.flow, "deploy", _deploy_answering(["gid"], calls))
    assert run.deploy(settings) == "gid"
    assert calls == [("deploy", False)]
    calls.clear()
    monkeypatch.setattr(run.flow, "deploy", _deploy_answering([RuntimeError("invalid flow")], calls))
    with pytest.raises(RuntimeError):
        run.deploy(settings)
    assert calls == [("deploy", False)]


def test_gives_up_after_the_last_attempt(monkeypatch: pytest.MonkeyPatch, calls: list[tuple], tmp_path: Path) -> None:
    hangs = [requests.ReadTimeout("no answer")] * 3
    monkeypatch.setattr(run.flow, "deploy", _deploy_answering(hangs, calls))
    with pytest.raises(requests.Timeout):
        run.deploy(load({"PIPELINE_DATA_DIR": str(tmp_path)}), attempts=3)
    assert [c for c in calls if c[0] == "deploy"] == [("deploy", False), ("deploy", True), ("deploy", True)]
    assert calls.count(("start",)) == 2


def test_run_manages_its_own_nifi_even_when_nifi_url_is_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NIFI_URL", "https://nifi.example:8443")  # for ./scripts/flow against another NiFi
    seen = []
    monkeypatch.setattr(run, "bring_up", lambda settings: seen.append(settings) or {})
    assert run.main([]) == 0
    assert seen[0].nifi_url == ""
    assert run.flow.client(seen[0]).api.startswith(f"http://127.0.0.1:{seen[0].nifi_http_port}/")
