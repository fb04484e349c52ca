"""sft-eke/1: nothing between frames, in the clear handshake and in the record stream
(docs/SPEC.md FRM-1).

FRM-1: "A receiver MUST take the byte after a frame's payload as the first byte of the
next header: it MUST NOT skip line ends, NUL padding or white space between frames
(FRM-2 then applies)." The honest login never puts a byte between frames, so a reader
that skips them (a shim for line-mode clients and telnet tests: CR, LF, NUL, space, tab
dropped before a header) logs in all the same. Here such bytes come where a frame header
is due, each at the three places a server reads one:

- before `EKE1`: the connection's first bytes are the gap, then a ghost's `EKE1`;
- between `EKE1` and `EKE3`: the account's honest `EKE3` follows the gap (one write);
- between records: after an honest login, the gap, then an honest request record.

What the gap starts is not a frame (its type bytes break FRM-2, or it is no `RECD` after
the handshake, EKE-REC-5): a fatal `EROR` (any of FRM-16's codes, `auth_failed`
included) or the close may answer it; `EKE2`, `EKE4` or an answer to the request means
the gap was skipped. The account's cases end with an honest login (EKE-THR-4), and each
failing handshake comes from a fresh address.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_GAPS: dict[str, bytes] = {
    "crlf": b"\r\n",
    "lf": b"\n",
    "nul": b"\x00",
    "space": b" ",
    "tab": b"\t",
    "nul-word": b"\x00\x00\x00\x00",
}
# The gaps tried where each try costs the account a failed handshake.
_COSTLY_GAPS = ("crlf", "lf", "nul", "space")
_FATAL_NAMES = {name for name, code in ERROR_CODES.items() if code in FATAL_CODES}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout + 2.0))


def _refusal(event: Any) -> bool:
    """A fatal EROR, the close, or (a server that ignores the broken frame until its
    handshake timer ends it) nothing before our deadline."""
    if isinstance(event, Closed | TimedOut):
        return True
    return isinstance(event, ReceivedFrame) and event.error_name in _FATAL_NAMES


@pytest.mark.req("FRM-1", "FRM-2")
@pytest.mark.parametrize("gap", list(_GAPS))
def test_bytes_before_eke1_are_not_skipped(
    eke_target: Target, eke_sources: SourceAddresses, gap: str
) -> None:
    timeout = _timeout(eke_target)
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    first = client.eke1()
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name=f"{gap} before EKE1",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(_GAPS[gap] + frame_bytes(b"EKE1", control(first)))
        event = raw.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            raise ConformanceFailure.evidence(
                f"FRM-1: the connection's first bytes were {_GAPS[gap]!r}, then an EKE1",
                "the gap is the start of a header whose type bytes are not a type (FRM-2): "
                "a fatal EROR or the close",
                f"EKE2: the server skipped the bytes before the frame\n"
                f"Transcript:\n{raw.transcript.tail()}",
            )
        if not _refusal(event):
            raise ConformanceFailure(
                f"FRM-1/FRM-2: {_GAPS[gap]!r} before an EKE1 was answered "
                f"{event.describe()}, not with a fatal EROR or the close.\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("FRM-1",),
            )
    finally:
        raw.close()


@pytest.mark.req("FRM-1", "FRM-2")
@pytest.mark.parametrize("gap", _COSTLY_GAPS)
def test_bytes_between_eke1_and_eke3_are_not_skipped(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, gap: str
) -> None:
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for the account's EKE1 (cannot test): {event.describe()}")
        eke3 = hs.client.on_eke2(hs.eke2)
        hs.raw.send_raw(_GAPS[gap] + frame_bytes(b"EKE3", control(eke3)))
        answer = hs.raw.recv_frame(deadline_after(timeout))
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE4":
            raise ConformanceFailure.evidence(
                f"FRM-1: after EKE2, {_GAPS[gap]!r} then the account's honest EKE3 (one write)",
                "the gap starts a header that is no frame (FRM-2): a fatal EROR or the close",
                f"EKE4: the server skipped the bytes between EKE1 and EKE3 and logged us in\n"
                f"Transcript:\n{hs.raw.transcript.tail()}",
            )
        if not _refusal(answer):
            raise ConformanceFailure(
                f"FRM-1/FRM-2: {_GAPS[gap]!r} before EKE3 was answered {answer.describe()}, "
                f"not with a fatal EROR or the close.\nTranscript:\n{hs.raw.transcript.tail()}",
                violates=("FRM-1",),
            )
    finally:
        hs.close()
        eke_victim.reset(eke_sources)


@pytest.mark.req("FRM-1", "EKE-REC-5")
@pytest.mark.parametrize("gap", _COSTLY_GAPS)
def test_bytes_between_eke3_and_the_first_record_are_not_skipped(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, gap: str
) -> None:
    """The honest EKE3, the gap and a request record in one write: the bytes after EKE3
    reach the server's record reader by another path (what its handshake read too far)."""
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for the account's EKE1 (cannot test): {event.describe()}")
        eke3 = hs.client.on_eke2(hs.eke2)
        sender, receiver = hs.client.record_layer()
        request = frame_bytes(b"RQFL", control({"name": f"gap-probe-{gap}.txt"}))
        hs.raw.send_raw(
            frame_bytes(b"EKE3", control(eke3)) + _GAPS[gap] + sender.seal(request)
        )
        answer = hs.raw.recv_frame(deadline_after(timeout))
        if not (isinstance(answer, ReceivedFrame) and answer.type == b"EKE4"):
            pytest.skip(f"the honest EKE3 was not answered EKE4: {answer.describe()}")
        try:
            hs.client.on_eke4(answer.json() or {})
        except eke.EkeError as exc:
            pytest.skip(f"EKE4 did not verify (judged elsewhere): {exc}")
        after = hs.raw.recv_frame(deadline_after(timeout))
        if isinstance(after, ReceivedFrame) and after.type == b"RECD":
            try:
                frame_type, payload = eke.decode_frame_payload(receiver.open(after.raw))
            except eke.EkeError:
                frame_type, payload = b"????", b""
            if ReceivedFrame(frame_type, payload).error_name not in _FATAL_NAMES:
                raise ConformanceFailure.evidence(
                    f"FRM-1: the honest EKE3, {_GAPS[gap]!r} and a request record (one write)",
                    "the gap starts a header that is no RECD (EKE-REC-5): the close (a fatal "
                    "EROR in a record at most), the request unanswered",
                    f"a {frame_type!r} record: the server skipped the bytes between EKE3 "
                    f"and the record\nTranscript:\n{hs.raw.transcript.tail()}",
                )
        elif isinstance(after, TimedOut):
            raise ConformanceFailure(
                f"FRM-1/EKE-REC-5: {_GAPS[gap]!r} after EKE3 got no answer and no close "
                f"within {timeout:g} s.\nTranscript:\n{hs.raw.transcript.tail()}",
                violates=("EKE-REC-5",),
            )
    finally:
        hs.close()
        eke_victim.reset(eke_sources)


