"""Every frame a responder sends is a well-formed sender's frame, in every answer [FRM-14].

Cases read a responder's answers for the field they were written for (a get's bytes and
its digest compared with the data, an EROR's code) and stop there; the rest of the frame
goes unread. Sloppy output hides in what nobody reads: a `DONE.sha256` formatted in
upper case (Java's `HexFormat.of().withUpperCase()`, `"%X"`; the digest is "right"), a
`size` sent as a string or a float, an `EROR` whose `name` is one code off, and — read by
no case at all — the `BYE_` a responder MAY echo before it closes, sent with an empty
payload or some other non-object where the table says `{}`.

Here every frame the responder sends in a conversation — a get of each known file (empty
and multi-frame ones included), a refused get, a put and its refusal, and the `BYE_` that
ends the connection (on an idle connection, after a get, after a refusal, after a put) —
is checked as a sender's frame: FRM-2/3/8/9/11/12/13 and ERR-1/2/7 (wire.ReceivedFrame's
`violations`). The FAIL names the rule each bad frame breaks. Both profiles.

Choices the SPEC leaves stay open: `RSFL.sha256` may be absent, extra members may be
present (FRM-10), the `BYE_` echo may be absent (APP-BYE-1: the responder MAY answer
`BYE_`); only its form is judged, and that the responder closes after it.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

_RULE = re.compile(r"\b((?:FRM|ERR)-\d+)")
_MAX_FILES = 6  # known files fetched (the suite's own share holds a handful)


def _rules(problems: list[str]) -> tuple[str, ...]:
    """The requirement IDs the problems name, with FRM-14 (a sender broke §1/§2)."""
    found = {match for problem in problems for match in _RULE.findall(problem)}
    return tuple(sorted({*found, "FRM-14"}))


def _judge(frames: list[ReceivedFrame], what: str) -> None:
    problems = [f"{f.describe(90)}: {v}" for f in frames for v in f.violations()]
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "every frame well-formed as a sender's frame (SPEC §1, §2)",
            "\n".join(problems[:8]),
            note=f"{len(frames)} frame(s) of the responder read in this conversation",
        )
        failure.violates = _rules(problems)
        raise failure


def _answer(channel: Channel, what: str, *, ends: tuple[bytes, ...]) -> list[ReceivedFrame]:
    """Frames up to and including the first of type `ends` or EROR (bounded)."""
    frames: list[ReceivedFrame] = []
    deadline = deadline_after(channel.timeout + 2.0)
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            _judge(frames, what)
            raise ConformanceFailure(
                f"{what}: after {len(frames)} frame(s): {event.describe()} (want "
                f"{' or '.join(t.decode() for t in ends)} or EROR)"
            )
        frames.append(event)
        if event.type in ends or event.type == b"EROR":
            return frames
        if len(frames) > 4096:
            raise ConformanceFailure(f"{what}: more than 4096 frames in one answer")


def _bye(channel: Channel, what: str) -> None:
    """BYE_, then every frame up to the close: at most a well-formed BYE_ echo."""
    channel.send_frame("BYE_", {})
    frames: list[ReceivedFrame] = []
    deadline = deadline_after(channel.timeout + 2.0)
    while True:
        event = channel.recv_frame(deadline)
        if isinstance(event, ReceivedFrame):
            frames.append(event)
            if len(frames) > 8:
                break
            continue
        _judge(frames, f"{what}, then BYE_")
        if isinstance(event, TimedOut):
            failure = ConformanceFailure.evidence(
                f"{what}, then BYE_",
                "the responder closes after BYE_ (it MAY echo BYE_ first)",
                f"{len(frames)} frame(s), then {event.describe()}",
            )
            failure.violates = ("APP-BYE-1",)
            raise failure
        assert isinstance(event, Closed)
        break
    others = [f for f in frames if f.type != b"BYE_"]
    if others or len(frames) > 1:
        failure = ConformanceFailure.evidence(
            f"{what}, then BYE_",
            "nothing, or one BYE_ {}, then the close",
            "; ".join(f.describe(60) for f in frames),
        )
        failure.violates = ("APP-BYE-1",)
        raise failure


@pytest.mark.req("FRM-14", "APP-BYE-1")
def test_bye_on_an_idle_connection_is_answered_well_formed(
    target: Target, app_channel: AppChannel
) -> None:
    """BYE_ first thing: the responder closes, after at most one BYE_ {} echo."""
    _bye(app_channel(), "a fresh connection")


@pytest.mark.req("FRM-14", "FRM-11", "FRM-12", "APP-BYE-1")
def test_every_frame_of_gets_and_the_bye_after_them_is_well_formed(
    target: Target, app_channel: AppChannel
) -> None:
    """Gets of the known files (every frame: RSFL, DATA, DONE), then BYE_."""
    require(target, "get")
    files = sorted(target.files, key=lambda f: (f.size, f.name))[:_MAX_FILES]
    if not files:
        files = [known_file(target)]
    channel = app_channel()
    for known in files:
        channel.send_frame("RQFL", {"name": known.name})
        what = f"RQFL {known.name!r} (a known file of {known.size} bytes)"
        frames = _answer(channel, what, ends=(b"DONE",))
        _judge(frames, what)
    _bye(channel, f"gets of {len(files)} known file(s)")


@pytest.mark.req("FRM-14", "ERR-1", "ERR-2", "APP-BYE-1")
def test_refusals_and_the_bye_after_them_are_well_formed(
    target: Target, app_channel: AppChannel
) -> None:
    """A get of a missing file and of a refused name (each a non-fatal EROR), then BYE_."""
    require(target, "get")
    channel = app_channel()
    for name in (fresh_name("sft-not-there") + ".bin", "../etc/passwd"):
        channel.send_frame("RQFL", {"name": name})
        what = f"RQFL {name!r}"
        frames = _answer(channel, what, ends=(b"DONE",))
        _judge(frames, what)
    _bye(channel, "two refused gets")


@pytest.mark.req("FRM-14", "FRM-11", "FRM-12", "ERR-1", "APP-BYE-1")
def test_every_frame_of_a_put_its_refusal_and_the_bye_is_well_formed(
    target: Target, app_channel: AppChannel
) -> None:
    """A put (RSFL {accept}, DONE), the same name again (EROR exists), then BYE_."""
    require(target, "put")
    data = bytes(range(256)) * 12
    digest = hashlib.sha256(data).hexdigest()
    name = fresh_name() + ".bin"
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data), "sha256": digest})
    what = f"PUTF {name!r} of {len(data)} bytes"
    frames = _answer(channel, what, ends=(b"RSFL",))
    _judge(frames, what)
    if frames[-1].type != b"RSFL":
        pytest.skip(f"the put was refused: {frames[-1].describe()}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": digest})
    what = f"{what}, its DATA and DONE"
    frames = _answer(channel, what, ends=(b"DONE",))
    _judge(frames, what)
    channel.send_frame("PUTF", {"name": name, "size": 1})
    what = f"PUTF {name!r} again (stored now)"
    frames = _answer(channel, what, ends=(b"RSFL",))
    _judge(frames, what)
    if frames[-1].type == b"RSFL":
        # Not this file's question (APP-PUT-3 is judged elsewhere): end the offer cleanly.
        channel.send_frame("DATA", b"x")
        channel.send_frame("DONE", {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()})
        _judge(_answer(channel, f"{what}, accepted", ends=(b"DONE",)), f"{what}, accepted")
    _bye(channel, "a put and a second PUTF of its name")
