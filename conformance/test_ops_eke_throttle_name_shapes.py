"""sft-eke/1: user names that look like structure are counted as given (SPEC §5.6).

EKE-THR-1 counts failed handshakes per user name, "whether or not the user exists", and
EKE-THR-2 forbids throttling one user's honest clients for another's failures. A user
name is any 1..64-byte UTF-8 text without control characters (EKE-PW-1): quotes,
semicolons, `%` and `_`, backslashes, braces, spaces, `@`, `/`, `:`. Where the throttle
meets other software those characters are structure:

- a failure row written with SQL built from strings breaks on an apostrophe — the
  failure is then never counted (and whatever the error path skips, e.g. the pending
  slot, leaks); a LIKE lookup takes `%` and `_` as wildcards;
- a throttle that keys "the person" — the part before `@`, after `\\` (DOMAIN\\user),
  before `/` or `:` — counts guesses against `alice@x` as guesses against `alice`.

Case 1: for each shaped ghost name, N failed handshakes (each from a fresh loopback
address: no address is locked), then its EKE1 must be answered `throttled`.
Case 2: for each look-alike of the victim account (`V@tag`, `tag\\V`, `V/tag`, `V:tag`,
`V tag`), N failed handshakes, then an honest login of V from a fresh address must
complete (its success resets V's own count before the next look-alike, EKE-THR-4).
"""

from __future__ import annotations

import secrets

import pytest

from conformance.eke_support import SourceAddresses, Victim
from conformance.target import Target
from conformance.test_eke_throttling import _fail_once, _needs_throttling, _probe
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)


def _shaped_names() -> list[str]:
    tag = secrets.token_hex(4)
    return [
        f"o'brien-{tag}",  # SQL string delimiter
        f"q\"{tag}';--",  # both quotes, a statement end, a comment
        f"pct%_{tag}",  # LIKE wildcards
        f"back\\slash-{tag}",  # an escape character
        f'{{"user": "{tag}"}}',  # JSON inside the name
    ]


def _look_alikes(user: str) -> list[str]:
    tag = secrets.token_hex(3)
    return [f"{user}@{tag}", f"{tag}\\{user}", f"{user}/{tag}", f"{user}:{tag}", f"{user} {tag}"]


@pytest.mark.req("EKE-THR-1")
def test_shaped_user_names_are_counted(eke_target: Target, eke_sources: SourceAddresses) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    for user in _shaped_names():
        for i in range(n):
            early = _fail_once(eke_target, user, eke_sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"failure {i + 1} of {n} of the fresh name {user!r} was refused: "
                    f"{early.describe()}"
                )
        frame, _ = _probe(eke_target, user, _FAKE_PW, eke_sources.fresh())
        if frame is None or frame.error_name != "throttled":
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: EKE1 of the user name {user!r} (a valid name: no control "
                f"characters) after {n} failed handshakes of it, each from another address "
                f"(N = {n})",
                "EROR throttled with retry_after",
                frame.describe() if frame is not None else "no frame (closed or timed out)",
                "the failures of a name holding quotes, wildcards, backslashes or braces were "
                "not counted (a failure row built as text that this name breaks?)",
            )


@pytest.mark.req("EKE-THR-2")
def test_look_alike_names_do_not_throttle_the_account(
    eke_target: Target, eke_sources: SourceAddresses, eke_victim: Victim
) -> None:
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    n = limits.throttle_failures
    if limits.lock_after is not None and limits.lock_after <= n:
        pytest.skip("N failures would hard-lock a name (L <= N): not risked on an account")
    user = eke_victim.user
    assert eke_victim.pw  # the password key, derived now: the login must follow at once
    for alike in _look_alikes(user):
        for i in range(n):
            early = _fail_once(eke_target, alike, eke_sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"failure {i + 1} of {n} of the fresh name {alike!r} was refused: "
                    f"{early.describe()}",
                    violates=("EKE-THR-1",),
                )
        try:
            eke_victim.login(eke_sources.fresh())
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"EKE-THR-2: an honest login of the account {user!r} from a fresh address, "
                f"after {n} failed handshakes of the other user name {alike!r} (N = {n})",
                "a completed handshake: another name's failures are not this account's",
                str(exc).splitlines()[0],
                "the throttle counted the look-alike name as the account (a realm, domain "
                "or path part stripped?)",
            ) from None
