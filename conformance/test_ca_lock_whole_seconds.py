"""CA-ENR-7: the CA's backoff never ends before its length has passed since the failure —
a CA keeping failure times in whole seconds rounds them UP.

"the wait after the failure that starts it is base · 2^(n − N) seconds (capped) from that
failure, and a failure time kept in whole seconds is rounded up" (CA-ENR-7). A CA that
stores the time of a failed login as whole seconds rounded DOWN (an INTEGER column,
`int(time.time())`) ends each backoff up to a second early: with a 1 s first backoff,
a guesser who times the N-th guess just before a second ticks over gets the next one
verified almost at once. The throttle cases probe a backoff at once or after its
Retry-After, so such a CA passes them.

Per trial: N − 1 wrong passwords for a fresh unknown alias (each from a fresh address),
then the N-th, sent when the wall clock is at a chosen fraction of a second (0.75, then
0.25 for a remote CA whose clock is half a second off ours); then the alias's next login
once all but 0.6 s of the backoff has passed since that N-th login was SENT (the CA
counted the failure no earlier). It MUST be answered 429. A 401 that arrives before the
backoff's length has passed since the N-th login was sent is a backoff that ended early
(the CA decided before it even answered); a later answer (a loaded machine) proves
nothing, and the trial is left aside.
"""

from __future__ import annotations

import time

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_ca_hard_lock_bound import _Busy, _Logins
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_FRACTIONS = (0.75, 0.25)
_MARGIN = 0.6  # the probe: this long before the backoff's end (a 401 costs the slow hash)
_SLACK = 0.05


def _wait_for_fraction(fraction: float) -> None:
    """Until the wall clock is at `fraction` of a second (a guess timed against the
    CA's whole-second clock)."""
    time.sleep((fraction - time.time() % 1.0) % 1.0)


def _trial(logins: _Logins, n: int, base: float, fraction: float) -> str | None:
    alias = ca.ghost_alias()
    logins.failures(alias, n - 1, f"trial at {fraction:g}")
    _wait_for_fraction(fraction)
    sent_wall, sent = time.time(), time.monotonic()
    answer = logins.fail(alias, "nth")
    if answer.status != 401:
        inconclusive(f"{alias!r}'s {n}-th failed login got {answer.describe()}, not 401")
    time.sleep(max(0.0, sent + base - _MARGIN - time.monotonic()))
    probe_sent = time.monotonic() - sent
    probe = logins.fail(alias, "probe")
    answered = time.monotonic() - sent
    if probe.status == 429:
        return None
    if probe.status == 401 and answered < base - _SLACK:
        raise ConformanceFailure.evidence(
            f"{n - 1} wrong passwords for {alias!r} (each from a new address), then the "
            f"{n}-th, sent at wall time {sent_wall:.3f} (at {fraction:g} of a second) and "
            f"answered 401; its next login sent {probe_sent:.2f} s after that, from another "
            "address",
            f"429: the N-th failure starts a {base:g} s backoff from that failure, and a "
            "failure time kept in whole seconds is rounded UP (CA-ENR-7)",
            f"{probe.describe()}, {answered:.2f} s after the N-th login was sent — the "
            f"password was verified again {base - answered:.2f} s before the backoff could "
            "end (a failure time rounded down?)",
        )
    return f"{probe.describe()} at {answered:.2f} s ({fraction:g} of a second)"


@pytest.mark.req("CA-ENR-7")
def test_a_backoff_never_ends_before_its_length(pki_target: Target) -> None:
    limits = pki_target.limits
    n = limits.ca_throttle_failures
    if n is None:
        pytest.skip("the target declares no CA throttle threshold (ca_throttle_failures)")
    if n > 12:
        pytest.skip(f"a threshold of {n} failed logins per trial is too many here")
    # The first backoff after N failures: declared, else CA-ENR-7's default (1 s).
    base = limits.ca_throttle_base if limits.ca_throttle_base is not None else 1.0
    if base > 4:
        pytest.skip(f"a first backoff of {base:g} s is too long to wait out here")
    logins = _Logins(pki_target)
    try:
        late = [outcome for f in _FRACTIONS if (outcome := _trial(logins, n, base, f))]
    except _Busy as busy:
        inconclusive(f"a login got 503 ({busy})")
    if late:
        inconclusive(
            "the probe was answered after the backoff could have ended (a loaded machine): "
            + "; ".join(late)
        )
