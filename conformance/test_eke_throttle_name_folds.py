"""sft-eke/1: the throttle counts and judges a user name as sent, never a folded form of it
(SPEC §5.6 EKE-THR-1; §5.1 EKE-PW-1, EKE-PW-4).

"The server MUST count failed handshakes per user name (whether or not the user exists)
... and after a configurable number of failures ... answer further EKE1 from that user ...
with EROR throttled". A user name is matched "byte for byte: no case folding, trimming or
Unicode normalisation" (EKE-PW-4): `Ghost` and `ghost`, `straße` and `strasse`, `ﬁle` and
`file`, `Café` composed and decomposed are different users. A throttle has two places
that touch the name — where a failure is booked and where EKE1 is judged — and an
implementation that folds the name in one of them (casefold() or NFKC "to be safe" in the
check, an ASCII key with '?' for the rest "for the log and the database", lower() in the
SQL of one statement) breaks the rule one of two ways:

- folded where EKE1 is judged, not where failures are booked: a name whose folded form
  differs from itself is never throttled — unlimited guesses against `Alice`;
- folded in both (or where failures are booked): two users whose names fold alike share
  one count — N failures of `jürgen` throttle `jörgen`, who never failed.

Case 1: for each name of a shape that folding changes (capitals, a non-ASCII capital, ß,
a ligature, a combining accent), N failed handshakes, each from a fresh loopback address,
then its EKE1 from a fresh address must be answered `throttled`.
Case 2: for each pair of names that a folding makes equal (case, ASCII replacement, full
case folding, compatibility and canonical normalisation), N failed handshakes of the
first (fresh addresses; the first is then throttled: the control), then an EKE1 of the
second, with no failure of its own, from a fresh address, must be answered EKE2.
Unknown names only (EKE-HS-3: counted whether or not the user exists).
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance.eke_support import SourceAddresses, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import _fail_once, _needs_throttling, _timeout
from conformance.wire import ConformanceFailure, Event, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")


def _folded_shapes(tag: str) -> list[str]:
    """Names that casefold(), lower(), an ASCII key or NFKC/NFC would change."""
    return [
        f"Ghost-{tag}",  # an ASCII capital
        f"GR\u00dcN-{tag}",  # a non-ASCII capital (Ü)
        f"stra\u00dfe-{tag}",  # ß: casefold() gives ss
        f"\ufb01le-{tag}",  # the ligature ﬁ: NFKC gives fi
        f"Cafe\u0301-{tag}",  # e + combining acute: NFC gives é
    ]


def _folded_pairs(tag: str) -> list[tuple[str, str]]:
    """Two names each, different users that one folding makes equal."""
    return [
        (f"ghost-{tag}", f"GHOST-{tag}"),  # lower() / casefold()
        (f"j\u00fcrgen-{tag}", f"j\u00f6rgen-{tag}"),  # an ASCII key: both j?rgen
        (f"stra\u00dfe-{tag}", f"strasse-{tag}"),  # casefold()
        (f"\ufb01le-{tag}", f"file-{tag}"),  # NFKC
        (f"caf\u00e9-{tag}", f"cafe\u0301-{tag}"),  # NFC / NFD
    ]


def _answer(target: Target, user: str, source: str | None) -> Event:
    """EKE1 of `user` from `source`: the event that answers it."""
    hs = start_handshake(target, user, bytes(32), source=source, timeout=_timeout(target))
    try:
        return hs.receive_eke2(_timeout(target))
    finally:
        hs.close()


def _fail_n(target: Target, sources: SourceAddresses, user: str, n: int) -> None:
    for i in range(n):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: failure {i + 1} of {n} of the fresh user name {user!r}, from a "
                "fresh address",
                f"EKE2 (N = {n}: fewer than N failures of this name)",
                early.describe(),
            )


@pytest.mark.req("EKE-THR-1")
def test_a_name_that_folding_changes_is_throttled_as_sent(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    lock = max(1.0, eke_target.limits.throttle_base)  # the first lock's length at least
    for user in _folded_shapes(secrets.token_hex(4)):
        _fail_n(eke_target, eke_sources, user, n)
        failed_at = time.monotonic()
        answer = _answer(eke_target, user, eke_sources.fresh())
        if not (isinstance(answer, ReceivedFrame) and answer.error_name == "throttled"):
            if time.monotonic() - failed_at >= lock:
                inconclusive(
                    f"the EKE1 of {user!r} was answered {lock:g} s or more after its N-th "
                    "failure, when its first lock may have run out (a loaded machine)"
                )
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: EKE1 of the user name {user!r} from a fresh address, after {n} "
                f"failed handshakes of exactly that name, each from another fresh address "
                f"(N = {n})",
                "EROR throttled with retry_after: the name's failures are counted and judged "
                "under the name as sent",
                answer.describe(),
                "the failures were booked under one form of the name and EKE1 judged under "
                "another (a case-folded or normalised lookup on one side only?)",
            )


@pytest.mark.req("EKE-THR-1")
def test_names_that_fold_alike_are_counted_apart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    for first, second in _folded_pairs(secrets.token_hex(4)):
        assert first != second and first.encode() != second.encode()
        _fail_n(eke_target, eke_sources, first, n)
        control = _answer(eke_target, first, eke_sources.fresh())
        if not (isinstance(control, ReceivedFrame) and control.error_name == "throttled"):
            inconclusive(
                f"the name {first!r} was not throttled after its {n} failures "
                f"({control.describe()}): its count is the other case's to judge, this one "
                "needs it"
            )
        probe = _answer(eke_target, second, eke_sources.fresh())
        if not (isinstance(probe, ReceivedFrame) and probe.type == b"EKE2"):
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: {n} failed handshakes of the user name {first!r} (each from a "
                f"fresh address; it is now throttled), then an EKE1 of {second!r} — another "
                "user (EKE-PW-4: names are matched byte for byte), with no failure of its "
                "own, from a fresh address",
                "EKE2: failures are counted per user name as sent; a name with fewer than N "
                "failures is answered EKE2 (EKE-THR-7)",
                f"{probe.describe()} — the two names share one count (folded to one key)",
            )
