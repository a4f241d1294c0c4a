"""Port helpers: a port stays usable for a restart while the stopped server's connections wind down."""

from __future__ import annotations

import socket

from pipelinectl.ports import free_port, port_is_free


def test_listening_port_is_taken_and_a_closed_one_is_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not port_is_free(port, "127.0.0.1")
    assert port_is_free(port, "127.0.0.1")
    assert port_is_free(free_port(), "127.0.0.1")


def test_port_of_a_stopped_server_with_lingering_connections_is_free() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Jetty (NiFi's web server) sets it
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first, as NiFi does when it stops: TIME_WAIT / FIN_WAIT_2
    server.close()
    try:
        plain = socket.socket()
        try:
            plain.bind(("127.0.0.1", port))
            plain_bind_ok = True
        except OSError:
            plain_bind_ok = False
        finally:
            plain.close()
        assert not plain_bind_ok  # what the check used to do, and why it refused a restart
        assert port_is_free(port, "127.0.0.1")
    finally:
        client.close()
