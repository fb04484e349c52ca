"""Every way a connection ends gives its slot back (docs/SPEC.md LIM-4, LIM-5).

LIM-4: above `max_connections` a responder refuses new connections, and MUST accept again
once connections end. An implementation that releases a connection's slot on the path of
a normal ending only (`BYE_`, a completed transfer, the peer's close between requests)
keeps the slot of a connection that ended another way — a fatal `EROR`, a put refused
`integrity_failed`, an initiator that vanished in the middle of a put, a certificate
refused after the TLS handshake (PKI-TLS-10), a TLS handshake that failed — and after
`max_connections` such endings it refuses everyone (`busy`, or a close), for good. The
honest cases never take those paths, so they do not see it.

Each case ends `max_connections + 1` connections one way, one after the other (each
ended before the next is opened: never more than one is open), then asks for a known
file on a new honest connection: it must be served within a bound (the responder may
still be finishing the last ended connection, so the honest get is retried until then).

The last case fills every slot with ESTABLISHED connections (the LIM-4 case of
test_limits.py holds connections still in their handshake, which LIM-9 lets a responder
evict, so it never reaches the path of a responder that is really full): one more is
refused — over sft-pki/1 an `EROR busy` ends an established TLS connection, with a
close_notify (PKI-TLS-7) and at once (ERR-3) —, no established connection is closed to
make room (LIM-9), and once they end a new one is served.

Fixtures (conformance/plugin.py): `target` (both profiles), `app_channel()`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
)
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

_MAX_CONNECTIONS = 64  # the largest declared limit the case repeats an ending for

Ending = Callable[[Target, AppChannel, Path, TranscriptBook], None]


def _until_closed(channel: Channel, seconds: float) -> None:
    """Reads (and drops) what the responder still sends until it closes, or `seconds`."""
    deadline = deadline_after(seconds)
    while time.monotonic() < deadline:
        if isinstance(channel.recv_frame(deadline), Closed):
            return


def _socket_of(channel: Any) -> socket.socket:
    """The TCP socket under a channel (pki: the TLS socket; eke: its raw connection's)."""
    sock: socket.socket = getattr(channel, "raw", channel).sock
    return sock


def _accepted(channel: Channel) -> bool:
    """The PUTF just sent was accepted (a refusal ends this ending's attempt early)."""
    return channel.expect([ExpectFrame("RSFL", {"accept": True})]).ok


def _fatal_error(target: Target, app_channel: AppChannel, _: Path, __: TranscriptBook) -> None:
    channel = app_channel()
    channel.send_frame("ZZZZ", {})  # an undefined type: unexpected_frame, fatal [FRM-5]
    _until_closed(channel, close_bound(target.limits.idle_timeout))
    channel.close()


def _failed_put(target: Target, app_channel: AppChannel, _: Path, __: TranscriptBook) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name("slot"), "size": 10})
    if not _accepted(channel):
        channel.close()
        return
    channel.send_frame("DATA", b"0123456789")
    # A DONE whose SHA-256 is not the data's: integrity_failed, fatal [APP-PUT-5].
    channel.send_frame("DONE", {"size": 10, "sha256": hashlib.sha256(b"other").hexdigest()})
    _until_closed(channel, close_bound(target.limits.idle_timeout))
    channel.close()


def _vanished_mid_put(target: Target, app_channel: AppChannel, _: Path, __: TranscriptBook) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name("slot"), "size": 4000})
    if not _accepted(channel):
        channel.close()
        return
    channel.send_frame("DATA", b"x" * 1000)
    # The initiator vanishes: a TCP reset in the middle of the put.
    sock = _socket_of(channel)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    socket.socket.close(sock)
    channel.close()


def _refused_certificate(
    target: Target, _: AppChannel, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    # No ExtendedKeyUsage: OpenSSL lets it through, the responder's own check refuses
    # it after the handshake [PKI-CERT-5, PKI-TLS-10].
    assert target.root is not None
    cert, key = lab_pki(target).bad("no_eku", alias="suite").write(tmp_path, "slot-no-eku")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key, weak_allowed=True),
        name="slot: no-EKU client certificate",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if isinstance(result, HandshakeRefused):
        return
    result.send_frame("RQFL", {"name": "hello.txt"})  # refused whatever it asks
    _until_closed(result, close_bound(target.limits.idle_timeout))
    result.close()


def _failed_handshake(
    target: Target, _: AppChannel, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    # A certificate of a foreign CA: the TLS handshake itself fails [PKI-CERT-4].
    assert target.root is not None
    cert, key = lab_pki(target).bad("foreign_ca", alias="suite").write(tmp_path, "slot-foreign")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key, weak_allowed=True),
        name="slot: foreign-CA client certificate",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if not isinstance(result, HandshakeRefused):
        _until_closed(result, close_bound(target.limits.idle_timeout))
        result.close()


