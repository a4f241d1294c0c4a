"""ServingError's REST status (serving.standin.errors): TF Serving's mapping of gRPC codes."""

from __future__ import annotations

import grpc
import pytest

from serving.standin.errors import ServingError


@pytest.mark.parametrize(
    ("code", "http_status"),
    [
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 400),
    ],
)
def test_http_status(code: grpc.StatusCode, http_status: int) -> None:
    error = ServingError(code, "message")
    assert (error.code, error.http_status, str(error)) == (code, http_status, "message")
