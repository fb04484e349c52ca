"""An sft-eke/1 CLIENT's get where the server's frames cross the client's own, or break a
rule only past the first byte or the first clause (SPEC FRM-2, FRM-3, ERR-3, APP-BYE-2).

The suite completes an honest handshake, reads the client's `RQFL` and then:

* [FRM-2] seals, in place of RSFL, a frame whose FIRST type byte is a valid one and a
  later one is not (`Rsfl`, `RSF` NUL, `RS-L`): a type is four bytes of `A-Z 0-9 _`, all
  four. A syntax check on the first byte only (an unanchored pattern), or one that asks
  whether the type "is upper case" (`bytes.isupper()`: true for `RSF` NUL), looks the
  type up as an unknown one and answers `unexpected_frame`; the code owed is
  `bad_frame`.
* [FRM-3, ERR-3] makes the client send a fatal `EROR` of its own (a record header
  announcing one byte above the frame limit; more DATA than announced; a frame of an
  undefined type) and then keeps the connection open, still sending a few bytes every
  0.2 s — the announced payload a lying server trickles. FRM-3: "... and then close the
  connection"; ERR-3: the close follows the `EROR` at once (a lingering close reads for
  at most 2 s). A client that first drains "the frame in progress" or waits for the
  server's FIN holds the connection as long as the server likes. The suite allows 3 s.
* [APP-BYE-2] serves the file honestly and, right after its DONE, sends a sealed `EROR
  timeout` (its idle timer fired while the client's `BYE_` was on its way): the get was
  verified and is complete; the run reports success (exit 0) and keeps the file.

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    control,
    deadline_after,
    error_payload,
    header_bytes,
)

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# ERR-3: a lingering close reads for at most 2 s; the suite allows 3 s after the EROR.
_CLOSE_WITHIN = 3.0
_TRICKLE_EVERY = 0.2
_TRICKLE_ROUNDS = 40  # 8 s of trickling at most: far beyond the allowance
_AFTER_DONE_WAIT = 3.0  # how long the server waits for the client's end after its EROR


# ------------------------------------------------------------------ FRM-2: later bytes


def _typed(frame_type: bytes) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        payload = control({"name": lies.NAME, "size": lies.SIZE})
        s.channel.send_raw(frame_type + len(payload).to_bytes(4, "big") + payload)
        s.await_reaction()

    return lie


_TYPES = {
    "lower-case-after-R": b"Rsfl",
    "nul-last": b"RSF\x00",
    "hyphen-third": b"RS-L",
    "high-byte-second": b"R\xd3FL",
}


_SLOW_TYPES = frozenset({"lower-case-after-R", "hyphen-third", "high-byte-second"})


@pytest.mark.req("FRM-2")
@pytest.mark.parametrize(
    "frame_type",
    [
        pytest.param(t, id=k, marks=[pytest.mark.slow] if k in _SLOW_TYPES else [])
        for k, t in _TYPES.items()
    ],
)
def test_client_judges_every_type_byte(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    frame_type: bytes,
    request: pytest.FixtureRequest,
) -> None:
    """In place of RSFL, a record holding a frame whose type starts with a valid byte but
    holds an invalid one later: EROR bad_frame (sealed), and the get fails."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _typed(frame_type))
    lies._judge_failed_get(
        case,
        f"FRM-2: a frame typed {frame_type!r} (a valid first byte) in place of RSFL",
        owed="bad_frame",
        server=server,
        own=("FRM-2",),
    )


# ------------------------------------------------- FRM-3 / ERR-3: the close comes at once


def _oversize_header(s: lies.LyingServer) -> None:
    s.raw(header_bytes("RECD", lies._FRAME_LIMIT + 1))


def _overrun(s: lies.LyingServer) -> None:
    s.rsfl(size=100)
    s.data(lies.CONTENT[:100])
    s.data(lies.CONTENT[100:200])


def _undefined_type(s: lies.LyingServer) -> None:
    s.frame("NOOP", control({}))


