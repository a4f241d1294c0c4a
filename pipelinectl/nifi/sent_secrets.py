"""Whether NiFi already holds a sensitive parameter's value, told without keeping the value.

NiFi never returns a sensitive parameter's value, so without a record deploy would have to send it
every time, and NiFi refuses that update while a processor that references it is still starting
(as right after a restart, when NiFi resumes the flow). So deploy remembers a salted PBKDF2 digest
of each value it sent, per parameter context id, in a private file in the node's state folder, and
sends a value again only when its digest differs. A new context (a fresh NiFi) has a new id and so
gets every value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from pipelinectl.atomic_file import write_atomically

PBKDF2_ITERATIONS = 200_000  # a digest of a password is still worth slowing down


def _digest(value: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", value.encode(), salt, PBKDF2_ITERATIONS).hex()


class SentSecrets:
    """The digests of the sensitive values sent to each parameter context."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, dict[str, str]]]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def changed(self, context_id: str, values: dict[str, str]) -> dict[str, str]:
        """Those of `values` that differ from what was last sent to the context (or were never sent)."""
        sent = self._read().get(context_id, {})
        out = {}
        for name, value in values.items():
            entry = sent.get(name)
            if entry is None or not hmac.compare_digest(entry["digest"], _digest(value, bytes.fromhex(entry["salt"]))):
                out[name] = value
        return out

    def record(self, context_id: str, values: dict[str, str]) -> None:
        """Remember that the context now holds `values`."""
        everything = self._read()
        sent = everything.setdefault(context_id, {})
        for name, value in values.items():
            salt = secrets.token_bytes(16)
            sent[name] = {"salt": salt.hex(), "digest": _digest(value, salt)}
        write_atomically(self.path, json.dumps(everything, indent=2, sort_keys=True) + "\n", mode=0o600)
