"""Put (docs/SPEC.md §3.4, §3.6): the responder under test stores into its inbox.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A target without the `put`
feature gets UNSUPPORTED. "Nothing under the final name" is checked on the wire: a new
PUTF of the same name must then be accepted, not answered `exists` [APP-PUT-3]; for the
embedded reference the inbox is also inspected.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import (
    ERROR_CODES,
    FATAL_CODES,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    control,
    frame_bytes,
    header_bytes,
)

PAYLOAD = os.urandom(3000)


def _assert_no_temporary_holds(target: Target, sent: bytes, what: str) -> None:
    """After a failed put, no `.sft-partial-*` file of the inbox (when the target declares
    it) still holds the bytes that put sent [APP-STORE-3]. The bytes are random, so a
    temporary that starts with 16 or more of them is that put's; another case's live
    temporary never matches. Bounded polling: the responder may still be closing."""
    if target.inbox is None or len(sent) < 16:
        return
    deadline, left = time.monotonic() + 2.0, ["?"]
    while left and time.monotonic() < deadline:
        left = [p.name for p in target.inbox.glob(".sft-partial-*") if _holds_prefix_of(p, sent)]
        if left:
            time.sleep(0.02)
    if left:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: {what}",
            "the temporary file of the failed put is removed",
            f"still in {target.inbox}, holding bytes it sent: {', '.join(left)}",
        )


def _holds_prefix_of(path: os.PathLike[str], data: bytes) -> bool:
    """`path` is a regular file holding 16 or more leading bytes of the random `data`."""
    try:
        with open(path, "rb") as f:
            content = f.read(len(data) + 1)
    except OSError:
        return False  # gone meanwhile, a directory, unreadable
    return len(content) >= 16 and data.startswith(content)


def _assert_name_free(
    app_channel: AppChannel, target: Target, name: str, sent: bytes = b""
) -> None:
    """Nothing is stored under `name` and the failed put left nothing in the way: an
    honest put of the same name, on a new connection, is accepted and stored; and no
    temporary file holds the `sent` bytes of the failed put."""
    channel: Channel = app_channel()
    content = b"the honest put after a failed one"
    answer, final = put_file(channel, name, content)
    answer.check(f"APP-STORE-3: after a failed put, PUTF {name!r} again")
    if answer.frame is None or answer.frame.type != b"RSFL":
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: after a failed put of {name!r}",
            "the name is free: a new PUTF of it is accepted",
            answer.describe(),
        )
    want = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: the honest put of {name!r} after a failed one",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
        )
    channel.close()
    if target.inbox is not None and (target.inbox / name).read_bytes() != content:
        raise ConformanceFailure(f"APP-STORE-3: {target.inbox / name} is not the honest put")
    _assert_no_temporary_holds(target, sent, f"after a failed put of {name!r}")


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "APP-PUT-5", "APP-STORE-2")
def test_put_is_stored_and_confirmed(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    name = fresh_name()
    answer, final = put_file(app_channel(), name, PAYLOAD)
    answer.check("APP-PUT-1: PUTF of a new name")
    if answer.frame is None or answer.frame.type != b"RSFL":
        raise ConformanceFailure(f"put refused: {answer.describe()}")
    assert final is not None
    final.check("APP-PUT-5: DONE after the data")
    done = final.frame.json() if final.frame else None
    want = {"size": len(PAYLOAD), "sha256": hashlib.sha256(PAYLOAD).hexdigest()}
    if (
        final.frame is None
        or final.frame.type != b"DONE"
        or not done
        or any(done.get(k) != v for k, v in want.items())
    ):
        raise ConformanceFailure(f"APP-PUT-5: expected DONE {want}, got {final.describe()}")
    _assert_stored_on_the_wire(app_channel(), name, len(PAYLOAD))
    if target.inbox is not None:
        stored = (target.inbox / name).read_bytes()
        assert stored == PAYLOAD, "APP-PUT-5: the stored file differs from what was sent"
        partial = [p.name for p in target.inbox.iterdir() if p.name.startswith(".sft-partial")]
        assert not partial, f"APP-STORE-3: temporary files left: {partial}"


def _assert_stored_on_the_wire(channel: Channel, name: str, size: int) -> None:
    """A put acknowledged with DONE is stored: a new PUTF of its name is `exists` [APP-PUT-5]."""
    channel.send_frame("PUTF", {"name": name, "size": 1})
    outcome = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if not outcome.ok or outcome.frame is None or outcome.frame.error_name != "exists":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: a put of {name!r} ({size} bytes) was acknowledged with DONE",
            "it is stored: a new PUTF of that name is answered EROR exists",
            outcome.describe(),
        )


@pytest.mark.req("APP-PUT-3")
def test_put_that_would_overwrite_is_exists(target: Target, app_channel: AppChannel) -> None:
    """The name exists in the inbox: a PUTF of it — or of any name with that basename,
    which is what a put stores (APP-PUT-2) — is `exists` before any data (a name with
    directories may instead be refused `forbidden`), never accepted."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    answer, final = put_file(channel, name, PAYLOAD)
    if final is None or not final.ok or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"first put of {name!r} failed: {answer.describe()}")
    channel.send_frame("PUTF", {"name": name, "size": 5})
    channel.expect([ExpectError("exists")]).check("APP-PUT-3: second PUTF of the same name")
    for deeper in (f"sub/{name}", f"a/b/{name}"):
        channel.send_frame("PUTF", {"name": deeper, "size": 5})
        channel.expect([ExpectError("exists", "forbidden")]).check(
            f"APP-PUT-3: PUTF {deeper!r}, whose basename {name!r} exists in the inbox"
        )
    # exists is non-fatal: the connection is still usable.
    second, _ = put_file(channel, fresh_name(), b"after exists")
    second.check("ERR-3: a put after a non-fatal error")


