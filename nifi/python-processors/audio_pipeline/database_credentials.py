"""A database URL and its password as two values, so that the password can travel apart from it.

NiFi shows property values and parameter contexts in its UI and writes them into flow exports;
only properties and parameters marked sensitive are kept secret. So the flow carries the database
URL without its password and the password in a sensitive parameter, the control plane splits a
configured URL that still carries one (`split_password`), and the processors join the two again
just before connecting (`with_password`). The password goes into the URL's user info, percent-
encoded, the one place `database.redact` hides in logs and error details.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


def _parts(url: str) -> tuple[str, str, str] | None:
    """(scheme, user info, host and the rest) of a URL with a host part; None for e.g. sqlite:///path."""
    scheme, separator, rest = url.partition("://")
    if not separator or rest.startswith("/"):
        return None
    authority, slash, tail = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    return scheme, credentials if at else "", host + slash + tail


def split_password(url: str) -> tuple[str, str]:
    """(the URL without its password, the password or '') — `postgresql://u:p@h/db` gives
    (`postgresql://u@h/db`, `p`); a URL without a password comes back unchanged with ''."""
    parts = _parts(url)
    if parts is None:
        return url, ""
    scheme, credentials, rest = parts
    user, colon, password = credentials.partition(":")
    if not colon:
        return url, ""
    return f"{scheme}://{user + '@' if user else ''}{rest}", unquote(password)


def with_password(url: str, password: str) -> str:
    """The URL to connect with: `password` (when not empty) replaces any the URL carries. URLs
    without a host part (SQLite) have no use for one and come back unchanged."""
    parts = _parts(url)
    if not password or parts is None:
        return url
    scheme, credentials, rest = parts
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}:{quote(password, safe='')}@{rest}"
