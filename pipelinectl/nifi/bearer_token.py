"""NiFi bearer tokens for Prometheus: log in (`POST /nifi-api/access/token`) and keep a fresh token in
a file, since NiFi's tokens expire. Run by the secure profile's token refresher
(pipelinectl/services/nifi_token.py) and by compose's `nifi-token` container.

Standard library only: that container is a bare Python image with ./pipelinectl mounted.

    python -m pipelinectl.nifi.bearer_token --url URL --out FILE [--every SECONDS] [--insecure] [--chown UID:GID]

The credentials come from NIFI_USERNAME and NIFI_PASSWORD (never on the command line).
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pipelinectl.atomic_file import write_atomically


def fetch_token(base_url: str, username: str, password: str, *, verify_tls: bool = True) -> str:
    """Log in to NiFi and return the JWT (certificates checked against SSL_CERT_FILE if set)."""
    context = ssl.create_default_context()
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/nifi-api/access/token",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return response.read().decode().strip()


def refresh_token(
    base_url: str,
    username: str,
    password: str,
    out: Path,
    *,
    every: float = 0,
    verify_tls: bool = True,
    retry_seconds: float = 10,
    owner: tuple[int, int] | None = None,
) -> None:
    """Write a fresh token to `out` (0600, optionally chowned); with `every` > 0 keep refreshing."""
    while True:
        try:
            token = fetch_token(base_url, username, password, verify_tls=verify_tls)
        except (urllib.error.URLError, OSError) as error:
            if every <= 0:
                raise
            print(f"nifi-token: login failed ({error}); retrying in {retry_seconds:g}s", file=sys.stderr)
            time.sleep(retry_seconds)
            continue
        write_atomically(out, token + "\n", mode=0o600, owner=owner)
        print(f"nifi-token: wrote {out}", file=sys.stderr)
        if every <= 0:
            return
        time.sleep(every)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelinectl.nifi.bearer_token", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("NIFI_URL") or "https://localhost:8443")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--every", type=float, default=0, help="refresh period in seconds (0: once)")
    parser.add_argument("--insecure", action="store_true", help="skip TLS verification (self-signed NiFi)")
    parser.add_argument("--chown", metavar="UID:GID", help="owner of the token file (the reader's uid)")
    args = parser.parse_args(argv)
    username = os.environ.get("NIFI_USERNAME", "")
    password = os.environ.get("NIFI_PASSWORD", "")
    if not username or not password:
        parser.error("set NIFI_USERNAME and NIFI_PASSWORD")
    owner = None
    if args.chown:
        uid, _, gid = args.chown.partition(":")
        owner = (int(uid), int(gid))
    refresh_token(args.url, username, password, args.out, every=args.every, verify_tls=not args.insecure, owner=owner)
    return 0


if __name__ == "__main__":
    sys.exit(main())
