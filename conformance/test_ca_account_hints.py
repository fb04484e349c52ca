"""Helpful refusals that tell which accounts exist (CA-ENR-6, ERR-6).

A wrong password and an unknown alias get the same answer (CA-ENR-6); an alias of a form
no account can have MAY be refused `400 bad_request` instead, "whatever the password: it
reveals nothing about the accounts"; and no answer's message may differ "by the internal
cause of an authentication failure" (ERR-6, which names CA-ENR-7's throttle). The
refusals the existing cases compare are the `401`s of well-formed aliases. A CA that is
helpful on its other refusals leaks the accounts there:

- a malformed alias whose repaired form is an account ("aliases are lower-case: did you
  mean alice?", or a 400 for it and a 401 for the others): `ALICE` is answered
  unlike `GHOST`;
- a throttled login whose message names the account ("account alice is locked for
  1 s") where an unknown alias's says "too many failed logins".

Each case compares an alias derived from a fresh account (`ca_user_add_cmd`) with the
same derivation of an alias that has no account, every login from a fresh loopback
address, with wrong passwords: what is compared is the status, the `error` code and the
message with the alias and every number masked.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-account-hints"),
]


def _pair(target: Target, prefix: str) -> tuple[Account, str]:
    """A fresh account and an alias of the same shape and length that has none."""
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    tag = secrets.token_hex(5)
    account = Account(f"{prefix}-{tag}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account, f"{prefix[:-1]}z-{secrets.token_hex(5)}"


def _shape(answer: ca.CaAnswer, alias: str) -> tuple[int, str, str]:
    """(status, error code, message) with the alias (in any case) and numbers masked."""
    try:
        obj = json.loads(answer.body)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return answer.status, "", answer.body[:200].decode("utf-8", "replace")
    message = str(obj.get("message", ""))
    for form in {alias, alias.lower(), alias.upper(), alias.strip(), alias.strip().lower()}:
        if form:
            message = re.sub(re.escape(form), "<alias>", message, flags=re.IGNORECASE)
    return answer.status, str(obj.get("error", "")), re.sub(r"[0-9]+", "#", message)


# Aliases outside PKI-CERT-2 made from a valid one: what a helpful CA repairs.
_MALFORMED: dict[str, Callable[[str], str]] = {
    "upper-case": str.upper,
    "trailing-space": lambda alias: alias + " ",
    "65-characters": lambda alias: alias + "x" * (65 - len(alias)),
}


@pytest.mark.req("CA-ENR-6")
def test_a_malformed_alias_reveals_no_account(pki_target: Target) -> None:
    """For each malformed form (upper-case, a trailing space, 65 characters),
    the form of a fresh account's alias and the form of an alias that has no account,
    each with a wrong password: the same status, error code and message (400 or 401,
    as the CA chooses, but the same for both)."""
    account, ghost = _pair(pki_target, "hint")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    differ = []
    for form, make in _MALFORMED.items():
        mine, theirs = make(account.user), make(ghost)
        got = {}
        for alias in (mine, theirs):
            answer = ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(4)}", csr)
            if answer.status in (200, 503):
                inconclusive(f"the malformed alias {alias!r} got {answer.describe()}")
            got[alias] = (answer, _shape(answer, alias))
        if got[mine][1] != got[theirs][1]:
            differ.append(
                f"{form}: {mine!r} (the account's) -> {got[mine][0].describe()[:150]}; "
                f"{theirs!r} (no account) -> {got[theirs][0].describe()[:150]}"
            )
    if differ:
        raise ConformanceFailure.evidence(
            f"malformed aliases made from the fresh account {account.user!r} and from "
            f"{ghost!r}, which has none, each with a wrong password from a fresh address",
            "the same answer for both (status, error code, message): a malformed alias is "
            "refused 400 or 401 whatever the accounts are — it reveals nothing (CA-ENR-6)",
            "; ".join(differ),
        )


@pytest.mark.req("ERR-6")
def test_a_throttled_answer_names_no_account(pki_target: Target) -> None:
    """N wrong passwords for a fresh account's alias, then one more: 429. The same for an
    alias that has no account. The two 429s have the same error code, the same
    Retry-After presence and the same message (the alias and numbers masked): the cause
    of the refusal is the throttle in both, and its words must not tell an account from
    no account."""
    n = pki_target.limits.ca_throttle_failures
    if n is None:
        pytest.skip("the target declares no CA throttle threshold (ca_throttle_failures)")
    if n > 12:
        pytest.skip(f"a threshold of {n} failed logins is too many here")
    account, ghost = _pair(pki_target, "thr")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    throttled: dict[str, ca.CaAnswer] = {}
    for alias in (account.user, ghost):
        for i in range(n + 1):
            answer = ca.enrol(pki_target, alias, f"wrong-{i}-{secrets.token_hex(3)}", csr)
            if answer.status == 429:
                throttled[alias] = answer
                break
            if answer.status != 401:
                inconclusive(f"failure {i + 1} of {alias!r} got {answer.describe()}")
        else:
            inconclusive(f"{alias!r}: no 429 after {n + 1} failures (judged by CA-ENR-7's cases)")
    mine, theirs = throttled[account.user], throttled[ghost]
    shapes = (_shape(mine, account.user), _shape(theirs, ghost))
    retry = tuple("retry-after" in a.headers for a in (mine, theirs))
    if shapes[0][1:] != shapes[1][1:] or retry[0] != retry[1]:
        raise ConformanceFailure.evidence(
            f"{n} wrong passwords and one more for the fresh account {account.user!r}, and "
            f"the same for {ghost!r}, which has none (each login from a fresh address)",
            "two 429s alike but for the alias and the numbers: the message does not differ "
            "by the internal cause of the refusal (ERR-6), unknown aliases being throttled "
            "like known ones (CA-ENR-7)",
            f"the account's: {mine.describe()[:200]} (Retry-After "
            f"{mine.headers.get('retry-after')}); no account's: {theirs.describe()[:200]} "
            f"(Retry-After {theirs.headers.get('retry-after')})",
        )
