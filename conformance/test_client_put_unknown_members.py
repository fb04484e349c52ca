"""A CLIENT ignores members it does not know on the put path too: in the RSFL {accept} and in
the DONE that answers its put (SPEC FRM-10, APP-PUT-9, APP-PUT-10).

FRM-10: a receiver MUST ignore members of a control object that the schema does not
define, and a sender MAY add them. The get's frames are where this is usually tried; a
client whose put's answers are decoded into stricter structures (a struct that denies
unknown fields, a schema with `additionalProperties: false`, a member-count check) fails
a put that an honest responder of a later revision accepted and stored.

The suite plays the responder of `client_put_cmd` (both profiles) and stores the put
honestly, adding a member the schema does not define to its RSFL {accept} (slow: to the
DONE that answers the client's DONE; to both). The client must send its file and report
the put stored (exit 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.channel import Channel
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, error_payload

pytestmark = [pytest.mark.side("initiator")]

# A member no schema defines; an object value, as a later revision would add (FRM-10).
_EXTRA: dict[str, Any] = {"x-suite-note": {"revision": 2, "stored": True}}


def _serve_with_extras(*, in_accept: bool, in_receipt: bool) -> puts.Serve:
    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        accept: dict[str, Any] = {"accept": True, "name": offered}
        if in_accept:
            accept |= _EXTRA
        payload = control(accept)
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
        receipt = right | _EXTRA if in_receipt else right
        channel.send_frame("DONE", receipt)
        seen.answered += f"; DONE {sorted(receipt)}"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("FRM-10", "APP-PUT-10")
@pytest.mark.parametrize(
    ("in_accept", "in_receipt"),
    [
        pytest.param(True, False, id="in-the-acceptance"),
        pytest.param(False, True, id="in-the-receipt", marks=pytest.mark.slow),
        pytest.param(True, True, id="in-both", marks=pytest.mark.slow),
    ],
)
def test_client_put_ignores_unknown_members_of_the_answers(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    in_accept: bool,
    in_receipt: bool,
    request: pytest.FixtureRequest,
) -> None:
    """An honest responder whose RSFL {accept} (and/or receipt DONE) carries a member the
    schema does not define: the put goes on and is reported stored."""
    skip_slow_variant(request)
    content = puts._content(3000)
    put = puts._run_put(
        target,
        tmp_path,
        transcripts,
        puts.Answer(),
        content,
        serve=_serve_with_extras(in_accept=in_accept, in_receipt=in_receipt),
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    if not put.run.succeeded:
        problems.append(
            (
                "FRM-10",
                f"the responder accepted and stored the put, its answers carrying the member "
                f"{next(iter(_EXTRA))!r} the schema does not define, yet the client reported "
                f"failure ({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
            )
        )
    puts._fail(put, problems, "a put whose answers carry a member the schema does not define")
