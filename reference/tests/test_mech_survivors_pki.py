"""Survivors of the mechanical mutation run (conformance/selftest/mutation.py, group `pki`)
that the wire cannot show: the responder's configuration checks and its startup line.

The conformance suite judges a running server whose configuration the target file
declares, so a check that only refuses a bad configuration, or a log line, is invisible
to it; these tests pin them at every boundary (0, 1, -1, the smallest valid value).
"""

from __future__ import annotations

import gc
import socket
import ssl
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference.pki import tls
from reference.pki.enroll import EnrollError
from reference.pki.peer import PeerConfig, PeerServer, crl_from_ca
from reference.pki.tls import CertificateRefused
from reference.tests.test_pki import TIMEOUT, LogWatch, Org, RunningPeer, session
from reference.tests.test_pki import org as org  # the in-process CA: a fixture
from reference.tests.test_pki import start_peer as start_peer  # a fixture

_REFUSED: tuple[tuple[str, Any], ...] = (
    ("handshake_timeout", 0.0),
    ("handshake_timeout", -1.0),
    ("idle_timeout", 0.0),
    ("idle_timeout", -0.5),
    ("max_file_size", -1),
    ("max_connections", 0),
    ("max_connections", -1),
    ("max_pending_per_address", 0),
    ("max_pending_per_address", -1),
    ("crl_refresh", 0.0),
    ("crl_refresh", -300.0),
    ("allow", ("Not-An-Alias",)),
)

_ACCEPTED: tuple[tuple[str, Any], ...] = (
    ("handshake_timeout", 0.001),
    ("idle_timeout", 0.001),
    ("max_file_size", 0),
    ("max_connections", 1),
    ("max_pending_per_address", 1),
    ("crl_refresh", 0.001),
    ("allow", ("alice", "bob.smith")),
)


@pytest.mark.parametrize(("field", "value"), _REFUSED, ids=lambda v: repr(v))
def test_peer_config_refuses_a_limit_out_of_range(field: str, value: Any) -> None:
    # A "<= 0" turned "!= 0" accepts a negative timeout, which the socket layer then
    # reads as "no timeout at all" (LIM-1, LIM-2).
    with pytest.raises(ValueError):
        PeerConfig(**{field: value})


@pytest.mark.parametrize(("field", "value"), _ACCEPTED, ids=lambda v: repr(v))
def test_peer_config_accepts_the_smallest_valid_limit(field: str, value: Any) -> None:
    assert getattr(PeerConfig(**{field: value}), field) == value


def test_startup_line_names_the_allow_list() -> None:
    # The operator reads on this line who may connect (PKI-ID-3): an inverted test
    # printed "any employee" for a restricted responder and nothing for an open one.
    assert PeerConfig().describe().endswith("allowed: any employee")
    restricted = PeerConfig(allow=("alice", "bob.smith")).describe()
    assert restricted.endswith("allowed: alice, bob.smith")
    assert "any employee" not in restricted


# --- the responder's per-connection socket handle -------------------------------------------
# `release` closes the dup kept for shutdown-on-stop [LIM-7]; an inverted `is not None`
# there leaks it to the garbage collector (CPython closes it at once on refcount zero, so
# only the ResourceWarning tells: any other interpreter leaks a descriptor a connection).


def test_a_connection_leaves_no_socket_to_the_garbage_collector(
    org: Org, start_peer: Callable[..., RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob")
    (bob.share / "small.bin").write_bytes(b"x" * 100)
    gc.collect()  # earlier tests' garbage is not this responder's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for i in range(2):
            with session(org.ids["alice"], bob.target()) as s:
                s.get("small.bin", tmp_path / f"got-{i}.bin")
            bob.log.wait_for("connection ended")
            bob.log.lines.clear()
        gc.collect()
    port = bob.server.address[1]
    leaked = [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and f", {port})" in str(w.message)
    ]
    assert not leaked, leaked


# --- the lingering close after a refused handshake ---------------------------------------------


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=5)
        server, _ = listener.accept()
    return server, client


@pytest.mark.parametrize("client_sends", [b"", b"a request the server will never read"])
def test_lingering_close_ends_with_fin_and_never_raises(client_sends: bytes) -> None:
    # The deadline arithmetic there (a `-` mistyped `**` overflowed) escaped the OSError
    # guard: the refused client got a reset that can discard the alert naming the reason.
    server, client = _tcp_pair()
    with client:
        if client_sends:
            client.sendall(client_sends)
        tls._lingering_close(server, linger=0.2)
        assert server.fileno() == -1, "the socket was not closed"
        client.settimeout(5)
        assert client.recv(100) == b"", "no FIN after the lingering close"


# --- the periodic CRL refresh survives every failure of one fetch [PKI-CERT-7] -------------


@pytest.mark.req("PKI-CERT-7")
@pytest.mark.parametrize(
    "failure",
    [
        EnrollError("the CA is unreachable"),
        CertificateRefused("the CRL has expired"),
        OSError("connection refused"),
        ValueError("not a DER CRL"),
        ssl.SSLError("handshake failed"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_crl_refresh_keeps_trying_after_a_failed_fetch(org: Org, failure: Exception) -> None:
    # One exception class dropped from the guard, and the refresher thread dies at the
    # first such failure: the peer keeps its old CRL forever, revocations unseen.
    good = crl_from_ca(org.url, org.root.read_bytes())()
    calls = 0

    def source() -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            return good
        raise failure

    watch = LogWatch()
    server = PeerServer(org.ids["bob"], PeerConfig(crl_refresh=0.02), source, None, None, watch)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with watch._cond:
            ok = watch._cond.wait_for(
                lambda: sum("CRL refresh failed" in line for line in watch.lines) >= 3, TIMEOUT
            )
        assert ok, f"the refresher stopped after a {type(failure).__name__}: {watch.lines}"
    finally:
        server.close()
        thread.join(TIMEOUT)
