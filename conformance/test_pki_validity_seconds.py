"""Validity is judged to the second, with no grace (docs/SPEC.md §4.2 PKI-CERT-3).

PKI-CERT-3: an endpoint MUST refuse a peer certificate "that is expired or not yet valid,
compared with its current UTC time at each handshake, with no tolerance for clock skew".
conformance/test_pki_certs.py presents certificates a day and three hours out of their
validity; this file presents one whose notBefore is 20 s from now and one that expired
20 s ago. The class of bug: a tolerance for clock skew, on either
end, of anything from half a minute up (a "grace" for a CA whose clock runs ahead, the
leeway of a JWT-style validator, a comparison at minute resolution, OpenSSL's time check
switched off for a hand-written one with a margin). The certificates are otherwise valid employee
certificates of the suite's alias (the one an allow list would name), so only the dates
can be the reason to refuse.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`. Lab mode (the
embedded run is one): the suite mints the certificates with the root.
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
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.x509 import pem_decode, read_certificate

_MARGIN = 20.0  # seconds out of validity: a clock skew no endpoint may tolerate
_DAY = 86400.0

# kind -> (days_before, days_after) for CertProfile: notBefore = now - days_before,
# notAfter = now + days_after.
_KINDS = {
    "valid-in-20-seconds": (-_MARGIN / _DAY, 30.0),
    "expired-20-seconds-ago": (30.0, -_MARGIN / _DAY),
}


@pytest.mark.req("PKI-CERT-3", "PKI-TLS-10")
@pytest.mark.parametrize("kind", list(_KINDS))
def test_responder_refuses_a_client_certificate_seconds_out_of_validity(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """A client certificate 20 s before its notBefore, or 20 s after its notAfter, is
    refused (in the handshake, or `auth_failed` / a close before any request is answered)."""
    lab = lab_pki(target)
    assert target.root is not None
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    before, after = _KINDS[kind]
    cert, key = lab.employee(alias, days_before=before, days_after=after).write(tmp_path, kind)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=f"pki {kind}"
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    judge_responder_refusal(
        result,
        f"PKI-CERT-3: a client certificate of {alias!r} {kind.replace('-', ' ')} "
        "(no tolerance for clock skew)",
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )
