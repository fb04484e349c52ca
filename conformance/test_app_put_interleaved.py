"""Puts of two connections interleaved, and a put's connection ended without BYE_
(docs/SPEC.md §3.4 APP-PUT-2, APP-PUT-5, §3.7 APP-BYE-2).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. The class of bug: what
belongs to one put kept where every connection sees it — "the current put" (its final
name, its temporary, its digest) on the server object instead of the connection — so that
a put committed while another connection's put is in progress is stored under the other
one's name or bytes; and a put treated as part of a transaction that only a BYE_ commits,
so that a connection that just ends takes back a put already acknowledged with DONE
(APP-BYE-2: a connection closed without BYE_ between transfers is not an error for a
completed transfer). Each put is checked through the wire (a new PUTF of its name is
`exists`) and, with the target's declared `inbox`, by its content.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


def _offer(channel: Channel, name: str, data: bytes, what: str) -> None:
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"{what}: PUTF {name!r}")


def _finish(channel: Channel, name: str, data: bytes, what: str) -> None:
    """DATA and DONE; the receipt must be this put's own DONE [APP-PUT-5]."""
    channel.send_frame("DATA", data)
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    channel.send_frame("DONE", want)
    outcome = channel.expect([ExpectFrame("DONE")])
    done = outcome.frame.json() if outcome.frame is not None else None
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if not outcome.ok or got != want:
        raise ConformanceFailure.evidence(
            f"APP-PUT-2: {what}: DATA and DONE of {name!r}",
            f"DONE {want}: the put is stored under its own name",
            outcome.describe(),
        )


def _stored(app_channel: AppChannel, target: Target, name: str, data: bytes, what: str) -> None:
    """`name` holds the put's bytes: a new PUTF of it is `exists`; the inbox agrees."""
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": 1})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL")])
    if again.frame is None or again.frame.error_name != "exists":
        raise ConformanceFailure.evidence(
            f"{what}; then, on a new connection, PUTF {name!r} again",
            "EROR exists: the acknowledged put is stored under its own name",
            again.describe(),
        )
    if target.inbox is not None:
        path = target.inbox / name
        held = path.read_bytes() if path.is_file() else None
        if held != data:
            raise ConformanceFailure.evidence(
                f"{what}: the declared inbox",
                f"{name!r} holds the {len(data)} bytes of its put",
                "missing" if held is None else f"{len(held)} other bytes",
            )


@pytest.mark.req("APP-PUT-2", "APP-PUT-5")
@pytest.mark.parametrize("first_done", ["first-offered", "last-offered"])
def test_interleaved_puts_of_two_connections_keep_their_names(
    target: Target, app_channel: AppChannel, first_done: str
) -> None:
    """Connection A offers x, connection B offers y (both accepted), then one of them
    sends its data and DONE, then the other: each put is acknowledged with its own DONE
    and stored under its own name with its own bytes."""
    require(target, "put")
    a, b = app_channel(), app_channel()
    x, y = fresh_name("sft-interleaved-a"), fresh_name("sft-interleaved-b")
    data_x, data_y = os.urandom(700), os.urandom(300)
    what = f"PUTF {x!r} on A, PUTF {y!r} on B, then the {first_done} put finished first"
    _offer(a, x, data_x, what)
    _offer(b, y, data_y, what)
    order = [(a, x, data_x), (b, y, data_y)]
    if first_done == "last-offered":
        order.reverse()
    for channel, name, data in order:
        _finish(channel, name, data, what)
    for _channel, name, data in order:
        _stored(app_channel, target, name, data, what)


@pytest.mark.req("APP-BYE-2", "APP-PUT-5")
def test_acknowledged_put_stays_when_the_connection_ends_without_bye(
    target: Target, app_channel: AppChannel
) -> None:
    """A put acknowledged with DONE, then the connection ends without BYE_ (the suite's
    clean close: close_notify over sft-pki/1, FIN over sft-eke/1): the put stays stored —
    now, and once the responder has finished with that connection."""
    require(target, "put")
    name = fresh_name("sft-no-bye")
    data = os.urandom(500)
    channel = app_channel()
    what = f"put {name!r} acknowledged with DONE, then the connection closed without BYE_"
    _offer(channel, name, data, what)
    _finish(channel, name, data, what)
    channel.close()
    _stored(app_channel, target, name, data, what)
    # Checked again after that round trip on a new connection: by then the responder has
    # finished with the closed one (it ends its side at once, PKI-TLS-7 / ERR-3).
    _stored(app_channel, target, name, data, what + " (checked again)")
