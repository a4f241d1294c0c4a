"""Project-written TF Serving Predict protocol (predict.proto) and its gRPC stubs, generated on demand.

The generated modules (`predict_pb2.py`, `predict_pb2_grpc.py`) are git-ignored: `ensure_stubs()`
(called by setup, importable anywhere) regenerates them with grpcio-tools when they are missing or
stale, i.e. when the .proto, the grpcio-tools version or the protobuf runtime major version changed.
`load_stubs()` imports them, generating first if needed and possible.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
PROTO_FILE = PACKAGE_DIR / "predict.proto"
STAMP_FILE = PACKAGE_DIR / ".stubs-stamp"
GENERATED = ("predict_pb2.py", "predict_pb2_grpc.py")
# predict.proto is compiled relative to the directory that holds the `audio_pipeline` package, so the
# generated gRPC module imports `audio_pipeline.tfserving_proto.predict_pb2`.
IMPORT_ROOT = PACKAGE_DIR.parents[1]


class StubsUnavailableError(ImportError):
    """The stubs are not generated and cannot be generated here (grpcio-tools missing)."""


def _stamp() -> str:
    import google.protobuf

    parts = [
        hashlib.sha256(PROTO_FILE.read_bytes()).hexdigest(),
        f"protobuf-{google.protobuf.__version__.split('.')[0]}",
    ]
    try:
        from importlib.metadata import version

        parts.append(f"grpcio-tools-{version('grpcio-tools')}")
    except Exception:  # grpcio-tools absent: the stamp then only checks the proto and runtime
        parts.append("grpcio-tools-absent")
    return " ".join(parts)


def stubs_current() -> bool:
    """True when both generated modules exist and were generated from the current .proto and runtime."""
    if not all((PACKAGE_DIR / name).is_file() for name in GENERATED) or not STAMP_FILE.is_file():
        return False
    recorded = STAMP_FILE.read_text().split()
    wanted = _stamp().split()
    # A missing grpcio-tools (runtime-only environments) does not make existing stubs stale.
    if wanted[-1] == "grpcio-tools-absent":
        return recorded[:2] == wanted[:2]
    return recorded == wanted


def ensure_stubs(force: bool = False) -> bool:
    """Generate the stubs if missing or stale; return True when they were (re)generated."""
    if not force and stubs_current():
        return False
    try:
        from grpc_tools import protoc
    except ImportError as exc:
        raise StubsUnavailableError(
            "TF Serving client stubs are not generated and grpcio-tools is not installed: "
            "run setup (or `pip install -r requirements/build.txt`) and call ensure_stubs()"
        ) from exc
    import fcntl
    import importlib.resources

    with open(PACKAGE_DIR / ".stubs-lock", "w") as lock:  # processes starting together generate once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and stubs_current():
            return False
        _generate(protoc, str(importlib.resources.files("grpc_tools") / "_proto"))
    for name in ("predict_pb2", "predict_pb2_grpc"):
        sys.modules.pop(f"{__name__}.{name}", None)
    return True


def _generate(protoc: ModuleType, well_known: str) -> None:
    """Run protoc (from grpcio-tools) on predict.proto and record the stamp."""
    rel = PROTO_FILE.relative_to(IMPORT_ROOT)
    args = [
        "grpc_tools.protoc",
        f"-I{IMPORT_ROOT}",
        f"-I{well_known}",
        f"--python_out={IMPORT_ROOT}",
        f"--grpc_python_out={IMPORT_ROOT}",
        str(rel),
    ]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code} for {PROTO_FILE}")
    STAMP_FILE.write_text(_stamp() + "\n")


def load_stubs() -> tuple[ModuleType, ModuleType]:
    """Import (predict_pb2, predict_pb2_grpc), generating them first when needed and possible."""
    if not stubs_current():
        try:
            ensure_stubs()
        except StubsUnavailableError:
            if not all((PACKAGE_DIR / name).is_file() for name in GENERATED):
                raise
    pb2 = importlib.import_module(f"{__name__}.predict_pb2")
    pb2_grpc = importlib.import_module(f"{__name__}.predict_pb2_grpc")
    return pb2, pb2_grpc


if __name__ == "__main__":
    print("generated" if ensure_stubs(force="--force" in sys.argv) else "up to date")
