"""A TF Serving stand-in: the real gRPC API and Prometheus endpoint, served from SavedModels in Python.

    .venv-serving/bin/python -m serving.standin --port=8500 --rest_api_port=8501 \
        --model_config_file=serving/models/models.config --enable_batching \
        --batching_parameters_file=serving/models/batching.config \
        --monitoring_config_file=serving/models/monitoring.config

For machines without Docker and without a `tensorflow_model_server` binary. It takes the same flags
and config files as tensorflow_model_server and speaks the same protocol through the OFFICIAL
`tensorflow-serving-api` stubs: PredictionService/Predict and GetModelMetadata, ModelService/
GetModelStatus, plus REST GET /v1/models/<name>[/versions/<v>|/labels/<l>][/metadata],
POST /v1/models/<name>:predict, and TF Serving's metric names at the Prometheus path. Base paths
under /models/ that do not exist here are mapped to --models_root (default: serving/models).
It binds 127.0.0.1 only. Differences from the real server: no file-system polling or config reload,
and --enable_batching only enforces max_batch_size (requests are not merged).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format, text_format
from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import Metric
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.config import model_server_config_pb2

from serving.model_contract import MODELS_DIR

LOG = logging.getLogger("standin")
DEFAULT_SIGNATURE = "serving_default"
LATENCY_BUCKETS_US = tuple(float(f"{10.0 * 1.8**i:.6g}") for i in range(33))  # TF Serving's latency buckets
AVAILABLE = get_model_status_pb2.ModelVersionStatus.AVAILABLE


class ServingError(Exception):
    """An error with the gRPC status TF Serving would return."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- configuration ----------------------------------------------------------------------------------


@dataclass
class Batching:
    enabled: bool = False
    max_batch_size: int = 0


def parse_batching(path: str | None, enabled: bool) -> Batching:
    """max_batch_size from a text-format BatchingParameters file (`max_batch_size { value: N }`)."""
    if not enabled:
        return Batching()
    size = 0
    if path:
        m = re.search(r"max_batch_size\s*\{\s*value\s*:\s*(\d+)\s*\}", Path(path).read_text())
        size = int(m.group(1)) if m else 0
    return Batching(True, size or 1000)


def parse_monitoring(path: str | None) -> str | None:
    """The Prometheus path from a MonitoringConfig text file; None when disabled."""
    if not path:
        return None
    text = Path(path).read_text()
    if not re.search(r"enable\s*:\s*true", text):
        return None
    m = re.search(r'path\s*:\s*"([^"]*)"', text)
    return (m.group(1) if m else "") or "/monitoring/prometheus/metrics"


def load_model_config(args: argparse.Namespace) -> model_server_config_pb2.ModelServerConfig:
    """From --model_config_file, or a single model from --model_name/--model_base_path."""
    config = model_server_config_pb2.ModelServerConfig()
    if args.model_config_file:
        text_format.Parse(Path(args.model_config_file).read_text(), config)
    elif args.model_base_path:
        entry = config.model_config_list.config.add()
        entry.name = args.model_name
        entry.base_path = args.model_base_path
        entry.model_platform = "tensorflow"
    else:
        raise SystemExit("need --model_config_file or --model_base_path")
    return config


def resolve_base_path(base_path: str, models_root: Path) -> Path:
    """The configured path, or the same path under --models_root when it is a container path (/models/...)."""
    p = Path(base_path)
    if p.is_dir():
        return p
    if base_path.startswith("/models/"):
        return models_root / base_path[len("/models/") :]
    return p


# --- models -----------------------------------------------------------------------------------------


@dataclass
class LoadedVersion:
    version: int
    path: Path
    loaded: Any
    signature_defs: dict[str, Any]


@dataclass
class ServedModel:
    name: str
    versions: dict[int, LoadedVersion] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


