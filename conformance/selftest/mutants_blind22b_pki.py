"""Blind red-team round 22, second pass (helper B138): the sft-pki/1 RESPONDER and the
application protocol it serves, through the six lenses of round 22
(/work/briefs/s22/common_b.md).

Phase 1 (blind): written from docs/SPEC.md (§0-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, transfer.py,
share.py, admission.py) before any case file or independent implementation was opened.
Every idea was checked against the names of the ~3 700 registered mutants; those
repeating a registered idea were dropped before any code was written. Dropped as
registered: a refused PUTF's announced digest kept for the next put (late-exists-digest-
carried), the BYE_ payload compared as bytes, the DATA frame count bounded by the size,
the exists probe on the NFC form, a renamed race loser, the restart sweep by age, an
RSFL name shortened to its 64-character display form, a sweep at each PUTF of the
others' live temporaries, a temporary named after the final name, an empty placeholder
under the final name, link without unlink, the responder's own alias trusted, the CN
read up to a NUL, an ECDSA-only client signature list (RSA employees refused), an ALPN
taken as the client's first offer, the connection cap counting established connections
only (b15pki-cap-counts-established), the per-address count booked at the first byte.
The first pass (mutants_blind22_pki.py) covered lens 1 (residue) for this responder
closely; this pass looked where no registered mutant looks at all: the TLS channel's own
freedom after the handshake.

Lens 2 — the peer's freedom (TLS 1.3 lets either side send a KeyUpdate at any time after
the handshake, RFC 8446 §4.6.3; PKI-TLS-1: the channel is TLS 1.3 as RFC 8446 defines it):
  b22bpki-keyupdate-refused          a post-handshake handshake message from the initiator
                                     is taken for a renegotiation attempt: a KeyUpdate ends
                                     the connection with EROR bad_frame
  b22bpki-keyupdate-mid-put-drops    the same, only while a put's data is being received
                                     ("a transfer is never rekeyed half-way"): the
                                     connection is dropped, the put lost; a KeyUpdate
                                     between requests passes
  b22bpki-keyupdate-requested-refused  a KeyUpdate with update_requested (the responder must
                                     answer with a KeyUpdate of its own) drops the
                                     connection: the stack never rekeys its sending side; a
                                     KeyUpdate without the request passes

Blind result (each mutant against the file first named, test_pki_tls.py, --only-req
PKI-TLS-1): 0 of 3 detected. Every other file citing PKI-TLS-1 for a responder
(test_pki_hardening.py, test_pki_refreshed_service.py, test_ops_pki_refreshed_context.py)
passes them too: no case of the suite sends a TLS message after the handshake; its
initiator-side files (test_client_pki_*) judge initiators. Missed, 3 of 3: the whole
class — a responder that cannot take a KeyUpdate — was invisible.

After (phase 3): conformance/test_pki_key_updates.py (PKI-TLS-1; added to PKI_FILES)
sends KeyUpdates of both kinds (update_not_requested, update_requested) from the
suite's own OpenSSL (SSL_key_update through Python's ssl object) before the first request
(with it), during a get (after its RSFL, in a write of its own, so that the responder
reads it with nothing behind it), between two gets (with the next request) and inside a
put (after its first DATA frame); every get must be served whole and the put acknowledged
with its DONE, and the connection take the next request. It catches the three blind
mutants and two class checks written in phase 3:
  b22bpki-keyupdate-before-first-request-refused  a KeyUpdate before the first request is
                                     taken for a second handshake flight (bad_frame);
  b22bpki-keyupdate-alone-read-as-end  a TLS read that consumed only a KeyUpdate is taken
                                     for the end of the stream (the non-blocking loop that
                                     treats SSL_ERROR_WANT_READ like EOF): caught by the
                                     KeyUpdate sent on its own during a get.
5 of 5 detected. The unmodified reference passes (3 runs), and so do the seven
independent responders pki1..pki7 (Python ssl, Python SSLObject/MemoryBIO, Go, Java JSSE
twice, C on non-blocking OpenSSL, Node): the case costs ~0.2 s.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind22b-pki"


def _peer() -> Any:
    return _module("reference.pki.peer")


def _transfer() -> Any:
    return _module("reference.transfer")


def _is_key_update(direction: str, content_type: Any, msg_type: Any) -> bool:
    return (
        direction == "read"
        and content_type == ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]
        and msg_type == ssl._TLSMessageType.KEY_UPDATE  # type: ignore[attr-defined]
    )


def _server_context_with(callback: Any) -> None:
    """The responder's server contexts (at start and at every CRL reload) with `callback`
    as their TLS message hook."""
    peer = _peer()
    original = peer.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx._msg_callback = callback
        return ctx

    peer.server_context = server_context


# --- lens 2: the peer's freedom ---------------------------------------------------------------


def _keyupdate_refused() -> None:
    errors = _module("reference.errors")

    def hook(
        conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: Any
    ) -> None:
        # After the handshake only application data is expected: another handshake
        # message is a renegotiation attempt, refused as a malformed stream.
        if _is_key_update(direction, content_type, msg_type):
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "handshake message after the handshake"
            )

    _server_context_with(hook)


def _keyupdate_mid_put_drops() -> None:
    transfer = _transfer()
    responder_init = transfer.Responder.__init__

    def __init__(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        responder_init(self, stream, *args, **kwargs)
        try:
            stream._sft_receiving = lambda: self.receiving
        except AttributeError:
            pass

    transfer.Responder.__init__ = __init__

    def hook(
        conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: Any
    ) -> None:
        receiving = getattr(conn, "_sft_receiving", None)
        if _is_key_update(direction, content_type, msg_type) and receiving and receiving():
            # A put is never rekeyed half-way: drop the connection.
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    _server_context_with(hook)


def _keyupdate_requested_refused() -> None:
    def hook(
        conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: Any
    ) -> None:
        # KeyUpdate body: one byte, request_update (RFC 8446 §4.6.3), after the 4-byte
        # handshake header. We never rekey our own sending side: a peer asking us to is
        # dropped (a stack without send-side KeyUpdate).
        body = bytes(data)[4:5]
        if _is_key_update(direction, content_type, msg_type) and body == b"\x01":
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    _server_context_with(hook)


def _keyupdate_before_first_request_refused() -> None:
    errors = _module("reference.errors")
    inner_type = int(ssl._TLSContentType.INNER_CONTENT_TYPE)  # type: ignore[attr-defined]
    application_data = int(ssl._TLSContentType.APPLICATION_DATA)  # type: ignore[attr-defined]

    def hook(
        conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: Any
    ) -> None:
        if direction != "read":
            return
        if int(content_type) == inner_type and int(msg_type) == application_data:
            conn._sft_application_data = True
        elif _is_key_update(direction, content_type, msg_type) and not getattr(
            conn, "_sft_application_data", False
        ):
            # Until the first request, the client is "still in its handshake": a
            # handshake message there is a second flight, refused as malformed.
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "handshake message before the first request"
            )

    _server_context_with(hook)


def _keyupdate_alone_read_as_end() -> None:
    select = _module("select")

    def hook(
        conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: Any
    ) -> None:
        # The port of a non-blocking loop: a TLS read that consumed only a KeyUpdate
        # returns "no application data" (SSL_ERROR_WANT_READ), taken for the end.
        if not _is_key_update(direction, content_type, msg_type):
            return
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
        if not readable:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    _server_context_with(hook)


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b22bpki-keyupdate-refused",
        "PKI-TLS-1",
        "test_pki_key_updates.py",
        "L2: a TLS 1.3 KeyUpdate from the initiator after the handshake is taken for a "
        "renegotiation attempt and ends the connection with EROR bad_frame",
        _keyupdate_refused,
    ),
    _m(
        "b22bpki-keyupdate-mid-put-drops",
        "PKI-TLS-1",
        "test_pki_key_updates.py",
        "L2: a TLS 1.3 KeyUpdate from the initiator while a put's data is being received "
        "drops the connection (between requests it passes)",
        _keyupdate_mid_put_drops,
    ),
    _m(
        "b22bpki-keyupdate-requested-refused",
        "PKI-TLS-1",
        "test_pki_key_updates.py",
        "L2: a TLS 1.3 KeyUpdate with update_requested (the initiator asks the responder to "
        "rekey its own side too) drops the connection; one without the request passes",
        _keyupdate_requested_refused,
    ),
    _m(
        "b22bpki-keyupdate-before-first-request-refused",
        "PKI-TLS-1",
        "test_pki_key_updates.py",
        "L2 (class check, phase 3): a KeyUpdate that comes before the initiator's first "
        "request is taken for a second handshake flight and refused with bad_frame; later "
        "ones pass",
        _keyupdate_before_first_request_refused,
    ),
    _m(
        "b22bpki-keyupdate-alone-read-as-end",
        "PKI-TLS-1",
        "test_pki_key_updates.py",
        "L2 (class check, phase 3): a TLS read that consumed only a KeyUpdate (nothing "
        "behind it yet) is taken for the end of the stream, as a non-blocking loop that "
        "treats SSL_ERROR_WANT_READ like EOF does: the connection is dropped",
        _keyupdate_alone_read_as_end,
    ),
)
