"""LIM-5 and APP-BYE-1: several stalled peers at once must not delay an honest client.

LIM-5: a responder "MUST keep serving other connections, and accept new ones, whatever
one connection does (malformed input, slow sending, vanishing)". The class of bug: a
resource shared by connections is held while one peer is waited on — one lock around
each handshake, a small pool of handshake workers, the connection table's lock held
while the close after BYE_ waits for the peer's FIN. One stalled peer often shows
nothing (a pool of three has room for it); several do. So each case stalls SEVERAL
peers at once (as many as the slots allow without eviction, each from its own source
address on loopback, so LIM-8 never applies) in one of the ways a peer stalls, then
times an honest client's handshake and get: it must be served within the target's own
handshake timeout (a correct responder serves it in a fraction of that; a responder
that lets it wait for a stalled peer's deadline or linger takes at least that long).
A slow run is told apart from a waiting one by a baseline honest get with nothing
stalled: if that is slow too, the case is inconclusive (SKIP), never FAIL.

APP-BYE-1: after `BYE_` the responder "MUST then close": the TCP connection ends even if
the initiator, after sending `BYE_`, neither closes nor (pki) sends its close_notify —
a close that waits for the peer without a bound (`unwrap()` on a blocking socket) keeps
the connection, and its slot, for as long as the peer likes.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, known_file, suite_identity
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.eke_support import PartialHandshake, ghost_user, sources_for, start_handshake
from conformance.pki_channel import PkiChannel, client_context
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectFrame, RawConnection, Transcript

__all__: list[str] = []

_MAX_STALLED = 8  # stalled peers at most (sockets held by one case)
_BYE_STALLED = 3  # sessions that send BYE_ and then hold their socket
_MAX_HANDSHAKE = 10.0  # above this declared handshake timeout the cases are too slow


def _loopback(target: Target) -> None:
    if not target.host.startswith("127."):
        pytest.skip("needs a target on loopback (the cases connect from several 127.x.y.z)")
    if target.limits.handshake_timeout > _MAX_HANDSHAKE:
        pytest.skip(f"handshake timeout {target.limits.handshake_timeout:g} s is too long here")


def _small_file(target: Target) -> KnownFile:
    known_file(target)  # skips without one
    return min((f for f in target.files if f.size > 0), key=lambda f: f.size)


def _honest(target: Target, source: str, workdir: Path) -> Channel:
    """An honest, authenticated channel from `source`."""
    timeout = max(4.0, 4 * target.limits.handshake_timeout)
    if target.profile == "eke":
        if not target.accounts:
            pytest.skip("needs an eke account (give --user and --password-file)")
        account = target.accounts[0]
        return EkeChannel.connect(
            target.host, target.port, account.user, account.password,
            timeout=timeout, source=source,
        )  # fmt: skip
    if target.root is None:
        pytest.skip("pki needs --root")
    cert, key = suite_identity(target, workdir)
    transcript = Transcript(name=f"pki client from {source}")
    raw = socket.create_connection(target.address, timeout=timeout, source_address=(source, 0))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        tls = client_context(target.root, cert, key).wrap_socket(
            raw, server_side=False, suppress_ragged_eofs=False
        )
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        raise ConformanceFailure(f"TLS handshake from {source} failed: {exc}") from None
    return PkiChannel(tls, name=transcript.name, timeout=timeout, transcript=transcript)


def _timed_get(target: Target, source: str, workdir: Path, transcripts: TranscriptBook) -> float:
    """Seconds from connect to the verified end of one get of a small known file."""
    file = _small_file(target)
    started = time.monotonic()
    channel = _honest(target, source, workdir)
    transcripts.add(channel)
    try:
        channel.send_frame("RQFL", {"name": file.name})
        channel.expect([ExpectFrame("RSFL", {"name": file.name})]).check(f"RQFL {file.name!r}")
        channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
            f"the get of {file.name!r}"
        )
        return time.monotonic() - started
    finally:
        channel.close()


def _judge(
    target: Target,
    stall: Callable[[list[str]], contextlib.AbstractContextManager[object]],
    count: int,
    what: str,
    workdir: Path,
    transcripts: TranscriptBook,
) -> None:
    sources = sources_for(target)
    addresses = [sources.fresh() for _ in range(count + 2)]
    if any(a is None for a in addresses):
        pytest.skip("needs a target on loopback")
    stalled, honest, baseline_source = addresses[:count], addresses[count], addresses[count + 1]
    bound = target.limits.handshake_timeout
    with stall([a for a in stalled if a is not None]):
        assert honest is not None
        took = _timed_get(target, honest, workdir, transcripts)
    if took <= bound:
        return
    assert baseline_source is not None
    baseline = _timed_get(target, baseline_source, workdir, transcripts)
    if baseline > bound / 2:
        pytest.skip(
            f"INCONCLUSIVE: an honest get took {took:.2f} s beside {what}, but {baseline:.2f} s "
            "with nothing stalled: the run is too slow to tell"
        )
    raise ConformanceFailure(
        f"LIM-5: {count} peers stalled at once ({what}), each from its own address\n"
        f"Expected: an honest client from another address served (handshake and a get of a "
        f"small file) within the handshake timeout ({bound:g} s), as it is with nothing "
        f"stalled ({baseline:.2f} s)\n"
        f"Actual:   it took {took:.2f} s: it waited for the stalled peers (a lock or a "
        "bounded pool of workers held while a peer is waited on)",
        violates=("LIM-5",),
    )


def _stall_count(target: Target) -> int:
    # Room for the honest client (and the baseline, one after the other) without
    # eviction (LIM-9): a correct responder has a free slot for it.
    return max(1, min(_MAX_STALLED, target.limits.max_connections - 2))


@pytest.mark.req("LIM-5")
def test_honest_client_served_beside_many_silent_handshakes(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _loopback(target)
    _small_file(target)

    @contextlib.contextmanager
    def silent(addresses: list[str]) -> Iterator[object]:
        held: list[RawConnection] = []
        try:
            for index, source in enumerate(addresses):
                sock = socket.create_connection(
                    target.address, timeout=3.0, source_address=(source, 0)
                )
                conn = RawConnection(sock, name=f"silent #{index + 1} from {source}", timeout=3.0)
                conn.transcript.add("event", note="connected; sends nothing")
                transcripts.add(conn)
                held.append(conn)
            yield held
        finally:
            for conn in held:
                conn.close()

    count = _stall_count(target)
    _judge(target, silent, count, "TCP connected, silent in the handshake", tmp_path, transcripts)


@pytest.mark.req("LIM-5")
def test_honest_client_served_beside_sessions_lingering_after_bye(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _loopback(target)
    _small_file(target)

    @contextlib.contextmanager
    def lingering(addresses: list[str]) -> Iterator[object]:
        held: list[Channel] = []
        try:
            for source in addresses:
                held.append(_honest(target, source, tmp_path))
            # All at once: each sends BYE_, then neither reads nor closes.
            for channel in held:
                transcripts.add(channel)
                channel.send_frame("BYE_", {})
            yield held
        finally:
            for channel in held:
                channel.close()

    count = min(_BYE_STALLED, _stall_count(target))
    _judge(target, lingering, count, "sessions that sent BYE_ and keep their socket open",
           tmp_path, transcripts)  # fmt: skip


@pytest.mark.req("LIM-5")
def test_honest_login_served_beside_many_pending_logins(
    eke_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """sft-eke/1: the stalled peers are logins held between EKE2 and EKE3 (each of its
    own unknown user name and address, so no pending cap of EKE-THR-7 applies): a lock
    or worker held until a login's EKE3 arrives stalls the honest one."""
    target = eke_target
    _loopback(target)
    _small_file(target)
    timeout = max(3.0, 2 * target.limits.handshake_timeout)

    @contextlib.contextmanager
    def pending(addresses: list[str]) -> Iterator[object]:
        held: list[PartialHandshake] = []
        try:
            for source in addresses:
                hs = start_handshake(target, ghost_user(), bytes(32), source=source,
                                     timeout=timeout)  # fmt: skip
                transcripts.add(hs.raw)
                held.append(hs)
            for hs in held:
                hs.receive_eke2(timeout)  # EKE2 (or a refusal): the login is then pending
            yield held
        finally:
            for hs in held:
                hs.close()

    count = _stall_count(target)
    _judge(target, pending, count, "logins held between EKE2 and EKE3", tmp_path, transcripts)


