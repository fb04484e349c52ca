"""sft-eke/1 records under attack (SPEC §5.5): tamper, replay, reorder, drop, truncate.

After an honest handshake the suite holds the session keys, so it can seal records the
way a man in the middle could not — and then misbehave exactly once. For every such
record the server must close the connection without acting on it (EKE-REC-4).
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Callable

import pytest

from conformance import eke
from conformance._wire_fixtures import fresh_name, put_file
from conformance.eke_channel import EkeChannel, connect_raw, password_key_cached
from conformance.pki_channel import close_bound
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    Closed,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    Outcome,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
    header_bytes,
)

ChannelFactory = Callable[..., EkeChannel]


def _request(name: str = "hello.txt") -> bytes:
    return frame_bytes("RQFL", control({"name": name}))


# An encrypted EROR before the close is tolerated, but not `timeout`: that one says the
# server ignored the record and waited for its idle timer (LIM-2) to end the connection.
_CLOSING_EROR = ExpectError(*sorted(FATAL_CODES - {ERROR_CODES["timeout"]}), then_close=True)


def _expect_closed_without_answer(channel: EkeChannel, what: str) -> Outcome:
    """The server must close at once; an encrypted EROR first is tolerated, an answer (or
    the idle timer's EROR timeout) is not."""
    outcome = channel.expect([ExpectClose(), _CLOSING_EROR])
    if channel.violations:
        raise ConformanceFailure(f"{what}: " + "; ".join(channel.violations))
    if not outcome.ok and isinstance(outcome.actual, ReceivedFrame):
        raise ConformanceFailure(
            f"{what}: the server acted on a record that must not authenticate\n{outcome.describe()}"
        )
    return outcome.check(what)


def _send_then_probe(channel: EkeChannel, bad: bytes, probe_seq: int, what: str) -> Outcome:
    """`bad`, then at once an honest request sealed with `probe_seq` (the sequence number
    the server would expect had it dropped or accepted `bad`), in one write.

    EKE-REC-4 asks the server to CLOSE on a record that fails: one that drops the record
    and carries on would otherwise pass (its idle timeout ends the connection with an
    EROR too). It must not answer the probe.
    """
    keys = channel.keys
    probe = eke.seal_record(keys.key_c2s, keys.iv_c2s, probe_seq, _request())
    channel.transcript.add("event", note=f"probe: a valid request sealed with seq {probe_seq}")
    channel.raw.send_raw(bad + probe)
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    if channel.violations:
        raise ConformanceFailure(f"{what}: " + "; ".join(channel.violations))
    actual = outcome.actual
    if isinstance(actual, ReceivedFrame) and (
        not outcome.ok or actual.error_name in ("not_found", "forbidden")
    ):
        raise ConformanceFailure(
            f"{what}: the server did not close on it, and answered the valid request sealed "
            f"with seq {probe_seq} that followed (EKE-REC-4: close on any record that fails)"
            f"\n{outcome.describe()}"
        )
    return outcome.check(what)


def _flip(data: bytes, index: int, mask: int = 0x80) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def _known_name(target: Target) -> str:
    known = target.file("hello.txt") or target.file()
    return known.name if known else "sft-conformance-no-such-file"


# Byte offsets in a sealed request record (8-byte header, 20-byte inner frame, 16-byte tag):
# every header byte kind, the inner frame's type and length, and the tag at both ends and
# at the 8- and 12-byte boundaries of a truncated compare.
_TAMPER_OFFSETS = {
    "header": [0, 3, 4, 7],
    "ciphertext": [8, 12, 15, -17],
    "tag": [-16, -15, -9, -8, -5, -4, -1],
}


@pytest.mark.req("EKE-REC-4")
@pytest.mark.parametrize("where", list(_TAMPER_OFFSETS))
def test_tampered_record_closes(eke_channel_factory: ChannelFactory, where: str) -> None:
    """One bit flipped, at each offset of a part of the record: the server must close."""
    for offset in _TAMPER_OFFSETS[where]:
        channel = eke_channel_factory()
        record = channel.seal(_request())
        # The lowest bit: a length one byte longer waits for one more byte (the probe's
        # first), not for bytes that never come.
        tampered = _flip(record, offset % len(record), 0x01)
        _send_then_probe(
            channel, tampered, 0, f"a record with one bit flipped in its {where} (byte {offset})"
        )
        channel.close()


@pytest.mark.req("EKE-REC-4", "EKE-REC-1")
@pytest.mark.parametrize("length", [0, 1, 15, 16])
def test_record_without_room_for_a_frame_closes(
    eke_channel_factory: ChannelFactory, length: int
) -> None:
    """A record shorter than its tag (0-15 bytes), or an authentic one holding nothing (16):
    not a keepalive, a failure."""
    channel = eke_channel_factory()
    if length == 16:
        keys = channel.keys
        sealed = eke.aead_seal(
            keys.key_c2s, eke.record_nonce(keys.iv_c2s, 0), b"", b"RECD" + struct.pack(">I", 16)
        )
        bad, probe_seq = b"RECD" + struct.pack(">I", 16) + sealed, 1
    else:
        bad, probe_seq = b"RECD" + struct.pack(">I", length) + bytes(length), 0
    _send_then_probe(channel, bad, probe_seq, f"a record of {length} bytes")


@pytest.mark.req("EKE-REC-3", "EKE-REC-4")
def test_record_header_is_authenticated(eke_channel_factory: ChannelFactory) -> None:
    """The length in the header is associated data: a record re-framed longer must fail."""
    channel = eke_channel_factory()
    record = channel.seal(_request())
    body = record[8:] + b"\x00"
    channel.raw.send_raw(b"RECD" + struct.pack(">I", len(body)) + body)
    _expect_closed_without_answer(channel, "a record with one byte appended and its header fixed")


@pytest.mark.req("EKE-REC-2", "EKE-REC-4", "EKE-HS-10")
def test_replayed_record_closes(eke_channel_factory: ChannelFactory, eke_target: Target) -> None:
    channel = eke_channel_factory()
    record = channel.seal(_request(_known_name(eke_target)))
    channel.raw.send_raw(record)
    channel.expect([ExpectFrame("DONE"), ExpectError("not_found")], skip=["RSFL", "DATA"]).check(
        "the get of the original record"
    )
    _send_then_probe(channel, record, 1, "the same record sent a second time (replay)")


@pytest.mark.req("EKE-REC-2", "EKE-REC-4")
def test_reordered_records_close(eke_channel_factory: ChannelFactory) -> None:
    channel = eke_channel_factory()
    first = channel.seal(_request())
    second = channel.seal(_request())
    # Both at once: a server with a "replay window" would open both and answer twice.
    channel.raw.send_raw(second + first)
    _expect_closed_without_answer(channel, "record #1 delivered before record #0")


@pytest.mark.req("EKE-REC-2", "EKE-REC-4")
def test_dropped_record_closes(eke_channel_factory: ChannelFactory) -> None:
    channel = eke_channel_factory()
    channel.seal(_request())  # record #0 is "lost" in the network
    channel.raw.send_raw(channel.seal(_request()))
    _expect_closed_without_answer(channel, "record #1 after a dropped record #0")


@pytest.mark.req("EKE-KS-4", "EKE-REC-4")
@pytest.mark.parametrize("sealed_with", ["s2c", "s2c-key-c2s-iv", "c2s-key-s2c-iv", "kcc", "kcs"])
def test_record_sealed_with_the_other_directions_key(
    eke_channel_factory: ChannelFactory, sealed_with: str
) -> None:
    """A record sealed with the server's own key (a reflection), the other direction's
    IV, or a confirmation key must not open: each direction has its own key and IV."""
    channel = eke_channel_factory()
    keys = channel.keys
    key, iv = {
        "s2c": (keys.key_s2c, keys.iv_s2c),
        "s2c-key-c2s-iv": (keys.key_s2c, keys.iv_c2s),
        "c2s-key-s2c-iv": (keys.key_c2s, keys.iv_s2c),
        "kcc": (keys.kcc, keys.iv_c2s),
        "kcs": (keys.kcs, keys.iv_c2s),
    }[sealed_with]
    bad = eke.seal_record(key, iv, 0, _request())
    _send_then_probe(channel, bad, 0, f"a record sealed with the {sealed_with} key and IV")


@pytest.mark.req("EKE-REC-4")
def test_truncated_record_closes(eke_channel_factory: ChannelFactory) -> None:
    channel = eke_channel_factory()
    record = channel.seal(_request())
    body = record[8:-1]
    channel.raw.send_raw(b"RECD" + struct.pack(">I", len(body)) + body)
    _expect_closed_without_answer(channel, "a record whose last byte was cut (header adjusted)")


@pytest.mark.req("EKE-REC-5")
@pytest.mark.parametrize("frame_type", ["RQFL", "EROR", "BYE_", "EKE3", "EKE1", "DATA"])
def test_plaintext_frame_after_handshake_closes(
    eke_channel_factory: ChannelFactory, frame_type: str
) -> None:
    """Any plaintext frame after EKE4 is a failure [EKE-REC-5], a handshake message sent
    again (a "retransmission") too: not skipped, not answered."""
    channel = eke_channel_factory()
    payloads = {
        "RQFL": control({"name": "hello.txt"}),
        "EROR": control({"code": 11, "name": "internal", "message": "x"}),
        "BYE_": control({}),
        "EKE3": control({"c": "ab" * 80}),
        "EKE1": control({"user": "sft-conformance", "a": "ab" * 384}),
        "DATA": b"x" * 16,
    }
    channel.raw.send_raw(frame_bytes(frame_type, payloads[frame_type]))
    _expect_closed_without_answer(channel, f"a plaintext {frame_type} after EKE4")


def _length_off_by(delta: int) -> bytes:
    """A request whose payload is complete, valid JSON but whose inner length field says
    `delta` bytes more (or, negative, fewer) than the record holds: a receiver that trusts
    the record's boundary instead of the frame's header would still serve it."""
    payload = control({"name": "hello.txt"})
    return header_bytes("RQFL", len(payload) + delta) + payload


# [EKE-REC-1] The record's plaintext is one frame, no more, no less. Each variant keeps
# the frame it carries a valid, answerable request, so a lenient receiver answers it (the
# old "partial-frame" cut the JSON too: a lenient receiver refused it as bad JSON anyway).
_NOT_ONE_FRAME = {
    "two-frames": _request() + _request(),
    "partial-frame": _request()[:-3],
    "empty": b"",
    "header-only": _request()[:8],
    "length-over-by-1": _length_off_by(1),
    "length-over-by-16": _length_off_by(16),
    # What follows the frame is not a frame; a receiver that parses the record's rest
    # as the payload sees `{"name":"hello.txt"} ` (valid JSON) and serves it.
    "trailing-space": _request() + b" ",
    "trailing-byte": _request() + b"\x00",
    "trailing-header": _request() + header_bytes("BYE_", 0)[:7],
}


@pytest.mark.req("EKE-REC-1")
@pytest.mark.parametrize("inner", list(_NOT_ONE_FRAME))
def test_record_plaintext_must_be_one_frame(
    eke_channel_factory: ChannelFactory, inner: str
) -> None:
    channel = eke_channel_factory()
    plaintexts = _NOT_ONE_FRAME
    channel.send_raw(plaintexts[inner])
    outcome = channel.expect([ExpectClose(), ExpectError("bad_frame", then_close=True)])
    assert not channel.violations, channel.violations
    outcome.check(f"a record whose plaintext is not exactly one frame ({inner})")


@pytest.mark.req("EKE-REC-6", "FRM-3")
def test_oversize_record_header_is_refused(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """[FRM-3] judged on the header alone: the refusal (or at least the close) comes at
    once, within the close allowance (ERR-3), not when the idle timer ends a server
    that waited for the body."""
    channel = eke_channel_factory()
    limit = eke_target.limits.frame_limit
    channel.raw.send_raw(b"RECD" + struct.pack(">I", limit + 1))
    outcome = channel.expect(
        [ExpectClose(), ExpectError("frame_too_large", then_close=True)],
        timeout=close_bound(eke_target.limits.idle_timeout),
    )
    assert not channel.violations, channel.violations
    outcome.check(f"a RECD header announcing {limit + 1} bytes, with no payload sent")


@pytest.mark.req("EKE-REC-6", "FRM-3")
def test_record_header_of_exactly_the_limit_is_not_refused(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """The limit is a maximum: a `RECD` header announcing exactly the frame limit is
    within it (EKE-REC-6), so the server must wait for its body — only the body can show
    what the record holds. Sent without its body, such a header must not be answered
    `frame_too_large` (which FRM-3 reserves for a length ABOVE the limit, judged on the
    header alone); waiting, then its idle timer (EROR timeout, close) is what a
    conforming server does. An off-by-one limit (`>=`, or the limit less the tag or the
    header) refuses it at once."""
    channel = eke_channel_factory()
    limit = eke_target.limits.frame_limit
    channel.raw.send_raw(b"RECD" + struct.pack(">I", limit))
    # The answer to an over-limit header comes at once; give it the same time here.
    wait = max(1.0, min(3.0, eke_target.limits.idle_timeout / 2))
    event = channel.recv_frame(time.monotonic() + wait)
    if isinstance(event, ReceivedFrame) and event.error_name == "frame_too_large":
        raise ConformanceFailure.evidence(
            f"EKE-REC-6: a RECD header announcing exactly the frame limit ({limit} bytes), "
            "its body not sent",
            "no frame_too_large: the length is within the limit (wait for the body)",
            event.describe(),
        )


@pytest.mark.req("EKE-SEC-2", "EKE-REC-1", "EKE-REC-2")
def test_nothing_in_clear_after_the_handshake(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """Name, content and frame types of a get never appear on the wire outside records."""
    known = eke_target.file("big.bin") or eke_target.file("hello.txt") or eke_target.file()
    if known is None:
        pytest.skip("needs a file known to be in the share (target file [files])")
    channel = eke_channel_factory()
    channel.send_frame("RQFL", {"name": known.name})
    channel.expect(ExpectFrame("RSFL")).check("get of a known file")
    channel.expect(
        ExpectFrame("DONE", {"size": known.size, "sha256": known.sha256}), skip=["DATA"]
    ).check("the whole file through records with increasing seq")
    assert not channel.violations, channel.violations
    wire_bytes = [
        e.data
        for e in channel.transcript.entries
        if e.direction in ("send", "recv") and e.data[:4] in (b"RECD",)
    ]
    assert wire_bytes, "no records seen"
    leaks = [
        needle
        for needle in (known.name.encode(), b"RQFL", b"RSFL", b"DONE")
        if any(needle in data for data in wire_bytes)
    ]
    assert not leaks, f"EKE-SEC-2: {leaks} visible in record bytes on the wire"


@pytest.mark.req(
    "EKE-HS-2",
    "EKE-KS-1",
    "EKE-KS-2",
    "EKE-KS-3",
    "EKE-KS-4",
    "EKE-FEI-2",
    "EKE-REC-1",
    "EKE-REC-2",
    "EKE-REC-3",
)
def test_server_key_schedule_and_records_follow_the_spec(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """An honest handshake and get, every byte the server sealed checked by an independent
    implementation of §5.3–§5.5. An implementation's own client and server agree on their
    mistakes (a transcript without its length, HKDF's arguments swapped, one record key for
    both directions, a nonce without the sequence number); only an independent peer sees
    them. A failure is diagnosed (conformance/eke_diagnosis.py): the FAIL names the
    requirement under whose deviation the target's bytes verify."""
    try:
        channel = eke_channel_factory()
    except ConformanceFailure as exc:
        if exc.violates or "at EKE2" not in str(exc):
            raise
        raise ConformanceFailure(
            f"{exc}\nThe server's C2 does not verify under §5.3–§5.4 with the target file's "
            "password, and no known deviation explains it (EKE-HS-2).",
            violates=("EKE-HS-2",),
        ) from None
    name = _known_name(eke_target)
    channel.send_frame("RQFL", {"name": name})
    outcome = channel.expect([ExpectFrame("RSFL"), ExpectError("not_found")])
    if channel.violations:
        raise ConformanceFailure(
            "the server's records do not open under the key schedule and nonces of §5.4–§5.5: "
            + "; ".join(channel.violations),
            violates=("EKE-REC-1",),
        )
    outcome.check("the answer to a get, sealed as record #0")
    if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"RSFL":
        channel.expect(ExpectFrame("DONE"), skip=["DATA"]).check("records #1… of the get")
    channel.send_frame("BYE_", {})
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check("the end of the session")
    if channel.violations:
        raise ConformanceFailure("; ".join(channel.violations), violates=("EKE-REC-1",))


# A not_found answer that echoes the name carries non-ASCII text in its message; so does
# the RSFL of a file whose name is not ASCII (a length counted in characters then breaks
# the frame).
_NON_ASCII_MISSING = "sft-conformance-\u00e9t\u00e9-\u00f1o-\u20ac-no-such-file.txt"


def _read_get(channel: EkeChannel, name: str, what: str) -> list[ReceivedFrame]:
    """RQFL `name`, then every frame up to DONE or a refusal (bounded by the deadline)."""
    channel.send_frame("RQFL", {"name": name})
    frames: list[ReceivedFrame] = []
    deadline = time.monotonic() + channel.timeout + 8.0
    while True:
        event = channel.recv_frame(min(deadline, time.monotonic() + channel.timeout))
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(f"{what}: after {len(frames)} frames: {event.describe()}")
        frames.append(event)
        if event.type in (b"DONE", b"EROR") or time.monotonic() > deadline:
            return frames


@pytest.mark.req("EKE-REC-1", "FRM-1", "FRM-14")
def test_every_record_holds_exactly_one_well_formed_frame(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """Gets that end up in unusual records, on one connection: a 0-byte file (RSFL and
    DONE must still be two records, with no empty DATA between them), a file whose name
    is not ASCII and a refusal that echoes such a name (a frame length counted in
    characters instead of bytes), the smallest file above 1 MiB (DATA frames cut at the
    record's capacity instead of at 1 MiB), then an ordinary get. Every record must hold
    exactly one frame whose length counts its payload's bytes (the channel checks each
    record as it opens), and every frame must be well formed as a sender's frame."""
    files = sorted(eke_target.files, key=lambda f: f.size)
    chosen = [
        next((f for f in files if f.size == 0), None),
        next((f for f in files if not f.name.isascii()), None),
        next((f for f in files if 1024 * 1024 < f.size <= 4 * 1024 * 1024), None),
    ]
    names = [f.name for f in chosen if f is not None] + [
        _NON_ASCII_MISSING,
        _known_name(eke_target),
    ]
    channel = eke_channel_factory()
    seen: list[ReceivedFrame] = []
    for name in names:
        frames = _read_get(channel, name, f"get of {name!r}")
        seen += frames
        known = eke_target.file(name)
        data = b"".join(bytes(f.payload) for f in frames if f.type == b"DATA")
        if known is not None and frames[-1].type == b"DONE":
            if hashlib.sha256(data).hexdigest() != known.sha256:
                raise ConformanceFailure(
                    f"get of {name!r}: {len(data)} bytes that are not the file's "
                    f"{known.size} (the frames were not delimited by their lengths)",
                    violates=("FRM-1",),
                )
    if channel.violations:
        raise ConformanceFailure("; ".join(channel.violations), violates=("EKE-REC-1",))
    problems = [f"{f.describe(60)}: {v}" for f in seen for v in f.violations()]
    if problems:
        raise ConformanceFailure(
            "the server sent malformed frames:\n" + "\n".join(problems), violates=("FRM-14",)
        )


@pytest.mark.req("EKE-REC-1")
def test_the_idle_timeouts_eror_is_a_record(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """An honest channel left silent past the idle timeout (LIM-2): whatever the server
    sends before it closes — `EROR timeout` — MUST be a record like every frame after EKE4
    (a close without it is fine here; test_limits.py judges LIM-2 itself). A server whose
    timer path writes its EROR with the handshake's plaintext encoder ("the channel may be
    broken") sends it in clear, unauthenticated, for anyone on the path to forge."""
    limit = eke_target.limits.idle_timeout
    if limit > 15:
        pytest.skip(f"idle timeout of {limit} s is too long for the default run")
    channel = eke_channel_factory()
    try:
        event = channel.raw.recv_frame(time.monotonic() + 1.5 * limit + 2.0)
    finally:
        channel.close()
    if isinstance(event, ReceivedFrame) and event.type != b"RECD":
        raise ConformanceFailure(
            f"Expected: an EROR timeout sealed in a RECD record (or a close) once the channel "
            f"was idle for the idle timeout of {limit:g} s\n"
            f"Actual:   a plaintext frame: {event.describe(80)}\n"
            "EKE-REC-1: after EKE4 every frame in both directions is a record",
            violates=("EKE-REC-1",),
        )
    if not isinstance(event, ReceivedFrame | Closed):
        inconclusive(f"nothing from the server {1.5 * limit + 2.0:.1f} s idle: {event.describe()}")


# --------------------------------------------------------------------------------------
# Handshake frames inside records (SPEC §1 FRM-6, §5.5).
#
# After EKE4 the handshake types are still defined by sft-eke/1, but not allowed in the
# record phase (§3.2): a well-formed `EKE1`..`EKE4` sealed in an authentic record MUST be
# answered `unexpected_frame` (fatal), like any other frame the state does not allow. Each
# payload is well-formed for its type (every member present, lowercase hex of the exact
# length), so that the malformed-payload reading of FRM-16 (`bad_frame`) does not apply.
# A receiver with a separate branch for "a handshake type after the handshake" gets the
# code wrong there more easily than for an undefined type.
# --------------------------------------------------------------------------------------

_ELEMENT = 384  # bytes of A and B (EKE-FMT-*)


def _hex(length: int) -> str:
    return os.urandom(length).hex()


_HANDSHAKE_FRAMES: dict[str, Callable[[], dict[str, object]]] = {
    "EKE1": lambda: {"user": "alice", "a": _hex(_ELEMENT)},
    "EKE2": lambda: {"b": _hex(_ELEMENT), "c": _hex(48)},
    "EKE3": lambda: {"c": _hex(80)},
    "EKE4": lambda: {"c": _hex(48)},
}


@pytest.mark.req("FRM-6", "ERR-3")
@pytest.mark.parametrize("frame_type", sorted(_HANDSHAKE_FRAMES))
def test_handshake_frame_in_a_record_is_unexpected(
    eke_channel_factory: ChannelFactory, frame_type: str
) -> None:
    channel = eke_channel_factory()
    channel.send_frame(frame_type, _HANDSHAKE_FRAMES[frame_type]())
    outcome = channel.expect([ExpectError("unexpected_frame", then_close=True)])
    assert not channel.violations, channel.violations
    outcome.check(
        f"FRM-6: a well-formed {frame_type} sealed in an authentic record after EKE4 "
        "(a handshake type, not allowed in the record phase)"
    )


def _put_stored(channel: EkeChannel, what: str) -> str:
    """A small put that the server stores (its DONE answered with DONE); the name."""
    name = fresh_name("records-seq")
    answer, final = put_file(channel, name, os.urandom(1500))
    if channel.violations:
        raise ConformanceFailure(f"{what}: " + "; ".join(channel.violations))
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(
            f"{what}: the put of {name!r} was not stored: {answer.describe()}"
            + (f"; then {final.describe()}" if final is not None else "")
        )
    return name


@pytest.mark.req("EKE-REC-2", "APP-2")
def test_sequence_numbers_run_on_across_every_kind_of_answer(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """One connection, one request after the other: a get that is served, one answered
    `not_found`, one answered `forbidden`, a put that is stored and one answered `exists`
    (when the target takes puts), a get again, BYE_. Every record of the server MUST open
    under the next sequence number of its direction (EKE-REC-2: `seq` increases by one per
    record, never reused), whatever answer it carries, and the server MUST open the
    client's records that way too. A sequence counter that one path forgets to advance
    (the EROR of a refusal sealed beside the usual path) or that restarts when a transfer
    ends (buffers and state reset at DONE) reuses a nonce: the next record then fails."""
    known = _known_name(eke_target)
    channel = eke_channel_factory()
    steps: list[str] = []

    def get(name: str, answers: list[ExpectFrame | ExpectError], what: str) -> None:
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect(answers, skip=["DATA"] if len(answers) > 1 else [])
        if channel.violations:
            raise ConformanceFailure(
                f"after {', '.join(steps) or 'the handshake'}, {what}: "
                + "; ".join(channel.violations),
                violates=("EKE-REC-2",),
            )
        outcome.check(f"after {', '.join(steps) or 'the handshake'}, {what}")
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"RSFL":
            channel.expect(ExpectFrame("DONE"), skip=["DATA"]).check(f"{what}: DATA and DONE")
        steps.append(what)

    get(known, [ExpectFrame("RSFL"), ExpectError("not_found")], f"a get of {known!r}")
    get("sft-conformance-no-such-file.txt", [ExpectError("not_found")], "a get answered not_found")
    get("../" + known, [ExpectError("forbidden")], "a get answered forbidden")
    if eke_target.has("put"):
        stored = _put_stored(channel, f"after {', '.join(steps)}, a put")
        steps.append("a stored put")
        answer, _final = put_file(channel, stored, b"x")
        if channel.violations:
            raise ConformanceFailure(
                f"after {', '.join(steps)}, a put of the same name: "
                + "; ".join(channel.violations),
                violates=("EKE-REC-2",),
            )
        if answer.frame is None or answer.frame.error_name != "exists":
            raise ConformanceFailure(
                f"after {', '.join(steps)}, a put of the stored name {stored!r}: "
                f"{answer.describe()}"
            )
        steps.append("a put answered exists")
    get(known, [ExpectFrame("RSFL"), ExpectError("not_found")], f"a get of {known!r} again")
    channel.send_frame("BYE_", {})
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check("the end of the session")
    if channel.violations:
        raise ConformanceFailure("; ".join(channel.violations), violates=("EKE-REC-2",))


@pytest.mark.req("EKE-REC-2", "EKE-REC-4")
def test_record_replayed_after_transfers_closes(
    eke_channel_factory: ChannelFactory, eke_target: Target
) -> None:
    """The client's first record (a get), then that get's answer, a stored put (when the
    target takes puts) and another get; then the first record again, followed at once by
    a valid request sealed with the next sequence number. The replayed record MUST fail
    (its sequence number is long past: EKE-REC-2 never reuses one) and the server MUST
    close without answering either (EKE-REC-4). A receiver whose expected sequence number
    restarts when a transfer ends opens the replay and answers it."""
    known = _known_name(eke_target)
    channel = eke_channel_factory()
    first = channel.seal(_request(known))
    channel.raw.send_raw(first)
    channel.expect([ExpectFrame("DONE"), ExpectError("not_found")], skip=["RSFL", "DATA"]).check(
        "the get of the first record"
    )
    if eke_target.has("put"):
        _put_stored(channel, "a put after the first get")
    channel.send_frame("RQFL", {"name": known})
    channel.expect([ExpectFrame("DONE"), ExpectError("not_found")], skip=["RSFL", "DATA"]).check(
        "a second get"
    )
    _send_then_probe(
        channel,
        first,
        channel.sender.seq,
        "record #0 (a get) sent again after the transfers that followed it (replay)",
    )


# [EKE-REC-4] holds for every record, whatever it carries: a receiver that checks the tag
# of its small (control) records only, and decrypts large DATA records as a bare stream
# ("the DONE's SHA-256 covers the data", AES-CTR for speed), accepts a forged DATA record.
_LARGE_PAYLOADS = [1, 64 * 1024 + 1, 1024 * 1024]
_LARGE_TAMPER = ["tag-last-byte", "tag-first-byte", "payload-middle"]


@pytest.mark.req("EKE-REC-4")
@pytest.mark.parametrize("where", _LARGE_TAMPER)
@pytest.mark.parametrize("payload", _LARGE_PAYLOADS)
def test_tampered_data_record_of_any_size_closes(
    eke_target: Target, eke_channel_factory: ChannelFactory, payload: int, where: str
) -> None:
    """A put of `payload` bytes is accepted; its one DATA record arrives with one bit
    flipped (`where`), followed at once by the put's valid DONE (sealed with the next
    sequence number). The server MUST close without acting on either: a DONE answered
    means the forged DATA record was taken."""
    if not eke_target.has("put"):
        pytest.skip("needs the put feature (a DATA record travels to the server in a put)")
    if payload > eke_target.limits.max_file_size:
        pytest.skip(f"{payload} bytes is above the declared max_file_size")
    data = (hashlib.sha256(b"tampered data record").digest() * (payload // 32 + 1))[:payload]
    channel = eke_channel_factory()
    name = fresh_name("sft-tampered-data")
    channel.send_frame("PUTF", {"name": name, "size": payload})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    record = channel.seal(frame_bytes("DATA", data))
    offset = {"tag-last-byte": -1, "tag-first-byte": -16, "payload-middle": 16 + payload // 2}
    tampered = _flip(record, offset[where] % len(record), 0x01)
    done = control({"size": payload, "sha256": hashlib.sha256(data).hexdigest()})
    channel.raw.send_raw(tampered + channel.seal(frame_bytes("DONE", done)))
    _expect_closed_without_answer(
        channel,
        f"a DATA record of {payload} payload bytes with one bit flipped ({where}), then the "
        "put's DONE",
    )


# [EKE-REC-5] The record phase starts right after EKE3 on the client's side of the stream:
# a frame that follows EKE3 in the same segment is already "after the handshake". A server
# that hands the bytes its handshake read beyond EKE3 to the application layer as they are
# (a seam between its two parsers) serves a request that never was a record.
_PIPELINED_PLAINTEXT: dict[str, Callable[[str], bytes]] = {
    "RQFL": lambda name: control({"name": name}),
    "BYE_": lambda _name: control({}),
    "PUTF": lambda _name: control({"name": fresh_name("sft-plain-putf"), "size": 10}),
}


@pytest.mark.req("EKE-REC-5")
@pytest.mark.parametrize("frame_type", sorted(_PIPELINED_PLAINTEXT))
def test_plaintext_frame_pipelined_with_eke3_is_not_served(
    eke_target: Target, frame_type: str
) -> None:
    """EKE3 and a plaintext request in one write: the server may send EKE4 (it verified
    EKE3 first) but must then treat the plaintext frame as a failure and close — no record
    may answer it (a fatal EROR record before the close is tolerated)."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    client = eke.ClientHandshake(
        user=account.user, pw=password_key_cached(account.password, account.user)
    )
    first = client.eke1()  # before connecting: the handshake clock starts at accept
    raw = connect_raw(eke_target.host, eke_target.port, timeout=timeout, name="eke3+plaintext")
    try:
        raw.send_frame(b"EKE1", first)
        event = raw.recv_frame(deadline_after(timeout))
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE2":
            inconclusive(f"no EKE2 for an honest EKE1: {event.describe()}")
            return
        eke3 = client.on_eke2(event.json() or {})
        plain = frame_bytes(frame_type, _PIPELINED_PLAINTEXT[frame_type](_known_name(eke_target)))
        raw.send_raw(frame_bytes("EKE3", control(eke3)) + plain)
        what = f"EKE3 and a plaintext {frame_type} in one segment"
        event = raw.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.type == b"EKE4":
            client.on_eke4(event.json() or {})
            sender, receiver = client.record_layer()
            assert client.keys is not None
            channel = EkeChannel(raw, client.keys, sender, receiver, role="client")
            _expect_closed_without_answer(channel, what)
            return
        fatal = {name for name, code in ERROR_CODES.items() if code in FATAL_CODES}
        if isinstance(event, Closed) or (
            isinstance(event, ReceivedFrame) and event.type == b"EROR" and event.error_name in fatal
        ):
            return  # refused before EKE4: nothing was served
        raise ConformanceFailure(
            f"{what}\nExpected: EKE4 then the close (or a fatal EROR)\n"
            f"Actual:   {event.describe()}",
            violates=("EKE-REC-5",),
        )
    finally:
        raw.close()