class Metrics:
    """TF Serving's Prometheus metric names, via prometheus-client."""

    COUNTERS = (":tensorflow:serving:request_count", ":tensorflow:cc:saved_model:load_attempt_count")

    def __init__(self) -> None:
        disable_created_metrics()  # TF Serving exports no *_created series
        self.registry = CollectorRegistry()
        self._lock = threading.Lock()
        self._counts: dict[str, dict[tuple[tuple[str, str], ...], float]] = {n: {} for n in self.COUNTERS}
        self.request_latency = Histogram(
            ":tensorflow:serving:request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ["model_name", "API", "entrypoint"],
            buckets=LATENCY_BUCKETS_US,
            registry=self.registry,
        )
        self.runtime_latency = Histogram(
            ":tensorflow:serving:runtime_latency",
            "Distribution of wall time (in microseconds) for Tensorflow runtime.",
            ["model_name", "API", "runtime"],
            buckets=LATENCY_BUCKETS_US,
            registry=self.registry,
        )
        self.input_batch_size = Histogram(
            ":tensorflow:serving:batching_session:input_batch_size",
            "Tracks the batch size distribution on the inputs by model.",
            ["model_name"],
            buckets=tuple(float(2**i) for i in range(12)),
            registry=self.registry,
        )
        self.registry.register(self)  # the counters below, exported without the _total suffix

    def count(self, name: str, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counts[name][key] = self._counts[name].get(key, 0.0) + 1.0

    def collect(self):
        docs = {
            ":tensorflow:serving:request_count": "The total number of requests.",
            ":tensorflow:cc:saved_model:load_attempt_count": "The number of times a SavedModel was attempted to load.",
        }
        with self._lock:
            snapshot = {n: dict(v) for n, v in self._counts.items()}
        for name, values in snapshot.items():
            metric = Metric(name, docs[name], "counter")
            for key, value in sorted(values.items()):
                metric.add_sample(name, dict(key), value)
            yield metric

    def exposition(self) -> bytes:
        """Prometheus text format; counters keep TF Serving's names (prometheus-client would add _total)."""
        text = generate_latest(self.registry).decode()
        for name in self.COUNTERS:
            text = text.replace(f"# HELP {name}_total ", f"# HELP {name} ").replace(
                f"# TYPE {name}_total ", f"# TYPE {name} "
            )
        return text.encode()


class ModelServer:
    """Loaded models, request resolution and the Predict/metadata/status logic shared by gRPC and REST."""

    def __init__(
        self, config: model_server_config_pb2.ModelServerConfig, models_root: Path, batching: Batching, metrics: Metrics
    ) -> None:
        self.models: dict[str, ServedModel] = {}
        self.batching = batching
        self.metrics = metrics
        for entry in config.model_config_list.config:
            self.models[entry.name] = self._load(entry, models_root)

    def _load(self, entry: Any, models_root: Path) -> ServedModel:
        base = resolve_base_path(entry.base_path, models_root)
        available = (
            sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) if base.is_dir() else []
        )
        policy = entry.model_version_policy.WhichOneof("policy_choice")
        if policy == "all":
            wanted = available
        elif policy == "specific":
            wanted = sorted(v for v in entry.model_version_policy.specific.versions if v in available)
        else:
            n = entry.model_version_policy.latest.num_versions if policy == "latest" else 1
            wanted = available[-max(1, n) :]
        model = ServedModel(entry.name)
        for version in wanted:
            path = base / str(version)
            try:
                loaded = tf.saved_model.load(str(path))
                sm = saved_model_pb2.SavedModel()
                sm.ParseFromString((path / "saved_model.pb").read_bytes())
                sig_defs = dict(sm.meta_graphs[0].signature_def)
                self.metrics.count(
                    ":tensorflow:cc:saved_model:load_attempt_count", model_path=str(path), status="success"
                )
            except Exception as exc:
                self.metrics.count(
                    ":tensorflow:cc:saved_model:load_attempt_count", model_path=str(path), status="failure"
                )
                LOG.error("failed to load %s version %s from %s: %s", entry.name, version, path, exc)
                continue
            model.versions[version] = LoadedVersion(version, path, loaded, sig_defs)
            LOG.info("Successfully loaded servable version {name: %s version: %d}", entry.name, version)
        for label, version in entry.version_labels.items():
            if version in model.versions:
                model.labels[label] = version
            else:
                LOG.error("version label %s points at version %d, which is not loaded", label, version)
        if not model.versions:
            LOG.error("No versions of servable %s found under base path %s", entry.name, base)
        return model

    def resolve(self, spec: Any) -> tuple[ServedModel, LoadedVersion]:
        model = self.models.get(spec.name)
        if model is None or not model.versions:
            raise ServingError(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: Latest({spec.name})")
        choice = spec.WhichOneof("version_choice")
        if choice == "version":
            found = model.versions.get(spec.version.value)
            if found is None:
                raise ServingError(
                    grpc.StatusCode.NOT_FOUND,
                    f"Servable not found for request: Specific({spec.name}, {spec.version.value})",
                )
            return model, found
        if choice == "version_label":
            if spec.version_label not in model.labels:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT, f"Unrecognized servable version label: {spec.version_label}"
                )
            return model, model.versions[model.labels[spec.version_label]]
        return model, model.versions[max(model.versions)]

    def predict(
        self,
        name: str,
        version: LoadedVersion,
        signature_name: str,
        inputs: dict[str, np.ndarray],
        output_filter: list[str],
    ) -> dict[str, np.ndarray]:
        sig_name = signature_name or DEFAULT_SIGNATURE
        if sig_name not in version.loaded.signatures:
            raise ServingError(
                grpc.StatusCode.INVALID_ARGUMENT, f'Serving signature name: "{sig_name}" not found in signature def'
            )
        fn = version.loaded.signatures[sig_name]
        specs = fn.structured_input_signature[1]
        missing = sorted(set(specs) - set(inputs))
        extra = sorted(set(inputs) - set(specs))
        if missing or extra:
            raise ServingError(
                grpc.StatusCode.INVALID_ARGUMENT, f"input tensor alias mismatch: missing {missing}, unexpected {extra}"
            )
        tensors = {}
        for alias, value in inputs.items():
            spec = specs[alias]
            if value.dtype != spec.dtype.as_numpy_dtype:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Expects arg[0] to be {spec.dtype.name} but {value.dtype} is provided",
                )
            if not spec.shape.is_compatible_with(value.shape):
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"input {alias!r} has shape {list(value.shape)}, signature expects {spec.shape}",
                )
            if self.batching.enabled and value.ndim and value.shape[0] > self.batching.max_batch_size:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Task size {value.shape[0]} is larger than maximum input batch size "
                    f"{self.batching.max_batch_size}",
                )
            tensors[alias] = tf.constant(value)
        if self.batching.enabled:
            first = next(iter(inputs.values()))
            self.metrics.input_batch_size.labels(name).observe(first.shape[0] if first.ndim else 1)
        start = time.perf_counter()
        try:
            outputs = fn(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as exc:
            raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, str(exc).splitlines()[0]) from exc
        self.metrics.runtime_latency.labels(name, "Predict", "TF1").observe((time.perf_counter() - start) * 1e6)
        if output_filter:
            unknown = sorted(set(output_filter) - set(outputs))
            if unknown:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT, f"output tensor alias not found in signature: {unknown}"
                )
            outputs = {k: v for k, v in outputs.items() if k in output_filter}
        return {k: v.numpy() for k, v in outputs.items()}

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list[tuple[int, str]]:
        model = self.models.get(name)
        if model is None or not model.versions:
            raise ServingError(grpc.StatusCode.NOT_FOUND, f"Could not find any versions of model {name}")
        if label:
            if label not in model.labels:
                raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, f"Unrecognized servable version label: {label}")
            version = model.labels[label]
        if version is not None:
            if version not in model.versions:
                raise ServingError(grpc.StatusCode.NOT_FOUND, f"Could not find version {version} of model {name}")
            return [(version, "AVAILABLE")]
        return [(v, "AVAILABLE") for v in sorted(model.versions, reverse=True)]


