"""./scripts/stop: stop everything ./scripts/run started for this data dir."""

from __future__ import annotations

import sys

from pipelinectl import nifi_instance, prometheus
from pipelinectl.settings import load


def main(argv: list[str] | None = None) -> int:
    settings = load()
    prometheus.stop_all(settings)
    stopped = nifi_instance.stop(settings)
    print("NiFi stopped." if stopped else "NiFi was not running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
