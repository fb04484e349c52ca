"""A get's DONE carries the digest of the bytes SENT, also when the file changes while it
is sent (SPEC §3.3 APP-GET-2, APP-GET-3); both profiles.

APP-GET-2: the responder answers "`RSFL {name, size}` (and MAY include `sha256`) followed
by exactly `size` bytes in `DATA` frames and a `DONE {size, sha256}` carrying the SHA-256
of the bytes sent". Files in a share change (a log being written, an editor saving in
place). A responder that computes the digest from the file BEFORE it sends (to fill the
optional RSFL.sha256, or from a digest kept beside the file) and puts that one in DONE
tells the initiator the digest of other bytes: an honest initiator then refuses a transfer
that arrived intact (APP-GET-3), and a file that changes in its tail can never be
fetched. Hashing as it sends (or reading the whole file first, then sending those bytes)
keeps DONE the digest of the bytes sent; ending the get with a fatal EROR when the
responder notices the change is conforming too. What is not: a DONE whose size or sha256
is not that of the bytes that came.

The case writes a file of 8 MiB (or the target's max file size, at least 2 MiB: two 1 MiB
DATA frames) into the declared share, asks for it, and reads the RSFL only: a responder
that streams is then held by the full socket buffers long before the tail. The file's
last 64 KiB are then rewritten in place (same size), and the rest of the get is read.
Needs a `share` on this host the suite can write to. (With a max file size of 2 MiB the
kernel's buffers may take the first MiB whole, and a responder then reads the old tail
before it is rewritten: the case can only PASS then, never fail a conforming responder.)
"""

from __future__ import annotations

import hashlib
import secrets

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, ReceivedFrame, deadline_after

_MIN_SIZE = 2 * 1024 * 1024  # two DATA frames of 1 MiB at least
_MAX_SIZE = 8 * 1024 * 1024  # well beyond what the socket buffers hold
_TAIL = 64 * 1024


@pytest.mark.req("APP-GET-2")
def test_done_is_the_digest_of_the_bytes_sent_when_the_file_changes(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    size = min(target.limits.max_file_size, _MAX_SIZE)
    if size < _MIN_SIZE:
        pytest.skip(f"the target's max file size is below {_MIN_SIZE} bytes")
    path = share / f"sft-changing-{secrets.token_hex(6)}.bin"
    before = secrets.token_bytes(size)
    try:
        try:
            path.write_bytes(before)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        channel = app_channel()
        try:
            channel.send_frame("RQFL", {"name": path.name})
            rsfl = channel.expect([ExpectFrame("RSFL")]).check(f"RQFL {path.name!r}").frame
            assert rsfl is not None
            # The tail changes in place while the responder is held in the first MiB.
            with path.open("r+b") as file:
                file.seek(size - _TAIL)
                file.write(secrets.token_bytes(_TAIL))
            data = bytearray()
            deadline = deadline_after(channel.timeout + size / (1024 * 1024))
            while True:  # bounded: by the size (more than announced ends it) and the deadline
                event = channel.recv_frame(deadline)
                if not isinstance(event, ReceivedFrame):
                    raise ConformanceFailure(
                        f"APP-GET-2: after RSFL and {len(data)} bytes: {event.describe()}"
                    )
                if event.type == b"DATA" and len(data) + len(event.payload) <= size:
                    data += event.payload
                    continue
                break
        finally:
            channel.close()
    finally:
        path.unlink(missing_ok=True)
    if event.type == b"EROR" and event.error_name == "internal":
        return  # the responder noticed the change and gave the get up: conforming
    done = event.json() if event.type == b"DONE" else None
    sent = hashlib.sha256(bytes(data)).hexdigest()
    problems = []
    if done is None:
        problems.append(f"after {len(data)} bytes: {event.describe()}")
    else:
        if len(data) != size:
            problems.append(f"{len(data)} bytes came, RSFL announced {size}")
        if done.get("size") != len(data):
            problems.append(f"DONE.size={done.get('size')!r}, {len(data)} bytes came")
        if done.get("sha256") != sent:
            stale = hashlib.sha256(before).hexdigest()
            which = (
                " (the digest of the file BEFORE the change)" if done.get("sha256") == stale else ""
            )
            problems.append(f"DONE.sha256={done.get('sha256')!r}{which}, the bytes sent {sent}")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-2: a get of a {size}-byte share file whose last {_TAIL} bytes were "
            "rewritten in place once RSFL came (the responder held by full socket buffers)",
            "DATA of exactly the announced size, then DONE {size, sha256} of the bytes sent "
            "(or a fatal EROR internal giving the get up)",
            "\n".join(problems),
        )
