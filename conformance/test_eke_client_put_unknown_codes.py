"""An sft-eke/1 CLIENT's put answered by an EROR of a code ERR-2 does not list (ERR-4).

test_client_fatal_errors.py answers a GET with unknown codes; a get then fails whatever the
client makes of the code, since no file came. A put is the other way round: the bytes
went out, and only the responder's answer says whether they were stored. A client that
reads an EROR whose code is 0 as "status 0: no error" (the C and errno convention), or any
code outside the table as a warning, reports a put as stored that the responder refused.
[ERR-4] an unknown code is `internal` (fatal): in place of the receipt DONE, or of the
acceptance, the put failed [APP-PUT-10] — non-zero exit, and after a refused PUTF no DATA.

The suite plays the responder with test_client_put.py's machinery (`client_put_cmd`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 3000
# (code, where): 0 and 15 are the nearest codes outside ERR-2's table (1 … 14).
_CASES = {
    "code-0-for-done": (0, "done"),
    "code-0-for-putf": (0, "putf"),
    "code-15-for-done": (15, "done"),
}


def _eror(code: int) -> bytes:
    # A `name` of no code in the table: the client acts on `code` only [ERR-1].
    return control({"code": code, "name": "ok", "message": "suite: status"})


def _serve_unknown(code: int, where: str) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or "no PUTF"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        if where == "putf":
            channel.send_frame("EROR", _eror(code))
            seen.answered = f"EROR code {code} (unknown)"
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
            return
        offered = str((seen.putf or {}).get("name", name))
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = "RSFL accept"
        received = hashlib.sha256()
        for _ in range(puts.MAX_FRAMES):
            frame = puts._next(channel, seen, puts.READ_TIMEOUT)
            if frame is None:
                return
            seen.sending.append(frame)
            if frame.type == b"DATA":
                received.update(frame.payload)
            elif frame.type == b"DONE":
                break
            else:
                return
        else:
            return
        channel.send_frame("EROR", _eror(code))
        seen.answered += f"; EROR code {code} (unknown) for its DONE"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("ERR-4", "APP-PUT-10")
@pytest.mark.parametrize("label", list(_CASES))
def test_initiator_put_answered_by_an_unknown_code_fails(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    """[ERR-4] The responder answers the put's DONE (or its PUTF) with an EROR whose code
    the table does not list: that is `internal`, fatal, and the put was not stored. The
    client MUST NOT report success [APP-PUT-10], nor send DATA after a refused PUTF."""
    code, where = _CASES[label]
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve_unknown(code, where),
    )
    if "(unknown)" not in put.seen.answered:
        return  # the client's put never reached that point: judged by test_client_put.py
    problems: puts.Problems = []
    if where == "putf":
        sent = puts._data_bytes(put.seen.after)
        if sent:
            problems.append(
                ("ERR-4", f"after EROR code {code} the client sent {len(sent)} DATA/DONE frames")
            )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "ERR-4",
                f"the responder answered its {where.upper()} with EROR code {code} (not in the "
                f"table: internal, fatal), yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put answered by EROR code {code} ({label})")
