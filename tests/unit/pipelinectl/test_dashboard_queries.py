"""Panel queries out of dashboard JSON: rows' nested panels included, one entry per target, variables
substituted (the committed dashboards themselves are checked in tests/unit/grafana)."""

from __future__ import annotations

import json
from pathlib import Path

from pipelinectl import dashboard_queries


def test_panel_queries_walk_rows_and_targets(tmp_path: Path) -> None:
    dashboard = {
        "title": "Board",
        "panels": [
            {"title": "Rate", "targets": [{"expr": "rate(a[$__rate_interval])"}, {"expr": "b"}]},
            {"title": "Row", "panels": [{"title": "Inside", "targets": [{"expr": 'c{s=~"$source"}'}]}]},
            {"title": "Text", "targets": [{"refId": "A"}]},
        ],
    }
    (tmp_path / "board.json").write_text(json.dumps(dashboard))
    (tmp_path / "notes.txt").write_text("not a dashboard")
    assert dashboard_queries.panel_queries("2m", tmp_path) == [
        ("Board / Rate", "rate(a[2m])"),
        ("Board / Rate", "b"),
        ("Board / Inside", 'c{s=~".*"}'),
    ]
    assert dashboard_queries.dashboard_files(tmp_path) == [tmp_path / "board.json"]
