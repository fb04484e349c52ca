"""An sft-eke/1 CLIENT's get against a lying server: lies the first round left out
(SPEC §1 FRM-13, §3.3 APP-GET-3). Could move into test_eke_client_transfer.py.

- Both digests announced, only `DONE.sha256` wrong: a client that checks `DONE.sha256`
  only when `RSFL` carried none ("the RSFL digest is checked already") keeps the file.
- An empty `DATA` frame in the middle of an otherwise honest transfer (the right bytes,
  the right `DONE`): a client that takes it for "no bytes" completes the get with a
  correct file, so the lie shows as a kept file and a success exit, not only as a
  missing `EROR bad_frame` (the existing empty-DATA variant is `slow`).

- An extra record that fails to authenticate (a sealed DATA record with a flipped tag
  bit), after which the honest rest follows at the next sequence numbers: a client that
  skips a record that does not open, with its sequence number spent on the attempt,
  opens everything after it and assembles the whole file (the first round's
  `forged-record-inserted` catches a skipper that does not spend the number).

The machinery (the suite's lying server, the verdict on a failed get) is
test_eke_client_transfer.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_transfer import (
    CHUNK,
    CONTENT,
    DIGEST,
    DIGEST_LAST_WRONG,
    NAME,
    SIZE,
    LyingServer,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import control, frame_bytes

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]


def _both_digests_done_wrong(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT)
    s.done(SIZE, DIGEST_LAST_WRONG)


@pytest.mark.req("APP-GET-3", "APP-STORE-3")
def test_client_checks_done_digest_also_when_rsfl_carried_one(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """RSFL announces the right SHA-256, every byte is right, DONE's SHA-256 is wrong (in
    its last hex digit): the client must fail the get with `integrity_failed`."""
    case, server = _run_lie(eke_target, tmp_path, transcripts, _both_digests_done_wrong)
    _judge_failed_get(
        case,
        "RSFL.sha256 right, DONE.sha256 wrong: the server lied about the file",
        owed="integrity_failed",
        server=server,
        own=("APP-GET-3",),
    )


def _empty_data_among_honest(s: LyingServer) -> None:
    half = SIZE // 2
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT[:half])
    s.frame("DATA", b"")
    s.data(CONTENT[half:])
    s.done()


@pytest.mark.req("FRM-13", "APP-STORE-3")
def test_client_refuses_an_empty_data_frame_amid_an_honest_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Half the file, an empty DATA frame, the other half and the right DONE: the empty
    frame is malformed [FRM-13], so the client must answer `bad_frame` and fail the get,
    even though every byte and both digests are right."""
    case, server = _run_lie(eke_target, tmp_path, transcripts, _empty_data_among_honest)
    _judge_failed_get(
        case,
        "an empty DATA frame amid an otherwise honest get",
        owed="bad_frame",
        server=server,
        own=("FRM-13",),
    )


def _bad_record_then_the_honest_rest(s: LyingServer) -> None:
    chunks = [CONTENT[o : o + CHUNK] for o in range(0, SIZE, CHUNK)]
    rsfl = s.sealed(frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST})))
    first = s.sealed(frame_bytes("DATA", chunks[0]))
    extra = s.sealed(frame_bytes("DATA", chunks[1]))  # spends its sequence number
    broken = extra[:-1] + bytes([extra[-1] ^ 0x01])  # its tag no longer verifies
    rest = [s.sealed(frame_bytes("DATA", chunk)) for chunk in chunks[1:]]
    done = s.sealed(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
    s.raw(b"".join([rsfl, first, broken, *rest, done]))
    s.await_reaction()


@pytest.mark.req("EKE-REC-4", "APP-STORE-3")
def test_client_closes_at_a_record_that_fails_even_when_the_rest_opens(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """RSFL, DATA #1, a DATA record whose tag does not verify (sealed at the next sequence
    number), then every chunk again at the numbers after it and the right DONE: the
    client must close at the bad record and fail the get; nothing kept."""
    case, server = _run_lie(eke_target, tmp_path, transcripts, _bad_record_then_the_honest_rest)
    _judge_failed_get(
        case,
        "a record whose tag does not verify, then the honest rest of the file",
        server=server,
        own=("EKE-REC-4",),
    )
