"""LIM-9 on sft-pki/1: a full responder makes room by closing the OLDEST connection still in
its handshake, so a TLS handshake in progress outlives the silent sockets that come after
it (docs/SPEC.md §6).

conformance/test_ops_lim9_eviction_order.py proves this on sft-eke/1, where the suite can
hold a handshake between its messages. test_lockout.py, test_limits_slots.py and
test_pki_handshake_burst.py fill a pki responder with silent sockets and then let an
honest client in: at that moment the newest unfinished connection is the last silent
socket, so a responder that closes the NEWEST to make room (the last match of a loop
that forgot its `break`, a LIFO list) passes them all (blind round 16: pki4's
b16_evict_newest_handshake). Here the honest client is in the middle of its TLS 1.3
handshake — ClientHello sent, the responder's whole flight (ServerHello … Finished) read,
its own Certificate, CertificateVerify and Finished held back, so the responder is still
waiting for them — when more silent sockets arrive from new addresses: it is then the
newest unfinished connection, and a responder that evicts the newest closes it, while
"the oldest such connection" is one of the silent ones, there since before it. The held
flight is then sent and the connection MUST serve a request (a get of a missing name is
answered `not_found`).

Loopback only: the silent sockets come from as many 127.x.y.z addresses, none near LIM-8's
per-address cap.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, suite_identity
from conformance.eke_support import sources_for
from conformance.pki_channel import client_context
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("connection-limit")]

_MAX_HELD = 72
_LATER = 2  # silent sockets that arrive while the honest handshake is in progress
_READ = 65_536


class _Held:
    """A TLS 1.3 client handshake driven over a socket by hand, through memory BIOs."""

    def __init__(self, ctx: ssl.SSLContext, raw: socket.socket) -> None:
        self.raw = raw
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=False)

    def flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.raw.sendall(data)

    def feed(self, deadline: float) -> bool:
        """One read from the socket into the TLS object; False at the end of the stream."""
        self.raw.settimeout(max(0.05, deadline - time.monotonic()))
        data = self.raw.recv(_READ)
        if not data:
            self.incoming.write_eof()
            return False
        self.incoming.write(data)
        return True

    def to_own_flight(self, deadline: float) -> str:
        """ClientHello out, the responder's flight in, our flight left in the BIO unsent.
        Empty when done, else what happened instead."""
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.flush()
        while time.monotonic() < deadline:
            try:
                if not self.feed(deadline):
                    return "the connection ended before the responder's handshake flight"
            except TimeoutError:
                break
            except OSError as exc:
                return f"the connection failed before the responder's flight: {exc}"
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                # A HelloRetryRequest (a responder with fewer groups, PKI-TLS-9) asks for a
                # second ClientHello: it goes out; only our final flight is held.
                self.flush()
                continue
            except ssl.SSLError as exc:
                return f"the TLS handshake failed: {exc.reason or exc}"
            return ""  # our Certificate, CertificateVerify, Finished wait in `outgoing`
        return "no complete handshake flight from the responder in time"

    def request(self, payload: bytes, deadline: float) -> bytes | str:
        """Sends the held flight and `payload`; the first 8 bytes answered, or what
        happened instead."""
        try:
            self.flush()
            self.tls.write(payload)
            self.flush()
        except OSError as exc:
            return f"sending the held flight and a request failed: {exc}"
        got = b""
        while len(got) < 8 and time.monotonic() < deadline:
            try:
                got += self.tls.read(_READ)
                continue
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                return "close_notify, no answer"
            except ssl.SSLError as exc:
                return f"TLS error: {exc.reason or exc}"
            try:
                if not self.feed(deadline):
                    return "the connection ended (no close_notify), no answer"
            except TimeoutError:
                break
            except OSError as exc:
                return f"the connection failed: {exc}"
        return got if len(got) >= 8 else f"no answer in time ({len(got)} bytes)"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.close()


@pytest.mark.req("LIM-9")
def test_a_tls_handshake_in_progress_outlives_later_silent_sockets(
    pki_target: Target, tmp_path: Path
) -> None:
    target = pki_target
    total = target.limits.max_connections
    if total is None or total + _LATER + 1 > _MAX_HELD:
        pytest.skip(f"max_connections {total}: too many sockets to hold here")
    sources = sources_for(target)
    if not target.host.startswith("127.") or sources.fresh() is None:
        pytest.skip("needs a target on loopback (silent sockets from many 127.x addresses)")
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    deadline = target.limits.handshake_timeout or 10.0
    silent: list[socket.socket] = []
    held: _Held | None = None
    try:
        started = time.monotonic()
        for _ in range(total):  # the responder full of unfinished connections
            silent.append(
                socket.create_connection(
                    target.address, timeout=3.0, source_address=(sources.fresh() or "", 0)
                )
            )
        raw = socket.create_connection(
            target.address, timeout=3.0, source_address=(sources.fresh() or "", 0)
        )
        held = _Held(ctx, raw)
        why = held.to_own_flight(started + deadline)
        if why:
            raise ConformanceFailure.evidence(
                f"LIM-9: an honest TLS handshake while {total} silent connections from "
                f"{total} addresses filled the responder (max_connections {total})",
                "the responder's handshake flight: the oldest unfinished connection closed "
                "to admit it",
                why,
            )
        for _ in range(_LATER):  # then more silent sockets: each evicts the oldest
            silent.append(
                socket.create_connection(
                    target.address, timeout=3.0, source_address=(sources.fresh() or "", 0)
                )
            )
        elapsed = time.monotonic() - started
        if elapsed > deadline * 0.8:
            inconclusive(
                f"opening {total + _LATER} sockets and the handshake took {elapsed:.2f} s, near "
                f"the {deadline:g} s handshake deadline (LIM-1): a close now could be the "
                "deadline's"
            )
        missing = fresh_name("eviction-order-missing")
        answer = held.request(
            frame_bytes("RQFL", b'{"name":"' + missing.encode() + b'"}'),
            time.monotonic() + deadline + 2.0,
        )
        if isinstance(answer, str):
            raise ConformanceFailure.evidence(
                f"LIM-9: an honest TLS 1.3 handshake in progress (the responder's flight "
                f"read, ours held back) when {_LATER} more silent connections from new "
                f"addresses arrived at a full responder (max_connections {total}); then our "
                f"flight and an RQFL of a missing name",
                "an answer (EROR not_found): the OLDEST unfinished connections, silent since "
                "before it, are closed to make room, never the handshake that is completing",
                answer,
            )
    finally:
        if held is not None:
            held.close()
        for sock in silent:
            with contextlib.suppress(OSError):
                sock.close()