@pytest.mark.req("FRM-1", "EKE-REC-5")
@pytest.mark.parametrize("gap", list(_GAPS))
def test_bytes_between_records_are_not_skipped(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, gap: str
) -> None:
    channel = eke_victim.honest(source=eke_sources.fresh())
    try:
        request = frame_bytes(b"RQFL", control({"name": f"gap-probe-{gap}.txt"}))
        channel.raw.send_raw(_GAPS[gap] + channel.seal(request))
        event = channel.recv_frame(deadline_after(_timeout(eke_target)))
        if isinstance(event, ReceivedFrame) and not (
            event.type == b"EROR" and event.error_name in _FATAL_NAMES
        ):
            raise ConformanceFailure.evidence(
                f"FRM-1: after EKE4, {_GAPS[gap]!r} then an honest request record (one write)",
                "the gap starts a header that is no RECD (EKE-REC-5): the close (a fatal "
                "EROR in a record at most), the request unanswered",
                f"{event.describe()}: the server skipped the bytes between records and "
                f"answered the request\nTranscript:\n{channel.transcript.tail()}",
            )
        if isinstance(event, TimedOut):
            raise ConformanceFailure(
                f"FRM-1/EKE-REC-5: {_GAPS[gap]!r} before a record got no answer and no close "
                f"within {_timeout(eke_target):g} s (a reader waiting for more bytes of a "
                f"header it cannot use).\nTranscript:\n{channel.transcript.tail()}",
                violates=("EKE-REC-5",),
            )
    finally:
        channel.close()
