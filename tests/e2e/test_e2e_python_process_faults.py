"""Faults of the environment quarantine no good file (issue #15).

While clips flow, the Python process of each analysis processor in turn is killed with SIGKILL, as
the kernel's OOM killer would; then PostgreSQL, which holds the results and the fingerprint index,
is stopped for a while and started again. NiFi retries what failed ('failure': the processor's
process did not answer, or the database did not) with backoff, and every file still ends exactly
once, as a result: 0 lost, 0 duplicated, 0 quarantined. The tests print the counts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time

import psutil
import pytest
import requests
from audio_pipeline.results_store import ResultsStore
from support.pipeline_instance import Pipeline
from support.postgres import shared_cluster

from bench import memory as bench_memory
from pipelinectl import promql
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.settings import REPO_ROOT

CLIPS_PER_STAGE = 10
DATABASE_OUTAGE_S = 20.0
STAGES = ("DecodeAudio", "ClassifyAudio", "FingerprintAudio", "ScoreSpeechQuality", "TranscribeSpeech")


def _speech_clip(pipeline: Pipeline, audio) -> bytes:
    """Noisy speech whose PESQ reference is in place as fault-ref.wav: every stage works on it."""
    reference = audio.speech(voice="en-us", rate=16000)
    shutil.copyfile(reference, pipeline.settings.references_dir / "fault-ref.wav")
    return audio.degrade(reference, "noise", rate=16000).read_bytes()


def _python_processes(pipeline: Pipeline, processor_type: str) -> list[psutil.Process]:
    """The Python processes NiFi runs for the processors of `processor_type` (not their worker pools)."""
    java = psutil.Process(nifi_instance.pid(pipeline.settings))
    return [p for p in java.children(recursive=True) if bench_memory.label(p) == processor_type]


def _post_clips(pipeline: Pipeline, clips: list[tuple[str, bytes]], refused: list[str]) -> None:
    for name, body in clips:
        if pipeline.post(body, name, reference="fault-ref.wav").status_code != 200:
            refused.append(name)
        time.sleep(0.25)


def _settle(pipeline: Pipeline, clips: list[tuple[str, bytes]], refused: list[str], what: str, since: float) -> None:
    """Every clip ends exactly once, as a result, with one row; print the counts."""
    prefix = clips[0][0].rsplit("-", 1)[0]
    outcomes = {name: pipeline.wait_for(name, timeout=420) for name, _ in clips}  # exactly one outcome each
    quarantined = {name: attrs.get("audio.error") for name, (kind, attrs) in outcomes.items() if kind != "result"}
    rows = _rows_named(pipeline, prefix)
    duplicated = len(rows) - len(set(rows))
    print(
        f"\n[fault] {what}: accepted {len(clips) - len(refused)}, results {len(clips) - len(quarantined)}, "
        f"quarantined {len(quarantined)}, lost 0, duplicated rows {duplicated}; all ended "
        f"{time.monotonic() - since:.0f} s after the fault"
    )
    assert not refused
    assert not quarantined, quarantined
    assert duplicated == 0 and set(rows) >= {name for name, _ in clips}


def _rows_named(pipeline: Pipeline, prefix: str) -> list[str]:
    url = pipeline.settings.results_database_url or f"sqlite:///{pipeline.settings.state_dir / 'pipeline.db'}"
    store = ResultsStore.open(url)
    try:
        return [r.filename for r in store.recent(limit=10_000, filename_like=f"{prefix}%") if r.filename]
    finally:
        store.close()


@pytest.mark.parametrize("processor_type", STAGES)
def test_a_killed_python_process_quarantines_no_good_file(pipeline: Pipeline, audio, processor_type: str) -> None:
    body = _speech_clip(pipeline, audio)
    prefix = f"fault-{processor_type}-"
    clips = [(f"{prefix}{i}.wav", body) for i in range(CLIPS_PER_STAGE)]

    # The stage has handled a file, so its Python process exists.
    assert pipeline.post(body, f"{prefix}warm.wav", reference="fault-ref.wav").status_code == 200
    assert pipeline.wait_for(f"{prefix}warm.wav", timeout=300)[0] == "result"
    victims = _python_processes(pipeline, processor_type)
    assert victims, f"no Python process of {processor_type} under the NiFi JVM"

    refused: list[str] = []
    sender = threading.Thread(target=_post_clips, args=(pipeline, clips, refused))
    sender.start()
    time.sleep(0.6)  # a clip or two is inside the stage
    for victim in victims:
        victim.kill()
    psutil.wait_procs(victims, timeout=10)
    killed_at = time.monotonic()
    sender.join()

    _settle(pipeline, clips, refused, f"SIGKILL {processor_type} ({len(victims)} process(es))", killed_at)
    restarted = _python_processes(pipeline, processor_type)
    assert restarted and {p.pid for p in restarted}.isdisjoint({v.pid for v in victims}), "NiFi restarted it"


def test_a_database_outage_quarantines_no_good_file(pipeline: Pipeline, audio) -> None:
    if not pipeline.settings.results_database_url.startswith("postgresql"):
        pytest.skip("the results are in SQLite here (PostgreSQL is not installed)")
    database = shared_cluster()
    body = _speech_clip(pipeline, audio)
    clips = [(f"fault-database-{i}.wav", body) for i in range(CLIPS_PER_STAGE)]
    refused: list[str] = []
    sender = threading.Thread(target=_post_clips, args=(pipeline, clips, refused))
    sender.start()
    time.sleep(0.6)
    database.outage()
    stopped_at = time.monotonic()
    try:
        sender.join()
        time.sleep(DATABASE_OUTAGE_S - (time.monotonic() - stopped_at))
    finally:
        database.recover()
    _settle(pipeline, clips, refused, f"PostgreSQL stopped for {DATABASE_OUTAGE_S:.0f} s", stopped_at)


def _post_tolerating_a_dead_nifi(pipeline: Pipeline, clips: list[tuple[str, bytes]], accepted: list[str]) -> None:
    """Post as a client does while the server dies: a refused connection is a file not accepted."""
    for name, body in clips:
        try:
            if pipeline.post(body, name, reference="fault-ref.wav").status_code == 200:
                accepted.append(name)
        except requests.RequestException:
            pass
        time.sleep(0.25)


def test_a_killed_nifi_jvm_loses_nothing_once_scripts_run_starts_it_again(pipeline: Pipeline, audio) -> None:
    body = _speech_clip(pipeline, audio)
    clips = [(f"fault-jvm-{i}.wav", body) for i in range(CLIPS_PER_STAGE)]
    accepted: list[str] = []
    sender = threading.Thread(target=_post_tolerating_a_dead_nifi, args=(pipeline, clips, accepted))
    sender.start()
    time.sleep(1.2)  # a few accepted, some of them inside the flow
    os.kill(nifi_instance.pid(pipeline.settings), signal.SIGKILL)
    killed_at = time.monotonic()
    sender.join()
    again = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run")], env=pipeline.env, capture_output=True, text=True, timeout=900
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert accepted, "some clips were accepted before the kill"
    _settle(
        pipeline, [c for c in clips if c[0] in accepted], [], "SIGKILL of the NiFi JVM, then ./scripts/run", killed_at
    )


def test_the_retries_are_counted_by_stage_and_reason(pipeline: Pipeline) -> None:
    """Runs after the kills above: their retries reached the metric (pushed, then scraped)."""
    result = promql.wait_for_query(
        pipeline.settings,
        'sum by (stage, reason) (audio_pipeline_retries_total{reason="processor_unavailable"})',
        lambda r: any(float(s["value"][1]) > 0 for s in r),
        timeout=120,
    )
    counted = {s["metric"]["stage"]: float(s["value"][1]) for s in result}
    print(f"\n[fault] retries of files whose attempt found no Python process, by stage: {counted}")
    assert any(value > 0 for value in counted.values())
