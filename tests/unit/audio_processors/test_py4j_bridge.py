"""The processors' py4j bridge: content decoding and on-demand attributes (no JVM needed)."""

from __future__ import annotations

import os

import pytest
from audio_processors import py4j_bridge
from py4j import protocol


@pytest.fixture
def fast_bytes():
    original = protocol.OUTPUT_CONVERTER[protocol.BYTES_TYPE]
    py4j_bridge.use_fast_content_transfer()
    yield
    protocol.OUTPUT_CONVERTER[protocol.BYTES_TYPE] = original


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000, 640_044])
def test_byte_answers_decode_to_the_same_bytes_as_py4j(fast_bytes, size: int) -> None:
    data = os.urandom(size)
    encoded = protocol.encode_bytearray(data)  # what the JVM side sends: base64 text
    expected = bytes(protocol.decode_bytearray(encoded))  # py4j's own (slow) decoder
    answer = protocol.get_return_value(protocol.SUCCESS + protocol.BYTES_TYPE + encoded, None)
    assert isinstance(answer, bytes)
    assert answer == expected == data


def test_registering_twice_changes_nothing(fast_bytes) -> None:
    py4j_bridge.use_fast_content_transfer()
    assert protocol.OUTPUT_CONVERTER[protocol.BYTES_TYPE] is py4j_bridge.decode_java_bytes


class FakeFlowFile:
    """Counts the calls a processor would make over py4j."""

    def __init__(self, attributes: dict[str, str]) -> None:
        self.attributes = attributes
        self.calls: list[str] = []

    def getAttribute(self, key: str) -> str | None:  # NiFi's Java method name
        self.calls.append(f"getAttribute:{key}")
        return self.attributes.get(key)

    def getAttributes(self) -> dict[str, str]:
        self.calls.append("getAttributes")
        return dict(self.attributes)


def test_attributes_are_fetched_once_each_and_only_when_asked() -> None:
    flowfile = FakeFlowFile({"filename": "a.wav", "audio.reference": "ref.wav", "uuid": "u1"})
    attributes = py4j_bridge.FlowFileAttributes(flowfile)
    assert flowfile.calls == []
    assert attributes["filename"] == "a.wav"
    assert attributes.get("filename") == "a.wav"
    assert attributes.get("audio.missing") is None
    assert attributes.get("audio.missing", "x") == "x"
    assert "audio.reference" in attributes
    assert "audio.missing" not in attributes
    with pytest.raises(KeyError):
        attributes["audio.missing"]
    assert flowfile.calls == ["getAttribute:filename", "getAttribute:audio.missing", "getAttribute:audio.reference"]


def test_iterating_fetches_the_whole_map_once() -> None:
    flowfile = FakeFlowFile({"filename": "a.wav", "uuid": "u1"})
    attributes = py4j_bridge.FlowFileAttributes(flowfile)
    assert dict(attributes) == {"filename": "a.wav", "uuid": "u1"}
    assert len(attributes) == 2
    assert attributes["uuid"] == "u1"
    assert flowfile.calls == ["getAttributes"]


def test_recording_a_result_reads_single_attributes_never_the_whole_map(tmp_path) -> None:
    from audio_pipeline import attributes as attr
    from audio_pipeline import flow_steps, metrics
    from audio_pipeline.results_store import ResultsStore

    metrics.close()
    metrics.configure("RecordResult", env={"PUSHGATEWAY_URL": "off"}, state_dir=tmp_path, start_thread=False)

    values = {
        "uuid": "u-1",
        "filename": "take.wav",
        attr.SOURCE: "http",
        attr.CLASS: "speech",
        attr.PESQ_MOS: "3.9",
        "http.headers.user-agent": "curl",
        "path": "./",
    }
    flowfile = FakeFlowFile(values)
    store = ResultsStore.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        result = flow_steps.record_outcome(py4j_bridge.FlowFileAttributes(flowfile), "ok", store=store)
        row = store.get("u-1")
    finally:
        store.close()
        metrics.close()
    assert result.attributes == {attr.STATUS: "ok"}
    assert row is not None and (row.filename, row.audio_class, row.pesq_mos) == ("take.wav", "speech", 3.9)
    assert "getAttributes" not in flowfile.calls
    assert "getAttribute:http.headers.user-agent" not in flowfile.calls


def test_a_quarantined_row_keeps_the_reason(tmp_path) -> None:
    from audio_pipeline import attributes as attr
    from audio_pipeline import flow_steps, metrics
    from audio_pipeline.results_store import ResultsStore

    metrics.close()
    metrics.configure("RecordResult", env={"PUSHGATEWAY_URL": "off"}, state_dir=tmp_path, start_thread=False)
    values = {
        "uuid": "u-2",
        "filename": "notes.wav",
        attr.ERROR: "not_audio",
        attr.ERROR_DETAIL: "no audio stream found",
    }
    store = ResultsStore.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        result = flow_steps.record_outcome(
            py4j_bridge.FlowFileAttributes(FakeFlowFile(values)), "quarantined", store=store
        )
        row = store.get("u-2")
    finally:
        store.close()
        metrics.close()
    assert result.attributes == {attr.STATUS: "quarantined"}
    assert row is not None and row.error == "not_audio: no audio stream found"


def test_processors_switch_py4j_to_its_own_class_loader_so_nifi_can_restart_them() -> None:
    """NiFi re-creates a processor after its Python process died on a thread without a context class
    loader; py4j must then look classes up through its own loader (a JVM-wide setting)."""
    from types import SimpleNamespace

    from audio_processors.decode_audio import DecodeAudio
    from audio_processors.py4j_bridge import keep_restarts_working

    chosen: list[object] = []
    root = object()
    reflection = SimpleNamespace(
        RootClassLoadingStrategy=lambda: root,
        ReflectionUtil=SimpleNamespace(setClassLoadingStrategy=chosen.append),
    )
    jvm = SimpleNamespace(py4j=SimpleNamespace(reflection=reflection))
    DecodeAudio(jvm=jvm)
    assert chosen == [root]
    keep_restarts_working(None)  # outside NiFi: nothing to set
    assert chosen == [root]
