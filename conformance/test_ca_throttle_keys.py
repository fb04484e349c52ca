"""What the CA's throttle counts a failure against: the alias the JSON denotes, and the
client's address, never one for the other (SPEC §4.4: CA-ENR-7).

CA-ENR-7: failed logins are throttled "per alias and per client address". Two ways a CA
gets the keys wrong that the throttle cases, which spell aliases plainly and use
addresses that look like no alias, do not see:

- one table for both kinds, keyed by bare strings: the alias `127.0.7.9` (a valid alias:
  digits and dots) and the address 127.0.7.9 are one entry. Guesses at that alias
  throttle the honest clients behind that address, and an address's failures throttle
  the account named like it;
- the alias key read from the raw body (a regex before the JSON parse, "cheap"): `suite`
  and `sui\\u0074e` are one account and two keys, so a guesser who spells the alias anew
  each time is never throttled per alias.

Cases (fresh accounts through `ca_user_add_cmd`, fresh loopback addresses):

- `test_an_alias_named_like_an_address`: N wrong passwords (N: the declared threshold,
  else 5) for the unknown alias spelled as a fresh address Z, from other fresh
  addresses; then a fresh account's right password from Z: 200 at once (Z has failed
  nothing). And the converse: an account whose alias is a fresh address Z', Z' fails N
  logins (other unknown aliases); then that account's right password from another fresh
  address: 200 at once;
- `test_spellings_of_one_alias_share_one_count`: N wrong passwords for one unknown alias,
  each spelled with another JSON escape (`\\u0068` for `h` ...) and sent from a fresh
  address; the next login of that alias (spelled anew, from a fresh address) is throttled
  (`429`, or `503`): it is the (N+1)-th failure of ONE alias. Without a declared N the
  case tries up to 12 failures.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account, _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle-keys"),
]

_UNDECLARED_LIMIT = 12


def _threshold(target: Target) -> int:
    return target.limits.ca_throttle_failures or 5


def _address(target: Target) -> str:
    address = ca.sources(target).fresh()
    if address is None:
        pytest.skip("needs loopback source addresses (the CA on 127.0.0.0/8)")
    return address


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("direction", ["alias-failures", "address-failures"])
def test_an_alias_named_like_an_address(pki_target: Target, direction: str) -> None:
    n = _threshold(pki_target)
    pool = ca.sources(pki_target)
    named = _address(pki_target)
    if direction == "alias-failures":
        statuses = [
            ca.enrol(
                pki_target, named, f"wrong-{secrets.token_hex(4)}", _csr(named), source=pool.fresh()
            ).status
            for _ in range(n)
        ]
        other, password = _account(pki_target, "named-address")
        answer = ca.enrol(pki_target, other, password, _csr(other), source=named)
        context = (
            f"CA-ENR-7: {n} wrong passwords for the alias {named!r} (no account; answers "
            f"{statuses}), each from another fresh address; then a fresh account {other!r} "
            f"with its right password from the ADDRESS {named}"
        )
    else:
        if not pki_target.ca_user_add_cmd:
            pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
        password = f"pw-{secrets.token_urlsafe(12)}"
        ca.admin_command(pki_target, "add", named, stdin=password + "\n")
        statuses = [
            ca.enrol(
                pki_target,
                ca.ghost_alias(),
                f"wrong-{secrets.token_hex(4)}",
                _csr("x"),
                source=named,
            ).status
            for _ in range(n)
        ]
        other = named
        answer = ca.enrol(pki_target, named, password, _csr(named), source=pool.fresh())
        context = (
            f"CA-ENR-7: an account whose alias is {named!r}; the ADDRESS {named} fails {n} "
            f"logins (unknown aliases; answers {statuses}); then the account's right "
            "password from another fresh address"
        )
    if answer.status == 200:
        return
    raise ConformanceFailure.evidence(
        context,
        "200: that alias and that address have failed nothing — an alias's failures count "
        "against the alias, an address's against the address, whatever the alias looks like",
        answer.describe(),
        note="aliases and addresses kept in one table by their text: the alias "
        f"{named!r} and the address {named} are one entry",
    )


def _spellings(alias: str) -> list[str]:
    """JSON texts of `alias`: plain, then with one more character written as \\uXXXX
    (lower and upper case hex), each text different."""
    texts = [json.dumps(alias)]
    for i, char in enumerate(alias):
        for form in ("\\u%04x", "\\u%04X"):
            escaped = form % ord(char)
            if escaped.lower() == escaped and form == "\\u%04X":
                continue  # digits only: the same text as the lower-case form
            texts.append('"' + alias[:i] + escaped + alias[i + 1 :] + '"')
    return texts


@pytest.mark.req("CA-ENR-7")
def test_spellings_of_one_alias_share_one_count(pki_target: Target) -> None:
    declared = pki_target.limits.ca_throttle_failures
    limit = declared if declared is not None else _UNDECLARED_LIMIT
    alias = ca.ghost_alias()
    texts = _spellings(alias)
    pool = ca.sources(pki_target)
    trail: list[str] = []
    for attempt, text in enumerate(texts[: limit + 1], 1):
        body = (
            '{"alias": '
            + text
            + ', "password": '
            + json.dumps(f"wrong-{secrets.token_hex(4)}")
            + ', "csr": '
            + json.dumps(_csr(alias))
            + "}"
        ).encode("ascii")
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            source=pool.fresh(),
            headers={"Content-Type": "application/json"},
        )
        trail.append(f"{text}: {answer.status}")
        if answer.status in (429, 503):
            if declared is not None and attempt <= declared:
                raise ConformanceFailure.evidence(
                    f"CA-ENR-7: wrong passwords for the unknown alias {alias!r}, each from "
                    "a fresh address",
                    f"{declared} answered 401 before the first 429",
                    "; ".join(trail),
                )
            return
        if answer.status != 401:
            pytest.skip(f"a wrong password for {alias!r} ({text}) got {answer.describe()}")
    raise ConformanceFailure.evidence(
        f"CA-ENR-7: wrong passwords for ONE unknown alias {alias!r}, each login spelling it "
        "with another JSON escape and sent from a fresh address",
        (
            f"a 429 (or 503) at login {declared + 1}: after {declared} failures of the alias"
            if declared is not None
            else f"a 429 (or 503) within {limit + 1} logins"
        ),
        "; ".join(trail) + ": never throttled",
        note="the alias counted by its raw JSON text, not the string it denotes",
    )
