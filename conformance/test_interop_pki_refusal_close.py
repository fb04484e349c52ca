"""How a refused connection ends: a TLS alert or close_notify, never a bare TCP FIN
(docs/SPEC.md PKI-TLS-10, PKI-TLS-7; PKI-TLS-2 and PKI-TLS-3 say "refuse" and "fail"
mean what PKI-TLS-10 lists).

A responder that refuses after the handshake (its own certificate checks, no ALPN, no
client certificate where its stack only *wants* one) ends the connection "in one of these
ways": `EROR auth_failed` then `close_notify` and the close, or an alert, or
`close_notify`, and the close (PKI-TLS-10); refusing a certificate "is ended as
[PKI-TLS-7] says": a close_notify before the TCP close. A refusal path written apart from
the normal one — an exception escaping the handshake code into a catch-all that drops the
socket (Java's `SSLPeerUnverifiedException` from `getPeerCertificates()` under
`setWantClientAuth`, a Go handler returning before `tls.Conn.Close`) — ends with a bare
FIN, which the initiator cannot tell from a truncation (PKI-TLS-6). The other refusal
cases accept any close; this one judges its manner. A TCP reset is accepted too (the
SPEC allows it when the initiator's request was on the wire as the responder closed).

Fixtures (conformance/plugin.py): `pki_target`, `transcripts`, `tmp_path`. The
defective certificates are minted in lab mode (the embedded run is one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
)
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after
from conformance.x509 import pem_decode, read_certificate

_AUTH_FAILED = 4

# Certificate defects a TLS library lets through its handshake (refused after it).
_CERTIFICATES = ("no_eku", "no_basic_constraints", "ca_true_not_critical")
# Refusals that are not the certificate's, with the requirement that calls them refusals.
_OTHER = {"no-certificate": "PKI-TLS-3", "no-alpn": "PKI-TLS-2", "wrong-alpn": "PKI-TLS-2"}


def _connect(target: Target, tmp_path: Path, kind: str) -> PkiChannel | HandshakeRefused:
    assert target.root is not None
    if kind in _CERTIFICATES:
        cert, _key = suite_identity(target, tmp_path)
        alias = read_certificate(pem_decode(cert.read_text())).common_name or "suite"
        cert, key = lab_pki(target).bad(kind, alias=alias).write(tmp_path, kind)
        ctx = client_context(target.root, cert, key, weak_allowed=True)
    elif kind == "no-certificate":
        ctx = client_context(target.root)
    else:
        cert, key = suite_identity(target, tmp_path)
        alpn = None if kind == "no-alpn" else ("http/1.1",)
        ctx = client_context(target.root, cert, key, alpn=alpn)
    return connect_pki(target.host, target.port, ctx, name=f"pki refusal close: {kind}")


def _params() -> list[object]:
    kinds = [*_CERTIFICATES, *_OTHER]
    return [
        pytest.param(
            k,
            marks=pytest.mark.req(
                "PKI-TLS-7", "PKI-TLS-10", *((_OTHER[k],) if k in _OTHER else ())
            ),
            id=k,
        )
        for k in kinds
    ]


def _end(result: PkiChannel, bound: float, request_name: str) -> tuple[Closed | None, str]:
    """The event that ended the refused connection (None: it was not refused at once),
    and what came before it."""
    first = result.recv_frame(deadline_after(bound))
    before = ""
    if not isinstance(first, Closed | ReceivedFrame):
        # Nothing unprompted: a request (the refusal may wait for it; judged elsewhere).
        result.send_frame("RQFL", {"name": request_name})
        first = result.recv_frame(deadline_after(bound))
        before = "after the suite's RQFL, "
    if isinstance(first, Closed):
        return first, before
    if isinstance(first, ReceivedFrame) and first.error_code == _AUTH_FAILED:
        after = result.recv_frame(deadline_after(bound))
        if isinstance(after, Closed):
            return after, before + "EROR auth_failed, then "
    return None, before + first.describe()


@pytest.mark.parametrize("kind", _params())
def test_refused_connection_ends_with_close_notify_or_alert(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The refusal of a connection the handshake completed ends with an alert, a
    close_notify (or a reset), never a bare TCP FIN."""
    target = pki_target
    result = _connect(target, tmp_path, kind)
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if isinstance(result, HandshakeRefused):
        return  # refused by the TLS handshake itself: an alert
    try:
        bound = close_bound(target.limits.idle_timeout)
        request = target.files[0].name if target.files else "hello.txt"
        end, before = _end(result, bound, request)
        if end is None:
            pytest.skip(
                f"{kind}: not refused at once ({before[:200]}): judged by "
                "test_pki_refusal_unprompted.py and the defect's own case"
            )
        if end.kind in ("tls_alert", "reset") or ended_cleanly(end):
            return
        if end.kind == "local":
            pytest.skip(f"{kind}: the suite's side ended the connection ({end.describe()})")
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7/PKI-TLS-10: {kind}: the responder refused the connection after the "
            "handshake",
            "a TLS alert, or close_notify before the TCP close (EROR auth_failed first or not)",
            f"{before}{end.describe()}: a bare TCP close, indistinguishable from a truncation",
        )
        failure.violates = ("PKI-TLS-7", "PKI-TLS-10", *((_OTHER[kind],) if kind in _OTHER else ()))
        raise failure
    finally:
        result.close()