def _raw_socket(channel: Channel) -> socket.socket:
    if isinstance(channel, EkeChannel):
        return channel.raw.sock
    assert isinstance(channel, PkiChannel)
    return channel.sock


@pytest.mark.req("APP-BYE-1")
def test_responder_closes_after_bye_although_the_initiator_stays(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _loopback(target)
    source = sources_for(target).fresh()
    assert source is not None
    channel = _honest(target, source, tmp_path)
    transcripts.add(channel)
    sock = _raw_socket(channel)
    # The idle timeout bounds any wait for a peer that says nothing more (LIM-2).
    bound = 1.5 * target.limits.idle_timeout + 1.0
    try:
        channel.send_frame("BYE_", {})
        started = time.monotonic()
        # Read (and drop) the optional BYE_ echo and, over TLS, the close_notify, then
        # the raw TCP stream: its end (FIN or reset) is the close. The suite never sends
        # its own close_notify nor closes.
        tls_done = not isinstance(sock, ssl.SSLSocket)
        while True:
            remaining = started + bound - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            try:
                data = socket.socket.recv(sock, 65536) if tls_done else sock.recv(65536)
            except ssl.SSLError:
                tls_done = True
                continue
            except ConnectionError:
                return  # a reset ends the connection too
            if not data:
                if tls_done:
                    return
                tls_done = True  # close_notify read: now the TCP stream's end
    except TimeoutError:
        raise ConformanceFailure(
            f"APP-BYE-1: BYE_ sent; the suite then neither closed nor sent anything more "
            f"(no close_notify)\nExpected: the responder closes the TCP connection (FIN or "
            f"reset) within {bound:.1f} s (1.5 idle timeouts + 1 s)\n"
            f"Actual:   still open after {time.monotonic() - started:.1f} s: the close waits "
            "for the initiator without a bound",
            violates=("APP-BYE-1",),
        ) from None
    finally:
        channel.close()
