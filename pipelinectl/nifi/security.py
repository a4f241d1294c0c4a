"""The `secure` NiFi profile: HTTPS with a generated certificate and a single-user login.

Setup generates, once per data dir and readable only by the owner (state/ is 0700, files 0600):
  state/nifi-credentials.json  the username and password (never in git)
  state/tls/nifi.{crt,key}     a self-signed certificate for localhost and 127.0.0.1
NiFi gets only a PBKDF2 hash of the password (conf/login-identity-providers.xml), checked by the
project's SingleUserLoginIdentityProvider (nifi/runtime/single-user-auth).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from pipelinectl.nifi.rest_client import access_token
from pipelinectl.settings import Settings

PBKDF2_ITERATIONS = 210_000
CERT_DAYS = 825
LOGIN_PROVIDER = "single-user-login"
AUTHORIZER = "single-user-authorizer"
PROVIDER_CLASS = "org.example.audiopipeline.nifi.SingleUserLoginIdentityProvider"
AUTHORIZER_CLASS = "org.example.audiopipeline.nifi.SingleUserAuthorizer"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def credentials_file(settings: Settings) -> Path:
    return settings.state_dir / "nifi-credentials.json"


def ensure_credentials(settings: Settings) -> Credentials:
    """Generated at the first secure setup, then reused; the password is 32 random URL-safe characters."""
    path = credentials_file(settings)
    if not path.exists():
        fresh = {"username": f"pipeline-{secrets.token_hex(3)}", "password": secrets.token_urlsafe(24)}
        _write_private(path, json.dumps(fresh, indent=2) + "\n")
    stored = json.loads(path.read_text())
    return Credentials(stored["username"], stored["password"])


def password_hash(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """'pbkdf2-sha256$iterations$salt$hash', the form SingleUserLoginIdentityProvider verifies."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"pbkdf2-sha256${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def tls_paths(settings: Settings) -> tuple[Path, Path]:
    folder = settings.state_dir / "tls"
    return folder / "nifi.crt", folder / "nifi.key"


def ensure_certificate(settings: Settings) -> Path:
    """A self-signed certificate (RSA 3072) for localhost/127.0.0.1, made once with openssl."""
    cert, key = tls_paths(settings)
    if not (cert.exists() and key.exists()):
        cert.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:3072",
                "-nodes",
                "-sha256",
                "-days",
                str(CERT_DAYS),
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o600)
    return cert


def https_properties(settings: Settings) -> dict[str, str]:
    """nifi.properties entries of the secure profile (the port is NIFI_HTTP_PORT, serving HTTPS)."""
    cert, key = tls_paths(settings)
    return {
        "nifi.web.http.host": "",
        "nifi.web.http.port": "",
        "nifi.web.https.host": "127.0.0.1",
        "nifi.web.https.port": str(settings.nifi_http_port),
        "nifi.web.proxy.host": f"localhost:{settings.nifi_http_port}",
        "nifi.security.keystoreType": "PEM",
        "nifi.security.keystore.certificate": str(cert),
        "nifi.security.keystore.privateKey": str(key),
        "nifi.security.truststoreType": "PEM",
        "nifi.security.truststore.certificate": str(cert),
        "nifi.security.user.login.identity.provider": LOGIN_PROVIDER,
        "nifi.security.user.authorizer": AUTHORIZER,
        "nifi.security.allow.anonymous.authentication": "false",
    }


def _xml_properties(properties: dict[str, str]) -> str:
    return "\n".join(f'        <property name="{escape(k)}">{escape(v)}</property>' for k, v in properties.items())


def render_security_conf(settings: Settings, conf: Path) -> None:
    """login-identity-providers.xml (username + password hash) and authorizers.xml (that user only)."""
    creds = ensure_credentials(settings)
    providers = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- Rendered by pipelinectl/nifi/security.py: one user, password kept only as a PBKDF2 hash. -->
<loginIdentityProviders>
    <provider>
        <identifier>{LOGIN_PROVIDER}</identifier>
        <class>{PROVIDER_CLASS}</class>
{_xml_properties({"Username": creds.username, "Password Hash": password_hash(creds.password)})}
    </provider>
</loginIdentityProviders>
"""
    authorizers = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- Rendered by pipelinectl/nifi/security.py: the single user may do everything, nobody else anything. -->
<authorizers>
    <authorizer>
        <identifier>{AUTHORIZER}</identifier>
        <class>{AUTHORIZER_CLASS}</class>
{_xml_properties({"Username": creds.username})}
    </authorizer>
</authorizers>
"""
    _write_private(conf / "login-identity-providers.xml", providers)
    _write_private(conf / "authorizers.xml", authorizers)


def login(base_url: str, settings: Settings) -> str:
    """A bearer token for the REST API (valid 8 h), checking NiFi against our certificate."""
    creds = ensure_credentials(settings)
    return access_token(base_url, creds.username, creds.password, verify=str(tls_paths(settings)[0]))
