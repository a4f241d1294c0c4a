"""The bench's report: the targets judged against the figures, and the Markdown printed on stdout."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


# -- targets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    value: str
    met: bool | None  # None: not measured


def verdict(target: str, value: float | None, ok: bool | None, fmt: str = "{:.2f}") -> Verdict:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Verdict(target, "n/a", None)
    return Verdict(target, fmt.format(value), ok)


def targets(report: dict[str, Any]) -> list[Verdict]:
    """The issue's targets, judged against the figures in `report` (reported, never asserted)."""
    out: list[Verdict] = []
    vs_base = report.get("ratio_nifi_to_baseline")
    vs_esc = report.get("ratio_nifi_to_execute_stream_command")
    out.append(
        verdict(
            "NiFi ≥ 0.85 × plain-Python baseline (same workers)", vs_base, None if vs_base is None else vs_base >= 0.85
        )
    )
    out.append(verdict("NiFi ≥ 10 × ExecuteStreamCommand", vs_esc, None if vs_esc is None else vs_esc >= 10))
    p99 = (report.get("latency", {}).get("50%") or {}).get("p99_s")
    out.append(
        verdict("p99 latency ≤ 1 s at 50 % load (10 s clips)", p99, None if p99 is None else p99 <= 1.0, "{:.3f} s")
    )
    lin = report.get("scaling_linearity")
    out.append(
        verdict(
            "time linear in clip length (cost per extra audio s rises ≤ 2× with length)",
            lin,
            None if lin is None else lin <= 2.0,
        )
    )
    hour = report.get("one_hour_max_python_worker_rss_mb")
    out.append(
        verdict(
            "1 h file: every Python worker's peak RSS ≤ 1 GB", hour, None if hour is None else hour <= 1024, "{:.0f} MB"
        )
    )
    return out


# -- Markdown ----------------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table; numbers right-aligned, columns padded for reading in a terminal."""
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        any(_is_number(row[i]) for row in rows) and all(_is_number(row[i]) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(r[i]) for r in cells)], default=3) for i, h in enumerate(headers)]
    widths = [max(w, 3) for w in widths]

    def line(values: Sequence[str]) -> str:
        padded = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if numeric[i] else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value).replace("|", "\\|")


