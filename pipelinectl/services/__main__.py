"""`python -m pipelinectl.services {start,stop,status} [name ...]`: one data dir's background
services, in their order (without names: this profile's; stop: all). status exits 3 unless all are
ready. NiFi is not one of them: ./scripts/run and ./scripts/stop start and stop it."""

from __future__ import annotations

import argparse
import sys

from pipelinectl import services
from pipelinectl.settings import load


def main(argv: list[str] | None = None) -> int:
    settings = load()
    everything = services.for_settings(settings, any_profile=True)
    parser = argparse.ArgumentParser(prog="python -m pipelinectl.services", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("names", nargs="*", metavar="name", help=", ".join(s.name for s in everything))
    args = parser.parse_args(argv)
    unknown = set(args.names) - {s.name for s in everything}
    if unknown:
        parser.error(f"unknown service(s) {', '.join(sorted(unknown))}")
    if args.names:
        selected = [s for s in everything if s.name in args.names]
    else:  # stop also ends what a run in the other profile left running (the token refresher)
        selected = everything if args.action == "stop" else services.for_settings(settings)

    if args.action == "start":
        for service in selected:
            service.start()
            print(service.status())
    elif args.action == "stop":
        for service in reversed(selected):
            print(f"{service.name}: {'stopped' if service.stop() else 'not running'}")
    else:
        statuses = [service.status() for service in selected]
        for status in statuses:
            print(status)
        return 0 if all(status.ready for status in statuses) else 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
