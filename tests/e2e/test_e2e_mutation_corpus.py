"""A few hundred damaged files of every supported format through the running flow (issue #15).

Each one is cut short, has bits flipped or its header overwritten (tests/support/mutations.py). Every
file must end as exactly one outcome, a result or a quarantined file with a reason, and no Python
process of the flow may die on one of them.
"""

from __future__ import annotations

import collections
import time

import psutil
from support.mutations import mutations
from support.pipeline_instance import Pipeline

from bench import memory as bench_memory
from pipelinectl.nifi import instance as nifi_instance

FORMATS = ("wav", "flac", "aiff", "ogg", "opus", "mp3", "m4a", "aac", "webm", "mka")


def _python_pids(pipeline: Pipeline) -> dict[int, str]:
    java = psutil.Process(nifi_instance.pid(pipeline.settings))
    return {p.pid: label for p in java.children(recursive=True) if (label := bench_memory.label(p))}


def test_every_damaged_file_ends_once_and_no_python_process_dies(pipeline: Pipeline, audio) -> None:
    tone = audio.tone(duration=1.0, freq=660.0)
    corpus = [
        (f"mutant-{name}", body)
        for fmt in FORMATS
        for name, body in mutations(f"tone.{fmt}", audio.transcode(tone, fmt).read_bytes())
    ]
    assert len(corpus) >= 200
    before = _python_pids(pipeline)
    for name, body in corpus:
        assert pipeline.post(body, name).status_code == 200, name

    names = {name for name, _ in corpus}
    deadline = time.monotonic() + 420
    while True:
        ended = collections.Counter(a.get("filename") for _, a in pipeline.outcomes() if a.get("filename") in names)
        if len(ended) == len(names) or time.monotonic() > deadline:
            break
        time.sleep(2.0)
    time.sleep(2.0)  # a wrong second outcome would show by now
    outcomes = [(kind, a) for kind, a in pipeline.outcomes() if a.get("filename") in names]
    ended = collections.Counter(a["filename"] for _, a in outcomes)
    reasons = collections.Counter(a.get("audio.error") for kind, a in outcomes if kind == "quarantine")
    results = sum(1 for kind, _ in outcomes if kind == "result")
    died = {pid: label for pid, label in before.items() if not psutil.pid_exists(pid)}
    print(
        f"\n[mutants] {len(corpus)} damaged files of {len(FORMATS)} formats: {results} results, "
        f"{sum(reasons.values())} quarantined ({dict(reasons.most_common())}), "
        f"{len(names) - len(ended)} without an outcome, {sum(n - 1 for n in ended.values() if n > 1)} extra, "
        f"Python processes died: {len(died)}"
    )
    assert len(ended) == len(names), sorted(names - set(ended))[:10]
    assert all(n == 1 for n in ended.values()), [k for k, n in ended.items() if n > 1]
    assert None not in reasons and "processor_unavailable" not in reasons and "internal_error" not in reasons
    assert not died, died
