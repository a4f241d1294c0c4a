"""TF Serving's gRPC API on the official stubs: PredictionService (Predict, GetModelMetadata), ModelService.

The servicers translate protos to `ModelServer` calls and `ServingError`s to gRPC statuses; a
malformed tensor that fails to decode is INVALID_ARGUMENT, as in TF Serving.
"""

from __future__ import annotations

import time
from concurrent import futures

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.standin.errors import ServingError
from serving.standin.servables import DEFAULT_SIGNATURE, ModelServer, metadata_response

AVAILABLE = get_model_status_pb2.ModelVersionStatus.AVAILABLE
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, server: ModelServer) -> None:
        self.server = server

    def Predict(
        self, request: predict_pb2.PredictRequest, context: grpc.ServicerContext
    ) -> predict_pb2.PredictResponse:
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
            self.server.monitoring.record_request(name, "GRPC", status, start)

    def GetModelMetadata(
        self, request: get_model_metadata_pb2.GetModelMetadataRequest, context: grpc.ServicerContext
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
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


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, server: ModelServer) -> None:
        self.server = server

    def GetModelStatus(
        self, request: get_model_status_pb2.GetModelStatusRequest, context: grpc.ServicerContext
    ) -> get_model_status_pb2.GetModelStatusResponse:
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


def start_grpc_server(
    model_server: ModelServer, host: str, port: int, max_threads: int, max_concurrent_rpcs: int
) -> tuple[grpc.Server, int]:
    """Both services on host:port (0 picks a port); returns the started server and the bound port.

    Past `max_concurrent_rpcs` in flight, gRPC answers RESOURCE_EXHAUSTED: the client's overload signal.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_threads),
        maximum_concurrent_rpcs=max_concurrent_rpcs,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(model_server), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(model_server), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise SystemExit(f"cannot bind gRPC port {host}:{port}")
    server.start()
    return server, bound
