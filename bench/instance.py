"""The NiFi the benchmark measures: a private instance (./scripts/run's code on free ports, own data dir)
or an already running one (--attach). A private instance may get nifi.properties overrides for the run
(tuning experiments), applied by running pipelinectl.run in a child process with the rendered
properties patched; nothing of the developer's instance or the repo's conf changes.

    python -m bench.instance run [--property KEY=VALUE ...]   (what start_private runs)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelinectl import flow
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.ports import free_port
from pipelinectl.settings import REPO_ROOT, Settings, load

PORT_SETTINGS = (
    "NIFI_HTTP_PORT",
    "INGEST_HTTP_PORT",
    "SERVING_GRPC_PORT",
    "SERVING_REST_PORT",
    "PROMETHEUS_PORT",
    "PUSHGATEWAY_PORT",
)
THROTTLE_MESSAGE = "due to archive file size constraints"


@dataclass
class Instance:
    settings: Settings
    env: dict[str, str]
    private: bool
    group_id: str = ""
    log_offset: int = 0  # size of nifi-app.log when the benchmark began

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.ingest_http_port}/audio"

    @property
    def outcome_folders(self) -> list[Path]:
        """Where the flow writes each file's outcome: results and quarantine."""
        return [self.settings.results_dir, self.settings.quarantine_dir]

    @property
    def java_pid(self) -> int | None:
        return nifi_instance.pid(self.settings)

    @property
    def app_log(self) -> Path:
        return self.settings.logs_dir / "nifi" / "nifi-app.log"

    def mark_log(self) -> None:
        self.log_offset = self.app_log.stat().st_size if self.app_log.exists() else 0

    def throttled_writes(self) -> int:
        """Content writes NiFi held back since mark_log() because its content archive exceeded
        nifi.content.repository.archive.max.usage.percentage of the disk (a full disk, not the flow)."""
        try:
            with open(self.app_log, "rb") as log:
                log.seek(self.log_offset if self.log_offset <= self.app_log.stat().st_size else 0)
                return log.read().decode(errors="replace").count(THROTTLE_MESSAGE)
        except OSError:
            return 0


def parse_properties(items: list[str]) -> dict[str, str]:
    """KEY=VALUE strings (nifi.properties names) into a dict."""
    found = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"nifi\.[A-Za-z0-9._-]+", key.strip()):
            raise ValueError(f"expected nifi.some.property=value, not {item!r}")
        found[key.strip()] = value.strip()
    return found


def start_private(data_dir: Path, properties: dict[str, str], log: Any = print) -> Instance:
    """Start (or reuse) the private instance, then deploy this checkout's flow and start it."""
    # Its own data dir, ports and (SQLite) database: nothing shared with the developer's instance.
    env = dict(os.environ, PIPELINE_DATA_DIR=str(data_dir), NIFI_PROFILE="dev", RESULTS_DATABASE_URL="", NIFI_URL="")
    env.update({name: str(free_port()) for name in PORT_SETTINGS})
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load(env)
    if nifi_instance.pid(settings) is not None:  # left running (--keep-instance): restart on the new ports
        stop_data_dir(data_dir)
    started = time.monotonic()
    command = [sys.executable, "-m", "bench.instance", "run"]
    command += [f"--property={k}={v}" for k, v in properties.items()]
    with open(data_dir / "bench-run.log", "w") as out:
        done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    if done.returncode != 0:
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300, check=False)
        raise SystemExit(
            f"starting NiFi failed ({done.returncode}); see {data_dir / 'bench-run.log'} and "
            f"{settings.logs_dir / 'nifi' / 'nifi-app.log'}"
        )
    instance = Instance(settings, env, private=True)
    instance.group_id = flow.deploy(settings, replace=True)  # this checkout's flow, with these ports
    flow.start(settings, instance.group_id)
    log(f"private NiFi up on port {settings.nifi_http_port} after {time.monotonic() - started:.0f} s")
    return instance


def attach() -> Instance:
    settings = load()
    group = flow.client(settings).child_group(flow.GROUP_NAME)
    if group is None:
        raise SystemExit(f"--attach: no {flow.GROUP_NAME!r} group in the NiFi at port {settings.nifi_http_port}")
    return Instance(settings, dict(os.environ), private=False, group_id=group["id"])


def stop_data_dir(data_dir: Path) -> None:
    """Stop whatever ./scripts/run started for `data_dir` (before its files, pid files included, go)."""
    env = dict(os.environ, PIPELINE_DATA_DIR=str(data_dir))
    subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300, check=False)


def stop_private(instance: Instance) -> None:
    subprocess.run(
        [str(REPO_ROOT / "scripts" / "stop")], env=instance.env, capture_output=True, timeout=300, check=False
    )


def _run_with(properties: dict[str, str]) -> int:
    """pipelinectl.run's bring-up with nifi.properties overrides (this process only)."""
    from pipelinectl import run

    rendered = nifi_instance.nifi_properties

    def with_overrides(settings: Settings, assembly: Path) -> dict[str, str]:
        return rendered(settings, assembly) | properties

    nifi_instance.nifi_properties = with_overrides  # type: ignore[assignment]
    return run.main([])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--property", action="append", default=[], help="nifi.properties KEY=VALUE override")
    args = parser.parse_args(argv)
    return _run_with(parse_properties(args.property))


if __name__ == "__main__":
    sys.exit(main())
