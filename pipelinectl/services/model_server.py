"""The TF Serving stand-in (serving/standin/) as a local background service, and its virtualenv.

`start(settings)` launches it with the serving virtualenv's Python on 127.0.0.1 (gRPC on
SERVING_GRPC_PORT, REST and Prometheus metrics on SERVING_REST_PORT), records the pid in
`settings.state_dir/serving.pid`, logs to `settings.logs_dir/serving.log` and waits until the model
reports AVAILABLE on `GET /v1/models/<name>`. `install_venv()` creates `.venv-serving` from
requirements/serving.txt (a complete lock, installed with --no-deps so that tensorflow-serving-api
does not pull the full `tensorflow` next to `tensorflow-cpu`).

CLI: `python -m pipelinectl.services.model_server {start,stop,status,install}`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipelinectl import process_supervision
from pipelinectl import settings as settings_mod
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


def pid_file(settings: Settings) -> Path:
    return settings.state_dir / "serving.pid"


def log_file(settings: Settings) -> Path:
    return settings.logs_dir / "serving.log"


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


def pid_of(settings: Settings) -> int | None:
    """Pid of the running stand-in, or None (stale pid files do not count)."""
    return process_supervision.running_pid(pid_file(settings), cmdline_marker=MARKER)


def is_running(settings: Settings) -> bool:
    return pid_of(settings) is not None


def model_status(settings: Settings, model: str = MODEL_NAME, timeout: float = 2.0) -> dict | None:
    """The REST model status document, or None when the server does not answer."""
    try:
        with urllib.request.urlopen(f"{rest_url(settings)}/v1/models/{model}", timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def is_ready(settings: Settings, model: str = MODEL_NAME) -> bool:
    status = model_status(settings, model, timeout=1.0)
    return bool(status) and any(v.get("state") == "AVAILABLE" for v in status.get("model_version_status", []))


def _log_tail(settings: Settings, lines: int = 30) -> str:
    try:
        return "\n".join(log_file(settings).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def wait_ready(settings: Settings, timeout: float = 120.0) -> None:
    """Block until the model is AVAILABLE; raise RuntimeError with the log tail otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_ready(settings):
            return
        if not is_running(settings):
            break
        time.sleep(0.25)
    raise RuntimeError(f"TF Serving stand-in not ready within {timeout:g}s:\n{_log_tail(settings)}")


def start(settings: Settings, *, timeout: float = 120.0, python: Path | None = None) -> int:
    """Start the stand-in in the background (idempotent), wait for readiness, return its pid."""
    existing = pid_of(settings)
    if existing is not None:
        wait_ready(settings, timeout)
        return existing
    interpreter = python or venv_python()
    if not Path(interpreter).exists():
        raise RuntimeError(
            f"{interpreter} not found: create the serving virtualenv"
            " (python -m pipelinectl.services.model_server install)"
        )
    if not any((MODELS_DIR / MODEL_NAME).glob("[0-9]*/saved_model.pb")):
        raise RuntimeError(f"no exported model under {MODELS_DIR / MODEL_NAME}: run python -m serving.training.train")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log_file(settings).parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(log_file(settings), "ab") as log:
        process = subprocess.Popen(
            command(settings, interpreter),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
        )
    process_supervision.write_pid_file(pid_file(settings), process.pid)
    try:
        wait_ready(settings, timeout)
    except RuntimeError:
        stop(settings)
        raise
    return process.pid


def stop(settings: Settings, *, timeout: float = 15.0) -> bool:
    """Stop the stand-in (SIGTERM, then SIGKILL after `timeout`); True if a process was stopped."""
    pid = pid_of(settings)
    if pid is None:
        pid_file(settings).unlink(missing_ok=True)
        return False
    process_supervision.terminate(pid, lambda: pid_of(settings) is not None, timeout=timeout)
    pid_file(settings).unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelinectl.services.model_server", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop", "status", "install"))
    args = parser.parse_args(argv)
    settings = settings_mod.load()
    if args.action == "install":
        print(install_venv())
    elif args.action == "start":
        print(
            f"serving stand-in running, pid {start(settings)}, gRPC {grpc_target(settings)}, REST {rest_url(settings)}"
        )
    elif args.action == "stop":
        print("stopped" if stop(settings) else "not running")
    else:
        running = is_running(settings)
        print(json.dumps({"running": running, "ready": running and is_ready(settings), "pid": pid_of(settings)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