_PROVOCATIONS = {
    "oversize-record-header": (_oversize_header, "frame_too_large", ("FRM-3", "ERR-3")),
    "more-data-than-announced": (_overrun, "integrity_failed", ("APP-GET-4", "ERR-3")),
    "undefined-type": (_undefined_type, "unexpected_frame", ("FRM-5", "ERR-3")),
}


_SLOW_KINDS = frozenset({"undefined-type"})


def _provoke_then_trickle(provoke: lies.Lie, box: dict[str, object]) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        provoke(s)
        reaction = s.await_reaction()
        box["reaction"] = reaction
        if isinstance(reaction, Closed):
            box["closed_after"] = 0.0
            return
        started = time.monotonic()
        raw = s.channel.raw
        for _ in range(_TRICKLE_ROUNDS):
            if not raw.send_raw(b"\x00" * 64):  # the "payload" still on its way
                box["closed_after"] = time.monotonic() - started
                break
            event = raw.recv_frame(deadline_after(_TRICKLE_EVERY))
            if isinstance(event, Closed):
                box["closed_after"] = time.monotonic() - started
                break
        s.closed = True  # nothing more to await: the harness closes its side

    return lie


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[pytest.mark.req(*reqs)] + ([pytest.mark.slow] if kind in _SLOW_KINDS else []),
            id=kind,
        )
        for kind, (_, _, reqs) in _PROVOCATIONS.items()
    ],
)
def test_client_closes_at_once_after_its_own_fatal_error(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The client's own fatal EROR, then a server that neither closes nor stops sending:
    the client's close (FIN or reset) comes within 3 s of its EROR, and the get fails."""
    skip_slow_variant(request)
    provoke, owed, reqs = _PROVOCATIONS[kind]
    box: dict[str, object] = {}
    case, server = lies._run_lie(
        eke_target, tmp_path, transcripts, _provoke_then_trickle(provoke, box)
    )
    what = f"{kind}: the client's fatal EROR {owed}, then a server that keeps sending"
    lies._judge_failed_get(case, what, owed=owed, server=server, own=reqs)
    closed_after = box.get("closed_after")
    if not (isinstance(closed_after, float) and closed_after <= _CLOSE_WITHIN):
        shown = (
            f"after {closed_after:.1f} s"
            if isinstance(closed_after, float)
            else f"not within {_TRICKLE_ROUNDS * _TRICKLE_EVERY:.0f} s"
        )
        failure = ConformanceFailure.evidence(
            what,
            f"the client closes the connection at once after its EROR {owed} (a lingering "
            "close reads for at most 2 s; the suite allows 3 s) while the server keeps "
            "sending",
            f"the client closed {shown} of its EROR",
            note=case.describe(),
        )
        failure.violates = (reqs[0], "ERR-3")
        raise failure


# ---------------------------------------- APP-BYE-2: an EROR after a completed get


def _timeout_after_done(box: dict[str, list[str]]) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.honest()
        s.frame("EROR", error_payload("timeout", "idle timeout"))
        # The client's BYE_ (or its close) crosses the EROR; read it so that our close is
        # a FIN, not a reset that could destroy what we sent.
        end = deadline_after(_AFTER_DONE_WAIT)
        for _ in range(8):
            event = s.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                break
            box.setdefault("after", []).append(event.describe(40))
        s.close()

    return lie


@pytest.mark.req("APP-BYE-2")
def test_client_keeps_a_completed_get_when_an_error_crosses_its_bye(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Honest RSFL, DATA, DONE, then a sealed EROR timeout and the close: the get was
    complete and verified, so the client reports success and keeps the file."""
    box: dict[str, list[str]] = {}
    case, _server = lies._run_lie(eke_target, tmp_path, transcripts, _timeout_after_done(box))
    result = case.result
    kept = result.kept_file and result.out.read_bytes() == lies.CONTENT
    if not (result.succeeded and kept):
        raise ConformanceFailure.evidence(
            "APP-BYE-2: a verified get, then the server's EROR timeout crossing the client's end",
            "success (exit 0) and the file kept: the transfer was complete at DONE",
            f"{result.describe()}; file intact: {kept}; after DONE the client sent "
            f"{box.get('after', 'nothing')}",
            note=case.describe(),
        )


__all__: list[str] = []
