"""audio_pipeline.classification without TensorFlow: windowing, aggregation, protocol, client errors."""

from __future__ import annotations

import json
import threading
from concurrent import futures

import numpy as np
import pytest
from audio_pipeline import attributes, classification
from audio_pipeline.classification import (
    ClientConfig,
    ServingClient,
    Windowing,
    aggregate,
    make_windows,
    window_starts,
)
from audio_pipeline.errors import (
    EmptyInputError,
    NonFiniteSamplesError,
    ServingRequestError,
    ServingResponseError,
    ServingUnavailableError,
)

SR = classification.SAMPLE_RATE


@pytest.fixture(scope="module")
def stubs():
    from audio_pipeline import tfserving_proto

    try:
        return tfserving_proto.load_stubs()
    except tfserving_proto.StubsUnavailableError as exc:
        pytest.skip(f"TF Serving stubs not generated and grpcio-tools missing: {exc}")


# --- windowing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "hop", "expected"),
    [
        (SR, 1.0, [0]),
        (100, 1.0, [0]),
        (SR + 1, 1.0, [0, SR]),
        (int(2.5 * SR), 1.0, [0, SR, 2 * SR]),
        (int(2.5 * SR), 0.5, [0, SR // 2, SR, 3 * SR // 2]),
        (3 * SR, 0.5, [0, SR // 2, SR, 3 * SR // 2, 2 * SR]),
    ],
)
def test_window_starts(n: int, hop: float, expected: list[int]) -> None:
    assert window_starts(n, Windowing(hop_seconds=hop)).tolist() == expected


def test_make_windows_pads_only_the_last_partial_window() -> None:
    x = np.arange(int(2.5 * SR), dtype=np.float32) / (3 * SR)
    w = make_windows(x)
    assert w.shape == (3, SR) and w.dtype == np.float32
    np.testing.assert_array_equal(w[1], x[SR : 2 * SR])
    np.testing.assert_array_equal(w[2, : SR // 2], x[2 * SR :])
    assert not w[2, SR // 2 :].any()


def test_make_windows_overlapping_hop_and_short_input() -> None:
    x = np.ones(int(1.5 * SR), dtype=np.float32)
    assert make_windows(x, Windowing(hop_seconds=0.25)).shape == (3, SR)
    short = make_windows(np.ones(10, dtype=np.float32))
    assert short.shape == (1, SR) and short.sum() == 10


def test_make_windows_rejects_empty() -> None:
    with pytest.raises(EmptyInputError):
        make_windows(np.zeros(0, dtype=np.float32))


def test_prepare_samples_mono_resample_and_checks() -> None:
    stereo = np.stack([np.ones(8000), -np.ones(8000)], axis=1).astype(np.float32)
    assert not classification.prepare_samples(stereo, SR).any()
    assert len(classification.prepare_samples(np.zeros(8000, np.float32), 8000)) == SR
    with pytest.raises(NonFiniteSamplesError):
        classification.prepare_samples(np.array([0.0, np.nan], np.float32), SR)
    with pytest.raises(EmptyInputError):
        classification.prepare_samples(np.zeros((0, 2), np.float32), SR)


# --- aggregation -------------------------------------------------------------------------------------


def _probs(*labels: str, p: float = 0.8) -> np.ndarray:
    out = np.full((len(labels), 5), (1 - p) / 4)
    for i, lab in enumerate(labels):
        out[i, classification.CLASS_NAMES.index(lab)] = p
    return out


def test_aggregate_single_window() -> None:
    label, conf, scores, segments = aggregate(_probs("music"), 0.4)
    assert label == "music" and conf == pytest.approx(0.8)
    assert scores["music"] == conf and sum(scores.values()) == pytest.approx(1.0)
    assert [(s.label, s.start, s.end) for s in segments] == [("music", 0.0, 0.4)]


def test_aggregate_merges_segments_and_ignores_silent_windows() -> None:
    probs = _probs("silence", "speech", "speech", "silence", "music", "music", "music", p=0.9)
    label, conf, _scores, segments = aggregate(probs, 6.5)
    assert label == "music"  # 3 music windows beat 2 speech windows; silence is left out
    assert conf == pytest.approx((3 * 0.9 + 2 * 0.025) / 5)  # mean over the 5 non-silent windows
    assert [(s.label, s.start, s.end) for s in segments] == [
        ("silence", 0.0, 1.0),
        ("speech", 1.0, 3.0),
        ("silence", 3.0, 4.0),
        ("music", 4.0, 6.5),
    ]


def test_aggregate_silence_needs_a_majority() -> None:
    mostly = _probs(*(["silence"] * 9), "tone")
    assert aggregate(mostly, 10.0)[0] == "silence"
    assert aggregate(mostly, 10.0, silence_majority=0.95)[0] == "tone"
    assert aggregate(_probs("silence", "silence"), 2.0)[0] == "silence"


def test_aggregate_hop_defines_segment_times() -> None:
    probs = _probs("tone", "tone", "noise", "noise")
    segments = aggregate(probs, 2.5, Windowing(hop_seconds=0.5))[3]
    assert [(s.label, s.start, s.end) for s in segments] == [("tone", 0.0, 1.0), ("noise", 1.0, 2.5)]


def test_aggregate_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        aggregate(np.zeros((0, 5)), 1.0)
    with pytest.raises(ValueError):
        aggregate(np.zeros((2, 4)), 1.0)


def test_result_attributes_use_the_attribute_names() -> None:
    label, conf, scores, segments = aggregate(_probs("speech", "speech", "tone"), 2.7)
    result = classification.ClassificationResult(label, conf, scores, "audio_classifier", "3", segments, 3, 2.7)
    attrs = result.to_attributes()
    assert attrs[attributes.CLASS] == "speech"
    assert attrs[attributes.MODEL_NAME] == "audio_classifier" and attrs[attributes.MODEL_VERSION] == "3"
    assert float(attrs[attributes.CLASS_CONFIDENCE]) == pytest.approx((0.8 + 0.8 + 0.05) / 3, abs=1e-4)
    assert set(json.loads(attrs[attributes.CLASS_SCORES])) == set(classification.CLASS_NAMES)
    segs = json.loads(attrs[attributes.CLASS_SEGMENTS])
    assert segs[1] == {"class": "tone", "start": 2.0, "end": 2.7, "confidence": 0.8}


# --- config ------------------------------------------------------------------------------------------


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        ClientConfig(version=1, version_label="stable")
    with pytest.raises(ValueError):
        ClientConfig(max_batch_windows=300, max_message_bytes=4 * 1024 * 1024)
    with pytest.raises(ValueError):
        ClientConfig(max_attempts=0)


# --- protocol ----------------------------------------------------------------------------------------


def test_build_predict_request(stubs) -> None:
    windows = np.random.default_rng(0).uniform(-1, 1, (3, SR)).astype(np.float32)
    req = classification.build_predict_request(windows, ClientConfig(version_label="canary"))
    assert req.model_spec.name == "audio_classifier"
    assert req.model_spec.signature_name == "serving_default"
    assert req.model_spec.WhichOneof("version_choice") == "version_label"
    assert req.model_spec.version_label == "canary"
    assert list(req.output_filter) == ["probabilities"]
    tensor = req.inputs["waveform"]
    assert tensor.dtype == classification.DT_FLOAT
    assert [d.size for d in tensor.tensor_shape.dim] == [3, SR]
    np.testing.assert_array_equal(np.frombuffer(tensor.tensor_content, "<f4").reshape(3, SR), windows)
    numbered = classification.build_predict_request(windows[:1], ClientConfig(version=4))
    assert numbered.model_spec.version.value == 4
    latest = classification.build_predict_request(windows[:1])
    assert latest.model_spec.WhichOneof("version_choice") is None


def test_stubs_are_loaded_once_per_process(stubs, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_pipeline import tfserving_proto

    loads = []
    monkeypatch.setattr(tfserving_proto, "load_stubs", lambda: loads.append(1) or stubs)
    classification._stubs.cache_clear()
    try:
        windows = np.zeros((1, SR), dtype=np.float32)
        for _ in range(3):
            classification.build_predict_request(windows)
        assert loads == [1]
    finally:
        classification._stubs.cache_clear()


def _tensor(stubs, values: np.ndarray, form: str = "content", dtype: int = classification.DT_FLOAT):
    pb2, _ = stubs
    t = pb2.TensorProto(dtype=dtype)
    for s in values.shape:
        t.tensor_shape.dim.add().size = s
    if form == "content":
        t.tensor_content = values.astype({1: "<f4", 2: "<f8", 19: "<f2"}[dtype]).tobytes()
    elif dtype == classification.DT_DOUBLE:
        t.double_val.extend(values.ravel().tolist())
    elif dtype == classification.DT_HALF:
        t.half_val.extend(values.astype(np.float16).view(np.uint16).ravel().tolist())
    else:
        t.float_val.extend(values.ravel().tolist())
    return t


@pytest.mark.parametrize(("form", "dtype"), [("content", 1), ("vals", 1), ("content", 2), ("vals", 2), ("vals", 19)])
def test_tensor_to_array_decodes_both_forms(stubs, form: str, dtype: int) -> None:
    values = np.array([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(classification.tensor_to_array(_tensor(stubs, values, form, dtype)), values, atol=1e-3)


def test_tensor_to_array_broadcasts_a_single_value(stubs) -> None:
    pb2, _ = stubs
    t = pb2.TensorProto(dtype=classification.DT_FLOAT, float_val=[0.2])
    for s in (2, 5):
        t.tensor_shape.dim.add().size = s
    assert classification.tensor_to_array(t).shape == (2, 5)


def test_tensor_to_array_rejects_malformed(stubs) -> None:
    pb2, _ = stubs
    bad = _tensor(stubs, np.zeros((2, 5)))
    bad.tensor_content = bad.tensor_content[:-4]
    with pytest.raises(ServingResponseError):
        classification.tensor_to_array(bad)
    with pytest.raises(ServingResponseError):
        classification.tensor_to_array(pb2.TensorProto(dtype=7))  # DT_STRING
    short = _tensor(stubs, np.zeros((2, 5)), "vals")
    del short.float_val[3:]
    with pytest.raises(ServingResponseError):
        classification.tensor_to_array(short)


def _response(stubs, probs: np.ndarray, version: int | None = 2, alias: str = "probabilities"):
    pb2, _ = stubs
    resp = pb2.PredictResponse()
    resp.model_spec.name = "audio_classifier"
    if version is not None:
        resp.model_spec.version.value = version
    resp.outputs[alias].CopyFrom(_tensor(stubs, probs))
    return resp


def test_parse_predict_response(stubs) -> None:
    probs = _probs("tone", "noise")
    pred = classification.parse_predict_response(_response(stubs, probs), 2)
    assert pred.model_name == "audio_classifier" and pred.model_version == "2"
    np.testing.assert_allclose(pred.probabilities, probs, atol=1e-6)
    assert (
        classification.parse_predict_response(_response(stubs, probs, None), 2, ClientConfig(version=9)).model_version
        == "9"
    )


@pytest.mark.parametrize("case", ["missing_output", "wrong_rows", "wrong_classes", "nan", "out_of_range"])
def test_parse_predict_response_rejects(stubs, case: str) -> None:
    probs = _probs("tone", "noise")
    resp = {
        "missing_output": lambda: _response(stubs, probs, alias="logits"),
        "wrong_rows": lambda: _response(stubs, probs[:1]),
        "wrong_classes": lambda: _response(stubs, probs[:, :4]),
        "nan": lambda: _response(stubs, np.where(probs > 0.5, np.nan, probs)),
        "out_of_range": lambda: _response(stubs, probs * 3),
    }[case]()
    with pytest.raises(ServingResponseError):
        classification.parse_predict_response(resp, 2)


# --- client against a fake, TF-free servicer ---------------------------------------------------------


class FakeServer:
    """A PredictionService on the project's own stubs; `script` decides each answer."""

    def __init__(self, stubs) -> None:
        import grpc

        _pb2, pb2_grpc = stubs
        self.requests: list = []
        self.script: list = []
        outer = self

        class Servicer(pb2_grpc.PredictionServiceServicer):
            def Predict(self, request, context):
                outer.requests.append(request)
                action = outer.script.pop(0) if outer.script else "ok"
                if isinstance(action, tuple):
                    context.abort(getattr(grpc.StatusCode, action[0]), action[1])
                if action == "sleep":
                    threading.Event().wait(1.0)
                n = request.inputs["waveform"].tensor_shape.dim[0].size
                windows = np.frombuffer(request.inputs["waveform"].tensor_content, "<f4").reshape(n, -1)
                # Deterministic scores: class = index of the window's first sample value (0..4).
                probs = np.full((n, 5), 0.05)
                probs[np.arange(n), np.clip(windows[:, 0].astype(int), 0, 4)] = 0.8
                if action == "garbage":
                    probs = probs[:, :3]
                return _response(stubs, probs, version=7)

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb2_grpc.add_PredictionServiceServicer_to_server(Servicer(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def client(self, **overrides) -> ServingClient:
        cfg = {"target": f"127.0.0.1:{self.port}", "timeout_seconds": 5.0, "backoff_initial_seconds": 0.01, **overrides}
        return ServingClient(ClientConfig(**cfg), sleep=lambda s: None)


@pytest.fixture()
def fake(stubs):
    server = FakeServer(stubs)
    yield server
    server.server.stop(0)


def _signal(classes: list[int]) -> np.ndarray:
    return np.concatenate([np.full(SR, c, np.float32) for c in classes])


def test_classify_through_the_fake_server(fake) -> None:
    with fake.client(max_batch_windows=2) as client:
        result = classification.classify(_signal([3, 3, 3, 2, 2]), client)
    assert result.label == "tone" and result.model_version == "7" and result.model_name == "audio_classifier"
    assert result.window_count == 5 and len(fake.requests) == 3  # batches of 2, 2, 1
    assert [(s.label, s.start, s.end) for s in result.segments] == [("tone", 0.0, 3.0), ("noise", 3.0, 5.0)]


def test_transient_errors_are_retried_with_backoff(fake) -> None:
    fake.script = [("UNAVAILABLE", "warming up"), ("RESOURCE_EXHAUSTED", "queue full")]
    sleeps: list[float] = []
    client = fake.client(max_attempts=3)
    client._sleep = sleeps.append
    assert client.predict(make_windows(_signal([1]))).probabilities.argmax() == 1
    assert client.attempts == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0]


@pytest.mark.parametrize("status", ["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"])
def test_persistent_transient_errors_become_serving_unavailable(fake, status: str) -> None:
    fake.script = [(status, "busy")] * 3
    with pytest.raises(ServingUnavailableError) as info:
        fake.client(max_attempts=3).predict(make_windows(_signal([0])))
    assert info.value.code == "serving_unavailable" and info.value.status == status
    assert len(fake.requests) == 3


def test_deadline_exceeded_is_unavailable(fake) -> None:
    fake.script = ["sleep"]
    with pytest.raises(ServingUnavailableError) as info:
        fake.client(timeout_seconds=0.2, max_attempts=1).predict(make_windows(_signal([0])))
    assert info.value.status == "DEADLINE_EXCEEDED"


@pytest.mark.parametrize("status", ["NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "INTERNAL"])
def test_rejections_are_not_retried(fake, status: str) -> None:
    fake.script = [(status, "no such model")]
    with pytest.raises(ServingRequestError):
        fake.client().predict(make_windows(_signal([0])))
    assert len(fake.requests) == 1


def test_message_too_large_is_a_request_error(fake) -> None:
    fake.script = [("RESOURCE_EXHAUSTED", "Received message larger than max (9 vs. 4)")]
    with pytest.raises(ServingRequestError) as info:
        fake.client().predict(make_windows(_signal([0])))
    assert info.value.code == "serving_message_too_large" and len(fake.requests) == 1


def test_malformed_response_is_a_response_error(fake) -> None:
    fake.script = ["garbage"]
    with pytest.raises(ServingResponseError):
        fake.client().predict(make_windows(_signal([0])))


def test_client_message_limit_is_enforced_locally(fake) -> None:
    client = fake.client(max_batch_windows=4, max_message_bytes=300_000)
    client.predict(make_windows(_signal([0, 1, 2, 3])))  # 256 KB fits
    small = ServingClient(
        ClientConfig(target=f"127.0.0.1:{fake.port}", max_batch_windows=1, max_message_bytes=70_000, max_attempts=1)
    )
    small.predict(make_windows(_signal([0])))
    with pytest.raises(ServingRequestError):  # the reply fits, but a 2-window request would not
        ServingClient(
            ClientConfig(target=f"127.0.0.1:{fake.port}", max_batch_windows=1, max_message_bytes=70_000, max_attempts=1)
        )._predict_batch(make_windows(_signal([0, 1])))


def test_unreachable_server() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ServingClient(
        ClientConfig(target=f"127.0.0.1:{port}", timeout_seconds=1.0, max_attempts=2, backoff_initial_seconds=0.01)
    )
    with pytest.raises(ServingUnavailableError):
        client.predict(np.zeros((1, SR), np.float32))
    client.close()


def test_ensure_stubs_regenerates_stale_stubs(stubs) -> None:
    from audio_pipeline import tfserving_proto

    pytest.importorskip("grpc_tools", reason="grpcio-tools (requirements/build.txt) generates the stubs")
    assert tfserving_proto.stubs_current()
    assert tfserving_proto.ensure_stubs() is False
    tfserving_proto.STAMP_FILE.write_text("stale\n")
    assert not tfserving_proto.stubs_current()
    assert tfserving_proto.ensure_stubs() is True
    assert tfserving_proto.stubs_current()


def test_retry_reason_attribute_is_the_status_and_detail_bounded_and_cleared_when_classified() -> None:
    error = ServingUnavailableError("x" * 600, status="DEADLINE_EXCEEDED")
    text = classification.RetryReason.of(error).to_attributes()[attributes.RETRY_REASON]
    assert text.startswith("DEADLINE_EXCEEDED: xxx") and len(text) == 500
    assert classification.RetryReason().to_attributes() == {attributes.RETRY_REASON: ""}
