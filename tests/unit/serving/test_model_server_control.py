"""The control plane's handle on the stand-in (pipelinectl.services.model_server): paths, command, pid files."""

from __future__ import annotations

from pipelinectl import settings as settings_mod
from pipelinectl.services import model_server


def test_serving_control_paths_and_command(tmp_path) -> None:
    conf = settings_mod.load(
        {"PIPELINE_DATA_DIR": str(tmp_path), "SERVING_GRPC_PORT": "18500", "SERVING_REST_PORT": "18501"}
    )
    cmd = model_server.command(conf)
    assert cmd[1:3] == ["-m", "serving.standin"]
    assert "--port=18500" in cmd and "--rest_api_port=18501" in cmd and "--enable_batching" in cmd
    assert model_server.pid_file(conf) == tmp_path / "state" / "serving.pid"
    assert model_server.log_file(conf) == tmp_path / "logs" / "serving.log"
    assert model_server.grpc_target(conf) == "127.0.0.1:18500"


def test_serving_control_ignores_stale_pid_files(tmp_path) -> None:
    conf = settings_mod.load({"PIPELINE_DATA_DIR": str(tmp_path)})
    conf.state_dir.mkdir(parents=True)
    model_server.pid_file(conf).write_text("1\n")  # pid 1 is not the stand-in
    assert not model_server.is_running(conf)
    assert model_server.stop(conf) is False
    assert not model_server.pid_file(conf).exists()
