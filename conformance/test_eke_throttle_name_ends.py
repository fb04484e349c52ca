"""sft-eke/1: user names of the maximum length are counted whole (SPEC §5.6 EKE-THR-1,
EKE-THR-7; §5.1 EKE-PW-1).

"The server MUST count failed handshakes per user name" — and a user name is 1–64 bytes
of UTF-8 (EKE-PW-1). A throttle that keys its table in a fixed buffer (a C `char[64]`
holding 63 bytes and the NUL, a database column of 60 characters, a key cut to its first
or last bytes) counts two names of 64 bytes that differ only at one end as one: N
failures of the first lock the second, whose EKE1 — no failure of its own — MUST still be
answered EKE2 (EKE-THR-7: "Up to the caps, EKE1s of a user name or address with fewer than
N failures MUST be answered EKE2"). The boundary is the maximum length, where a cut first
bites: pairs of 64-byte names differing in their last byte (an ASCII letter; the second
byte of a 2-byte character) and in their first byte.

N failures of the first name, each from a fresh loopback address (so that no address
count mixes in), then: the first name is throttled (the control), the second is answered
EKE2. Unknown names only (EKE-HS-3: counted "whether or not the user exists").
"""

from __future__ import annotations

import secrets
from typing import Literal

import pytest

from conformance.eke_support import SourceAddresses, fail_handshake, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.test_eke_throttling import _timeout
from conformance.wire import ConformanceFailure, Event, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

End = Literal["last-byte", "last-character", "first-byte"]


def _pair(end: End) -> tuple[str, str]:
    """Two valid user names of exactly 64 UTF-8 bytes that differ only at `end`."""
    middle = f"x{secrets.token_hex(16)}".ljust(62, "y")  # 62 bytes, unique per run
    if end == "last-byte":
        return f"g{middle}a", f"g{middle}b"
    if end == "last-character":
        # U+00E9 and U+00E8: 0xC3 0xA9 and 0xC3 0xA8, the same first byte.
        return f"{middle}\u00e9", f"{middle}\u00e8"
    return f"a{middle}g", f"b{middle}g"


def _answer(target: Target, user: str, source: str | None) -> Event:
    hs = start_handshake(target, user, bytes(32), source=source, timeout=_timeout(target))
    try:
        return hs.receive_eke2(_timeout(target))
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-1")
@pytest.mark.parametrize("end", ["last-byte", "last-character", "first-byte"])
def test_names_of_64_bytes_differing_at_one_end_are_counted_apart(
    eke_target: Target, eke_sources: SourceAddresses, end: End
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    first, second = _pair(end)
    assert len(first.encode()) == len(second.encode()) == 64 and first != second
    n = eke_target.limits.throttle_failures
    for i in range(n):
        refused = fail_handshake(
            eke_target, first, eke_sources.fresh(), timeout=_timeout(eke_target)
        )
        if refused is not None:
            raise ConformanceFailure(
                f"Expected: EKE2 for failure {i + 1} of {n} of the 64-byte name {first!r}\n"
                f"Actual:   {refused.describe()}",
                violates=("EKE-THR-1",) if refused.error_name == "throttled" else (),
            )
    control = _answer(eke_target, first, eke_sources.fresh())
    if not (isinstance(control, ReceivedFrame) and control.error_name == "throttled"):
        inconclusive(
            f"the 64-byte name {first!r} was not throttled after its {n} failures "
            f"({control.describe()}): its count is other cases' to judge, this one needs it"
        )
    probe = _answer(eke_target, second, eke_sources.fresh())
    if not (isinstance(probe, ReceivedFrame) and probe.type == b"EKE2"):
        raise ConformanceFailure.evidence(
            f"EKE-THR-1: {n} failed handshakes of the 64-byte user name {first!r} (each from "
            f"a fresh address; it is now throttled), then an EKE1 of {second!r} — another "
            f"name of 64 bytes that differs only at its {end.replace('-', ' ')}, with no "
            "failure of its own, from a fresh address",
            "EKE2: failures are counted per user name, the whole name (EKE-THR-1); a name "
            "with fewer than N failures is answered EKE2 (EKE-THR-7)",
            f"{probe.describe()} — the two names share one count (a key cut short)",
        )
