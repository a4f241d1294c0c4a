"""Sound classification through TensorFlow Serving's gRPC Predict API, without TensorFlow.

Pipeline: 16 kHz mono samples -> one-second windows (configurable hop, last partial window
zero-padded) -> batched PredictRequests (raw float32 `tensor_content`) -> class probabilities per
window -> file-level class, confidence, scores, model name/version and merged time segments.

The gRPC stubs come from the project's own minimal predict.proto (see `tfserving_proto`), loaded
lazily: windowing, request building and aggregation work without them being generated.

Errors: `ServingUnavailableError` (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED after
the retries: route to retry), `ServingRequestError` (the server rejected the request: unknown model,
bad input, message too large), `ServingResponseError` (the answer is unusable: route to failure).
"""

from __future__ import annotations

import functools
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audio_pipeline import attributes
from audio_pipeline.errors import (
    EmptyInputError,
    NonFiniteSamplesError,
    ServingMessageTooLargeError,
    ServingRequestError,
    ServingResponseError,
    ServingUnavailableError,
)

SAMPLE_RATE = 16_000
CLASS_NAMES: tuple[str, ...] = ("speech", "music", "noise", "tone", "silence")
SILENCE_LABEL = "silence"
DEFAULT_TARGET = "127.0.0.1:8500"
DEFAULT_MODEL_NAME = "audio_classifier"
DEFAULT_SIGNATURE = "serving_default"
INPUT_ALIAS = "waveform"
OUTPUT_ALIAS = "probabilities"

DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_HALF = 1, 2, 3, 9, 19
_DTYPES = {DT_FLOAT: "<f4", DT_DOUBLE: "<f8", DT_INT32: "<i4", DT_INT64: "<i8", DT_HALF: "<f2"}

# gRPC status names (grpc.StatusCode.X.name) that mean "try again later".
TRANSIENT_STATUSES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"})


@dataclass(frozen=True)
class Windowing:
    """How a file is cut into model inputs."""

    window_seconds: float = 1.0
    hop_seconds: float = 1.0
    sample_rate: int = SAMPLE_RATE

    @property
    def window_samples(self) -> int:
        return round(self.window_seconds * self.sample_rate)

    @property
    def hop_samples(self) -> int:
        return round(self.hop_seconds * self.sample_rate)


@dataclass(frozen=True)
class ClientConfig:
    """Where the model is served and how hard to try."""

    target: str = DEFAULT_TARGET
    model_name: str = DEFAULT_MODEL_NAME
    signature_name: str = DEFAULT_SIGNATURE
    version: int | None = None  # a version number, or
    version_label: str | None = None  # a label such as "stable"/"canary"; neither = latest
    input_alias: str = INPUT_ALIAS
    output_alias: str = OUTPUT_ALIAS
    class_names: tuple[str, ...] = CLASS_NAMES
    timeout_seconds: float = 10.0  # deadline of each attempt
    max_attempts: int = 3  # attempts per batch for transient errors (1 = no retry)
    backoff_initial_seconds: float = 0.2
    backoff_multiplier: float = 2.0
    backoff_max_seconds: float = 2.0
    max_batch_windows: int = 32  # windows per request (keep <= the server's max_batch_size)
    max_message_bytes: int = 16 * 1024 * 1024  # gRPC send/receive limit (the default 4 MiB is 64 windows)

    def __post_init__(self) -> None:
        if self.version is not None and self.version_label:
            raise ValueError("set either version or version_label, not both")
        if self.max_attempts < 1 or self.max_batch_windows < 1 or self.timeout_seconds <= 0:
            raise ValueError("max_attempts and max_batch_windows must be >= 1 and timeout_seconds > 0")
        request_bytes = self.max_batch_windows * SAMPLE_RATE * 4 + 4096
        if request_bytes > self.max_message_bytes:
            raise ValueError(
                f"max_batch_windows={self.max_batch_windows} needs {request_bytes} bytes per request, "
                f"above max_message_bytes={self.max_message_bytes}"
            )


@dataclass(frozen=True)
class Prediction:
    """Per-window class probabilities and the model that produced them."""

    probabilities: np.ndarray  # [windows, classes]
    model_name: str
    model_version: str


@dataclass(frozen=True)
class Segment:
    """A time range in seconds where consecutive windows agree on a class."""

    label: str
    start: float
    end: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.label,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True)
