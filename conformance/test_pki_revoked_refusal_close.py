"""How the refusal of a certificate whose chain does not verify ends — revoked, expired,
issued by a foreign CA, self-signed: a TLS alert or close_notify, never a bare TCP FIN
(docs/SPEC.md PKI-TLS-10, PKI-TLS-7; PKI-CERT-3, PKI-CERT-4, PKI-CERT-7).

test_interop_pki_refusal_close.py judges the manner of the refusals a TLS library lets
through its handshake (certificate defects, no certificate, no ALPN). Revocation is the
other refusal a responder often makes in its own code after the handshake: the CRL
lookup is "slow", or lives off the TLS stack's thread, or needs the serial the stack
hands over only once the session is up. That path is written apart from the handshake's
— a lookup, then `socket.close()` / `raw.close()` on the TCP socket beneath the TLS
one — and ends with a bare FIN: the initiator cannot tell it from a truncation
(PKI-TLS-6), and PKI-TLS-10 lists no such ending. test_pki_certs.py checks THAT every
revoked certificate is refused (PKI-CERT-7, PKI-CERT-11), accepting any close; this file
checks HOW, for each revoked identity the target declares (`revoked`, `revoked-2`, ...:
one alias's two certificates): refused in the handshake (an alert), or after it with
`EROR auth_failed` and/or close_notify (or a reset, PKI-TLS-10), never a bare close.

The same holds for the other refusals of chain verification, which a TLS library is
assumed to make in the handshake with an alert — and some do not: Node's TLS server
with `requestCert` and `rejectUnauthorized` verifies the chain after the handshake and
ends a refused one with `socket.destroy()`, a bare FIN, whatever the reason (expired,
foreign CA, revoked). So the variants also present an expired certificate, one issued by
a foreign CA and a self-signed one (minted in lab mode, as test_pki_certs.py's are).

Fixtures (conformance/plugin.py): `pki_target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
)
from conformance.target import Target
from conformance.test_interop_pki_refusal_close import _end
from conformance.wire import ConformanceFailure
from conformance.x509 import pem_decode, read_certificate

# Chain defects every TLS library can judge in its handshake (the verify callback's).
_LAB_KINDS = {"expired": "PKI-CERT-3", "foreign_ca": "PKI-CERT-4", "self_signed": "PKI-CERT-4"}


def _judge(
    target: Target, transcripts: TranscriptBook, name: str, cert: Path, key: Path
) -> tuple[bool, str | None]:
    """(judged, a bare close's description or None) for one connection with cert/key."""
    assert target.root is not None
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key, weak_allowed=True),
        name=f"chain refusal close: {name}",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if isinstance(result, HandshakeRefused):
        return True, None  # refused in the handshake: an alert
    try:
        bound = close_bound(target.limits.idle_timeout)
        request = target.files[0].name if target.files else "hello.txt"
        end, before = _end(result, bound, request)
        if end is None or end.kind == "local":
            # answered, not refused: the defect's own case judges that
            return False, None
        if end.kind in ("tls_alert", "reset") or ended_cleanly(end):
            return True, None
        return True, f"{name}: {before}{end.describe()}"
    finally:
        result.close()


def _fail(kinds: str, bare: list[str], note: str) -> ConformanceFailure:
    return ConformanceFailure.evidence(
        f"PKI-TLS-7/PKI-TLS-10: connections with {kinds}, refused after the handshake",
        "a TLS alert in the handshake, or after it EROR auth_failed and/or close_notify "
        "before the TCP close (or a reset)",
        "; ".join(bare) + ": a bare TCP close, indistinguishable from a truncation",
        note=note,
    )


@pytest.mark.req("PKI-TLS-7", "PKI-TLS-10")
@pytest.mark.parametrize("kind", list(_LAB_KINDS))
def test_unverified_chain_refusal_ends_with_close_notify_or_alert(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path, kind: str
) -> None:
    target = pki_target
    cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(cert.read_text())).common_name or "suite"
    cert, key = lab_pki(target).bad(kind, alias=alias).write(tmp_path, kind)
    judged, bare = _judge(target, transcripts, kind, cert, key)
    if bare:
        raise _fail(
            f"a certificate for {alias!r} that is {kind.replace('_', ' ')} ({_LAB_KINDS[kind]})",
            [bare],
            "the chain verified after the handshake, a refused one dropped with the TCP "
            "socket (Node's rejectUnauthorized on a server: socket.destroy())",
        )
    if not judged:
        pytest.skip(f"{kind}: not refused at once (judged by test_pki_certs.py)")


pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("responder")]


@pytest.mark.req("PKI-TLS-7", "PKI-TLS-10")
def test_revoked_certificate_refusal_ends_with_close_notify_or_alert(
    pki_target: Target, transcripts: TranscriptBook
) -> None:
    target = pki_target
    revoked = {k: v for k, v in sorted(target.identities.items()) if k.startswith("revoked")}
    if not revoked:
        pytest.skip(
            "needs an identity revoked at the CA before the responder started "
            "(target.identities['revoked'])"
        )
    bare: list[str] = []
    judged = 0
    for name, (cert, key) in revoked.items():
        seen, problem = _judge(target, transcripts, name, cert, key)
        judged += seen
        if problem:
            bare.append(problem)
    if bare:
        raise _fail(
            f"the revoked identities {sorted(revoked)} (certificates the CA's CRL lists)",
            bare,
            "the revocation checked in the responder's own code after the handshake, its "
            "refusal closing the TCP socket beneath the TLS one",
        )
    if not judged:
        pytest.skip("no revoked identity was refused (judged by test_pki_certs.py)")
