"""Prepare everything the pipeline needs that is not in git (idempotent, cached, fast when done)."""

from __future__ import annotations

import argparse
import sys
import time

from audio_pipeline import tfserving_proto

from pipelinectl import kubernetes_tools
from pipelinectl.nifi import assembly as nifi_assembly
from pipelinectl.nifi import wheelhouse
from pipelinectl.services import model_server, zookeeper
from pipelinectl.settings import Settings, load
from serving import transcription_models


def ensure_data_dirs(settings: Settings) -> None:
    for folder in (*settings.user_dirs, settings.state_dir, settings.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)
    settings.state_dir.chmod(0o700)  # secrets live here


def setup(settings: Settings, *, for_tests: bool = False) -> float:
    """Assemble NiFi, build the processors' wheelhouse and gRPC stubs, create the model server's
    environment, assemble the speech-to-text models, fetch ZooKeeper (cluster mode and tests) and make the
    data dirs; return seconds taken."""
    started = time.monotonic()
    nifi_assembly.assemble()
    wheelhouse.ensure()
    tfserving_proto.ensure_stubs()
    model_server.install_venv()
    transcription_models.ensure(settings.transcription_models_dir)
    if for_tests or settings.clustered:
        zookeeper.ensure_jars()
    if for_tests:
        kubernetes_tools.ensure()  # kubeconform, its schemas and (without kubectl) kustomize, for the manifest tests
        model_server.install_venv(
            model_server.RUNTIME_CHECK_VENV_DIR, requirements=model_server.RUNTIME_CHECK_REQUIREMENTS
        )
    else:
        ensure_data_dirs(settings)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelinectl.setup")
    parser.add_argument("--for-tests", action="store_true", help="skip the data dirs (tests use their own)")
    args = parser.parse_args(argv)
    took = setup(load(), for_tests=args.for_tests)
    print(f"[setup] ready in {took:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
