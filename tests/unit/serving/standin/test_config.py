"""The stand-in's flags and config files (serving.standin.config), without TensorFlow."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelinectl import settings as settings_mod
from pipelinectl.services import model_server
from serving.model_contract import MODELS_DIR
from serving.standin import config


def test_the_control_planes_command_line_parses_with_the_stand_ins_flags(tmp_path: Path) -> None:
    conf = settings_mod.load(
        {"PIPELINE_DATA_DIR": str(tmp_path), "SERVING_GRPC_PORT": "18500", "SERVING_REST_PORT": "18501"}
    )
    command = model_server.command(conf)
    assert command[1:3] == ["-m", "serving.standin"]
    args = config.parse_args(command[3:])
    assert (args.port, args.rest_api_port, args.host) == (18500, 18501, "127.0.0.1")
    assert args.model_config_file == str(MODELS_DIR / "models.config")
    assert args.models_root == str(MODELS_DIR)
    assert args.enable_batching
    assert config.parse_batching(args.batching_parameters_file, args.enable_batching) == config.Batching(True, 32)
    assert config.parse_monitoring(args.monitoring_config_file) == "/monitoring/prometheus/metrics"


def test_defaults_are_tensorflow_model_servers() -> None:
    args = config.parse_args([])
    assert (args.port, args.rest_api_port, args.model_name, args.enable_batching) == (8500, 8501, "default", False)
    assert (args.grpc_max_threads, args.max_concurrent_rpcs) == (8, 64)
    assert (args.tensorflow_intra_op_parallelism, args.tensorflow_inter_op_parallelism) == (0, 0)
    assert args.models_root == str(MODELS_DIR)


def test_unknown_flags_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        config.parse_args(["--no_such_flag=1"])
    assert "unrecognized arguments: --no_such_flag=1" in capsys.readouterr().err


def test_batching(tmp_path: Path) -> None:
    parameters = tmp_path / "batching.config"
    parameters.write_text("max_batch_size { value: 7 }\nbatch_timeout_micros { value: 1 }\n")
    assert config.parse_batching(str(parameters), enabled=False) == config.Batching(False, 0)
    assert config.parse_batching(str(parameters), enabled=True) == config.Batching(True, 7)
    parameters.write_text("num_batch_threads { value: 2 }\n")
    assert config.parse_batching(str(parameters), enabled=True) == config.Batching(True, 1000)
    assert config.parse_batching(None, enabled=True) == config.Batching(True, 1000)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('prometheus_config {\n  enable: true,\n  path: "/m/p"\n}\n', "/m/p"),
        ("prometheus_config { enable: true }", "/monitoring/prometheus/metrics"),
        ('prometheus_config { enable: true path: "" }', "/monitoring/prometheus/metrics"),
        ('prometheus_config { enable: false path: "/m/p" }', None),
        ("", None),
    ],
)
def test_monitoring_path(tmp_path: Path, text: str, path: str | None) -> None:
    monitoring = tmp_path / "monitoring.config"
    monitoring.write_text(text)
    assert config.parse_monitoring(str(monitoring)) == path


def test_no_monitoring_file_means_no_prometheus_path() -> None:
    assert config.parse_monitoring(None) is None


def test_container_base_paths_map_to_the_models_root(tmp_path: Path) -> None:
    local = tmp_path / "here"
    local.mkdir()
    assert config.resolve_base_path(str(local), tmp_path / "root") == local
    assert config.resolve_base_path("/models/audio_classifier", tmp_path) == tmp_path / "audio_classifier"
    assert config.resolve_base_path("/elsewhere/model", tmp_path) == Path("/elsewhere/model")
