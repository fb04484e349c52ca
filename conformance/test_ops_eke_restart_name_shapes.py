"""sft-eke/1: every user name's count survives a restart under its own bytes (§5.6).

EKE-THR-8: "Failure counts MUST survive a restart of the server". The restart cases use
plain ASCII ghost names; a count goes to disk and comes back through another layer — a
database column, a line of a text file — which may give the name back in another
spelling, and then the name's count is gone after the restart (and a look-alike may
hold it). Every name EKE-PW-1 allows is a key (EKE-PW-4: byte for byte), so the round
trip must keep each one as it is:

- combining characters (`e` + U+0301: a storage layer that normalises to NFC gives back
  `é`);
- spaces at both ends, ASCII and others (U+00A0, U+3000: a line reader that strips
  each field);
- 64 bytes, the longest name (a fixed-width column or buffer of 32 or 63), in ASCII
  and in three-byte characters.

And EKE-THR-8's "a restart is not a way to reset them" holds from the first EKE1 the
restarted server answers: a server that reads its tables in the background after it
serves judges the first logins on empty tables.

For each shape a fresh name fails N - 1 times before the restart (each failure from a
fresh loopback address, so that no address lock speaks for it); once the restarted
server serves, each name fails once more and its next EKE1 MUST be `throttled`. The lock
of the N-th failure is short (1 s on the embedded reference): a probe answered EKE2 only
after that lock has passed is INCONCLUSIVE, never a FAIL.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance.eke_support import SourceAddresses
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import _fail_once, _lock_seconds, _needs_throttling, _probe
from conformance.wire import ConformanceFailure

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)
_ROUNDING = 1  # EKE-THR-9: a failure time MAY be kept in whole seconds, rounded up


def _to_64_bytes(stem: str, filler: str) -> str:
    name = stem
    while len((name + filler).encode("utf-8")) <= 64:
        name += filler
    name += "x" * (64 - len(name.encode("utf-8")))
    assert len(name.encode("utf-8")) == 64
    return name


def _shapes() -> dict[str, str]:
    """label -> a fresh valid user name (EKE-PW-1: 1-64 bytes of UTF-8, no controls)."""

    def stem() -> str:
        return f"ghost-{secrets.token_hex(4)}"

    return {
        "combining accent (NFD)": f"{stem()}-e\u0301",
        "ASCII spaces at both ends": f"  {stem()} ",
        "U+00A0 and U+3000 at the ends": f"\u00a0{stem()}\u3000",
        "64 ASCII bytes": _to_64_bytes(stem() + "-", "a"),
        "64 bytes of three-byte characters": _to_64_bytes(stem() + "-", "\u20ac"),
    }


@pytest.mark.req("EKE-THR-8")
def test_counts_of_every_name_shape_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    counts_survive_a_restart(
        eke_target,
        eke_sources,
        _shapes(),
        "its stored key came back in another spelling (normalised, stripped, cut short), "
        "or the restarted server judged the EKE1 before reading its tables",
    )


def counts_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses, names: dict[str, str], why: str
) -> None:
    """EKE-THR-8 for each of `names` (label -> user name): N - 1 failures before a restart
    of the server, one after it, then its next EKE1 must be throttled. `why`: what a
    failure says of the server (the note under the evidence)."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    if n > 6:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    for label, user in names.items():
        for i in range(n - 1):
            early = _fail_once(eke_target, user, eke_sources.fresh())
            if early is not None:
                raise ConformanceFailure(
                    f"failure {i + 1} of {n - 1} of the fresh name {user!r} ({label}) was "
                    f"refused (N = {n}): {early.describe()}",
                    violates=("EKE-THR-1",),
                )
    restart_until_serving(eke_target, eke_sources)
    served = time.monotonic()
    lock = _lock_seconds(eke_target, n) + _ROUNDING
    for label, user in names.items():
        early = _fail_once(eke_target, user, eke_sources.fresh())
        ended = time.monotonic()
        if early is not None:
            continue  # throttled already: the count came back, and more (not judged here)
        frame, _ = _probe(eke_target, user, _FAKE_PW, eke_sources.fresh())
        if frame is not None and frame.error_name == "throttled":
            continue
        late = time.monotonic() - ended
        shown = frame.describe() if frame is not None else "no frame (closed or timed out)"
        if late >= lock:
            inconclusive(
                f"the probe of {user!r} ({label}) came {late:.2f} s after its N-th failure, "
                f"after the {lock} s its lock may last: {shown}"
            )
        raise ConformanceFailure.evidence(
            f"EKE-THR-8: the user name {user!r} ({label}, {len(user.encode('utf-8'))} UTF-8 "
            f"bytes) failed {n - 1} times before a restart of the server and once after it "
            f"(N = {n}); the probe came {late:.2f} s after that failure, "
            f"{time.monotonic() - served:.2f} s after the restarted server first answered",
            "EROR throttled: failure counts MUST survive a restart",
            shown,
            note=why,
        )
