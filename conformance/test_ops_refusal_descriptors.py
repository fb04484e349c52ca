"""LIM-5: a refused request gives back what it opened — a thousand times over.

A responder opens things to judge a request: the file to learn its size (a get refused
`too_large`), the directories of a name one component at a time (a get of a missing file
inside a directory, a directory, a name through a symbolic link), the inbox entry to
learn that a name exists (a put refused `exists`). Code that closes them on the path
that serves the request and forgets the refusal leaks one file descriptor per refused
request; a Python server's reference counting hides it, a C, Go, Java or Node server
keeps it. Nothing shows until the process reaches its descriptor limit (1024, the usual
soft limit of a service): then `accept` fails and the responder serves nobody (LIM-5: it
"MUST keep serving other connections, and accept new ones, whatever one connection
sends").

The case sends, on one authenticated connection, 1100 requests of each refused kind the
target's facts allow (pipelined, in batches; APP-2), checks that each kind is answered
the same way every time (a responder that runs out of descriptors starts answering
otherwise: `not_found` for a file it cannot open, `internal`, a close), closes the
connection, and then opens a new one and gets a known file: it must be served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

__all__: list[str] = []

_REPEATS = 1100  # above 1024 descriptors: one leaked per refusal exhausts them
_BATCH = 100  # requests in flight at once (pipelined, APP-2)
_REFUSALS = ("forbidden", "not_found", "too_large", "exists", "unsupported")


@dataclass(frozen=True)
class _Kind:
    label: str
    frame: str
    payload: dict[str, object]


def _kinds(target: Target, channel: Channel) -> list[_Kind]:
    kinds = [_Kind("get of a missing file", "RQFL", {"name": fresh_name("ops-fd-missing")})]
    for name in [str(n) for n in target.extra.get("too_large", [])][:1]:
        kinds.append(_Kind(f"get of {name!r} (too_large)", "RQFL", {"name": name}))
    for directory in [str(n) for n in target.extra.get("directories", [])][:1]:
        kinds.append(_Kind(f"get of the directory {directory!r}", "RQFL", {"name": directory}))
        inside = f"{directory}/{fresh_name('ops-fd-missing')}"
        kinds.append(_Kind(f"get of {inside!r} (missing, inside a directory)", "RQFL",
                           {"name": inside}))
    for name in [str(n) for n in target.extra.get("escape_symlinks", [])][:1]:
        kinds.append(_Kind(f"get of {name!r} (through a symbolic link)", "RQFL", {"name": name}))
    if target.has("put"):
        stored = _stored_name(channel)
        if stored is not None:
            kinds.append(_Kind(f"put of the existing {stored!r}", "PUTF",
                               {"name": stored, "size": 1}))
    return kinds


def _stored_name(channel: Channel) -> str | None:
    """A name the inbox holds: an honest put of one byte (None if it is refused)."""
    name = fresh_name("ops-fd-exists")
    data = b"x"
    channel.send_frame("PUTF", {"name": name, "size": 1})
    answer = channel.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError(*_REFUSALS)]
    ).check(f"PUTF {name!r} (to make a name exist)")
    if answer.frame is None or answer.frame.type != b"RSFL":
        return None
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": 1, "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
    return name


def _repeat(channel: Channel, kind: _Kind, fail: Callable[[str, str], ConformanceFailure]) -> None:
    first: str | None = None
    done = 0
    while done < _REPEATS:
        batch = min(_BATCH, _REPEATS - done)
        for _ in range(batch):
            channel.send_frame(kind.frame, kind.payload)
        for _ in range(batch):
            outcome = channel.expect([ExpectError(*_REFUSALS)])
            frame = outcome.frame
            answer = frame.error_name if isinstance(frame, ReceivedFrame) else None
            if not outcome.ok or answer is None:
                if first is None:
                    pytest.skip(f"{kind.label}: not answered with a non-fatal refusal: "
                                f"{outcome.describe()}")
                raise fail(
                    f"{kind.label}, request {done + 1} of {_REPEATS}",
                    f"{outcome.describe()} (the first {done} were answered {first})",
                )
            if first is None:
                first = answer
            elif answer != first:
                raise fail(
                    f"{kind.label}, request {done + 1} of {_REPEATS}",
                    f"EROR {answer} (the first {done} were answered EROR {first})",
                )
            done += 1


@pytest.mark.req("LIM-5")
def test_refused_requests_leave_the_responder_able_to_serve(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    known = known_file(target)
    channel = app_channel(timeout=30.0)

    def fail(where: str, actual: str) -> ConformanceFailure:
        return ConformanceFailure.evidence(
            f"LIM-5: {where}, the same request repeated on one connection",
            "the same non-fatal refusal every time: refusing a request frees what judging "
            "it took (a file descriptor)",
            actual,
            note="a responder answering otherwise after about a thousand refusals has "
            "run out of something each refusal kept",
        )

    kinds = _kinds(target, channel)
    for kind in kinds:
        _repeat(channel, kind, fail)
    channel.close()
    labels = ", ".join(k.label for k in kinds)
    try:
        fresh = app_channel(timeout=15.0)
        result = get_file(fresh, known.name, also=[ExpectError(*_REFUSALS)])
    except ConformanceFailure as exc:
        raise ConformanceFailure.evidence(
            f"LIM-5: a new connection and a get of {known.name!r}, after {_REPEATS} "
            f"refused requests of each kind ({labels}) on another connection, now closed",
            "a new connection accepted and the known file served",
            str(exc)[:600],
            note="each refused request kept a file descriptor: the responder can no "
            "longer accept connections or open files",
        ) from None
    if result.refused is not None or hashlib.sha256(result.data).hexdigest() != known.sha256:
        raise ConformanceFailure.evidence(
            f"LIM-5: a get of {known.name!r} on a new connection, after {_REPEATS} refused "
            f"requests of each kind ({labels}) on another connection, now closed",
            f"{known.name!r} served ({known.size} bytes, sha256 {known.sha256[:16]}...)",
            result.first.describe(),
            note="each refused request kept a file descriptor: the responder can no "
            "longer open the files it serves",
        )
