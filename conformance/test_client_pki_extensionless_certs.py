"""sft-pki/1 INITIATOR: a responder certificate that carries none of PKI-CERT-1's
extensions at all (docs/SPEC.md §4.2, PKI-CERT-9, PKI-CERT-5, PKI-CERT-6).

The other initiator cases take one extension away at a time (no BasicConstraints, no
KeyUsage, no EKU) from a certificate that keeps the rest. A client can pass all of them
and still let through a certificate with no extensions at all: the "legacy certificate"
branch — X.509 v1, or a v3 certificate from the first seed's era (sft-pki/0's CA signed
bare certificates, LEG-CA-FMT-2) — that skips the extension checks because "there is
nothing to check", or an extension loop that refuses what it finds and never notices
what it does not find. PKI-CERT-9: a certificate "without BasicConstraints", "whose
KeyUsage lacks digitalSignature" MUST be refused; PKI-CERT-5: one without an
ExtendedKeyUsage lacks serverAuth.

The responder's certificate is issued by the organisation root for the alias asked for,
valid now, with the right key and signature hash, and:

- `no-extensions`: an X.509 v3 certificate whose extensions field is left out;
- `version-1`: an X.509 v1 certificate (no version field, no extensions);
- `key-ids-only`: only the key identifiers (SubjectKeyIdentifier, AuthorityKeyIdentifier),
  none of BasicConstraints, KeyUsage, ExtendedKeyUsage.

Each is refused as `judge_refusal` says: non-zero exit, no file, no application frame but
an optional `EROR auth_failed` [PKI-TLS-7]. A TLS stack that refuses a v1 certificate in
the handshake refuses it too, which conforms.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.target import Target
from conformance.x509 import (
    Certificate,
    CertificateAuthority,
    CertProfile,
    KeyPair,
    _children,
    _now,
    _seq,
    _signed,
    _split,
    _tbs_certificate,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator extensionless certificates\n"

_SHAPES = {
    "no-extensions": "an X.509 v3 certificate without any extension",
    "version-1": "an X.509 v1 certificate (no version field, no extensions)",
    "key-ids-only": "a certificate whose only extensions are the key identifiers (no "
    "BasicConstraints, no KeyUsage, no ExtendedKeyUsage)",
}


def _bare(ca: CertificateAuthority, alias: str, shape: str) -> Certificate:
    """A root-issued certificate for `alias`, stripped to `shape`."""
    if shape == "key-ids-only":
        return ca.issue(
            CertProfile(common_name=alias, basic_constraints=False, key_usage=(), eku=None)
        )
    key = KeyPair.generate()
    tbs, serial = _tbs_certificate(
        CertProfile(common_name=alias), key, ca.name_der, ca.key_id, ca.key, _now()
    )
    # version [0], serial, signature, issuer, validity, subject, spki, extensions [3]
    fields = _children(_split(tbs)[1])
    if len(fields) != 8:
        raise RuntimeError(f"harness: a TBSCertificate of {len(fields)} fields")
    fields = fields[:7]
    if shape == "version-1":
        fields = fields[1:]
    return Certificate(_signed(_seq(*fields), ca.key), key, serial, alias)


@pytest.mark.req("PKI-CERT-9", "PKI-CERT-5")
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_initiator_refuses_a_responder_certificate_without_the_employee_extensions(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, shape: str
) -> None:
    alias = responder_alias(target)
    cert = _bare(lab_pki(target).root, alias, shape)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-9: asked for {alias!r}, the responder presents {_SHAPES[shape]}, issued "
        "by the organisation root for that alias: it lacks BasicConstraints, "
        "digitalSignature and serverAuth",
    )
