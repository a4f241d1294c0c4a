"""Cluster figures: a standalone NiFi and a 2-node cluster on this machine, side by side in one run.

Rounds alternate the two (1 node, 2 nodes, 1 node, 2 nodes, ...): each is started with ./scripts/run
on its own data dir under $PIPELINE_DATA_DIR/bench/cluster/ (wiped when the section begins, so the
first round is a first start and the later ones restarts), measured, and stopped with ./scripts/stop,
so only one of them runs at a time. Per round and mode:

* the start: ./scripts/run's wall time from invocation to exit (every node connected, the flow
  running, the services up) and its own step timings; the stop's wall time;
* saturation throughput of both 10 s sets (without and with PESQ references) POSTed to the one
  ingest URL (the standalone's ListenHTTP, the cluster's balancer) after a warm-up of as many files
  per node as the throughput section gives the standalone;
* CPU seconds in each timed run of each node (its JVM and Python processes), each service, the
  bench's own HTTP clients, and the machine's other work (from /proc; bench.cpu), and of each node
  when idle for IDLE_S.

The figures: throughput per mode and the ratio 2 nodes / 1 node, CPU seconds per audio second per
node and per service, and a sizing table for real clusters (bench.sizing) from the 2-node costs.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import corpus, sizing
from bench.cpu import Snapshot, Usage, add, snapshot, usage
from bench.figures import Throughput, combined, ratio
from bench.http_runs import measure, run_http, sends_for, warm_up
from bench.instance import Instance, private_env, start_private, stop_data_dir
from bench.plan import Plan
from bench.progress import log
from pipelinectl import cluster, services
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.services import model_server
from pipelinectl.settings import REPO_ROOT, load

MODES = (1, 2)  # NiFi nodes
IDLE_S = 10.0
MODEL_SERVER = model_server.NAME
ASSUMPTIONS = sizing.Assumptions()


def mode_name(nodes: int) -> str:
    return "1 node" if nodes == 1 else f"{nodes} nodes"


def node_group(index: int) -> str:
    return f"node {index}"


def is_node(group: str) -> bool:
    return group.startswith("node ")


@dataclass
class Mode:
    nodes: int
    data_dir: Path
    env: dict[str, str]
    instance: Instance | None = None


@dataclass(frozen=True)
class Run:
    """One timed saturation run of one clip set on one mode."""

    round: int
    nodes: int
    clip_set: str
    throughput: Throughput
    cpu: Usage

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "nodes": self.nodes,
            "clips": self.clip_set,
            "throughput": self.throughput.to_dict(),
            "cpu": self.cpu.to_dict(),
        }


def roots(instance: Instance) -> dict[str, int | None]:
    """The root pid of every process group to account: each node's JVM, each service's program."""
    found: dict[str, int | None] = {
        node_group(i): nifi_instance.pid(node) for i, node in enumerate(cluster.nodes(instance.settings), start=1)
    }
    for service in services.for_settings(instance.settings):
        found[service.name] = service.pid()
    return found


def cpu_snapshot(instance: Instance) -> Snapshot:
    return snapshot(roots(instance))


def timed_run(
    instance: Instance, clips: list[corpus.Clip], count: int, plan: Plan, prefix: str
) -> tuple[Throughput, Usage]:
    """`count` files at saturation, timed as the throughput section times them, with the CPU each
    process group used from just before the first POST until every outcome was seen."""
    before = cpu_snapshot(instance)
    sent, watcher = run_http(
        instance.ingest_url, instance.outcome_folders, prefix, sends_for(clips, prefix, count), plan.concurrency
    )
    after = cpu_snapshot(instance)
    figures = measure(sent, watcher)
    watcher.remove_files()
    return figures, usage(before, after)


def saturation(mode: Mode, round_no: int, set_name: str, clips: list[corpus.Clip], plan: Plan, runid: str) -> Run:
    """The mode's warm-up (as many files per node as the throughput section gives the standalone),
    then one timed run of `plan.files` files."""
    assert mode.instance is not None
    prefix = f"{runid}-n{mode.nodes}r{round_no}-"
    warm = plan.warmup_files * mode.nodes
    instance = mode.instance
    warm_up(instance.ingest_url, instance.outcome_folders, clips, f"{prefix}warm-{set_name}-", plan.concurrency, warm)
    figures, cpu = timed_run(instance, clips, plan.files, plan, f"{prefix}{set_name}-")
    nodes_cpu = sum(seconds for group, seconds in cpu.groups.items() if is_node(group))
    log(
        f"  {set_name}: {figures.audio_s_per_s:.1f} audio s/s, {figures.files_per_s:.2f} files/s; nodes "
        f"{ratio(nodes_cpu, figures.audio_s):.4f} CPU s / audio s"
    )
    return Run(round_no, mode.nodes, set_name, figures, cpu)


def idle(instance: Instance, seconds: float = IDLE_S) -> Usage:
    """CPU of every group while no file is sent (after a short pause for the last run's tail)."""
    time.sleep(2.0)
    before = cpu_snapshot(instance)
    time.sleep(seconds)
    return usage(before, cpu_snapshot(instance))


def stop(mode: Mode) -> float:
    """./scripts/stop for the mode's data dir; its wall time."""
    started = time.monotonic()
    subprocess.run([str(REPO_ROOT / "scripts" / "stop")], env=mode.env, capture_output=True, timeout=600, check=False)
    mode.instance = None
    return time.monotonic() - started


def run(plan: Plan, corpus_dir: Path, bench_dir: Path, runid: str, rounds: int, report: dict[str, Any]) -> None:
    """`rounds` alternating rounds of a standalone NiFi and a 2-node cluster; figures into `report`."""
    clip_sets = [
        dataclasses.replace(s, count=min(plan.files, s.count) or 1) for s in corpus.throughput_sets(plan.quick)
    ]
    clips = {s.name: corpus.ensure(corpus_dir, s) for s in clip_sets}
    root = bench_dir / "cluster"
    modes = []
    for nodes in MODES:
        data_dir = root / mode_name(nodes).replace(" ", "-")
        if data_dir.exists():
            stop_data_dir(data_dir)  # a run that was interrupted must not leave its processes behind
            shutil.rmtree(data_dir)
        modes.append(Mode(nodes, data_dir, private_env(data_dir, nodes)))
    starts: list[dict[str, Any]] = []
    runs: list[Run] = []
    idles: list[dict[str, Any]] = []
    try:
        for round_no in range(1, rounds + 1):
            for mode in modes:
                kind = "first start (new data dir)" if round_no == 1 else "restart (data dir kept)"
                log(f"cluster round {round_no}: {mode_name(mode.nodes)}, ./scripts/run ({kind})")
                mode.instance = start_private(mode.data_dir, {}, log, env=mode.env, redeploy=False)
                timings = mode.instance.start_timings
                start = {"round": round_no, "nodes": mode.nodes, "kind": kind, **start_phases(timings)}
                corpus.install_references(corpus_dir, mode.instance.settings.references_dir)
                for clip_set in clip_sets:
                    runs.append(saturation(mode, round_no, clip_set.name, clips[clip_set.name], plan, runid))
                idles.append({"round": round_no, "nodes": mode.nodes, **idle(mode.instance).to_dict()})
                start["stop_wall_s"] = stop(mode)
                starts.append(start | {"steps": timings})
                log(f"  started in {start['wall_s']:.0f} s, stopped in {start['stop_wall_s']:.0f} s")
    finally:
        for mode in modes:
            if mode.instance is not None:
                stop(mode)
    heap = load(modes[0].env).nifi_heap
    report["cluster"] = {
        "rounds": rounds,
        "files_per_run": plan.files,
        "warmup_files_per_node": plan.warmup_files,
        "concurrency": plan.concurrency,
        "nifi_heap_per_node": heap,
        "starts": starts,
        "runs": [r.to_dict() for r in runs],
        "idle": idles,
        **figures_of(runs, idles),
    }


# -- figures (pure) ----------------------------------------------------------------------------------


def start_phases(timings: dict[str, float]) -> dict[str, float]:
    """A start's phases from launch()'s timings, which keep pipelinectl.run's order: its wall time,
    the steps before NiFi (setup, the services NiFi needs), NiFi's launch until every node is
    connected (a standalone: its API answers), until the flow runs, and the services started after."""
    nifi = "nodes_connected" if "nodes_connected" in timings else "nifi_up"
    steps = [k for k in timings if k != "wall_s"]
    if nifi not in steps or "flow_running" not in steps:
        return {"wall_s": timings.get("wall_s", float("nan"))}
    before = steps[: steps.index(nifi)]
    after = steps[steps.index("flow_running") + 1 :]
    return {
        "wall_s": timings.get("wall_s", float("nan")),
        "before_nifi_s": sum(timings[k] for k in before),
        "nodes_connected_s": timings[nifi],
        "flow_running_s": timings["flow_running"],
        "after_flow_s": sum(timings[k] for k in after),
    }


def cpu_per_audio_s(runs: list[Run]) -> dict[str, float]:
    """CPU seconds per audio second of every group over `runs` together, plus `nodes` (all nodes),
    `other services` (every service but the model server), `bench client` and `other processes`."""
    total = add(r.cpu for r in runs)
    audio = sum(r.throughput.audio_s for r in runs)
    if not audio:
        return {}
    per = {name: seconds / audio for name, seconds in sorted(total.groups.items())}
    per["nodes"] = sum(v for k, v in per.items() if is_node(k))
    per["other services"] = sum(v for k, v in per.items() if not is_node(k) and k not in ("nodes", MODEL_SERVER))
    per["bench client"] = total.own_s / audio
    per["other processes"] = total.others_s / audio
    return per


def idle_cores_per_node(idles: list[dict[str, Any]], nodes: int) -> float:
    """Mean cores one node of the `nodes`-node mode used while idle."""
    values = [
        seconds / entry["wall_s"]
        for entry in idles
        if entry["nodes"] == nodes and entry["wall_s"] > 0
        for group, seconds in entry["groups_cpu_s"].items()
        if is_node(group)
    ]
    return sum(values) / len(values) if values else 0.0


def figures_of(runs: list[Run], idles: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput per mode and clip set over all rounds, the ratios 2 nodes / 1 node (per set, per
    round, on the combined workload), CPU per audio second, and the sizing table from the 2-node costs."""
    sets = list(dict.fromkeys(r.clip_set for r in runs))
    rounds = sorted({r.round for r in runs})
    cluster_nodes = max(MODES)

    def pick(nodes: int, clip_set: str | None = None, round_no: int | None = None) -> list[Run]:
        return [r for r in runs if r.nodes == nodes and clip_set in (None, r.clip_set) and round_no in (None, r.round)]

    throughput = {
        s: {mode_name(n): combined([r.throughput for r in pick(n, s)]).to_dict() for n in MODES} for s in sets
    }
    overall = {n: combined([r.throughput for r in pick(n)]) for n in MODES}
    ratios = {
        s: ratio(throughput[s][mode_name(cluster_nodes)]["audio_s_per_s"], throughput[s][mode_name(1)]["audio_s_per_s"])
        for s in sets
    }
    ratios["combined workload"] = ratio(overall[cluster_nodes].audio_s_per_s, overall[1].audio_s_per_s)
    per_round = {
        str(k): ratio(
            combined([r.throughput for r in pick(cluster_nodes, round_no=k)]).audio_s_per_s,
            combined([r.throughput for r in pick(1, round_no=k)]).audio_s_per_s,
        )
        for k in rounds
    }
    cpu = {s: {mode_name(n): cpu_per_audio_s(pick(n, s)) for n in MODES} for s in sets}
    ms_per_file = {
        s: {
            mode_name(n): 1000 * cpu[s][mode_name(n)].get("nodes", float("nan")) * t["audio_s"] / t["files"]
            for n in MODES
            if (t := throughput[s][mode_name(n)])["files"]
        }
        for s in sets
    }
    cpu_ratio = {
        s: ratio(cpu[s][mode_name(cluster_nodes)].get("nodes"), cpu[s][mode_name(1)].get("nodes")) for s in sets
    }
    idle_cores = {mode_name(n): idle_cores_per_node(idles, n) for n in MODES}
    costs = [
        sizing.Cost(
            workload=s,
            nodes=cpu[s][mode_name(cluster_nodes)].get("nodes", 0.0),
            model_server=cpu[s][mode_name(cluster_nodes)].get(MODEL_SERVER, 0.0),
            shared=cpu[s][mode_name(cluster_nodes)].get("other services", 0.0),
            idle_cores_per_node=idle_cores[mode_name(cluster_nodes)],
        )
        for s in sets
        if cpu[s][mode_name(cluster_nodes)]
    ]
    return {
        "throughput": throughput,
        "overall": {mode_name(n): t.to_dict() for n, t in overall.items()},
        "ratio_2_nodes_to_1_node": ratios,
        "ratio_2_nodes_to_1_node_by_round": per_round,
        "cpu_s_per_audio_s": cpu,
        "nodes_cpu_ms_per_file": ms_per_file,
        "cpu_ratio_2_nodes_to_1_node": cpu_ratio,
        "idle_cores_per_node": idle_cores,
        "sizing": {
            "assumptions": dataclasses.asdict(ASSUMPTIONS),
            "costs": [dataclasses.asdict(c) for c in costs],
            "rows": sizing.table(costs, ASSUMPTIONS),
        },
    }
