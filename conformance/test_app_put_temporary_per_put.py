"""Each put has a temporary of its own, whatever its name (docs/SPEC.md §3.6 APP-STORE-1).

APP-STORE-1: a receiver writes a put to `.sft-partial-` followed by a *random* part,
created exclusively, "whose name cannot collide with a final name". A temporary whose
name is derived from the put's final name — `.sft-partial-<name>` (a debugging aid: the
operator sees what is arriving), or a digest of the name — is not a random part, and it
shows on the wire in two ways, both checked here:

- Two puts of one name at once. A put in progress does not make its name exist
  (APP-PUT-8): the second `PUTF` of the name, on another connection while the first put
  is in progress, MAY be accepted or answered `exists` — nothing else. A temporary named
  after the final name is already there, so the responder's exclusive create fails and it
  answers `internal` or closes. When both are accepted, the first put verified is stored
  and the other answered `exists` instead of its `DONE` (APP-PUT-8).
- A put of a name whose last component is 255 bytes (APP-NAME-1's limit, stored under
  that basename, APP-PUT-2): `.sft-partial-` plus that component is longer than a file
  name may be (NAME_MAX, 255 bytes), so a derived temporary cannot even be created. The
  put MUST be accepted and stored (ASCII, and two-byte UTF-8 characters).

(Different names with one content at once, and counters per connection:
test_app_put_concurrent.py.) Both profiles; files put are removed from the inbox when the
target declares it.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame

__all__: list[str] = []

_CHUNK: Final = 32 * 1024
_DATA: Final = hashlib.sha256(b"one name, two puts").digest() * (96 * 1024 // 32)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _offer(channel: Channel, name: str, data: bytes) -> ReceivedFrame | None:
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    outcome = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    return outcome.frame if outcome.ok else None


def _finish(channel: Channel, data: bytes) -> ReceivedFrame | None:
    channel.send_frame("DONE", {"size": len(data), "sha256": _digest(data)})
    outcome = channel.expect([ExpectFrame("DONE"), ExpectError()])
    return outcome.frame if outcome.ok else None


def _send(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _shown(frame: ReceivedFrame | None) -> str:
    return "nothing (the connection ended or timed out)" if frame is None else frame.describe()


def _accepted(frame: ReceivedFrame | None) -> bool:
    return frame is not None and frame.type == b"RSFL"


def _remove(target: Target, name: str) -> None:
    inbox = target.inbox
    if inbox is not None and inbox.is_dir():
        (inbox / name.rsplit("/", 1)[-1]).unlink(missing_ok=True)


@pytest.mark.req("APP-STORE-1", "APP-PUT-8")
def test_second_put_of_one_name_while_the_first_is_in_progress(
    target: Target, app_channel: AppChannel
) -> None:
    """Connection A offers a fresh name and sends part of its data; connection B offers
    the same name: accepted or `exists`. A completes: stored (`DONE`). B, when accepted,
    completes too: `exists` instead of its `DONE`."""
    require(target, "put")
    if target.limits.max_file_size < len(_DATA):
        pytest.skip("the maximum file size is below the 96 KiB this case puts")
    name = fresh_name("sft-one-name-two-puts")
    first, second = app_channel(), app_channel()
    try:
        answer = _offer(first, name, _DATA)
        if not _accepted(answer):
            raise ConformanceFailure.evidence(
                f"APP-STORE-1: the first PUTF of the fresh name {name!r}",
                "RSFL {accept: true}: a fresh name, within every limit",
                _shown(answer),
            )
        _send(first, _DATA[:_CHUNK])
        rival = _offer(second, name, _DATA)
        if not _accepted(rival) and (rival is None or rival.error_name != "exists"):
            failure = ConformanceFailure.evidence(
                f"APP-STORE-1: PUTF {name!r} on a second connection while a put of that name "
                "is in progress (part of its data sent)",
                "RSFL {accept: true} or EROR exists (APP-PUT-8: either)",
                _shown(rival),
                note="a temporary named after the final name (.sft-partial-<name>) or derived "
                "from it already exists for the first put: the exclusive create of the second "
                "one fails (APP-STORE-1: a random part that cannot collide)",
            )
            failure.violates = ("APP-STORE-1",)
            raise failure
        _send(first, _DATA[_CHUNK:])
        stored = _finish(first, _DATA)
        if stored is None or stored.type != b"DONE":
            failure = ConformanceFailure.evidence(
                f"APP-STORE-1: the first put of {name!r} completed (all its data, then DONE) "
                "while a second put of the name was offered on another connection",
                "DONE {size, sha256}: the first put verified is stored (APP-PUT-8)",
                _shown(stored),
                note="the second put's temporary must not have touched the first one's",
            )
            failure.violates = ("APP-STORE-1", "APP-PUT-8")
            raise failure
        if _accepted(rival):
            other = b"the second put, other bytes\n" * 64
            # Its announced size is _DATA's: send that many bytes of its own.
            other = (other * (len(_DATA) // len(other) + 1))[: len(_DATA)]
            _send(second, other)
            late = _finish(second, other)
            if late is None or late.error_name != "exists":
                failure = ConformanceFailure.evidence(
                    f"APP-PUT-8: the second put of {name!r}, accepted while the first was in "
                    "progress, completed after the first was stored",
                    "EROR exists instead of DONE (the first put stored wins)",
                    _shown(late),
                )
                failure.violates = ("APP-PUT-8",)
                raise failure
    finally:
        first.close()
        second.close()
        _remove(target, name)


_LONG: Final = {
    "ascii": lambda tag: f"sft-long-{tag}-".ljust(255, "x"),
    "two-byte-utf8": lambda tag: f"sft-long-{tag}-" + "\u00e9" * ((255 - 18) // 2) + "y",
    "under-a-directory": lambda tag: "some/dir/" + f"sft-long-{tag}-".ljust(255, "z"),
}


@pytest.mark.req("APP-STORE-1", "APP-PUT-2")
@pytest.mark.parametrize("shape", sorted(_LONG))
def test_put_of_a_255_byte_basename_is_stored(
    target: Target, app_channel: AppChannel, shape: str
) -> None:
    """A valid name whose last component is exactly 255 UTF-8 bytes: accepted, stored."""
    require(target, "put")
    name = _LONG[shape](secrets.token_hex(4))
    base = name.rsplit("/", 1)[-1]
    assert len(base.encode()) == 255 and len(name.encode()) <= 4096, (shape, len(base.encode()))
    data = f"a put under a 255-byte basename ({shape})\n".encode() * 8
    channel = app_channel()
    try:
        answer = _offer(channel, name, data)
        done = None
        if _accepted(answer):
            _send(channel, data)
            done = _finish(channel, data)
        if done is None or done.type != b"DONE":
            failure = ConformanceFailure.evidence(
                f"APP-STORE-1: put of a name whose last component is 255 bytes ({shape})",
                "RSFL {accept: true}, then DONE once stored (APP-NAME-1: a component of up "
                "to 255 bytes is valid; APP-PUT-2: stored under its basename)",
                f"PUTF answered {_shown(answer)}"
                + ("" if not _accepted(answer) else f"; DONE answered {_shown(done)}"),
                note="a temporary named .sft-partial-<basename> is 268 bytes long: above "
                "NAME_MAX, it cannot be created (APP-STORE-1 wants a random part)",
            )
            failure.violates = ("APP-STORE-1", "APP-PUT-2")
            raise failure
    finally:
        channel.close()
        _remove(target, name)
