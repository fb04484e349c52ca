"""sft-pki/1: a TLS 1.3 KeyUpdate from the initiator is part of the channel, at any moment
after the handshake (docs/SPEC.md §4.1 PKI-TLS-1; RFC 8446 §4.6.3).

PKI-TLS-1: "The channel MUST be TLS 1.3 (RFC 8446)". RFC 8446 lets either side send a
KeyUpdate at any time after its Finished; the receiver MUST update its receiving keys,
and when the message says `update_requested` it MUST answer with a KeyUpdate of its own
before its next application data. Long transfers are exactly where stacks rekey (Go's
crypto/tls, rustls and others do it after a volume of records; an operator may configure
it). The class of bug: a responder (or the TLS layer it wraps) that takes a handshake
message after the handshake for a renegotiation attempt, or cannot rekey its own sending
side — it refuses the connection (`bad_frame`, an alert, a close), always, only inside a
transfer ("a put is never rekeyed half-way"), or only when asked to rekey too. An honest
initiator is then cut off for using its TLS stack as RFC 8446 allows.

The suite asks its own OpenSSL (through Python's `ssl` object, `SSL_key_update`) to send
KeyUpdate messages, both kinds (`update_not_requested`, `update_requested`), at the
moments a responder handles differently: before the first request, during a get (after
its RSFL, in a write of its own: the responder then reads the KeyUpdate with nothing
behind it, which an event-driven reader whose TLS read returns "no application data"
takes for the end of the stream), between two gets, and inside a put (after its first
DATA frame, before the rest). The largest known file (at most 2 MiB) is the one got.
Every request must be answered as it would be without them: the gets served whole
(APP-GET-2 checked), the put acknowledged with its DONE. Nothing of the suite's own
records is altered: the messages are the suite's TLS stack's, encrypted as RFC 8446 says.

Fixtures (conformance/plugin.py): `pki_target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import _ssl
import ctypes
import hashlib
import ssl
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    fresh_name,
    get_file,
    known_file,
    require,
)
from conformance.pki_channel import PkiChannel
from conformance.plugin import _default_timeout, open_pki_channel
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectFrame, ReceivedFrame, deadline_after

__all__: list[str] = []

_TLS1_3_VERSION = 0x0304
_KINDS = {False: "update_not_requested", True: "update_requested"}


def _libssl() -> ctypes.CDLL:
    lib = ctypes.CDLL(_ssl.__file__)  # the extension module whose libssl owns the objects
    lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.SSL_key_update.restype = ctypes.c_int
    lib.SSL_get_SSL_CTX.argtypes = [ctypes.c_void_p]
    lib.SSL_get_SSL_CTX.restype = ctypes.c_void_p
    lib.SSL_version.argtypes = [ctypes.c_void_p]
    lib.SSL_version.restype = ctypes.c_int
    lib.SSL_do_handshake.argtypes = [ctypes.c_void_p]
    lib.SSL_do_handshake.restype = ctypes.c_int
    return lib


def _ssl_pointer(sock: ssl.SSLSocket) -> int | None:
    """The `SSL *` of `sock`: CPython's PySSLSocket holds it right after its `Socket`
    weak reference (the first field after the object header); checked against the
    context's `SSL_CTX *` (the first field of PySSLContext) before it is used."""
    sslobj = sock._sslobj  # type: ignore[attr-defined]
    if sslobj is None:
        return None
    word = ctypes.sizeof(ctypes.c_void_p)
    handle = ctypes.c_void_p.from_address(id(sslobj) + object.__basicsize__ + word).value
    ctx_handle = ctypes.c_void_p.from_address(id(sock.context) + object.__basicsize__).value
    if not handle or not ctx_handle:
        return None
    lib = _libssl()
    if lib.SSL_get_SSL_CTX(handle) != ctx_handle or lib.SSL_version(handle) != _TLS1_3_VERSION:
        return None
    return int(handle)


def _key_update(channel: PkiChannel, requested: bool, *, alone: bool = False) -> None:
    """Queues a KeyUpdate: OpenSSL sends it before the next application data written, or
    at once, in a write of its own, with `alone` (SSL_do_handshake)."""
    handle = _ssl_pointer(channel.sock)
    if handle is None:
        pytest.skip("cannot reach the TLS connection under Python's ssl object (CPython layout)")
    lib = _libssl()
    if lib.SSL_key_update(handle, 1 if requested else 0) != 1:
        pytest.skip("the suite's OpenSSL refused to schedule a KeyUpdate")
    if alone and lib.SSL_do_handshake(handle) != 1:
        pytest.skip("the suite's OpenSSL could not send the KeyUpdate on its own")
    how = "sent in a write of its own" if alone else "queued before the next request"
    channel.transcript.add("event", note=f"KeyUpdate ({_KINDS[requested]}) {how}")


