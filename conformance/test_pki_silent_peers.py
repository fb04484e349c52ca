"""Peers that go silent where the responder waits on them last: at the `busy` refusal and
at the close (docs/SPEC.md LIM-5, LIM-4); sft-pki/1 responder.

LIM-5: a responder MUST keep serving other connections, and accept new ones, whatever one
connection does. Over TLS two late steps of a connection wait on the peer: the TLS
handshake that carries `EROR busy` to a connection above `max_connections` (LIM-4), and
the closing handshake (our close_notify, then the peer's) that ends a connection
(PKI-TLS-7). A responder that runs either where every connection passes — the `busy`
handshake on the accept loop ("a refusal is cheap"), the close inside the lock that
guards the connection count ("release the slot and close atomically") — is stalled by
peers that never send their ClientHello, or never answer the close_notify: each one
holds up every accept for the whole wait. test_limits_responder.py stalls a handshake
and a reader, never these two.

Each case makes several such peers, then asks for a known file on a new connection: it
must be served within a bound far below what the silent peers add up to.
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    TranscriptBook,
    fresh_name,
    get_file,
    known_file,
    lab_pki,
    require,
    suite_identity,
)
from conformance.channel import Channel
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    TimedOut,
    deadline_after,
)

_MAX_LIMIT = 16  # the largest max_connections the busy case fills
_SILENT = 3  # silent connections above the limit
_CLOSERS = 6  # connections that end with BYE_ and never answer the close_notify


def _bound(target: Target) -> float:
    """How long a new connection may take to be served: a loaded machine's honest TLS
    handshake and get, and no more than one handshake timeout."""
    return max(2.5, min(5.0, target.limits.handshake_timeout or 5.0))


def _alive(channel: Channel) -> str:
    channel.send_frame("RQFL", {"name": fresh_name("silent-missing")})
    outcome = channel.expect([ExpectError("not_found")])
    return "" if outcome.ok else outcome.describe()


def _served_within(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, seconds: float
) -> tuple[float | None, str]:
    """Seconds until a get of a known file is served on a new connection (retried, since
    a slot may still be freeing); (None, why) if not within `seconds`."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    name = known_file(target).name
    started = time.monotonic()
    why = "no attempt"
    while True:
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            return None, why
        result = connect_pki(
            target.host, target.port, ctx, timeout=max(0.2, left), name="the honest connection"
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            why = f"handshake: {result.reason}"
        else:
            transcripts.add(result)
            try:
                got = get_file(result, name, also=[ExpectError("busy")])
                if got.done is not None:
                    return time.monotonic() - started, ""
                why = got.first.describe()
            except (ConformanceFailure, OSError, ssl.SSLError) as exc:
                why = f"{type(exc).__name__}: {exc}"
            finally:
                result.close()
        time.sleep(0.05)  # a bounded retry interval, not a synchronisation


def _answered_within(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, seconds: float
) -> str | None:
    """None when a new connection gets any answer within `seconds` (a refused handshake,
    `EROR busy`, a close, or its get served); else what the silence looked like."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    started = time.monotonic()
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        timeout=seconds,
        name="a new connection",
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        took = time.monotonic() - started
        if took < seconds * 0.95:
            return None  # refused in its handshake: an answer
        return f"no TLS handshake within {took:.2f} s ({result.reason})"
    transcripts.add(result)
    try:
        result.send_frame("RQFL", {"name": known_file(target).name})
        first = result.recv_frame(deadline_after(max(0.1, seconds - (time.monotonic() - started))))
    finally:
        result.close()
    if isinstance(first, TimedOut):
        return f"the TLS handshake completed, then silence: {first.describe()}"
    return None  # RSFL, EROR busy, or the close


@pytest.mark.req("LIM-5", "LIM-4")
@pytest.mark.xdist_group("connection-limit")
def test_silent_connections_above_the_limit_do_not_stall_accepting(
    target: Target, app_channel: AppChannel, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Every slot held by an established connection; three more connect and send nothing
    (above the limit: refused by a close, or held for a `busy` handshake they never
    start); then one more connection, which must get an answer — `EROR busy`, a refusal,
    a close, or its get served if a slot freed meanwhile — within the bound, not after the
    silent ones' handshake timeouts one after another."""
    require(target, "busy")
    limit = target.limits.max_connections
    if limit is None or limit > _MAX_LIMIT:
        pytest.skip(f"max_connections {limit}: the case holds at most {_MAX_LIMIT}")
    bound = _bound(target)
    holders: list[Channel] = []
    silent: list[socket.socket] = []
    try:
        idle = target.limits.idle_timeout or 60.0
        last: list[float] = []
        for index in range(limit):
            # Keep-alives on the older ones, so that none idles out while more open.
            for older, channel in enumerate(holders):
                if time.monotonic() - last[older] > idle / 3:
                    why = _alive(channel)
                    if why:
                        pytest.skip(f"held connection {older + 1} idled out: {why}")
                    last[older] = time.monotonic()
            holder = app_channel()
            why = _alive(holder)
            if why:
                pytest.skip(f"held connection {index + 1} was not served: {why}")
            holders.append(holder)
            last.append(time.monotonic())
        # Every slot proven held, just now: the silent ones come above the limit.
        for index, channel in enumerate(holders):
            why = _alive(channel)
            if why:
                pytest.skip(f"held connection {index + 1} idled out: {why}")
        for _ in range(_SILENT):
            silent.append(socket.create_connection((target.host, target.port), timeout=bound))
        # The silent ones are in the listen queue ahead of the new connection.
        silence = _answered_within(target, tmp_path, transcripts, bound)
    finally:
        for channel in holders:
            channel.close()
        for sock in silent:
            sock.close()
    if silence is not None:
        raise ConformanceFailure.evidence(
            f"LIM-5: {limit} established connections (max_connections {limit}), "
            f"{_SILENT} more connected and silent (no ClientHello), then one more connection",
            f"an answer to the last one within {bound:.2f} s (EROR busy, a refusal, a close, "
            "or its get served)",
            silence,
            "the TLS handshake meant to carry `EROR busy` to a connection above the limit, "
            "run on the accept loop, waits out each silent one's handshake timeout in turn",
        )


@pytest.mark.req("LIM-5")
@pytest.mark.parametrize("ending", ["bye", "refused-certificate"])
def test_peers_that_never_answer_the_close_do_not_stall_accepting(
    target: Target,
    app_channel: AppChannel,
    tmp_path: Path,
    transcripts: TranscriptBook,
    ending: str,
) -> None:
    """Six connections end — with BYE_, or refused for a certificate without an EKU after
    their TLS handshake (PKI-TLS-10) — and the responder sends its close_notify and may
    wait for the peer's; the suite then neither answers nor closes them. A new honest
    connection must be served within the bound meanwhile."""
    limit = target.limits.max_connections
    closers = min(_CLOSERS, (limit or _CLOSERS + 1) - 1)
    if closers < 2:
        pytest.skip(f"max_connections {limit} leaves no room for the closing connections")
    bound = _bound(target)
    held: list[Channel] = []
    try:
        if ending == "bye":
            for index in range(closers):
                channel = app_channel()
                why = _alive(channel)
                if why:
                    pytest.skip(f"connection {index + 1} was not served: {why}")
                held.append(channel)
            for channel in held:
                channel.send_frame("BYE_", {})
            # Each BYE_ answered (an echo, or the close at once): the ends are under way.
            for channel in held:
                channel.expect([ExpectFrame("BYE_")], timeout=bound)
        else:
            assert target.root is not None
            cert, key = (
                lab_pki(target).bad("no_eku", alias="sft-silent-refused").write(tmp_path, "no-eku")
            )
            ctx = client_context(target.root, cert, key)
            for index in range(closers):
                result = connect_pki(target.host, target.port, ctx, name=f"refused {index + 1}")
                if isinstance(result, HandshakeRefused):
                    transcripts.add(result.transcript)
                    pytest.skip(f"the certificate was refused in the handshake: {result.reason}")
                transcripts.add(result)
                held.append(result)  # never read: its EROR and close_notify stay unanswered
        took, why = _served_within(target, tmp_path, transcripts, bound)
    finally:
        for channel in held:
            channel.close()
    if took is None:
        raise ConformanceFailure.evidence(
            f"LIM-5: {closers} connections end ({ending}) and their initiators then go silent "
            "(no close_notify, no FIN); a new connection meanwhile",
            f"a get on the new connection served within {bound:.2f} s",
            f"not served: {why}",
            "a close that waits for the peer's close_notify inside the lock that admits "
            "connections holds up every accept for each silent peer in turn",
        )
