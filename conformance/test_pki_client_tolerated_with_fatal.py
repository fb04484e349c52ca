"""sft-pki/1 INITIATOR: a responder certificate with two departures at once — one the
initiator MAY accept, one it MUST refuse (docs/SPEC.md §4.2).

PKI-CERT-9 lets an endpoint accept (or refuse) departures from PKI-CERT-1 the CA should
never issue, "e.g. a KeyUsage with keyEncipherment beside digitalSignature"; "a
conformance case MUST NOT judge that choice either way". Implementations make that MAY a
branch of their own: "the RSA-era profile (digitalSignature + keyEncipherment), accepted as
it is" — and the branch returns before the checks that follow it (the EKU's serverAuth,
the signature hash, the key's curve, CA:FALSE, the dates). The other initiator cases try
each fatal departure on an otherwise clean certificate, so such a branch is never taken.

Here the suite's hostile responder presents, for the alias the client asks for, a
root-issued certificate whose KeyUsage is digitalSignature plus keyEncipherment (or plus
keyAgreement) — the tolerated part — and ONE departure the initiator MUST refuse:

- its ExtendedKeyUsage holds clientAuth only, or it has no ExtendedKeyUsage [PKI-CERT-5];
- it is signed with SHA-384, or its key is ECDSA on P-384 [PKI-CERT-9];
- it is BasicConstraints CA:TRUE [PKI-CERT-6];
- it becomes valid in a day [PKI-CERT-3].

Whatever the initiator does with the extra KeyUsage bit alone, each of these MUST be
refused: `judge_refusal` (non-zero exit, no output file, no temporary file, no application
frame but an optional `EROR auth_failed`, PKI-TLS-7).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from conformance.x509 import EKU_CLIENT_AUTH, Certificate, CertProfile, KeyPair

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a tolerated departure beside a fatal one\n"

_TOLERATED: dict[str, tuple[str, ...]] = {
    "ku_encipherment": ("digitalSignature", "keyEncipherment"),
    "ku_agreement": ("digitalSignature", "keyAgreement"),
}

# The fatal departure: (requirement, CertProfile changes, key curve or None, what).
_FATAL: dict[str, tuple[str, dict[str, Any], str | None, str]] = {
    "client_auth_only": (
        "PKI-CERT-5",
        {"eku": (EKU_CLIENT_AUTH,)},
        None,
        "an ExtendedKeyUsage of clientAuth only (no serverAuth)",
    ),
    "no_eku": ("PKI-CERT-5", {"eku": None}, None, "no ExtendedKeyUsage extension"),
    "sha384": ("PKI-CERT-9", {"signature_hash": "sha384"}, None, "a SHA-384 signature"),
    "p384_key": ("PKI-CERT-9", {}, "P-384", "an ECDSA key on P-384"),
    "ca_true": ("PKI-CERT-6", {"ca": True}, None, "BasicConstraints CA:TRUE"),
    "not_yet_valid": (
        "PKI-CERT-3",
        {"days_before": -1.0, "days_after": 30.0},
        None,
        "a notBefore a day from now",
    ),
}

# The default run (about 2.5 s a case, the client's start-up): the missing EKU first,
# the one fault of these a TLS library's own checks (its EKU purpose check, the pinned
# signature algorithms of PKI-TLS-9 that also bound the certificate's signature and key)
# leaves entirely to the initiator's code; the other pairs are `slow`.
_CASES = [
    ("ku_encipherment", "no_eku"),
    ("ku_agreement", "no_eku"),
    ("ku_encipherment", "client_auth_only"),
    ("ku_encipherment", "p384_key"),
]
_SLOW_CASES = [
    ("ku_encipherment", "sha384"),
    ("ku_encipherment", "ca_true"),
    ("ku_encipherment", "not_yet_valid"),
    ("ku_agreement", "client_auth_only"),
]


def _certificate(target: Target, tolerated: str, fatal: str) -> Certificate:
    lab = lab_pki(target)
    _, changes, curve, _ = _FATAL[fatal]
    profile = CertProfile(
        common_name=responder_alias(target), key_usage=_TOLERATED[tolerated], **changes
    )
    key = KeyPair.generate(curve=curve) if curve else None
    return lab.root.issue(profile, key=key)


@pytest.mark.parametrize(
    ("tolerated", "fatal"),
    [
        *(
            pytest.param(t, f, marks=pytest.mark.req(_FATAL[f][0]), id=f"{t}+{f}")
            for t, f in _CASES
        ),
        *(
            pytest.param(
                t, f, marks=[pytest.mark.req(_FATAL[f][0]), pytest.mark.slow], id=f"{t}+{f}"
            )
            for t, f in _SLOW_CASES
        ),
    ],
)
def test_initiator_refuses_fatal_departure_beside_tolerated_one(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, tolerated: str, fatal: str
) -> None:
    requirement, _, _, what = _FATAL[fatal]
    cert = _certificate(target, tolerated, fatal)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"{requirement}: the responder's certificate has a KeyUsage of "
        f"{' + '.join(_TOLERATED[tolerated])} (PKI-CERT-9 lets an endpoint accept that) "
        f"and {what}, which MUST be refused",
    )