@pytest.mark.req("APP-PUT-7", "LIM-3")
def test_put_above_max_size_is_too_large_before_data(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": target.limits.max_file_size + 1})
    channel.expect([ExpectError("too_large")]).check(
        f"APP-PUT-7: PUTF size {target.limits.max_file_size + 1}"
    )


@pytest.mark.req("APP-PUT-7", "FRM-11")
def test_put_of_maximum_integer_size_is_too_large(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 2**63 - 1})
    channel.expect([ExpectError("too_large")]).check("APP-PUT-7: PUTF size 2^63-1")


# Sizes a narrower integer gets wrong: wrapped to a small one by 32 bits (2^32 + 1 -> 1,
# 2^33 -> 0, 2^63 - 2^32 + 1 -> 1), negative in a signed 32-bit int (2^31), rounded by a
# double (2^53 + 1). Each is above the limit and must stay too_large.
_NARROW_INTEGER_SIZES = (2**31, 2**32 + 1, 2**33, 2**53 + 1, 2**63 - 2**32 + 1)


@pytest.mark.req("APP-PUT-7", "LIM-3")
def test_put_sizes_that_a_narrow_integer_wraps_are_too_large(
    target: Target, app_channel: AppChannel
) -> None:
    """Every announced size above the maximum is `too_large` before any data, also one
    that a responder comparing in 32 bits (`size & 0xFFFFFFFF`, a u32 field, a C `int`)
    or in a double would take for a small, negative or rounded size, and accept. Sizes
    at or below the declared maximum are left out. One connection: `too_large` is not
    fatal."""
    require(target, "put")
    limit = target.limits.max_file_size
    sizes = [size for size in _NARROW_INTEGER_SIZES if size > limit]
    if not sizes:
        pytest.skip(f"max_file_size {limit} is above every size of this case")
    channel = app_channel()
    for size in sizes:
        channel.send_frame("PUTF", {"name": fresh_name(), "size": size})
        channel.expect([ExpectError("too_large")]).check(
            f"APP-PUT-7: PUTF size {size} ({size & 0xFFFFFFFF} in 32 bits), above "
            f"max_file_size {limit}"
        )


@pytest.mark.req("APP-PUT-5", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize(
    "lie",
    # putf-and-done-sha256: both announce the same wrong digest, so a responder that
    # compares DONE with PUTF (or trusts an announced digest) instead of hashing the data
    # sees no mismatch.
    ["done-sha256", "done-size", "putf-sha256", "fewer-bytes", "putf-and-done-sha256"],
)
def test_put_integrity_mismatch_is_refused_and_not_stored(
    target: Target, app_channel: AppChannel, lie: str
) -> None:
    require(target, "put")
    name = fresh_name()
    wrong = hashlib.sha256(b"something else").hexdigest()
    kwargs: dict[str, object] = {}
    if lie == "done-sha256":
        kwargs["done_sha"] = wrong
    elif lie == "done-size":
        kwargs["done_size"] = len(PAYLOAD) + 1
    elif lie == "putf-sha256":
        kwargs["putf_sha"] = wrong
    elif lie == "putf-and-done-sha256":
        kwargs["putf_sha"] = kwargs["done_sha"] = wrong
    sent = PAYLOAD[:-10] if lie == "fewer-bytes" else PAYLOAD
    answer, final = put_file(
        app_channel(),
        name,
        sent,
        announce=len(PAYLOAD),
        **kwargs,  # type: ignore[arg-type]
    )
    if final is None:
        raise ConformanceFailure(f"PUTF was not accepted: {answer.describe()}")
    if not final.ok or final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure(
            f"APP-PUT-5 ({lie}): expected EROR integrity_failed then close\n{final.describe()}"
        )
    _assert_name_free(app_channel, target, name, sent)


@pytest.mark.req("APP-PUT-6", "APP-STORE-4", "APP-STORE-3")
def test_more_data_than_announced_is_integrity_failed(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 100})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF size 100")
    channel.send_frame("DATA", b"x" * 60)
    channel.send_frame("DATA", b"y" * 60)
    channel.expect([ExpectError("integrity_failed")]).check(
        "APP-PUT-6: 120 DATA bytes after announcing 100"
    )
    _assert_name_free(app_channel, target, name)


