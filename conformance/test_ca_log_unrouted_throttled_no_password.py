"""The CA's log holds no password of a login it refused without verifying it: sent to a
wrong path or method, with a query string, or throttled (docs/SPEC.md §4.4 CA-ENR-5), read
from the file the target declares (`[pki] ca_log`).

CA-ENR-5: a password a login sends MUST NOT be written to the CA's log, "for every
refusal, whatever its cause". test_ca_log_no_password.py makes a wrong and a right login;
test_ca_log_refusals_no_password.py logins the enrolment handler refuses (no JSON, a wrong
type, a bad CSR, a body cut short). The refusals made before that handler run on other
code paths, each with its own log line: the router's 404 and 405 ("unrouted POST /v1/enrol:
<body>", to see what clients try), the query check, and the throttle's 429 (its line
written once more, with the attempt "minus its long csr" — the password left in).

`test_refusals_before_the_login_leave_no_password_in_the_log` posts login bodies with a
fresh marker password each to wrong paths and methods and with a query string, then fails
one unknown alias from fresh addresses until the CA answers `429` and sends two more
marker logins for it (answered `429` while its backoff runs); then the enrolment identity's
right login (so that the log surely grows). It waits for the log to take them and looks in
what it gained for any 12-character piece of each marker. SKIP when the target declares no
log file.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.log_files import size
from conformance.target import Target
from conformance.test_ca_log_refusals_no_password import _logged_passwords
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-log-unrouted-throttled-no-password"),
]

_MAX_GUESSES = 12  # failures before judging the throttle absent (its own cases judge it)
_MAX_DECLARED = 60


def _post(target: Target, method: str, path: str, body: bytes) -> int:
    answer = ca.request(
        target,
        method,
        path,
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )
    return answer.status


@pytest.mark.req("CA-ENR-5")
def test_refusals_before_the_login_leave_no_password_in_the_log(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    declared = pki_target.limits.ca_throttle_failures
    if declared is not None and declared + 2 > _MAX_DECLARED:
        pytest.skip(f"the CA's declared throttle threshold {declared} is too high for this case")
    bound = max(_MAX_GUESSES, (declared or 0) + 2)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias())))
    markers: dict[str, str] = {}

    def marker(what: str) -> str:
        markers[what] = secrets.token_hex(16)
        return markers[what]

    start = size(log)
    sent: list[str] = []
    for method, path in (
        ("POST", "/v1/enrol"),
        ("POST", "/v1/enroll/"),
        ("POST", "/enroll"),
        ("PUT", "/v1/enroll"),
        ("POST", "/v1/root"),
        ("POST", f"/v1/enroll?via=query-{secrets.token_hex(3)}"),
    ):
        what = f"{method} {path}"
        body = ca.enrol_body(ca.ghost_alias(), marker(what), csr)
        sent.append(f"{what}: {_post(pki_target, method, path, body)}")
    ghost = ca.ghost_alias()
    statuses: list[int] = []
    for n in range(bound):
        status = _post(
            pki_target, "POST", "/v1/enroll", ca.enrol_body(ghost, marker(f"guess {n}"), csr)
        )
        statuses.append(status)
        if status == 429:
            break
    sent.append(f"{len(statuses)} wrong passwords for {ghost}: {statuses}")
    if 429 in statuses:
        for n in range(2):
            what = f"login {n + 1} for {ghost} while throttled"
            status = _post(
                pki_target, "POST", "/v1/enroll", ca.enrol_body(ghost, marker(what), csr)
            )
            sent.append(f"{what}: {status}")
    added, found = _logged_passwords(pki_target, account, csr, log, start, markers, len(markers))
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: login bodies with a fresh marker password each, refused before any "
            f"password check ({'; '.join(sent)}), then a right login; what the CA's log "
            f"({log}) gained meanwhile ({len(added)} bytes)",
            "no piece of any password in the log, whatever refused the request",
            "the log holds a piece of the password of " + ", ".join(found[:4]),
            note=f"{len(found)} of {len(markers)} passwords logged",
        )
