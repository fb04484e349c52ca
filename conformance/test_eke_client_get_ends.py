"""How an sft-eke/1 CLIENT's get ends: only at a verified DONE, sealed to the last frame,
whatever the size announced, the number of records, or the length of the output name
(SPEC FRM-7, APP-GET-4, APP-GET-5, APP-STORE-1, APP-STORE-4, EKE-REC-1, EKE-REC-2).

* **EOF inside the record after the last byte** (FRM-7, APP-GET-5). Every announced byte
  has arrived (and RSFL's digest matches them), then the connection ends inside the next
  record: 4 bytes of its header, the header alone, half its body. A client that takes
  that cut record for "the DONE a middlebox dropped" keeps a file no DONE vouched for. A
  conforming client fails the get and keeps nothing.
* **An RSFL of size 0 followed by data** (APP-GET-4, APP-STORE-4). Size 0 is a size, not
  "unknown" (a streaming server's habit): the first DATA byte is beyond it and the get
  fails `integrity_failed`, whatever DONE then claims. A client that writes the bytes
  until DONE and believes DONE's size put more on disk than announced.
* **Nothing in clear after EKE4, to the very end** (EKE-REC-1, EKE-REC-4). After an honest
  get the suite reads what the client still sends (its `BYE_`, if any) until it closes:
  every frame must be a record. A client that writes its goodbye with the login's
  plaintext encoder ("the session is over") breaks it.
* **Many records** (EKE-REC-2): an honest file of 65 600 bytes in 1-byte DATA frames is
  65 602 records of the server: a client whose receiving sequence number is narrower than
  64 bits (16 bits) opens the 65 537th under a wrapped nonce and fails an honest get.
* **An output name of 255 bytes** (APP-STORE-1, APP-GET-6): the temporary's name is
  `.sft-partial-` and a random part, never derived from the final name, so a final name
  of 255 bytes (ASCII, or 2-byte UTF-8) is got like any other. A temporary named after
  the final name cannot be made (ENAMETOOLONG) and an honest get fails.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import read_inner
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_DONE_INNER = b"DONE" + len(control({"size": lies.SIZE, "sha256": lies.DIGEST})).to_bytes(
    4, "big"
) + control({"size": lies.SIZE, "sha256": lies.DIGEST})
_BATCH = 2048  # DATA records per write in the many-records case
_TAIL_READS = 6  # frames read after an honest get before the client's close (bounded)


# ------------------------------------------------------------- EOF inside the last record


def _cut_done(keep: int | None, *, announced_digest: bool) -> lies.Lie:
    """Every byte, then the DONE record cut after `keep` bytes (None: half its body)."""

    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=lies.DIGEST if announced_digest else None)
        s.data(lies.CONTENT)
        record = s.sealed(_DONE_INNER)
        cut = (8 + (len(record) - 8) // 2) if keep is None else keep
        s.raw(record[:cut])
        s.close()

    return lie


_CUTS = [
    pytest.param(_cut_done(4, announced_digest=True), id="done-header-half"),
    pytest.param(_cut_done(8, announced_digest=True), id="done-header-only"),
    pytest.param(_cut_done(None, announced_digest=True), id="done-body-half"),
    pytest.param(_cut_done(None, announced_digest=False), id="done-body-half-no-rsfl-digest"),
]


@pytest.mark.req("FRM-7", "APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize("lie", _CUTS)
def test_client_fails_a_get_cut_inside_its_last_record(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: lies.Lie
) -> None:
    """RSFL, every announced byte, then EOF inside the next record: the get fails."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        "every announced byte, then the connection ends inside the DONE record",
        server=server,
        own=("FRM-7", "APP-GET-5"),
    )


# ------------------------------------------------------------- size 0, then data


def _size_zero(*, digest: str | None, done_size: int, done_digest: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=0, sha256=digest)
        s.data(lies.CONTENT)
        s.done(size=done_size, sha256=done_digest)
        s.await_reaction()

    return lie


_EMPTY = hashlib.sha256(b"").hexdigest()
_ZEROS = [
    pytest.param(
        _size_zero(digest=None, done_size=lies.SIZE, done_digest=lies.DIGEST),
        id="no-digest-done-of-the-bytes",
    ),
    pytest.param(
        _size_zero(digest=lies.DIGEST, done_size=lies.SIZE, done_digest=lies.DIGEST),
        id="digest-of-the-bytes",
    ),
    pytest.param(
        _size_zero(digest=_EMPTY, done_size=0, done_digest=_EMPTY),
        id="empty-digest-done-of-nothing",
    ),
]


