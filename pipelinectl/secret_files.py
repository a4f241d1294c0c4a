"""Secrets the scripts generate for themselves, once per data dir: keys and service passwords.

Each is a file in `state/` that only its owner can read, created with O_EXCL so that a secret, once
handed to a program (NiFi's sensitive-properties key, the results database's password), is never
silently replaced; git never sees it (`var/` is ignored).
"""

from __future__ import annotations

import os
import secrets

from pipelinectl.settings import Settings


def generated_secret(settings: Settings, name: str, length: int = 24) -> str:
    """The secret `state/<name>`, generated (`length` random bytes, URL-safe text) on first use."""
    path = settings.state_dir / name
    if not path.exists():
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it just now: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(length))
    return path.read_text(encoding="utf-8").strip()
