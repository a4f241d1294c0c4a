"""A private pipeline instance for end-to-end tests: free ports, a temporary data dir, started
with the same ./scripts/run users run, stopped with ./scripts/stop. Never touches a running
pipeline of the developer's (different data dir, different ports)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from pipelinectl import cluster
from pipelinectl.settings import REPO_ROOT, Settings, load


@dataclass
class Pipeline:
    settings: Settings
    env: dict[str, str]
    run_output: str

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.ingest_http_port}/audio"

    def post(self, body: bytes, filename: str | None, reference: str | None = None) -> requests.Response:
        headers = {}
        if filename is not None:
            headers["filename"] = filename
        if reference is not None:
            headers["reference"] = reference
        return requests.post(self.ingest_url, data=body, headers=headers, timeout=30)

    def drop(self, source: Path, name: str) -> Path:
        """Write into the inbox the way a careful producer does: hidden temp name, then rename."""
        inbox = self.settings.inbox_dir
        tmp = inbox / f".{name}.part"
        tmp.write_bytes(source.read_bytes())
        final = inbox / name
        tmp.rename(final)
        return final

    def outcomes(self) -> list[tuple[str, dict[str, str]]]:
        """('result' | 'quarantine', attributes) for every JSON written so far."""
        found = []
        for kind, folder in (("result", self.settings.results_dir), ("quarantine", self.settings.quarantine_dir)):
            for path in sorted(folder.glob("*.json")):
                try:
                    found.append((kind, json.loads(path.read_text())))
                except (json.JSONDecodeError, OSError):
                    continue  # still being written
        return found

    def wait_for(self, filename: str, timeout: float = 180.0) -> tuple[str, dict[str, str]]:
        """The single outcome of the file named `filename` (the `filename` attribute)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matches = [o for o in self.outcomes() if o[1].get("filename") == filename]
            if matches:
                time.sleep(1.0)  # let any (wrong) second outcome appear before we count
                matches = [o for o in self.outcomes() if o[1].get("filename") == filename]
                assert len(matches) == 1, f"{filename} ended {len(matches)} times: {matches}"
                return matches[0]
            time.sleep(0.5)
        raise TimeoutError(f"no result or quarantine for {filename!r} within {timeout:.0f} s")


@contextlib.contextmanager
def data_dir_passable_by_postgres(name: str) -> Iterator[Path]:
    """A data dir directly in the system temp dir (sticky, world-passable), removed afterwards. A
    cluster's PostgreSQL runs as the OS user postgres (the tests run as root) and must reach
    state/postgres; pytest's own temp root is 0700, and every pytest session that starts on the machine
    closes it again, so a dir below it cannot stay passable."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"pipeline-{name}-"))
    data_dir.chmod(0o711)
    try:
        yield data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def start_pipeline(data_dir: Path, nodes: int = 1, **extra_env: str) -> Pipeline:
    """./scripts/run with a temporary data dir on free ports; `nodes` > 1 starts a cluster."""
    env = {**os.environ, **cluster.free_base_ports(nodes), **extra_env, "PIPELINE_DATA_DIR": str(data_dir)}
    run = subprocess.run([str(REPO_ROOT / "scripts" / "run")], env=env, capture_output=True, text=True, timeout=1500)
    if run.returncode != 0:
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300)
        tails = []
        for log in sorted((data_dir / "logs").glob("nifi*/nifi-app.log")):
            tails.append(f"--- {log}\n{log.read_text(errors='replace')[-6000:]}")
        raise RuntimeError(f"scripts/run failed ({run.returncode}):\n{run.stdout}\n{run.stderr}\n" + "\n".join(tails))
    return Pipeline(settings=load(env), env=env, run_output=run.stdout)


def stop_pipeline(pipeline: Pipeline) -> None:
    subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=pipeline.env, capture_output=True, timeout=300)
