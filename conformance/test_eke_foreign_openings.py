"""sft-eke/1: the server's port speaks sft frames only, whatever a connection opens with
(SPEC §1 FRM-2, FRM-3, FRM-5, FRM-16; §7.3 for the legacy form).

A server that shares its port with something else — the sft-eke/0 login for clients not
migrated yet (a user name, `u_ack`, the password in clear), an HTTP health page for a load
balancer or a scanner's `GET /`, a HAProxy `PROXY` line that rewrites the client's address
for the throttle — answers bytes that are not an sft frame with something other than the
refusal FRM-2 and FRM-5 ask for. Each opening below is one write of 8 bytes or more, so
its first 8 bytes are a frame header with invalid type bytes (`bad_frame`) or an undefined
type announcing more than the frame limit (`unexpected_frame` or `frame_too_large`,
FRM-16): the server MUST answer with one `EROR` of such a code in clear and close (or close
without a word), at once — never a reply of its own protocol, a legacy ack, an HTTP status
line, nor an `EKE2` to the `EKE1` behind a `PROXY` line.
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

_REFUSALS = {1: "bad_frame", 2: "frame_too_large", 3: "unexpected_frame"}
_CLOSE_WAIT = 2.0  # ERR-3: the close follows the EROR at once


def _eke1() -> bytes:
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    return frame_bytes(b"EKE1", control(client.eke1()))


# name -> (bytes sent in one write, what a server that answers it has mixed in)
_OPENINGS: dict[str, tuple[bytes, str]] = {
    "sft-eke/0 user name": (b"legacyuser", "the sft-eke/0 login (u_ack)"),
    "sft-eke/0 short name": (b"alice\x00\x00\x00", "the sft-eke/0 login (u_ack)"),
    "HTTP GET": (b"GET / HTTP/1.0\r\n\r\n", "an HTTP service"),
    "HTTP GET health": (
        b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "an HTTP health page",
    ),
    "HTTP HEAD": (b"HEAD / HTTP/1.0\r\n\r\n", "an HTTP service"),
    "HTTP OPTIONS": (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "an HTTP service"),
    "PROXY v1 then EKE1": (
        b"PROXY TCP4 10.9.8.7 127.0.0.1 4242 7000\r\n",
        "the PROXY protocol (a client-chosen source address)",
    ),
    "PROXY v2 then EKE1": (
        b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\x0a\x09\x08\x07\x7f\x00\x00\x01\x10\x92\x1b\x58",
        "the PROXY protocol v2",
    ),
    "TLS ClientHello": (
        b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03" + bytes(32) + b"\x00\x00\x02\x13\x01",
        "TLS on the EKE port",
    ),
    "SSH banner": (b"SSH-2.0-OpenSSH_9.6\r\n", "another protocol"),
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("FRM-2", "FRM-5")
@pytest.mark.parametrize("opening", list(_OPENINGS))
def test_foreign_opening_is_refused_as_a_frame(
    eke_target: Target, eke_sources: SourceAddresses, opening: str
) -> None:
    data, service = _OPENINGS[opening]
    if opening.endswith("then EKE1"):
        data += _eke1()
    timeout = _timeout(eke_target)
    raw = connect_raw(
        eke_target.host,
        eke_target.port,
        timeout=timeout,
        name="foreign",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(data)
        event = raw.recv_frame(deadline_after(timeout))
        answer = event.describe()
        if isinstance(event, ReceivedFrame):
            code = event.error_code
            if code not in _REFUSALS:
                _fail(opening, data, service, answer, raw)
            after = raw.recv_frame(deadline_after(_CLOSE_WAIT))
            if not _closed(after):
                _fail(opening, data, service, f"{answer}, then {after.describe()}", raw)
        elif not _closed(event):
            _fail(opening, data, service, answer, raw)
    finally:
        raw.close()


def _closed(event: object) -> bool:
    """A close by the target with nothing more: not bytes of something that is no frame,
    nor a header the suite's reader gave up on (an HTTP status line reads as a frame
    `HTTP` announcing 791 million bytes)."""
    return isinstance(event, Closed) and event.kind in ("eof", "reset") and not event.partial


def _fail(opening: str, data: bytes, service: str, answer: str, raw: RawConnection) -> None:
    first = data[:8]
    raise ConformanceFailure(
        f"Sent (one write, a connection's first bytes): {opening}: {data[:48]!r}\n"
        f"Its first 8 bytes as a frame header: type {first[:4]!r}, length "
        f"{int.from_bytes(first[4:8], 'big')}\n"
        "Expected: EROR bad_frame, frame_too_large or unexpected_frame in clear, then the "
        "close (or the close alone): FRM-2 (type bytes outside A-Z 0-9 _), FRM-5 (an "
        "undefined type), FRM-3 (a length above the frame limit), FRM-16\n"
        f"Actual:   {answer}\n"
        f"The port seems to serve {service} beside sft-eke/1.\n"
        f"Transcript (last entries):\n{raw.transcript.tail()}"
    )
