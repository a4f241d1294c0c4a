"""Names and shapes shared by training, export, evaluation and the stand-in server (TF-free)."""

from __future__ import annotations

from pathlib import Path

CLASS_NAMES: tuple[str, ...] = ("speech", "music", "noise", "tone", "silence")
SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 16_000  # one-second windows at 16 kHz

MODEL_NAME = "audio_classifier"
SIGNATURE_NAME = "serving_default"
INPUT_ALIAS = "waveform"
OUTPUT_ALIAS = "probabilities"
MODEL_VERSION = 1

SERVING_DIR = Path(__file__).resolve().parent
REPO_ROOT = SERVING_DIR.parent
MODELS_DIR = SERVING_DIR / "models"
MODEL_BASE_PATH = MODELS_DIR / MODEL_NAME
METADATA_FILENAME = "training_metadata.json"
BUILD_DIR = REPO_ROOT / "build" / "serving"

# Window levels (dBFS of the loudest 25 ms frame) that separate "silence" from everything else.
SILENCE_MAX_DB = -60.0
ACTIVE_MIN_DB = -50.0
