"""The soak's Markdown report: figures with the targets beside them (judged here, never asserted)."""

from __future__ import annotations

import math
from typing import Any

from bench.report import _cell, markdown_table

READER = "reader"  # a trend is judged by whoever reads it: a slope over minutes is no pass/fail figure


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def _mb_per_min(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:+.2f} MB/min"


def targets(report: dict[str, Any]) -> list[list[str]]:
    """(target, measured, verdict) rows."""
    posts = report.get("posts") or {}
    outcomes = report.get("outcomes") or {}
    queue = report.get("queue") or {}
    memory = report.get("memory") or {}
    bad = {k: posts.get(k, 0) for k in ("other_status", "connection_error", "timeout")}
    python = memory.get("python") or {}
    slopes = [v["slope_mb_per_min"] for v in python.values() if v.get("slope_mb_per_min") is not None]
    slopes = [s for s in slopes if not math.isnan(s)]
    steepest = max(python.items(), key=lambda kv: kv[1].get("slope_mb_per_min") or -math.inf, default=None)
    max_queued, bound = queue.get("max_queued"), queue.get("bound_sum_of_thresholds")
    return [
        [
            "every refusal is HTTP 503 (no other status, connection error or timeout)",
            f"503: {posts.get('refused_503', 0)}; other status {bad['other_status']}, connection errors "
            f"{bad['connection_error']}, timeouts {bad['timeout']}",
            _mark(not any(bad.values())),
        ],
        [
            "no accepted file lost (each ends as exactly one result or quarantined file)",
            f"lost {outcomes.get('lost')} (no outcome {outcomes.get('missing')}, more than one "
            f"{outcomes.get('duplicated')})",
            _mark(outcomes.get("lost") == 0 if "lost" in outcomes else None),
        ],
        [
            "a refused file is not processed",
            str(outcomes.get("refused_but_processed")),
            _mark(outcomes.get("refused_but_processed") == 0 if outcomes else None),
        ],
        [
            "queues bounded by back-pressure (group total ≤ sum of thresholds; each queue ≤ its own)",
            f"max {max_queued} of {bound}; deepest queue {queue.get('deepest_queue')}: "
            f"{queue.get('deepest_queue_max')} of {queue.get('deepest_queue_threshold')}",
            _mark(None if max_queued is None else max_queued <= bound and not queue.get("over_threshold")),
        ],
        [
            "NiFi heap after GC: no upward trend over the second half",
            _mb_per_min(memory.get("heap_after_gc_slope_mb_per_min")),
            READER,
        ],
        [
            "every Python worker's RSS: no upward trend over the second half",
            "n/a"
            if steepest is None or not slopes
            else f"steepest {_mb_per_min(steepest[1]['slope_mb_per_min'])} ({steepest[0]})",
            READER,
        ],
    ]


