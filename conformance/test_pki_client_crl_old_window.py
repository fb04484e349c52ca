"""PKI-CERT-12 at an sft-pki/1 INITIATOR: a CRL's 7-day bound runs from its thisUpdate, not
from now.

PKI-CERT-12: an endpoint "MUST fail closed — refuse every peer certificate — when the CRL
it holds is past its `nextUpdate`, or lacks one, or its `nextUpdate` is more than 7 days
after its `thisUpdate`". test_pki_initiator_crl_file.py's 8-day CRL is issued a minute
ago: its nextUpdate is also more than 7 days from now, so an initiator that measures the
bound from the clock ("a CRL must not be relied on for more than 7 more days") refuses it
for the wrong reason and passes. A CRL issued days ago with a long lifetime is the one
that tells: its nextUpdate is near, its window is not 7 days.

The suite (lab mode: it holds the root key) signs the CRL, not listing the responder, and
serves a certificate under the alias the initiator asks for, through the target's
`client_crl_cmd` (SKIP without it):

- `issued_10_days_ago_for_12`: thisUpdate 10 days ago, nextUpdate 2 days from now;
- `issued_6_days_ago_for_7_and_1_hour`: thisUpdate 6 days ago, nextUpdate 7 days and an
  hour after it (a day and an hour from now).

Both MUST be refused: non-zero exit, nothing kept, no application frame to the responder
(`judge_refusal`). test_pki_initiator_crl_file.py's control (a fresh one-day CRL whose get
must succeed) runs first, so a client that fails whatever it is given is INCONCLUSIVE here.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conformance import test_pki_initiator_crl_file as crls
from conformance._wire_fixtures import TranscriptBook, judge_refusal, lab_pki
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_WINDOWS: dict[str, tuple[dt.timedelta, dt.timedelta, str]] = {
    "issued_10_days_ago_for_12": (
        dt.timedelta(days=10),
        dt.timedelta(days=12),
        "the CRL (not listing the responder) was issued 10 days ago; its nextUpdate is 12 "
        "days after its thisUpdate (2 days from now)",
    ),
    "issued_6_days_ago_for_7_and_1_hour": (
        dt.timedelta(days=6),
        dt.timedelta(days=7, hours=1),
        "the CRL (not listing the responder) was issued 6 days ago; its nextUpdate is 7 days "
        "and an hour after its thisUpdate (a day and an hour from now)",
    ),
}


@pytest.mark.req("PKI-CERT-12")
@pytest.mark.parametrize("window", list(_WINDOWS))
def test_pki_initiator_refuses_a_crl_whose_window_exceeds_7_days(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, window: str
) -> None:
    this_update_ago, lifetime, what = _WINDOWS[window]
    lab = lab_pki(target)
    crls._require_control(target, lab, tmp_path, transcripts)
    run, hostile = crls._get(
        target,
        lab,
        tmp_path,
        transcripts,
        serial=crls._serial(0x7F),
        revoked=crls._fillers(2, 0x10),
        this_update_ago=this_update_ago,
        next_update_after_this=lifetime,
    )
    try:
        judge_refusal(
            run,
            hostile,
            f"PKI-CERT-12: {what}; the initiator must refuse every peer certificate (the "
            "7 days run from thisUpdate)",
        )
    except ConformanceFailure as failure:
        failure.violates = ("PKI-CERT-12",)
        raise
