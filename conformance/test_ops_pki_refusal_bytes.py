"""sft-pki/1: a refused connection is answered in TLS or not at all (§6 LIM-4, LIM-8).

LIM-4 lets a full responder refuse a new connection with "close, or `EROR busy` where
possible"; LIM-8 the same for an address over its cap. Over sft-eke/1 the handshake's
frames travel in clear, so an `EROR busy` can be written on the bare connection; over
sft-pki/1 the application protocol runs inside TLS (PKI-TLS-1, PKI-TLS-6), and "where
possible" means after a TLS handshake — otherwise the refusal is a close. A responder
whose refusal path was copied from the eke server writes a clear `EROR` frame into the
TLS stream: the client's TLS stack reads "EROR" as a record header ("wrong version
number") and the refusal says nothing it can act on (LIM-9 asks a client to report a
refused handshake as the server's refusal).

Both refusal paths, one probe each, from a real ClientHello (the suite's TLS client,
driven through memory buffers so that the raw answer can be read): the first byte the
responder sends back, if any, MUST open a TLS record (content type 20-23: an alert, a
handshake, application data) — or the connection ends (close, reset) or stays silent.

- full: max_connections established connections, each served a get, from as many
  addresses; the probe from a fresh address;
- per address: the declared LIM-8 cap of silent connections from one address; the probe
  from the same address.

Needs a pki target on loopback, an identity the responder accepts and a file to get.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.channel import Channel
from conformance.eke_support import sources_for
from conformance.pki_channel import client_context
from conformance.target import Target
from conformance.test_lockout import _fresh, _honest_get, _limits, _silent
from conformance.wire import ConformanceFailure, RawConnection

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")

_TLS_CONTENT_TYPES = frozenset({20, 21, 22, 23})  # change_cipher_spec, alert, handshake, data


def _hello_bytes(target: Target) -> bytes:
    """A ClientHello of the suite's TLS client (no certificate is needed to be refused)."""
    assert target.root is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ssl_object = client_context(target.root).wrap_bio(incoming, outgoing, server_side=False)
    with contextlib.suppress(ssl.SSLWantReadError):
        ssl_object.do_handshake()
    return outgoing.read()


def _first_answer(target: Target, source: str) -> tuple[str, bytes]:
    """Connects from `source`, sends a ClientHello, reads what comes first: ("bytes",
    data), ("closed", b""), ("reset", b"") or ("silent", b"") at the deadline."""
    hello = _hello_bytes(target)
    wait = max(2.0, target.limits.handshake_timeout + 1.0)
    sock = socket.create_connection(target.address, timeout=3.0, source_address=(source, 0))
    try:
        with contextlib.suppress(OSError):
            sock.sendall(hello)
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "silent", b""
            sock.settimeout(remaining)
            try:
                data = sock.recv(4096)
            except TimeoutError:
                return "silent", b""
            except OSError:
                return "reset", b""
            return ("bytes", data) if data else ("closed", b"")
    finally:
        sock.close()


def _judge(kind: str, data: bytes, path: str, requirement: str) -> None:
    if kind != "bytes" or data[0] in _TLS_CONTENT_TYPES:
        return
    raise ConformanceFailure(
        f"Expected: the refusal ({path}) in TLS — an alert, a handshake and then EROR busy "
        "inside it — or a close\n"
        f"Actual:   {len(data)} bytes that open no TLS record (content type {data[0]}): "
        f"{data[:48]!r}\n"
        f"{requirement}: over sft-pki/1 an EROR busy is possible only inside TLS "
        "(PKI-TLS-1, PKI-TLS-6); a frame in clear on the TLS port is read by the client as "
        "a broken TLS record, not as a refusal",
        violates=(requirement,),
    )


@contextlib.contextmanager
def _established(
    target: Target, sources: list[str], workdir: Path, transcripts: TranscriptBook
) -> Iterator[list[Channel]]:
    held: list[Channel] = []
    try:
        for index, source in enumerate(sources):
            held.append(
                _honest_get(target, source, workdir, transcripts, f"connection {index + 1}")
            )
        yield held
    finally:
        for channel in held:
            channel.close()


def _needs(target: Target) -> None:
    if target.root is None:
        pytest.skip("pki needs --root")


@pytest.mark.req("LIM-4")
def test_a_full_responder_refuses_in_tls_or_closes(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _needs(pki_target)
    _, total = _limits(pki_target)
    addresses = _fresh(sources_for(pki_target), total + 1)
    if len(addresses) < total + 1:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    with _established(pki_target, addresses[:total], tmp_path, transcripts):
        kind, data = _first_answer(pki_target, addresses[total])
    _judge(kind, data, f"connection {total + 1} with max_connections {total} established", "LIM-4")


@pytest.mark.req("LIM-8")
def test_an_address_over_its_cap_is_refused_in_tls_or_closed(
    pki_target: Target, transcripts: TranscriptBook
) -> None:
    _needs(pki_target)
    per_address, _ = _limits(pki_target)
    if per_address is None:
        pytest.skip("the target declares no per-address cap ([limits] max_pending_per_address)")
    source = _fresh(sources_for(pki_target), 1)
    if not source:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    held: list[RawConnection]
    with _silent(pki_target, source * per_address, transcripts) as held:
        del held
        kind, data = _first_answer(pki_target, source[0])
    _judge(
        kind, data, f"connection {per_address + 1} of one address, LIM-8 cap {per_address}",
        "LIM-8",
    )
