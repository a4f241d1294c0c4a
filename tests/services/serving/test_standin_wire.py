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
   pipelinectl.services.model_server classifies synthetic audio and exports TF Serving's metric names.

Skipped, with the reason, when .venv-serving is absent (create it: python -m pipelinectl.services.model_server install).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline import classification
from audio_pipeline.errors import ServingRequestError

from pipelinectl.ports import free_port
from pipelinectl.settings import REPO_ROOT

pytestmark = pytest.mark.serving

SERVING_PYTHON = REPO_ROOT / ".venv-serving" / "bin" / "python"
SR = classification.SAMPLE_RATE


@functools.cache
def _serving_venv_problem() -> str | None:
    if not SERVING_PYTHON.exists():
        return f"{SERVING_PYTHON} absent: create it with `python -m pipelinectl.services.model_server install`"
    probe = subprocess.run(
        [str(SERVING_PYTHON), "-c", "import tensorflow_serving.apis.prediction_service_pb2_grpc"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if probe.returncode != 0:
        return f"the serving virtualenv cannot import tensorflow_serving: {probe.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="module")
def serving_venv() -> Path:
    problem = _serving_venv_problem()
    if problem:
        pytest.skip(problem)
    return SERVING_PYTHON


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


def test_project_proto_fields_match_the_official_descriptors(serving_venv: Path, stubs) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [str(serving_venv), "-c", OFFICIAL_DUMP], capture_output=True, text=True, check=True, timeout=300, env=env
    ).stdout
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


def test_model_config_parses_with_the_official_proto(serving_venv: Path) -> None:
    config = REPO_ROOT / "serving" / "models" / "models.config"
    out = subprocess.run(
        [str(serving_venv), "-c", CONFIG_PARSE, str(config)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    ).stdout
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
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [str(serving_venv), "-c", OFFICIAL_SERVICER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
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


def test_standin_rest_status_and_metrics(standin) -> None:
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


def test_batching_limit_is_enforced(standin) -> None:
    conf, _ = standin
    cfg = classification.ClientConfig(target=f"127.0.0.1:{conf.serving_grpc_port}", max_batch_windows=40)
    with classification.ServingClient(cfg) as client, pytest.raises(ServingRequestError, match="maximum input batch"):
        client.predict(np.zeros((40, SR), np.float32))


if __name__ == "__main__":  # pragma: no cover - handy for manual runs
    sys.exit(pytest.main([__file__, "-v"]))
