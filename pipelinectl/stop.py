"""./scripts/stop: stop everything ./scripts/run started for this data dir, in reverse order."""

from __future__ import annotations

import sys

from pipelinectl import services
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.settings import load


def main(argv: list[str] | None = None) -> int:
    settings = load()
    background = list(reversed(services.for_settings(settings, any_profile=True)))
    for service in background:
        if service.after_flow:
            service.stop()
    stopped = nifi_instance.stop(settings)
    for service in background:
        if not service.after_flow:
            service.stop()
    print("NiFi stopped." if stopped else "NiFi was not running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
