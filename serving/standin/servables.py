"""The served models: SavedModel versions loaded by the config's version policy, and what both APIs ask of them.

TF Serving calls a loaded model version a servable. `ModelServer` resolves a request's model spec
(latest, a version, a label), validates and runs Predict, and reports status and metadata; the
gRPC servicers and the REST handler only translate their wire formats to and from these calls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from serving.standin.config import Batching, resolve_base_path
from serving.standin.errors import ServingError
from serving.standin.monitoring import Monitoring

LOG = logging.getLogger("standin")
DEFAULT_SIGNATURE = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY  # when a request names none
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


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


def wanted_versions(policy: Any, available: list[int]) -> list[int]:
    """The versions a ModelVersionPolicy serves out of those on disk (default: the latest one)."""
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return available
    if choice == "specific":
        return sorted(v for v in policy.specific.versions if v in available)
    n = policy.latest.num_versions if choice == "latest" else 1
    return available[-max(1, n) :]


def metadata_response(model: ServedModel, version: LoadedVersion) -> get_model_metadata_pb2.GetModelMetadataResponse:
    """GetModelMetadata's answer: the version's signature defs, packed as TF Serving packs them."""
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in version.signature_defs.items():
        sig_map.signature_def[key].CopyFrom(sig)
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = model.name
    response.model_spec.version.value = version.version
    response.metadata["signature_def"].Pack(sig_map)
    return response


class ModelServer:
    """Loaded models, request resolution and the Predict/metadata/status logic shared by gRPC and REST."""

    def __init__(self, config: Any, models_root: Path, batching: Batching, monitoring: Monitoring) -> None:
        self.models: dict[str, ServedModel] = {}
        self.batching = batching
        self.monitoring = monitoring
        for entry in config.model_config_list.config:
            self.models[entry.name] = self._load(entry, models_root)

    def _load(self, entry: Any, models_root: Path) -> ServedModel:
        base = resolve_base_path(entry.base_path, models_root)
        available = (
            sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) if base.is_dir() else []
        )
        model = ServedModel(entry.name)
        for version in wanted_versions(entry.model_version_policy, available):
            path = base / str(version)
            try:
                loaded = tf.saved_model.load(str(path))
                sm = saved_model_pb2.SavedModel()
                sm.ParseFromString((path / "saved_model.pb").read_bytes())
                sig_defs = dict(sm.meta_graphs[0].signature_def)
                self.monitoring.record_load(str(path), succeeded=True)
            except Exception as exc:
                self.monitoring.record_load(str(path), succeeded=False)
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
        """The model and version a ModelSpec asks for: a version, a label, or else the latest."""
        model = self.models.get(spec.name)
        if model is None or not model.versions:
            raise ServingError(NOT_FOUND, f"Servable not found for request: Latest({spec.name})")
        choice = spec.WhichOneof("version_choice")
        if choice == "version":
            found = model.versions.get(spec.version.value)
            if found is None:
                raise ServingError(
                    NOT_FOUND, f"Servable not found for request: Specific({spec.name}, {spec.version.value})"
                )
            return model, found
        if choice == "version_label":
            if spec.version_label not in model.labels:
                raise ServingError(INVALID_ARGUMENT, f"Unrecognized servable version label: {spec.version_label}")
            return model, model.versions[model.labels[spec.version_label]]
        return model, model.versions[max(model.versions)]

    def _input_tensors(self, specs: dict[str, Any], inputs: dict[str, np.ndarray]) -> dict[str, tf.Tensor]:
        """The inputs as tensors, refused as TF Serving refuses them (aliases, dtype, shape, batch size)."""
        missing = sorted(set(specs) - set(inputs))
        extra = sorted(set(inputs) - set(specs))
        if missing or extra:
            raise ServingError(INVALID_ARGUMENT, f"input tensor alias mismatch: missing {missing}, unexpected {extra}")
        tensors = {}
        for alias, value in inputs.items():
            spec = specs[alias]
            if value.dtype != spec.dtype.as_numpy_dtype:
                raise ServingError(
                    INVALID_ARGUMENT, f"Expects arg[0] to be {spec.dtype.name} but {value.dtype} is provided"
                )
            if not spec.shape.is_compatible_with(value.shape):
                raise ServingError(
                    INVALID_ARGUMENT, f"input {alias!r} has shape {list(value.shape)}, signature expects {spec.shape}"
                )
            if self.batching.enabled and value.ndim and value.shape[0] > self.batching.max_batch_size:
                raise ServingError(
                    INVALID_ARGUMENT,
                    f"Task size {value.shape[0]} is larger than maximum input batch size "
                    f"{self.batching.max_batch_size}",
                )
            tensors[alias] = tf.constant(value)
        return tensors

    def predict(
        self,
        name: str,
        version: LoadedVersion,
        signature_name: str,
        inputs: dict[str, np.ndarray],
        output_filter: list[str],
    ) -> dict[str, np.ndarray]:
        """Run a signature (the default one when `signature_name` is empty) and return its outputs."""
        sig_name = signature_name or DEFAULT_SIGNATURE
        if sig_name not in version.loaded.signatures:
            raise ServingError(INVALID_ARGUMENT, f'Serving signature name: "{sig_name}" not found in signature def')
        fn = version.loaded.signatures[sig_name]
        tensors = self._input_tensors(fn.structured_input_signature[1], inputs)
        if self.batching.enabled:
            first = next(iter(inputs.values()))
            self.monitoring.record_batch_size(name, first.shape[0] if first.ndim else 1)
        start = time.perf_counter()
        try:
            outputs = fn(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as exc:
            raise ServingError(INVALID_ARGUMENT, str(exc).splitlines()[0]) from exc
        self.monitoring.record_runtime(name, start)
        if output_filter:
            unknown = sorted(set(output_filter) - set(outputs))
            if unknown:
                raise ServingError(INVALID_ARGUMENT, f"output tensor alias not found in signature: {unknown}")
            outputs = {k: v for k, v in outputs.items() if k in output_filter}
        return {k: v.numpy() for k, v in outputs.items()}

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list[tuple[int, str]]:
        """(version, state) of the versions asked for: one version, a label's, or all, newest first."""
        model = self.models.get(name)
        if model is None or not model.versions:
            raise ServingError(NOT_FOUND, f"Could not find any versions of model {name}")
        if label:
            if label not in model.labels:
                raise ServingError(INVALID_ARGUMENT, f"Unrecognized servable version label: {label}")
            version = model.labels[label]
        if version is not None:
            if version not in model.versions:
                raise ServingError(NOT_FOUND, f"Could not find version {version} of model {name}")
            return [(version, "AVAILABLE")]
        return [(v, "AVAILABLE") for v in sorted(model.versions, reverse=True)]