@pytest.mark.req("APP-STORE-3", "APP-BYE-2", "FRM-7")
def test_put_closed_before_done_is_not_stored(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    channel.send_frame("DATA", PAYLOAD[:1000])
    channel.close()
    _assert_name_free(app_channel, target, name)


@pytest.mark.req("APP-PUT-2")
def test_put_is_stored_under_its_basename(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    base = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": f"some/dir/{base}", "size": 3})
    outcome = channel.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError("forbidden")]
    ).check("APP-PUT-2: PUTF of a name with directories")
    if outcome.frame is not None and outcome.frame.type == b"RSFL":
        stored = (outcome.frame.json() or {}).get("name")
        if stored != base:
            raise ConformanceFailure(f"APP-PUT-2: stored as {stored!r}, basename is {base!r}")
        channel.send_frame("DATA", b"abc")
        channel.send_frame("DONE", {"size": 3, "sha256": hashlib.sha256(b"abc").hexdigest()})
        channel.expect([ExpectFrame("DONE")]).check("DONE of the basename put")
        if target.inbox is not None:
            assert (target.inbox / base).read_bytes() == b"abc"
            assert not (target.inbox / "some").exists()


@pytest.mark.req("APP-BYE-1", "FRM-6", "APP-3")
def test_bye_during_a_put_is_unexpected(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 10})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    channel.send_frame("BYE_", {})
    channel.expect([ExpectError("unexpected_frame")]).check("APP-BYE-1: BYE_ inside a put")


@pytest.mark.req("APP-PUT-1", "FRM-6")
def test_rqfl_during_a_put_is_unexpected(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 10})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    channel.send_frame("RQFL", {"name": "x"})
    channel.expect([ExpectError("unexpected_frame")]).check("FRM-6: RQFL in RECEIVING")


# --- a put stopped at every offset class -------------------------------------------------

_STOPS = {
    "after-accept": 0,
    "after-1-byte": 1,
    "one-byte-short": len(PAYLOAD) - 1,
    "all-data-no-done": len(PAYLOAD),
}


@pytest.mark.req("APP-STORE-3", "APP-BYE-2", "FRM-7")
@pytest.mark.parametrize("stop", sorted(_STOPS))
def test_put_stopped_before_done_is_not_stored(
    target: Target, app_channel: AppChannel, stop: str
) -> None:
    """The connection ends after 0, 1, size-1 or all bytes but before DONE: nothing may
    be stored, and the next honest put of that name must succeed."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    sent = _STOPS[stop]
    for offset in range(0, sent, 1000):
        channel.send_frame("DATA", PAYLOAD[offset : min(sent, offset + 1000)])
    channel.close()
    _assert_name_free(app_channel, target, name, PAYLOAD[:sent])


# Where a put's last frame, its DONE, is cut: inside the header, one byte short.
_DONE_CUTS = {"inside-done-header": 5, "done-one-byte-short": -1}


@pytest.mark.req("APP-STORE-3", "FRM-7")
@pytest.mark.parametrize("cut", sorted(_DONE_CUTS))
def test_put_ended_inside_its_done_is_not_stored(
    target: Target, app_channel: AppChannel, cut: str
) -> None:
    """Every byte of the file, then a right DONE cut short and the end of the stream: a
    partial frame is never a frame [FRM-7], so nothing is stored — however complete the
    data look."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    for offset in range(0, len(PAYLOAD), 1000):
        channel.send_frame("DATA", PAYLOAD[offset : offset + 1000])
    done = control({"size": len(PAYLOAD), "sha256": hashlib.sha256(PAYLOAD).hexdigest()})
    channel.send_raw(frame_bytes("DONE", done)[: _DONE_CUTS[cut]])
    channel.close()
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure(
            f"FRM-7: the stream ended inside the DONE ({cut}) of a complete put, and "
            f"{name!r} was stored all the same"
        )
    try:
        _assert_name_free(app_channel, target, name, PAYLOAD)
    except ConformanceFailure as exc:
        raise ConformanceFailure(f"FRM-7: a put ended inside its DONE ({cut}): {exc}") from None


_EXCESS = {
    # case: DATA payload sizes for an announced size of 100
    "exact-then-one": (100, 1),
    "straddling": (99, 2),
    "one-frame-over": (101,),
    "many-small-over": (50, 50, 1),
}


