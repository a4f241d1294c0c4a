"""./scripts/stop: stop everything ./scripts/run started for this data dir, in reverse order."""

from __future__ import annotations

import sys

from pipelinectl import services
from pipelinectl.nifi import nodes
from pipelinectl.settings import Settings, load


def stop_everything(settings: Settings) -> bool:
    """Stop the services started after the flow, then every NiFi node (gracefully, so the files
    inside the flow wait in its repositories), then the services NiFi needed; True if a NiFi ran."""
    background = list(reversed(services.for_settings(settings, any_profile=True)))
    for service in background:
        if service.after_flow:
            service.stop()
    stopped = nodes.stop(nodes.running_nodes(settings))
    for service in background:
        if not service.after_flow:
            service.stop()
    return bool(stopped)


def main(argv: list[str] | None = None) -> int:
    print("NiFi stopped." if stop_everything(load()) else "NiFi was not running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
