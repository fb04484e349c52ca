"""An administrator's unlock lifts the hard lock of the name given, and of no other
(docs/SPEC.md §5.6: EKE-THR-11, EKE-PW-4).

EKE-THR-11: after L consecutive failures of a user name the server MUST refuse every
further `EKE1` of it with `EROR throttled` "until an administrator unlocks it". A user
name is a key byte for byte (EKE-PW-4: `Ghost` and `ghost` are two users), so an unlock
of one name is no unlock of another. test_eke_unlock_while_serving.py checks that the
unlock reaches the running server; this case checks that it reaches ONLY the name given.
The habits that break it are those of a looser comparison in the administration tool
or its store: a case-blind collation or `lower()` ("administrators type names in any
case"), SQL `LIKE` (case-blind for ASCII, and `_` matches any one character), a
comparison that ignores trailing spaces (PAD SPACE, RTRIM), a name normalised (NFC)
before the lookup, a Unicode case fold.

With the target's `[eke] unlock_cmd` and a hard cap reachable within the case (as in
test_eke_unlock_while_serving.py): the name ` Ghost-…_é ` (a space at each end, `é` in
NFD) and six others are hard-locked — its ASCII lower case, `_` replaced by `x`, without
its trailing space, without both spaces, its NFC form, `É` for `é` — each refusal
observed; the declared command unlocks the first name (exit 0; a tool that refuses a
name with no account makes the case INCONCLUSIVE). Then each of the six MUST still be
refused `throttled`, and the unlocked name's next `EKE1` MUST be answered `EKE2` — at the
latest once one `retry_after` it is given has passed (a server MAY keep the last backoff
running): a tool that transforms the name it is given (strip(), lower(), NFC) before an
exact lookup lifts a twin's lock and leaves the named one.
"""

from __future__ import annotations

import math
import secrets
import time
import unicodedata

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _end,
    _fail_once,
    _hold,
    _needs_throttling,
    _pending_caps,
    _probe,
)
from conformance.test_eke_unlock_while_serving import _describe, _unlock
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("eke-unlock-while-serving")]


def _names() -> tuple[str, dict[str, str]]:
    """The name to unlock, and label -> another valid user name a looser key equates."""
    unlocked = unicodedata.normalize("NFD", f" Ghost-{secrets.token_hex(4)}_\u00e9 ")
    others = {
        "its ASCII lower case (case-blind collation, lower(), LIKE)": unlocked.lower(),
        "`_` replaced by `x` (SQL LIKE: `_` matches any one character)": unlocked.replace("_", "x"),
        "without its trailing space (PAD SPACE, RTRIM, rstrip())": unlocked.rstrip(" "),
        "without its spaces (strip())": unlocked.strip(" "),
        "its NFC form (names normalised)": unicodedata.normalize("NFC", unlocked),
        "`E` + U+0301 for `e` + U+0301 (a Unicode case fold)": unlocked.replace(
            "e\u0301", "E\u0301"
        ),
    }
    assert len({unlocked, *others.values()}) == 1 + len(others)
    assert all(1 <= len(name.encode("utf-8")) <= 64 for name in (unlocked, *others.values()))
    return unlocked, others


def _hard_lock(target: Target, sources: SourceAddresses, user: str) -> None:
    """L failures of `user` (EKE-THR-11): N - 1 plain ones, then the rest as pending
    handshakes abandoned, as test_eke_throttling.py's `_hard_lock_a_ghost` makes them."""
    n, lock_after = target.limits.throttle_failures, target.limits.lock_after
    assert lock_after is not None
    for i in range(n - 1):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            inconclusive(f"{user!r} throttled after {i} failures of {n}: {early.describe()}")
    held: list[PartialHandshake] = []
    try:
        for i in range(lock_after - (n - 1)):
            held.append(_hold(target, user, bytes(32), sources.fresh(), f"guess {n + i}"))
    except ConformanceFailure as exc:
        inconclusive(f"cannot judge the hard cap: {lock_after} failures could not be made\n{exc}")
    finally:
        for hs in held:
            _end(target, hs)


@pytest.mark.req("EKE-THR-11")
def test_an_unlock_lifts_only_the_name_given(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    template = eke_target.eke_unlock_cmd
    if not template:
        pytest.skip("the target declares no unlock command ([eke] unlock_cmd)")
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    if limits.lock_after is None:
        pytest.skip("the target declares no hard cap (limits.lock_after, EKE-THR-11)")
    p, _ = _pending_caps(eke_target)
    if limits.lock_after - (limits.throttle_failures - 1) > p:
        pytest.skip(f"lock_after {limits.lock_after} is not reachable without waiting out locks")
    if limits.lock_after > 8:
        pytest.skip(f"lock_after {limits.lock_after}: too many failures for seven names here")
    unlocked, others = _names()
    for user in (unlocked, *others.values()):
        _hard_lock(eke_target, eke_sources, user)
        locked, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
        if locked is None or locked.error_name != "throttled":
            inconclusive(
                f"{user!r} is not refused after {limits.lock_after} failures "
                f"({_describe(locked)}): test_eke_throttling.py judges the hard lock"
            )
    status, said = _unlock(template, unlocked)
    if status is None:
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: {unlocked!r} is hard-locked; the declared unlock command runs "
            "while the server serves",
            "the command completes (exit 0)",
            said,
        )
    if status != 0:
        inconclusive(
            f"the declared unlock command refused the name {unlocked!r}, which has no "
            f"account (the SPEC does not say unknown names can be unlocked): {said}"
        )
    for label, user in others.items():
        frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
        if frame is not None and frame.error_name == "throttled":
            continue
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: the user names {unlocked!r} and {user!r} ({label}) were both "
            f"hard-locked ({limits.lock_after} failures each, each refused throttled); the "
            f"declared command unlocked {unlocked!r} only ({said}); then an EKE1 of "
            f"{user!r} from a fresh address",
            "EROR throttled: a hard lock holds until an administrator unlocks THAT name; "
            "user names are compared byte for byte (EKE-PW-4)",
            _describe(frame),
            note="the unlock looked names up by a looser comparison than the server's "
            "(case-blind, LIKE, trailing spaces ignored, normalised), or transformed the "
            "name it was given, and lifted the lock of another user name",
        )
    after, _ = _probe(eke_target, unlocked, bytes(32), eke_sources.fresh())
    waited = ""
    if after is not None and after.error_name == "throttled":
        retry = (after.json() or {}).get("retry_after")
        if isinstance(retry, int | float) and 0 <= retry <= math.ceil(limits.throttle_cap) + 1:
            time.sleep(retry + 0.3)  # a backoff the server kept running: waited out once
            waited = f" (and again {retry + 0.3:.1f} s later, its retry_after waited out)"
            after, _ = _probe(eke_target, unlocked, bytes(32), eke_sources.fresh())
    if after is not None and after.type == b"EKE2":
        return
    raise ConformanceFailure.evidence(
        f"EKE-THR-11: {unlocked!r} was hard-locked, then unlocked with the declared command "
        f"while the server served ({said}); then its EKE1 was sent from a fresh "
        f"address{waited}",
        "EKE2: the hard lock holds only until an administrator unlocks it (at the latest "
        "once one retry_after, at most the backoff cap, has passed)",
        _describe(after),
        note="the unlock reached another spelling of the name (stripped, folded, "
        "normalised), not the name given",
    )