@pytest.mark.req("APP-PUT-6", "APP-STORE-4", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("case", sorted(_EXCESS))
def test_data_beyond_the_announced_size_is_refused_at_once(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """The DATA frame that goes beyond the announced size is answered integrity_failed
    at once (no DONE is sent), the connection closes, nothing is stored."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 100})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF size 100")
    sent = os.urandom(sum(_EXCESS[case]))
    offset = 0
    for size in _EXCESS[case]:
        channel.send_frame("DATA", sent[offset : offset + size])
        offset += size
    expect_fatal(
        channel,
        "integrity_failed",
        context=f"APP-PUT-6: DATA of {'+'.join(map(str, _EXCESS[case]))} bytes after "
        "announcing 100 (no DONE sent)",
    )
    _assert_name_free(app_channel, target, name, sent[:100])


@pytest.mark.req("APP-PUT-6", "ERR-3")
@pytest.mark.parametrize("case", sorted(_EXCESS))
def test_data_header_beyond_the_announced_size_is_refused_before_its_payload(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """The header of the DATA frame that goes beyond the announced size suffices: the
    responder answers integrity_failed without waiting for that frame's payload (it is
    never sent here), as FRM-3 does for an oversize length. Over sft-eke/1 a record
    holds one whole frame (EKE-REC-1): there is no header without its payload."""
    require(target, "put")
    if target.profile != "pki":
        pytest.skip("sft-eke/1 records carry whole frames (EKE-REC-1): no header alone")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 100})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF size 100")
    *whole, last = _EXCESS[case]
    for size in whole:
        channel.send_frame("DATA", b"d" * size)
    channel.send_raw(header_bytes("DATA", last))
    shown = "+".join(map(str, whole)) + ("+" if whole else "")
    expect_fatal(
        channel,
        "integrity_failed",
        context=f"APP-PUT-6: DATA of {shown}{last} bytes after announcing 100, the last "
        f"frame's header only (its {last} payload bytes withheld)",
        violates=("APP-PUT-6",),  # ERR-3 only if the close after a right refusal is late
    )


# Announced sizes at the bottom of the range: 0 read as "size unknown" (a zero value taken
# for "not given", as `if announced and count > announced` does) and 1.
_SMALL_ANNOUNCED = (0, 1)


@pytest.mark.req("APP-PUT-6", "APP-STORE-4", "ERR-3")
@pytest.mark.parametrize("announced", _SMALL_ANNOUNCED)
@pytest.mark.parametrize("mode", ["whole-frame", "header-only"])
def test_data_beyond_a_small_announced_size_is_refused_at_once(
    target: Target, app_channel: AppChannel, announced: int, mode: str
) -> None:
    """PUTF announcing 0 (or 1) bytes, accepted; then a DATA frame of `announced` + 16
    bytes (whole, or over sft-pki/1 its header only): integrity_failed at once, no DONE
    sent, nothing stored. A responder that takes 0 for "size not known" writes on."""
    require(target, "put")
    if mode == "header-only" and target.profile != "pki":
        pytest.skip("sft-eke/1 records carry whole frames (EKE-REC-1): no header alone")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": announced})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF size {announced}")
    extra = announced + 16
    sent = os.urandom(extra)
    if mode == "whole-frame":
        channel.send_frame("DATA", sent)
    else:
        channel.send_raw(header_bytes("DATA", extra))
    expect_fatal(
        channel,
        "integrity_failed",
        context=f"APP-PUT-6: a DATA frame of {extra} bytes ({mode}) after announcing "
        f"{announced}, no DONE sent",
        violates=("APP-PUT-6",),
    )
    _assert_name_free(app_channel, target, name, sent)


@pytest.mark.req("APP-PUT-1", "APP-PUT-5", "FRM-13")
def test_put_of_an_empty_file(target: Target, app_channel: AppChannel) -> None:
    """Size 0: no DATA at all, then DONE with the SHA-256 of nothing."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    answer, final = put_file(channel, name, b"")
    answer.check("PUTF size 0")
    want = {"size": 0, "sha256": hashlib.sha256(b"").hexdigest()}
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure.evidence(
            "APP-PUT-5: a put of an empty file",
            f"DONE {want}",
            final.describe() if final is not None else answer.describe(),
        )
    # Acknowledged means stored, for 0 bytes too (no DATA ever opened a file for it).
    _assert_stored_on_the_wire(channel, name, 0)
    if target.inbox is not None and (target.inbox / name).read_bytes() != b"":
        raise ConformanceFailure(f"APP-PUT-5: {target.inbox / name} is not the empty put")


@pytest.mark.req("APP-PUT-5", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("lie", ["done-sha256", "putf-sha256", "done-size"])
def test_empty_put_integrity_mismatch_is_refused_and_not_stored(
    target: Target, app_channel: AppChannel, lie: str
) -> None:
    """A put of 0 bytes is verified like any other: a DONE (or PUTF) whose SHA-256 is not
    that of nothing, or a DONE claiming a byte, is `integrity_failed` and nothing is
    stored. Catches a fast path for empty files that skips the check ("nothing was sent,
    nothing to verify")."""
    require(target, "put")
    name = fresh_name()
    wrong = hashlib.sha256(b"not nothing").hexdigest()
    answer, final = put_file(
        app_channel(),
        name,
        b"",
        done_sha=wrong if lie == "done-sha256" else None,
        putf_sha=wrong if lie == "putf-sha256" else None,
        done_size=1 if lie == "done-size" else None,
    )
    if final is None:
        raise ConformanceFailure(f"PUTF of 0 bytes was not accepted: {answer.describe()}")
    if not final.ok or final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: a put of 0 bytes whose {lie} lies",
            "EROR integrity_failed, then the close; nothing stored",
            final.describe(),
        )
    _assert_name_free(app_channel, target, name)


@pytest.mark.req("APP-PUT-3")
@pytest.mark.parametrize("size", [0, 1, len(PAYLOAD)])
def test_put_of_an_existing_name_is_exists_whatever_its_size(
    target: Target, app_channel: AppChannel, size: int
) -> None:
    """A stored file's name offered again with `size` bytes (0 too: an empty file needs no
    temporary, which tempts a fast path that creates the final name without the check)
    is `exists` before any data, and the stored file is left as it was."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    _answer, final = put_file(channel, name, PAYLOAD)
    if final is None or not final.ok or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"first put of {name!r} failed: {_answer.describe()}")
    channel.send_frame("PUTF", {"name": name, "size": size})
    outcome = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if not outcome.ok or outcome.frame is None or outcome.frame.error_name != "exists":
        raise ConformanceFailure.evidence(
            f"APP-PUT-3: PUTF {name!r} of {size} bytes, a name stored in the inbox",
            "EROR exists, before any data",
            outcome.describe(),
        )
    if target.inbox is not None and (target.inbox / name).read_bytes() != PAYLOAD:
        raise ConformanceFailure(
            f"APP-PUT-3: {target.inbox / name} changed after a PUTF of {size} bytes of its name"
        )


@pytest.mark.req("APP-PUT-7", "LIM-3")
def test_put_of_exactly_the_maximum_size_is_accepted(
    target: Target, app_channel: AppChannel
) -> None:
    """`too_large` is for sizes above the maximum: exactly the maximum is accepted."""
    require(target, "put")
    channel = app_channel()
    size = target.limits.max_file_size
    channel.send_frame("PUTF", {"name": fresh_name(), "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"APP-PUT-7: PUTF of exactly max_file_size = {size} bytes must be accepted"
    )


@pytest.mark.req("APP-NAME-3", "APP-PUT-2", "APP-PUT-3")
def test_put_name_case_is_kept(target: Target, app_channel: AppChannel) -> None:
    """A mixed-case name is stored as given; its lower-case twin is another name."""
    require(target, "put")
    mixed = fresh_name("Sft-Case").replace(".bin", ".Bin")
    channel = app_channel()
    answer, final = put_file(channel, mixed, b"mixed case")
    stored = (answer.frame.json() or {}).get("name") if answer.frame is not None else None
    if stored != mixed or final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure.evidence(
            f"APP-NAME-3/APP-PUT-2: put of {mixed!r}",
            f"RSFL accept name={mixed!r}, then DONE",
            f"{answer.describe()} / {final.describe() if final is not None else 'no DONE'}",
        )
    for twin in (mixed.lower(), mixed.upper()):
        channel.send_frame("PUTF", {"name": twin, "size": 1})
        outcome = channel.expect([ExpectFrame("RSFL", {"accept": True, "name": twin})])
        outcome.check(f"APP-NAME-3: {twin!r} is not {mixed!r}: the PUTF must be accepted")
        channel.send_frame("DATA", b"t")
        channel.send_frame("DONE", {"size": 1, "sha256": hashlib.sha256(b"t").hexdigest()})
        channel.expect([ExpectFrame("DONE")]).check(f"DONE of {twin!r}")
    channel.send_frame("PUTF", {"name": mixed, "size": 1})
    channel.expect([ExpectError("exists")]).check(f"APP-PUT-3: {mixed!r} again")


@pytest.mark.req("APP-PUT-8", "APP-PUT-3")
@pytest.mark.parametrize("winner", ["first", "second"])
def test_concurrent_puts_of_one_name(target: Target, app_channel: AppChannel, winner: str) -> None:
    """Two connections put one name, their DATA interleaved: the one verified first is
    stored, the other is told `exists` and stores nothing."""
    require(target, "put")
    name = fresh_name()
    one, two = app_channel(), app_channel()
    contents = {id(one): b"1" * 3000, id(two): b"2" * 4000}
    one.send_frame("PUTF", {"name": name, "size": 3000})
    one.expect([ExpectFrame("RSFL", {"accept": True})]).check("first PUTF")
    two.send_frame("PUTF", {"name": name, "size": 4000})
    second = two.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    second.check("APP-PUT-8: a second PUTF of a name whose put is in progress")
    if second.frame is not None and second.frame.type == b"EROR":
        return  # refused at PUTF: allowed; the first put then completes alone
    for offset in (0, 1000, 2000):  # interleaved DATA from both connections
        one.send_frame("DATA", contents[id(one)][offset : offset + 1000])
        two.send_frame("DATA", contents[id(two)][offset : offset + 1000])
    two.send_frame("DATA", contents[id(two)][3000:])
    first_done, late = (one, two) if winner == "first" else (two, one)
    for channel in (first_done, late):
        data = contents[id(channel)]
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        if channel is first_done:
            channel.expect([ExpectFrame("DONE")]).check(
                "APP-PUT-8: the put verified first is stored"
            )
            continue
        outcome = channel.expect([ExpectError("exists"), ExpectFrame("DONE")])
        if not outcome.ok or outcome.frame is None or outcome.frame.type != b"EROR":
            raise ConformanceFailure.evidence(
                f"APP-PUT-8: two puts of {name!r}; the other one was stored first",
                "EROR exists for the later one (it must not replace the stored file)",
                outcome.describe(),
            )
    probe = app_channel()
    probe.send_frame("PUTF", {"name": name, "size": 1})
    probe.expect([ExpectError("exists")]).check("APP-PUT-3: the winner is stored")


@pytest.mark.req("APP-STORE-1", "APP-STORE-2")
def test_put_final_name_appears_only_after_verification(
    target: Target, app_channel: AppChannel
) -> None:
    """Watched in the inbox (a responder that declares it, target-file key `inbox`): while
    the data is under way the final name does not exist and the data goes to a 0600
    temporary file; only the DONE makes the final name appear. A responder that writes
    straight into the final name (and removes it on failure) passes every wire check."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("needs the responder's inbox directory (target-file key `inbox`)")
    inbox, name, data = target.inbox, fresh_name(), os.urandom(5001)
    before = set(os.listdir(inbox))
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("APP-PUT-1: PUTF of a new name")
    channel.send_frame("DATA", data[:-1])
    # Bounded polling of the file system (not a sleep): until the written bytes show.
    deadline, problems = time.monotonic() + 3.0, list[str]()
    temporary_seen = False
    while time.monotonic() < deadline and not problems:
        for entry in set(os.listdir(inbox)) - before:
            try:
                info = os.stat(inbox / entry, follow_symlinks=False)
            except FileNotFoundError:
                continue  # another case's temporary, gone already
            if entry == name:
                problems.append(f"APP-STORE-2: {name!r} exists before DONE ({info.st_size} bytes)")
            elif not entry.startswith(".sft-partial-"):
                # Another case's file, or our data under a temporary name of another form
                # (`.NAME.part`, `NAME.sft-partial-…`): the random bytes tell.
                if _holds_prefix_of(inbox / entry, data):
                    problems.append(
                        f"APP-STORE-1: the data goes to {entry!r}, not to a .sft-partial- file"
                    )
                continue
            temporary_seen = True
            if info.st_size == len(data) - 1 and stat.S_IMODE(info.st_mode) & 0o077:
                problems.append(
                    f"APP-STORE-1: the temporary {entry!r} has mode {stat.S_IMODE(info.st_mode):o}"
                )
            elif info.st_size == len(data) - 1:
                deadline = 0.0  # our temporary holds every byte sent: seen enough
        time.sleep(0.01)
    if not problems and not temporary_seen:
        problems.append(
            "APP-STORE-1: no .sft-partial- file appeared in the inbox while the put was under way"
        )
    if problems:
        raise ConformanceFailure.evidence(
            f"a put of {name!r} under way ({len(data) - 1} of {len(data)} bytes sent)",
            "no file under the final name before DONE; a 0600 temporary file (APP-STORE-1)",
            "; ".join(problems),
        )
    channel.send_frame("DATA", data[-1:])
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectFrame("DONE")]).check("APP-PUT-5: DONE after the data")
    if not (inbox / name).is_file() or (inbox / name).read_bytes() != data:
        raise ConformanceFailure(f"APP-STORE-2: after DONE, {inbox / name} is not the put's data")