_ENDINGS: dict[str, tuple[Ending, tuple[str, ...]]] = {
    "fatal_error": (_fatal_error, ("eke", "pki")),
    "failed_put": (_failed_put, ("eke", "pki")),
    "vanished_mid_put": (_vanished_mid_put, ("eke", "pki")),
    "refused_certificate": (_refused_certificate, ("pki",)),
    "failed_handshake": (_failed_handshake, ("pki",)),
}


def _served_again(
    target: Target, app_channel: AppChannel, name: str, seconds: float
) -> tuple[bool, str]:
    """An honest get of `name` on a new connection, retried for `seconds`: (served, why)."""
    deadline = time.monotonic() + seconds
    why = "no attempt"
    while True:
        channel: Channel | None = None
        try:
            channel = app_channel()
            result = get_file(channel, name)
            if result.done is not None:
                return True, ""
            why = result.first.describe()
        except (ConformanceFailure, OSError, ssl.SSLError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        finally:
            if channel is not None:
                channel.close()
        if time.monotonic() >= deadline:
            return False, why
        time.sleep(0.1)  # a bounded retry interval, not a synchronisation


@pytest.mark.req("LIM-4", "LIM-5")
@pytest.mark.xdist_group("connection-limit")
@pytest.mark.parametrize("ending", sorted(_ENDINGS))
def test_ended_connections_give_their_slots_back(
    target: Target,
    app_channel: AppChannel,
    tmp_path: Path,
    transcripts: TranscriptBook,
    ending: str,
) -> None:
    """max_connections + 1 connections end one way, one after the other; then an honest
    get is served: the slot of every ended connection came back [LIM-4]."""
    end_one, profiles = _ENDINGS[ending]
    if target.profile not in profiles:
        pytest.skip(f"the ending {ending!r} is for {' and '.join(profiles)} only")
    limit = target.limits.max_connections
    if limit > _MAX_CONNECTIONS:
        pytest.skip(f"max_connections {limit} is too many connections to end one by one")
    name = known_file(target).name
    for _ in range(limit + 1):
        end_one(target, app_channel, tmp_path, transcripts)
    # The last ended connection may still be closing (its close_notify exchange, a
    # drain): a bound of two idle timeouts and a handshake timeout, plus slack.
    bound = 2 * target.limits.idle_timeout + target.limits.handshake_timeout + 2.0
    served, why = _served_again(target, app_channel, name, bound)
    if not served:
        raise ConformanceFailure.evidence(
            f"LIM-4: {limit + 1} connections (max_connections {limit}) ended one after the "
            f"other by {ending.replace('_', ' ')}; then an honest get of {name!r}",
            f"the honest connection is served within {bound:.1f} s: an ended connection "
            "gives its slot back",
            f"not served; last attempt: {why}",
            note="a slot released only on the path of a normal ending",
        )


# --- every slot taken by an established connection ----------------------------------------


class _NotHeld(Exception):
    """A held connection did not answer its keep-alive (it idled out under load)."""


def _alive(channel: Channel) -> str:
    """A cheap request (a get of a missing name): "" if answered `not_found`, else what
    came instead (an idle timeout, a close)."""
    channel.send_frame("RQFL", {"name": fresh_name("slot-missing")})
    outcome = channel.expect([ExpectError("not_found")])
    return "" if outcome.ok else outcome.describe()


def _keep_alive(
    channels: list[Channel], last: list[float], idle: float, *, every: bool = False
) -> None:
    """A keep-alive on each channel quiet for a third of the idle timeout (`every`: on
    each), so that none idles out while more open. An answered request also proves the
    responder finished that connection's handshake: in TLS 1.3 the suite's side completes
    first, and a connection the responder still counts as in its handshake is one LIM-9
    lets it evict."""
    for index, channel in enumerate(channels):
        if every or time.monotonic() - last[index] > idle / 3:
            why = _alive(channel)
            if why:
                raise _NotHeld(f"held connection {index + 1}: {why}")
            last[index] = time.monotonic()


def _hold(app_channel: AppChannel, limit: int, idle: float) -> tuple[list[Channel], list[float]]:
    """`limit` established connections, each just proven alive; a few attempts (on a
    loaded machine a handshake can outlast a short idle timeout), else SKIP."""
    why = ""
    for _ in range(3):
        holders: list[Channel] = []
        last: list[float] = []
        try:
            for _ in range(limit):
                _keep_alive(holders, last, idle)
                holders.append(app_channel())
                last.append(time.monotonic())
            _keep_alive(holders, last, idle, every=True)
            return holders, last
        except _NotHeld as exc:
            why = str(exc)
            for holder in holders:
                holder.close()
    pytest.skip(f"could not hold {limit} live connections within the idle timeout: {why}")


def _probe_over_the_limit(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, quick: float
) -> Channel | None:
    """One connection more than the limit: None if refused in its handshake, else the
    open channel (pki: TLS established; eke: TCP connected, nothing sent)."""
    conn: Channel
    if target.profile == "pki":
        assert target.root is not None
        cert, key = suite_identity(target, tmp_path)
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, cert, key),
            timeout=quick,
            name="one connection over max_connections",
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            return None
        conn = result
    else:
        # No EKE1: a half handshake could count as a failure towards throttling.
        conn = RawConnection.connect(target.host, target.port, timeout=quick)
    transcripts.add(conn)
    return conn


