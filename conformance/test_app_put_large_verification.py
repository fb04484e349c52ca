"""A large put is verified and staged like a small one (docs/SPEC.md §3.4 APP-PUT-5,
§3.6 APP-STORE-2, APP-STORE-1).

Two shortcuts an implementer takes for big files only, each on a second code path that
the usual small-file cases never reach:
- trusting the channel for integrity: "TLS (or the AEAD records) already guarantee the
  bytes; hashing gigabytes costs a core" — above some size only the byte count is
  compared, and a DONE (or a PUTF.sha256) announcing another digest is stored.
  APP-PUT-5: the responder MUST verify size AND SHA-256, against DONE and, when present,
  PUTF.sha256, before storing; the channel protects the bytes on the wire, not the
  sender's claim about them (a sender whose source changed, APP-PUT-4, or a buggy one).
- no temporary for big files: "a second copy would need twice the disk" — the put is
  received straight under its final name and removed if it fails. APP-STORE-2: the final
  name appears only through the rename that follows verification; meanwhile a reader
  of the inbox (a user, a sync tool, a get where the share is the inbox) sees a
  half-written file under it.

Each size — one DATA frame of 4 KiB, exactly 1 MiB, 1 MiB + 1 in two frames, and the
target's maximum file size when it is at most 4 MiB — with DONE.sha256 wrong, and with
PUTF.sha256 wrong (DONE right): EROR integrity_failed, then the close; nothing stored, and
the name is free again on a new connection. In a declared inbox, while the large put is
on its way (accepted, half its bytes sent), nothing is under its final name. Both
profiles.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import MAX_DATA_PAYLOAD, ConformanceFailure, ExpectFrame

__all__: list[str] = []

_MIB: Final = 1024 * 1024
_LARGEST: Final = 4 * _MIB  # the maximum file size is used when it is at most this
_SIZES: Final = ("4KiB", "1MiB", "1MiB+1", "max")
_LIES: Final = ("done-sha256", "putf-sha256")


def _size(target: Target, label: str) -> int:
    size = {"4KiB": 4096, "1MiB": _MIB, "1MiB+1": _MIB + 1}.get(label)
    if size is None:
        size = target.limits.max_file_size
        if size > _LARGEST or size <= _MIB + 1:
            pytest.skip(f"the target's max file size ({size} B) is not in 1 MiB + 2 .. 4 MiB")
    if size > target.limits.max_file_size:
        pytest.skip(f"the target's max file size is below {size} B")
    return size


def _data(size: int) -> bytes:
    seed = secrets.token_bytes(64)
    return (seed * (size // 64 + 1))[:size]


def _name_is_free(target: Target, channel: Channel, name: str) -> str | None:
    channel.send_frame("PUTF", {"name": name, "size": 1})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True})])
    channel.close()
    if target.inbox is not None and (target.inbox / name).exists():
        return f"the inbox holds {name!r}"
    return None if answer.ok else f"a new PUTF of {name!r} was answered {answer.describe()}"


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize("lie", _LIES)
@pytest.mark.parametrize("label", _SIZES)
def test_put_with_a_wrong_digest_is_refused_at_every_size(
    target: Target, app_channel: AppChannel, label: str, lie: str
) -> None:
    require(target, "put")
    size = _size(target, label)
    data = _data(size)
    right = hashlib.sha256(data).hexdigest()
    wrong = hashlib.sha256(data + b"\x00").hexdigest()
    name = fresh_name("sft-large-digest")
    channel = app_channel()
    answer, final = put_file(
        channel,
        name,
        data,
        done_sha=wrong if lie == "done-sha256" else right,
        putf_sha=wrong if lie == "putf-sha256" else None,
        chunk=MAX_DATA_PAYLOAD,
    )
    answer.check(f"APP-PUT-5: PUTF {name!r} of {size} B")
    if lie == "done-sha256":
        what = f"a put of {size} B ({label}) whose DONE.sha256 is not the digest of its bytes"
    else:
        what = (
            f"a put of {size} B ({label}) whose PUTF.sha256 is not the digest of its bytes "
            "(DONE's is)"
        )
    assert final is not None
    frame = final.frame
    if frame is None or frame.error_name != "integrity_failed":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: {what}",
            "EROR integrity_failed, then the close; nothing stored — the SHA-256 is "
            "verified whatever the size (the channel does not vouch for the sender's claim)",
            final.describe(),
        )
    problem = _name_is_free(target, app_channel(), name)
    if problem is not None:
        raise ConformanceFailure(f"APP-PUT-5: {what} was refused integrity_failed, yet {problem}")


@pytest.mark.req("APP-STORE-2", "APP-PUT-5")
@pytest.mark.parametrize("label", _SIZES)
def test_final_name_is_absent_while_a_put_is_received_at_every_size(
    target: Target, app_channel: AppChannel, label: str
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None:
        pytest.skip("the target declares no inbox (`inbox` in its target file)")
    size = _size(target, label)
    data = _data(size)
    name = fresh_name("sft-large-staged")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} of {size} B")
    half = size // 2
    for offset in range(0, half, MAX_DATA_PAYLOAD):
        channel.send_frame("DATA", data[offset : min(half, offset + MAX_DATA_PAYLOAD)])
    early = inbox / name
    seen = early.exists() or early.is_symlink()
    for offset in range(half, size, MAX_DATA_PAYLOAD):
        channel.send_frame("DATA", data[offset : min(size, offset + MAX_DATA_PAYLOAD)])
    wrong = hashlib.sha256(data + b"\x00").hexdigest()
    channel.send_frame("DONE", {"size": size, "sha256": wrong})
    expect_fatal(
        channel,
        "integrity_failed",
        context=f"APP-PUT-5: a put of {size} B with a wrong DONE.sha256",
        violates=("APP-PUT-5",),
    )
    if seen:
        raise ConformanceFailure.evidence(
            f"APP-STORE-2: a put of {size} B ({label}) accepted and half sent, not verified",
            f"nothing under its final name {name!r} in the inbox until the rename that "
            "follows verification (the bytes go to a .sft-partial- temporary)",
            f"{early} existed while the put was being received",
        )
    if early.exists():
        raise ConformanceFailure(
            f"APP-PUT-5: the put of {name!r} was refused integrity_failed, yet the inbox "
            "holds it"
        )
