"""Evaluate the exported classifier: held-out split and real recordings from Debian packages.

    .venv-serving/bin/python -m serving.training.evaluate [--version 1] [--target 127.0.0.1:8500] [--update-metadata]

Held-out: window-level accuracy, per-class precision/recall and confusion matrix on the test groups
of the training dataset (rebuilt deterministically when not cached). Real recordings: every file of
the evaluation packages (disjoint from the training packages, none evaluation-reserved) classified
file-level with the pipeline's windowing and aggregation (1 s windows, the client's aggregate), per
class and per package. The files are read with the training data's reader (first 120 s, soxr to
16 kHz), not through DecodeAudio's 16-bit analysis form.
By default the SavedModel runs in-process; with --target the windows go through TF Serving's gRPC
API with the project's own client instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from serving.model_contract import (
    BUILD_DIR,
    CLASS_NAMES,
    INPUT_ALIAS,
    METADATA_FILENAME,
    MODEL_BASE_PATH,
    MODEL_VERSION,
    OUTPUT_ALIAS,
    REPO_ROOT,
    SIGNATURE_NAME,
)
from serving.training import dataset, debian_audio, evaluation_report
from serving.training.synth.dsp import read_audio

sys.path.insert(0, str(REPO_ROOT / "nifi" / "python-processors"))
from audio_pipeline import classification

MAX_FILE_SECONDS = 120.0


def local_predictor(version_dir: Path):
    """Run the SavedModel's serving signature in-process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    serve = tf.saved_model.load(str(version_dir)).signatures[SIGNATURE_NAME]

    def predict(windows: np.ndarray) -> np.ndarray:
        out = []
        for i in range(0, len(windows), 256):
            batch = tf.constant(np.asarray(windows[i : i + 256], dtype=np.float32))
            out.append(serve(**{INPUT_ALIAS: batch})[OUTPUT_ALIAS].numpy())
        return np.concatenate(out)

    return predict


def grpc_predictor(target: str):
    """Send windows through TF Serving (or the stand-in) with the project's client."""
    client = classification.ServingClient(classification.ClientConfig(target=target, timeout_seconds=60))
    return lambda windows: client.predict(np.asarray(windows, dtype=np.float32)).probabilities


def evaluate_held_out(predict, seed: int, scale: float, use_real: bool) -> dict:
    data = dataset.load_or_build(seed, scale, use_real=use_real)
    mask = data["split"] == "test"
    probs = predict(data["x"][mask])
    result = evaluation_report.summary(data["y"][mask], probs.argmax(axis=1))
    # Accuracy per source kind (synthetic generator or real file) for diagnosis.
    kinds = data["kind"][mask]
    result["accuracy_by_source"] = {
        str(k): round(float((probs.argmax(axis=1)[kinds == k] == data["y"][mask][kinds == k]).mean()), 4)
        for k in sorted(set(kinds.tolist()))
    }
    return result


def evaluate_real(predict) -> tuple[dict, list[dict]]:
    files = debian_audio.labelled_files(debian_audio.EVAL_PACKAGES, BUILD_DIR / "debian-audio")
    y_true, y_pred, rows = [], [], []
    for pkg, path, label in files:
        try:
            samples = read_audio(path, max_seconds=MAX_FILE_SECONDS)
            windows = classification.make_windows(samples)
        except Exception as exc:  # an unreadable file is reported, not fatal
            rows.append({"package": pkg, "file": path.name, "label": label, "error": str(exc)})
            continue
        probs = predict(windows)
        predicted, confidence, _scores, _ = classification.aggregate(probs, len(samples) / classification.SAMPLE_RATE)
        y_true.append(CLASS_NAMES.index(label))
        y_pred.append(CLASS_NAMES.index(predicted))
        rows.append(
            {
                "package": pkg,
                "file": str(path.relative_to(BUILD_DIR / "debian-audio" / pkg)),
                "label": label,
                "predicted": predicted,
                "confidence": round(confidence, 3),
                "seconds": round(len(samples) / classification.SAMPLE_RATE, 2),
            }
        )
    result = evaluation_report.summary(np.array(y_true), np.array(y_pred))
    per_pkg: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        if "predicted" in row:
            per_pkg[row["package"]][0] += row["predicted"] == row["label"]
            per_pkg[row["package"]][1] += 1
    result["by_package"] = {k: {"accuracy": round(c / n, 4), "files": n} for k, (c, n) in sorted(per_pkg.items())}
    result["packages"] = sorted(debian_audio.EVAL_PACKAGES)
    result["errors"] = sum("error" in r for r in rows)
    return result, rows


