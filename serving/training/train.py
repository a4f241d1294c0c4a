"""Train the sound classifier on the synthetic dataset and export it for TF Serving.

    .venv-serving/bin/python -m serving.training.train [--seed N] [--scale 1.0] [--epochs 22] [--version 1]

Builds (or loads the cached) dataset, computes log-mel features with the same ops the exported
graph uses, trains the CNN with fixed seeds, exports serving/models/audio_classifier/<version>/
with a warm-up request file and training_metadata.json, and prints the held-out evaluation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np

from serving.model_contract import (
    CLASS_NAMES,
    INPUT_ALIAS,
    METADATA_FILENAME,
    MODEL_BASE_PATH,
    MODEL_NAME,
    MODEL_VERSION,
    OUTPUT_ALIAS,
    SAMPLE_RATE,
    SIGNATURE_NAME,
    WINDOW_SAMPLES,
)
from serving.training import dataset, debian_audio, evaluation_report

DEFAULT_SEED = 20240601


def _setup_tf(seed: int, threads: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def spec_augment(tf, feats, rng_seed: int):
    """Random frequency and time masks on normalised features (training only)."""

    def fn(x, y):
        f = tf.random.uniform([], 0, 9, dtype=tf.int32)
        f0 = tf.random.uniform([], 0, 64 - f + 1, dtype=tf.int32)
        t = tf.random.uniform([], 0, 13, dtype=tf.int32)
        t0 = tf.random.uniform([], 0, 98 - t + 1, dtype=tf.int32)
        fmask = tf.logical_or(tf.range(64) < f0, tf.range(64) >= f0 + f)
        tmask = tf.logical_or(tf.range(98) < t0, tf.range(98) >= t0 + t)
        keep = tf.cast(tf.logical_and(tmask[:, None], fmask[None, :]), x.dtype)[..., None]
        return x * keep, y  # normalised features: 0 is the mean level

    return fn


def train(args: argparse.Namespace) -> dict:
    t_start = time.time()
    data = dataset.load_or_build(args.seed, args.scale, args.workers, use_real=not args.no_real)
    t_data = time.time() - t_start
    print(json.dumps(dataset.describe(data)), flush=True)
    tf = _setup_tf(args.seed, args.threads)
    from serving.training import model as model_lib

    t0 = time.time()
    feats = model_lib.features_numpy(data["x"])
    train_mask = data["split"] == "train"
    test_mask = ~train_mask
    mean = float(feats[train_mask].mean())
    std = float(feats[train_mask].std())
    x_train = ((feats[train_mask] - mean) / std)[..., None]
    y_train = data["y"][train_mask]
    t_feat = time.time() - t0
    print(f"features {feats.shape} in {t_feat:.0f}s (mean {mean:.3f}, std {std:.3f})", flush=True)

    counts = np.bincount(y_train, minlength=len(CLASS_NAMES)).astype(np.float64)
    class_weight = {i: float(len(y_train) / (len(CLASS_NAMES) * max(c, 1))) for i, c in enumerate(counts)}
    ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(y_train), seed=args.seed, reshuffle_each_iteration=True)
        .map(spec_augment(tf, None, args.seed), num_parallel_calls=1, deterministic=True)
        .batch(args.batch)
        .prefetch(2)
    )
    steps = int(np.ceil(len(y_train) / args.batch)) * args.epochs
    schedule = tf.keras.optimizers.schedules.CosineDecay(args.lr, decay_steps=steps, alpha=0.02)
    clf = model_lib.build_classifier(width=args.width)
    clf.compile(
        optimizer=tf.keras.optimizers.Adam(schedule),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    t0 = time.time()
    history = clf.fit(ds, epochs=args.epochs, class_weight=class_weight, verbose=2)
    t_fit = time.time() - t0

    # Export a fresh copy with the trained weights: no optimizer state in the SavedModel.
    clean = model_lib.build_classifier(width=args.width)
    clean.set_weights(clf.get_weights())
    module = model_lib.ServingModule(clean, mean, std)
    version_dir = Path(args.base_path) / str(args.version)
    if version_dir.exists():
        shutil.rmtree(version_dir)
    model_lib.export(module, str(version_dir))
    loaded = tf.saved_model.load(str(version_dir))
    serve = loaded.signatures[SIGNATURE_NAME]
    probs = predict_windows(tf, serve, data["x"][test_mask])
    held_out = evaluation_report.summary(data["y"][test_mask], probs.argmax(axis=1))
    print(evaluation_report.render("held-out split (exported SavedModel)", held_out), flush=True)
    write_warmup(tf, version_dir, data["x"][test_mask][:1].astype(np.float32))

    size = sum(p.stat().st_size for p in version_dir.rglob("*") if p.is_file())
    metadata = {
        "model_name": MODEL_NAME,
        "version": args.version,
        "classes": list(CLASS_NAMES),
        "signature": {
            "name": SIGNATURE_NAME,
            "input": {"alias": INPUT_ALIAS, "dtype": "DT_FLOAT", "shape": [-1, WINDOW_SAMPLES]},
            "output": {"alias": OUTPUT_ALIAS, "dtype": "DT_FLOAT", "shape": [-1, len(CLASS_NAMES)]},
        },
        "input": {"sample_rate": SAMPLE_RATE, "window_samples": WINDOW_SAMPLES, "channels": 1, "range": "[-1, 1]"},
        "features": {
            "type": "log-mel",
            "frame_length": model_lib.FRAME_LENGTH,
            "frame_step": model_lib.FRAME_STEP,
            "fft_length": model_lib.FFT_LENGTH,
            "n_mels": model_lib.N_MELS,
            "mel_hz": [model_lib.MEL_LOW_HZ, model_lib.MEL_HIGH_HZ],
            "log_floor": model_lib.LOG_FLOOR,
            "normalisation": {"mean": mean, "std": std},
        },
        "architecture": {"type": "cnn", "width": args.width, "parameters": int(clf.count_params())},
        "training": {
            "seed": args.seed,
            "scale": args.scale,
            "epochs": args.epochs,
            "batch": args.batch,
            "lr": args.lr,
            "class_weight": class_weight,
            "final_loss": float(history.history["loss"][-1]),
            "final_train_accuracy": float(history.history["accuracy"][-1]),
            "seconds": {
                "dataset": round(t_data, 1),
                "features": round(t_feat, 1),
                "fit": round(t_fit, 1),
                "total": round(time.time() - t_start, 1),
            },
            "dataset_cached": bool(t_data < 60 and data["seconds"] > t_data),
            "dataset_build_seconds": round(float(data["seconds"]), 1),
        },
        "dataset": {
            **dataset.describe(data),
            "version": dataset.DATASET_VERSION,
            "test_split": "group-level (espeak language, MIDI piece, real file); "
            f"{dataset.TEST_PERCENT}% of groups by CRC32 of seed and group",
            "augmentations_applied": data["augmentations"],
            "real_training_packages": sorted(debian_audio.TRAIN_PACKAGES) if not args.no_real else [],
            "real_evaluation_packages": sorted(debian_audio.EVAL_PACKAGES),
        },
        "held_out": held_out,
        "size_bytes": size,
        "environment": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
    }
    (version_dir / "assets.extra").mkdir(exist_ok=True)
    (version_dir / "assets.extra" / METADATA_FILENAME).write_text(json.dumps(metadata, indent=2) + "\n")
    print(f"exported {version_dir} ({size / 1e6:.2f} MB) in {time.time() - t_start:.0f}s total", flush=True)
    return metadata


def predict_windows(tf, serve, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """Run the exported signature over windows (float16/32 array [n, 16000])."""
    out = []
    for i in range(0, len(x), batch):
        res = serve(**{INPUT_ALIAS: tf.constant(x[i : i + batch].astype(np.float32))})
        out.append(res[OUTPUT_ALIAS].numpy())
    return np.concatenate(out) if out else np.zeros((0, len(CLASS_NAMES)), np.float32)


def write_warmup(tf, version_dir: Path, windows: np.ndarray) -> None:
    """assets.extra/tf_serving_warmup_requests: PredictionLog records for --enable_model_warmup."""
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError:  # the serving API package is optional for training
        return
    path = version_dir / "assets.extra" / "tf_serving_warmup_requests"
    path.parent.mkdir(exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=MODEL_NAME, signature_name=SIGNATURE_NAME)
        )
        request.inputs[INPUT_ALIAS].CopyFrom(tf.make_tensor_proto(windows, dtype=tf.float32))
        log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
        writer.write(log.SerializeToString())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--scale", type=float, default=1.0, help="dataset size factor (1.0 = ~16k windows)")
    p.add_argument("--epochs", type=int, default=22)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=20)
    p.add_argument("--workers", type=int, default=2, help="processes for dataset synthesis")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    p.add_argument("--version", type=int, default=MODEL_VERSION)
    p.add_argument("--base-path", default=str(MODEL_BASE_PATH))
    p.add_argument("--no-real", action="store_true", help="synthetic data only (no Debian recordings)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
