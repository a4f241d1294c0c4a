"""The evaluation report (serving.training.evaluation_report): accuracy, precision/recall, confusion."""

from __future__ import annotations

import numpy as np

from serving.training import evaluation_report


def test_evaluation_report() -> None:
    result = evaluation_report.summary(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert result["accuracy"] == 0.75
    assert result["per_class"]["speech"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert result["per_class"]["silence"]["precision"] is None
    assert "confusion" in evaluation_report.render("x", result)
