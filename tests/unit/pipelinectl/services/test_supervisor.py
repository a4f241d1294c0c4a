"""The one service shape, with a tiny real program as the service: start, idempotent start, readiness
timeout with the log tail, stop, stale and recycled pid files."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load

# Prints, becomes ready after a moment (a marker file), then waits to be stopped.
PROGRAM = """
import pathlib, sys, time
print("tiny service starting", flush=True)
time.sleep(float(sys.argv[2]))
pathlib.Path(sys.argv[1]).write_text("ready")
time.sleep(120)
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load({"PIPELINE_DATA_DIR": str(tmp_path / "data")})


def tiny(settings: Settings, *, ready_after: float = 0.2, **options: object) -> Service:
    marker = settings.data_dir / "ready"
    return Service(
        name="tiny",
        settings=settings,
        command=[sys.executable, "-c", PROGRAM, str(marker), str(ready_after), f"tiny-{uuid.uuid4()}"],
        ready=marker.exists,
        cmdline_marker="tiny-",
        stop_timeout=5.0,
        **options,  # type: ignore[arg-type]
    )


def test_start_waits_until_ready_and_is_idempotent(settings: Settings) -> None:
    prepared, reconfigured = [], []
    service = tiny(settings, prepare=lambda: prepared.append(1), reconfigure=lambda: reconfigured.append(1))
    try:
        pid = service.start()
        assert service.is_ready() and service.pid() == pid
        assert service.pid_file == settings.state_dir / "run" / "tiny.pid"
        assert service.pid_file.read_text().strip() == str(pid)
        assert "tiny service starting" in service.log_file.read_text()
        assert service.log_file == settings.logs_dir / "tiny.log"

        assert service.start() == pid, "a running service is not started twice"
        assert (prepared, reconfigured) == ([1], [1])
        assert str(service.status()) == f"tiny: running (pid {pid}), ready"
    finally:
        service.stop()


def test_stop_ends_the_process_and_removes_the_pid_file(settings: Settings) -> None:
    service = tiny(settings)
    pid = service.start()
    assert service.stop() is True
    assert not Path(f"/proc/{pid}").exists()  # ended and reaped
    assert not service.pid_file.exists()
    assert service.stop() is False
    assert str(service.status()) == "tiny: stopped"


def test_a_service_that_never_gets_ready_is_stopped_and_reported_with_its_log(settings: Settings) -> None:
    service = tiny(settings, ready_after=60, ready_timeout=1.0)
    with pytest.raises(RuntimeError, match=r"tiny did not become ready within 1 s:\n.*tiny service starting"):
        service.start()
    assert not service.is_running() and not service.pid_file.exists()


def test_a_service_that_exits_at_once_fails_without_waiting_out_the_timeout(settings: Settings) -> None:
    service = Service(
        name="broken",
        settings=settings,
        command=[sys.executable, "-c", "import sys; print('cannot start: no config'); sys.exit(2)"],
        ready=lambda: False,
        cmdline_marker="cannot start",
        ready_timeout=60.0,
    )
    with pytest.raises(RuntimeError, match="cannot start: no config"):
        service.start()
    assert not service.pid_file.exists()


def test_failing_prerequisites_start_nothing(settings: Settings) -> None:
    def missing() -> None:
        raise RuntimeError("model not exported")

    service = tiny(settings, prepare=missing)
    with pytest.raises(RuntimeError, match="model not exported"):
        service.start()
    assert not service.pid_file.exists() and not service.log_file.exists()


def test_a_stale_pid_file_does_not_count(settings: Settings) -> None:
    service = tiny(settings)
    service.pid_file.parent.mkdir(parents=True)
    service.pid_file.write_text("999999999\n")  # no such process
    assert service.pid() is None and not service.is_running()
    assert service.stop() is False and not service.pid_file.exists()


def test_a_recycled_pid_is_neither_ours_nor_stopped(settings: Settings) -> None:
    service = tiny(settings)
    service.pid_file.parent.mkdir(parents=True)
    service.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not the tiny service
    assert service.pid() is None
    try:
        pid = service.start()
        assert pid != os.getpid() and service.is_ready()
    finally:
        assert service.stop() is True
    service.pid_file.write_text(f"{os.getpid()}\n")
    assert service.stop() is False  # and this test process lives on


def test_environment_and_cwd_reach_the_process(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "seen"
    program = "import os, pathlib, time; pathlib.Path('seen').write_text(os.environ['TINY_SECRET']); time.sleep(60)"
    service = Service(
        name="env-check",
        settings=settings,
        command=[sys.executable, "-c", program],
        ready=out.exists,
        cmdline_marker="TINY_SECRET",
        environment=lambda: {"TINY_SECRET": "s3cret"},
        cwd=tmp_path,
    )
    try:
        service.start()
        assert out.read_text() == "s3cret"
    finally:
        service.stop()
