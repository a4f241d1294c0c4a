"""Wire compatibility of the project's TF Serving client with the official `tensorflow-serving-api`.

The client side runs here, on the project's own predict.proto stubs (no TensorFlow). The server side
runs in the serving virtualenv (.venv-serving: tensorflow-cpu + tensorflow-serving-api) as a separate
process, because both stub sets declare the same `tensorflow.serving.*` names and cannot share one
protobuf descriptor pool. Three checks:

1. the project's messages declare only fields that exist in the official descriptors, with the same
   numbers, types and cardinality (and the same RPC path);
2. a servicer built on the official `PredictionServiceServicer` accepts the project's requests,
   and the project decodes its responses (tensor_content and float_val forms);
3. the stand-in (serving/standin/, official stubs + the committed SavedModel) started through
   pipelinectl.services.model_server classifies synthetic audio, answers gRPC (official client) and
   REST status, metadata and predict requests, errors included, as it does today, and exports TF
   Serving's monitoring series under TF Serving's names.

Skipped, with the reason, when .venv-serving is absent (create it: python -m pipelinectl.services.model_server install).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline import classification
from audio_pipeline.errors import ServingRequestError
from prometheus_client.utils import floatToGoString

from pipelinectl.ports import free_port
from pipelinectl.settings import REPO_ROOT

pytestmark = pytest.mark.serving

SR = classification.SAMPLE_RATE


@pytest.fixture(scope="module")
def stubs():
    from audio_pipeline import tfserving_proto

    return tfserving_proto.load_stubs()


# --- 1. descriptors ----------------------------------------------------------------------------------

OFFICIAL_DUMP = textwrap.dedent(
    """
    import json
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

    def fields(desc):
        out = {}
        for f in desc.fields:
            entry = {"number": f.number, "type": f.type, "repeated": f.is_repeated,
                     "message": f.message_type.full_name if f.message_type else ""}
            if f.message_type and f.message_type.GetOptions().map_entry:
                entry["map"] = {g.name: g.type for g in f.message_type.fields}
            out[f.name] = entry
        return out

    messages = {}
    for desc in (predict_pb2.PredictRequest.DESCRIPTOR, predict_pb2.PredictResponse.DESCRIPTOR,
                 predict_pb2.PredictRequest.DESCRIPTOR.fields_by_name["model_spec"].message_type,
                 tensor_pb2.TensorProto.DESCRIPTOR, tensor_shape_pb2.TensorShapeProto.DESCRIPTOR,
                 tensor_shape_pb2.TensorShapeProto.Dim.DESCRIPTOR):
        messages[desc.name if desc.name != "Dim" else "TensorShapeProto.Dim"] = fields(desc)
    service = prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"]
    print(json.dumps({
        "messages": messages,
        "enum": {v.name: v.number for v in types_pb2.DataType.DESCRIPTOR.values},
        "predict": [service.full_name, service.methods_by_name["Predict"].input_type.full_name,
                    service.methods_by_name["Predict"].output_type.full_name],
    }))
    """
)


def test_project_proto_fields_match_the_official_descriptors(run_serving_python, stubs) -> None:
    out = run_serving_python(OFFICIAL_DUMP)
    official = json.loads(out.strip().splitlines()[-1])
    pb2, _ = stubs
    ours = {
        "PredictRequest": pb2.PredictRequest.DESCRIPTOR,
        "PredictResponse": pb2.PredictResponse.DESCRIPTOR,
        "ModelSpec": pb2.ModelSpec.DESCRIPTOR,
        "TensorProto": pb2.TensorProto.DESCRIPTOR,
        "TensorShapeProto": pb2.TensorShapeProto.DESCRIPTOR,
        "TensorShapeProto.Dim": pb2.TensorShapeProto.Dim.DESCRIPTOR,
    }
    checked = 0
    for name, desc in ours.items():
        reference = official["messages"][name]
        for f in desc.fields:
            assert f.name in reference, f"{name}.{f.name} is not an official field"
            ref = reference[f.name]
            assert (f.number, f.type, f.is_repeated) == (ref["number"], ref["type"], ref["repeated"]), (
                f"{name}.{f.name}"
            )
            if f.message_type and f.message_type.GetOptions().map_entry:
                assert {g.name: g.type for g in f.message_type.fields} == ref["map"], f"{name}.{f.name} map types"
            elif f.message_type:
                assert f.message_type.name == ref["message"].rsplit(".", 1)[-1], f"{name}.{f.name} message type"
            checked += 1
    assert checked >= 20
    for value in pb2.DataType.DESCRIPTOR.values:
        assert official["enum"][value.name] == value.number
    service = pb2.DESCRIPTOR.services_by_name["PredictionService"]
    assert service.full_name == official["predict"][0] == "tensorflow.serving.PredictionService"
    assert service.methods_by_name["Predict"].input_type.full_name == official["predict"][1]
    assert service.methods_by_name["Predict"].output_type.full_name == official["predict"][2]


CONFIG_PARSE = textwrap.dedent(
    """
    import sys
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = text_format.Parse(open(sys.argv[1]).read(), model_server_config_pb2.ModelServerConfig())
    entry = config.model_config_list.config[0]
    print(entry.name, entry.base_path, entry.model_platform, dict(entry.version_labels),
          list(entry.model_version_policy.specific.versions))
    """
)


def test_model_config_parses_with_the_official_proto(run_serving_python) -> None:
    out = run_serving_python(CONFIG_PARSE, str(REPO_ROOT / "serving" / "models" / "models.config"))
    assert out.split()[:3] == ["audio_classifier", "/models/audio_classifier", "tensorflow"]
    assert "{'stable': 1} [1]" in out


# --- 2. an official servicer -------------------------------------------------------------------------

OFFICIAL_SERVICER = textwrap.dedent(
    """
    import sys
    from concurrent import futures
    import grpc
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    RAMP = np.sin(np.arange(1, 16000, dtype=np.float32) / 50.0) * 0.5

    class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            spec = request.model_spec
            if spec.name != "audio_classifier":
                context.abort(grpc.StatusCode.NOT_FOUND, "Servable not found for request: Latest(%s)" % spec.name)
            if list(request.output_filter) != ["probabilities"] or list(request.inputs) != ["waveform"]:
                aliases = (list(request.inputs), list(request.output_filter))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "aliases %s %s" % aliases)
            x = tf.make_ndarray(request.inputs["waveform"])
            if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != 16000:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad input %s %s" % (x.dtype, x.shape))
            if not np.array_equal(x[:, 1:], np.broadcast_to(RAMP, (len(x), 15999))):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "samples were not transmitted exactly")
            probs = np.full((len(x), 5), 0.05, np.float32)
            probs[np.arange(len(x)), x[:, 0].astype(int)] = 0.8
            response = predict_pb2.PredictResponse()
            response.model_spec.name = spec.name
            response.model_spec.signature_name = spec.signature_name
            choice = spec.WhichOneof("version_choice")
            if choice == "version_label":
                response.model_spec.version_label = spec.version_label
            else:
                response.model_spec.version.value = spec.version.value if choice == "version" else 7
            if spec.signature_name == "float_val":
                out = response.outputs["probabilities"]
                out.dtype = tf.float32.as_datatype_enum
                for size in probs.shape:
                    out.tensor_shape.dim.add().size = size
                out.float_val.extend(probs.ravel().tolist())
            else:
                response.outputs["probabilities"].CopyFrom(tf.make_tensor_proto(probs))
            return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("READY", port, flush=True)
    sys.stdin.read()  # runs until the test closes stdin
    server.stop(0)
    """
)


@pytest.fixture(scope="module")
def official_server(serving_venv: Path):
    proc = subprocess.Popen(
        [str(serving_venv), "-c", OFFICIAL_SERVICER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        pytest.fail(f"official servicer did not start: {line} {proc.stderr.read()[-2000:]}")
    yield f"127.0.0.1:{int(line.split()[1])}"
    proc.stdin.close()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _encoded_windows(classes: list[int]) -> np.ndarray:
    ramp = np.sin(np.arange(1, SR, dtype=np.float32) / 50.0) * 0.5
    windows = np.empty((len(classes), SR), np.float32)
    windows[:, 0] = classes
    windows[:, 1:] = ramp
    return windows


@pytest.mark.parametrize(
    ("signature", "version", "label", "expected_version"),
    [("serving_default", None, None, "7"), ("float_val", 3, None, "3"), ("serving_default", None, "canary", "canary")],
)
def test_official_servicer_understands_the_project_client(
    official_server: str, signature: str, version: int | None, label: str | None, expected_version: str
) -> None:
    classes = [0, 1, 2, 3, 4, 3, 2]
    cfg = classification.ClientConfig(
        target=official_server,
        signature_name=signature,
        version=version,
        version_label=label,
        max_batch_windows=4,
        timeout_seconds=30,
    )
    with classification.ServingClient(cfg) as client:
        prediction = client.predict(_encoded_windows(classes))
    assert prediction.probabilities.argmax(axis=1).tolist() == classes
    np.testing.assert_allclose(prediction.probabilities.max(axis=1), 0.8, rtol=1e-6)
    assert prediction.model_name == "audio_classifier" and prediction.model_version == expected_version


def test_official_servicer_errors_reach_the_client(official_server: str) -> None:
    cfg = classification.ClientConfig(target=official_server, model_name="missing", timeout_seconds=30)
    with classification.ServingClient(cfg) as client, pytest.raises(ServingRequestError, match="NOT_FOUND"):
        client.predict(_encoded_windows([0]))


# --- 3. the stand-in with the committed model --------------------------------------------------------


@pytest.fixture(scope="module")
def standin(serving_venv: Path, tmp_path_factory: pytest.TempPathFactory):
    from pipelinectl import settings
    from pipelinectl.services import model_server

    if not any((model_server.MODELS_DIR / model_server.MODEL_NAME).glob("[0-9]*/saved_model.pb")):
        pytest.skip("no exported model under serving/models/audio_classifier: run python -m serving.training.train")
    data_dir = tmp_path_factory.mktemp("serving-data")
    conf = settings.load(
        {
            "PIPELINE_DATA_DIR": str(data_dir),
            "SERVING_GRPC_PORT": str(free_port()),
            "SERVING_REST_PORT": str(free_port()),
        }
    )
    started = time.monotonic()
    service = model_server.service(conf)
    pid = service.start(timeout=300)
    assert service.is_running() and service.pid_file.read_text().strip() == str(pid)
    yield conf, time.monotonic() - started
    assert service.stop()
    assert not service.is_running() and not service.pid_file.exists()


def _tone(seconds: float, freq: float = 1000.0, level: float = 0.25) -> np.ndarray:
    return (level * np.sin(2 * np.pi * freq * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def _speech() -> np.ndarray | None:
    if not shutil.which("espeak-ng"):
        return None
    wav = subprocess.run(
        [
            "espeak-ng",
            "--stdout",
            "-v",
            "en",
            "This is a short sentence spoken for the test. The weather is fine today.",
        ],
        capture_output=True,
        check=True,
    ).stdout
    import io

    import soundfile as sf

    x, rate = sf.read(io.BytesIO(wav), dtype="float32")
    return classification.prepare_samples(x, rate)


def test_standin_classifies_through_grpc(standin) -> None:
    conf, _ = standin
    target = f"127.0.0.1:{conf.serving_grpc_port}"
    rng = np.random.default_rng(0)
    cases = {
        "tone": _tone(3.0),
        "silence": np.zeros(2 * SR, np.float32),
        "noise": (rng.normal(0, 0.1, 3 * SR)).astype(np.float32),
    }
    speech = _speech()
    if speech is not None:
        cases["speech"] = speech
    with classification.ServingClient(classification.ClientConfig(target=target, version_label="stable")) as client:
        for expected, samples in cases.items():
            result = classification.classify(samples, client)
            assert result.label == expected, (expected, result.scores)
            assert result.model_name == "audio_classifier" and result.model_version == "1"
            assert 0.0 <= result.confidence <= 1.0 and result.segments
        mixed = np.concatenate([_tone(2.0), np.zeros(2 * SR, np.float32), _tone(2.0, 440.0)])
        result = classification.classify(mixed, client, windowing=classification.Windowing(hop_seconds=0.5))
        assert result.label == "tone"
        assert [s.label for s in result.segments] == ["tone", "silence", "tone"]


def test_standin_rest_status_and_monitoring(standin) -> None:
    conf, _ = standin
    base = f"http://127.0.0.1:{conf.serving_rest_port}"
    with urllib.request.urlopen(f"{base}/v1/models/audio_classifier", timeout=10) as response:
        status = json.loads(response.read())
    assert status["model_version_status"][0] == {
        "version": "1",
        "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""},
    }
    with classification.ServingClient(
        classification.ClientConfig(target=f"127.0.0.1:{conf.serving_grpc_port}", model_name="unknown")
    ) as client:
        with pytest.raises(ServingRequestError, match="NOT_FOUND"):
            client.predict(np.zeros((1, SR), np.float32))
    with urllib.request.urlopen(f"{base}/monitoring/prometheus/metrics", timeout=10) as response:
        text = response.read().decode()
    assert "# TYPE :tensorflow:serving:request_count counter" in text
    assert ':tensorflow:serving:request_count{model_name="unknown",status="NOT_FOUND"} 1.0' in text
    assert (
        ':tensorflow:serving:request_latency_bucket{API="predict",entrypoint="GRPC",le="10.0",model_name="unknown"}'
        in text
    )
    assert "_created" not in text


def _rest(conf, path: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{conf.serving_rest_port}{path}", data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_standin_rest_versions_labels_metadata_and_errors(standin) -> None:
    conf, _ = standin
    for path in ("/v1/models/audio_classifier/versions/1", "/v1/models/audio_classifier/labels/stable"):
        code, body = _rest(conf, path)
        assert code == 200 and [v["version"] for v in body["model_version_status"]] == ["1"], path
    # protobuf JSON names (camelCase), as the stand-in writes them today; TF Serving writes proto field names
    code, body = _rest(conf, "/v1/models/audio_classifier/labels/stable/metadata")
    assert code == 200 and body["modelSpec"] == {"name": "audio_classifier", "version": "1"}
    signatures = body["metadata"]["signature_def"]
    assert signatures["@type"] == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    signature = signatures["signatureDef"]["serving_default"]
    assert signature["methodName"] == "tensorflow/serving/predict"
    assert [d["size"] for d in signature["inputs"]["waveform"]["tensorShape"]["dim"]] == ["-1", "16000"]
    assert [d["size"] for d in signature["outputs"]["probabilities"]["tensorShape"]["dim"]] == ["-1", "5"]
    assert _rest(conf, "/v1/models/audio_classifier/versions/9")[0] == 404
    assert _rest(conf, "/v1/models/audio_classifier/labels/canary")[0] == 400
    assert _rest(conf, "/v1/models/unknown")[0] == 404
    code, body = _rest(conf, "/v1/models/audio_classifier:predict")
    assert code == 404 and body["error"] == "Malformed request: GET /v1/models/audio_classifier:predict"
    assert _rest(conf, "/v1/models/audio_classifier", b"{}")[0] == 404


def test_standin_rest_predict_row_and_columnar(standin) -> None:
    conf, _ = standin
    windows = [np.zeros(SR).tolist(), _tone(1.0).tolist()]
    code, body = _rest(conf, "/v1/models/audio_classifier:predict", json.dumps({"instances": windows}).encode())
    assert code == 200 and np.asarray(body["predictions"]).shape == (2, 5)
    assert np.argmax(body["predictions"], axis=1).tolist() == [4, 3]  # silence, tone
    code, body = _rest(
        conf, "/v1/models/audio_classifier/versions/1:predict", json.dumps({"inputs": {"waveform": windows}}).encode()
    )
    assert code == 200 and np.argmax(body["outputs"], axis=1).tolist() == [4, 3]
    code, body = _rest(conf, "/v1/models/audio_classifier:predict", json.dumps({"instances": [[0.0] * 10]}).encode())
    assert code == 400 and "shape" in body["error"]
    code, body = _rest(conf, "/v1/models/audio_classifier:predict", json.dumps({"inputs": windows}).encode())
    assert code == 200 and np.argmax(body["outputs"], axis=1).tolist() == [4, 3]  # columnar, the only input
    code, _ = _rest(conf, "/v1/models/audio_classifier:predict", b"not json")
    assert code == 400
    code, body = _rest(
        conf, "/v1/models/audio_classifier:predict", json.dumps({"instances": windows, "signature_name": "x"}).encode()
    )
    assert (code, body) == (400, {"error": "'x'"})
    code, body = _rest(
        conf, "/v1/models/audio_classifier:predict", json.dumps({"instances": [[0.0] * SR] * 33}).encode()
    )
    assert (code, body) == (400, {"error": "Task size 33 is larger than maximum input batch size 32"})
    code, body = _rest(
        conf, "/v1/models/audio_classifier/labels/canary:predict", json.dumps({"instances": []}).encode()
    )
    assert (code, body) == (400, {"error": "Unrecognized servable version label: canary"})
    code, body = _rest(conf, "/v1/models/audio_classifier/versions/9:predict", json.dumps({"instances": []}).encode())
    assert (code, body) == (404, {"error": "Servable not found for request: Specific(audio_classifier, 9)"})
    code, body = _rest(conf, "/v1/models/unknown:predict", json.dumps({"instances": windows}).encode())
    assert (code, body) == (404, {"error": "Servable not found for request: Latest(unknown)"})
    assert _rest(conf, "/other") == (404, {"error": "Malformed request: GET /other"})


def _scrape(conf) -> tuple[str, str]:
    url = f"http://127.0.0.1:{conf.serving_rest_port}/monitoring/prometheus/metrics?from=test"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode()


def _sample(text: str, series: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series + " ")]
    return values[0] if values else 0.0


def test_standin_monitoring_counts_rest_requests_in_tf_servings_names(standin) -> None:
    conf, _ = standin
    request_count = ':tensorflow:serving:request_count{model_name="audio_classifier",status="OK"}'
    rest_latency = (
        ':tensorflow:serving:request_latency_count{API="predict",entrypoint="REST",model_name="audio_classifier"}'
    )
    runtime = ':tensorflow:serving:runtime_latency_count{API="Predict",model_name="audio_classifier",runtime="TF1"}'
    batch_sizes = ':tensorflow:serving:batching_session:input_batch_size_sum{model_name="audio_classifier"}'
    _, before = _scrape(conf)
    body = json.dumps({"instances": [np.zeros(SR).tolist()] * 3}).encode()
    assert _rest(conf, "/v1/models/audio_classifier:predict", body)[0] == 200
    content_type, after = _scrape(conf)
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert _sample(after, request_count) == _sample(before, request_count) + 1
    assert _sample(after, rest_latency) == _sample(before, rest_latency) + 1
    assert _sample(after, runtime) == _sample(before, runtime) + 1
    assert _sample(after, batch_sizes) == _sample(before, batch_sizes) + 3
    for name, doc in (
        (":tensorflow:serving:request_count", "The total number of requests."),
        (":tensorflow:cc:saved_model:load_attempt_count", "The number of times a SavedModel was attempted to load."),
    ):
        assert f"# HELP {name} {doc}\n# TYPE {name} counter\n" in after
    loads = [line for line in after.splitlines() if line.startswith(":tensorflow:cc:saved_model:load_attempt_count{")]
    assert loads == [
        ':tensorflow:cc:saved_model:load_attempt_count{model_path="'
        + str(REPO_ROOT / "serving" / "models" / "audio_classifier" / "1")
        + '",status="success"} 1.0'
    ]
    latency_buckets = re.findall(
        r':tensorflow:serving:request_latency_bucket\{API="predict",entrypoint="REST",le="([^"]+)",model_name="audio_classifier"',
        after,
    )
    # TF Serving's request latency buckets: 33 exponential buckets from 10 µs, factor 1.8
    assert latency_buckets == [floatToGoString(float(f"{10.0 * 1.8**i:.6g}")) for i in range(33)] + ["+Inf"]
    assert latency_buckets[:4] == ["10.0", "18.0", "32.4", "58.32"] and latency_buckets[-2] == "1.47476e+09"
    size_buckets = re.findall(r':tensorflow:serving:batching_session:input_batch_size_bucket\{le="([^"]+)"', after)
    assert size_buckets == [str(float(2**i)) for i in range(12)] + ["+Inf"]
    assert "_total" not in after and "_created" not in after


OFFICIAL_CLIENT = textwrap.dedent(
    """
    import json, sys
    import grpc
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import (
        get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc, predict_pb2,
        prediction_service_pb2_grpc)

    channel = grpc.insecure_channel(sys.argv[1])
    models = model_service_pb2_grpc.ModelServiceStub(channel)
    prediction = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    out = {}

    def call(key, method, request):
        try:
            out[key] = method(request, timeout=60)
        except grpc.RpcError as exc:
            out[key] = exc.code().name + ": " + exc.details()

    def status(key, **spec):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = spec.pop("name", "audio_classifier")
        if "version" in spec:
            request.model_spec.version.value = spec["version"]
        if "label" in spec:
            request.model_spec.version_label = spec["label"]
        call(key, models.GetModelStatus, request)
        if not isinstance(out[key], str):
            out[key] = [[v.version, get_model_status_pb2.ModelVersionStatus.State.Name(v.state)]
                        for v in out[key].model_version_status]

    status("status")
    status("status_v1", version=1)
    status("status_stable", label="stable")
    status("status_v9", version=9)
    status("status_canary", label="canary")
    status("status_unknown", name="unknown")

    def metadata(key, fields):
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=fields)
        request.model_spec.name = "audio_classifier"
        call(key, prediction.GetModelMetadata, request)
        if not isinstance(out[key], str):
            sig_map = get_model_metadata_pb2.SignatureDefMap()
            out[key].metadata["signature_def"].Unpack(sig_map)
            sig = sig_map.signature_def["serving_default"]
            out[key] = [out[key].model_spec.version.value, sorted(sig.inputs), sorted(sig.outputs)]

    metadata("metadata", ["signature_def"])
    metadata("metadata_none", [])
    metadata("metadata_other", ["other"])

    def predict(key, windows, signature="", output_filter=()):
        request = predict_pb2.PredictRequest(output_filter=list(output_filter))
        request.model_spec.name = "audio_classifier"
        request.model_spec.signature_name = signature
        request.inputs["waveform"].CopyFrom(tf.make_tensor_proto(windows))
        call(key, prediction.Predict, request)
        if not isinstance(out[key], str):
            response = out[key]
            out[key] = [response.model_spec.signature_name, response.model_spec.version.value,
                        {k: list(tf.make_ndarray(v).shape) for k, v in response.outputs.items()}]

    predict("predict", np.zeros((2, 16000), np.float32), output_filter=["probabilities"])
    predict("predict_signature", np.zeros((1, 16000), np.float32), signature="other")
    predict("predict_dtype", np.zeros((1, 16000), np.float64))
    predict("predict_filter", np.zeros((1, 16000), np.float32), output_filter=["logits"])
    print(json.dumps(out))
    """
)


def test_standin_grpc_status_metadata_and_errors_with_the_official_stubs(standin, run_serving_python) -> None:
    conf, _ = standin
    out = run_serving_python(OFFICIAL_CLIENT, f"127.0.0.1:{conf.serving_grpc_port}")
    got = json.loads(out.strip().splitlines()[-1])
    assert got["status"] == got["status_v1"] == got["status_stable"] == [[1, "AVAILABLE"]]
    assert got["status_v9"] == "NOT_FOUND: Could not find version 9 of model audio_classifier"
    assert got["status_canary"] == "INVALID_ARGUMENT: Unrecognized servable version label: canary"
    assert got["status_unknown"] == "NOT_FOUND: Could not find any versions of model unknown"
    assert got["metadata"] == [1, ["waveform"], ["probabilities"]]
    assert got["metadata_none"] == "INVALID_ARGUMENT: Metadata field  is not supported"
    assert got["metadata_other"] == "INVALID_ARGUMENT: Metadata field other is not supported"
    assert got["predict"] == ["serving_default", 1, {"probabilities": [2, 5]}]
    assert got["predict_signature"] == ('INVALID_ARGUMENT: Serving signature name: "other" not found in signature def')
    assert got["predict_dtype"] == "INVALID_ARGUMENT: Expects arg[0] to be float32 but float64 is provided"
    assert got["predict_filter"] == "INVALID_ARGUMENT: output tensor alias not found in signature: ['logits']"


def test_batching_limit_is_enforced(standin) -> None:
    conf, _ = standin
    cfg = classification.ClientConfig(target=f"127.0.0.1:{conf.serving_grpc_port}", max_batch_windows=40)
    with classification.ServingClient(cfg) as client, pytest.raises(ServingRequestError, match="maximum input batch"):
        client.predict(np.zeros((40, SR), np.float32))


if __name__ == "__main__":  # pragma: no cover - handy for manual runs
    sys.exit(pytest.main([__file__, "-v"]))
