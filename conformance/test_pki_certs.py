"""sft-pki/1 certificates (docs/SPEC.md §4.2): bad certificates are refused, both ways.

Lab mode (`--ca-key`, and the embedded run) lets the suite mint each bad certificate
with the organisation root (conformance/x509.py): expired, not yet valid, a foreign CA,
self-signed, a wrong EKU, a CA:TRUE leaf. The responder under test must refuse them as
client certificates; the initiator under test (`--client-cmd`) must refuse them from
the suite's hostile responder, before sending any application frame.

Revocation needs a certificate the target's CRL lists: `target.identities["revoked"]`
(the embedded reference revokes it at its CA before the responder starts); without it
the case is skipped with the reason.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    assert_refused,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
    suite_identity,
)
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError
from conformance.x509 import pem_decode, read_certificate

CONTENT = b"certificate tests\n"

_CLIENT_BAD = {
    "expired": ("PKI-CERT-3",),
    "not_yet_valid": ("PKI-CERT-3",),
    "foreign_ca": ("PKI-CERT-4", "PKI-TLS-4"),
    "self_signed": ("PKI-CERT-4", "PKI-TLS-4"),
    "no_client_auth": ("PKI-CERT-5",),
    "ca_true": ("PKI-CERT-6",),
}


@pytest.mark.req("PKI-CERT-3", "PKI-CERT-4", "PKI-CERT-5", "PKI-CERT-6", "PKI-TLS-4")
@pytest.mark.parametrize("kind", sorted(_CLIENT_BAD))
def test_responder_refuses_bad_client_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    cert, key = lab.bad(kind, alias="suite").write(tmp_path, kind)
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name=f"pki with {kind} client certificate",
    )
    assert_refused(
        target, result, f"{'/'.join(_CLIENT_BAD[kind])}: {kind} client certificate", transcripts
    )


@pytest.mark.req("PKI-CERT-4", "PKI-TLS-4")
def test_responder_refuses_chain_ending_in_foreign_root(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A foreign-CA leaf sent together with its root: the chain must not be trusted."""
    lab = lab_pki(target)
    assert target.root is not None
    leaf = lab.bad("foreign_ca", alias="suite")
    cert, key = leaf.write(tmp_path, "foreign-chain")
    cert.write_text(leaf.pem + lab.foreign.certificate.pem)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    assert_refused(target, result, "PKI-TLS-4: foreign chain with its own root", transcripts)


@pytest.mark.req("PKI-CERT-7")
def test_responder_refuses_revoked_client_certificate(
    target: Target, transcripts: TranscriptBook
) -> None:
    if not target.has("crl"):
        pytest.skip("unsupported: the target does not declare feature 'crl'")
    if "revoked" not in target.identities:
        pytest.skip(
            "needs an identity revoked at the CA before the responder started "
            "(target.identities['revoked'])"
        )
    assert target.root is not None
    cert, key = target.identities["revoked"]
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    assert_refused(target, result, "PKI-CERT-7: revoked client certificate", transcripts)


_SERVER_BAD = {
    "expired": ("PKI-CERT-3",),
    "not_yet_valid": ("PKI-CERT-3",),
    "foreign_ca": ("PKI-CERT-4", "PKI-TLS-4"),
    "self_signed": ("PKI-CERT-4", "PKI-TLS-4"),
    "no_server_auth": ("PKI-CERT-5",),
    "ca_true": ("PKI-CERT-6",),
}


@pytest.mark.req("PKI-CERT-3", "PKI-CERT-4", "PKI-CERT-5", "PKI-CERT-6", "PKI-TLS-4")
@pytest.mark.parametrize("kind", sorted(_SERVER_BAD))
def test_initiator_refuses_bad_responder_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The right alias, so that only the certificate's defect can be the reason to refuse.
    cert = lab.bad(kind, alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{'/'.join(_SERVER_BAD[kind])}: responder certificate {kind}")


_ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@pytest.mark.req("PKI-CERT-1", "PKI-CERT-2")
def test_responder_presents_an_employee_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The certificate the responder presents is what the CA must issue (PKI-CERT-1)."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    try:
        der = result.sock.getpeercert(binary_form=True)
    finally:
        result.close()
    assert der is not None
    info = read_certificate(der)
    problems = info.violations_as_employee()
    if info.common_name is None or not _ALIAS_RE.fullmatch(info.common_name):
        problems.append(f"PKI-CERT-2: CN {info.common_name!r} is not a valid alias")
    if problems:
        raise ConformanceFailure("PKI-CERT-1: the responder's certificate: " + "; ".join(problems))


@pytest.mark.req("PKI-CERT-8")
def test_root_certificate_profile(target: Target) -> None:
    if target.root is None:
        pytest.skip("needs --root")
    info = read_certificate(pem_decode(target.root.read_text()))
    problems = info.violations_as_root()
    if problems:
        raise ConformanceFailure("PKI-CERT-8: the organisation root: " + "; ".join(problems))


@pytest.mark.req("PKI-ID-3")
def test_allow_list_refuses_an_employee_not_on_it(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A responder with an allow list answers a valid employee not on it `forbidden`."""
    if not target.has("allow-list"):
        pytest.skip("unsupported: the target does not declare feature 'allow-list'")
    assert target.root is not None
    outsider = lab_pki(target).employee("sft-conformance-outsider")
    cert, key = outsider.write(tmp_path, "outsider")
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refusing the handshake is stricter than required, and allowed
    transcripts.add(result)
    result.send_frame("RQFL", {"name": target.files[0].name if target.files else "x"})
    result.expect([ExpectError("forbidden", then_close=True)]).check(
        "PKI-ID-3: request of an employee not on the allow list"
    )