def render(report: dict[str, Any]) -> str:
    """The whole report as Markdown (what ./scripts/soak prints)."""
    plan = report.get("plan") or {}
    machine = report.get("machine") or {}
    parts = [f"# Soak {report.get('started_at', '')}", ""]
    parts.append(
        f"Machine: {machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gb', math.nan):.1f} GB RAM, load average at start {machine.get('load_average', '?')}. "
        f"Instance: {report.get('instance', '?')}, NiFi heap {report.get('nifi_heap', '?')}. "
        f"Clips: {report.get('clips', '?')} (every step runs, transcription included)."
    )
    parts += ["", "## Saturation and load", ""]
    probe = report.get("probe")
    rows: list[list[Any]] = []
    if probe:
        rows.append(
            [
                "saturation probe (closed loop)",
                f"{probe.get('in_flight')} files in the flow for {probe.get('seconds', 0):.0f} s, "
                f"{probe.get('posted')} posted; rate: the {probe.get('files')} outcomes after the first up to the "
                f"end, over {_cell(probe.get('wall_s'))} s",
                report.get("saturation_files_per_s"),
            ]
        )
    else:
        rows.append(["saturation (given)", "--saturation", report.get("saturation_files_per_s")])
    rows.append(
        [
            f"offered ({plan.get('overload', 0):g} × saturation, open loop)",
            f"{plan.get('arrivals')} arrivals for {report.get('feed_s', math.nan):.0f} s: "
            f"{report.get('offered_files')} files, {report.get('late_sends')} sent > 100 ms late; drained in "
            f"{report.get('drain_s', math.nan):.0f} s",
            report.get("offered_files_per_s"),
        ]
    )
    parts.append(markdown_table(["", "how", "files / s"], rows))

    posts = report.get("posts") or {}
    outcomes = report.get("outcomes") or {}
    parts += ["", "## POSTs and outcomes", ""]
    parts.append(
        markdown_table(
            [
                "sent",
                "accepted",
                "refused (503)",
                "other status",
                "connection error",
                "timeout",
                "lost",
                "refused, yet processed",
                "quarantined",
            ],
            [
                [
                    posts.get("sent"),
                    posts.get("accepted"),
                    posts.get("refused_503"),
                    posts.get("other_status"),
                    posts.get("connection_error"),
                    posts.get("timeout"),
                    outcomes.get("lost"),
                    outcomes.get("refused_but_processed"),
                    report.get("quarantined"),
                ]
            ],
        )
    )
    for example in report.get("not_accepted_examples") or []:
        parts.append(f"- {example}")

    latency = report.get("latency") or {}
    parts += ["", "## Latency of accepted files, POST accepted → result written", ""]
    parts.append(
        markdown_table(
            ["files", "p50 s", "p95 s", "p99 s", "max s"],
            [
                [
                    latency.get("n"),
                    latency.get("p50_s"),
                    latency.get("p95_s"),
                    latency.get("p99_s"),
                    latency.get("max_s"),
                ]
            ],
        )
    )
    parts.append(
        "\nAbove saturation the backlog, and with it the latency, grows for as long as the overload lasts "
        "(until back-pressure refuses files): these percentiles depend on the duration."
    )

    parts += ["", "## Queues and memory over time", ""]
    series = report.get("series") or []
    feed_s = report.get("feed_s", math.inf)
    parts.append(
        markdown_table(
            [
                "window s",
                "phase",
                "queued (max)",
                "heap MB (min ≈ after GC)",
                "heap MB (max)",
                "JVM RSS MB",
                "Python RSS MB (all)",
            ],
            [
                [
                    f"{w['start_s']:.0f}–{w['end_s']:.0f}",
                    "feed" if w["start_s"] < feed_s else "drain",
                    w.get("queued_max"),
                    w.get("heap_min_mb"),
                    w.get("heap_max_mb"),
                    w.get("jvm_rss_mb"),
                    sum((w.get("rss_mb") or {}).values()) or None,
                ]
                for w in series
            ],
        )
    )
    queue = report.get("queue") or {}
    parts.append(
        f"\nBack-pressure: the committed flow's thresholds sum to {queue.get('bound_sum_of_thresholds')} "
        f"FlowFiles (smallest {queue.get('smallest_threshold')}); the deepest queue was "
        f"{queue.get('deepest_queue')} with {queue.get('deepest_queue_max')} (threshold "
        f"{queue.get('deepest_queue_threshold')}). Sampling failures: {report.get('sampling_failures', 0)}."
    )
    growth, observed = queue.get("backlog_growth_files_per_s"), queue.get("queued_slope_per_min")
    if growth is not None and observed is not None:
        line = (
            f"Queued FlowFiles while feeding: {_cell(observed)} per min (least squares); an overload of the "
            f"probed saturation adds {_cell(60 * growth)} per min"
        )
        if growth > 0 and not math.isnan(observed) and observed < 0.5 * 60 * growth:
            line += " — far fewer grew: the flow kept up, the probe under-measured its saturation"
        parts.append(line + ".")
    if queue.get("minutes_to_smallest_threshold"):
        parts.append(
            f"At the offered rate the backlog would grow by {_cell(queue.get('backlog_growth_files_per_s'))} "
            f"files/s: the queue of the smallest threshold would reach it after ≈ "
            f"{queue['minutes_to_smallest_threshold']:.0f} min if the backlog gathered there, and ListenHTTP "
            "refuses (503) only once its own outgoing queue is full, after every queue behind it."
        )
    memory = report.get("memory") or {}
    heap = [w["heap_min_mb"] for w in series if w.get("heap_min_mb") is not None]
    if memory.get("heap_after_gc_basis", "window minima") != "window minima":
        heap = [value for _, value in memory.get("heap_after_gc_points") or []]
    jvm = [w["jvm_rss_mb"] for w in series if w.get("jvm_rss_mb") is not None]
    rows = [
        [
            "NiFi heap after GC",
            heap[0] if heap else None,
            heap[-1] if heap else None,
            max(heap, default=None),
            memory.get("heap_after_gc_slope_mb_per_min"),
        ],
        [
            "NiFi JVM RSS",
            jvm[0] if jvm else None,
            jvm[-1] if jvm else None,
            max(jvm, default=None),
            memory.get("jvm_rss_slope_mb_per_min"),
        ],
    ]
    for name, figures in (memory.get("python") or {}).items():
        rows.append([name, figures["first_mb"], figures["last_mb"], figures["max_mb"], figures["slope_mb_per_min"]])
    parts += ["", "Slopes over the second half of the feed (least squares, MB per minute):", ""]
    parts.append(markdown_table(["process", "first MB", "last MB", "max MB", "slope MB/min"], rows))
    parts.append(
        f"\nNiFi heap after GC: {memory.get('heap_after_gc_basis', 'window minima')}; "
        f"{memory.get('collections_while_feeding', '?')} collections while feeding; max heap "
        f"{_cell(memory.get('heap_max_mb'))} MB. The JVM's RSS grows until the heap's pages have all been "
        "touched once; a Python process is one series per pid (a restarted one is a new row)."
    )

    parts += ["", "## Targets (reported, not asserted)", ""]
    parts.append(markdown_table(["target", "measured", "verdict"], targets(report)))
    return "\n".join(parts) + "\n"
