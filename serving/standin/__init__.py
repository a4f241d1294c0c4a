"""A TF Serving stand-in: the real gRPC API and Prometheus endpoint, served from SavedModels in Python.

    .venv-serving/bin/python -m serving.standin --port=8500 --rest_api_port=8501 \
        --model_config_file=serving/models/models.config --enable_batching \
        --batching_parameters_file=serving/models/batching.config \
        --monitoring_config_file=serving/models/monitoring.config

For machines without Docker and without a `tensorflow_model_server` binary. It takes the same flags
and config files as tensorflow_model_server and speaks the same protocol through the OFFICIAL
`tensorflow-serving-api` stubs: PredictionService/Predict and GetModelMetadata, ModelService/
GetModelStatus, plus REST GET /v1/models/<name>[/versions/<v>|/labels/<l>][/metadata],
POST /v1/models/<name>:predict, and TF Serving's monitoring series at the Prometheus path. Base paths
under /models/ that do not exist here are mapped to --models_root (default: serving/models).
It binds 127.0.0.1 only. Differences from the real server: no file-system polling or config reload,
and --enable_batching only enforces max_batch_size (requests are not merged).
"""

import os

# Before any module of the package imports TensorFlow: its C++ start-up chatter would fill the log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
