"""TF Serving's REST API: `/v1/models/...` status, metadata and `:predict`, and the monitoring path.

GET /v1/models/<name>[/versions/<v>|/labels/<l>][/metadata] and POST .../<name>[...]:predict with
the row ("instances" → "predictions") or columnar ("inputs" → "outputs") JSON format. Errors are
`{"error": message}` with 404 for NOT_FOUND and 400 otherwise. The Prometheus exposition is served
at the path of --monitoring_config_file, when monitoring is on.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
from google.protobuf import json_format
from tensorflow_serving.apis import predict_pb2

from serving.standin.errors import ServingError
from serving.standin.monitoring import EXPOSITION_CONTENT_TYPE
from serving.standin.servables import DEFAULT_SIGNATURE, ModelServer, metadata_response

LOG = logging.getLogger("standin")
MODEL_PATH = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+)|/labels/([^/:]+))?(/metadata|:predict)?$")


def model_spec(match: re.Match) -> Any:
    """The ModelSpec a /v1/models/ path names."""
    spec = predict_pb2.PredictRequest().model_spec
    spec.name = match.group(1)
    if match.group(2):
        spec.version.value = int(match.group(2))
    elif match.group(3):
        spec.version_label = match.group(3)
    return spec


def status_body(statuses: list[tuple[int, str]]) -> dict:
    return {
        "model_version_status": [
            {"version": str(v), "state": state, "status": {"error_code": "OK", "error_message": ""}}
            for v, state in statuses
        ]
    }


def predict_inputs(payload: dict, specs: dict[str, Any]) -> dict[str, np.ndarray]:
    """A :predict body's tensors: "instances" (row format) or "inputs" (columnar; a bare value is the only input)."""
    if "instances" in payload:
        alias = next(iter(specs))
        return {alias: np.asarray(payload["instances"], dtype=specs[alias].dtype.as_numpy_dtype)}
    raw = payload.get("inputs", {})
    raw = raw if isinstance(raw, dict) else {next(iter(specs)): raw}
    return {k: np.asarray(v, dtype=specs[k].dtype.as_numpy_dtype) for k, v in raw.items() if k in specs}


def predict_body(payload: dict, outputs: dict[str, np.ndarray]) -> dict:
    """The answer in the request's format; a single output is given bare, several by alias."""
    key = "predictions" if "instances" in payload else "outputs"
    value = next(iter(outputs.values())).tolist() if len(outputs) == 1 else {k: v.tolist() for k, v in outputs.items()}
    return {key: value}


class RestHandler(BaseHTTPRequestHandler):
    """Bound to a model server by `make_http_handler`."""

    server_version = "TFServingStandIn/1"
    model_server: ClassVar[ModelServer]
    prometheus_path: ClassVar[str | None]

    def log_message(self, fmt: str, *args: Any) -> None:
        LOG.debug("rest: " + fmt, *args)

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code: int, message: str) -> None:
        self._send(code, error_body(message))

    def do_GET(self) -> None:
        if self.prometheus_path and self.path.split("?")[0] == self.prometheus_path:
            self._send(200, self.model_server.monitoring.exposition(), EXPOSITION_CONTENT_TYPE)
            return
        match = MODEL_PATH.match(self.path)
        if not match or match.group(4) == ":predict":
            self._error(404, "Malformed request: GET " + self.path)
            return
        try:
            if match.group(4) == "/metadata":
                model, version = self.model_server.resolve(model_spec(match))
                body = json_format.MessageToDict(metadata_response(model, version))
            else:
                version_number = int(match.group(2)) if match.group(2) else None
                body = status_body(self.model_server.status(match.group(1), version_number, match.group(3)))
        except ServingError as exc:
            self._error(exc.http_status, str(exc))
            return
        self._send(200, json.dumps(body, indent=1).encode())

    def do_POST(self) -> None:
        match = MODEL_PATH.match(self.path)
        start = time.perf_counter()
        if not match or match.group(4) != ":predict":
            self._error(404, "Malformed request: POST " + self.path)
            return
        status = "OK"
        try:
            payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            model, version = self.model_server.resolve(model_spec(match))
            fn = version.loaded.signatures[payload.get("signature_name") or DEFAULT_SIGNATURE]
            inputs = predict_inputs(payload, fn.structured_input_signature[1])
            outputs = self.model_server.predict(model.name, version, payload.get("signature_name", ""), inputs, [])
            code, body = 200, json.dumps(predict_body(payload, outputs)).encode()
        except ServingError as exc:
            status = exc.code.name
            code, body = exc.http_status, error_body(str(exc))
        except (ValueError, KeyError, TypeError) as exc:
            status = "INVALID_ARGUMENT"
            code, body = 400, error_body(str(exc))
        # Counted before the answer leaves (as the gRPC side is): a client that scrapes right after
        # its answer sees its own request, however busy the machine.
        self.model_server.monitoring.record_request(match.group(1), "REST", status, start)
        self._send(code, body)


def error_body(message: str) -> bytes:
    """TF Serving's REST error answer."""
    return json.dumps({"error": message}).encode()


def make_http_handler(model_server: ModelServer, prometheus_path: str | None) -> type[RestHandler]:
    """A handler class serving `model_server`, with the exposition at `prometheus_path` (None: not served)."""
    return type("BoundRestHandler", (RestHandler,), {"model_server": model_server, "prometheus_path": prometheus_path})


def start_rest_server(
    model_server: ModelServer, host: str, port: int, prometheus_path: str | None
) -> ThreadingHTTPServer:
    """Serve REST on host:port from a daemon thread; stop it with shutdown() and server_close()."""
    http = ThreadingHTTPServer((host, port), make_http_handler(model_server, prometheus_path))
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, name="rest", daemon=True).start()
    return http
