"""An alias is throttled by all of its characters, the 64th included (docs/SPEC.md §4.4:
CA-ENR-7, with PKI-CERT-2's 1-64 characters).

CA-ENR-7 counts failed logins per alias: another alias's failures never throttle it
(test_ca_unhappy_paths.py: aliases sharing a prefix of 16, 40 or 60 characters). The
boundary is the longest alias: a throttle key cut one short (`alias[:63]`, a buffer of
63 characters plus its NUL, an off-by-one in a slice) or taken from the other end makes
two 64-character aliases that differ only in their last (or first) character one key,
and a guesser at a made-up alias locks the account that differs from it by one letter.

A fresh account with a 64-character alias (`ca_user_add_cmd`); a made-up alias of 64
characters equal to it but for its last (or first) character failed from fresh
addresses until `429`; then the account's right password from another fresh address:
`200`.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-alias-keys-whole-length"),
]


def _pair(where: str) -> tuple[str, str]:
    """(the account's alias, the made-up one): 64 characters each, one differing
    character at the end or at the start."""
    middle = ("k" + secrets.token_hex(32))[:62]
    if where == "last":
        return "a" + middle + "r", "a" + middle + "g"
    return "r" + middle + "a", "g" + middle + "a"


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize(
    "where",
    ["last", pytest.param("first", marks=pytest.mark.slow)],  # the boundary by default
)
def test_a_64_character_alias_is_not_throttled_by_its_neighbour(
    pki_target: Target, where: str
) -> None:
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias, ghost = _pair(where)
    assert len(alias) == len(ghost) == 64
    password = f"pw-{secrets.token_urlsafe(12)}"
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    pool = ca.sources(pki_target)
    answers = []
    for _ in range((pki_target.limits.ca_throttle_failures or 10) + 2):
        status = ca.enrol(pki_target, ghost, "wrong", csr, source=pool.fresh()).status
        answers.append(status)
        if status == 429:
            break
    else:
        pytest.skip(f"no 429 for {ghost!r} after {len(answers)} failures: see test_ca_throttle.py")
    answer = ca.enrol(pki_target, alias, password, csr, source=pool.fresh())
    if answer.status == 200:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-7: the made-up alias {ghost!r} (64 characters) failed from fresh addresses "
        f"until 429 (answers {answers}); then the account {alias!r} (64 characters, the same "
        f"but for its {where} character) with its right password from another fresh address",
        "200: each alias is counted whole, its 64th character included",
        answer.describe(),
        note="the throttle's alias key cut short (one character short of 64, or from the "
        "other end): two aliases one letter apart share a count",
    )
