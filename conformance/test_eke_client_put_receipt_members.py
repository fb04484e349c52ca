"""An sft-eke/1 CLIENT ignores the members the schema does not define in the DONE that
answers its put — the receipt — as it does in a get's frames (SPEC FRM-10, APP-PUT-10).

FRM-10: a receiver MUST ignore members of a control object that the schema does not
define, and a sender MAY add them. A client often has two parsers of one frame type: the
get's DONE, read leniently, and the put's receipt DONE, written later and checked against
its exact schema (a member-set comparison, a struct that denies unknown fields, a check
of the first key). Such a client fails a put that an honest responder of a later revision
accepted and stored, and reports it failed.

The suite plays the responder of `client_put_cmd` and stores the put honestly; its
acceptance is the plain `RSFL {accept, name}`, and its receipt DONE carries, besides the
right `size` and `sha256`, undefined members of every JSON type (string, integer, `null`,
`true`, array, object, one named like RSFL's `name`), placed BEFORE the defined members
and those in reverse order. The client must report the put stored (exit 0) and send the
file as offered. (test_client_put_unknown_members.py puts one object-valued member in the
acceptance by default, in the receipt only in a `slow` variant.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# Undefined members of every JSON type; `null` and `name` included (FRM-10: ignored
# whatever their value or their name elsewhere in the schema).
_EXTRAS: dict[str, Any] = {
    "x-suite-stored-at": 1700000000,
    "x-suite-note": "stored by a later revision",
    "x-suite-none": None,
    "x-suite-flag": True,
    "x-suite-list": [1, "two", None],
    "x-suite-object": {"revision": 2, "detail": {"deep": [None]}},
    "name": "a-member-done-does-not-define",
}


def _serve_receipt_with_extras(channel: Channel, seen: puts.PutSeen, answer: puts.Answer,
                               name: str) -> None:  # fmt: skip
    offered = puts.read_offer(channel, seen, name)
    if offered is None:
        return
    payload = control({"accept": True, "name": offered})
    channel.send_frame("RSFL", payload)
    seen.answered = f"RSFL {payload.decode('utf-8', 'replace')}"
    got = puts.read_put_data(channel, seen)
    if got is None:
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        return
    count, digest = got
    done = seen.sending[-1].json() if seen.sending else None
    right: dict[str, Any] = {"size": count, "sha256": digest}
    if not (puts._done_says(done, right) and (seen.putf or {}).get("size") == count):
        channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
        seen.answered += "; EROR integrity_failed"
        return
    # The undefined members first, then the defined ones in reverse order.
    receipt: dict[str, Any] = dict(_EXTRAS) | {"sha256": digest, "size": count}
    channel.send_frame("DONE", control(receipt))
    seen.answered += f"; DONE {list(receipt)}"
    puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)


@pytest.mark.req("FRM-10", "APP-PUT-10")
def test_eke_client_put_ignores_undefined_members_of_its_receipt(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest responder's receipt DONE carrying undefined members of every JSON type,
    ahead of the defined ones: the put is reported stored."""
    content = puts._content(4000)
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), content, serve=_serve_receipt_with_extras
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    if not put.run.succeeded:
        problems.append(
            (
                "FRM-10",
                f"the responder stored the put and answered its DONE with the right size and "
                f"sha256 plus members the schema does not define ({sorted(_EXTRAS)}), yet the "
                f"client reported failure ({put.run.describe()}: "
                f"{put.run.stderr.strip()[-200:]})",
            )
        )
    puts._fail(put, problems, "a put whose receipt DONE carries undefined members")
