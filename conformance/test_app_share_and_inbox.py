"""The share and the inbox are two places (docs/SPEC.md §3.3 APP-GET-1, §3.4 APP-PUT-3).

A get asks for a file of the responder's *share* [APP-GET-1]; a put is stored in its
*inbox* and is refused `exists` only for a name that exists *in the inbox* [APP-PUT-3].
The class of bug: the two mixed up — a get that looks in the inbox as well (what was
just put, by anyone, is served back), a put refused because the share holds that name.

Fixtures (conformance/plugin.py): `target`, `app_channel()`. The get case needs the
target's `share` and `inbox` (target-file keys) to be declared and distinct (a responder
may well be configured with one directory for both); the put case needs the `inbox`
(it removes what it stored there afterwards, so that the next run finds the name free).
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, put_file, require
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError


@pytest.mark.req("APP-GET-1", "APP-GET-2")
def test_get_does_not_serve_the_inbox(target: Target, app_channel: AppChannel) -> None:
    """A file just put (so it is in the inbox, not in the share) is not served by a get of
    its name: `not_found` (or `forbidden`), on the same connection and on a new one."""
    require(target, "put")
    require(target, "get")
    if target.share is None or target.inbox is None:
        pytest.skip("needs the target's share and inbox (target-file keys `share`, `inbox`)")
    share, inbox = target.share.resolve(), target.inbox.resolve()
    if share == inbox or share in inbox.parents or inbox in share.parents:
        pytest.skip(f"the share {share} and the inbox {inbox} overlap")
    name = fresh_name("sft-inbox-only")
    data = b"stored in the inbox, not in the share\n"
    channel = app_channel()
    answer, final = put_file(channel, name, data)
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"the put of {name!r} failed: {answer.describe()}")
    for where, conn in (("the same connection", channel), ("a new connection", app_channel())):
        result = get_file(conn, name, also=[ExpectError("not_found", "forbidden")], served=False)
        if result.refused is None:
            raise ConformanceFailure.evidence(
                f"APP-GET-1: RQFL {name!r} on {where}, after a put stored it in the inbox",
                f"not_found: the share {share} holds no such file",
                result.first.describe(),
            )


@pytest.mark.req("APP-PUT-3", "APP-PUT-2")
def test_put_of_a_name_the_share_holds_is_accepted(target: Target, app_channel: AppChannel) -> None:
    """A PUTF of the basename of a file of the share, which the inbox does not hold, is
    accepted and stored in the inbox: `exists` is about the inbox only. The case removes
    the stored file afterwards."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("needs the target's inbox (target-file key `inbox`) to remove the put")
    names = [f.name.rsplit("/", 1)[-1] for f in target.files if f.name.isascii()]
    free = [n for n in names if not (target.inbox / n).exists() and not n.startswith(".")]
    if not free:
        pytest.skip("no known file of the share whose name the inbox does not hold")
    # One name per profile: the runs of both profiles may share one inbox.
    name = free[0 if target.profile == "eke" else len(free) - 1]
    data = f"a put named like a file of the share ({target.profile}, {fresh_name()})\n".encode()
    stored = target.inbox / name
    try:
        answer, final = put_file(app_channel(), name, data)
        if answer.frame is None or answer.frame.type != b"RSFL":
            if answer.frame is not None and stored.exists():
                # Another run's put of that name landed meanwhile (two profiles, one inbox).
                inconclusive(f"{stored} appeared while the case ran: {answer.describe()}")
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: PUTF {name!r}, a name the share holds and the inbox does not",
                "RSFL {accept: true}: exists is about the inbox",
                answer.describe(),
            )
        if final is None or final.frame is None or final.frame.type != b"DONE":
            raise ConformanceFailure(
                f"APP-PUT-2: the put of {name!r} was accepted, then: "
                f"{final.describe() if final is not None else 'nothing'}"
            )
        if not stored.is_file() or stored.read_bytes() != data:
            raise ConformanceFailure(f"APP-PUT-2: {stored} does not hold the put's bytes")
    finally:
        if stored.is_file() and stored.read_bytes() == data:
            stored.unlink()
