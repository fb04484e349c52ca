"""The enrolment's members are found by their exact names (docs/SPEC.md §4.4: CA-ENR-2,
CA-ENR-6).

CA-ENR-2 names the request's members: `{"alias": str, "password": str, "csr": PEM}`.
JSON member names are case-sensitive strings (RFC 8259 §8.3: compared code unit by code
unit), so `"Password"` is another member, which carries no password. A CA whose JSON
layer matches names case-insensitively — Go's encoding/json decoding into a struct,
Jackson with ACCEPT_CASE_INSENSITIVE_PROPERTIES, a dict lower-cased "to be liberal" —
reads a look-alike member as the password or the alias, and the last of two such members
wins: a request whose `password` is wrong but whose `Password` is right is then
certified, and so is one whose `alias` is no account's but whose `Alias` is. CA-ENR-6:
a wrong password and an unknown alias MUST get `401 auth_failed` (a CA that refuses a
request with unexpected members as `400 bad_request` is judged conforming too): never a
certificate.

Each variant first enrols a fresh account with the exact members (the right answer is
`200`, so the refusal that follows is not the CA's refusal of every request), then
sends the look-alike request from a fresh address (one failure per alias: far below any
throttle). Needs `ca_user_add_cmd`.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-member-names-exact"),
]

# (what the variant is, its members in order); ALIAS/RIGHT/WRONG/GHOST/CSR are filled in.
_VARIANTS: dict[str, list[tuple[str, str]]] = {
    # the look-alike after the exact member: a last-wins case-folding decoder takes it
    "Password-after-password": [
        ("alias", "ALIAS"), ("password", "WRONG"), ("csr", "CSR"), ("Password", "RIGHT"),
    ],
    # the look-alike first: a first-wins case-folding decoder takes it
    "PASSWORD-before-password": [
        ("PASSWORD", "RIGHT"), ("alias", "ALIAS"), ("password", "WRONG"), ("csr", "CSR"),
    ],
    # the alias: the exact member names no account, its look-alike the account
    "Alias-after-alias": [
        ("alias", "GHOST"), ("password", "RIGHT"), ("csr", "CSR"), ("Alias", "ALIAS"),
    ],
}  # fmt: skip


def _body(members: list[tuple[str, str]], values: dict[str, str]) -> bytes:
    # written by hand: a dict cannot hold the members in this order with these names
    parts = [f"{json.dumps(name)}: {json.dumps(values[value])}" for name, value in members]
    return ("{" + ", ".join(parts) + "}").encode()


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("variant", list(_VARIANTS))
def test_look_alike_member_names_carry_no_credential(pki_target: Target, variant: str) -> None:
    alias, password = _account(pki_target, "members")
    pool = ca.sources(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, alias)))
    honest = ca.enrol(pki_target, alias, password, csr, source=pool.fresh())
    if honest.status != 200:
        pytest.skip(f"the fresh account {alias!r} does not enrol: {honest.describe()}")
    values = {
        "ALIAS": alias,
        "RIGHT": password,
        "WRONG": f"wrong-{secrets.token_hex(6)}",
        "GHOST": ca.ghost_alias(),
        "CSR": csr,
    }
    body = _body(_VARIANTS[variant], values)
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        body,
        source=pool.fresh(),
        headers={"Content-Type": "application/json"},
    )
    error = None
    try:
        parsed = json.loads(answer.body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    refused = (answer.status, error) in {(401, "auth_failed"), (400, "bad_request")}
    if refused and b"BEGIN CERTIFICATE" not in answer.body:
        return
    members = ", ".join(f"{name!r}: {value}" for name, value in _VARIANTS[variant])
    raise ConformanceFailure.evidence(
        f"CA-ENR-6: the account {alias!r} enrols with its exact members (200); then one "
        f"request with the members {members} (RIGHT: the account's password, WRONG: "
        "another, GHOST: an alias no account has), from a fresh address",
        "401 auth_failed (the `password` member is wrong, or the `alias` member is no "
        "account's), or 400 bad_request for the unexpected member: never a certificate — "
        "JSON member names are case-sensitive, a look-alike member carries nothing",
        answer.describe(),
        note="member names matched case-insensitively (a struct decoder, a lower-cased "
        "dict): the look-alike member read as the credential",
    )
