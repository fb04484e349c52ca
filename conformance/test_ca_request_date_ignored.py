"""The moment of issue is the CA's own clock, whatever the request's head says
(docs/SPEC.md §4.4, CA-ENR-10).

CA-ENR-10: `notAfter` is at most the configured period after the moment of issue, and
`notBefore` is never in the future (backdated by at most one hour). The moment of issue is
the CA's clock: a CA that "fixes clock skew" by taking the client's `Date` header (RFC
9110 §6.6.1: a client MAY send one) lets the requester choose when its certificate starts
and ends — a Date a day ahead buys a certificate not yet valid by everyone else's clock and
valid a day past the period. `test_request_dates_do_not_move_the_validity` enrols with a
`Date` two days ahead and one two days back: both certificates are judged against the
suite's clock at the request (CA-ENR-10's bounds).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-request-date-ignored"),
]

_SHIFT = dt.timedelta(days=2)


def _account(target: Target, stem: str) -> Account:
    if target.ca_user_add_cmd:
        account = Account(f"{stem}-{secrets.token_hex(5)}", f"pw-{secrets.token_urlsafe(12)}")
        ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
        return account
    return ca.enrolee(target)


def _enrol(
    target: Target, account: Account, key: ca.CsrKey, headers: dict[str, str]
) -> tuple[ca.IssuedCertificate, ca.Issue]:
    issue = ca.issue_now(account.user, key, target.limits.cert_validity_days)
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    answer = ca.request(
        target,
        "POST",
        "/v1/enroll",
        ca.enrol_body(account.user, account.password, csr),
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json", **headers},
    )
    issue.ended = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    obj = ca.json_body(answer, "an enrolment")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        extra = f" with {headers}" if headers else ""
        raise ConformanceFailure(
            f"CA-ENR-2: the right password and a valid CSR{extra}: {answer.describe()}"
        )
    return ca.read_issued(obj["certificate"]), issue


@pytest.mark.req("CA-ENR-10")
def test_request_dates_do_not_move_the_validity(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    account = _account(pki_target, "dated")
    root = ca.root_info(pki_target)
    bad = []
    for shift in (_SHIFT, -_SHIFT):
        claimed = dt.datetime.now(dt.UTC) + shift
        date = email.utils.format_datetime(claimed, usegmt=True)
        cert, issue = _enrol(pki_target, account, ca.CsrKey.ec("P-256"), {"Date": date})
        problems = [text for rid, text in ca.profile_problems(cert, issue, root)
                    if rid == "CA-ENR-10"]
        if problems:
            bad.append(f"Date: {date}: " + "; ".join(problems))
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-10: enrolments of {account.user!r} whose requests carry a Date two days "
            "ahead and two days back",
            f"validity from the CA's own clock: notBefore not in the future nor backdated "
            f"over an hour, notAfter at most {pki_target.limits.cert_validity_days:g} days "
            "after the request",
            " | ".join(bad),
        )

