"""sft-pki/1 INITIATOR: responder certificates in forms the other initiator cases do not
try, each of which an initiator that reads X.509 one way lets through (docs/SPEC.md §4.2).

The suite's hostile responder presents, for the alias the client asks for, a certificate
issued by the organisation root that a conforming initiator MUST refuse:

- no KeyUsage extension at all: RFC 5280 reads that as "any use", PKI-CERT-1 requires
  digitalSignature (critical), and PKI-CERT-9 refuses a certificate whose KeyUsage lacks
  it — a missing extension lacks it too [PKI-CERT-9];
- a KeyUsage of keyEncipherment (or keyAgreement) alone that is NOT marked critical:
  "a non-critical extension is advisory" lets it through [PKI-CERT-9];
- no ExtendedKeyUsage, and beside it a non-critical extension (authorityInfoAccess,
  certificatePolicies, an SCT list) whose content is not what its type says: OpenSSL
  ignores those extensions and verifies the chain, while a stricter X.509 parser fails on
  the certificate; an initiator that then falls back to what verified ("OpenSSL took it:
  read its CN there") skips its own checks, and the missing EKU passes [PKI-CERT-5];
- a certificate that expired three hours ago, or becomes valid in three hours, with the
  client run in a time zone twelve (fourteen) hours from UTC: validity compared with the
  local clock instead of UTC is off by that much [PKI-CERT-3]. (POSIX TZ strings, no zone
  database needed; a client that ignores TZ is judged as in UTC.)

Every case requires the refusal `judge_refusal` describes: a non-zero exit, no output file,
no temporary file, no application frame but an optional `EROR auth_failed` [PKI-TLS-7].
How the connection ends after such a refusal: close_notify, then the close [PKI-TLS-7] —
whichever check refused (an X.509 parser that raises on an undecodable extension is the
typical bare FIN).

`reissue` mints a root-issued certificate with its TBSCertificate edited (another
SubjectPublicKeyInfo, extensions added, replaced or made non-critical); the enrolment
cases of test_enroll_answer_edges.py use it too.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from collections.abc import Callable
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
from conformance.pki_channel import PkiChannel, ended_cleanly
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after
from conformance.x509 import (
    Certificate,
    CertificateAuthority,
    CertProfile,
    KeyPair,
    _children,
    _context,
    _extension,
    _now,
    _oid,
    _prim,
    _seq,
    _signed,
    _split,
    _tbs_certificate,
)

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator certificate forms\n"

KEY_USAGE = "2.5.29.15"
SUBJECT_KEY_ID = "2.5.29.14"
SUBJECT_ALT_NAME = "2.5.29.17"

Extensions = Callable[[list[bytes]], list[bytes]]


def extension_oid(extension: bytes) -> bytes:
    """The encoded OID of an encoded Extension."""
    return _children(_split(extension)[1])[0]


def extension_value(extension: bytes) -> bytes:
    """The extnValue content (the inner DER) of an encoded Extension."""
    return _split(_children(_split(extension)[1])[-1])[1]


def reissue(
    ca: CertificateAuthority,
    profile: CertProfile,
    *,
    key: KeyPair | None = None,
    spki: bytes | None = None,
    edit: Extensions | None = None,
) -> Certificate:
    """`ca.issue(profile, key=key)` with its TBSCertificate edited before signing: the
    SubjectPublicKeyInfo replaced by `spki`, the list of encoded extensions by
    `edit(extensions)`. (The Certificate's `key` stays `key`: with `spki` it is not the
    certificate's key.)"""
    subject_key = key or KeyPair.generate()
    tbs, serial = _tbs_certificate(profile, subject_key, ca.name_der, ca.key_id, ca.key, _now())
    fields = _children(_split(tbs)[1])
    # version [0], serial, signature, issuer, validity, subject, spki, extensions [3]
    if spki is not None:
        fields[6] = spki
    if edit is not None:
        extensions = _children(_split(_split(fields[7])[1])[1])
        fields[7] = _context(3, _seq(*edit(extensions)))
    signed = _signed(_seq(*fields), ca.key, profile.signature_hash)
    return Certificate(signed, subject_key, serial, profile.common_name)


def _key_usage_not_critical(extensions: list[bytes]) -> list[bytes]:
    out = []
    for ext in extensions:
        if extension_oid(ext) == _oid(KEY_USAGE):
            ext = _extension(KEY_USAGE, extension_value(ext), critical=False)
        out.append(ext)
    return out


# Non-critical extensions whose content is not of their type: an OCTET STRING where a
# SEQUENCE belongs (AIA, certificatePolicies), a truncated SCT list.
_UNDECODABLE = {
    "authority_info_access": ("1.3.6.1.5.5.7.1.1", _prim(0x04, b"\x00")),
    "certificate_policies": ("2.5.29.32", _prim(0x05, b"")),
    "sct_list": ("1.3.6.1.4.1.11129.2.4.2", _prim(0x04, b"\x00\x05junk")),
}


def _certificate(target: Target, kind: str) -> Certificate:
    lab = lab_pki(target)
    alias = responder_alias(target)
    if kind == "no_key_usage":
        return lab.employee(alias, key_usage=())
    if kind == "key_encipherment_not_critical":
        return reissue(
            lab.root,
            CertProfile(common_name=alias, key_usage=("keyEncipherment",)),
            edit=_key_usage_not_critical,
        )
    if kind == "key_agreement_not_critical":
        return reissue(
            lab.root,
            CertProfile(common_name=alias, key_usage=("keyAgreement",)),
            edit=_key_usage_not_critical,
        )
    oid, value = _UNDECODABLE[kind.removeprefix("no_eku_with_bad_")]
    return reissue(
        lab.root,
        CertProfile(common_name=alias, eku=None),
        edit=lambda extensions: [*extensions, _extension(oid, value)],
    )


_FORMS = {
    "no_key_usage": "PKI-CERT-9",
    "key_encipherment_not_critical": "PKI-CERT-9",
    "key_agreement_not_critical": "PKI-CERT-9",
    **{f"no_eku_with_bad_{name}": "PKI-CERT-5" for name in _UNDECODABLE},
}


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.req(r), id=k) for k, r in _FORMS.items()]
)
def test_initiator_refuses_responder_certificate_form(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    cert = _certificate(target, kind)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, f"{_FORMS[kind]}: responder certificate {kind}")


