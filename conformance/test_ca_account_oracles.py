"""Requests that would tell accounts apart by the CA's error path (SPEC §4.4: CA-ENR-6).

CA-ENR-6: "A wrong password and an unknown alias MUST get the same answer ... with the
same body". Two error paths where a CA breaks that without meaning to:

- a bad CSR: CA-ENR-21 lets a CA check the password first (401) or the CSR first
  (400 bad_csr) — but one order for every alias. A CA that, to make an unknown alias
  "cost the same" as a known one, lets it run on into the request's validation before
  refusing it answers an unknown alias `400 bad_csr` and a known alias's wrong password
  `401`: a bad CSR then tells which aliases have accounts;
- an alias longer than an alias can be (65 characters and more) whose first 64 are an
  account's: a store that truncates to its column's width (VARCHAR(64)) looks the
  account up, and certifies it, for the account's right password, while a wrong one is
  `401`. The alias sent is no account's: 401 either way (or 400 for an alias of no valid
  form, CA-ENR-6, whatever the password).

Fresh accounts through `ca_user_add_cmd`, fresh loopback addresses (one failure each:
far below any throttle).
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_admin_after_refusals import _broken_signature_csr
from conformance.test_ca_vanished_logins import _account
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-account-oracles"),
]


def _bad_csr(kind: str, alias: str) -> str:
    if kind == "not-pem":
        return "this is not a certificate request"
    if kind == "broken-signature":
        return _broken_signature_csr(alias)
    return ca.csr_pem(ca.CsrKey.rsa(1024), ca.name((ca.OID_CN, alias)))  # "rsa-1024"


def _shape(answer: ca.CaAnswer, *aliases: str) -> tuple[int, str, str]:
    """Status, error code and message (the aliases sent replaced by one placeholder)."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return answer.status, "(not JSON)", answer.body[:120].decode(errors="replace")
    if not isinstance(body, dict):
        return answer.status, "(not an object)", repr(body)[:120]
    message = str(body.get("message", ""))
    for alias in aliases:
        message = message.replace(alias, "ALIAS")
    return answer.status, str(body.get("error")), message


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("csr", ["not-pem", "broken-signature", "rsa-1024"])
def test_a_bad_csr_answers_every_alias_alike(pki_target: Target, csr: str) -> None:
    pool = ca.sources(pki_target)
    known, _password = _account(pki_target, "oracle")
    ghost = ca.ghost_alias()
    wrong = f"wrong-{secrets.token_hex(4)}"
    known_answer = ca.enrol(pki_target, known, wrong, _bad_csr(csr, known), source=pool.fresh())
    ghost_answer = ca.enrol(pki_target, ghost, wrong, _bad_csr(csr, ghost), source=pool.fresh())
    if _shape(known_answer, known) == _shape(ghost_answer, ghost):
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-6: a CSR that is {csr.replace('-', ' ')}, sent (1) with the account "
        f"{known!r} and a wrong password, (2) with the alias {ghost!r} that no account has, "
        "each from a fresh address",
        "the same answer and body for both (401 auth_failed if the password is checked "
        "first, 400 bad_csr if the CSR is: CA-ENR-21, one order for every alias)",
        f"(1) {known_answer.describe()}; (2) {ghost_answer.describe()}",
        note="the answer to a bad CSR tells which aliases have accounts",
    )


_TAILS = {"one-more": "x", "five-more": "-more", "many-more": "-" + "y" * 40}


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("tail", list(_TAILS))
def test_an_alias_past_64_characters_is_no_account(pki_target: Target, tail: str) -> None:
    stem = f"long-{secrets.token_hex(5)}-"
    alias = (stem + "a" * 64)[:64]
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    password = f"pw-{secrets.token_urlsafe(12)}"
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    pool = ca.sources(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, alias)))
    if ca.enrol(pki_target, alias, password, csr, source=pool.fresh()).status != 200:
        pytest.skip(f"the 64-character account {alias!r} cannot enrol")
    sent = alias + _TAILS[tail]
    right = ca.enrol(pki_target, sent, password, csr, source=pool.fresh())
    wrong = ca.enrol(pki_target, sent, f"wrong-{secrets.token_hex(4)}", csr, source=pool.fresh())
    problems = []
    if right.status == 200 or b"BEGIN CERTIFICATE" in right.body:
        problems.append("the right password enrolled")
    if _shape(right, sent) != _shape(wrong, sent):
        problems.append("the right and a wrong password got different answers")
    if problems:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: the account {alias!r} (64 characters, it enrols); logins as "
            f"{sent!r} ({len(sent)} characters: its alias and {len(_TAILS[tail])} more), "
            "with the account's right password and with a wrong one",
            "the same refusal for both (401, or 400 for an alias of no valid form): no "
            "account has that alias",
            f"{'; '.join(problems)}: right {right.describe()}; wrong {wrong.describe()}",
            note="the alias cut to 64 characters (a column's width) before the lookup",
        )
