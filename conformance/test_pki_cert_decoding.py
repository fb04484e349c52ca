"""sft-pki/1 RESPONDER: a client certificate its X.509 library cannot fully decode is
refused like any other departure (docs/SPEC.md §4.2 PKI-CERT-5, §4.1 PKI-TLS-10).

The suite presents, for its own alias, a certificate issued by the organisation root
with no ExtendedKeyUsage and, beside it, a non-critical extension whose content is not of
its type (an OCTET STRING where authorityInfoAccess or certificatePolicies has a SEQUENCE,
a truncated SCT list). OpenSSL ignores those extensions and verifies the chain; a
stricter parser raises on them. Two wrong responders pass every other certificate case:
one that, when its own parser fails, falls back to what OpenSSL verified ("the chain is
good: serve it" — fail open: the missing clientAuth EKU is never seen) and one whose
unexpected exception ends the connection any which way (a bare FIN, a dead connection
thread) instead of the refusal PKI-TLS-10 lists. Either way the refusal judged is
`judge_responder_refusal`'s: a TLS alert in the handshake, or `EROR auth_failed` /
close_notify at once after it, and no request answered.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, known_file, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.test_client_pki_cert_forms import _UNDECODABLE, reissue
from conformance.x509 import CertProfile, _extension, pem_decode, read_certificate

pytestmark = [pytest.mark.profile("pki")]


@pytest.mark.req("PKI-CERT-5", "PKI-TLS-10")
@pytest.mark.parametrize("extension", sorted(_UNDECODABLE))
def test_responder_refuses_a_certificate_without_eku_it_cannot_decode(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, extension: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    oid, value = _UNDECODABLE[extension]
    minted = reissue(
        lab.root,
        CertProfile(common_name=alias, eku=None),
        edit=lambda extensions: [*extensions, _extension(oid, value)],
    )
    cert, key = minted.write(tmp_path, f"undecodable-{extension}")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name=f"pki no EKU + undecodable {extension}",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    try:
        judge_responder_refusal(
            result,
            f"PKI-CERT-5: a client certificate of {alias!r} with no extended key usage "
            f"and a non-critical {extension} extension that does not decode",
            request_name=known_file(target).name,
            close_within=close_bound(target.limits.idle_timeout),
        )
    finally:
        if not isinstance(result, HandshakeRefused):
            result.close()
