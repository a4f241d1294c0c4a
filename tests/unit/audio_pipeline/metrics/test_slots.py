"""Worker slots: exclusive names, counts carried over to the next owner, loss made visible."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from audio_pipeline import attributes as attr
from audio_pipeline.metrics import aggregates as agg
from audio_pipeline.metrics import catalogue as m
from audio_pipeline.metrics.aggregates import Aggregates
from audio_pipeline.metrics.slots import Slot
from support.metrics_samples import make_sink, worker_process_env

OK = "ok"


def test_slot_files_lock_save_load_and_markers(tmp_path: Path) -> None:
    first = Slot.claim("Decode", tmp_path)
    second = Slot.claim("Decode", tmp_path)
    assert (first.name, second.name) == ("Decode-0", "Decode-1")
    assert first.load() is None and not first.was_dirty()
    first.mark_dirty()
    assert first.was_dirty()
    aggregates = Aggregates()
    aggregates.inc(m.FILES, ("folder", OK))
    first.save(aggregates)
    first.mark_saved()
    assert not first.was_dirty()
    document = first.load()
    assert document is not None and document["worker"] == "Decode-0"
    assert Aggregates().load_json(document)
    first.release()
    successor = Slot.claim("Decode", tmp_path)
    assert successor.name == "Decode-0" and successor.load() == document
    (tmp_path / "Decode-0.json").write_text("{not json")
    assert successor.load() == {}
    for slot in (second, successor):
        slot.release()


def test_without_a_state_dir_the_slot_is_the_pid() -> None:
    slot = Slot.claim("Decode", None)
    assert slot.name.startswith("Decode-") and slot.state_file is None
    assert slot.load() is None and not slot.was_dirty()
    slot.save(Aggregates())  # nothing to save to, no error
    slot.mark_dirty()
    slot.release()


def test_slots_are_exclusive_and_reused_with_their_counts(tmp_path: Path) -> None:
    first = make_sink(tmp_path, "ClassifyAudio")
    second = make_sink(tmp_path, "ClassifyAudio")
    other = make_sink(tmp_path, "DecodeAudio")
    assert (first.worker, second.worker, other.worker) == ("ClassifyAudio-0", "ClassifyAudio-1", "DecodeAudio-0")
    for _ in range(3):
        first.record_result({attr.SOURCE: "folder"}, OK)
    assert (tmp_path / "ClassifyAudio-0.dirty").exists()  # recorded, not saved yet
    first.close()
    assert not (tmp_path / "ClassifyAudio-0.dirty").exists()

    successor = make_sink(tmp_path, "ClassifyAudio")
    assert successor.worker == "ClassifyAudio-0"
    assert successor.previous_shutdown == "clean"
    successor.record_result({attr.SOURCE: "folder"}, OK)
    assert successor.aggregates.counter_value(m.FILES, ("folder", OK)) == 4
    assert successor.aggregates.counter_value(m.WORKER_STARTS, ("first",)) == 1
    assert successor.aggregates.counter_value(m.WORKER_STARTS, ("clean",)) == 1
    for sink in (second, other, successor):
        sink.close()


def test_state_with_changed_buckets_or_garbage_is_handled(tmp_path: Path) -> None:
    sink = make_sink(tmp_path)
    sink.observe_stage("decode", 0.5)
    sink.record_result({attr.SOURCE: "http"}, OK)
    sink.close()
    path = tmp_path / "Test-0.json"
    document = json.loads(path.read_text())
    document["histograms"]["audio_pipeline_stage_duration_seconds"]["buckets"] = [1.0]
    path.write_text(json.dumps(document))
    again = make_sink(tmp_path)
    assert again.aggregates.counter_value(m.FILES, ("http", OK)) == 1
    assert again.aggregates.histogram_count(m.STAGE, ("decode",)) == 0
    again.close()
    path.write_text("{not json")
    third = make_sink(tmp_path)
    assert third.previous_shutdown == "unclean"
    assert third.aggregates.counter_value(m.FILES, ("http", OK)) == 0
    third.close()


def test_a_slot_saved_by_version_1_continues_with_the_new_status_words(tmp_path: Path) -> None:
    version_1 = Path(__file__).parent / "data" / "slot-state-v1.json"
    (tmp_path / "RecordResult-0.json").write_text(version_1.read_text())
    sink = make_sink(tmp_path, "RecordResult")
    assert sink.previous_shutdown == "clean"  # migrated, nothing lost
    sink.record_result({attr.SOURCE: "folder"}, "ok")
    sink.record_result({attr.SOURCE: "http"}, "quarantined")
    assert sink.aggregates.counter_value(m.FILES, ("folder", "ok")) == 4
    assert sink.aggregates.counter_value(m.FILES, ("http", "quarantined")) == 3
    assert sink.aggregates.counter_value(m.WORKER_STARTS, ("clean",)) == 1
    sink.close()
    saved = json.loads((tmp_path / "RecordResult-0.json").read_text())
    assert saved["version"] == agg.STATE_VERSION == 2
    files = {tuple(k): v for k, v in saved["counters"]["audio_pipeline_files"]}
    assert files[("folder", "ok")] == 4 and ("folder", "success") not in files


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from audio_pipeline import metrics
    sink = metrics.configure("Crashy", env={"METRICS_STATE_DIR": sys.argv[1], "PUSHGATEWAY_URL": "off",
                                            "METRICS_PUSH_INTERVAL_SECONDS": "600"})
    print(sink.worker, sink.previous_shutdown, flush=True)
    for _ in range(int(sys.argv[2])):
        metrics.record_result({"audio.source": "folder"}, "ok")
    metrics.flush()
    for _ in range(int(sys.argv[3])):
        metrics.record_result({"audio.source": "folder"}, "ok")  # not saved before the kill
    print("recorded", flush=True)
    time.sleep(60 if sys.argv[4] == "hang" else 0)
    """
)


