"""SHA-256 digests that begin with zeros, in both directions (docs/SPEC.md §1 FRM-12,
§3.3 APP-GET-2, §3.4 APP-PUT-5); both profiles.

FRM-12: "`sha256` members MUST be exactly 64 lowercase hexadecimal characters". The class
of bug: the digest handled as a NUMBER somewhere — Java's `new BigInteger(1,
digest).toString(16)`, C's `printf("%llx")` over words, a hex string parsed to an integer
and printed back, a comparison of `int(a, 16) == int(b, 16)` — which is right for 15
digests in 16 and drops the leading zeros of the rest. The SPEC's vectors and a test file
or two rarely start with `0`, so such an implementation passes them. Two sides:
- a get (APP-GET-2): DONE (and RSFL's optional sha256) must carry the digest of the bytes
  sent, all 64 digits: files whose digest starts with `0`, `00` and `000` are written into
  the declared share and fetched, one small and one of two DATA frames;
- a put (APP-PUT-5): an honest put whose digest starts with `00` (announced in DONE, and
  once in PUTF too) MUST be stored and acknowledged with DONE of all 64 digits, not
  refused `integrity_failed`; the stored bytes are compared when the inbox is declared.
The contents are found by a bounded search over a counter (about 4,096 digests for
`000`, a few milliseconds), the same every run.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_SEARCH_BOUND = 1_000_000  # tries: P(no 000-digest in a million) is about e^-244
_FRAME = 1024 * 1024


def _content_with_zeros(zeros: int, size: int, tag: bytes) -> bytes:
    """`size` bytes whose SHA-256 starts with `zeros` hex zeros (and not more), found by
    a counter in the last 8 bytes."""
    body = (tag * (size // len(tag) + 1))[: size - 8]
    prefix = hashlib.sha256(body)
    want = "0" * zeros
    for counter in range(_SEARCH_BOUND):
        tail = counter.to_bytes(8, "big")
        digest = prefix.copy()
        digest.update(tail)
        hexed = digest.hexdigest()
        if hexed.startswith(want) and hexed[zeros] != "0":
            return body + tail
    raise AssertionError(f"no content with {zeros} leading zero digits in {_SEARCH_BOUND}")


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


_GETS = {
    "0-small": (1, 300),
    "00-small": (2, 300),
    "000-small": (3, 300),
    "00-two-frames": (2, _FRAME + 300),
}


@pytest.mark.req("APP-GET-2", "FRM-12")
@pytest.mark.parametrize("case", list(_GETS))
def test_get_of_a_file_whose_digest_starts_with_zeros(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    share = _share(target)
    zeros, size = _GETS[case]
    if target.limits.max_file_size < size:
        pytest.skip(f"the target's max file size is below the case's {size} bytes")
    content = _content_with_zeros(zeros, size, b"sft-b24-zeros-get ")
    digest = hashlib.sha256(content).hexdigest()
    path = share / f"sft-b24-zeros-{secrets.token_hex(6)}.bin"
    try:
        try:
            path.write_bytes(content)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        channel = app_channel()
        try:
            result = get_file(channel, path.name)
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"APP-GET-2: a get of a {size}-byte file whose SHA-256 starts with "
                f"{zeros} zero digit(s)",
                f"DONE {{size: {size}, sha256: {digest!r}}} (64 digits, FRM-12)",
                str(exc),
            ) from None
    finally:
        path.unlink(missing_ok=True)
    if result.data != content:
        raise ConformanceFailure(f"APP-GET-2: the bytes of {path.name!r} differ from the file")


@pytest.mark.req("APP-PUT-5", "FRM-12")
@pytest.mark.parametrize("announced", ["done-only", "putf-and-done"])
def test_put_whose_digest_starts_with_zeros_is_stored(
    target: Target, app_channel: AppChannel, announced: str
) -> None:
    require(target, "put")
    size = 700
    if target.limits.max_file_size < size:
        pytest.skip(f"the target's max file size is below the case's {size} bytes")
    content = _content_with_zeros(2, size, b"sft-b24-zeros-put ")
    digest = hashlib.sha256(content).hexdigest()
    name = fresh_name("sft-b24-zeros")
    channel = app_channel()
    answer, done = put_file(
        channel, name, content, putf_sha=digest if announced == "putf-and-done" else None
    )
    answer.check(f"APP-PUT-1: PUTF {name!r} of {size} bytes")
    frame = done.frame if done is not None else None
    ack = frame.json() if frame is not None and frame.type == b"DONE" else None
    if ack is None or ack.get("sha256") != digest or ack.get("size") != size:
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: an honest put of {size} bytes whose SHA-256 starts with two zero "
            f"digits ({announced.replace('-', ' ')} announce {digest})",
            f"DONE {{size: {size}, sha256: {digest!r}}}",
            done.describe() if done is not None else "no answer",
        )
    inbox = target.inbox
    if inbox is not None and inbox.is_dir():
        stored = inbox / name
        if not stored.is_file() or stored.read_bytes() != content:
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: the put of {name!r}, acknowledged with DONE",
                f"{name} in the declared inbox holding the {size} bytes sent",
                "missing" if not stored.is_file() else "other bytes",
            )