# --- gRPC -------------------------------------------------------------------------------------------


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, server: ModelServer) -> None:
        self.server = server

    def Predict(self, request, context):
        start = time.perf_counter()
        name = request.model_spec.name
        status = "OK"
        try:
            model, version = self.server.resolve(request.model_spec)
            inputs = {alias: tf.make_ndarray(t) for alias, t in request.inputs.items()}
            outputs = self.server.predict(
                name, version, request.model_spec.signature_name, inputs, list(request.output_filter)
            )
            response = predict_pb2.PredictResponse()
            response.model_spec.name = model.name
            response.model_spec.version.value = version.version
            response.model_spec.signature_name = request.model_spec.signature_name or DEFAULT_SIGNATURE
            for alias, value in outputs.items():
                response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
            return response
        except ServingError as exc:
            status = exc.code.name
            context.abort(exc.code, str(exc))
        except Exception as exc:  # decoding failures of malformed tensors and the like
            status = "INVALID_ARGUMENT"
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc).splitlines()[0] if str(exc) else repr(exc))
        finally:
            self.server.metrics.count(":tensorflow:serving:request_count", model_name=name, status=status)
            self.server.metrics.request_latency.labels(name, "predict", "GRPC").observe(
                (time.perf_counter() - start) * 1e6
            )

    def GetModelMetadata(self, request, context):
        try:
            model, version = self.server.resolve(request.model_spec)
            unsupported = [f for f in request.metadata_field if f != "signature_def"]
            if unsupported or not request.metadata_field:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Metadata field {unsupported[0] if unsupported else ''} is not supported",
                )
            return metadata_response(model, version)
        except ServingError as exc:
            context.abort(exc.code, str(exc))


