"""A non-fatal refusal is a request like any other: the connection stays usable, and the
request renews the idle timeout (both profiles; docs/SPEC.md APP-NAME-6, ERR-2, ERR-3,
LIM-2).

* APP-NAME-6: "the answer to a refused name MUST NOT reveal whether a file of that name
  exists outside the share — neither in its code nor in its message". The fate of the
  connection is part of the answer: a responder that refuses every link out of the share
  `forbidden` but then closes the connection when the link's target is missing (an
  exception path taken while it looks where the link leads) tells an eavesdropper — and
  the initiator — what exists out there, and breaks ERR-2 (`forbidden` is non-fatal:
  ERR-3, the connection returns to IDLE). Each declared `escape_symlinks` name (list a
  dangling one too) is asked for on one connection, each followed by a get of a known
  file on the same connection, which must be served.
* LIM-2: the idle timeout counts from the initiator's last byte. A request answered with
  a non-fatal `EROR` (`not_found`, `forbidden`, a put refused `too_large`) is bytes sent:
  it renews the timeout like a completed transfer does. A responder that stamps a
  session's activity only when a transfer completes closes an initiator that asks for
  missing names for longer than the idle timeout. The case sends such requests at pauses
  of 60 % of the idle timeout for more than twice the idle timeout (each pause a read that
  must see nothing: no close, no EROR timeout), then a get of a known file that must be
  served.

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    TimedOut,
    deadline_after,
)

__all__: list[str] = []

_LONGEST_IDLE = 10.0  # a longer idle timeout is too long for the pacing case


def _served_after(channel: Channel, target: Target, what: str, requirement: str) -> None:
    """A get of a known file on `channel` is served (the connection is usable)."""
    file = known_file(target)
    try:
        result = get_file(channel, file.name)
    except ConformanceFailure as exc:
        failure = ConformanceFailure.evidence(
            f"{requirement}: {what}; then RQFL {file.name!r} on the same connection",
            "the file served: a non-fatal refusal returns the connection to IDLE (ERR-2, "
            "ERR-3)",
            str(exc).splitlines()[-1][:300],
        )
        failure.violates = (requirement, "ERR-3")
        raise failure from None
    if result.data is None or len(result.data) != file.size:
        raise ConformanceFailure(f"{requirement}: RQFL {file.name!r} after {what}: not served")


@pytest.mark.req("APP-NAME-6", "ERR-2", "ERR-3")
def test_every_link_refusal_leaves_the_connection_usable(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    names = [str(n) for n in target.extra.get("escape_symlinks", [])]
    if not names:
        pytest.skip("the target file lists no escape_symlinks")
    # Both orders: a close after one kind of link shows whichever comes first.
    for order in (names, list(reversed(names))):
        channel = app_channel()
        for name in order:
            what = f"RQFL {name!r} (through a symbolic link out of the share)"
            channel.send_frame("RQFL", {"name": name})
            channel.expect([ExpectError("forbidden")]).check(f"APP-NAME-4: {what}")
            _served_after(channel, target, f"{what} answered forbidden", "APP-NAME-6")


def _pause(channel: Channel, seconds: float, what: str) -> None:
    """Waits `seconds` for nothing: the responder must neither close nor time out."""
    event = channel.recv_frame(deadline_after(seconds))
    if not isinstance(event, TimedOut):
        failure = ConformanceFailure.evidence(
            f"LIM-2: {what}",
            "nothing during a pause shorter than the idle timeout since the last request",
            event.describe(),
            note="a refused request is bytes from the initiator: it renews the idle timeout",
        )
        failure.violates = ("LIM-2",)
        raise failure


@pytest.mark.req("LIM-2", "ERR-3")
def test_refused_requests_renew_the_idle_timeout(target: Target, app_channel: AppChannel) -> None:
    require(target, "get")
    idle = target.limits.idle_timeout
    if idle > _LONGEST_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    gap = idle * 0.6
    requests: list[tuple[str, dict[str, object], tuple[str, ...]]] = [
        ("RQFL", {"name": fresh_name("sft-missing")}, ("not_found",)),
        ("RQFL", {"name": "../" + fresh_name("sft-refused")}, ("forbidden",)),
        ("RQFL", {"name": fresh_name("sft-missing")}, ("not_found",)),
    ]
    if target.has("put"):
        offer = {"name": fresh_name("sft-too-large"), "size": target.limits.max_file_size + 1}
        requests.append(("PUTF", offer, ("too_large",)))
    channel = app_channel(timeout=idle * 3 + 5.0)
    started = time.monotonic()
    last = started
    for frame_type, payload, codes in requests:
        what = (
            f"after {time.monotonic() - started:.2f} s of requests answered with non-fatal "
            f"EROR at pauses of {gap:.2f} s (idle timeout {idle:g} s)"
        )
        _pause(channel, gap - (time.monotonic() - last), what)
        channel.send_frame(frame_type, payload)
        last = time.monotonic()
        answer = channel.expect([ExpectError(*codes)])
        if not answer.ok:
            failure = ConformanceFailure.evidence(
                f"LIM-2: {frame_type} {payload}, {what}",
                f"EROR {'|'.join(codes)} (non-fatal)",
                answer.describe(),
                note="each request renews the idle timeout: the connection was idle for at "
                "most the pause",
            )
            failure.violates = ("LIM-2",)
            raise failure
    _pause(channel, gap - (time.monotonic() - last), "before the final get")
    _served_after(
        channel,
        target,
        f"{len(requests)} refused requests over {time.monotonic() - started:.2f} s "
        f"(idle timeout {idle:g} s)",
        "LIM-2",
    )
