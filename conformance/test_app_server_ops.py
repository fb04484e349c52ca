"""The responder as a program people run: its share, its inbox and its slots (B31, s9).

Three mistakes of an implementation that works on the paths its authors walk every day:

* a directory that appears in the share (someone runs `mkdir` in it) answered
  `forbidden` ("not a file you may read") or served: APP-GET-2 says a name that denotes
  a directory MUST be answered `not_found`, and the connection stays usable. The case
  makes the directories itself when the target declares its `share` on the suite's host
  (test_app_get.py judges only the directories a target file lists).
* a put whose last component has exactly 255 UTF-8 bytes (APP-NAME-1's limit) fails
  because the responder builds its temporary file's name from the final name
  (`.sft-partial-NAME-…` is longer than the file system's 255-byte limit): APP-NAME-7,
  a name within the limits MUST NOT be refused for its length. (The get cases of
  test_app_names.py never create a file, so they cannot see it.)
* a connection that never completes its handshake (the client vanishes, or sends
  bytes that are no handshake) keeps its slot: after `max_connections` of them the
  responder refuses everyone for good. LIM-4: "MUST accept again once connections end".
  The case ends such connections one after another (never more than one open), then
  opens an honest channel: it must be admitted and served.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    get_file,
    known_file,
    put_file,
    require,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []


# -- a directory made in the share ------------------------------------------------------------
@pytest.mark.req("APP-GET-2")
def test_directory_made_in_the_share_is_not_found(
    target: Target, app_channel: AppChannel
) -> None:
    """A directory (top level, and nested under a subdirectory) is `not_found`, never
    `forbidden` nor served, and the connection serves the next request."""
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    top = f"sft-conformance-dir-{secrets.token_hex(4)}"
    nested = f"{top}/inner"
    try:
        (share / top / "inner").mkdir(parents=True)
    except OSError as exc:
        pytest.skip(f"cannot make a directory in the declared share: {exc}")
    try:
        channel = app_channel()
        for name in (top, nested):
            result = get_file(channel, name, also=[ExpectError("not_found")], served=False)
            if result.refused is None:
                raise ConformanceFailure(f"APP-GET-2: the directory {name!r} was served")
        # Non-fatal: the same connection still serves a get.
        get_file(
            channel,
            f"sft-conformance-no-such-{secrets.token_hex(4)}",
            also=[ExpectError("not_found")],
            served=False,
        )
    finally:
        with contextlib.suppress(OSError):
            (share / top / "inner").rmdir()
        with contextlib.suppress(OSError):
            (share / top).rmdir()


# -- a put of the longest basename ------------------------------------------------------------
def _basename_of(size: int, char: str) -> str:
    head = f"sft-conformance-{secrets.token_hex(4)}-"
    width = len(char.encode("utf-8"))
    count = (size - len(head)) // width
    name = head + char * count
    return name + "x" * (size - len(name.encode("utf-8")))


@pytest.mark.req("APP-NAME-7")
@pytest.mark.parametrize("char", ["a", "é"])
def test_put_of_a_255_byte_basename_is_stored(
    target: Target, app_channel: AppChannel, char: str
) -> None:
    """A put whose name is one component of exactly 255 UTF-8 bytes is accepted and
    stored (RSFL accept, then DONE): never refused, failed or cut off for its length."""
    require(target, "put")
    name = _basename_of(255, char)
    assert len(name.encode("utf-8")) == 255
    data = os.urandom(1000)
    try:
        answer, final = put_file(app_channel(), name, data)
        if answer.frame is not None and answer.frame.error_name == "unsupported":
            pytest.skip("the responder answers puts `unsupported`")
        if not answer.ok or answer.frame is None or answer.frame.type != b"RSFL":
            raise ConformanceFailure(
                f"APP-NAME-7: PUTF of a 255-byte name ({char!r} …)\n"
                "Expected: RSFL accept (the name is within APP-NAME-1's limits)\n"
                + answer.describe()
            )
        if final is None or not final.ok or final.frame is None or final.frame.type != b"DONE":
            raise ConformanceFailure(
                f"APP-NAME-7: the put of a 255-byte name ({char!r} …) was accepted, then\n"
                "Expected: DONE (stored under its name)\n"
                + (final.describe() if final is not None else "Actual:   nothing")
            )
    finally:
        if target.inbox is not None:
            with contextlib.suppress(OSError):
                (target.inbox / name).unlink()


# -- slots of connections that never completed their handshake --------------------------------
_MOST = 64  # at most this many connections are opened (the SPEC's default max_connections)
_FIRST_BYTES = (b"", b"GET / HTTP/1.0\r\n\r\n", os.urandom(48))


def _abandoned_handshake(host: str, port: int, first: bytes, budget: float) -> str:
    """Connects, sends `first` (maybe nothing), ends its side, and waits until the
    responder closes; returns how it ended (for the evidence)."""
    deadline = time.monotonic() + budget
    with socket.create_connection((host, port), timeout=budget) as sock:
        if first:
            with contextlib.suppress(OSError):
                sock.sendall(first)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        got = 0
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                return f"still open after {budget:g} s ({got} bytes received)"
            except OSError as exc:
                return f"reset ({exc.strerror or exc}) after {got} bytes"
            if not chunk:
                return f"closed after {got} bytes"
            got += len(chunk)
        return f"still open after {budget:g} s ({got} bytes received)"


@pytest.mark.xdist_group("slots")
@pytest.mark.req("LIM-4")
def test_slots_of_abandoned_handshakes_come_back(
    target: Target, app_channel: AppChannel
) -> None:
    """More connections than `max_connections` (and than LIM-8's per-address cap), each
    abandoned in its handshake and ended before the next opens; then an honest channel
    is admitted and served."""
    slots = target.limits.max_connections
    per_address = target.limits.max_pending_per_address or 8
    count = max(slots, per_address) + 2
    if count > _MOST + 2:
        pytest.skip(f"max_connections {slots} is above the {_MOST} connections the case opens")
    file = known_file(target)
    budget = target.limits.handshake_timeout + 5.0
    endings: list[str] = []
    for index in range(count):
        try:
            endings.append(
                _abandoned_handshake(
                    target.host, target.port, _FIRST_BYTES[index % len(_FIRST_BYTES)], budget
                )
            )
        except OSError as exc:
            endings.append(f"connect failed: {exc.strerror or exc}")
    for attempt in range(2):
        try:
            channel = app_channel()
        except Exception as exc:  # the evidence is the exception
            shown = "; ".join(f"{i + 1}: {e}" for i, e in enumerate(endings[-4:]))
            raise ConformanceFailure(
                f"LIM-4: {count} connections (max_connections {slots}, per-address cap "
                f"{per_address}) abandoned in their handshake, one at a time, each ended "
                f"before the next (last ones: {shown}); then a new channel "
                f"(attempt {attempt + 1})\n"
                "Expected: admitted and served: the ended connections' slots are free\n"
                f"Actual:   {type(exc).__name__}: {exc}",
                violates=("LIM-4",),
            ) from None
        get_file(channel, file.name)
        channel.close()
