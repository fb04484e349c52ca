"""What an `EROR` must not say, and what must not pass for a frame boundary.

- ERR-5: an error message carries no secret. The suite derives the same keys as the
  target (it knows the account's password), so after an EKE3 that fails with the right
  keys it looks for the password, pw, every derived key and both nonces in the server's
  message, in text, hex and base64; after a put that fails its integrity check, for the
  content it sent (conformance/disclosure.py).
- FRM-1: frames follow each other with nothing between them. Bytes a line protocol would
  skip (CR, LF, a space, NUL padding) in front of a valid request are a header whose type
  is not 4 bytes of A–Z 0–9 _ (FRM-2: `bad_frame`, or `frame_too_large` for the length
  those bytes make, FRM-16); sft-eke/1 puts them inside a record,
  whose plaintext is then not exactly one frame (EKE-REC-1). Either way the request
  behind them must never be served.

Fixtures (conformance/plugin.py): `target`, `eke_target`, `app_channel`, `eke_victim`,
`eke_sources`.
"""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from conformance import eke
from conformance._wire_fixtures import AppChannel, fresh_name, known_file, put_file, require
from conformance.disclosure import find_secret
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Expectation,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    control,
    expect_on,
    frame_bytes,
)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _message_of(frame: ReceivedFrame | None) -> str:
    payload = frame.json() if frame is not None else None
    message = (payload or {}).get("message", "")
    return message if isinstance(message, str) else str(message)


def _check_no_secret(message: str, secrets: dict[str, bytes], context: str) -> None:
    found = find_secret(message, secrets)
    if found is not None:
        raise ConformanceFailure(
            f"ERR-5: {context}: the EROR message discloses {found}\nmessage: {message[:300]!r}"
        )


# ERR-6: the marks of a stack trace or crash dump in the common runtimes. A message for
# people never holds them; the suite's own inputs below never contain them either.
_STACK_TRACES = {
    "Python traceback": re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+'),
    "Java stack": re.compile(r"Exception in thread|\bat [\w.$]+\([\w$]+\.(?:java|kt):\d+\)"),
    "Go panic": re.compile(r"goroutine \d+ \[|panic: |\.go:\d+"),
    "Node stack": re.compile(r"\bat .*\.(?:js|mjs|cjs|ts):\d+:\d+"),
    "Rust panic": re.compile(r"panicked at|stack backtrace:|\.rs:\d+:\d+"),
    ".NET stack": re.compile(r"\.cs:line \d+|   at [\w.]+\("),
    "C/C++ dump": re.compile(r"AddressSanitizer|Segmentation fault|core dumped"),
}


def stack_trace_in(message: str) -> str | None:
    """Which stack-trace or crash-dump mark `message` holds (ERR-6), or None."""
    for label, pattern in _STACK_TRACES.items():
        found = pattern.search(message)
        if found is not None:
            return f"{label}: {found.group(0)[:60]!r}"
    return None


