"""Put (docs/SPEC.md §3.4, §3.6): the responder under test stores into its inbox.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A target without the `put`
feature gets UNSUPPORTED. "Nothing under the final name" is checked on the wire: a new
PUTF of the same name must then be accepted, not answered `exists` [APP-PUT-3]; for the
embedded reference the inbox is also inspected.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
)

PAYLOAD = os.urandom(3000)


def _assert_name_free(app_channel: AppChannel, target: Target, name: str) -> None:
    """Nothing is stored under `name`: a fresh PUTF of it is accepted (then abandoned)."""
    channel: Channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 1})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"APP-STORE-3: after a failed put, {name!r} must not exist (a new PUTF is refused)"
    )
    channel.close()
    if target.inbox is not None:
        final = target.inbox / name
        leftovers = [p.name for p in target.inbox.iterdir() if p.name == name]
        if final.exists() or leftovers:
            raise ConformanceFailure(f"APP-STORE-3: {final} exists after a failed put")


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
    if target.inbox is not None:
        stored = (target.inbox / name).read_bytes()
        assert stored == PAYLOAD, "APP-PUT-5: the stored file differs from what was sent"
        partial = [p.name for p in target.inbox.iterdir() if p.name.startswith(".sft-partial")]
        assert not partial, f"APP-STORE-3: temporary files left: {partial}"


@pytest.mark.req("APP-PUT-3")
def test_put_that_would_overwrite_is_exists(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    name = fresh_name()
    channel = app_channel()
    answer, final = put_file(channel, name, PAYLOAD)
    if final is None or not final.ok or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"first put of {name!r} failed: {answer.describe()}")
    channel.send_frame("PUTF", {"name": name, "size": 5})
    channel.expect([ExpectError("exists")]).check("APP-PUT-3: second PUTF of the same name")
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


@pytest.mark.req("APP-PUT-5", "APP-STORE-3", "ERR-3")
@pytest.mark.parametrize("lie", ["done-sha256", "done-size", "putf-sha256", "fewer-bytes"])
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
    answer, final = put_file(
        app_channel(),
        name,
        PAYLOAD[:-10] if lie == "fewer-bytes" else PAYLOAD,
        announce=len(PAYLOAD),
        **kwargs,  # type: ignore[arg-type]
    )
    if final is None:
        raise ConformanceFailure(f"PUTF was not accepted: {answer.describe()}")
    if not final.ok or final.frame is None or final.frame.type != b"EROR":
        raise ConformanceFailure(
            f"APP-PUT-5 ({lie}): expected EROR integrity_failed then close\n{final.describe()}"
        )
    _assert_name_free(app_channel, target, name)


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


@pytest.mark.req("APP-BYE-1", "FRM-6")
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