def _look_alike_puts() -> dict[str, tuple[str, str]]:
    """(name put first, the name a normalising responder would turn it into), by kind."""
    stem = fresh_name("sft-literal").removesuffix(".bin")
    return {
        "leading-space": (f" {stem}-a", f"{stem}-a"),
        "trailing-space": (f"{stem}-b ", f"{stem}-b"),
        "trailing-dot": (f"{stem}-c.", f"{stem}-c"),
        "zero-width-space": (f"{stem}-\u200bd", f"{stem}-d"),
        "nfd": (f"{stem}-e\u0301", f"{stem}-\u00e9"),
        "nfc": (f"{stem}-\u00f1", f"{stem}-n\u0303"),
        "nfkc-ligature": (f"{stem}-\ufb01", f"{stem}-fi"),
        "fullwidth": (f"{stem}-\uff47", f"{stem}-g"),
        "percent-encoded": (f"{stem}-%48", f"{stem}-H"),
    }


@pytest.mark.req("APP-NAME-3", "APP-PUT-2")
def test_put_names_are_stored_literally(target: Target, app_channel: AppChannel) -> None:
    """A put of a name that a stripping, normalising or decoding responder would rewrite:
    it may be refused (`forbidden`), but if accepted, RSFL names it exactly as sent, and
    it is stored under that name — so the rewritten twin is another, free name whose put
    is accepted, not answered `exists`."""
    require(target, "put")
    channel = app_channel()
    wrong = []

    def put(name: str) -> str | None:
        """The put's outcome when it is wrong (None: stored under `name`, or refused)."""
        data = name.encode("utf-8")
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        outcome = channel.expect(
            [ExpectFrame("RSFL", {"accept": True}), ExpectError("forbidden", "exists")]
        ).check(f"APP-NAME-3: PUTF {name!r}")
        assert outcome.frame is not None
        if outcome.frame.type == b"EROR":
            return None if outcome.frame.error_name == "forbidden" else outcome.describe()
        stored = (outcome.frame.json() or {}).get("name")
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
        if stored != name:
            return f"accepted as {stored!r}"
        if target.inbox is not None and (target.inbox / name).read_bytes() != data:
            return f"{target.inbox / name} does not hold the put"
        return None

    for kind, (name, twin) in _look_alike_puts().items():
        problem = put(name)
        if problem is None:
            problem = put(twin)
            if problem is not None:
                problem = f"then PUTF {twin!r}: {problem}"
        if problem is not None:
            wrong.append(f"{kind}: PUTF {name!r}: {problem}")
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-3/APP-PUT-2: puts of names that differ from another only by what a "
            "normalising responder rewrites",
            "each stored under its own name, exactly as sent (or refused forbidden); its "
            "rewritten twin then a new name, accepted",
            "\n".join(wrong),
        )


