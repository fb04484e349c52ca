"""Enrolment passwords compared exactly, as code points (SPEC §4.4, CA-ENR-2, CA-ENR-6).

The CA compares a password "exactly as the account was given it" [CA-ENR-2]: every
character counts, including what a C string, a lossy encoder or a memo would drop. A
password that is the right one plus a NUL and more, or plus a lone surrogate (a JSON
`\\ud800` escape that UTF-8 cannot encode), is a wrong password: never `200` [CA-ENR-6].
And each account's password is its own: two accounts that chose the same password both
enrol with it — a CA that memoises its hash per password (the salt left out of the key)
refuses the second one.

Fresh accounts through the target's `ca_user_add_cmd` (skipped without it), every login
from a fresh loopback address, at most one wrong password per account.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-password-bytes"),
]


def _add(target: Target, alias: str, password: str) -> None:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.admin_command(target, "add", alias, stdin=password + "\n")


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _enrol_raw(target: Target, body: bytes) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


# The right password, then what is appended to it (as JSON string content, escaped):
# each makes a different password that a lossy comparison takes for the right one.
_EXTENSIONS = {
    "nul-then-more": "\\u0000and-more",
    "lone-high-surrogate": "\\ud800",
    "lone-low-surrogate-inside": "\\udfff-x",
}


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("extension", list(_EXTENSIONS))
def test_the_right_password_extended_is_wrong(pki_target: Target, extension: str) -> None:
    """A fresh account; one login with its right password followed by a NUL and more, or
    by a lone surrogate: not `200` (`401 auth_failed`, or an error answer for a string
    the CA will not take) — no certificate is issued for a password the account does
    not have."""
    alias = f"pwx-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    sent = json.dumps(password)[:-1] + _EXTENSIONS[extension] + '"'
    body = (
        '{"alias": '
        + json.dumps(alias)
        + ', "password": '
        + sent
        + ', "csr": '
        + json.dumps(_csr(alias))
        + "}"
    ).encode("ascii")
    answer = _enrol_raw(pki_target, body)
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: the new account {alias!r}, a login whose password is its right "
            f"one followed by {_EXTENSIONS[extension]!r} (JSON escape)",
            "not 200: a wrong password (401 auth_failed, or an error if the CA refuses the string)",
            answer.describe(),
        )


@pytest.mark.req("CA-ENR-2")
def test_two_accounts_with_one_password_both_enrol(pki_target: Target) -> None:
    """Two fresh accounts given the same password; each enrols with it (200 with a
    certificate naming it), the second right after the first."""
    password = f"shared-{secrets.token_urlsafe(12)}"
    aliases = [f"same-pw-{n}-{secrets.token_hex(4)}" for n in (1, 2)]
    for alias in aliases:
        _add(pki_target, alias, password)
    for n, alias in enumerate(aliases, 1):
        answer = ca.enrol(pki_target, alias, password, _csr(alias))
        obj = ca.json_body(answer, f"enrolment of {alias!r}")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            raise ConformanceFailure.evidence(
                f"CA-ENR-2: enrolment {n} of 2: the new account {alias!r} with its right "
                f"password, which the account {aliases[2 - n]!r} was also given"
                + (" (and enrolled with just before)" if n == 2 else ""),
                '200 {"certificate": PEM}: each account\'s password is checked against its '
                "own record (its own salt), whoever else chose the same",
                answer.describe(),
            )
