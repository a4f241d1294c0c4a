"""The one error type of the stand-in: a gRPC status and message, as TF Serving would answer."""

from __future__ import annotations

import grpc


class ServingError(Exception):
    """An error with the gRPC status TF Serving would return (and its REST equivalent)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def http_status(self) -> int:
        """TF Serving's REST API answers 404 for what gRPC calls NOT_FOUND and 400 for the rest."""
        return 404 if self.code == grpc.StatusCode.NOT_FOUND else 400