@pytest.mark.req("APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("sent", [0, 2000], ids=["after-accept", "after-data"])
def test_put_ended_by_the_initiators_error_is_discarded(
    target: Target, app_channel: AppChannel, sent: int
) -> None:
    """The initiator gives up a put with a fatal EROR (§3.2: any state, EROR: discard the
    partial file, close): the responder closes at once, stores nothing and keeps no
    temporary — not even "for a resume"."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    if sent:
        channel.send_frame("DATA", PAYLOAD[:sent])
    channel.send_frame("EROR", {"code": 11, "name": "internal", "message": "the suite gives up"})
    channel.expect([ExpectClose(), ExpectError(then_close=True)]).check(
        f"ERR-3: EROR internal from the initiator after {sent} of {len(PAYLOAD)} bytes"
    )
    _assert_name_free(app_channel, target, name, PAYLOAD[:sent])


@pytest.mark.req("APP-PUT-5", "APP-PUT-1")
@pytest.mark.parametrize("size", [0, 3000, 300 * 1024])
def test_put_announcing_its_sha256_is_stored(
    target: Target, app_channel: AppChannel, size: int
) -> None:
    """A PUTF that carries the optional `sha256`, right, is stored like one without: DONE
    {size, sha256}, then the name is `exists`. The other cases send it only wrong. Catches
    a responder that fails every put announcing a digest — a one-shot hash object read a
    second time for the second comparison (Node's `digest()`), the announced digest
    compared before any data, or in another encoding."""
    require(target, "put")
    data = os.urandom(size)
    digest = hashlib.sha256(data).hexdigest()
    name = fresh_name()
    channel = app_channel()
    answer, final = put_file(channel, name, data, putf_sha=digest)
    if answer.frame is None or answer.frame.type != b"RSFL":
        raise ConformanceFailure.evidence(
            f"APP-PUT-1: PUTF {name!r} of {size} bytes with its (right) sha256",
            "RSFL {accept: true}",
            answer.describe(),
        )
    want = {"size": size, "sha256": digest}
    done = final.frame.json() if final is not None and final.frame is not None else None
    # Only DONE's defined members: a receiver ignores the others (FRM-10).
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: a put of {size} bytes whose PUTF and DONE carry its right sha256",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
        )
    _assert_stored_on_the_wire(channel, name, size)


# What ends a put whose every byte arrived, instead of a DONE that verifies: each is fatal
# (§3.2: EROR from the initiator, any state; BYE_ or a request during a transfer,
# APP-BYE-1/FRM-6; an undefined type, FRM-5; a DONE that is not JSON, FRM-9).
_ALL_DATA_THEN: dict[str, tuple[str, bytes | dict[str, object]]] = {
    "eror-internal": ("EROR", {"code": 11, "name": "internal", "message": "the suite gives up"}),
    "eror-not-found": ("EROR", {"code": 6, "name": "not_found", "message": "non-fatal code"}),
    "bye": ("BYE_", {}),
    "rqfl": ("RQFL", {"name": "hello.txt"}),
    "undefined-type": ("ZZZZ", {}),
    "done-not-json": ("DONE", b'{"size": 3000, "sha256": '),
}


@pytest.mark.req("APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("end", sorted(_ALL_DATA_THEN))
def test_put_with_all_its_bytes_but_no_verified_done_is_discarded(
    target: Target, app_channel: AppChannel, end: str
) -> None:
    """Every announced byte arrived, then the put ends with something other than a DONE
    that verifies — the initiator's EROR (fatal or not: the responder closes on every
    EROR), BYE_, a request, an undefined frame, a DONE that is not JSON: the responder
    closes (with or without a fatal EROR), stores nothing and keeps no temporary.
    Catches a responder whose error path commits a put "since all the bytes are here"
    (a `finally:` or an `except` that renames), i.e. one that stores before DONE's
    verification."""
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(PAYLOAD)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF")
    for offset in range(0, len(PAYLOAD), 1000):
        channel.send_frame("DATA", PAYLOAD[offset : offset + 1000])
    frame_type, payload = _ALL_DATA_THEN[end]
    channel.send_frame(frame_type, payload)
    fatal = [code for code in ERROR_CODES.values() if code in FATAL_CODES]
    channel.expect([ExpectClose(), ExpectError(*fatal, then_close=True)]).check(
        f"ERR-3: all {len(PAYLOAD)} bytes of a put, then {frame_type} ({end})"
    )
    _assert_name_free(app_channel, target, name, PAYLOAD)


@pytest.mark.req("APP-PUT-1", "APP-PUT-2")
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_put_accept_names_the_stored_basename(
    target: Target, app_channel: AppChannel, depth: int
) -> None:
    """RSFL {accept} names what the responder stores under, the basename (APP-PUT-1), and
    the file is then stored under that name (APP-PUT-2): a PUTF of the basename alone is
    `exists`. Catches a responder that echoes the offered name while storing the
    basename, and one that stores the whole path (flattened or in directories) while
    naming the basename."""
    require(target, "put")
    base = fresh_name()
    offered = "/".join([*(f"sft-dir{i}" for i in range(depth)), base])
    channel = app_channel()
    answer, final = put_file(channel, offered, b"sft")
    if answer.frame is None or answer.frame.type != b"RSFL":
        if answer.frame is not None and answer.frame.error_name == "forbidden" and depth:
            pytest.skip(f"the target refuses names with directories: {answer.describe()}")
        raise ConformanceFailure(f"APP-PUT-1: PUTF {offered!r}: {answer.describe()}")
    named = (answer.frame.json() or {}).get("name")
    if named != base:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-1: PUTF {offered!r}",
            f"RSFL {{accept: true, name: {base!r}}} (the basename it is stored under)",
            answer.frame.describe(200),
        )
        failure.violates = ("APP-PUT-1",)
        raise failure
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"APP-PUT-5: the put of {offered!r} was not stored: {final}")
    channel.send_frame("PUTF", {"name": base, "size": 1})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if again.frame is None or again.frame.error_name != "exists":
        failure = ConformanceFailure.evidence(
            f"APP-PUT-2: PUTF {offered!r} stored (RSFL named {base!r}), then PUTF {base!r}",
            "exists: the first put was stored under its basename",
            again.describe(),
        )
        failure.violates = ("APP-PUT-2",)
        raise failure


def _one_digit_off(digest: str, position: int) -> str:
    """`digest` with the hex digit at `position` changed, every other digit kept."""
    digit = "0" if digest[position] != "0" else "1"
    return digest[:position] + digit + digest[position + 1 :]


@pytest.mark.req("APP-PUT-5", "ERR-3")
@pytest.mark.parametrize("member", ["done", "putf"])
def test_put_digest_compared_on_every_digit(
    target: Target, app_channel: AppChannel, member: str
) -> None:
    """A DONE.sha256 (or PUTF.sha256) that differs from the data's digest in one hex digit
    only — the first, one in the middle, the last — is `integrity_failed`, then the close.
    Catches a responder comparing a prefix (`[:16]`), a suffix or the two ends of the
    digest, or the digest's first bytes as a truncated tag check would."""
    require(target, "put")
    data = os.urandom(700)
    digest = hashlib.sha256(data).hexdigest()
    for position in (0, 31, 63):
        wrong = _one_digit_off(digest, position)
        kwargs = {"done_sha": wrong} if member == "done" else {"putf_sha": wrong}
        name = fresh_name()
        answer, final = put_file(app_channel(), name, data, **kwargs)  # type: ignore[arg-type]
        if final is None:
            raise ConformanceFailure(f"PUTF {name!r} was not accepted: {answer.describe()}")
        if not final.ok or final.frame is None or final.frame.type != b"EROR":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: {member.upper()}.sha256 differs from the data's digest in hex "
                f"digit {position} only ({wrong} for {digest})",
                "EROR integrity_failed, then the close; nothing stored",
                final.describe(),
            )


