"""`python -m pipelinectl.cluster_metrics`: run the cluster exporter (see server.py)."""

from __future__ import annotations

import sys

from pipelinectl.cluster_metrics.server import main

if __name__ == "__main__":
    sys.exit(main())
