"""A resumed TLS session does not carry a certificate's validity over (docs/SPEC.md §4.2
PKI-CERT-3, §4.1 PKI-TLS-5).

PKI-CERT-3: a peer certificate is compared with the current time "at each handshake".
The class of bug: session resumption left on (many TLS stacks issue tickets by default:
OpenSSL two per handshake, Go's crypto/tls, Node) — a resumed TLS 1.3 handshake (PSK)
presents no certificate and verifies none, so a certificate that has expired (or been
revoked) since the session began is accepted again for the ticket's lifetime. The
suite connects with a short-lived employee certificate minted by the organisation root,
keeps the session the responder gave it, waits until the certificate has expired and
connects again offering that session: the responder must refuse, whether it resumes
(and then judges the certificate of the session again) or not. A responder that issues
no ticket cannot be resumed: the case ends there (PASS; test_pki_certs.py judges the
full handshake after expiry).

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ReceivedFrame, deadline_after
from conformance.x509 import pem_decode, read_certificate

_SHORT_LIFE = 3.0  # seconds of validity left at minting (X.509 times have whole seconds)
_PAST_EXPIRY = 2.0


@pytest.mark.req("PKI-CERT-3")
def test_resumed_session_of_an_expired_certificate_is_refused(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Session of a certificate valid at the first connection (served), offered again
    once the certificate has expired: the connection is refused."""
    assert target.root is not None
    lab = lab_pki(target)
    cert_path, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(cert_path.read_text())).common_name or "suite"
    minted = time.time()
    cert, key = lab.employee(alias, days_before=30, days_after=_SHORT_LIFE / 86400).write(
        tmp_path, "short-lived"
    )
    ctx = client_context(target.root, cert, key)
    name = target.files[0].name if target.files else "hello.txt"
    first = connect_pki(target.host, target.port, ctx, name="short-lived, still valid")
    if not isinstance(first, PkiChannel):
        transcripts.add(first.transcript)
        inconclusive(f"the certificate was refused while still valid: {first.reason}")
        return
    transcripts.add(first)
    try:
        first.send_frame("RQFL", {"name": name})
        answer = first.recv_frame(deadline_after(first.timeout))
        # The tickets (NewSessionTicket) come after the handshake: read before asking.
        session = first.sock.session
    finally:
        first.close()
    if not (isinstance(answer, ReceivedFrame) and answer.type in (b"RSFL", b"EROR")) or (
        answer.error_name == "auth_failed"
    ):
        inconclusive(f"the still valid certificate was not served: {answer.describe()}")
    if session is None or not session.has_ticket:
        return  # no ticket: nothing can be resumed
    # Waiting for the certificate's own expiry (the condition under test), bounded.
    left = minted + _SHORT_LIFE + _PAST_EXPIRY - time.time()
    if left > 0:
        time.sleep(left)
    second = connect_pki(
        target.host, target.port, ctx, name="short-lived, expired, resuming", session=session
    )
    resumed = isinstance(second, PkiChannel) and second.sock.session_reused
    transcripts.add(second if isinstance(second, PkiChannel) else second.transcript)
    judge_responder_refusal(
        second,
        f"PKI-CERT-3: a certificate that expired {_PAST_EXPIRY:g} s ago, its earlier session "
        f"offered for resumption ({'resumed' if resumed else 'not resumed'})",
        request_name=name,
        close_within=close_bound(target.limits.idle_timeout),
    )
