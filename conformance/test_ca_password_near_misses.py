"""A password that differs from the account's by what a "tolerant" comparison folds is a
wrong password (docs/SPEC.md §4.4, CA-ENR-2, CA-ENR-6).

CA-ENR-2: "The password is compared exactly as the account was given it (no trimming, no
Unicode normalisation, ...)". The folds a CA gets patched with, to stop help-desk calls,
are each a small one: the line end a client read from a password file (`rstrip("\\r\\n")`),
the blank a copy and paste brings (`strip()`, a no-break space too), the caps-lock user
(`lower()`). Each makes several passwords open one account, for an attacker's guesses
too. test_ca_password_bytes.py covers a NUL and more, and a lone surrogate.

Fresh accounts (the target's `ca_user_add_cmd`; SKIP without) whose passwords hold
letters, digits and no blank; each takes at most N - 1 of the near misses (N: the
declared throttle threshold, else the default 5; at most 4), one login each from a fresh
address, its password changed by a fold's inverse (a line end, a carriage return, a
blank or tab or no-break space before or after, the letters in capitals): never `200`
and never a certificate (`401 auth_failed`, or an error answer). Then its right
password: `200` (else the case is inconclusive: the account never worked).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-password-near-misses"),
]

# What each fold would take for the right password `p`.
_NEAR = {
    "line-feed-after": lambda p: p + "\n",
    "crlf-after": lambda p: p + "\r\n",
    "carriage-return-after": lambda p: p + "\r",
    "line-feed-before": lambda p: "\n" + p,
    "space-after": lambda p: p + " ",
    "tab-before": lambda p: "\t" + p,
    "no-break-space-after": lambda p: p + "\u00a0",
    "capitals": lambda p: p.upper(),
}


_DEFAULT_N = 5  # the SPEC's default throttle threshold (CA-ENR-7)


def _per_account(target: Target) -> int:
    """Near misses one account takes before its throttle could answer 429: N - 1."""
    n = target.limits.ca_throttle_failures
    return max(1, min(4, int(n) - 1 if n else _DEFAULT_N - 1))


@pytest.mark.req("CA-ENR-2")
def test_near_misses_of_the_right_password_are_wrong(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    names = list(_NEAR)
    step = _per_account(pki_target)
    accepted = []
    for first in range(0, len(names), step):
        alias = f"near-{secrets.token_hex(5)}"
        password = f"pw-{secrets.token_hex(10)}x"  # letters and digits: upper() changes it
        ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        for near in names[first : first + step]:
            sent = _NEAR[near](password)
            answer = ca.enrol(pki_target, alias, sent, csr)
            if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
                accepted.append(f"{near} ({sent!r} for {password!r}): {answer.describe()[:60]}")
        right = ca.enrol(pki_target, alias, password, csr)
        if right.status != 200:
            inconclusive(
                f"the account {alias!r} with its right password, after {step} near misses: "
                f"{right.describe()} (expected 200): their refusals prove nothing"
            )
    if accepted:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: fresh accounts, each login with its right password changed by one "
            f"fold ({', '.join(names)}), at most {step} per account",
            "not 200: the password is compared exactly as the account was given it (a wrong "
            "password: 401 auth_failed)",
            "; ".join(accepted[:3]) + (f" (and {len(accepted) - 3} more)" * (len(accepted) > 3)),
            note="a tolerant comparison lets several passwords, and guesses, open one account",
        )
