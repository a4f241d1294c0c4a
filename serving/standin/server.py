"""The stand-in process: load the models, start gRPC and REST, run until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

import tensorflow as tf

from serving.standin.config import load_model_config, parse_args, parse_batching, parse_monitoring
from serving.standin.grpc_api import start_grpc_server
from serving.standin.monitoring import Monitoring
from serving.standin.rest_api import start_rest_server
from serving.standin.servables import ModelServer

LOG = logging.getLogger("standin")


def serve(args: argparse.Namespace, ready: threading.Event | None = None, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set); `ready` is set once both servers listen."""
    if args.tensorflow_intra_op_parallelism:
        tf.config.threading.set_intra_op_parallelism_threads(args.tensorflow_intra_op_parallelism)
    if args.tensorflow_inter_op_parallelism:
        tf.config.threading.set_inter_op_parallelism_threads(args.tensorflow_inter_op_parallelism)
    model_server = ModelServer(
        load_model_config(args),
        Path(args.models_root),
        parse_batching(args.batching_parameters_file, args.enable_batching),
        Monitoring(),
    )
    grpc_server, bound = start_grpc_server(
        model_server, args.host, args.port, args.grpc_max_threads, args.max_concurrent_rpcs
    )
    LOG.info("Running gRPC ModelServer at %s:%d ...", args.host, bound)
    http = None
    if args.rest_api_port:
        http = start_rest_server(
            model_server, args.host, args.rest_api_port, parse_monitoring(args.monitoring_config_file)
        )
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