@pytest.mark.req("LIM-4", "LIM-9", "PKI-TLS-7", "ERR-3")
@pytest.mark.xdist_group("connection-limit")
def test_full_of_established_connections_refuses_then_recovers(
    target: Target, app_channel: AppChannel, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Every slot held by an ESTABLISHED connection (kept busy enough never to idle out):
    one more connection is refused — at once by a close, or with `EROR busy` and then the
    end of the connection at once (ERR-3), over sft-pki/1 a TLS close_notify (PKI-TLS-7:
    the refusal ends an established TLS connection) —, no established connection is
    closed to make room (LIM-9), and once they end a new connection is served (LIM-4).
    (The other LIM-4 case holds connections still in their handshake, which LIM-9 lets
    the responder evict: it never reaches this path.)"""
    require(target, "busy")
    limit = target.limits.max_connections
    if limit > 16:
        pytest.skip(f"max_connections {limit}: the case holds at most 16 live connections")
    idle = target.limits.idle_timeout
    quick = min(1.0, max(0.3, idle / 3))
    wait = max(quick, min(1.0, idle / 2))
    name = known_file(target).name
    holders, last = _hold(app_channel, limit, idle)
    probe: Channel | None = None
    try:
        probe = _probe_over_the_limit(target, tmp_path, transcripts, quick)
        first: object = None
        if probe is not None:
            # A responder over its limit answers at once; a little longer than `quick`
            # for a loaded machine, still well within the holders' idle timeout.
            first = probe.recv_frame(deadline_after(wait))
        if isinstance(first, TimedOut):
            # Silence: the responder took it. Was an established connection closed for it?
            quiet = time.monotonic() - min(last)
            gone = [index + 1 for index, holder in enumerate(holders) if _alive(holder)]
            if gone and quiet >= idle:
                pytest.skip(
                    f"held connections {gone} may have idled out ({quiet:.2f} s quiet, idle "
                    f"timeout {idle} s) while the probe was made: a loaded machine"
                )
            if gone:
                raise ConformanceFailure(
                    f"LIM-9: connection {limit + 1} was admitted while {limit} ESTABLISHED "
                    f"connections held every slot, by closing established connection(s) "
                    f"{gone}: established connections are never closed to make room",
                    violates=("LIM-9",),
                )
            raise ConformanceFailure(
                f"LIM-4: connection {limit + 1} was accepted (silence for {wait:.2f} s, "
                f"no busy, no close) while {limit} established connections were open "
                f"(max_connections {limit})",
                violates=("LIM-4",),
            )
        if isinstance(first, ReceivedFrame):
            if first.error_name != "busy":
                raise ConformanceFailure.evidence(
                    f"LIM-4: connection {limit + 1} over max_connections {limit}",
                    "a close, or EROR busy and then the close",
                    first.describe(),
                )
            assert probe is not None
            bound = close_bound(idle)
            end = probe.recv_frame(deadline_after(bound))
            if not isinstance(end, Closed):
                failure = ConformanceFailure.evidence(
                    f"ERR-3: connection {limit + 1} over the limit was answered EROR busy",
                    f"the connection ends within {bound:.2f} s of the fatal EROR",
                    end.describe(),
                )
                failure.violates = ("ERR-3",)
                raise failure
            if target.profile == "pki" and not ended_cleanly(end):
                failure = ConformanceFailure.evidence(
                    f"PKI-TLS-7: connection {limit + 1} over the limit: TLS established, "
                    "EROR busy, then",
                    "a TLS close_notify before the TCP close (a refusal that answers with "
                    "an EROR ends an established TLS connection)",
                    end.describe(),
                )
                failure.violates = ("PKI-TLS-7",)
                raise failure
    finally:
        if probe is not None:
            probe.close()
        for holder in holders:
            holder.close()
    bound = 2 * idle + target.limits.handshake_timeout + 2.0
    served, why = _served_again(target, app_channel, name, bound)
    if not served:
        raise ConformanceFailure(
            f"LIM-4: after {limit} established connections ended, no new connection was "
            f"served within {bound:.1f} s; last attempt: {why}",
            violates=("LIM-4",),
        )
