"""The per-address cap counts handshakes only (docs/SPEC.md §6: LIM-8), both profiles.

LIM-8 caps the connections from one source address *that have not completed their
handshake*. A responder that keeps one counter per address, raised at accept and lowered
only when the connection closes (a map `connections[address]++` on 'connection', `--` on
'close'), caps every connection from that address instead: the (cap + 1)-th established
session of one user behind one address is refused, though nothing from that address is in
its handshake and `max_connections` is far away. test_lockout.py holds *silent* sockets
(pending ones), so it cannot tell the two counts apart; this case opens, from one fresh
source address, one more *established and served* connection than the per-address cap,
each completing its handshake and a get before the next is opened, and requires every one
of them to be admitted (fewer than `max_connections` are open, so LIM-4 allows no refusal).
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, known_file, suite_identity
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.eke_support import sources_for
from conformance.pki_channel import PkiChannel, client_context
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectFrame, Transcript

_SPEC_PER_ADDRESS = 8  # LIM-8's default per-address cap
_MAX_HELD = 72  # as test_lockout.py: the most connections a case holds
_ATTEMPTS = 3  # a run slower than the idle timeout is repeated (bounded), never judged


class _Inconclusive(Exception):
    """A held connection went quiet for most of the idle timeout: the target may rightly
    have closed it, so this run cannot tell."""


def _small_file(target: Target) -> KnownFile:
    known_file(target)  # skips without one
    return min((f for f in target.files if f.size > 0), key=lambda f: f.size)


def _honest_channel(target: Target, source: str, workdir: Path) -> Channel:
    """An honest, authenticated channel from `source`; ConformanceFailure if refused."""
    timeout = max(3.0, target.limits.handshake_timeout * 2)
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
    transcript = Transcript(name=f"honest pki client from {source}")
    raw = socket.create_connection(target.address, timeout=timeout, source_address=(source, 0))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transcript.add("event", note=f"connected to {target.host}:{target.port} from {source}")
    try:
        tls = client_context(target.root, cert, key).wrap_socket(
            raw, server_side=False, suppress_ragged_eofs=False
        )
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        raise ConformanceFailure(f"TLS handshake from {source} failed: {exc}") from None
    return PkiChannel(tls, name=transcript.name, timeout=timeout, transcript=transcript)


def _served(channel: Channel, file: KnownFile, what: str) -> None:
    """One get of `file` over `channel`: the channel is really served, not just accepted."""
    channel.send_frame("RQFL", {"name": file.name})
    channel.expect([ExpectFrame("RSFL", {"name": file.name})]).check(f"{what}: RQFL {file.name!r}")
    channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
        f"{what}: the get of {file.name!r} did not complete"
    )


@pytest.mark.req("LIM-8")
def test_established_connections_do_not_fill_the_per_address_cap(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """From one address, cap + 1 established connections (each served a get) are all
    admitted: the cap counts connections still in their handshake, not finished ones."""
    if not target.host.startswith("127."):
        pytest.skip("needs a target on loopback (the case connects from a fresh 127.x.y.z)")
    cap = target.limits.max_pending_per_address or _SPEC_PER_ADDRESS
    total = target.limits.max_connections
    count = cap + 1
    if count >= total or count > _MAX_HELD:
        pytest.skip(
            f"per-address cap {cap} + 1 does not fit below max_connections {total}: "
            "LIM-4 could rightly refuse"
        )
    file = _small_file(target)
    sources = sources_for(target)
    idle = target.limits.idle_timeout

    def case() -> None:
        source = sources.fresh()
        if source is None:
            pytest.skip("no fresh loopback source address left")
        held: list[Channel] = []
        served_at: list[float] = []
        try:
            for index in range(count):
                # Keep the held ones from idling out: each is served again well before
                # its idle timeout (LIM-2 allows closing a quiet one, which would hide a
                # count that includes them, never make a correct target fail).
                for number, channel in enumerate(held):
                    if time.monotonic() - served_at[number] > idle / 3:
                        if time.monotonic() - served_at[number] > 0.7 * idle:
                            raise _Inconclusive()
                        _served(channel, file, f"held connection {number + 1}")
                        served_at[number] = time.monotonic()
                what = f"established connection {index + 1} of {count} from {source}"
                try:
                    channel = _honest_channel(target, source, tmp_path)
                except ConformanceFailure as exc:
                    raise ConformanceFailure.evidence(
                        f"LIM-8: {what} (per-address cap {cap}, max_connections {total})",
                        f"admitted: the {len(held)} other connections from {source} have all "
                        "completed their handshake, none is pending, and fewer than "
                        "max_connections are open",
                        f"refused: {exc}",
                        note="the per-address cap counts connections that have not completed "
                        "their handshake (LIM-8), not established ones",
                    ) from None
                transcripts.add(channel)
                held.append(channel)
                _served(channel, file, what)
                served_at.append(time.monotonic())
        finally:
            for channel in held:
                channel.close()

    for _ in range(_ATTEMPTS):
        try:
            case()
            return
        except _Inconclusive:
            continue
    pytest.skip(f"INCONCLUSIVE: each of {_ATTEMPTS} runs was slower than the idle timeout")
