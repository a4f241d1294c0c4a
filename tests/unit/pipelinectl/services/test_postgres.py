"""The results database's service definition: options, access rules, credentials, the SCRAM verifier
(no PostgreSQL runs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import stat
from pathlib import Path

import pytest

from pipelinectl.ports import free_port
from pipelinectl.services import postgres
from pipelinectl.settings import Settings, load


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load({"PIPELINE_DATA_DIR": str(tmp_path), "POSTGRES_PORT": "15432", "NIFI_CLUSTER_NODES": "2"})


def test_url_names_role_database_and_port_but_no_password(settings: Settings) -> None:
    assert postgres.database_url(settings) == "postgresql://audio_pipeline@127.0.0.1:15432/audio_pipeline"


def test_password_is_generated_once_and_private(settings: Settings) -> None:
    first = postgres.database_password(settings)
    assert len(first) >= 32
    assert postgres.database_password(settings) == first
    path = settings.state_dir / "postgres-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first not in postgres.database_url(settings)


def test_server_is_durable_and_on_loopback(settings: Settings) -> None:
    options = postgres.server_options(settings)
    assert options["listen_addresses"] == "127.0.0.1"
    assert options["port"] == "15432"
    assert options["fsync"] == options["synchronous_commit"] == options["full_page_writes"] == "on"
    assert Path(options["unix_socket_directories"]).is_relative_to(settings.state_dir / "postgres")
    assert options["unix_socket_permissions"] == "0700"


def test_command_is_postgres_in_the_foreground(settings: Settings) -> None:
    command = postgres.command(settings, Path("/opt/pg/bin"))
    start = command.index("/opt/pg/bin/postgres")
    assert command[start + 1 : start + 3] == ["-D", str(settings.state_dir / "postgres" / "data")]
    assert "listen_addresses=127.0.0.1" in command
    if os.geteuid() == 0:  # PostgreSQL refuses root: setpriv execs it as the postgres user, no fork
        assert command[0] == "setpriv"
        assert command[start - 1] == "--"
    else:
        assert start == 0


def test_only_the_private_socket_is_trusted() -> None:
    rules = [line.split() for line in postgres.PG_HBA.splitlines() if line and not line.startswith("#")]
    assert rules == [
        ["local", "all", "all", "trust"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
    ]


def test_scram_verifier_answers_the_rfc_7677_exchange() -> None:
    # RFC 7677 section 3: user "user", password "pencil"; the server's final message proves it holds ServerKey.
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = postgres.scram_verifier("pencil", salt=salt, iterations=4096)
    method, rest = verifier.split("$", 1)
    header, keys = rest.split("$")
    assert method == "SCRAM-SHA-256"
    assert header == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    server_key = base64.b64decode(keys.split(":")[1])
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    signature = hmac.new(server_key, auth_message.encode(), hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_each_verifier_has_its_own_salt() -> None:
    assert postgres.scram_verifier("same") != postgres.scram_verifier("same")


def test_service_is_recognised_by_its_data_folder(settings: Settings) -> None:
    service = postgres.service(settings)
    assert service.name == "postgres"
    assert service.cmdline_marker == str(settings.state_dir / "postgres" / "data")
    assert service.address == "127.0.0.1:15432"
    assert not service.after_flow  # the nodes need it before the flow runs


def test_bindir_prefers_the_given_folder(tmp_path: Path) -> None:
    for program in ("initdb", "pg_ctl"):
        (tmp_path / program).touch()
    assert postgres.find_bindir(str(tmp_path)) == tmp_path


def test_port_in_use_names_postgresql_and_the_port(tmp_path: Path) -> None:
    if postgres.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        settings = load({"PIPELINE_DATA_DIR": str(tmp_path), "POSTGRES_PORT": str(port)})
        with pytest.raises(RuntimeError, match=rf"PostgreSQL \(the results database\) cannot start: port {port}"):
            postgres.prepare(settings)


def test_too_long_a_socket_path_is_refused(tmp_path: Path) -> None:
    if postgres.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed")
    deep = tmp_path / ("d" * 100)
    settings = load({"PIPELINE_DATA_DIR": str(deep), "POSTGRES_PORT": str(free_port())})
    with pytest.raises(RuntimeError, match=r"socket path .* is too long"):
        postgres.prepare(settings)
