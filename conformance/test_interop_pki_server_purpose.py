"""sft-pki/1: the initiator refuses a responder certificate without serverAuth [PKI-CERT-5].

PKI-CERT-5 has two halves: "a responder MUST refuse a client certificate whose EKU lacks
clientAuth; an initiator MUST refuse a server certificate whose EKU lacks serverAuth".
test_pki_certs.py presents `no_client_auth` and `no_server_auth` to the RESPONDER, and
test_client_pki_certs.py presents `any_eku` (anyExtendedKeyUsage alone) to the
INITIATOR; no case presented the initiator the certificate its own half is about: an
employee certificate, right alias, right root, whose ExtendedKeyUsage holds clientAuth
and nothing else. An initiator whose leaf check was copied from the responder's (it asks
for clientAuth, "the employee purpose"), or that checks "some TLS purpose" instead of
serverAuth, takes it — when its TLS stack does not check the purpose itself.

Here the suite's hostile responder presents exactly that certificate, with the alias the
initiator asks for, and then answers the get honestly: the only reason to refuse is the
missing serverAuth. The initiator must refuse it as PKI-TLS-7/PKI-TLS-10 say — a failed
handshake, or at most one `EROR auth_failed` after it — send no request, keep no file
and exit non-zero (`judge_refusal`, as for every other certificate kind).
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

pytestmark = [pytest.mark.profile("pki")]

CONTENT = b"a responder certificate for clientAuth only\n"


@pytest.mark.side("initiator")
@pytest.mark.req("PKI-CERT-5")
def test_initiator_refuses_a_responder_certificate_for_client_auth_only(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    # The right alias and root: only the ExtendedKeyUsage (clientAuth alone) is wrong.
    cert = lab.bad("no_server_auth", alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        "PKI-CERT-5: responder certificate whose ExtendedKeyUsage is clientAuth alone "
        "(no serverAuth), right alias, issued by the root",
    )
