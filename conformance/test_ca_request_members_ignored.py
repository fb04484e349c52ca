"""Nothing in the enrolment body moves the validity (docs/SPEC.md §4.4, CA-ENR-10).

CA-ENR-10: `notAfter` is at most the configured period after the moment of issue, and
`notBefore` is never in the future (backdated by at most one hour); "the moment of issue is
the CA's own clock: nothing in the request (a `Date` header, a body member) moves
`notBefore` or `notAfter`". Neighbouring CAs let the requester ask: ACME's newOrder has
`notBefore` and `notAfter` (RFC 8555 §7.4), step-ca and Vault a `ttl` or `not_after`, many
in-house CAs a `validity_days`. A CA that copies the habit lets a requester post-date its
certificate (not yet valid by everyone's clock) or outlive the configured period.

`test_body_members_do_not_move_the_validity` enrols with each family of such members
beside `alias`, `password` and `csr`: a post-dated `notBefore` with a far `notAfter` (RFC
3339), their snake_case twins, and lifetimes (`validity_days`, `ttl`, `validity`) a week
over the configured period and far over it. The CA may refuse a body with members it does
not know (any 4xx); a certificate it issues is judged against the suite's clock at the
request (CA-ENR-10's bounds, as test_ca_request_date_ignored.py judges a `Date` header).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-request-members-ignored"),
]


def _rfc3339(delta: dt.timedelta) -> str:
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) + delta
    return when.isoformat().replace("+00:00", "Z")


def _members(configured_days: float) -> dict[str, dict[str, Any]]:
    # A week past the configured period (what a cap at a year or a "sane maximum" lets
    # through), and far past it.
    near = int(configured_days) + 7
    return {
        "acme": {
            "notBefore": _rfc3339(dt.timedelta(days=2)),
            "notAfter": _rfc3339(dt.timedelta(days=400)),
        },
        "snake-case": {
            "not_before": _rfc3339(dt.timedelta(days=2)),
            "not_after": _rfc3339(dt.timedelta(days=400)),
        },
        "lifetimes-a-week-over": {
            "validity_days": near,
            "ttl": f"{near * 24}h",
            "validity": near * 86400,
        },
        "lifetimes-far-over": {"validity_days": 4000, "ttl": "96000h", "validity": 4000 * 86400},
    }


def _account(target: Target) -> Account:
    if target.ca_user_add_cmd:
        account = Account(f"members-{secrets.token_hex(5)}", f"pw-{secrets.token_urlsafe(12)}")
        ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
        return account
    return ca.enrolee(target)


@pytest.mark.req("CA-ENR-10")
def test_body_members_do_not_move_the_validity(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    account = _account(pki_target)
    root = ca.root_info(pki_target)
    bad, refused = [], []
    configured = pki_target.limits.cert_validity_days
    for family, members in _members(configured).items():
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        issue = ca.issue_now(account.user, key, pki_target.limits.cert_validity_days)
        body = {"alias": account.user, "password": account.password, "csr": csr, **members}
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            json.dumps(body).encode(),
            source=ca.sources(pki_target).fresh(),
            headers={"Content-Type": "application/json"},
        )
        issue.ended = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        if 400 <= answer.status < 500:
            refused.append(family)
            continue
        obj = ca.json_body(answer, f"an enrolment with {sorted(members)}")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            raise ConformanceFailure(
                f"CA-ENR-2: the right password and a valid CSR, with {sorted(members)}: "
                f"{answer.describe()}"
            )
        cert = ca.read_issued(obj["certificate"])
        problems = [
            text for rid, text in ca.profile_problems(cert, issue, root) if rid == "CA-ENR-10"
        ]
        if problems:
            bad.append(f"{json.dumps(members)}: " + "; ".join(problems))
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-10: enrolments of {account.user!r} whose bodies also carry validity "
            "members (ACME's notBefore/notAfter, not_before/not_after, validity_days/ttl)",
            "validity from the CA's own clock and configuration: notBefore not in the future "
            "nor backdated over an hour, notAfter at most "
            f"{pki_target.limits.cert_validity_days:g} days after the request (or a 4xx)",
            " | ".join(bad),
            f"refused (4xx): {', '.join(refused)}" if refused else "",
        )