def main(argv: list[str] | None = None) -> None:
    from serving.training.train import DEFAULT_SEED

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", type=int, default=MODEL_VERSION)
    p.add_argument("--base-path", default=str(MODEL_BASE_PATH))
    p.add_argument("--target", help="host:port of TF Serving / the stand-in (default: run the SavedModel in-process)")
    p.add_argument("--seed", type=int, help="dataset seed (default: the one in the training metadata)")
    p.add_argument("--scale", type=float, help="dataset scale (default: the one in the training metadata)")
    p.add_argument("--skip-held-out", action="store_true")
    p.add_argument("--skip-real", action="store_true")
    p.add_argument("--update-metadata", action="store_true", help="store the results in training_metadata.json")
    args = p.parse_args(argv)

    version_dir = Path(args.base_path) / str(args.version)
    meta_path = version_dir / "assets.extra" / METADATA_FILENAME
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    seed = args.seed if args.seed is not None else meta.get("training", {}).get("seed", DEFAULT_SEED)
    scale = args.scale if args.scale is not None else meta.get("training", {}).get("scale", 1.0)
    predict = grpc_predictor(args.target) if args.target else local_predictor(version_dir)
    report: dict = {"model": str(version_dir), "via": args.target or "in-process SavedModel"}
    t0 = time.time()
    if not args.skip_held_out:
        # the model's own dataset: with real recordings only if it was trained with them (--no-real)
        use_real = bool(meta.get("dataset", {}).get("real_training_packages", True))
        report["held_out"] = evaluate_held_out(predict, seed, scale, use_real)
        print(evaluation_report.render("held-out split (windows)", report["held_out"]))
        print("accuracy by source:", json.dumps(report["held_out"]["accuracy_by_source"]))
    if not args.skip_real:
        report["real_recordings"], rows = evaluate_real(predict)
        print(evaluation_report.render("real recordings (files, Debian packages)", report["real_recordings"]))
        for pkg, stats in report["real_recordings"]["by_package"].items():
            print(f"  {pkg:<30} {stats['accuracy']:.3f} over {stats['files']} files")
        wrong = [r for r in rows if r.get("predicted") not in (None, r["label"])]
        print(f"misclassified real files: {len(wrong)}")
        for r in wrong[:40]:
            print(f"  {r['package']}: {r['file']} {r['label']} -> {r['predicted']} ({r['confidence']})")
        report["real_recordings"]["misclassified"] = wrong
    report["seconds"] = round(time.time() - t0, 1)
    out = BUILD_DIR / "evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {out}")
    if args.update_metadata and meta:
        meta["evaluation"] = {k: v for k, v in report.items() if k != "model"}
        if "real_recordings" in meta["evaluation"]:
            meta["evaluation"]["real_recordings"] = {
                k: v for k, v in report["real_recordings"].items() if k != "misclassified"
            }
            meta["evaluation"]["real_recordings"]["misclassified_files"] = [
                f"{r['package']}:{r['file']} {r['label']}->{r['predicted']}"
                for r in report["real_recordings"]["misclassified"]
            ]
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        print(f"updated {meta_path}")


if __name__ == "__main__":
    main()