def _end_watcher(ends: list[str]) -> Callable[[PkiChannel], None]:
    """The hostile responder's side once the TLS handshake completed: frames other than
    one `EROR auth_failed` mean the client did not refuse (judged above); then how the
    stream ended — close_notify, a bare FIN, a reset — or that it did not end."""

    def script(channel: PkiChannel) -> None:
        end = deadline_after(_END_WAIT)
        for _ in range(4):
            event = channel.recv_frame(end)
            if isinstance(event, ReceivedFrame):
                if event.type != b"EROR":
                    ends.append(f"not refused: it sent {event.type!r}")
                    return
                continue
            if isinstance(event, Closed):
                ends.append("close_notify" if ended_cleanly(event) else event.describe())
            else:
                ends.append(f"still open {_END_WAIT:g} s after the handshake ({event.describe()})")
            return

    return script


_END_WAIT = 5.0


@pytest.mark.req("PKI-TLS-7")
@pytest.mark.parametrize("kind", list(_FORMS))
def test_initiator_refusing_a_certificate_form_ends_with_close_notify(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """PKI-TLS-7: "refusing a certificate that is not a valid employee certificate —
    PKI-CERT-* … — is ended as this requirement says": close_notify before the TCP close,
    whatever the check that refused it (a certificate the initiator's own X.509 parser
    cannot decode is refused like the others, not dropped with a bare FIN by an
    unexpected error). Refused inside the TLS handshake (an alert): nothing to judge."""
    ends: list[str] = []
    run, _ = run_initiator(
        target, tmp_path, transcripts, cert=_certificate(target, kind), script=_end_watcher(ends)
    )
    if not ends:
        pytest.skip(f"refused in the TLS handshake or not reached ({run.describe()})")
    if ends[0].startswith("not refused"):
        pytest.skip(f"{ends[0]}: the refusal is judged by the case above")
    if ends[0] != "close_notify":
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: the initiator refused the responder's certificate ({kind}) after "
            "the TLS handshake: how it ended the connection",
            "a TLS close_notify, then the TCP close (never a bare FIN or reset, never left open)",
            ends[0],
            note=run.describe(),
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure


# POSIX TZ strings: "UTC+12h" west of Greenwich is written with a positive offset.
_ZONES = {
    "expired_hours_ago": ("WEST12", "twelve hours behind UTC"),
    "valid_in_hours": ("EAST-14", "fourteen hours ahead of UTC"),
}


@pytest.mark.req("PKI-CERT-3")
@pytest.mark.parametrize("kind", list(_ZONES))
def test_initiator_compares_validity_in_utc(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    cert = lab.bad(kind, alias=responder_alias(target))
    zone, where = _ZONES[kind]
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        client_env={"TZ": zone},
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-3: responder certificate {kind} (by three hours), the client run with "
        f"TZ={zone} ({where}): validity is compared with UTC",
    )
