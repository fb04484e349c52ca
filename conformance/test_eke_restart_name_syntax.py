"""sft-eke/1: a user name holding a storage layer's own syntax survives a restart (§5.6).

EKE-THR-8: "Failure counts MUST survive a restart of the server". A count goes to disk
under a key the server builds from the user name, and comes back by parsing that key:
`kind:name` split on `:`, a CSV line split on `,` (quotes unbalanced), `name=count`
split on `=`, a `|`-joined record, a row whose key was quoted with `'` or escaped with
`\\` or `%`. Every name EKE-PW-1 allows is a key of its own (EKE-PW-4: byte for byte),
and ASCII punctuation is as ordinary in it as a letter: a name holding the separator
comes back cut at it, under another name (a look-alike may inherit its count), or not
at all — and its failures are gone with the restart. test_ops_eke_restart_name_shapes.py
covers the shapes a text layer normalises or strips; this file the characters a record
layout gives a meaning to.

For each name a fresh one fails N - 1 times before the restart (each from a fresh
loopback address, so that no address lock speaks for it); once the restarted server
serves, each fails once more and its next EKE1 MUST be `throttled`. A probe answered
EKE2 only after the N-th failure's lock may have passed is INCONCLUSIVE, never a FAIL.
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

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)
_ROUNDING = 1  # EKE-THR-9: a failure time MAY be kept in whole seconds, rounded up


def _names() -> dict[str, str]:
    """label -> a fresh valid user name holding record-syntax characters."""

    def stem() -> str:
        return f"ghost{secrets.token_hex(4)}"

    return {
        "':' inside (kind:key)": f"{stem()}:x:y",
        "',' and '\"' inside (CSV)": f'{stem()},"q',
        "'|', '=' and ';' inside": f"{stem()}|a=b;c",
        "'\\\\' and '%' inside (escapes)": f"{stem()}\\n%41",
        "an apostrophe first (SQL quoting)": f"'{stem()}",
    }


@pytest.mark.req("EKE-THR-8")
def test_counts_of_names_holding_record_syntax_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    if n > 6:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    names = _names()
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
            f"EKE-THR-8: the user name {user!r} ({label}) failed {n - 1} times before a "
            f"restart of the server and once after it (N = {n}); the probe came "
            f"{late:.2f} s after that failure, {time.monotonic() - served:.2f} s after the "
            "restarted server first answered",
            "EROR throttled: the count survived the restart",
            shown,
            note="the name's stored key was parsed back at a character of the record "
            "syntax (a separator, a quote, an escape): its count was lost or went to "
            "another name",
        )