@pytest.mark.req("ERR-5")
def test_auth_failure_message_carries_no_secret(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """EKE3 under the right keys with Ns altered: `auth_failed`, and its message holds
    none of the values both sides derived (nor the password, nor pw)."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(f"no EKE2 for an honest EKE1: {hs.eke2_event!r}")
        hs.client.on_eke2(hs.eke2)
        keys = hs.client.keys
        assert keys is not None
        wrong_ns = bytes([hs.client.ns[0] ^ 1]) + hs.client.ns[1:]
        c3 = eke.aead_seal(keys.kcc, eke.N3, hs.client.na + wrong_ns, b"EKE3" + keys.th)
        hs.send_eke3({"c": c3.hex()})
        outcome = expect_on(hs.raw, [ExpectError("auth_failed")], timeout)
        outcome.check("EKE3 under the right keys, Ns altered")
        secrets = {
            "the password": eke_victim.account.password.encode("utf-8"),
            "pw": eke_victim.pw,
            "Ns": hs.client.ns,
            "Na": hs.client.na,
            **{name: value for name, value in vars(keys).items() if name != "th"},
        }
        _check_no_secret(_message_of(outcome.frame), secrets, "auth_failed after EKE3")
    finally:
        hs.close()


@pytest.mark.req("ERR-5")
def test_integrity_failure_message_carries_no_content(
    target: Target, app_channel: AppChannel
) -> None:
    """A put whose DONE names another SHA-256: `integrity_failed`, and its message holds
    no run of the content that was sent."""
    require(target, "put")
    content = os.urandom(96).hex().encode("ascii")  # text, as a debugging echo would show
    wrong = hashlib.sha256(b"not the content").hexdigest()
    answer, final = put_file(app_channel(), fresh_name(), content, done_sha=wrong)
    if final is None:
        raise ConformanceFailure(f"PUTF was not accepted: {answer.describe()}")
    final.check("DONE with another SHA-256")
    if final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure(f"expected EROR integrity_failed\n{final.describe()}")
    _check_no_secret(
        _message_of(final.frame), {"the file content": content}, "integrity_failed after DONE"
    )


def _debug_echo_content() -> bytes:
    """Content a debugging echo would show as it is: text (hex digits)."""
    return os.urandom(48).hex().encode("ascii")


@pytest.mark.req("ERR-5")
@pytest.mark.parametrize("where", ["data-in-idle", "data-beyond-size"])
def test_refused_data_message_carries_no_content(
    target: Target, app_channel: AppChannel, where: str
) -> None:
    """A `DATA` frame the responder refuses — in IDLE (`unexpected_frame`), or past the
    announced size of a put (`integrity_failed`, APP-PUT-6) — is answered without its
    content: an implementation that formats the offending frame into its message
    (`f"unexpected {frame!r}"`) hands file content to whoever reads the error."""
    content = _debug_echo_content()
    channel = app_channel()
    if where == "data-in-idle":
        expected = ExpectError("unexpected_frame", then_close=True)
    else:
        require(target, "put")
        channel.send_frame("PUTF", {"name": fresh_name(), "size": 8})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            "PUTF of 8 bytes (the put under test)"
        )
        expected = ExpectError("integrity_failed", then_close=True)
    channel.send_frame("DATA", content)
    # A bare close says nothing, so it passes here (FRM-6/APP-PUT-6 judge it elsewhere).
    outcome = channel.expect([expected, ExpectClose()])
    outcome.check(f"DATA of {len(content)} bytes ({where})")
    if outcome.frame is not None:
        _check_no_secret(
            _message_of(outcome.frame), {"the DATA content": content}, f"EROR after {where}"
        )


@pytest.mark.req("ERR-5", "EKE-HS-9")
@pytest.mark.parametrize("where", ["instead-of-eke1", "instead-of-eke3"])
def test_eke_refused_handshake_frame_message_carries_no_content(
    eke_target: Target, eke_sources: SourceAddresses, where: str
) -> None:
    """Before the record phase an `EROR` travels in clear (EKE-HS-9): a `DATA` frame sent
    in place of EKE1, or of EKE3 after EKE2, is answered `unexpected_frame` (or a close)
    without its content. A server that reads whole frames, then dispatches, and quotes
    what it refused (`f"unexpected {frame!r}"`) hands the bytes a client sent to every
    eavesdropper, before any key exists."""
    timeout = _timeout(eke_target)
    content = _debug_echo_content()
    source = eke_sources.fresh()
    if where == "instead-of-eke1":
        raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, source=source)
    else:
        # An unknown name from a fresh address: the one failure it counts is nobody's.
        hs = start_handshake(eke_target, ghost_user(), bytes(32), source=source, timeout=timeout)
        raw = hs.raw
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raw.close()
            raise ConformanceFailure(f"no EKE2 for an EKE1 of an unknown name: {event.describe()}")
    try:
        raw.send_frame("DATA", content)
        # The code is EKE-HS-9's business (its own cases): here only the message counts.
        refusal = ExpectError("unexpected_frame", "bad_frame", "auth_failed", then_close=True)
        outcome = expect_on(raw, [refusal, ExpectClose()], timeout)
        outcome.check(f"DATA of {len(content)} bytes {where}")
        if outcome.frame is not None:
            _check_no_secret(
                _message_of(outcome.frame), {"the DATA content": content}, f"EROR {where}"
            )
    finally:
        raw.close()


_SEPARATORS = {"crlf": b"\r\n", "lf": b"\n", "space": b" ", "nul-padding": b"\x00" * 4}


@pytest.mark.req("FRM-1", "FRM-2", "FRM-16")
@pytest.mark.parametrize("where", ["first", "after-a-transfer"])
@pytest.mark.parametrize("separator", sorted(_SEPARATORS))
def test_bytes_between_frames_are_not_skipped(
    target: Target, app_channel: AppChannel, separator: str, where: str
) -> None:
    file = known_file(target)
    channel = app_channel()
    request = frame_bytes("RQFL", control({"name": file.name}))
    if where == "after-a-transfer":
        channel.send_raw(request)
        first = channel.expect([ExpectFrame("RSFL")]).check("an honest RQFL")
        assert first.frame is not None
        done = [ExpectFrame("DONE")]
        for _ in range(1 + file.size // 4096 + 1024):  # bounded: DATA frames, then DONE
            event = channel.expect([ExpectFrame("DATA"), *done])
            event.check("the honest get's DATA/DONE")
            if event.frame is not None and event.frame.type == b"DONE":
                break
    channel.send_raw(_SEPARATORS[separator] + request)
    # sft-eke/1: a record whose plaintext is not one frame may also just be dropped with
    # the connection (EKE-REC-1); what must never come is the file.
    # The bytes make a header with a bad type AND a huge length ("FL\0\0", "RQFL" read
    # as a length): FRM-16 lets a receiver answer either rule.
    refusals: list[Expectation] = [ExpectError("bad_frame", "frame_too_large", then_close=True)]
    if target.profile == "eke":
        refusals.append(ExpectClose())
    outcome = channel.expect(refusals)
    if outcome.frame is not None and outcome.frame.type == b"RSFL":
        raise ConformanceFailure(
            f"FRM-1: {_SEPARATORS[separator]!r} in front of a RQFL ({where}) was skipped and "
            f"the request served: frames have no separator, so those bytes begin a header "
            f"(type {(_SEPARATORS[separator] + request)[:4]!r}: bad_frame, FRM-2; or "
            "frame_too_large for its length, FRM-16)"
        )
    outcome.check(f"{separator} bytes in front of a RQFL ({where})")


# Inputs a parser or a state machine fails on, each answered with a fatal EROR; a
# debugging aid left on (the exception's traceback as the message) shows in these first.
_BREAKERS: dict[str, tuple[bytes, ...]] = {
    "not-json": (frame_bytes("RQFL", b"{this is not json"),),
    "not-utf8": (frame_bytes("RQFL", b'{"name":"\xff\xfe"}'),),
    "truncated-json": (frame_bytes("RQFL", b'{"name":"a'),),
    "top-level-array": (frame_bytes("RQFL", b'["name"]'),),
    "name-number": (frame_bytes("RQFL", b'{"name":5}'),),
    "size-float": (frame_bytes("PUTF", b'{"name":"sft-conformance-x","size":1.5}'),),
    "unknown-type": (frame_bytes("ZZZZ", b"{}"),),
    "done-in-idle": (
        frame_bytes("DONE", control({"size": 0, "sha256": hashlib.sha256(b"").hexdigest()})),
    ),
    "empty-data": (frame_bytes("DATA", b""),),
}


@pytest.mark.req("ERR-6", "ERR-1", "FRM-14")
@pytest.mark.parametrize("case", sorted(_BREAKERS))
def test_error_answer_carries_no_stack_trace(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """Malformed input the responder must refuse: its EROR (whatever code it chose) is a
    well-formed EROR whose message shows no stack trace or debug dump [ERR-6]. A responder
    that only closes has no message to judge here (the cases of FRM-9 and FRM-6 judge
    the code)."""
    channel = app_channel()
    for frame in _BREAKERS[case]:
        channel.send_raw(frame)
    outcome = channel.expect([ExpectError(), ExpectClose()])
    outcome.check(f"ERR-6: {case}")
    answer = outcome.frame
    if answer is None or answer.type != b"EROR":
        return
    message = _message_of(answer)
    problems: list[tuple[str, str]] = []
    trace = stack_trace_in(message)
    if trace is not None:
        problems.append(("ERR-6", f"the message carries a stack trace ({trace})"))
    for violation in answer.violations():
        rid = violation.split(":", 1)[0]
        if rid != "ERR-6":
            problems.append((rid if rid in ("ERR-1", "ERR-2") else "FRM-14", violation))
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-6: the EROR answering {case} ({_BREAKERS[case][0][:40]!r})",
            "a well-formed EROR whose message is a short text for people",
            "; ".join(text for _, text in problems) + f"; message: {message[:300]!r}",
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure
