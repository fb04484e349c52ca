"""LIM-10: a reader that reads slowly but steadily is not cut (a SHOULD NOT).

LIM-10: the send timeout "runs from the last write that made progress, not from the
start of a frame or a transfer (a 1 MiB `DATA` frame to a reader on a slow link can take
longer than the idle timeout ...)": a responder "SHOULD NOT close a connection whose
writes do make progress, however slowly". A server that sends each 1 MiB record with ONE
blocking call under the idle timeout — Python's `sendall` with a socket timeout, a C
loop with one deadline for the whole buffer — bounds the whole record by the idle
timeout, and cuts every client on a link slower than 1 MiB per idle timeout.

The case pipelines gets of the largest known file (more than the kernel buffers of a
loopback connection hold, with our receive buffer at 64 KiB), waits a moment (well
under the idle timeout) for the server's writes to block, then reads at a steady, slow
pace — one MiB per two idle timeouts, 16 KiB at a time, one more get pipelined every
half idle timeout so that the client is never idle — for two idle timeouts and a half,
then fast to the end: every announced byte of every get must arrive. (The reading
pace is the case's subject, not synchronisation.) Only a recommendation: an unmet one
is NON-STRICT (FAIL with --strict). sft-eke/1 (the sft-pki/1 reference sends in 64 KiB
steps under TLS records of 16 KiB).
"""

from __future__ import annotations

import socket
import time

import pytest

from conformance import eke
from conformance.eke_channel import (
    EkeChannel,
    client_handshake,
    connect_raw,
    password_key_cached,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_MIB = 1024 * 1024
_RCVBUF = 64 * 1024
_STEP = 16 * 1024
_MOST_IDLE = 5.0  # a longer idle timeout makes the paced read too long for the default run
_PIPELINED = 6 * _MIB  # more than a loopback connection's kernel buffers hold


@pytest.mark.req("LIM-10", level="SHOULD")
def test_a_steady_slow_reader_gets_the_whole_frame(eke_target: Target) -> None:
    idle = eke_target.limits.idle_timeout
    if idle > _MOST_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) makes the paced read too long here")
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    known = [f for f in eke_target.files if _MIB < f.size <= eke_target.limits.max_file_size]
    if not known:
        pytest.skip("needs a known file above 1 MiB and within the max file size")
    file = max(known, key=lambda f: f.size)
    gets = -(-_PIPELINED // file.size)
    total = gets * file.size
    rate = _MIB / (2 * idle)  # bytes per second: one full DATA frame per two idle timeouts
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    timeout = max(3.0, eke_target.limits.handshake_timeout * 2)
    client = eke.ClientHandshake(user=account.user, pw=pw)
    first = client.eke1()
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, name="paced reader")
    try:
        raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        result = client_handshake(raw, client, timeout, eke1=first)
        if not result.ok or client.keys is None:
            raise ConformanceFailure(f"the login failed: {result.describe()}")
        sender, receiver = client.record_layer()
        channel = EkeChannel(raw, client.keys, sender, receiver, role="client")
        for _ in range(gets):
            channel.send_frame("RQFL", {"name": file.name})
        time.sleep(idle / 4)  # the server's writes fill the buffers and block
        started = time.monotonic()
        slow_until = started + 2.5 * idle
        received = 0
        end = ""
        raw.sock.settimeout(idle * 2 + 2.0)
        asked = started
        while received < total:
            now = time.monotonic()
            if now < slow_until and now - asked >= idle / 2:
                # One more pipelined get now and then: the client is never silent for the
                # idle timeout (the SPEC does not say whether a responder still answering
                # may close for the client's idleness; this case does not depend on it).
                channel.send_frame("RQFL", {"name": file.name})
                gets, total, asked = gets + 1, total + file.size, now
            if now < slow_until:
                # The pace: never ahead of `rate` (a steady, slow link), never stalled.
                ahead = received / rate - (now - started)
                if ahead > 0:
                    time.sleep(min(ahead, slow_until - now))
            try:
                data = raw.sock.recv(_STEP if time.monotonic() < slow_until else 1 << 20)
            except TimeoutError:
                end = "nothing more came (timed out)"
                break
            except OSError as exc:
                end = f"reset ({type(exc).__name__})"
                break
            if not data:
                end = "closed by the server (FIN)"
                break
            received += len(data)
        if received < total:
            raise ConformanceFailure.evidence(
                f"LIM-10 (SHOULD NOT): {gets} pipelined gets of {file.name!r} ({total} bytes "
                f"in all, one every {idle / 2:g} s meanwhile; a 64 KiB receive buffer), read "
                f"at a steady {rate / 1024:.0f} KiB/s "
                f"(one MiB per two idle timeouts of {idle:g} s), 16 KiB at a time, for "
                f"{2.5 * idle:g} s, then at full speed",
                "every byte: the server's writes make progress the whole time, so its send "
                "timeout never expires",
                f"{end} after {received} bytes, {time.monotonic() - started:.1f} s into the get",
                "a send timeout that bounds a whole DATA frame (one blocking send of 1 MiB "
                "under the idle timeout) instead of running from the last progress; or an "
                "idle timeout that runs while the server itself is still answering",
            )
    finally:
        raw.close()