class ClassificationResult:
    """File-level outcome."""

    label: str
    confidence: float
    scores: dict[str, float]
    model_name: str
    model_version: str
    segments: list[Segment] = field(default_factory=list)
    window_count: int = 0
    duration_seconds: float = 0.0

    def to_attributes(self) -> dict[str, str]:
        """FlowFile attributes (names from attributes.py)."""
        return {
            attributes.CLASS: self.label,
            attributes.CLASS_CONFIDENCE: f"{self.confidence:.4f}",
            attributes.CLASS_SCORES: json.dumps(
                {k: round(v, 4) for k, v in self.scores.items()}, separators=(",", ":")
            ),
            attributes.CLASS_SEGMENTS: json.dumps([s.to_dict() for s in self.segments], separators=(",", ":")),
            attributes.MODEL_NAME: self.model_name,
            attributes.MODEL_VERSION: self.model_version,
            attributes.CLASS_BASIS: MODEL_BASIS,
        }


MODEL_BASIS, SPECTRUM_BASIS = attributes.CLASS_BASES


def out_of_band_attributes(label: str, duration_seconds: float) -> dict[str, str]:
    """The class attributes of a file whose content all lies above the analysis band: the decoder's
    measurement of the received spectrum names it ("tone" or "noise"), the model is not asked (it
    would hear silence), so there is no probability, model name or version."""
    segment = {"class": label, "start": 0.0, "end": round(max(duration_seconds, 0.0), 3)}
    return {
        attributes.CLASS: label,
        attributes.CLASS_CONFIDENCE: "",
        attributes.CLASS_SCORES: "{}",
        attributes.CLASS_SEGMENTS: json.dumps([segment], separators=(",", ":")),
        attributes.MODEL_NAME: "",
        attributes.MODEL_VERSION: "",
        attributes.CLASS_BASIS: SPECTRUM_BASIS,
    }


@dataclass(frozen=True)
class RetryReason:
    """Why a file waits on the retry route; empty once it is classified, which clears an earlier reason."""

    text: str = ""

    @classmethod
    def of(cls, error: ServingUnavailableError) -> RetryReason:
        return cls(f"{error.status}: {error.detail}"[:500])

    def to_attributes(self) -> dict[str, str]:
        return {attributes.RETRY_REASON: self.text}


# --- windowing --------------------------------------------------------------------------------------


