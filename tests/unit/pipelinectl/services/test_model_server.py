"""The TF Serving stand-in as a service: its command, paths and prerequisites (no server runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelinectl.services import model_server
from pipelinectl.settings import load


def test_serving_control_paths_and_command(tmp_path: Path) -> None:
    conf = load({"PIPELINE_DATA_DIR": str(tmp_path), "SERVING_GRPC_PORT": "18500", "SERVING_REST_PORT": "18501"})
    cmd = model_server.command(conf)
    assert cmd[1:3] == ["-m", "serving.standin"]
    assert "--port=18500" in cmd and "--rest_api_port=18501" in cmd and "--enable_batching" in cmd
    service = model_server.service(conf)
    assert service.command == cmd
    assert service.pid_file == tmp_path / "state" / "run" / "serving.pid"
    assert service.log_file == tmp_path / "logs" / "serving.log"
    assert model_server.grpc_target(conf) == "127.0.0.1:18500"
    assert service.address == "gRPC 127.0.0.1:18500, REST http://127.0.0.1:18501"


def test_serving_control_ignores_stale_pid_files(tmp_path: Path) -> None:
    service = model_server.service(load({"PIPELINE_DATA_DIR": str(tmp_path)}))
    service.pid_file.parent.mkdir(parents=True)
    service.pid_file.write_text("1\n")  # pid 1 is not the stand-in
    assert not service.is_running()
    assert service.stop() is False
    assert not service.pid_file.exists()


def test_a_missing_serving_environment_is_named_before_anything_starts(tmp_path: Path) -> None:
    service = model_server.service(load({"PIPELINE_DATA_DIR": str(tmp_path)}), python=tmp_path / "no-python")
    with pytest.raises(RuntimeError, match="create the serving virtualenv"):
        service.start()
    assert not service.pid_file.exists()