def run_worker(state_dir: Path, saved: int, unsaved: int, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(state_dir), str(saved), str(unsaved), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=worker_process_env(),
    )


def kill_after_recording(worker: subprocess.Popen[str]) -> list[str]:
    assert worker.stdout is not None
    first = worker.stdout.readline().split()
    assert worker.stdout.readline().strip() == "recorded"
    worker.send_signal(signal.SIGKILL)  # what NiFi does to its Python processes on shutdown
    worker.wait(timeout=10)
    return first


def saved_files(state_dir: Path) -> float:
    state = json.loads((state_dir / "Crashy-0.json").read_text())
    return {tuple(k): v for k, v in state["counters"]["audio_pipeline_files"]}[("folder", OK)]


def test_sigkill_with_unsaved_counts_is_reported_and_counts_continue(tmp_path: Path) -> None:
    assert kill_after_recording(run_worker(tmp_path, 5, 1, "hang")) == ["Crashy-0", "first"]
    assert (tmp_path / "Crashy-0.dirty").exists()
    assert saved_files(tmp_path) == 5  # the sixth file is the documented loss

    # Killed again, but everything was saved: nothing lost, so not reported.
    assert kill_after_recording(run_worker(tmp_path, 2, 0, "hang")) == ["Crashy-0", "unclean"]
    assert not (tmp_path / "Crashy-0.dirty").exists()
    assert saved_files(tmp_path) == 7

    out, _ = run_worker(tmp_path, 0, 1, "exit").communicate(timeout=30)  # normal exit: atexit saves
    assert out.split() == ["Crashy-0", "clean", "recorded"]
    assert saved_files(tmp_path) == 8
    assert not (tmp_path / "Crashy-0.dirty").exists()
    state = json.loads((tmp_path / "Crashy-0.json").read_text())
    starts = {tuple(k): v for k, v in state["counters"]["audio_pipeline_worker_starts"]}
    assert starts == {("first",): 1, ("unclean",): 1, ("clean",): 1}
