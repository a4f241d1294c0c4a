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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelinectl import cluster, flow
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import nodes as nifi_nodes
from pipelinectl.settings import REPO_ROOT, Settings, load

THROTTLE_MESSAGE = "due to archive file size constraints"
_TIMING = re.compile(r"([A-Za-z][\w-]*) (\d+(?:\.\d+)?) s")


@dataclass
class Instance:
    settings: Settings
    env: dict[str, str]
    private: bool
    group_id: str = ""
    log_offset: int = 0  # size of nifi-app.log when the benchmark began
    start_timings: dict[str, float] = field(default_factory=dict)  # launch()'s

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


def private_env(data_dir: Path, nodes: int = 1) -> dict[str, str]:
    """The environment of a private pipeline in `data_dir` on free ports: a standalone NiFi, or with
    `nodes` > 1 a cluster (blocks of ports for the nodes' base ports; ZooKeeper, PostgreSQL)."""
    # Its own data dir, ports and results database: nothing shared with the developer's instance
    # (standalone: SQLite; a cluster starts its own PostgreSQL when RESULTS_DATABASE_URL is empty).
    env = dict(os.environ, PIPELINE_DATA_DIR=str(data_dir), NIFI_PROFILE="dev", RESULTS_DATABASE_URL="", NIFI_URL="")
    env.update(cluster.free_base_ports(nodes))
    return env


def run_timings(output: str) -> dict[str, float]:
    """The step timings pipelinectl.run prints last on stderr ("  setup 0.9 s, serving_up 4.1 s,
    nifi_up 35.2 s, flow_running 61.0 s, ..."), as seconds by step; {} if there is no such line."""
    for line in reversed(output.splitlines()):
        items = [item.strip() for item in line.split(",")]
        parsed = [_TIMING.fullmatch(item) for item in items]
        if line.startswith("  ") and items and all(parsed):
            return {match.group(1): float(match.group(2)) for match in parsed if match}
    return {}


def launch(data_dir: Path, env: dict[str, str], properties: dict[str, str]) -> dict[str, float]:
    """Start the pipeline of `env` as ./scripts/run does (with `properties`: through pipelinectl.run in
    a child process with those nifi.properties overrides); return its wall time (`wall_s`, invoked to
    exit: everything up, the flow running) and its own step timings. On failure, stop it again."""
    settings = load(env)
    if any(nifi_instance.is_running(node) for node in nifi_nodes.running_nodes(settings)):
        stop_data_dir(data_dir)  # left running (--keep-instance): restart, on the new ports if any
    command = [str(REPO_ROOT / "scripts" / "run")]
    if properties:
        command = [sys.executable, "-m", "bench.instance", "run"]
        command += [f"--property={k}={v}" for k, v in properties.items()]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "bench-run.log"
    started = time.monotonic()
    with open(log_path, "w") as out:
        done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    wall_s = time.monotonic() - started
    if done.returncode != 0:
        subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=env, capture_output=True, timeout=300, check=False)
        raise SystemExit(
            f"starting the pipeline failed ({done.returncode}); see {log_path} and "
            f"{settings.logs_dir}/nifi*/nifi-app.log"
        )
    return {"wall_s": wall_s, **run_timings(log_path.read_text(errors="replace"))}


def start_private(
    data_dir: Path,
    properties: dict[str, str],
    log: Any = print,
    *,
    env: dict[str, str] | None = None,
    redeploy: bool = True,
) -> Instance:
    """Start (or reuse) the private instance, then (`redeploy`) deploy this checkout's flow and start it.
    `env` (private_env's) keeps the ports of an earlier start; without it a standalone gets new ones."""
    env = env or private_env(data_dir)
    timings = launch(data_dir, env, properties)
    instance = Instance(load(env), env, private=True, start_timings=timings)
    if redeploy:
        instance.group_id = flow.deploy(instance.settings, replace=True)  # this checkout's flow, with these ports
        flow.start(instance.settings, instance.group_id)
    else:  # the flow ./scripts/run deployed or resumed
        group = flow.client(instance.settings).child_group(flow.GROUP_NAME)
        instance.group_id = group["id"] if group else ""
    log(f"private NiFi up on port {instance.settings.nifi_http_port} after {timings['wall_s']:.0f} s")
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
