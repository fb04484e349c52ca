"""An unknown alias is answered like a known alias's wrong password, however it is
reached (SPEC §4.4: CA-ENR-6, CA-ENR-7).

CA-ENR-6: "A wrong password and an unknown alias MUST get the same answer ... with the
same body and no measurable timing difference". Two ways a CA keeps that for the login
everyone tests (a plain wrong password, an invented alias, one each) and breaks it
elsewhere:

- the throttle's bookkeeping tells them apart: failures of aliases the store does not
  hold pooled under one key ("an alias spray must not fill the table"). Once N such
  failures are booked, from anywhere, every unknown alias is answered `429` while a
  known alias's wrong password still gets `401`: an account oracle. Unknown aliases are
  counted like known ones (CA-ENR-7), each against itself and its address;
- a fast path for one of them: "an empty password never matches", taken after the
  account lookup, so a known alias's empty password is refused at once while an
  unknown alias's is still hashed against the dummy record (or the reverse): the time
  of the answer tells which aliases exist.

Cases (one fresh account through `ca_user_add_cmd` for both, fresh loopback addresses):

- `test_unknown_aliases_are_not_throttled_together`: N wrong passwords (N: the declared
  threshold, else 5), each for another unknown alias from another address; then, each
  from a fresh address, a fresh unknown alias and the fresh account with a wrong
  password: the same status and error (both `401`, unless the CA throttles everything
  at once);
- `test_an_empty_password_costs_the_same_for_known_and_unknown_aliases`: empty passwords
  for the fresh account (as many as stay below its threshold) and for as many unknown
  aliases, interleaved, each from a fresh address: the same answer, and median times
  that do not differ by more than half the slower one (a skipped hash is the whole
  cost of a login; scheduling noise is far less).
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account, _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unknown-alias-alike"),
]


_ACCOUNTS: dict[str, str] = {}  # one fresh account per CA for the file (an account costs)


def _fresh_alias(target: Target) -> str:
    """A fresh account's alias; the file books at most N failures on it (both cases)."""
    key = str(target.ca_url)
    if key not in _ACCOUNTS:
        _ACCOUNTS[key] = _account(target, "alike")[0]
    return _ACCOUNTS[key]


def _threshold(target: Target) -> int:
    return target.limits.ca_throttle_failures or 5


def _address(target: Target) -> str:
    address = ca.sources(target).fresh()
    if address is None:
        pytest.skip("needs loopback source addresses (the CA on 127.0.0.0/8)")
    return address


def _kind(answer: ca.CaAnswer) -> tuple[int, object]:
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return answer.status, None
    return answer.status, parsed.get("error") if isinstance(parsed, dict) else None


@pytest.mark.req("CA-ENR-6")
def test_unknown_aliases_are_not_throttled_together(pki_target: Target) -> None:
    alias = _fresh_alias(pki_target)
    n = _threshold(pki_target)
    trail = []
    for _ in range(n):
        ghost = ca.ghost_alias()
        trail.append(ca.enrol(pki_target, ghost, "wrong", _csr(ghost), source=_address(pki_target)))
    ghost = ca.ghost_alias()
    unknown = ca.enrol(pki_target, ghost, "wrong", _csr(ghost), source=_address(pki_target))
    known = ca.enrol(pki_target, alias, "wrong-password", _csr(alias), source=_address(pki_target))
    if _kind(unknown) == _kind(known):
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-6: {n} wrong passwords, each for another unknown alias from another "
        f"address (answered {', '.join(str(a.status) for a in trail)}); then, each from a "
        f"fresh address, the unknown alias {ghost!r} and the account {alias!r} with a wrong "
        "password",
        "the same answer for both (401 auth_failed): each unknown alias is counted against "
        "itself and its address, like a known one",
        f"unknown alias: {unknown.describe()}; known alias: {known.describe()}",
        note="unknown aliases pooled under one throttle key: their answer tells them from "
        "the accounts",
    )


def _timed(target: Target, alias: str) -> tuple[float, ca.CaAnswer]:
    source = _address(target)
    csr = _csr(alias)
    start = time.monotonic()
    answer = ca.enrol(target, alias, "", csr, source=source)
    return time.monotonic() - start, answer


@pytest.mark.req("CA-ENR-6")
def test_an_empty_password_costs_the_same_for_known_and_unknown_aliases(
    pki_target: Target,
) -> None:
    alias = _fresh_alias(pki_target)
    # with the other case's one failure, at most N failures of the account: all answered
    samples = max(1, min(3, _threshold(pki_target) - 1))
    known: list[tuple[float, ca.CaAnswer]] = []
    unknown: list[tuple[float, ca.CaAnswer]] = []
    for _ in range(samples):
        known.append(_timed(pki_target, alias))
        unknown.append(_timed(pki_target, ca.ghost_alias()))
    kinds = {_kind(a) for _t, a in known + unknown}
    known_median = statistics.median(t for t, _a in known)
    unknown_median = statistics.median(t for t, _a in unknown)
    slower = max(known_median, unknown_median)
    context = (
        f"CA-ENR-6: an empty password for the account {alias!r} and for unknown aliases, "
        f"{samples} of each, interleaved, each from a fresh address"
    )
    if len(kinds) != 1:
        raise ConformanceFailure.evidence(
            context,
            "the same answer for all of them",
            f"known alias: {[a.describe() for _t, a in known]}; unknown aliases: "
            f"{[a.describe() for _t, a in unknown]}",
        )
    if abs(known_median - unknown_median) > max(0.5 * slower, 0.03):
        raise ConformanceFailure.evidence(
            context,
            "no measurable timing difference (medians within half the slower one): the "
            "same work for both, whether or not it hashes an empty password",
            f"median {known_median * 1000:.0f} ms for the account, "
            f"{unknown_median * 1000:.0f} ms for unknown aliases "
            f"(samples {[round(t * 1000) for t, _a in known]} / "
            f"{[round(t * 1000) for t, _a in unknown]} ms)",
            note="an empty password refused without a hash on one path only: the time "
            "tells which aliases are accounts",
        )
