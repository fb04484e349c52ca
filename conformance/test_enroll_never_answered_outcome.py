"""sft-pki/1: the ENROLMENT client under test reports an enrolment the CA never answered
with a certificate as FAILED (docs/SPEC.md §4.4, CA-ENR-12: "any other answer — an error
status, … — fails the enrolment (non-zero exit)"). Same hostile CA on
`https://localhost:PORT` and same `enroll_cmd` as test_enroll_client.py.

The CA answers EVERY enrolment with a status that a client may take for "not now" rather
than "no": `503 {"error": "busy"}` or `429 {"error": "throttled"}`, each with
`Retry-After: 3600`. A client MAY wait and try again (CA-ENR-14) or give up at once;
whatever it does, no certificate ever came, so it MUST NOT exit 0. test_enroll_client.py
judges a `429` through what is stored (an exit 0 with nothing stored under `{out}` is
inconclusive there: a key may be kept in a form it cannot read); here no answer held a
certificate, so exit 0 alone is the failure — a client that treats "busy, try later" as a
warning, or as success with nothing to write, says the enrolment was done.

A client that waits out the hour is stopped by the run's bound (test_enroll_client.py's
40 s) and judged inconclusive, never failed.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import _ca_certificate, _fail, _fixed, _run

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_NOT_NOW: dict[str, tuple[int, bytes]] = {
    "busy_503": (503, b'{"error": "busy", "message": "logins being verified: retry later"}'),
    "throttled_429": (429, b'{"error": "throttled", "message": "too many failed logins"}'),
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_NOT_NOW))
def test_enrolment_client_never_given_a_certificate_does_not_report_success(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    status, body = _NOT_NOW[kind]
    answer = _fixed(status, {"Retry-After": "3600", "Content-Type": "application/json"}, body)
    run = _run(target, tmp_path, _ca_certificate(lab), answer, lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: the CA answers every enrolment ({len(run.ca.enrolments())} sent) "
            f"{status} with Retry-After: 3600 ({kind}); no answer held a certificate",
            "a non-zero exit status: the enrolment did not happen (waiting and trying again "
            "is allowed, reporting it done is not)",
            run,
            "exit 0",
        )
