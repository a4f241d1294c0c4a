"""Generate the Grafana dashboards in grafana/dashboards/ from code (grafana-foundation-sdk).

    .venv/bin/python -m grafana.generate           # rewrite the committed JSON
    .venv/bin/python -m grafana.generate --check   # exit 1 if the committed JSON is out of date

The JSON is written with sorted keys and a 2-space indent so regenerating is diff-stable. All
panels use the Prometheus datasource provisioned with uid `panel_specs.DATASOURCE_UID`. Metric
names: docs/metrics.md. The queries are also used by tests through
`pipelinectl.dashboard_queries.panel_queries`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grafana.builder import build_dashboard, render
from grafana.pipeline_dashboard import pipeline_rows
from grafana.platform_dashboard import platform_rows

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"


def dashboards() -> dict[str, dict]:
    """File name -> dashboard JSON for every generated dashboard."""
    return {
        "audio-pipeline.json": build_dashboard(
            "audio-pipeline",
            "Audio pipeline",
            "Files, latency, classes, PESQ quality, fingerprints, quarantined files, loudness and transcription "
            "(audio_pipeline_* metrics).",
            pipeline_rows(),
            source_variable=True,
        ),
        "audio-pipeline-platform.json": build_dashboard(
            "audio-pipeline-platform",
            "Audio pipeline platform",
            "NiFi queues, back-pressure and JVM; TensorFlow Serving requests, errors and latency.",
            platform_rows(),
            source_variable=False,
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed JSON differs")
    parser.add_argument("--out", type=Path, default=DASHBOARDS_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, document in dashboards().items():
        path = args.out / name
        text = render(document)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (run python -m grafana.generate): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
