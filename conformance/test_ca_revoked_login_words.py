"""A revoked alias's refusal says nothing a wrong password's does not (ERR-6, CA-ENR-11).

ERR-6: no answer may hold "a message that differs by the internal cause of an
authentication failure"; CA-ENR-11: a revoked alias's logins "are answered like a wrong
password (`401 auth_failed`)". The status and the code are what the revocation cases
check; the refusal is written twice in a CA (once where the password is found wrong, once
where the account is found revoked) and the second copy is the helpful one: the right
`401 auth_failed` with "this alias is revoked", or `error` "revoked" with the 401. Such a
message tells whoever holds the password — the employee who left — that it still
matches, and tells anyone that the alias exists.

A fresh account (`ca_user_add_cmd`) enrols once, is revoked (`ca_revoke_cmd`), and then,
each from a fresh loopback address: its right password, a wrong password for it, a wrong
password for a second fresh account that is not revoked, and a wrong password for an
alias that has no account. The four answers must be alike: the same status, `error` code
and message (the alias and every number masked) and the same header field names (`Date`
aside).
"""

from __future__ import annotations

import json
import re
import secrets

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-revoked-login-words"),
]

_VARYING = {"date"}  # header fields whose presence may vary with the moment


def _shape(answer: ca.CaAnswer, alias: str) -> tuple[int, str, str, tuple[str, ...]]:
    """(status, error code, message with the alias and numbers masked, header names)."""
    names = tuple(sorted(set(answer.headers) - _VARYING))
    try:
        obj = json.loads(answer.body)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return answer.status, "", answer.body[:200].decode("utf-8", "replace"), names
    message = str(obj.get("message", ""))
    message = re.sub(re.escape(alias), "<alias>", message, flags=re.IGNORECASE)
    return answer.status, str(obj.get("error", "")), re.sub(r"[0-9]+", "#", message), names


def _account(target: Target, prefix: str) -> Account:
    account = Account(f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account


@pytest.mark.req("ERR-6")
def test_a_revoked_alias_is_refused_in_a_wrong_passwords_words(pki_target: Target) -> None:
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    ca.ca_address(pki_target)
    gone = _account(pki_target, "gone")
    live = _account(pki_target, "live")
    ghost = ca.ghost_alias()
    first = ca.enrol(
        pki_target,
        gone.user,
        gone.password,
        ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, gone.user))),
    )
    if first.status != 200:
        inconclusive(f"the fresh account {gone.user!r} could not enrol: {first.describe()}")
    ca.admin_command(pki_target, "revoke", gone.user)
    logins = (
        ("the revoked alias, its right password", gone.user, gone.password),
        ("the revoked alias, a wrong password", gone.user, f"wrong-{secrets.token_hex(6)}"),
        ("a live account, a wrong password", live.user, f"wrong-{secrets.token_hex(6)}"),
        ("an alias with no account, a wrong password", ghost, f"wrong-{secrets.token_hex(6)}"),
    )
    answers: list[tuple[str, ca.CaAnswer, tuple[int, str, str, tuple[str, ...]]]] = []
    for what, alias, password in logins:
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        answer = ca.enrol(pki_target, alias, password, csr)
        if answer.status in (429, 503):
            inconclusive(f"{what}: {answer.describe()} (one login per fresh address)")
        if answer.status == 200:
            inconclusive(f"{what}: {answer.describe()[:120]} (judged by CA-ENR-11's cases)")
        answers.append((what, answer, _shape(answer, alias)))
    reference = answers[-1][2]
    differ = [
        f"{what}: {answer.describe()[:160]} (header fields {', '.join(shape[3])})"
        for what, answer, shape in answers
        if shape != reference
    ]
    if differ:
        raise ConformanceFailure.evidence(
            f"ERR-6: the fresh account {gone.user!r} enrolled once and was revoked; then, "
            "each from a fresh address, four logins that all fail",
            "four answers alike (status, error code, message with the alias and numbers "
            "masked, header field names): a revoked alias is answered like a wrong "
            "password (CA-ENR-11), and no message differs by the cause of the refusal",
            "; ".join(differ)
            + f"; against {answers[-1][0]}: {answers[-1][1].describe()[:160]} (header "
            f"fields {', '.join(reference[3])})",
        )
