"""sft-pki/1 INITIATOR: a responder certificate accepted once is judged again against the CRL
of the next connection (docs/SPEC.md PKI-CERT-7, PKI-CERT-11).

"An endpoint MUST refuse a peer certificate listed in the organisation's CRL"; "the
certificate it was first made with is checked against the CRL the endpoint holds now"
(PKI-CERT-7, for resumed sessions: a verdict does not outlive the CRL it was given by).
test_pki_initiator_crl_file.py and the revoked-identity cases meet every certificate
once. An initiator that remembers its verdicts — SSH's known_hosts habit: the
fingerprint, serial or alias of a responder verified once recorded in its identity
directory, later connections with it trusted without the CRL — or that keeps the first
CRL it was given and reads it again instead of the one it is given now, passes them all
and keeps talking to a responder revoked since.

Through the target's `client_crl_cmd` (a CRL file the initiator must use instead of its
CA's; without it SKIP), with one certificate the suite mints under the alias the
initiator asks for (lab mode):

1. a fresh CRL (thisUpdate a minute ago, nextUpdate in a day) listing three other serials:
   the get must succeed (else INCONCLUSIVE: the client cannot run this setup);
2. a fresh CRL, issued later, that lists the certificate's serial; the same certificate,
   the same identity directory: the get MUST be refused (`judge_refusal`: non-zero exit,
   nothing kept, no application frame to the responder).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import datetime as dt
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
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_pki_initiator_crl_file import (
    CONTENT,
    _crl_target,
    _fillers,
    _serial,
    _write_crl,
)
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_MINUTE = dt.timedelta(minutes=1)
_DAY = dt.timedelta(days=1)


@pytest.mark.req("PKI-CERT-7")
def test_initiator_judges_a_known_responder_against_the_new_crl(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    serial = _serial(0x7F)
    cert = lab.employee(responder_alias(target), serial=serial)
    others = _fillers(3, 0x20)

    first_dir = tmp_path / "first"
    first_dir.mkdir()
    crl = _write_crl(lab.root, first_dir, others, _MINUTE, _DAY + _MINUTE)
    run, hostile = run_initiator(
        _crl_target(target, crl), first_dir, transcripts, cert=cert,
        script=honest_get_script(CONTENT),
    )
    if not (run.succeeded and "RQFL" in hostile.frames_received() and run.kept_file):
        inconclusive(
            "control: with a fresh root-signed CRL not listing the responder, the client's "
            f"get through client_crl_cmd did not succeed: {run.describe()}"
        )

    second_dir = tmp_path / "second"
    second_dir.mkdir()
    # Issued a few seconds later than the first (thisUpdate now minus 30 s): the newer CRL.
    crl = _write_crl(lab.root, second_dir, {*others, serial}, _MINUTE / 2, _DAY)
    run, hostile = run_initiator(
        _crl_target(target, crl), second_dir, transcripts, cert=cert,
        script=honest_get_script(CONTENT),
    )
    require_reached(run, hostile, request=False)
    try:
        judge_refusal(
            run,
            hostile,
            f"PKI-CERT-7: the same responder certificate (serial {serial:#x}) as in a get "
            "that just succeeded, now listed by the fresh CRL the initiator is given; the "
            "initiator must refuse the responder",
        )
    except ConformanceFailure as failure:
        failure.violates = ("PKI-CERT-7",)
        raise
