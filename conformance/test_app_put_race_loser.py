"""The loser of two concurrent puts of one name keeps its connection (docs/SPEC.md
APP-PUT-8, ERR-3).

Belongs beside conformance/test_app_put.py's `test_concurrent_puts_of_one_name`, which
judges that the put verified first is stored and the other told `exists`. `exists` is
non-fatal (ERR-2): "After a non-fatal EROR of the responder the connection returns to
the idle state" (ERR-3), wherever the `exists` comes — at `PUTF`, or instead of the
later put's `DONE` (APP-PUT-8). The `exists` at `DONE` comes from an error path of its own
(the final link fails), where a responder easily takes the fatal exit of the
integrity failures beside it and closes. Here the loser's connection must then serve a
get (or, without the `get` feature, another put).
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


@pytest.mark.req("APP-PUT-8", "ERR-3")
def test_loser_of_a_put_race_keeps_its_connection(target: Target, app_channel: AppChannel) -> None:
    """Two puts of one name, both accepted; the first's DONE stores it, the second's
    DONE is answered `exists` (or its PUTF was): the second connection then still serves
    a request."""
    require(target, "put")
    name = fresh_name()
    one, two = app_channel(), app_channel()
    first, second = b"1" * 3000, b"2" * 3000
    one.send_frame("PUTF", {"name": name, "size": len(first)})
    one.expect([ExpectFrame("RSFL", {"accept": True})]).check("first PUTF")
    two.send_frame("PUTF", {"name": name, "size": len(second)})
    answer = two.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")])
    answer.check("APP-PUT-8: a second PUTF of a name whose put is in progress")
    where = "instead of its DONE"
    if answer.frame is not None and answer.frame.type == b"EROR":
        where = "at its PUTF"
        one.send_frame("DATA", first)
        one.send_frame("DONE", {"size": len(first), "sha256": hashlib.sha256(first).hexdigest()})
        one.expect([ExpectFrame("DONE")]).check("APP-PUT-8: the first put is stored")
    else:
        one.send_frame("DATA", first)
        two.send_frame("DATA", second)
        one.send_frame("DONE", {"size": len(first), "sha256": hashlib.sha256(first).hexdigest()})
        one.expect([ExpectFrame("DONE")]).check("APP-PUT-8: the put verified first is stored")
        two.send_frame("DONE", {"size": len(second), "sha256": hashlib.sha256(second).hexdigest()})
        two.expect([ExpectError("exists")]).check(
            "APP-PUT-8: the later put of the same name, at its DONE"
        )
    context = f"ERR-3: a request on the connection whose put of {name!r} was refused {where}"
    if target.has("get") and target.files:
        file = next((f for f in target.files if f.size > 0), target.files[0])
        two.send_frame("RQFL", {"name": file.name})
        outcome = two.expect([ExpectFrame("RSFL")])
        if not outcome.ok:
            raise ConformanceFailure(
                f"{context}\nExpected: RSFL for RQFL {file.name!r}: `exists` is non-fatal, "
                f"the connection returns to IDLE\nActual:   {outcome.describe()}",
                violates=("ERR-3",),
            )
        return
    after, _ = put_file(two, fresh_name(), b"after exists")
    if not after.ok:
        raise ConformanceFailure(
            f"{context}\nExpected: RSFL accept for a new PUTF: `exists` is non-fatal, the "
            f"connection returns to IDLE\nActual:   {after.describe()}",
            violates=("ERR-3",),
        )