@pytest.mark.req("APP-GET-4", "APP-STORE-4", "APP-STORE-3")
@pytest.mark.parametrize("lie", _ZEROS)
def test_client_fails_data_after_an_announced_size_of_zero(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: lies.Lie
) -> None:
    """RSFL size 0, then DATA: integrity_failed at the first byte, nothing kept."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        "RSFL announces 0 bytes, then 5120 bytes of DATA and a DONE",
        owed="integrity_failed",
        server=server,
        own=("APP-GET-4", "APP-STORE-4"),
    )


# ------------------------------------------------------------- honest gets, judged to the end


def _honest_then_tail(content: bytes, chunk: int) -> lies.Lie:
    digest = hashlib.sha256(content).hexdigest()

    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=len(content), sha256=digest)
        # DATA records written 2048 at a time (65 600 writes of 33 bytes would cost
        # seconds; one write of all of them would keep the client waiting meanwhile).
        pieces = [content[o : o + chunk] for o in range(0, len(content), chunk)]
        for start in range(0, len(pieces), _BATCH):
            s.raw(
                b"".join(
                    s.sealed(b"DATA" + len(piece).to_bytes(4, "big") + piece)
                    for piece in pieces[start : start + _BATCH]
                )
            )
        s.done(size=len(content), sha256=digest)
        deadline = time.monotonic() + 2 * lies._REACTION
        for _ in range(_TAIL_READS):
            event = read_inner(s.channel, s.view, max(0.1, deadline - time.monotonic()))
            if not isinstance(event, ReceivedFrame):
                break
            s.notes.append(event.describe(40))
        s.reaction = event
        s.close()

    return lie


def _judge_kept(
    case: object, server: lies.LyingServer, content: bytes, what: str, own: tuple[str, ...]
) -> None:
    from conformance.eke_hostile import ClientCase

    assert isinstance(case, ClientCase)
    problems = []
    result = case.result
    if not (result.succeeded and result.kept_file):
        problems.append("the honest get failed: " + result.describe())
    elif result.out.read_bytes() != content:
        problems.append(f"{result.out.name} does not hold the bytes served")
    if server.channel.violations:
        problems.append(f"sent in clear or unauthenticated: {server.channel.violations}")
    if case.leftovers:
        problems.append(f"left files {case.leftovers} in the output directory")
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "the get succeeds, the file is kept whole, every frame of the client is a record",
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = own
        raise failure


@pytest.mark.req("EKE-REC-1", "EKE-REC-4")
def test_client_seals_every_frame_to_its_close(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest get; what the client sends after DONE (BYE_ or nothing) is sealed."""
    lie = _honest_then_tail(lies.CONTENT, lies.CHUNK)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    _judge_kept(
        case,
        server,
        lies.CONTENT,
        f"an honest get; the client then sent {server.notes or 'nothing'} and closed",
        ("EKE-REC-1",),
    )


_MANY = bytes(i % 251 for i in range(65_600))  # 65 600 one-byte DATA records


@pytest.mark.slow  # about 20 s against the reference client (65 602 records to open)
@pytest.mark.req("EKE-REC-2")
def test_client_opens_more_than_65536_records(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest get of 65 602 records (1-byte DATA frames): the receiving sequence number
    does not wrap at 2^16."""
    lie = _honest_then_tail(_MANY, 1)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie, timeout=20.0)
    _judge_kept(
        case, server, _MANY, "an honest get in 65 602 records of the server", ("EKE-REC-2",)
    )


_LONG_NAMES = [
    pytest.param("n" * 251 + ".bin", id="255-ascii-bytes"),
    pytest.param("\u00e9" * 125 + "x.bin", id="255-utf8-bytes"),
]


@pytest.mark.req("APP-STORE-1", "APP-GET-6")
@pytest.mark.parametrize("out_name", _LONG_NAMES)
def test_client_gets_into_an_output_name_of_255_bytes(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, out_name: str
) -> None:
    """An honest get whose output file's name is 255 bytes: the temporary's name does not
    grow with it (APP-STORE-1), the get succeeds."""
    assert len(out_name.encode("utf-8")) == 255
    lie = _honest_then_tail(lies.CONTENT, lies.CHUNK)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie, out_name=out_name)
    _judge_kept(
        case,
        server,
        lies.CONTENT,
        "an honest get into an output file whose name is 255 bytes",
        ("APP-STORE-1",),
    )