def _mark(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def render(report: dict[str, Any]) -> str:
    """The whole report as Markdown (what ./scripts/bench prints)."""
    parts = [f"# Benchmark {report.get('started_at', '')}", ""]
    machine = report.get("machine", {})
    line = (
        f"Machine: {machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gb', math.nan):.1f} GB RAM, load average at start {machine.get('load_average', '?')}."
    )
    if "python_processors" in report or not report.get("cluster"):  # a private or attached instance ran
        line += (
            f" Python processors: {', '.join(report.get('python_processors', [])) or '?'}; the files pass through "
            f"{', '.join(report.get('python_processors_used', [])) or '?'}: {report.get('workers') or '?'} worker "
            f"processes. NiFi heap {report.get('nifi_heap', '?')}. "
            "Steps the baseline runs: "
            f"{', '.join(report.get('steps', [])) or '?'}."
        )
    parts.append(line)
    overrides = report.get("nifi_property_overrides") or {}
    if overrides:
        parts.append(
            "nifi.properties overrides for this run: " + ", ".join(f"{k}={v}" for k, v in overrides.items()) + "."
        )
    throttled = report.get("nifi_throttled_writes") or 0
    if throttled:
        parts.append(
            f"**Warning: NiFi held back content writes {throttled} times during this run** because its "
            "content archive counts against nifi.content.repository.archive.max.usage.percentage of a "
            "disk that is fuller than that: the NiFi figures measure the disk, not the flow. Free disk "
            "space or rerun with --nifi-property nifi.content.repository.archive.max.usage.percentage=95%."
        )
    unlisted = report.get("steps_unlisted") or []
    if unlisted:
        parts.append(
            "Steps in flow_steps the benchmark's table does not name (not run without NiFi): "
            + ", ".join(unlisted)
            + "."
        )
    parts.append("")

    throughput = report.get("throughput") or {}
    if throughput:
        parts += ["## Throughput at saturation", ""]
        rows = []
        for set_name, by_way in throughput.items():
            for way, figures in by_way.items():
                rows.append(
                    [
                        set_name,
                        way,
                        figures["files"],
                        figures["audio_s_per_s"],
                        figures["files_per_s"],
                        figures["wall_s"],
                        figures["errors"] + figures["missing"] + figures["duplicates"],
                    ]
                )
        parts.append(
            markdown_table(["clips", "way", "files", "audio s / s", "files / s", "wall s", "lost/dup/errors"], rows)
        )
        parts += [
            "",
            markdown_table(
                ["ratio (combined workload)", "value"],
                [
                    ["NiFi / plain-Python baseline", report.get("ratio_nifi_to_baseline")],
                    ["NiFi / ExecuteStreamCommand", report.get("ratio_nifi_to_execute_stream_command")],
                    [
                        "plain-Python baseline / ExecuteStreamCommand"
                        " (NiFi / ExecuteStreamCommand if NiFi cost nothing)",
                        report.get("ratio_baseline_to_execute_stream_command"),
                    ],
                ],
            ),
            "",
        ]

    latency = report.get("latency") or {}
    if latency:
        parts += [f"## Latency, POST accepted → result written ({report.get('latency_clips', '')})", ""]
        rows = [
            [
                load,
                f["rate_files_per_s"],
                f["n"],
                f["p50_s"],
                f["p95_s"],
                f["p99_s"],
                f["max_s"],
                f.get("late_sends", 0),
            ]
            for load, f in latency.items()
        ]
        parts += [
            markdown_table(
                ["load", "files / s offered", "files", "p50 s", "p95 s", "p99 s", "max s", "sends > 100 ms late"], rows
            ),
            "",
        ]

    scaling = report.get("scaling") or []
    if scaling:
        parts += ["## Scaling with clip length (one file at a time)", ""]
        rows = [
            [
                s["label"],
                s["files"],
                s["nifi_s"],
                s["nifi_s_per_audio_s"],
                s["baseline_s"],
                s.get("baseline_process_s"),
                s["baseline_peak_rss_mb"],
                s["jvm_peak_rss_mb"],
                s["python_worker_peak_rss_mb"],
                s["python_worker_peak_name"],
            ]
            for s in scaling
        ]
        parts += [
            markdown_table(
                [
                    "clip",
                    "files",
                    "NiFi s",
                    "NiFi s per audio s",
                    "plain Python steps s",
                    "plain Python process s",
                    "plain Python peak RSS MB",
                    "NiFi JVM peak RSS MB",
                    "max Python worker peak RSS MB",
                    "that worker",
                ],
                rows,
            ),
            "",
            "NiFi s: median, from the start of the POST (upload included) to the result file. Plain "
            "Python: the same steps in a fresh process (the ExecuteStreamCommand worker script).",
            "",
        ]
        failed = [f"{s['label']}: {', '.join(s['errors'])}" for s in scaling if s.get("errors")]
        if failed:
            parts += [
                "**Files that did not end as a clean result:** "
                + "; ".join(failed)
                + " (see the instance's logs/nifi/nifi-app.log).",
                "",
            ]

    fingerprint = report.get("fingerprint")
    if fingerprint is not None:
        parts += ["## Fingerprint query time", ""]
        if isinstance(fingerprint, str):
            parts += [fingerprint, ""]
        else:
            rows = [[int(size), f["p50_ms"], f["p95_ms"], f["queries"]] for size, f in fingerprint.items()]
            parts += [markdown_table(["catalog tracks", "p50 ms", "p95 ms", "queries"], rows), ""]

    transcription = report.get("transcription")
    if transcription:
        parts += [f"## Transcription: TranscribeSpeech off and on ({transcription['clips']}, NiFi flow)", ""]
        rows = [
            [
                label,
                f["files"],
                f["audio_s_per_s"],
                f["wall_s"],
                f["transcription_cpu_s"],
                f["transcription_cpu_s_per_audio_s"],
                f["errors"] + f["missing"] + f["duplicates"],
            ]
            for label, f in transcription["runs"].items()
        ]
        headers = [
            "TranscribeSpeech",
            "files",
            "audio s / s",
            "wall s",
            "its CPU s",
            "CPU s / speech s",
            "lost/dup/errors",
        ]
        parts += [
            markdown_table(headers, rows),
            "",
            f"Throughput on / off: {_cell(transcription.get('ratio_on_to_off'))}.",
            "",
        ]

    if report.get("cluster"):
        parts += cluster_parts(report["cluster"])

    verdicts = targets(report)
    if any(v.met is not None for v in verdicts) or not report.get("cluster"):
        parts += ["## Targets (reported, not asserted)", ""]
        parts += [
            markdown_table(["target", "measured", "verdict"], [[v.target, v.value, _mark(v.met)] for v in verdicts])
        ]
    return "\n".join(parts) + "\n"


def _per_mode(by_mode: dict[str, Any], key: str) -> list[Any]:
    return [(by_mode.get(mode) or {}).get(key) for mode in ("1 node", "2 nodes")]


def cluster_parts(cluster: dict[str, Any]) -> list[str]:
    """The cluster section: starts, throughput 1 node / 2 nodes, CPU per audio second, sizing."""
    parts = [
        "## Cluster: 1 node and 2 nodes on this machine",
        "",
        f"{cluster['rounds']} alternating round{'s' if cluster['rounds'] != 1 else ''} (1 node, 2 nodes, ...), "
        "one NiFi set running at a time, each "
        "started by ./scripts/run on its own data dir (new in round 1) and stopped by ./scripts/stop; "
        f"{cluster['files_per_run']} files per set and run from {cluster['concurrency']} clients to the one "
        f"ingest URL (standalone: ListenHTTP; cluster: the HAProxy balancer), after "
        f"{cluster['warmup_files_per_node']} warm-up files per node; NiFi heap {cluster['nifi_heap_per_node']} "
        "per node. Standalone: results in SQLite; cluster: PostgreSQL, ZooKeeper, the balancer.",
        "",
        "### Start: ./scripts/run invoked → exit (all nodes connected, flow running, services up)",
        "",
    ]
    rows = [
        [
            s["round"],
            "1 node" if s["nodes"] == 1 else f"{s['nodes']} nodes",
            s["kind"],
            s.get("wall_s"),
            s.get("before_nifi_s"),
            s.get("nodes_connected_s"),
            s.get("flow_running_s"),
            s.get("after_flow_s"),
            s.get("stop_wall_s"),
        ]
        for s in cluster["starts"]
    ]
    parts += [
        markdown_table(
            [
                "round",
                "mode",
                "start",
                "scripts/run s",
                "setup + services before NiFi s",
                "NiFi launch → all nodes connected s",
                "NiFi launch → flow running s",
                "services after the flow s",
                "scripts/stop s",
            ],
            rows,
        ),
        "",
        "### Throughput at saturation (audio s / s, files / s)",
        "",
    ]
    by_round: dict[tuple[int, str], dict[int, dict[str, Any]]] = {}
    for run in cluster["runs"]:
        by_round.setdefault((run["round"], run["clips"]), {})[run["nodes"]] = run["throughput"]
    rows = []
    for (round_no, clips), modes in by_round.items():
        one, two = modes.get(1) or {}, modes.get(2) or {}
        rows.append(_throughput_row(str(round_no), clips, one, two))
    for clips, by_mode in cluster["throughput"].items():
        rows.append(_throughput_row("all", clips, by_mode.get("1 node") or {}, by_mode.get("2 nodes") or {}))
    overall = cluster["overall"]
    rows.append(_throughput_row("all", "both sets", overall.get("1 node") or {}, overall.get("2 nodes") or {}))
    parts += [
        markdown_table(
            [
                "round",
                "clips",
                "1 node audio s/s",
                "2 nodes audio s/s",
                "2 nodes / 1 node",
                "1 node files/s",
                "2 nodes files/s",
                "lost/dup/errors 1 node",
                "2 nodes",
            ],
            rows,
        ),
        "",
    ]
    by_round_ratio = cluster.get("ratio_2_nodes_to_1_node_by_round") or {}
    if by_round_ratio:
        parts += [
            "2 nodes / 1 node on the combined workload by round: "
            + ", ".join(f"round {k} {_cell(v)}" for k, v in by_round_ratio.items())
            + ".",
            "",
        ]
    parts += ["### CPU seconds per audio second (all rounds)", ""]
    rows = []
    service_lines = []
    for clips, by_mode in cluster["cpu_s_per_audio_s"].items():
        for mode, cpu in by_mode.items():
            if not cpu:
                continue
            rows.append(
                [
                    clips,
                    mode,
                    cpu.get("node 1"),
                    cpu.get("node 2"),
                    cpu.get("nodes"),
                    (cluster.get("nodes_cpu_ms_per_file", {}).get(clips) or {}).get(mode),
                    cpu.get("serving"),
                    cpu.get("other services"),
                    cpu.get("bench client"),
                    cpu.get("other processes"),
                ]
            )
            services = {
                k: v
                for k, v in cpu.items()
                if not k.startswith("node ")
                and k not in ("nodes", "serving", "other services", "bench client", "other processes")
            }
            service_lines.append(
                f"{clips}, {mode}: " + ", ".join(f"{k} {v:.4f}" for k, v in services.items() if v is not None)
            )
    parts += [
        markdown_table(
            [
                "clips",
                "mode",
                "node 1",
                "node 2",
                "nodes",
                "nodes: CPU ms per file",
                "model server",
                "other services",
                "bench client",
                "other processes",
            ],
            rows,
        ),
        "",
        "Node i: its JVM and its Python processes (utime + stime from /proc). Other services, each: "
        + "; ".join(service_lines)
        + ". Other processes: the machine's busy CPU that none of these used (other work on the machine).",
        "",
    ]
    cpu_ratio = cluster.get("cpu_ratio_2_nodes_to_1_node") or {}
    idle = cluster.get("idle_cores_per_node") or {}
    parts += [
        "Nodes' CPU per audio second, 2 nodes / 1 node: "
        + ", ".join(f"{k} {_cell(v)}" for k, v in cpu_ratio.items())
        + ". Idle (no files, "
        + ", ".join(f"{mode}: {_cell(v)} cores per node" for mode, v in idle.items())
        + ").",
        "",
    ]
    parts += sizing_parts(cluster.get("sizing") or {})
    return parts


def _throughput_row(round_no: str, clips: str, one: dict[str, Any], two: dict[str, Any]) -> list[Any]:
    def faults(t: dict[str, Any]) -> int | None:
        return t["errors"] + t["missing"] + t["duplicates"] if t else None

    rate_one, rate_two = one.get("audio_s_per_s"), two.get("audio_s_per_s")
    return [
        round_no,
        clips,
        rate_one,
        rate_two,
        rate_two / rate_one if rate_one and rate_two is not None else None,
        one.get("files_per_s"),
        two.get("files_per_s"),
        faults(one),
        faults(two),
    ]


def sizing_parts(sizing: dict[str, Any]) -> list[str]:
    """The sizing table and its assumptions (bench.sizing's rows)."""
    rows = sizing.get("rows") or []
    if not rows:
        return []
    assumptions = sizing["assumptions"]
    sizes = assumptions["cores_per_machine"]
    headers = ["clips", "audio h / h", "NiFi cores busy"]
    headers += [f"nodes × {n} cores" for n in sizes]
    headers += ["model server cores busy"] + [f"model server machines × {n}" for n in sizes]
    headers += [f"nodes × {n} incl. model server" for n in sizes] + ["other services cores busy"]
    table_rows = [
        [
            r["workload"],
            int(r["hours_per_hour"]) if float(r["hours_per_hour"]).is_integer() else r["hours_per_hour"],
            r["nifi_cores"],
            *(r[f"nodes_{n}"] for n in sizes),
            r["model_server_cores"],
            *(r[f"model_server_machines_{n}"] for n in sizes),
            *(r[f"nodes_with_model_server_{n}"] for n in sizes),
            r["shared_cores"],
        ]
        for r in rows
    ]
    costs = "; ".join(
        f"{c['workload']}: nodes {c['nodes']:.4f}, model server {c['model_server']:.4f}, other services "
        f"{c['shared']:.4f}"
        for c in sizing.get("costs", [])
    )
    idle = max((c["idle_cores_per_node"] for c in sizing.get("costs", [])), default=0.0)
    u = assumptions["utilisation"]
    return [
        "### Sizing a real cluster (from the 2-node costs above)",
        "",
        markdown_table(headers, table_rows),
        "",
        "Assumptions:",
        "",
        "- One hour of audio per hour is one audio second per second; busy cores = rate × CPU seconds per audio "
        f"second as measured here on the 2-node cluster ({costs}).",
        f"- Machines of {' or '.join(str(n) for n in sizes)} cores of this machine's kind, run at {u:.0%} "
        f"utilisation at the target rate; an idle node's own {idle:.3f} cores come off each node's capacity.",
        '- The model server runs on machines of its own (its columns) or on the NiFi nodes ("incl. model '
        'server"); PostgreSQL, ZooKeeper, the balancer and the metrics services run elsewhere (their busy '
        "cores are given).",
        "- Cost per file does not change with the number of nodes. Round robin sends (N − 1) / N of the "
        "FlowFiles between steps to another node (half of them here, over loopback; over a network with N "
        "nodes, most), so a larger cluster pays somewhat more per file than measured.",
        "- 10 s clips: per-file costs dominate, the expensive case per audio second; longer files (broadcast "
        "hours) cost less per audio second (the scaling section).",
        "- No spare capacity for failover: add a node (N + 1) to keep the rate with one node down.",
        "",
    ]
