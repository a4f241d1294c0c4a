"""Accuracy, per-class precision/recall and confusion matrices (numpy only), and their text rendering."""

from __future__ import annotations

import numpy as np

from serving.model_contract import CLASS_NAMES


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int = len(CLASS_NAMES)) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return m


def summary(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...] = CLASS_NAMES) -> dict:
    """Accuracy, per-class precision/recall/support and the confusion matrix as plain JSON-able values."""
    m = confusion(y_true, y_pred, len(names))
    total = int(m.sum())
    per_class = {}
    for i, name in enumerate(names):
        tp = int(m[i, i])
        predicted = int(m[:, i].sum())
        actual = int(m[i, :].sum())
        per_class[name] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / actual, 4) if actual else None,
            "support": actual,
        }
    return {
        "accuracy": round(float(np.trace(m)) / total, 4) if total else None,
        "count": total,
        "per_class": per_class,
        "confusion": {"labels": list(names), "rows_true_cols_predicted": m.tolist()},
    }


def render(title: str, result: dict) -> str:
    """Human-readable block for the console."""
    names = result["confusion"]["labels"]
    lines = [f"== {title}: accuracy {result['accuracy']} over {result['count']}"]
    lines.append(f"{'class':<10}{'precision':>10}{'recall':>9}{'support':>9}")
    for name in names:
        pc = result["per_class"][name]
        p = "-" if pc["precision"] is None else f"{pc['precision']:.3f}"
        r = "-" if pc["recall"] is None else f"{pc['recall']:.3f}"
        lines.append(f"{name:<10}{p:>10}{r:>9}{pc['support']:>9}")
    lines.append("confusion (rows true, columns predicted):")
    lines.append(" " * 10 + "".join(f"{n[:7]:>8}" for n in names))
    for name, row in zip(names, result["confusion"]["rows_true_cols_predicted"], strict=True):
        lines.append(f"{name:<10}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)