def metadata_response(model: ServedModel, version: LoadedVersion) -> get_model_metadata_pb2.GetModelMetadataResponse:
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in version.signature_defs.items():
        sig_map.signature_def[key].CopyFrom(sig)
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = model.name
    response.model_spec.version.value = version.version
    response.metadata["signature_def"].Pack(sig_map)
    return response


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, server: ModelServer) -> None:
        self.server = server

    def GetModelStatus(self, request, context):
        spec = request.model_spec
        choice = spec.WhichOneof("version_choice")
        try:
            statuses = self.server.status(
                spec.name,
                spec.version.value if choice == "version" else None,
                spec.version_label if choice == "version_label" else None,
            )
        except ServingError as exc:
            context.abort(exc.code, str(exc))
        response = get_model_status_pb2.GetModelStatusResponse()
        for version, _ in statuses:
            entry = response.model_version_status.add()
            entry.version = version
            entry.state = AVAILABLE
        return response


# --- REST -------------------------------------------------------------------------------------------


def make_http_handler(server: ModelServer, metrics_path: str | None):
    path_re = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+)|/labels/([^/:]+))?(/metadata|:predict)?$")

    class Handler(BaseHTTPRequestHandler):
        server_version = "TFServingStandIn/1"

        def log_message(self, fmt: str, *args: Any) -> None:
            LOG.debug("rest: " + fmt, *args)

        def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, message: str) -> None:
            self._send(code, json.dumps({"error": message}).encode())

        def _spec(self, match: re.Match) -> Any:
            spec = predict_pb2.PredictRequest().model_spec
            spec.name = match.group(1)
            if match.group(2):
                spec.version.value = int(match.group(2))
            elif match.group(3):
                spec.version_label = match.group(3)
            return spec

        def do_GET(self) -> None:
            if metrics_path and self.path.split("?")[0] == metrics_path:
                self._send(200, server.metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8")
                return
            match = path_re.match(self.path)
            if not match or match.group(4) == ":predict":
                self._error(404, "Malformed request: GET " + self.path)
                return
            try:
                if match.group(4) == "/metadata":
                    model, version = server.resolve(self._spec(match))
                    body = json_format.MessageToDict(metadata_response(model, version))
                else:
                    statuses = server.status(
                        match.group(1), int(match.group(2)) if match.group(2) else None, match.group(3)
                    )
                    body = {
                        "model_version_status": [
                            {"version": str(v), "state": state, "status": {"error_code": "OK", "error_message": ""}}
                            for v, state in statuses
                        ]
                    }
            except ServingError as exc:
                self._error(404 if exc.code == grpc.StatusCode.NOT_FOUND else 400, str(exc))
                return
            self._send(200, json.dumps(body, indent=1).encode())

        def do_POST(self) -> None:
            match = path_re.match(self.path)
            start = time.perf_counter()
            if not match or match.group(4) != ":predict":
                self._error(404, "Malformed request: POST " + self.path)
                return
            status = "OK"
            try:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                model, version = server.resolve(self._spec(match))
                fn = version.loaded.signatures[payload.get("signature_name") or DEFAULT_SIGNATURE]
                specs = fn.structured_input_signature[1]
                if "instances" in payload:
                    alias = next(iter(specs))
                    inputs = {alias: np.asarray(payload["instances"], dtype=specs[alias].dtype.as_numpy_dtype)}
                else:
                    raw = payload.get("inputs", {})
                    raw = raw if isinstance(raw, dict) else {next(iter(specs)): raw}
                    inputs = {
                        k: np.asarray(v, dtype=specs[k].dtype.as_numpy_dtype) for k, v in raw.items() if k in specs
                    }
                outputs = server.predict(model.name, version, payload.get("signature_name", ""), inputs, [])
                key = "predictions" if "instances" in payload else "outputs"
                value = (
                    next(iter(outputs.values())).tolist()
                    if len(outputs) == 1
                    else {k: v.tolist() for k, v in outputs.items()}
                )
                self._send(200, json.dumps({key: value}).encode())
            except ServingError as exc:
                status = exc.code.name
                self._error(404 if exc.code == grpc.StatusCode.NOT_FOUND else 400, str(exc))
            except (ValueError, KeyError, TypeError) as exc:
                status = "INVALID_ARGUMENT"
                self._error(400, str(exc))
            finally:
                server.metrics.count(":tensorflow:serving:request_count", model_name=match.group(1), status=status)
                server.metrics.request_latency.labels(match.group(1), "predict", "REST").observe(
                    (time.perf_counter() - start) * 1e6
                )

    return Handler


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8500, help="gRPC port")
    p.add_argument("--rest_api_port", type=int, default=8501, help="REST and metrics port (0 = none)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    p.add_argument("--model_config_file")
    p.add_argument("--model_name", default="default")
    p.add_argument("--model_base_path")
    p.add_argument("--models_root", default=str(MODELS_DIR), help="where /models/... base paths live here")
    p.add_argument("--enable_batching", action="store_true")
    p.add_argument("--batching_parameters_file")
    p.add_argument("--monitoring_config_file")
    p.add_argument("--grpc_max_threads", type=int, default=8)
    p.add_argument(
        "--max_concurrent_rpcs", type=int, default=64, help="further concurrent RPCs get RESOURCE_EXHAUSTED (overload)"
    )
    p.add_argument("--tensorflow_intra_op_parallelism", type=int, default=0)
    p.add_argument("--tensorflow_inter_op_parallelism", type=int, default=0)
    return p.parse_args(argv)


def serve(args: argparse.Namespace, ready: threading.Event | None = None, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set)."""
    if args.tensorflow_intra_op_parallelism:
        tf.config.threading.set_intra_op_parallelism_threads(args.tensorflow_intra_op_parallelism)
    if args.tensorflow_inter_op_parallelism:
        tf.config.threading.set_inter_op_parallelism_threads(args.tensorflow_inter_op_parallelism)
    metrics = Metrics()
    model_server = ModelServer(
        load_model_config(args),
        Path(args.models_root),
        parse_batching(args.batching_parameters_file, args.enable_batching),
        metrics,
    )
    grpc_server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.grpc_max_threads),
        maximum_concurrent_rpcs=args.max_concurrent_rpcs,
        options=[
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(model_server), grpc_server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(model_server), grpc_server)
    bound = grpc_server.add_insecure_port(f"{args.host}:{args.port}")
    if bound == 0:
        raise SystemExit(f"cannot bind gRPC port {args.host}:{args.port}")
    grpc_server.start()
    LOG.info("Running gRPC ModelServer at %s:%d ...", args.host, bound)
    http = None
    if args.rest_api_port:
        http = ThreadingHTTPServer(
            (args.host, args.rest_api_port),
            make_http_handler(model_server, parse_monitoring(args.monitoring_config_file)),
        )
        http.daemon_threads = True
        threading.Thread(target=http.serve_forever, name="rest", daemon=True).start()
        LOG.info("Exporting HTTP/REST API at:%s:%d ...", args.host, args.rest_api_port)
    done = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
    if ready is not None:
        ready.set()
    done.wait()
    LOG.info("shutting down")
    if http is not None:
        http.shutdown()
        http.server_close()
    grpc_server.stop(grace=2).wait()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(parse_args(argv))
    return 0
