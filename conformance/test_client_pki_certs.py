"""sft-pki/1: the initiator under test refuses the responder certificates that only its
own checks can see (docs/SPEC.md §4.2), the mirror of test_pki_certs.py's responder kinds;
and the responder refuses a client certificate without KeyUsage.

test_pki_certs.py presents these defects to the responder as client certificates (or, to
keep its run short, to the responder only); a case that exists for one side must exist for
the other wherever the requirement applies to both: PKI-CERT-5, -6 and -9 say "an
endpoint". Here the suite's hostile responder presents them to the initiator under test,
each with the alias it asks for, so that only the defect can be the reason to refuse. An
initiator whose own leaf check skips a branch the responder's check has (its
BasicConstraints test, its curve test, its EKU test) is caught only by a certificate that
isolates that branch:

- `ca_true_not_critical`: BasicConstraints CA:TRUE, not marked critical — a check that
  reads "refuse CA:TRUE when the extension is critical" lets it through [PKI-CERT-6];
- `ca_true_no_cert_sign`: CA:TRUE without keyCertSign in the KeyUsage — OpenSSL's own
  CA test looks at the KeyUsage too [PKI-CERT-6];
- `ca_true_sign_only` / `ca_true_sign_only_not_critical`: CA:TRUE (critical or not) with
  KeyUsage digitalSignature alone: test_pki_certs.py's `ca_true` also carries
  keyCertSign, so an initiator that refuses "a KeyUsage other than digitalSignature"
  refuses it there whatever its BasicConstraints check does [PKI-CERT-6];
- `key_agreement_usage`: a KeyUsage of keyAgreement alone, which OpenSSL's TLS purpose
  takes for digitalSignature [PKI-CERT-9];
- `p384_key`: a P-384 key where P-256 is the only curve [PKI-CERT-9];
- `any_eku`: anyExtendedKeyUsage alone, no serverAuth [PKI-CERT-5];
- `no_key_usage`: no KeyUsage extension at all — it lacks digitalSignature; a check that
  runs only "when the extension is present" (OpenSSL's rule: no KeyUsage, any usage)
  passes test_pki_certs.py's KeyUsage kinds, which all carry the extension [PKI-CERT-9].
  The responder gets this one too, as a client certificate.

And what a refusing initiator sends (PKI-TLS-7): "no request reaches a responder it has
not verified". An initiator that runs its own certificate checks, or consults the CRL,
only once its first request is on its way (pipelined with the handshake's last flight, or
checked "when the answer comes") still refuses in the end — exit status and files look
right — but its request reached an unverified responder. The case presents certificates
refused by each kind of check (the initiator's own: no EKU, no BasicConstraints, a
SHA-384 signature; the CRL: a revoked identity the target declares) and judges only the
frames of an initiator that refused: at most one `EROR auth_failed`, nothing else.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
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
    suite_identity,
)
from conformance.pki_channel import (
    HandshakeRefused,
    HostileResponder,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure
from conformance.x509 import Certificate, LabPKI, pem_decode, read_certificate

pytestmark = [pytest.mark.profile("pki")]

CONTENT = b"certificate tests, initiator side\n"

# Kinds test_pki_certs.py presents to the responder only, and the requirement each
# refusal checks.
_INITIATOR_KINDS = {
    "ca_true_not_critical": ("PKI-CERT-6",),
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "ca_true_sign_only": ("PKI-CERT-6",),
    "ca_true_sign_only_not_critical": ("PKI-CERT-6",),
    "key_agreement_usage": ("PKI-CERT-9",),
    "p384_key": ("PKI-CERT-9",),
    "any_eku": ("PKI-CERT-5",),
    "no_key_usage": ("PKI-CERT-9",),
}


def _mint(lab: LabPKI, kind: str, alias: str) -> Certificate:
    if kind == "no_key_usage":
        return lab.employee(alias, key_usage=())
    if kind.startswith("ca_true_sign_only"):
        # digitalSignature alone: only BasicConstraints CA:TRUE is wrong.
        critical = not kind.endswith("not_critical")
        return lab.employee(alias, ca=True, basic_constraints_critical=critical)
    return lab.bad(kind, alias=alias)


@pytest.mark.side("initiator")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _INITIATOR_KINDS.items()],
)
def test_initiator_refuses_responder_certificate_only_its_own_checks_see(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The right alias, so that only the certificate's defect can be the reason to refuse.
    cert = _mint(lab, kind, responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{'/'.join(_INITIATOR_KINDS[kind])}: responder certificate {kind}")


@pytest.mark.side("responder")
@pytest.mark.req("PKI-CERT-9", "ERR-3", "PKI-TLS-10")
def test_responder_refuses_client_certificate_without_key_usage(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    suite_cert, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(suite_cert.read_text())).common_name or "suite"
    cert, key = _mint(lab, "no_key_usage", alias).write(tmp_path, "no_key_usage")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name="pki with a client certificate without KeyUsage",
    )
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    judge_responder_refusal(
        result,
        "PKI-CERT-9: client certificate without a KeyUsage extension (alias of the suite)",
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )


# Refused by the initiator's own checks (OpenSSL lets each through) or by the CRL.
_UNVERIFIED_KINDS = ("no_eku", "no_basic_constraints", "sha384_signature", "revoked")


def _sent_frames(hostile: HostileResponder) -> list[bytes]:
    return [e.data for t in hostile.transcripts for e in t.entries if e.direction == "recv"]


def _is_auth_failed_eror(frame: bytes) -> bool:
    if frame[:4] != b"EROR":
        return False
    try:
        obj = json.loads(frame[8:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(obj, dict) and obj.get("code") == 4


@pytest.mark.side("initiator")
@pytest.mark.req("PKI-TLS-7", "ERR-1")
@pytest.mark.parametrize("kind", _UNVERIFIED_KINDS)
def test_initiator_that_refuses_a_responder_sent_it_no_request(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    alias = responder_alias(target)
    if kind == "revoked":
        revoked = sorted(k for k in target.identities if k.startswith("revoked"))
        if not target.has("crl") or not revoked:
            pytest.skip("needs an identity revoked at the CA (target.identities['revoked'])")
        cert_path, key_path = target.identities[revoked[0]]
        cert = Certificate.load(cert_path.read_bytes(), key_path.read_bytes())
        alias = cert.common_name or alias
    else:
        cert = lab_pki(target).bad(kind, alias=alias)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        alias=alias,
    )
    require_reached(run, hostile, request=False)
    if run.returncode == 0 or run.kept_file:
        # Accepting the certificate is judged (PKI-CERT-*) by test_pki_certs.py; here
        # only what a REFUSING initiator sent before it gave up.
        pytest.skip(f"the client did not refuse the {kind} certificate ({run.describe()})")
    sent = _sent_frames(hostile)
    other = [f[:4].decode("latin-1") for f in sent if not _is_auth_failed_eror(f)]
    erors = [f for f in sent if _is_auth_failed_eror(f)]
    if other or len(erors) > 1:
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: the responder's certificate is {kind} (alias {alias!r}); the "
            "initiator refused it",
            "no frame before the refusal but one optional `EROR auth_failed`: no request "
            "reaches a responder the initiator has not verified",
            f"it sent {[f[:4].decode('latin-1') for f in sent]} before giving up",
            note=run.describe(),
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure
    for frame in erors:
        # The one EROR allowed is still an EROR: the table's name for code 4 and a
        # message of at most 512 characters [ERR-1].
        obj = json.loads(frame[8:].decode("utf-8"))
        message = obj.get("message")
        if obj.get("name") != "auth_failed" or not (
            isinstance(message, str) and len(message) <= 512
        ):
            failure = ConformanceFailure.evidence(
                f"ERR-1: the EROR the initiator sent refusing the {kind} certificate",
                '`{"code": 4, "name": "auth_failed", "message": <at most 512 characters>}`',
                f"{frame[8:][:300]!r}",
                note=run.describe(),
            )
            failure.violates = ("ERR-1",)
            raise failure
