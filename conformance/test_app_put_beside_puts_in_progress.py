"""A PUTF made while another connection's put is in progress gets one of APP-PUT-1's
answers (docs/SPEC.md §3.4).

APP-PUT-1 lists what a responder may answer a `PUTF` with: `RSFL {accept}`, or a
non-fatal `EROR` `forbidden`, `too_large`, `exists` or `unsupported`. Another
connection's put in progress is none of those reasons. A responder that serialises the
writers of its inbox ("one put at a time; try later") answers `busy` — fatal, and not in
that list — or makes the new put wait for the other to end; one whose "in progress" table
is keyed wrongly refuses names nobody holds. Here the other put is caught at each stage —
accepted with no data yet, part of its data sent, every byte sent but no `DONE` — and:

- a PUTF of ANOTHER fresh name, within every limit, MUST be accepted, and both puts are
  then stored and acknowledged (APP-PUT-5);
- neither is made to wait for the other put to end (LIM-5: one connection's slow sending
  must not keep the responder from serving another): an answer that comes only once the
  other put's idle timeout has passed waited for it;
- a PUTF of the SAME name MAY be accepted or answered `exists` (APP-PUT-8: a put in
  progress does not make its name exist), never a fatal answer; when it was accepted and
  the other put is stored first, it MUST end with `exists` instead of its `DONE`.

Both profiles. No timing is assumed: the second `PUTF` is sent once the first was
accepted, and each answer is awaited in turn.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_CHUNK = 32 * 1024
_SIZE = 3 * _CHUNK  # the other put: three DATA frames
_STAGES = ("accepted", "midway", "all-data")
_REFUSALS = ("forbidden", "too_large", "exists", "unsupported")


def _fail(what: str, expected: str, got: str, violates: tuple[str, ...], note: str) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=note)
    failure.violates = violates
    raise failure


def _offer(channel: Channel, name: str, data: bytes, stalled: float | None = None) -> str:
    """Sends PUTF; returns "accept", a refusal's name, or a description of anything else.

    `stalled`: the idle timeout of the other connection's stalled put. An answer that only
    comes once that much time has passed came when the responder ended the other put: this
    PUTF waited for another connection [LIM-5]."""
    channel.send_frame(
        "PUTF", {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    outcome = channel.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError(*_REFUSALS, then_close=False)]
    )
    if stalled is not None and outcome.elapsed >= stalled:
        _fail(
            f"LIM-5: PUTF {name!r} while another connection's put is stalled",
            "an answer that does not wait for the other connection",
            f"{outcome.describe()} after {outcome.elapsed:.2f} s, not before the other put's "
            f"idle timeout ({stalled:g} s) had passed",
            ("LIM-5",),
            "the responder made this request wait until the other connection's put ended",
        )
    frame = outcome.frame
    if outcome.ok and frame is not None:
        if frame.type == b"RSFL":
            return "accept"
        return frame.error_name or "EROR"
    return outcome.describe()


def _send_data(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _send_done(channel: Channel, data: bytes) -> None:
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def _receipt(channel: Channel, data: bytes) -> str | None:
    """None when the put was acknowledged with its own DONE; else what came instead."""
    outcome = channel.expect([ExpectFrame("DONE")])
    frame = outcome.frame
    if not outcome.ok or frame is None:
        return outcome.describe()
    meta = frame.json() or {}
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    got = {"size": meta.get("size"), "sha256": meta.get("sha256")}
    return None if got == want else f"DONE {got}, the put was {want}"


def _start_other(target: Target, app_channel: AppChannel, stage: str) -> tuple[Channel, str, bytes]:
    """A put of a fresh name, accepted and left at `stage`; (its channel, name, content)."""
    require(target, "put")
    if target.limits.max_file_size < _SIZE:
        pytest.skip(f"the maximum file size is below the {_SIZE} bytes this case puts")
    data = hashlib.sha256(stage.encode()).digest() * (_SIZE // 32)
    channel, name = app_channel(), fresh_name()
    answer = _offer(channel, name, data)
    if answer != "accept":
        _fail(
            f"APP-PUT-1: PUTF {name!r} ({_SIZE} bytes) on an idle responder",
            "RSFL {accept: true}: a fresh name within every limit",
            answer,
            ("APP-PUT-1",),
            "nothing else was in progress",
        )
    if stage == "midway":
        channel.send_frame("DATA", data[:_CHUNK])
    elif stage == "all-data":
        _send_data(channel, data)
    return channel, name, data


def _finish_other(channel: Channel, name: str, data: bytes, stage: str) -> None:
    sent = {"accepted": 0, "midway": _CHUNK, "all-data": _SIZE}[stage]
    _send_data(channel, data[sent:])
    _send_done(channel, data)
    problem = _receipt(channel, data)
    if problem is not None:
        _fail(
            f"APP-PUT-5: the put of {name!r}, in progress while another connection put",
            "DONE {size, sha256} of its own bytes",
            problem,
            ("APP-PUT-5",),
            "another connection's PUTF came while this put was in progress",
        )


@pytest.mark.req("APP-PUT-1", "APP-PUT-5", "LIM-5")
@pytest.mark.parametrize("stage", _STAGES)
def test_putf_of_another_name_beside_a_put_in_progress_is_accepted(
    target: Target, app_channel: AppChannel, stage: str
) -> None:
    """The other put at `stage`; a PUTF of another fresh name on a second connection is
    accepted, stored and acknowledged first; then the other put ends with its DONE."""
    other, other_name, other_data = _start_other(target, app_channel, stage)
    ours, name = app_channel(), fresh_name()
    data = f"beside a put that is {stage}\n".encode() * 40
    answer = _offer(ours, name, data, target.limits.idle_timeout)
    if answer != "accept":
        _fail(
            f"APP-PUT-1: PUTF {name!r} while the put of {other_name!r} is {stage} on another "
            "connection",
            "RSFL {accept: true}: a fresh name within every limit (another connection's put "
            "in progress is no reason APP-PUT-1 gives for a refusal)",
            answer,
            ("APP-PUT-1",),
            "busy (fatal) and a refusal of a name nobody holds are not APP-PUT-1's answers; a "
            "responder may store several puts at once",
        )
    _send_data(ours, data)
    _send_done(ours, data)
    problem = _receipt(ours, data)
    if problem is not None:
        _fail(
            f"APP-PUT-5: the put of {name!r}, made while the put of {other_name!r} is {stage}",
            "DONE {size, sha256} of its own bytes",
            problem,
            ("APP-PUT-5",),
            "the other connection's put was still in progress",
        )
    _finish_other(other, other_name, other_data, stage)


@pytest.mark.req("APP-PUT-1", "APP-PUT-8", "LIM-5")
def test_putf_of_the_same_name_beside_its_put_in_progress(
    target: Target, app_channel: AppChannel
) -> None:
    """The other put midway; a PUTF of the SAME name on a second connection: accepted or
    `exists` (non-fatal). Accepted, it sends all its bytes; the other put is stored first,
    so its DONE MUST be answered `exists`. Refused, its connection takes a put of a fresh
    name."""
    other, name, other_data = _start_other(target, app_channel, "midway")
    ours = app_channel()
    data = b"the same name, other bytes\n" * 64
    answer = _offer(ours, name, data, target.limits.idle_timeout)
    if answer not in ("accept", "exists"):
        _fail(
            f"APP-PUT-1: PUTF {name!r} while a put of that name is midway on another connection",
            "RSFL {accept: true} or EROR exists (non-fatal; APP-PUT-8: either)",
            answer,
            ("APP-PUT-1",),
            "busy (fatal) is not one of APP-PUT-1's answers",
        )
    if answer == "accept":
        _send_data(ours, data)
    _finish_other(other, name, other_data, "midway")
    if answer == "accept":
        _send_done(ours, data)
        outcome = ours.expect(ExpectError("exists", then_close=False))
        if not outcome.ok:
            _fail(
                f"APP-PUT-8: the second put of {name!r}, whose DONE came after the first put "
                "was stored",
                "EROR exists instead of its DONE",
                outcome.describe(),
                ("APP-PUT-8",),
                "the first put to be verified and stored wins",
            )
        return
    fresh, fresh_data = fresh_name(), b"after an exists\n"
    follow = _offer(ours, fresh, fresh_data)
    if follow != "accept":
        _fail(
            f"APP-PUT-1: PUTF {fresh!r} after the PUTF of {name!r} was answered exists",
            "RSFL {accept: true}: exists is non-fatal and the name is fresh",
            follow,
            ("APP-PUT-1",),
            "the connection returns to IDLE after a non-fatal EROR",
        )
    _send_data(ours, fresh_data)
    _send_done(ours, fresh_data)
    problem = _receipt(ours, fresh_data)
    if problem is not None:
        _fail(
            f"APP-PUT-1: the put of {fresh!r} after an exists",
            "DONE {size, sha256} of its own bytes",
            problem,
            ("APP-PUT-1",),
            "the connection returns to IDLE after a non-fatal EROR",
        )
