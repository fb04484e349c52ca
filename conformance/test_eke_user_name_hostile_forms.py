"""User names built to break the server's own checks (docs/SPEC.md EKE-PW-5, LIM-5).

EKE-PW-5 gives a server two conforming answers to an `EKE1` whose user name is not valid
(EKE-PW-1): `bad_frame` (fatal), or the unknown user's treatment (EKE-HS-3: an `EKE2`; or
the `throttled` / `busy` an unknown name may get). A close without either answer, another
code, or no answer at all is neither — and LIM-5 requires the server to keep serving
other connections whatever one of them sends.

The names here target the CHECK itself rather than the lookup
(test_eke_user_names_invalid.py covers names an account would absorb):

- a lone surrogate (`\\ud800`, a name ending in `\\udc80`): valid JSON, not Unicode text
  (FRM-15). A server that counts the name's bytes leniently (`surrogatepass`,
  `surrogateescape`) lets it through to code that encodes it strictly — the fake key's
  HMAC, a database row — and the exception raised there ends the connection unanswered;
- a run of ordinary characters ending in a control character, 64 bytes and beyond: the
  name a control-character rule written as a regular expression with a nested
  quantifier (`(?:[^controls]+)+`) backtracks on exponentially — the thread holds the
  GIL (or the event loop), and the whole server stops answering.

After every name a second connection, from another address and with a valid unknown
name, must still be answered: an `EKE2`, or `throttled` / `busy`.

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources` (fresh source addresses).
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

# Boundary values first: the shortest surrogate, then the 64-byte limit itself, then beyond.
_NAMES = {
    "lone-high-surrogate": "\ud800",
    "name-then-lone-low-surrogate": "user\udc80",
    "63-letters-then-control": "a" * 63 + "\x01",
    "62-letters-then-c1": "a" * 62 + "\x85",
    "200-letters-then-del": "b" * 200 + "\x7f",
}
# What an invalid name may get: bad_frame (EKE-PW-5), or what an unknown user may get
# before EKE2 (EKE-THR-1 throttled, EKE-THR-7 busy); EKE2 itself is the other reading.
_REFUSALS = frozenset({"bad_frame", "throttled", "busy"})


def _timeout(target: Target) -> float:
    return max(3.0, min(8.0, target.limits.handshake_timeout * 0.8))


def _eke1_payload(user: str) -> bytes:
    """EKE1 with `user` JSON-escaped (ASCII only: a lone surrogate as its \\u escape)."""
    a = eke.ClientHandshake(user="x", pw=bytes(32)).eke1()["a"]
    return json.dumps({"user": user, "a": a}, separators=(",", ":")).encode("ascii")


def _still_serving(target: Target, sources: SourceAddresses, after: str) -> None:
    user = f"b20b-{secrets.token_hex(6)}"
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), timeout=timeout, source=sources.fresh())
    try:
        event = hs.receive_eke2(timeout)
    finally:
        hs.close()
    if hs.eke2 is not None:
        return
    if isinstance(event, ReceivedFrame) and event.error_name in {"throttled", "busy"}:
        return
    raise ConformanceFailure(
        f"LIM-5: after {after}, an EKE1 for the valid unknown user {user!r} from another "
        f"address\nExpected: EKE2 (or throttled / busy)\nActual:   {event.describe()}: the "
        "server stopped answering other connections",
        violates=("LIM-5",),
    )


@pytest.mark.req("EKE-PW-5", "LIM-5")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_a_hostile_user_name_is_answered_and_the_server_goes_on(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    user = _NAMES[kind]
    timeout = _timeout(eke_target)
    raw = connect_raw(
        eke_target.host,
        eke_target.port,
        timeout=timeout,
        name=f"eke {kind}",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_frame(b"EKE1", _eke1_payload(user))
        event = raw.recv_frame()
    finally:
        raw.close()
    answered = isinstance(event, ReceivedFrame) and (
        event.type == b"EKE2" or event.error_name in _REFUSALS
    )
    if not answered:
        raise ConformanceFailure(
            f"EKE-PW-5: EKE1 for the invalid user name {ascii(user)[:90]} ({kind})\n"
            "Expected: EROR bad_frame (fatal), or EKE2 as for an unknown user (or throttled, "
            f"busy)\nActual:   {event.describe()}: neither conforming answer",
            violates=("EKE-PW-5",),
        )
    _still_serving(eke_target, eke_sources, f"the {kind} name")
