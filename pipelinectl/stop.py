"""./scripts/stop: stop everything ./scripts/run started for this data dir."""

from __future__ import annotations

import sys

from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.process_supervision import read_pid, remove_pid, terminate
from pipelinectl.run import REFRESHER_IDENTITY, TOKEN_REFRESHER
from pipelinectl.services import model_server, prometheus
from pipelinectl.settings import load


def main(argv: list[str] | None = None) -> int:
    settings = load()
    refresher = read_pid(settings, TOKEN_REFRESHER, **REFRESHER_IDENTITY)
    if refresher is not None:
        terminate(refresher, lambda: read_pid(settings, TOKEN_REFRESHER, **REFRESHER_IDENTITY) is not None, timeout=10)
    remove_pid(settings, TOKEN_REFRESHER)
    prometheus.stop_all(settings)
    stopped = nifi_instance.stop(settings)
    model_server.stop(settings)
    print("NiFi stopped." if stopped else "NiFi was not running.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
