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
    parts.append(
        f"Machine: {machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gb', math.nan):.1f} GB RAM, load average at start {machine.get('load_average', '?')}. "
        f"Python processors: {', '.join(report.get('python_processors', [])) or '?'}; the files pass through "
        f"{', '.join(report.get('python_processors_used', [])) or '?'}: {report.get('workers') or '?'} worker "
        f"processes. NiFi heap {report.get('nifi_heap', '?')}. "
        "Steps the baseline runs: "
        f"{', '.join(report.get('steps', [])) or '?'}."
    )
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

    verdicts = targets(report)
    parts += ["## Targets (reported, not asserted)", ""]
    parts += [markdown_table(["target", "measured", "verdict"], [[v.target, v.value, _mark(v.met)] for v in verdicts])]
    return "\n".join(parts) + "\n"
