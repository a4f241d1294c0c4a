"""The results database of cluster mode: a PostgreSQL server of this data dir, under the supervisor.

Cluster nodes must share one results table and fingerprint index (pipelinectl.results_database), so
when RESULTS_DATABASE_URL is empty the scripts run Debian's PostgreSQL themselves:

- `initdb` once into state/postgres/data (data checksums on), durable: fsync, synchronous commit
  and full-page writes stay on, whatever a test server does;
- TCP on 127.0.0.1:POSTGRES_PORT only, password login (SCRAM-SHA-256) for everyone; the Unix socket
  lives in state/postgres/socket, a folder only the server's OS user (and root) can enter, and
  there the superuser needs no password: that is how `ensure_database()` provisions;
- role and database `audio_pipeline`, with a password generated once into state/postgres-password
  (0600); `database_url()` carries no password, `database_password()` is it.

PostgreSQL refuses to run as root: as root the server and initdb run as the `postgres` OS user that
Debian's package creates, through `setpriv`, which execs rather than forks (runuser would stay the
parent and turn the supervisor's SIGTERM into its own kill sequence), so the supervised pid is the
postmaster itself and SIGTERM reaches it. SIGTERM is PostgreSQL's "smart" shutdown: it waits for
connected clients to leave, which they have once the NiFi nodes are stopped.

The tests' throwaway servers (tests/support/postgres.py) share `find_bindir()` and `server_account()`.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import os
import pwd
import secrets
import shutil
import stat
import subprocess
from pathlib import Path

from pipelinectl.atomic_file import write_atomically
from pipelinectl.ports import port_is_free
from pipelinectl.secret_files import generated_secret
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings

NAME = "postgres"
DATABASE = "audio_pipeline"
ROLE = "audio_pipeline"
SUPERUSER = "postgres"
SERVER_USER = "postgres"  # the OS user the server runs as when we are root
PASSWORD_FILE = "postgres-password"
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)

# Who may connect how. The socket folder is 0700, so "local trust" admits only the server's OS user
# and root; over TCP everyone needs a password.
PG_HBA = """\
# Rendered by pipelinectl.services.postgres at every start.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
"""


# --- the server programs and the OS user (shared with tests/support/postgres.py) ------------------


def find_bindir(preferred: str | None = None) -> Path | None:
    """The folder with initdb, pg_ctl and postgres: `preferred` (the tests' PG_BIN), Debian's newest
    /usr/lib/postgresql/<N>/bin, or the one on PATH; None when PostgreSQL is not installed."""

    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    candidates = [preferred] if preferred else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def server_account() -> pwd.struct_passwd | None:
    """The OS account the server must run as: None when we are not root (it runs as us)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise RuntimeError(
            f"PostgreSQL refuses to run as root, and the OS user {SERVER_USER!r} is missing "
            "(Debian's package `postgresql` creates it)"
        ) from exc


def as_account(account: pwd.struct_passwd | None) -> list[str]:
    """The command prefix that runs a program as `account` in the same process (nothing for None)."""
    if account is None:
        return []
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups", "--"]


# --- where things live, and the credentials ---------------------------------------------------


def home(settings: Settings) -> Path:
    return settings.state_dir / NAME


def data_dir(settings: Settings) -> Path:
    return home(settings) / "data"


def socket_dir(settings: Settings) -> Path:
    return home(settings) / "socket"


def database_url(settings: Settings) -> str:
    """The URL the flow and ./scripts/results use; the password travels apart (database_password)."""
    return f"postgresql://{ROLE}@127.0.0.1:{settings.postgres_port}/{DATABASE}"


def database_password(settings: Settings) -> str:
    return generated_secret(settings, PASSWORD_FILE)


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677), computed here so
    that the password itself never reaches the server or its log. ASCII passwords only (ours are)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


# --- the server ---------------------------------------------------------------------------------


def server_options(settings: Settings) -> dict[str, str]:
    """The `-c` settings of the server: loopback, the private socket, durability spelled out."""
    return {
        "listen_addresses": "127.0.0.1",
        "port": str(settings.postgres_port),
        "unix_socket_directories": str(socket_dir(settings)),
        "unix_socket_permissions": "0700",
        "hba_file": str(home(settings) / "pg_hba.conf"),
        "password_encryption": "scram-sha-256",
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        "logging_collector": "off",  # the log is the supervisor's logs/postgres.log
    }


