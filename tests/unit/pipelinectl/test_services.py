"""The one list of background services, and the order scripts/run starts and scripts/stop stops them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelinectl import run, services, stop
from pipelinectl.settings import REPO_ROOT, load


def test_dev_and_secure_profiles_list_their_services_in_start_order(tmp_path: Path) -> None:
    dev = load({"PIPELINE_DATA_DIR": str(tmp_path)})
    secure = load({"PIPELINE_DATA_DIR": str(tmp_path), "NIFI_PROFILE": "secure"})
    assert [s.name for s in services.for_settings(dev)] == ["serving", "pushgateway", "prometheus"]
    assert [s.name for s in services.for_settings(secure)] == [
        "serving",
        "pushgateway",
        "prometheus",
        "nifi-token-refresher",
    ]
    assert [s.name for s in services.for_settings(dev, any_profile=True)][-1] == "nifi-token-refresher"
    for service in services.for_settings(secure):
        assert service.pid_file == tmp_path / "state" / "run" / f"{service.name}.pid"
        assert service.log_file == tmp_path / "logs" / f"{service.name}.log"
        assert service.comm or service.cmdline_marker, "a pid must be checked against its program"
    assert [s.after_flow for s in services.for_settings(secure)] == [False, True, True, True]
    assert services.named(dev, "prometheus").address == f"http://127.0.0.1:{dev.prometheus_port}"
    with pytest.raises(KeyError):
        services.named(dev, "nifi-token-refresher")


class Recorder:
    """Stands in for a service (or NiFi) and records what happens to it."""

    def __init__(self, calls: list[str], name: str, after_flow: bool) -> None:
        self.calls, self.name, self.after_flow = calls, name, after_flow

    def start(self) -> int:
        self.calls.append(f"start {self.name}")
        return 1

    def stop(self) -> bool:
        self.calls.append(f"stop {self.name}")
        return True


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    seen: list[str] = []
    fakes = [
        Recorder(seen, "serving", False),
        Recorder(seen, "pushgateway", True),
        Recorder(seen, "prometheus", True),
        Recorder(seen, "nifi-token-refresher", True),
    ]
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(services, "for_settings", lambda settings, any_profile=False: fakes)
    monkeypatch.setattr(run.setup, "setup", lambda settings: 0.0)
    monkeypatch.setattr(run.nifi_instance, "is_running", lambda settings: False)
    monkeypatch.setattr(run.nifi_instance, "start", lambda settings: seen.append("start nifi"))
    monkeypatch.setattr(run.nifi_instance, "wait_until_up", lambda settings: None)
    monkeypatch.setattr(run.nifi_instance, "stop", lambda settings, timeout=90.0: seen.append("stop nifi") or True)

    class NoGroup:
        def child_group(self, name: str) -> None:
            return None

    monkeypatch.setattr(run.flow, "client", lambda settings: NoGroup())
    monkeypatch.setattr(run, "deploy", lambda settings: seen.append("deploy flow") or "gid")
    monkeypatch.setattr(run.flow, "start", lambda settings, group_id: seen.append("start flow"))
    return seen


def test_run_starts_the_model_server_then_nifi_and_the_flow_then_the_rest(calls: list[str]) -> None:
    timings = run.bring_up(load())
    assert calls == [
        "start serving",
        "start nifi",
        "deploy flow",
        "start flow",
        "start pushgateway",
        "start prometheus",
        "start nifi-token-refresher",
    ]
    assert {"setup", "serving_up", "nifi_up", "flow_running", "prometheus_up"} <= set(timings)


def test_stop_stops_in_reverse_with_nifi_before_the_model_server(
    calls: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert stop.main([]) == 0
    assert calls == [
        "stop nifi-token-refresher",
        "stop prometheus",
        "stop pushgateway",
        "stop nifi",
        "stop serving",
    ]
    assert capsys.readouterr().out == "NiFi stopped.\n"


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PIPELINE_DATA_DIR": str(tmp_path), "PUSHGATEWAY_PORT": "29091", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "pipelinectl.services", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )


def test_cli_status_stop_and_unknown_names(tmp_path: Path) -> None:
    status = cli(tmp_path, "status", "pushgateway", "prometheus")
    assert status.returncode == 3, "not running: exit 3"
    assert status.stdout.splitlines() == [
        "pushgateway: stopped on http://127.0.0.1:29091",
        "prometheus: stopped on http://127.0.0.1:9090",
    ]
    stopped = cli(tmp_path, "stop")
    assert stopped.returncode == 0
    assert stopped.stdout.splitlines()[0] == "nifi-token-refresher: not running", "stop covers both profiles"
    unknown = cli(tmp_path, "start", "kafka")
    assert unknown.returncode == 2 and "unknown service(s) kafka" in unknown.stderr