def _largest_file(target: Target) -> KnownFile:
    """The largest known file (at most 2 MiB): the responder is busy sending it when the
    KeyUpdate comes, or has just finished — either way nothing follows the KeyUpdate in
    its receive buffer until the suite has read the whole get."""
    known_file(target)  # skips when the share lists no file
    fitting = [f for f in target.files if 0 < f.size <= min(2 * 1024 * 1024, _limit(target))]
    if not fitting:
        pytest.skip("the target file lists no non-empty file within 2 MiB")
    return max(fitting, key=lambda f: f.size)


def _limit(target: Target) -> int:
    return target.limits.max_file_size


def _get_with_key_update_inside(
    channel: PkiChannel, known: KnownFile, requested: bool, context: str
) -> bytes:
    """RQFL, RSFL, then the KeyUpdate on its own while the DATA comes, then DATA* DONE."""
    channel.send_frame("RQFL", {"name": known.name})
    channel.expect([ExpectFrame("RSFL")]).check(context)
    _key_update(channel, requested, alone=True)
    data = bytearray()
    deadline = deadline_after(channel.timeout + known.size / (5 * 1024 * 1024))
    # Bounded by the announced size (more is a failure) and by the deadline.
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure.evidence(
                context, f"DATA* and DONE after {len(data)} bytes", event.describe()
            )
        if event.type == b"DATA" and len(data) + len(event.payload) <= known.size:
            data += event.payload
            continue
        if event.type == b"DONE":
            return bytes(data)
        raise ConformanceFailure.evidence(
            context, f"DATA* and DONE after {len(data)} bytes", event.describe()
        )


def _open(target: Target, tmp_path: Path, transcripts: TranscriptBook) -> PkiChannel:
    channel = open_pki_channel(target, tmp_path, timeout=_default_timeout(target))
    transcripts.add(channel)
    assert isinstance(channel, PkiChannel)
    return channel


@pytest.mark.req("PKI-TLS-1")
@pytest.mark.parametrize("requested", [False, True], ids=["not_requested", "requested"])
def test_key_updates_around_gets_change_nothing(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook, requested: bool
) -> None:
    """KeyUpdate before the first request (with it), during a get (on its own, after
    the RSFL), and between two gets (with the next request): every get is served whole."""
    known = _largest_file(pki_target)
    channel = _open(pki_target, tmp_path, transcripts)
    try:
        for moment in (
            "before the first request",
            "during the get (after its RSFL, in a write of its own)",
            "between two gets",
        ):
            inside = moment.startswith("during")
            context = (
                f"PKI-TLS-1: a TLS 1.3 KeyUpdate ({_KINDS[requested]}) from the initiator "
                f"{moment}; RQFL {known.name!r}"
            )
            try:
                if inside:
                    received = _get_with_key_update_inside(channel, known, requested, context)
                else:
                    _key_update(channel, requested)
                    received = get_file(channel, known.name).data
            except ConformanceFailure as exc:
                raise ConformanceFailure.evidence(
                    context,
                    "the get served as without the KeyUpdate, and the next request too "
                    "(RFC 8446 §4.6.3: either side may update its keys at any time after "
                    "the handshake)",
                    str(exc),
                ) from None
            got = hashlib.sha256(received).hexdigest()
            if len(received) != known.size or got != known.sha256:
                raise ConformanceFailure.evidence(
                    context,
                    f"the {known.size} bytes of {known.name!r}",
                    f"{len(received)} bytes, SHA-256 {got}",
                )
    finally:
        channel.close()


@pytest.mark.req("PKI-TLS-1")
@pytest.mark.parametrize("requested", [False, True], ids=["not_requested", "requested"])
def test_key_update_inside_a_put_changes_nothing(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook, requested: bool
) -> None:
    """KeyUpdate after a put's first DATA frame, before the rest: the put is acknowledged
    with its DONE, and the connection takes a second put."""
    require(pki_target, "put")
    channel = _open(pki_target, tmp_path, transcripts)
    try:
        for round_ in (1, 2):
            data = bytes(range(256)) * 64 + b"key update %d" % round_
            name = fresh_name("sft-b22b-key-update")
            where = "inside the put" if round_ == 1 else "(none: the next put on the connection)"
            context = (
                f"PKI-TLS-1: PUTF {name!r} size {len(data)}, a TLS 1.3 KeyUpdate "
                f"({_KINDS[requested]}) from the initiator {where}"
            )
            channel.send_frame("PUTF", {"name": name, "size": len(data)})
            channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(context)
            half = len(data) // 2
            channel.send_frame("DATA", data[:half])
            if round_ == 1:
                _key_update(channel, requested)
            channel.send_frame("DATA", data[half:])
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            outcome = channel.expect([ExpectFrame("DONE")])
            if not outcome.ok:
                raise ConformanceFailure.evidence(
                    context,
                    "DONE: the put stored as without the KeyUpdate (RFC 8446 §4.6.3: either "
                    "side may update its keys at any time after the handshake)",
                    outcome.describe(),
                )
    finally:
        channel.close()
