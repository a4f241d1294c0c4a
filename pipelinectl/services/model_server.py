"""The TF Serving stand-in (serving/standin/) as a local background service, and its virtualenv.

`service(settings)` runs it with the serving virtualenv's Python on 127.0.0.1 (gRPC on
SERVING_GRPC_PORT, REST and Prometheus metrics on SERVING_REST_PORT) as the service "serving"
(state/run/serving.pid, logs/serving.log), ready once the model reports AVAILABLE on
`GET /v1/models/<name>`. `install_venv()` creates `.venv-serving` from requirements/serving.txt (a
complete lock, installed with --no-deps so that tensorflow-serving-api does not pull the full
`tensorflow` next to `tensorflow-cpu`).

CLI: `python -m pipelinectl.services.model_server install`; start, stop and status through
`python -m pipelinectl.services`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pipelinectl.services.supervisor import Service
from pipelinectl.settings import REPO_ROOT, Settings

SERVING_DIR = REPO_ROOT / "serving"
MODELS_DIR = SERVING_DIR / "models"
MODEL_NAME = "audio_classifier"
VENV_DIR = REPO_ROOT / ".venv-serving"
REQUIREMENTS = REPO_ROOT / "requirements" / "serving.txt"
# The compose image's own TensorFlow, to check that the committed SavedModel loads there (tests only)
RUNTIME_CHECK_VENV_DIR = REPO_ROOT / ".venv-tf-runtime"
RUNTIME_CHECK_REQUIREMENTS = REPO_ROOT / "requirements" / "tf-runtime.txt"
MARKER = "serving.standin"  # in the command line of the stand-in process


def venv_python(venv: Path = VENV_DIR) -> Path:
    return venv / "bin" / "python"


NAME = "serving"


def rest_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.serving_rest_port}"


def grpc_target(settings: Settings) -> str:
    return f"127.0.0.1:{settings.serving_grpc_port}"


def command(settings: Settings, python: Path | None = None) -> list[str]:
    """The stand-in command line, with the same flags tensorflow_model_server takes."""
    return [
        str(python or venv_python()),
        "-m",
        MARKER,
        f"--port={settings.serving_grpc_port}",
        f"--rest_api_port={settings.serving_rest_port}",
        f"--model_config_file={MODELS_DIR / 'models.config'}",
        f"--models_root={MODELS_DIR}",
        "--enable_batching",
        f"--batching_parameters_file={MODELS_DIR / 'batching.config'}",
        f"--monitoring_config_file={MODELS_DIR / 'monitoring.config'}",
    ]


def install_venv(
    venv: Path = VENV_DIR, python: str = sys.executable, force: bool = False, requirements: Path = REQUIREMENTS
) -> Path:
    """Create a virtualenv from a complete lock: by default the serving one (TensorFlow CPU, official
    TF Serving API stubs, prometheus-client). Done again only when the lock changed."""
    stamp = venv / ".requirements"
    wanted = requirements.read_text(encoding="utf-8")
    if not force and venv_python(venv).exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return venv
    if not venv_python(venv).exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "--no-deps", "-r", str(requirements)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return venv


def model_status(settings: Settings, model: str = MODEL_NAME, timeout: float = 2.0) -> dict | None:
    """The REST model status document, or None when the server does not answer."""
    try:
        with urllib.request.urlopen(f"{rest_url(settings)}/v1/models/{model}", timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def is_available(settings: Settings, model: str = MODEL_NAME) -> bool:
    """True once the model server reports a version of `model` AVAILABLE."""
    status = model_status(settings, model, timeout=1.0)
    return bool(status) and any(v.get("state") == "AVAILABLE" for v in status.get("model_version_status", []))


def _check_prerequisites(interpreter: Path) -> None:
    if not interpreter.exists():
        raise RuntimeError(
            f"{interpreter} not found: create the serving virtualenv"
            " (python -m pipelinectl.services.model_server install)"
        )
    if not any((MODELS_DIR / MODEL_NAME).glob("[0-9]*/saved_model.pb")):
        raise RuntimeError(f"no exported model under {MODELS_DIR / MODEL_NAME}: run python -m serving.training.train")


def service(settings: Settings, python: Path | None = None) -> Service:
    """The stand-in as a background service (`python`: another interpreter than .venv-serving's)."""
    interpreter = Path(python or venv_python())
    return Service(
        name=NAME,
        settings=settings,
        command=command(settings, interpreter),
        cmdline_marker=MARKER,
        ready=lambda: is_available(settings),
        environment=lambda: {"PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
        cwd=REPO_ROOT,
        prepare=lambda: _check_prerequisites(interpreter),
        ready_timeout=120.0,
        address=f"gRPC {grpc_target(settings)}, REST {rest_url(settings)}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelinectl.services.model_server", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("install",))
    parser.parse_args(argv)
    print(install_venv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