_MiB = 1024 * 1024


@pytest.mark.req("FRM-13", "APP-PUT-4", "APP-PUT-5")
def test_put_in_data_frames_of_exactly_one_mib(target: Target, app_channel: AppChannel) -> None:
    """DATA payloads of 1 to 1 048 576 bytes are DATA (FRM-13): a put of 1 MiB + 1 bytes
    sent as one DATA of exactly 1 MiB and one of a single byte — the two edges of the
    range — must be stored and confirmed. An off-by-one limit (`< 1 MiB`, or a record or
    buffer sized without the 8-byte frame header) refuses the first frame."""
    require(target, "put")
    size = _MiB + 1
    if target.limits.max_file_size < size or target.limits.frame_limit < _MiB + 64:
        pytest.skip(f"needs a max file size of {size} bytes and a frame limit above 1 MiB")
    data = os.urandom(size)
    name = fresh_name()
    channel = app_channel()
    answer, final = put_file(channel, name, data, chunk=_MiB)
    answer.check(f"PUTF of {size} bytes")
    want = {"size": size, "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    # Only DONE's defined members: a receiver ignores the others (FRM-10).
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        raise ConformanceFailure.evidence(
            f"FRM-13: a put of {size} bytes in a DATA of exactly {_MiB} bytes and one of 1 byte",
            f"DONE {want}",
            final.describe() if final is not None else answer.describe(),
        )
    _assert_stored_on_the_wire(channel, name, size)


# --------------------------------------------------------------------------------------
# A responder's put integrity: fewer bytes than announced, with an agreeing DONE (APP-PUT-5).
#
# Fewer bytes than announced, with a `DONE` that agrees with the offer (`size` = PUTF's
# size) and carries the digest of the bytes actually sent: a responder that compares the
# sizes announced (PUTF, DONE) and the digest of what arrived, but never counts the bytes
# that arrived, stores a truncated file. It must answer `integrity_failed` and store
# nothing under the name.
# --------------------------------------------------------------------------------------


@pytest.mark.req("APP-PUT-5", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("missing", [1, 1000])
def test_put_short_of_its_size_with_agreeing_done_is_refused(
    target: Target, app_channel: AppChannel, missing: int
) -> None:
    """PUTF size N, N - `missing` bytes of DATA, DONE {size: N, sha256: SHA-256 of the
    bytes sent}: `integrity_failed` (fatal), nothing stored under the name."""
    require(target, "put")
    name = fresh_name()
    sent = PAYLOAD[:-missing]
    answer, final = put_file(
        app_channel(),
        name,
        sent,
        announce=len(PAYLOAD),
        done_size=len(PAYLOAD),
        done_sha=hashlib.sha256(sent).hexdigest(),
    )
    if final is None:
        raise ConformanceFailure(f"PUTF was not accepted: {answer.describe()}")
    if not final.ok or final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: PUTF size {len(PAYLOAD)}, {len(sent)} bytes of DATA, then DONE "
            f"{{size: {len(PAYLOAD)}, sha256 of the {len(sent)} bytes sent}}",
            "EROR integrity_failed, then close; nothing stored",
            final.describe(),
        )
    _assert_name_free(app_channel, target, name, sent)
