"""PKI-CERT-7 across TLS session resumption: a revoked client cannot come back on a ticket.

A responder that issues TLS 1.3 session tickets ("resumption saves a handshake's
signatures") and keeps its context across CRL refetches (the new CRL loaded into the live
context, so tickets stay valid) lets a client resume a session made before its
certificate was revoked: a resumed handshake carries no certificate and OpenSSL runs no
chain or CRL check for it. Every full handshake sees the new CRL, so the revocation cases
(which connect afresh) pass.

The case enrols a fresh alias at the target's CA (its admin commands, as the CA-ENR-11 and
PKI-CERT-7 cases), connects with it while it is valid and keeps the session (and its
ticket, if the responder issued one — the suite's client accepts tickets), revokes the
alias, waits until a full handshake with that certificate is refused (the responder has
the new CRL; bounded by two refresh intervals and 2 s), then resumes the kept session:
it MUST be refused like a full handshake (a responder that issues no tickets, like the
reference, makes this a full handshake, refused).
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance._wire_fixtures import TranscriptBook
from conformance.pki_channel import PkiChannel, client_context, judge_responder_refusal
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_ops_pki_revocation import _accepted
from conformance.test_pki_certs import (
    _MAX_REFRESH_WAIT,
    _close_bound,
    _fresh_revocable_identity,
    _request_name,
)
from conformance.wire import ConformanceFailure, Transcript

__all__: list[str] = []

_POLL = 0.3  # s between two full handshakes while waiting for the refetched CRL


def _ticketed_context(target: Target, cert: Path, key: Path) -> ssl.SSLContext:
    assert target.root is not None
    context = client_context(target.root, cert, key)
    context.options &= ~ssl.OP_NO_TICKET  # accept the responder's tickets, if any
    return context


@pytest.mark.req("PKI-CERT-7")
def test_session_resumed_after_revocation_is_refused(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    target = pki_target
    if not target.has("crl"):
        unsupported("the target does not declare feature 'crl'")
    interval = target.limits.crl_refresh
    if interval > _MAX_REFRESH_WAIT:
        pytest.skip(f"the target's crl_refresh is {interval:g} s (too long to wait for)")
    alias, cert, key = _fresh_revocable_identity(target, tmp_path)
    context = _ticketed_context(target, cert, key)
    timeout = max(3.0, 2 * target.limits.handshake_timeout)
    request = _request_name(target)

    # 1. A full handshake while the alias is valid; one request read so that a
    #    post-handshake ticket (TLS 1.3) has arrived; the session kept.
    raw = socket.create_connection(target.address, timeout=timeout)
    try:
        tls = context.wrap_socket(raw, server_side=False, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        pytest.skip(f"the responder refused {alias!r} before it was revoked ({exc})")
    first = PkiChannel(tls, name=f"{alias} before revocation", timeout=timeout,
                       transcript=Transcript(name=f"{alias} before revocation"))  # fmt: skip
    transcripts.add(first)
    first.send_frame("RQFL", {"name": request})
    answer = first.recv_frame()
    first.transcript.add("event", note=f"answer before revocation: {answer.describe()}")
    session = tls.session
    ticket = bool(session is not None and session.has_ticket)
    first.close()

    # 2. Revoke; wait until a full handshake with the certificate is refused.
    ca.admin_command(target, "revoke", alias)
    deadline = time.monotonic() + 2 * interval + 2.0
    while _accepted(target, transcripts, cert, key, f"{alias} revoked (full handshake)"):
        if time.monotonic() > deadline:
            pytest.skip(
                f"{alias!r} was still accepted on a full handshake {2 * interval + 2:g} s "
                "after its revocation: the refetch is judged by the PKI-CERT-7 refetch cases"
            )
        # Paces the polling (bounded by `deadline`); each try is a full handshake.
        time.sleep(_POLL)

    # 3. The kept session, resumed (a full handshake if the responder gave no ticket).
    what = f"{alias} revoked, resuming its earlier session" + ("" if ticket else " (no ticket)")
    raw = socket.create_connection(target.address, timeout=timeout)
    transcript = Transcript(name=what)
    try:
        resumed = context.wrap_socket(
            raw, server_side=False, suppress_ragged_eofs=False, session=session if ticket else None
        )
    except (ssl.SSLError, OSError) as exc:
        transcript.add("event", note=f"handshake refused: {exc}")
        raw.close()
        return
    reused = resumed.session_reused
    transcript.add("event", note=f"handshake completed; session reused: {reused}")
    channel = PkiChannel(resumed, name=what, timeout=timeout, transcript=transcript)
    transcripts.add(channel)
    try:
        judge_responder_refusal(
            channel, what, request_name=request, close_within=_close_bound(target)
        )
    except ConformanceFailure as exc:
        raise ConformanceFailure(
            f"PKI-CERT-7: {alias!r} was revoked at the CA and a full handshake with its "
            f"certificate was already refused; then its earlier TLS session was resumed "
            f"(session reused: {reused}, a ticket issued before the revocation)\n"
            "Expected: refused like the full handshake (a resumed session is the same "
            f"revoked certificate)\nActual:   accepted — the resumption skipped the CRL\n{exc}",
            violates=("PKI-CERT-7",),
        ) from None
    finally:
        channel.close()
