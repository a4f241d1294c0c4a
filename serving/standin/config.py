"""tensorflow_model_server's command-line flags and config files, as the stand-in reads them.

Free of TensorFlow: the ModelServerConfig proto (from tensorflow-serving-api, in .venv-serving only)
is imported where the model config file is parsed, so that the flags, the batching and monitoring
files and the /models path mapping can be checked in the project's own environment.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serving.standin
from serving.model_contract import MODELS_DIR

DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics"  # TF Serving's, when the file names none
DEFAULT_MAX_BATCH_SIZE = 1000  # TF Serving's, when the batching file names none
CONTAINER_MODELS_DIR = "/models/"  # where the TF Serving image expects serving/models mounted


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The flags tensorflow_model_server takes (those the stand-in honours), plus --host and --models_root."""
    p = argparse.ArgumentParser(
        description=serving.standin.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--port", type=int, default=8500, help="gRPC port")
    p.add_argument("--rest_api_port", type=int, default=8501, help="REST and monitoring port (0 = none)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    p.add_argument("--model_config_file")
    p.add_argument("--model_name", default="default")
    p.add_argument("--model_base_path")
    p.add_argument("--models_root", default=str(MODELS_DIR), help="where /models/... base paths live here")
    p.add_argument("--enable_batching", action="store_true")
    p.add_argument("--batching_parameters_file")
    p.add_argument("--monitoring_config_file")
    p.add_argument("--grpc_max_threads", type=int, default=8)
    p.add_argument(
        "--max_concurrent_rpcs", type=int, default=64, help="further concurrent RPCs get RESOURCE_EXHAUSTED (overload)"
    )
    p.add_argument("--tensorflow_intra_op_parallelism", type=int, default=0)
    p.add_argument("--tensorflow_inter_op_parallelism", type=int, default=0)
    return p.parse_args(argv)


@dataclass(frozen=True)
class Batching:
    """What the stand-in does of server-side batching: refuse requests larger than max_batch_size."""

    enabled: bool = False
    max_batch_size: int = 0


def parse_batching(path: str | None, enabled: bool) -> Batching:
    """max_batch_size from a text-format BatchingParameters file (`max_batch_size { value: N }`)."""
    if not enabled:
        return Batching()
    size = 0
    if path:
        m = re.search(r"max_batch_size\s*\{\s*value\s*:\s*(\d+)\s*\}", Path(path).read_text())
        size = int(m.group(1)) if m else 0
    return Batching(True, size or DEFAULT_MAX_BATCH_SIZE)


def parse_monitoring(path: str | None) -> str | None:
    """The Prometheus path from a text-format MonitoringConfig file; None when monitoring is off."""
    if not path:
        return None
    text = Path(path).read_text()
    if not re.search(r"enable\s*:\s*true", text):
        return None
    m = re.search(r'path\s*:\s*"([^"]*)"', text)
    return (m.group(1) if m else "") or DEFAULT_PROMETHEUS_PATH


def load_model_config(args: argparse.Namespace) -> Any:
    """The ModelServerConfig from --model_config_file, or a single model from --model_name/--model_base_path."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = model_server_config_pb2.ModelServerConfig()
    if args.model_config_file:
        text_format.Parse(Path(args.model_config_file).read_text(), config)
    elif args.model_base_path:
        entry = config.model_config_list.config.add()
        entry.name = args.model_name
        entry.base_path = args.model_base_path
        entry.model_platform = "tensorflow"
    else:
        raise SystemExit("need --model_config_file or --model_base_path")
    return config


def resolve_base_path(base_path: str, models_root: Path) -> Path:
    """The configured path, or the same path under --models_root when it is a container path (/models/...)."""
    p = Path(base_path)
    if p.is_dir():
        return p
    if base_path.startswith(CONTAINER_MODELS_DIR):
        return models_root / base_path[len(CONTAINER_MODELS_DIR) :]
    return p
