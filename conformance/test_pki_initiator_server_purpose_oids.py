"""sft-pki/1 INITIATOR: serverAuth is one OID, not what a TLS library counts as a server
purpose (docs/SPEC.md §4.2, PKI-CERT-5).

PKI-CERT-5: "an initiator MUST refuse a server certificate whose EKU lacks serverAuth".
The other cases present an EKU of clientAuth alone, anyExtendedKeyUsage alone, or none:
OpenSSL's own purpose check for a TLS server (`X509_PURPOSE_SSL_SERVER`, on by default in
every TLS client context) refuses the first two by itself, so an initiator that leaves a
present EKU to its TLS library and checks only the missing-extension case passes them.
It does not refuse everything PKI-CERT-5 does: OpenSSL still takes the Server Gated
Crypto purposes of the 1990s — Netscape's `2.16.840.1.113730.4.1` and Microsoft's
`1.3.6.1.4.1.311.10.3.3` — for serverAuth. A responder certificate whose EKU holds
clientAuth and one of them, but not serverAuth, then passes that library default.

The class: an ExtendedKeyUsage that lacks `1.3.6.1.5.5.7.3.1` but holds an OID some TLS
library accepts in its place. Each certificate has the right alias, is issued by the
organisation root and valid in every other respect; the initiator must refuse it as
every refused certificate (`judge_refusal`: non-zero exit, no file, no application frame
but an optional `EROR auth_failed`, PKI-TLS-7).

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
from conformance.x509 import EKU_CLIENT_AUTH

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a responder certificate with a server-gated-crypto purpose\n"

NS_SGC = "2.16.840.1.113730.4.1"  # Netscape Server Gated Crypto (OpenSSL: XKU_SGC)
MS_SGC = "1.3.6.1.4.1.311.10.3.3"  # Microsoft Server Gated Crypto (OpenSSL: XKU_SGC)

_EKUS = [
    pytest.param((EKU_CLIENT_AUTH, NS_SGC), id="client-auth-and-netscape-sgc"),
    pytest.param((EKU_CLIENT_AUTH, MS_SGC), id="client-auth-and-microsoft-sgc"),
    pytest.param((MS_SGC,), id="microsoft-sgc-alone", marks=pytest.mark.slow),
]


@pytest.mark.req("PKI-CERT-5")
@pytest.mark.parametrize("eku", _EKUS)
def test_initiator_refuses_a_server_purpose_that_is_not_server_auth(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, eku: tuple[str, ...]
) -> None:
    alias = responder_alias(target)
    cert = lab_pki(target).employee(alias, eku=eku)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-CERT-5: the responder's certificate (alias {alias!r}, issued by the root) has "
        f"ExtendedKeyUsage {list(eku)}: no serverAuth (1.3.6.1.5.5.7.3.1); a Server Gated "
        "Crypto OID is what OpenSSL's TLS-server purpose check takes in its place",
    )
