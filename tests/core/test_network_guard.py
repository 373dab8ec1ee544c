"""The autouse guard in conftest.py: non-loopback connections fail, loopback and AF_UNIX work."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import requests

TEST_NET = ("203.0.113.1", 80)  # RFC 5737 documentation range: never a real host


def test_connect_to_a_public_address_is_refused(network_guard):
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(network_guard.error_type, match="non-loopback"),
    ):
        sock.connect(TEST_NET)
    assert network_guard.blocked == [repr(TEST_NET)]
    network_guard.blocked.clear()  # expected here; any other test would now fail at teardown


def test_connect_ex_and_create_connection_are_refused(network_guard):
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(network_guard.error_type),
    ):
        sock.connect_ex(TEST_NET)
    with pytest.raises(network_guard.error_type):
        socket.create_connection(TEST_NET, timeout=0.1)
    with (
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock,
        pytest.raises(network_guard.error_type),
    ):
        sock.connect(("2001:db8::1", 80, 0, 0))
    assert len(network_guard.blocked) == 3
    network_guard.blocked.clear()


def test_requests_to_a_real_host_are_refused_before_dns(network_guard):
    # The error must not be an OSError, or urllib3/PoliteSession would treat it as transient.
    with pytest.raises(network_guard.error_type):
        requests.get("http://example.com/", timeout=0.5)
    assert network_guard.blocked
    network_guard.blocked.clear()


def test_curl_transport_to_a_real_host_is_refused_before_dns(network_guard):
    # libcurl resolves and connects in C, past the socket module: the guard checks its URL
    # and proxy options instead (the browser-impersonating transport of PoliteSession).
    from curl_adapter import CurlCffiAdapter

    with requests.Session() as session:
        session.mount("http://", CurlCffiAdapter())
        with pytest.raises(network_guard.error_type):
            session.get("http://example.com/", timeout=0.5)
        with pytest.raises(network_guard.error_type):
            session.get("http://127.0.0.1:9/", proxies={"http": "http://proxy.example:3128"})
    assert len(network_guard.blocked) == 2
    network_guard.blocked.clear()


def test_loopback_is_allowed(network_guard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        accepted: list[bytes] = []

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                accepted.append(conn.recv(16))

        thread = threading.Thread(target=accept)
        thread.start()
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=2) as c:
            c.sendall(b"ping")
        thread.join(2)
    assert accepted == [b"ping"]
    assert network_guard.blocked == []


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no AF_UNIX on this platform")
def test_unix_sockets_are_allowed(tmp_path: Path, network_guard):
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            conn, _ = server.accept()
            conn.close()
    assert network_guard.blocked == []


def test_guard_fails_a_test_that_swallows_the_refusal(pytester: pytest.Pytester):
    # Libraries with a broad ``except Exception`` must not be able to hide an internet access.
    conftest = Path(__file__).resolve().parents[1] / "conftest.py"
    pytester.makeconftest(conftest.read_text(encoding="utf-8"))
    pytester.makepyfile(
        test_sneaky="""
        import socket

        def test_sneaky():
            try:
                socket.create_connection(("203.0.113.1", 80), timeout=0.1)
            except Exception:
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)  # the body passes; teardown fails it
    result.stdout.fnmatch_lines(["*non-loopback network access*203.0.113.1*"])
