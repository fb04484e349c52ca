"""sft-eke/1: a user name is the same name in every JSON spelling of its string — escaped
surrogate pairs included (SPEC §5.1 EKE-PW-1, EKE-PW-5; §5.3 EKE-HS-2, EKE-HS-3; §1 FRM-9,
FRM-15; RFC 8259 §7).

RFC 8259 §7 lets a sender write any character of a string as a `\\u` escape, upper- or
lower-case hex digits, and a character beyond the BMP (an emoji, U+1F600) as the escaped
UTF-16 surrogate pair `\\ud83d\\ude00` — which is exactly what Python's `json.dumps` writes
by default (`ensure_ascii=True`), as do Java's and .NET's escaping writers. The string's
value is the character; a receiver MUST judge the name by that value, not by its spelling.

A server whose JSON string decoder turns each `\\uXXXX` into one code unit on its own (a
hand-written C or Go decoder, a "decode escapes, then validate" step that never joins the
halves) reads such a name as two lone surrogates: not valid Unicode, so the name is
"invalid" and the EKE1 is refused `bad_frame` — or the halves are mapped to U+FFFD and the
name becomes another name. Either way every user whose name holds such a character cannot
log in through a client that escapes (FRM-15's `bad_frame` reading is for escapes that
denote LONE surrogates, not for pairs). The same name written raw in UTF-8 is the control.

Case 1: one EKE1 per spelling (unknown valid names, random characters each run, fresh
loopback addresses; each handshake is left pending, so it counts as a failure of that odd
name only), each to be answered EKE2 (EKE-HS-3: an unknown user proceeds exactly as a
known one; EKE-HS-2: the server answers a valid EKE1 with EKE2). The boundary is a 64-byte
name (EKE-PW-1's limit) of sixteen 4-byte characters, all escaped: 192 characters of JSON
text, 64 bytes of name.

Case 2 (the decoder that does not refuse but maps each half to U+FFFD, or a throttle keyed
on the raw JSON text: the escaped spelling is then another user): N failed handshakes of
a name in one spelling, each from a fresh address, then its EKE1 in the other spelling
from a fresh address must be answered `throttled` (EKE-THR-1: failures are counted per
user name — one name, whatever its spelling). Both directions: failed raw and judged
escaped, failed escaped and judged raw.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import PartialHandshake, SourceAddresses
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import _needs_throttling
from conformance.wire import (
    ConformanceFailure,
    Event,
    ExpectError,
    ReceivedFrame,
    expect_on,
    frame_bytes,
)

__all__: list[str] = []


def _units(char: str) -> list[int]:
    code = ord(char)
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


def _escaped(text: str, *, upper: bool = False, only_non_ascii: bool = False) -> str:
    """`text` as the inside of a JSON string, characters written as \\u escapes."""
    out = []
    for char in text:
        if only_non_ascii and ord(char) < 0x80:
            out.append(json.dumps(char)[1:-1])
            continue
        for unit in _units(char):
            out.append(f"\\u{unit:04X}" if upper else f"\\u{unit:04x}")
    return "".join(out)


def _astral(count: int) -> str:
    """`count` random characters beyond the BMP (emoji block and beyond; no controls)."""
    return "".join(chr(0x1F300 + secrets.randbelow(0x2FF)) for _ in range(count))


def _tag() -> str:
    return secrets.token_hex(4)


def _user_member(spelled: str, a_hex: str) -> bytes:
    return ('{"user":"' + spelled + '","a":"' + a_hex + '"}').encode("utf-8")


# label -> (user name, EKE1 payload for it and the hex of A)
def _spellings() -> dict[str, tuple[str, Callable[[str], bytes]]]:
    raw_name = _astral(1) + "-" + _tag()
    lower_name = _astral(2) + "-" + _tag()
    upper_name = _astral(1) + "x-" + _tag()
    dumps_name = "r" + _astral(1) + "-" + _tag()
    full_name = _astral(16)  # 64 UTF-8 bytes: EKE-PW-1's limit
    mixed_name = "\u00e9" + _astral(1) + "\u4e2d-" + _tag()
    return {
        "raw UTF-8 (control)": (
            raw_name,
            lambda a: json.dumps(
                {"user": raw_name, "a": a}, ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8"),
        ),
        "escaped surrogate pairs, lower-case hex": (
            lower_name,
            lambda a: _user_member(_escaped(lower_name), a),
        ),
        "escaped surrogate pair, upper-case hex": (
            upper_name,
            lambda a: _user_member(_escaped(upper_name, upper=True), a),
        ),
        "json.dumps defaults (ensure_ascii)": (
            dumps_name,
            lambda a: json.dumps({"user": dumps_name, "a": a}).encode("ascii"),
        ),
        "BMP and astral escapes mixed with raw ASCII": (
            mixed_name,
            lambda a: _user_member(_escaped(mixed_name, only_non_ascii=True), a),
        ),
        "64 bytes: sixteen 4-byte characters, all escaped (192 characters of JSON)": (
            full_name,
            lambda a: _user_member(_escaped(full_name), a),
        ),
    }


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("EKE-HS-3", "EKE-HS-2")
def test_escaped_user_names_get_eke2(eke_target: Target, eke_sources: SourceAddresses) -> None:
    timeout = _timeout(eke_target)
    problems: list[str] = []
    examples: list[str] = []
    for label, (user, payload_for) in _spellings().items():
        assert 1 <= len(user.encode("utf-8")) <= 64, label
        client = eke.ClientHandshake(user=user, pw=bytes(32))
        message = client.eke1()  # before connecting: the handshake clock starts at accept
        payload = payload_for(message["a"])
        assert json.loads(payload) == message, label  # the same JSON value, another spelling
        raw = connect_raw(
            eke_target.host,
            eke_target.port,
            timeout=timeout,
            name=f"eke escaped user ({label})",
            source=eke_sources.fresh(),
        )
        hs = PartialHandshake(raw, client, message)
        try:
            raw.send_raw(frame_bytes(b"EKE1", payload))
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
            problems.append(f"{label}: user {user!r} answered {event.describe()}")
            examples.append(f"{label}: EKE1 {payload[:140]!r}…")
    if problems:
        failure = ConformanceFailure.evidence(
            "EKE-HS-3/EKE-HS-2: EKE1s of valid unknown user names beyond the BMP, each in "
            "a legal JSON spelling of the same string (RFC 8259 §7: any character may be a "
            "\\u escape, a non-BMP one an escaped surrogate pair), each from a fresh "
            "address:\n" + "\n".join(examples),
            "EKE2 for each: the name is the string's value — valid (EKE-PW-1), so the "
            "server proceeds as for any unknown user (EKE-HS-3); an escaped surrogate PAIR "
            "is one character, not two lone surrogates (FRM-15 is about lone ones)",
            "\n".join(problems),
        )
        failure.violates = ("EKE-HS-3",)
        raise failure


def _raw_spelling(user: str, a_hex: str) -> bytes:
    return json.dumps({"user": user, "a": a_hex}, ensure_ascii=False).encode("utf-8")


def _escaped_spelling(user: str, a_hex: str) -> bytes:
    return _user_member(_escaped(user), a_hex)


def _eke1_spelled(
    target: Target, user: str, spelled: bytes, source: str | None, *, fail: bool
) -> Event | None:
    """EKE1 of `user` as `spelled` from `source`. fail=True: a failed handshake (bogus
    EKE3, auth_failed and the close), None when it went so, else the refusal that came
    instead of EKE2; fail=False: the event that answers the EKE1."""
    timeout = _timeout(target)
    client = eke.ClientHandshake(user=user, pw=bytes(32))
    message = client.eke1()
    payload = spelled.replace(b"@A@", message["a"].encode("ascii"))
    assert json.loads(payload) == message
    raw = connect_raw(
        target.host, target.port, timeout=timeout, name=f"eke {user!r}", source=source
    )
    hs = PartialHandshake(raw, client, message)
    try:
        raw.send_raw(frame_bytes(b"EKE1", payload))
        event = hs.receive_eke2(timeout)
        if not fail:
            return event
        if hs.eke2 is None:
            return event
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            f"a failed handshake of {user!r}"
        )
        return None
    finally:
        hs.close()


_DIRECTIONS = {
    "failed-raw-judged-escaped": (_raw_spelling, _escaped_spelling),
    "failed-escaped-judged-raw": (_escaped_spelling, _raw_spelling),
}


@pytest.mark.req("EKE-THR-1")
@pytest.mark.xdist_group("eke-victim")
@pytest.mark.parametrize("direction", list(_DIRECTIONS))
def test_one_name_in_two_spellings_is_one_count(
    eke_target: Target, eke_sources: SourceAddresses, direction: str
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    lock = max(1.0, eke_target.limits.throttle_base)  # the first lock's length at least
    failed_as, judged_as = _DIRECTIONS[direction]
    user = _astral(2) + "-" + _tag()
    for i in range(n):
        early = _eke1_spelled(
            eke_target, user, failed_as(user, "@A@"), eke_sources.fresh(), fail=True
        )
        if early is not None:
            raise ConformanceFailure.evidence(
                f"EKE-THR-1: failure {i + 1} of {n} of the fresh user name {user!r}, from a "
                "fresh address",
                f"EKE2 (N = {n}: fewer than N failures of this name)",
                early.describe(),
            )
    failed_at = time.monotonic()
    probe = _eke1_spelled(eke_target, user, judged_as(user, "@A@"), eke_sources.fresh(), fail=False)
    assert probe is not None
    if isinstance(probe, ReceivedFrame) and probe.error_name == "throttled":
        return
    if time.monotonic() - failed_at >= lock:
        inconclusive(
            f"the EKE1 of {user!r} was answered {lock:g} s or more after its N-th failure, "
            "when its first lock may have run out (a loaded machine)"
        )
    failed_label, judged_label = direction.split("-judged-")
    example = judged_as(user, "...")
    raise ConformanceFailure.evidence(
        f"EKE-THR-1: {n} failed handshakes of the user name {user!r} with EKE1 spelled "
        f"{failed_label.removeprefix('failed-')} (each from a fresh address), then its EKE1 "
        f"spelled {judged_label} from a fresh address: {example[:160]!r}",
        "EROR throttled with retry_after: one user name, whatever the JSON spelling of its "
        "string (an escaped surrogate pair is the character it encodes)",
        probe.describe(),
        "the escaped and the raw spelling were counted as two names (escapes decoded one "
        "\\u at a time, halves replaced by U+FFFD, or the throttle keyed on the raw text?)",
    )
