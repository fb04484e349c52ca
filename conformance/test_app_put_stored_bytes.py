"""What a put stores is what was verified, and only a name the inbox holds is `exists`
(docs/SPEC.md §3.4 APP-PUT-1, APP-PUT-3, APP-PUT-5, §3.6 APP-STORE-2); both profiles.

Needs the target's inbox on this host (target file `inbox`); SKIPs without it.

- APP-PUT-5: the responder verifies size and SHA-256 "before storing" and answers DONE
  "only once the file is durably stored under its final name": the stored file is the
  bytes verified. The class of bug: the digest computed over one copy of the data and
  the file written from another — writes deferred (batched at DONE, queued to a writer
  thread) from receive buffers that are reused meanwhile, frames written out of order, a
  short write not retried, a frame's payload written from the wrong offset. Puts of one
  small frame (what most cases send) hide all of these. The case puts files of many DATA
  frames of uneven sizes (1 byte, a TLS record plus one, several hundred KiB), and of
  three frames of nearly 700 KB, each frame of distinct bytes, and compares the inbox
  file with what was sent.
- APP-PUT-1: "`exists` means the inbox holds the name now". Names are byte strings
  (APP-NAME-3: never case-folded): a put of `NOTES-x.txt` while only `notes-x.txt` is
  held is a put of a name nothing holds. A responder that judges `exists` case-blind (to
  spare its users look-alike names, or because its developer's file system folds case)
  refuses it. SKIPs when the inbox's own file system folds case (the names then are one).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, Outcome

__all__: list[str] = []


def _inbox(target: Target) -> Path:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    return inbox


_SHAPES = {
    "uneven-frames": (1, 16385, 200_000, 7, 300_001, 65_536, 2, 400_000),
    "three-large-frames": (700_000, 700_000, 600_000),
}


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_a_put_of_many_frames_stores_the_bytes_sent(
    target: Target, app_channel: AppChannel, shape: str
) -> None:
    inbox = _inbox(target)
    frames = [secrets.token_bytes(n) for n in _SHAPES[shape]]
    content = b"".join(frames)
    if target.limits.max_file_size < len(content):
        pytest.skip(f"the target's max file size is below the case's {len(content)} bytes")
    name = fresh_name("sft-b24-frames")
    channel = app_channel(timeout=30.0)
    stored = inbox / name
    try:
        # put_file's chunking is by a fixed size: send these frames as they are.
        answer, done = _put_frames(channel, name, frames)
        answer.check(f"APP-PUT-1: PUTF {name!r} of {len(content)} bytes")
        if done is None or done.frame is None or done.frame.type != b"DONE":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: an honest put of {len(content)} bytes in {len(frames)} DATA "
                f"frames of {', '.join(str(len(f)) for f in frames)} bytes",
                "DONE",
                done.describe() if done is not None else "no answer",
            )
        got = stored.read_bytes() if stored.is_file() else None
        if got != content:
            first = None
            if got is not None:
                pairs = enumerate(zip(got, content, strict=False))
                first = next((i for i, (a, b) in pairs if a != b), min(len(got), len(content)))
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: the put of {name!r} in {len(frames)} DATA frames of "
                f"{', '.join(str(len(f)) for f in frames)} bytes, acknowledged with DONE",
                f"{name} in the declared inbox holding the {len(content)} bytes sent "
                "(the bytes verified)",
                "no such file"
                if got is None
                else f"{len(got)} bytes, differing from the sent ones from byte {first}",
            )
    finally:
        stored.unlink(missing_ok=True)


def _put_frames(
    channel: Channel, name: str, frames: list[bytes]
) -> tuple[Outcome, Outcome | None]:
    """put_file, with DATA frames of the given sizes."""
    content = b"".join(frames)
    channel.send_frame("PUTF", {"name": name, "size": len(content)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        return answer, None
    for frame in frames:
        if not channel.send_frame("DATA", frame):
            break
    channel.send_frame(
        "DONE", {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    )
    done = channel.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])
    return answer, done


def _folds_case(inbox: Path) -> bool:
    probe = inbox / f"sft-b24-probe-{secrets.token_hex(4)}"
    probe.write_bytes(b"")
    try:
        return os.path.exists(inbox / probe.name.upper())
    finally:
        probe.unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-1")
@pytest.mark.parametrize("held", ["lower-case", "upper-case"])
def test_a_name_differing_only_in_case_is_not_exists(
    target: Target, app_channel: AppChannel, held: str
) -> None:
    inbox = _inbox(target)
    if _folds_case(inbox):
        pytest.skip("the inbox's file system folds case: the two names are one")
    lower = f"sft-b24-case-{secrets.token_hex(6)}.txt"
    held_name, offered = (lower, lower.upper()) if held == "lower-case" else (lower.upper(), lower)
    (inbox / held_name).write_bytes(b"held by the inbox\n")
    data = b"a put of a name that differs in case only\n"
    try:
        channel = app_channel()
        answer, done = put_file(channel, offered, data)
        if answer.frame is None or answer.frame.type != b"RSFL":
            failure = ConformanceFailure.evidence(
                f"APP-PUT-1: PUTF {offered!r} while the inbox holds only {held_name!r} "
                "(names are used literally, never case-folded: APP-NAME-3)",
                "RSFL {accept: true} (`exists` means the inbox holds the name now)",
                answer.describe(),
            )
            failure.violates = ("APP-PUT-1",)
            raise failure
        if done is None or done.frame is None or done.frame.type != b"DONE":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: the put of {offered!r}",
                "DONE",
                done.describe() if done is not None else "no answer",
            )
        if (inbox / held_name).read_bytes() != b"held by the inbox\n":
            raise ConformanceFailure(
                f"APP-PUT-3: the put of {offered!r} changed the held file {held_name!r}"
            )
    finally:
        (inbox / held_name).unlink(missing_ok=True)
        (inbox / offered).unlink(missing_ok=True)
