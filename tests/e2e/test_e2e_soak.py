"""A short soak of the e2e pipeline (bench.soak's functions, as ./scripts/soak runs them): fed open loop
at 1.2 × the saturation a 20 s probe measured, for 60 s. The invariants of overload, asserted here
(./scripts/soak only prints them): no accepted file lost, every refusal an HTTP 503 (no other status, no
connection error, no timeout), and queues within the committed flow's back-pressure thresholds, both
the pipeline group's total (at most their sum: every queue stops its source at its own threshold) and
each queue against its own threshold, matched by group, source and destination names."""

from __future__ import annotations

import time

import pytest
from support.pipeline_instance import Pipeline

from bench.machine import machine_info
from bench.soak import figures, run
from bench.soak.report import render
from pipelinectl import flow

PROBE_S = 20.0
SOAK_S = 60.0


def test_an_overload_soak_loses_nothing_and_refuses_only_with_503(
    pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    began = time.monotonic()
    instance = run.attached(pipeline.settings, pipeline.env)
    clips = run.clips(tmp_path_factory.mktemp("soak-corpus"), pipeline.settings.references_dir)
    plan = run.SoakPlan(duration_s=SOAK_S, probe_s=PROBE_S, drain_idle_s=60.0)

    report = run.run(instance, clips, plan, "e2esoak")
    print(
        render(
            report
            | {
                "instance": "the e2e session's pipeline",
                "nifi_heap": pipeline.settings.nifi_heap,
                "machine": machine_info(),
                "started_at": f"(e2e, {time.monotonic() - began:.0f} s)",
            }
        )
    )

    posts, outcomes, queue = report["posts"], report["outcomes"], report["queue"]
    assert posts["accepted"] > 0 and report["latency"]["n"] == posts["accepted"]
    assert outcomes["lost"] == 0, outcomes
    assert outcomes["refused_but_processed"] == 0, outcomes
    assert posts["other_status"] == posts["connection_error"] == posts["timeout"] == 0, report["not_accepted_examples"]
    assert posts["accepted"] + posts["refused_503"] == posts["sent"] == report["offered_files"]
    assert queue["max_queued"] is not None
    assert queue["max_queued"] <= queue["bound_sum_of_thresholds"] == figures.queue_bound(flow.read_flow())
    assert queue["over_threshold"] == [], queue
