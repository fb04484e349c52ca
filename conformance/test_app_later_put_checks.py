"""A later put on a connection is judged exactly like the first (SPEC §3.4 APP-PUT-5,
APP-PUT-7, §3.2 APP-2).

A connection carries several transfers (APP-2); what a responder checks on a put it must
check on every put, from the put's own announcement — not from what earlier transfers of
the connection left behind. Two slips of state kept per connection instead of per put:
- a check done once: the announced `PUTF.sha256` verified on the first put only (a flag
  "digest checked" never cleared, an expected digest taken from the first PUTF); a later
  put whose bytes do not match its announced digest is then stored. APP-PUT-5: the
  responder MUST verify the SHA-256 against DONE and, when present, `PUTF.sha256`.
- a limit spent: the maximum file size applied to a running total of the connection's
  puts (a byte budget not reset per put); a later PUTF of exactly the maximum is then
  refused `too_large`. APP-PUT-7: `too_large` is for an announced size that exceeds the
  maximum file size, and only that.
Each is checked first on a connection's first put, then after one stored put, after two,
and after a refused put and a get.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# What the connection did before the put under test.
_BEFORE = ["nothing", "one stored put", "two stored puts", "a refused put and a get"]


def _stored_put(channel: Channel, label: str) -> None:
    name = fresh_name("sft-later-first")
    data = secrets.token_bytes(2048)
    digest = hashlib.sha256(data).hexdigest()
    channel.send_frame("PUTF", {"name": name, "size": len(data), "sha256": digest})
    channel.expect(ExpectFrame("RSFL", {"accept": True})).check(f"{label}: PUTF {name!r}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": digest})
    channel.expect(ExpectFrame("DONE", {"size": len(data), "sha256": digest})).check(
        f"{label}: DONE of {name!r}"
    )


def _prepare(target: Target, channel: Channel, before: str) -> None:
    if before == "one stored put":
        _stored_put(channel, before)
    elif before == "two stored puts":
        _stored_put(channel, before)
        _stored_put(channel, before)
    elif before == "a refused put and a get":
        name = fresh_name("sft-later-refused")
        channel.send_frame("PUTF", {"name": name, "size": target.limits.max_file_size + 1})
        channel.expect(ExpectError("too_large", then_close=False)).check(
            f"{before}: PUTF {name!r} of max_file_size + 1 bytes"
        )
        if target.has("get") and target.files:
            get_file(channel, known_file(target).name)


@pytest.mark.req("APP-PUT-5", "APP-2")
@pytest.mark.parametrize("before", _BEFORE)
def test_announced_digest_is_checked_on_every_put(
    target: Target, app_channel: AppChannel, before: str
) -> None:
    require(target, "put")
    channel = app_channel()
    _prepare(target, channel, before)
    name = fresh_name("sft-later-digest")
    data = secrets.token_bytes(4096)
    actual = hashlib.sha256(data).hexdigest()
    announced = hashlib.sha256(data + b"other").hexdigest()
    channel.send_frame("PUTF", {"name": name, "size": len(data), "sha256": announced})
    channel.expect(ExpectFrame("RSFL", {"accept": True})).check(f"PUTF {name!r} after {before}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": actual})
    outcome = channel.expect([ExpectError("integrity_failed"), ExpectFrame("DONE")])
    if not outcome.ok or outcome.frame is None or outcome.frame.error_name != "integrity_failed":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: after {before} on the connection, a put whose PUTF.sha256 is not the "
            f"digest of its bytes (DONE.sha256 is)",
            "EROR integrity_failed (the announced digest is checked on every put), then the "
            "close; nothing stored",
            outcome.describe(),
        )
    inbox = target.inbox
    if inbox is not None and (inbox / name).exists():
        raise ConformanceFailure(
            f"APP-PUT-5: the put of {name!r} was refused integrity_failed but the inbox holds "
            "a file of that name"
        )


@pytest.mark.req("APP-PUT-7", "APP-2")
@pytest.mark.parametrize("before", _BEFORE)
def test_put_of_the_maximum_size_is_accepted_on_every_put(
    target: Target, app_channel: AppChannel, before: str
) -> None:
    """PUTF of exactly max_file_size bytes: accepted whatever came before on the
    connection. The put is then abandoned (the connection closed before any DATA): only
    the answer to the announcement is judged."""
    require(target, "put")
    channel = app_channel()
    _prepare(target, channel, before)
    name = fresh_name("sft-later-max")
    size = target.limits.max_file_size
    channel.send_frame("PUTF", {"name": name, "size": size})
    outcome = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    channel.close()
    if outcome.frame is None or outcome.frame.type != b"RSFL":
        raise ConformanceFailure.evidence(
            f"APP-PUT-7: after {before} on the connection, PUTF {name!r} of exactly "
            f"max_file_size = {size} bytes",
            "RSFL {accept: true}: too_large is only for a size above the maximum (the limit "
            "is per put, not a budget of the connection)",
            outcome.describe(),
        )