def prepare_samples(samples: np.ndarray, sample_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 at `target_rate`: channels averaged ([frames, channels]), resampled if needed."""
    x = np.asarray(samples)
    if x.ndim == 2:
        x = x.mean(axis=1)
    elif x.ndim != 1:
        raise ValueError(f"expected [frames] or [frames, channels] samples, got shape {x.shape}")
    if x.size == 0:
        raise EmptyInputError("no audio samples to classify")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise NonFiniteSamplesError("audio contains NaN or infinite samples")
    if sample_rate != target_rate:
        import soxr

        x = soxr.resample(x, sample_rate, target_rate).astype(np.float32)
    return x


def window_starts(n_samples: int, windowing: Windowing) -> np.ndarray:
    """Start sample of every window: at least one; the last one may run past the end (zero-padded)."""
    win, hop = windowing.window_samples, windowing.hop_samples
    if win <= 0 or hop <= 0:
        raise ValueError("window and hop must be positive")
    if n_samples <= win:
        return np.zeros(1, dtype=np.int64)
    count = 1 + -(-(n_samples - win) // hop)  # ceil division
    return np.arange(count, dtype=np.int64) * hop


def make_windows(samples: np.ndarray, windowing: Windowing | None = None) -> np.ndarray:
    """[windows, window_samples] float32 frames of a mono signal, the last partial window zero-padded."""
    w = windowing or Windowing()
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("make_windows expects mono samples")
    if x.size == 0:
        raise EmptyInputError("no audio samples to classify")
    starts = window_starts(len(x), w)
    out = np.zeros((len(starts), w.window_samples), dtype=np.float32)
    for i, s in enumerate(starts):
        chunk = x[s : s + w.window_samples]
        out[i, : len(chunk)] = chunk
    return out


# --- protocol ---------------------------------------------------------------------------------------


@functools.cache
def _stubs():
    """The generated Predict stubs, loaded once per process: checking that they are current reads and
    hashes the .proto and looks up package versions (≈ 0.25 ms), too much for every request."""
    from audio_pipeline.tfserving_proto import load_stubs

    return load_stubs()


def build_predict_request(windows: np.ndarray, config: ClientConfig | None = None):
    """A PredictRequest carrying `windows` ([batch, samples] float32) as raw little-endian bytes."""
    cfg = config or ClientConfig()
    pb2, _ = _stubs()
    batch = np.ascontiguousarray(windows, dtype="<f4")
    if batch.ndim != 2:
        raise ValueError(f"windows must be [batch, samples], got shape {batch.shape}")
    request = pb2.PredictRequest()
    request.model_spec.name = cfg.model_name
    request.model_spec.signature_name = cfg.signature_name
    if cfg.version is not None:
        request.model_spec.version.value = int(cfg.version)
    elif cfg.version_label:
        request.model_spec.version_label = cfg.version_label
    tensor = request.inputs[cfg.input_alias]
    tensor.dtype = DT_FLOAT
    for size in batch.shape:
        tensor.tensor_shape.dim.add().size = int(size)
    tensor.tensor_content = batch.tobytes()
    request.output_filter.append(cfg.output_alias)
    return request


def tensor_to_array(tensor) -> np.ndarray:
    """Decode a TensorProto (tensor_content or typed value lists) to a float64 array of its shape."""
    dtype = int(tensor.dtype)
    if dtype not in _DTYPES:
        raise ServingResponseError(f"unsupported output dtype {dtype}")
    if tensor.tensor_shape.unknown_rank:
        raise ServingResponseError("output tensor has unknown rank")
    shape = tuple(int(d.size) for d in tensor.tensor_shape.dim)
    if any(s < 0 for s in shape):
        raise ServingResponseError(f"output tensor has an undefined dimension: {shape}")
    count = int(np.prod(shape)) if shape else 1
    if tensor.tensor_content:
        itemsize = np.dtype(_DTYPES[dtype]).itemsize
        if len(tensor.tensor_content) != count * itemsize:
            raise ServingResponseError(
                f"tensor_content has {len(tensor.tensor_content)} bytes, shape {shape} needs {count * itemsize}"
            )
        values = np.frombuffer(tensor.tensor_content, dtype=_DTYPES[dtype])
    else:
        if dtype == DT_FLOAT:
            values = np.asarray(tensor.float_val, dtype=np.float32)
        elif dtype == DT_DOUBLE:
            values = np.asarray(tensor.double_val, dtype=np.float64)
        elif dtype == DT_HALF:
            values = np.asarray(tensor.half_val, dtype=np.uint16).view(np.float16)
        elif dtype == DT_INT32:
            values = np.asarray(tensor.int_val, dtype=np.int32)
        else:
            values = np.asarray(tensor.int64_val, dtype=np.int64)
        if len(values) == 1 and count > 1:  # TF's compact encoding of a constant tensor
            values = np.full(count, values[0])
        if len(values) != count:
            raise ServingResponseError(f"output has {len(values)} values, shape {shape} needs {count}")
    return values.astype(np.float64).reshape(shape)


def parse_predict_response(response, n_windows: int, config: ClientConfig | None = None) -> Prediction:
    """Validate a PredictResponse: the output alias exists, is [n_windows, classes], finite, in [0, 1]."""
    cfg = config or ClientConfig()
    if cfg.output_alias not in response.outputs:
        raise ServingResponseError(f"response has no output {cfg.output_alias!r} (outputs: {sorted(response.outputs)})")
    probs = tensor_to_array(response.outputs[cfg.output_alias])
    expected = (n_windows, len(cfg.class_names))
    if probs.shape != expected:
        raise ServingResponseError(f"output {cfg.output_alias!r} has shape {probs.shape}, expected {expected}")
    if not np.all(np.isfinite(probs)) or np.any(probs < -1e-4) or np.any(probs > 1 + 1e-4):
        raise ServingResponseError("output probabilities are not finite values in [0, 1]")
    spec = response.model_spec
    name = spec.name or cfg.model_name
    if spec.HasField("version"):
        version = str(spec.version.value)
    elif spec.version_label:
        version = spec.version_label
    elif cfg.version is not None:
        version = str(cfg.version)
    else:
        version = ""
    return Prediction(np.clip(probs, 0.0, 1.0), name, version)


# --- client -----------------------------------------------------------------------------------------


def _status_name(error: Exception) -> str:
    code = getattr(error, "code", None)
    try:
        return code().name if callable(code) else "UNKNOWN"
    except Exception:  # a non-gRPC error that happens to have .code
        return "UNKNOWN"


def _details(error: Exception) -> str:
    details = getattr(error, "details", None)
    try:
        return str(details()) if callable(details) else str(error)
    except Exception:
        return str(error)


class ServingClient:
    """Predict client with one reused channel, per-attempt deadlines and bounded exponential backoff."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        channel: Any | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import grpc

        self.config = config or ClientConfig()
        self._grpc = grpc
        self._own_channel = channel is None
        limit = self.config.max_message_bytes
        self._channel = channel or grpc.insecure_channel(
            self.config.target,
            options=[
                ("grpc.max_send_message_length", limit),
                ("grpc.max_receive_message_length", limit),
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.enable_retries", 0),  # retries are ours, bounded and logged
            ],
        )
        _, pb2_grpc = _stubs()
        self._stub = pb2_grpc.PredictionServiceStub(self._channel)
        self._sleep = sleep
        self._lock = threading.Lock()
        self.attempts = 0  # total RPC attempts (for tests and metrics)

    def __enter__(self) -> ServingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel if this client created it."""
        if self._own_channel:
            self._channel.close()

    def predict(self, windows: np.ndarray) -> Prediction:
        """Class probabilities for every window, sent in batches of at most `max_batch_windows`."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim != 2 or len(windows) == 0:
            raise ValueError(f"windows must be a non-empty [batch, samples] array, got shape {windows.shape}")
        parts: list[Prediction] = []
        step = self.config.max_batch_windows
        for i in range(0, len(windows), step):
            parts.append(self._predict_batch(windows[i : i + step]))
        first = parts[0]
        versions = {p.model_version for p in parts}
        version = first.model_version if len(versions) == 1 else ",".join(sorted(versions))  # a swap mid-file
        return Prediction(np.concatenate([p.probabilities for p in parts]), first.model_name, version)

    def _predict_batch(self, batch: np.ndarray) -> Prediction:
        cfg = self.config
        request = build_predict_request(batch, cfg)
        delay = cfg.backoff_initial_seconds
        last_error = ""
        for attempt in range(1, cfg.max_attempts + 1):
            with self._lock:
                self.attempts += 1
            try:
                response = self._stub.Predict(request, timeout=cfg.timeout_seconds)
            except self._grpc.RpcError as error:
                status, details = _status_name(error), _details(error)
                last_error = f"{status}: {details}"
                if status == "RESOURCE_EXHAUSTED" and "larger than max" in details:
                    raise ServingMessageTooLargeError(f"message size limit exceeded: {details}") from error
                if status not in TRANSIENT_STATUSES:
                    raise ServingRequestError(f"TF Serving rejected the request ({status}): {details}") from error
                if attempt < cfg.max_attempts:
                    self._sleep(min(cfg.backoff_max_seconds, delay) * random.uniform(0.8, 1.2))
                    delay *= cfg.backoff_multiplier
                    continue
                raise ServingUnavailableError(
                    f"TF Serving at {cfg.target} unavailable after {attempt} attempt(s): {last_error}", status=status
                ) from error
            return parse_predict_response(response, len(batch), cfg)
        raise AssertionError("unreachable")  # pragma: no cover


# --- aggregation ------------------------------------------------------------------------------------


def aggregate(
    probabilities: np.ndarray,
    duration_seconds: float,
    windowing: Windowing | None = None,
    class_names: Sequence[str] = CLASS_NAMES,
    silence_majority: float = 0.9,
) -> tuple[str, float, dict[str, float], list[Segment]]:
    """File-level (label, confidence, scores, segments) from per-window probabilities.

    The file is silence only when at least `silence_majority` of the windows are; otherwise silent
    windows are left out and the class is the argmax of the mean probabilities of the others.
    `scores` are those mean probabilities (so `scores[label] == confidence`). Each window owns the
    time from its start to the next window's start (the last one to the end of the file); runs of
    windows with the same top class merge into one segment.
    """
    w = windowing or Windowing()
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] != len(class_names):
        raise ValueError(f"probabilities must be [windows>0, {len(class_names)}], got {probs.shape}")
    top = probs.argmax(axis=1)
    names = list(class_names)
    silent = top == names.index(SILENCE_LABEL) if SILENCE_LABEL in names else np.zeros(len(top), bool)
    use = np.ones(len(top), bool) if silent.mean() >= silence_majority or silent.all() else ~silent
    mean = probs[use].mean(axis=0)
    best = int(mean.argmax())
    scores = {name: float(mean[i]) for i, name in enumerate(names)}

    starts = np.arange(len(top)) * w.hop_seconds
    ends = np.append(starts[1:], max(float(duration_seconds), starts[-1]))
    segments: list[Segment] = []
    i = 0
    while i < len(top):
        j = i
        while j + 1 < len(top) and top[j + 1] == top[i]:
            j += 1
        conf = float(probs[i : j + 1, top[i]].mean())
        segments.append(Segment(names[top[i]], float(starts[i]), float(ends[j]), conf))
        i = j + 1
    return names[best], float(mean[best]), scores, segments


def classify(
    samples: np.ndarray,
    client: ServingClient,
    sample_rate: int = SAMPLE_RATE,
    windowing: Windowing | None = None,
    silence_majority: float = 0.9,
) -> ClassificationResult:
    """Classify a whole signal: window it, predict through TF Serving, aggregate to the file level."""
    w = windowing or Windowing()
    x = prepare_samples(samples, sample_rate, w.sample_rate)
    windows = make_windows(x, w)
    prediction = client.predict(windows)
    duration = len(x) / w.sample_rate
    label, confidence, scores, segments = aggregate(
        prediction.probabilities, duration, w, client.config.class_names, silence_majority
    )
    return ClassificationResult(
        label, confidence, scores, prediction.model_name, prediction.model_version, segments, len(windows), duration
    )