def command(settings: Settings, bindir: Path | None = None) -> list[str]:
    """postgres in the foreground (as the server account when we are root)."""
    program = str((bindir or find_bindir() or Path()) / "postgres")
    options = [arg for key, value in server_options(settings).items() for arg in ("-c", f"{key}={value}")]
    try:
        account = server_account()
    except RuntimeError:  # prepare() reports it; the definition must still serve status and stop
        account = None
    return [*as_account(account), program, "-D", str(data_dir(settings)), *options]


def _own(path: Path, account: pwd.struct_passwd | None, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(mode)


def _let_server_account_through(settings: Settings, account: pwd.struct_passwd) -> None:
    """The server account must pass through the folders above state/postgres. Ours (the data dir and
    state/) get the execute bit for others, which lets it pass but not list (state/'s secrets stay
    0600); a folder above the data dir that it cannot pass is an error to fix by hand."""
    for folder in (settings.data_dir, settings.state_dir):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    for folder in settings.data_dir.parents:
        info = folder.stat()
        passable = info.st_mode & stat.S_IXOTH or (info.st_uid == account.pw_uid and info.st_mode & stat.S_IXUSR)
        if not passable:
            raise RuntimeError(
                f"PostgreSQL runs as the OS user {account.pw_name!r}, which cannot enter {folder}: "
                f"allow it (chmod o+x {folder}) or choose another PIPELINE_DATA_DIR"
            )


def _initdb(settings: Settings, bindir: Path, account: pwd.struct_passwd | None) -> None:
    """Create the cluster once; into a side folder first, so that a failed initdb leaves nothing half made."""
    if (data_dir(settings) / "PG_VERSION").exists():
        return
    staging = home(settings) / "data.initdb"
    shutil.rmtree(staging, ignore_errors=True)
    done = subprocess.run(
        [
            *as_account(account),
            str(bindir / "initdb"),
            "-D",
            str(staging),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--data-checksums",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=home(settings),
    )
    if done.returncode != 0:
        raise RuntimeError(f"PostgreSQL initdb failed:\n{(done.stdout + done.stderr).strip()[-2000:]}")
    staging.rename(data_dir(settings))


def prepare(settings: Settings) -> None:
    """Before each start: the port is free, the folders and pg_hba.conf are there, the cluster exists."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server programs not found (Debian package `postgresql`)")
    if not port_is_free(settings.postgres_port):
        raise RuntimeError(
            f"PostgreSQL (the results database) cannot start: port {settings.postgres_port} (POSTGRES_PORT) "
            "is already in use"
        )
    socket_file = f"{socket_dir(settings)}/.s.PGSQL.{settings.postgres_port}"
    if len(socket_file) > SOCKET_PATH_MAX:
        raise RuntimeError(f"PostgreSQL's socket path {socket_file} is too long: choose a shorter PIPELINE_DATA_DIR")
    account = server_account()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    if account is not None:
        _let_server_account_through(settings, account)
    _own(home(settings), account, 0o700)
    _own(socket_dir(settings), account, 0o700)
    owner = (account.pw_uid, account.pw_gid) if account is not None else None
    write_atomically(home(settings) / "pg_hba.conf", PG_HBA, mode=0o600, owner=owner)
    _initdb(settings, bindir, account)


def is_accepting(settings: Settings) -> bool:
    """True when the server accepts connections on its TCP port (pg_isready; no login needed)."""
    bindir = find_bindir()
    if bindir is None:
        return False
    probe = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(settings.postgres_port), "-t", "1"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=5, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def service(settings: Settings) -> Service:
    """PostgreSQL as the background service "postgres" (state/run/postgres.pid, logs/postgres.log)."""
    return Service(
        name=NAME,
        settings=settings,
        command=command(settings),
        # Its data folder in the command line: this data dir's server (also in the instant between
        # setpriv's start and its exec of postgres, when the program name is still setpriv's).
        cmdline_marker=str(data_dir(settings)),
        ready=lambda: is_accepting(settings),
        cwd=home(settings),
        prepare=lambda: prepare(settings),
        ready_timeout=60.0,
        stop_timeout=30.0,
        address=f"127.0.0.1:{settings.postgres_port}",
    )


# --- the database -------------------------------------------------------------------------------


def ensure_database(settings: Settings) -> None:
    """Create the role (password: database_password) and the database it owns, or bring the role's
    password up to date; idempotent, through the superuser's socket. Call once the service is ready."""
    import psycopg
    from psycopg import sql

    verifier = scram_verifier(database_password(settings))
    with psycopg.connect(
        host=str(socket_dir(settings)),
        port=settings.postgres_port,
        user=SUPERUSER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        role_exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        conn.execute(
            sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(
                sql.SQL("ALTER" if role_exists else "CREATE"), sql.Identifier(ROLE), sql.Literal(verifier)
            )
        )
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE)))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(DATABASE)))
