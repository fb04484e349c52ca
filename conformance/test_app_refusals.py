"""After a non-fatal refusal the responder is idle again (docs/SPEC.md ERR-3, APP-2); both
profiles.

ERR-2 marks `forbidden`, `not_found`, `too_large`, `exists` and `unsupported` non-fatal, and
ERR-3 says the connection then returns to the idle state. The wrong implementations this
catches: one that closes after every EROR it sends (or after those of one path only: a
get's name check, a put's size check, the inbox's `exists`), and one that, after a
refusal, drops what the initiator had already pipelined behind the refused request. Each
kind of refusal the target can be led to is probed on ONE connection, each followed by a
get that must be served; a second pass pipelines the refused request and the get in one
write.

Oracle: the answer to the refused request is not judged here (other cases check which
code it must be); only what follows a NON-FATAL one is. A target that serves the request
instead, or refuses it fatally, simply yields no probe of ERR-3 for that kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, put_file
from conformance.channel import Channel
from conformance.scenario import send_split_frames
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    control,
    frame_bytes,
)

_NON_FATAL: Final = frozenset({"forbidden", "not_found", "too_large", "exists", "unsupported"})
_MAX_FRAMES: Final = 4096  # bounds every drain loop (a get of at most 64 KiB here)


@dataclass(frozen=True)
class _Probe:
    """A request the target should refuse without closing: what it is and its frame."""

    what: str
    frame: bytes


def _rqfl(name: str) -> bytes:
    return frame_bytes("RQFL", control({"name": name}))


def _putf(name: str, size: int) -> bytes:
    return frame_bytes("PUTF", control({"name": name, "size": size}))


def _probes(target: Target, channel_for_setup: Callable[[], Channel]) -> list[_Probe]:
    probes = [
        _Probe("a get of a missing file", _rqfl(fresh_name("sft-conformance-missing"))),
        _Probe("a get of a name with a '..' component", _rqfl("../sft-conformance-x")),
        _Probe("a get of an absolute name", _rqfl("/sft-conformance-x")),
    ]
    for name in [str(n) for n in target.extra.get("directories", [])][:1]:
        probes.append(_Probe(f"a get of the directory {name!r}", _rqfl(name)))
    for name in [str(n) for n in target.extra.get("too_large", [])][:1]:
        probes.append(_Probe(f"a get of {name!r}, above the max file size", _rqfl(name)))
    if target.has("put"):
        probes += [
            _Probe("a put named with a '..' component", _putf("../" + fresh_name(), 1)),
            _Probe("a put of a reserved .sft-partial- name", _putf(".sft-partial-conformance", 1)),
            _Probe(
                "a put above the max file size",
                _putf(fresh_name(), target.limits.max_file_size + 1),
            ),
        ]
        stored = fresh_name()
        _offer, final = put_file(channel_for_setup(), stored, b"sft-exists")
        if final is not None and final.frame is not None and final.frame.type == b"DONE":
            probes.append(_Probe("a put of a name already stored", _putf(stored, 1)))
    return probes


def _first_answer(channel: Channel) -> ReceivedFrame | None:
    event = channel.recv_frame()
    return event if isinstance(event, ReceivedFrame) else None


def _drain_get(channel: Channel) -> bool:
    """After an RSFL: reads DATA* DONE; False if the get did not end with DONE."""
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type not in (b"DATA", b"DONE"):
            return False
        if event.type == b"DONE":
            return True
    return False


def _is_non_fatal_refusal(frame: ReceivedFrame | None) -> bool:
    return frame is not None and frame.type == b"EROR" and frame.error_name in _NON_FATAL


def _check_get_served(channel: Channel, after: str, name: str, how: str) -> None:
    """The get of `name` just sent must be answered RSFL ... DONE [ERR-3]."""
    event = channel.recv_frame()
    if isinstance(event, ReceivedFrame) and event.type == b"RSFL" and _drain_get(channel):
        return
    failure = ConformanceFailure.evidence(
        f"ERR-3: {after}, then a get of the known file {name!r} on the same connection ({how})",
        "the refusal is non-fatal: the connection is idle again and the get is served "
        "(RSFL, DATA*, DONE)",
        event.describe(),
        "closing after a non-fatal EROR, or dropping the requests that follow it, breaks ERR-3",
    )
    failure.violates = ("ERR-3",)
    raise failure


def _check_error_well_formed(answer: ReceivedFrame, what: str) -> None:
    """The refusal's EROR carries a code of the table and that code's name [ERR-1]: a
    responder whose code or name is wrong on one path (an `exists` sent as 13, a name
    spelt differently) shows it only when that path is taken."""
    problems = answer.violations()
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-1: {what}",
            "an EROR whose code is in the table of ERR-2 and whose name is that code's",
            f"{answer.describe(200)}: {'; '.join(problems)}",
        )
        failure.violates = ("ERR-1",)
        raise failure


@pytest.mark.req("ERR-3", "APP-2", "ERR-1")
def test_every_non_fatal_refusal_leaves_the_connection_idle(
    target: Target, app_channel: AppChannel
) -> None:
    """Each kind of refusal (get: missing, '..', absolute, directory, too large; put: '..',
    reserved name, too large, exists), one after another on one connection, each followed
    by a get of a known file that must be served. Every EROR on the way is well-formed."""
    known = known_file(target)
    if known.size > 64 * 1024:
        known = next((f for f in target.files if 0 < f.size <= 64 * 1024), known)
    channel = app_channel()
    probed = 0
    for probe in _probes(target, app_channel):
        channel.send_raw(probe.frame)
        answer = _first_answer(channel)
        if answer is not None and answer.type == b"EROR":
            _check_error_well_formed(answer, probe.what)
        if not _is_non_fatal_refusal(answer):
            # Served, refused fatally or closed: not this case's question (other cases
            # judge the answer); carry on with a fresh connection.
            if answer is not None and answer.type == b"RSFL" and probe.frame[:4] == b"RQFL":
                if _drain_get(channel):
                    continue
            channel.close()
            channel = app_channel()
            continue
        assert answer is not None
        probed += 1
        channel.send_frame("RQFL", {"name": known.name})
        _check_get_served(
            channel, f"{probe.what} answered {answer.describe(80)}", known.name, "sent after it"
        )
    if not probed:
        pytest.skip("the target refused none of the probes with a non-fatal EROR")


@pytest.mark.req("ERR-3", "APP-2")
def test_requests_pipelined_behind_a_refused_one_are_served(
    target: Target, app_channel: AppChannel
) -> None:
    """The refused request and a get of a known file in one write (the get already
    buffered when the refusal is sent): the get must still be answered, in order."""
    known = known_file(target)
    if known.size > 64 * 1024:
        known = next((f for f in target.files if 0 < f.size <= 64 * 1024), known)
    refused = [_rqfl(fresh_name("sft-conformance-missing"))]
    if target.has("put"):
        refused.append(_putf("../" + fresh_name(), 1))
    channel = app_channel()
    probed = 0
    for frame in refused:
        send_split_frames(channel, [frame, _rqfl(known.name)], [1 << 30])
        answer = _first_answer(channel)
        if not _is_non_fatal_refusal(answer):
            # The answer to the refused request itself is other cases' question.
            channel.close()
            channel = app_channel()
            continue
        assert answer is not None
        probed += 1
        _check_get_served(
            channel,
            f"{frame[:4].decode()} {frame[8:72]!r} answered {answer.describe(80)}",
            known.name,
            "pipelined in the same write",
        )
    if not probed:
        pytest.skip("the target refused none of the probes with a non-fatal EROR")


@pytest.mark.req("ERR-3", "APP-2")
def test_a_put_after_a_refused_put_is_stored(target: Target, app_channel: AppChannel) -> None:
    """A refused put (too large) does not leave the put path half-open: the next put on
    the connection is accepted, its data stored and acknowledged."""
    if not target.has("put"):
        pytest.skip("the target does not accept puts")
    channel = app_channel()
    channel.send_raw(_putf(fresh_name(), target.limits.max_file_size + 1))
    answer = _first_answer(channel)
    if not _is_non_fatal_refusal(answer):
        pytest.skip(f"the oversize put was not refused non-fatally: {answer!r}")
    assert answer is not None
    data = b"sft-after-refusal"
    offer, final = put_file(channel, fresh_name(), data)
    done = final.frame if final is not None else None
    if (
        done is None
        or done.type != b"DONE"
        or (done.json() or {}).get("sha256") != hashlib.sha256(data).hexdigest()
    ):
        failure = ConformanceFailure.evidence(
            f"ERR-3: a put above the max file size answered {answer.describe(80)}, then a "
            f"put of {len(data)} bytes on the same connection",
            "RSFL {accept}, then DONE with the data's size and SHA-256",
            (final or offer).describe(),
        )
        failure.violates = ("ERR-3",)
        raise failure
