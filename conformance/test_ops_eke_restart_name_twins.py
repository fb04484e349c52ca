"""sft-eke/1: two user names that one storage layer would take for one keep their own
counts across a restart (§5.6).

EKE-PW-4 makes a user name a key byte for byte, and EKE-THR-8 says failure counts MUST
survive a restart. test_ops_eke_restart_name_shapes.py checks that each name comes back
in its own spelling; this case checks the other face of the same round trip: a store
whose key comparison is looser than the server's memory (a case-blind column collation,
a PAD SPACE / RTRIM comparison that ignores trailing spaces, a collation that folds
non-ASCII case, keys normalised to NFC) keeps ONE row for two user names. While the
server runs nothing shows (memory keeps them apart); on disk the later failure of the
twin overwrites (or is added to) the row of the first, and the restarted server gives
the first name the twin's count or the sum.

For each pair (name, twin) — `Ghost-…`/`ghost-…`, `ghost-…`/`ghost-… ` (one trailing
space), `ghost-…-Ä`/`ghost-…-ä`, `ghost-…-é` (NFC)/`ghost-…-e` + U+0301 (NFD) — the name
fails N − 1 times, then its twin once, each failure from a fresh loopback address (no
address lock speaks for either). After the restart:

- the name still has N − 1 failures, fewer than N: its next EKE1 MUST be answered EKE2
  (EKE-THR-7: up to the caps, an EKE1 of a user name with fewer than N failures is
  answered EKE2 — a store that added the twin's failure to it refuses it `throttled`);
- it fails once more, its N-th: the next EKE1 MUST be `throttled` (EKE-THR-8 — a store
  that kept the twin's row gave it back a count of 1 or 0);
- when N > 2, the twin, with one failure before the restart and one after, has fewer than
  N: its next EKE1 MUST be answered EKE2 (EKE-THR-7 — it must not hold the name's count).

The lock of the N-th failure is short (1 s on the embedded reference): a probe answered
EKE2 only after that lock may have passed is INCONCLUSIVE, never a FAIL.
"""

from __future__ import annotations

import secrets
import time
import unicodedata

import pytest

from conformance.eke_support import SourceAddresses
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_eke_throttling import _fail_once, _lock_seconds, _needs_throttling, _probe
from conformance.wire import ConformanceFailure, ReceivedFrame

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)
_ROUNDING = 1  # EKE-THR-9: a failure time MAY be kept in whole seconds, rounded up


def _twins() -> dict[str, tuple[str, str]]:
    """label -> (name, twin): distinct valid user names (EKE-PW-1) a looser key equates."""

    def stem() -> str:
        return f"ghost-{secrets.token_hex(4)}"

    case, space, umlaut, accent = stem(), stem(), stem(), stem()
    nfc = unicodedata.normalize("NFC", f"{accent}-\u00e9")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    return {
        "ASCII case (a case-blind collation)": ("G" + case[1:], case),
        "one trailing space (PAD SPACE, RTRIM)": (space, space + " "),
        "non-ASCII case (a Unicode case-blind collation)": (f"{umlaut}-\u00c4", f"{umlaut}-\u00e4"),
        "NFC and NFD (keys normalised)": (nfc, nfd),
    }


def _refused_early(
    user: str, label: str, twin: str, frame: ReceivedFrame, failures: int, n: int
) -> ConformanceFailure:
    return ConformanceFailure(
        f"Expected: EKE2 for the user name {user!r} ({label}): it failed {failures} time(s) "
        f"before a restart of the server and not since, fewer than N = {n}\n"
        f"Actual:   {frame.describe()}\n"
        f"Its twin {twin!r} (another user name, EKE-PW-4: byte for byte) failed too. "
        "EKE-THR-7: up to the caps an EKE1 of a user name with fewer than N failures "
        "MUST be answered EKE2 — the restarted server counted the twin's failure (or more) "
        "against this name: its store keeps one row for both",
        violates=("EKE-THR-7",),
    )


@pytest.mark.req("EKE-THR-8", "EKE-THR-7")
def test_twin_names_keep_their_own_counts_across_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    if n > 6:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    twins = _twins()
    for label, (user, twin) in twins.items():
        for who, times in ((user, n - 1), (twin, 1)):
            for i in range(times):
                early = _fail_once(eke_target, who, eke_sources.fresh())
                if early is not None:
                    raise ConformanceFailure(
                        f"failure {i + 1} of {times} of the fresh name {who!r} ({label}) was "
                        f"refused before the restart (N = {n}): {early.describe()}",
                        violates=("EKE-THR-1",),
                    )
    restart_until_serving(eke_target, eke_sources)
    served = time.monotonic()
    lock = _lock_seconds(eke_target, n) + _ROUNDING
    for label, (user, twin) in twins.items():
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise _refused_early(user, label, twin, early, n - 1, n)
        ended = time.monotonic()
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
        raise ConformanceFailure(
            f"Expected: EROR throttled for the user name {user!r} ({label}): {n - 1} "
            f"failures before a restart of the server, one after it (N = {n}); the probe came "
            f"{late:.2f} s after that failure, {time.monotonic() - served:.2f} s after the "
            f"restarted server first answered\nActual:   {shown}\n"
            f"Its twin {twin!r} (another user name, EKE-PW-4: byte for byte) failed once "
            "after it, before the restart. EKE-THR-8: failure counts MUST survive a restart. "
            "This name's did not: its store keeps one row for both names, and the twin's "
            "later failure replaced the name's count",
            violates=("EKE-THR-8",),
        )
    if n <= 2:
        return  # the twin's two failures would reach N: nothing left to tell apart
    for label, (user, twin) in twins.items():
        early = _fail_once(eke_target, twin, eke_sources.fresh())
        if early is not None:
            raise _refused_early(twin, label, user, early, 1, n)
        frame, _ = _probe(eke_target, twin, _FAKE_PW, eke_sources.fresh())
        if frame is not None and frame.error_name == "throttled":
            raise ConformanceFailure(
                f"Expected: EKE2 for the user name {twin!r} ({label}): one failure before a "
                f"restart of the server and one after it, fewer than N = {n}\n"
                f"Actual:   {frame.describe()}\n"
                f"Its twin {user!r} (another user name) failed {n} times. EKE-THR-7: up to the "
                "caps an EKE1 of a user name with fewer than N failures MUST be answered "
                "EKE2 — the restarted server gave this name the other's count",
                violates=("EKE-THR-7",),
            )
