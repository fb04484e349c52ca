"""An sft-eke/1 CLIENT's get against a lying server (SPEC §1, §3.3, §3.6, §5.5).

The suite completes an honest handshake (it knows the password it gave the client),
reads the client's `RQFL` and answers with a lie: wrong sizes and digests, more or
fewer bytes than announced, a connection that ends at every boundary (nothing, one
byte, all but one, all of it, inside a record), records replayed, reordered, dropped,
sealed with the other direction's key or with a broken tag, malformed frames inside
authentic records. Whatever the lie, the client must fail the get: non-zero exit,
nothing under the final output name, no temporary file left behind [APP-STORE-3];
where the spec names the error the client owes, it must send that `EROR` (sealed).
The storage cases watch the output directory while the transfer is under way.

The client is launched from `--client-cmd` (placeholders `{host} {port} {name} {out}
{user} {password_file}`; embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    SIGN_SAMPLES_BY_PW,
    Behaviour,
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.lying_get import (
    OUT_NAME,
    USERS_FILE,
    check_sweep,
    client_tmpdir_env,
    entries_once_written,
    entries_while_transferring,
    existing_file_state,
    look_at,
    plant_stale_and_live,
    sweep_skip_reason,
    users_file_state,
    watch_client_tmpdir,
)
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    error_payload,
    frame_bytes,
    header_bytes,
)

# Every case judges the client under test (the initiator), not the embedded server.
pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 20  # 5120 bytes: six DATA records of the lying server
SIZE = len(CONTENT)
DIGEST = hashlib.sha256(CONTENT).hexdigest()
WRONG = hashlib.sha256(b"not the content").hexdigest()
# Wrong in the last hex digit only: a client comparing a prefix (or a shortened digest
# shown to the user) lets it through.
DIGEST_LAST_WRONG = DIGEST[:-1] + ("0" if DIGEST[-1] != "0" else "1")
CHUNK = 1000
_TIMEOUT = 5.0
_FRAME_LIMIT = 1_048_832  # FRM-3's default: the client under test runs with its defaults
_PIPELINED_BYES = 4  # BYE_ frames skipped before the reaction to a lie (APP-2)
_REACTION = 5.0  # how long the client has to answer a lie (only a silent client waits it out)
# One password per worker (scrypt is paid once), beyond ASCII: every run also checks
# that the client never sends it in any form (test_eke_client.py).
_PASSWORD = fresh_password()


def _user_pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


@dataclass
class LyingServer:
    """The records the suite sends after the client's request, and what came back."""

    channel: EkeChannel
    view: ServerView
    outdir: Path
    reaction: Event | None = None  # the client's first answer to the lie
    closed: bool = False
    notes: list[str] = field(default_factory=list)

    # -- what a lie is made of --
    def frame(self, frame_type: bytes | str, payload: bytes) -> None:
        self.channel.send_raw(frame_bytes(frame_type, payload))

    def rsfl(self, size: object = SIZE, sha256: str | None = None, **extra: object) -> None:
        obj: dict[str, object] = {"name": NAME, "size": size, **extra}
        if sha256 is not None:
            obj["sha256"] = sha256
        self.frame("RSFL", control(obj))

    def data(self, body: bytes, chunk: int = CHUNK) -> None:
        for offset in range(0, len(body), chunk):
            self.frame("DATA", body[offset : offset + chunk])

    def done(self, size: object = SIZE, sha256: str = DIGEST) -> None:
        self.frame("DONE", control({"size": size, "sha256": sha256}))

    def honest(self) -> None:
        self.rsfl(sha256=DIGEST)
        self.data(CONTENT)
        self.done()

    def sealed(self, inner: bytes) -> bytes:
        return self.channel.seal(inner)

    def raw(self, data: bytes) -> None:
        self.channel.raw.send_raw(data)

    def close(self) -> None:
        self.closed = True
        self.channel.raw.close()

    def await_reaction(self, timeout: float = _REACTION) -> Event:
        """The client's answer: a sealed EROR, a close, or silence (TimedOut). A `BYE_` is
        a request the client MAY have pipelined behind its RQFL (APP-1, APP-2), not an
        answer to the lie: the answer is what follows it (bounded: a few BYE_ at most)."""
        deadline = time.monotonic() + timeout
        event = read_inner(self.channel, self.view, timeout)
        for _ in range(_PIPELINED_BYES):
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            event = read_inner(self.channel, self.view, max(0.0, deadline - time.monotonic()))
        self.reaction = event
        return event


Lie = Callable[[LyingServer], None]


def _serve(pw: bytes, outdir: Path, lie: Lie, box: dict[str, LyingServer]) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        server = LyingServer(channel, view, outdir)
        box["server"] = server
        lie(server)
        if not server.closed and server.reaction is None:
            # Let the client end first (bounded): its EROR, if any, is evidence.
            server.await_reaction(_REACTION)

    return behaviour


def _run_lie(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: Lie, **kwargs: object
) -> tuple[ClientCase, LyingServer]:
    box: dict[str, LyingServer] = {}
    outdir = tmp_path / "out"
    outdir.mkdir()
    behaviour = _serve(_user_pw(target), outdir, lie, box)
    case = run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        outdir=outdir,
        **kwargs,  # type: ignore[arg-type]
    )
    if "server" not in box:
        # The client never asked for the file: its checks were not exercised (ERROR).
        raise RuntimeError(
            "the client under test never sent its request after an honest handshake "
            f"(is --client-cmd right?)\n{case.describe()}"
        )
    return case, box["server"]


# What `_lie` adds to every lie's own requirements: the leftovers, and the form of an owed
# EROR (as test_pki_initiator_transfer's `_case` does).
_FAILED_GET_FORM = ("APP-STORE-3", "FRM-14", "ERR-1")


def _lie_requirements(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The requirements a lie case is about: its citations less APP-STORE-3 (the leftovers,
    which `_lie` adds to every case, and FRM-14 / ERR-1, the form of an owed EROR, which it
    adds to a case that owes one)."""
    cited = [r for mark in request.node.iter_markers("req") for r in mark.args]
    return tuple(r for r in cited if r not in _FAILED_GET_FORM)


def _judge_failed_get(
    case: ClientCase,
    what: str,
    *,
    owed: str | None = None,
    server: LyingServer | None = None,
    own: tuple[str, ...] = (),
) -> None:
    """The get failed as the spec asks: non-zero exit, no output, no temporary file, the
    owed EROR (sealed), and nothing in clear after EKE4 [EKE-REC-4].

    `own`: the requirements the lie is about. A FAIL then names only those shown broken:
    a client that took the lie for a good file (exit 0, kept it) breaks the lie's
    requirement, not APP-STORE-3, which only leftover files break."""
    problems: list[tuple[tuple[str, ...], str]] = []
    result = case.result
    if result.returncode is None:
        problems.append((own, "the client did not end (killed after the run's deadline)"))
    elif result.succeeded and result.success == "exit":
        # (By the `file` rule success is the kept file, reported just below.)
        problems.append((own, "exit code 0 (reported success)"))
    if result.kept_file:
        problems.append(
            (
                own,
                f"kept {result.out.name} ({result.out.stat().st_size} bytes) under the final name",
            )
        )
    left = case.leftovers
    if left:
        problems.append(
            (("APP-STORE-3",), f"APP-STORE-3: left files {left} in the output directory")
        )
    if server is not None and server.channel.violations:
        problems.append((own, f"sent in clear or unauthenticated: {server.channel.violations}"))
    if owed is not None and server is not None:
        got = server.reaction
        # "a|b": every code FRM-16 allows for a frame that breaks several rules.
        if not (isinstance(got, ReceivedFrame) and got.error_name in owed.split("|")):
            shown = got.describe() if got is not None else "nothing (the suite had closed)"
            problems.append((own, f"its answer to the lie was {shown}, not EROR {owed}"))
        elif got.violations():
            # The owed EROR, judged as a sender's frame: the table's name for its code, a
            # message of at most 512 characters [FRM-14, ERR-1].
            problems.append(
                (("FRM-14", "ERR-1"), f"its EROR {got.describe()} is malformed: {got.violations()}")
            )
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "the client fails the get: non-zero exit, nothing under the final name, no "
            "temporary file" + (f", EROR {owed} sealed in a record" if owed else ""),
            "; ".join(text for _, text in problems),
            note=case.describe(),
        )
        if own:
            failure.violates = tuple(sorted({r for ids, _ in problems for r in ids}))
        raise failure


# ---------------------------------------------------------------- lies about the file


def _truncate_after(count: int) -> Lie:
    def lie(s: LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        s.data(CONTENT[:count])
        s.close()

    return lie


def _beyond(same_frame: bool) -> Lie:
    def lie(s: LyingServer) -> None:
        s.rsfl()
        if same_frame:  # the last frame carries one byte more than announced
            s.data(CONTENT[: SIZE - 120])
            s.frame("DATA", CONTENT[SIZE - 120 :] + b"!")
        else:  # exactly `size` bytes, then a further frame
            s.data(CONTENT)
            s.frame("DATA", b"!")
        if isinstance(s.await_reaction(), TimedOut):
            # No reaction: finish the lie consistently, as a liar would.
            s.done(SIZE + 1, hashlib.sha256(CONTENT + b"!").hexdigest())
            s.await_reaction()
            s.reaction = TimedOut(_REACTION, b"")

    return lie


def _answer(
    *, rsfl_sha256: str | None = None, done_size: int = SIZE, done_sha256: str = DIGEST
) -> Lie:
    """RSFL + every byte of the file + DONE, with the announced values given."""

    def lie(s: LyingServer) -> None:
        s.rsfl(sha256=rsfl_sha256)
        s.data(CONTENT)
        s.done(done_size, done_sha256)

    return lie


def _not_found(s: LyingServer) -> None:
    s.frame("EROR", error_payload("not_found", "suite: no such file"))
    s.await_reaction()


def _eror_mid_transfer(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT[:CHUNK])
    s.frame("EROR", error_payload("internal", "suite: failing mid-transfer"))
    s.await_reaction()


EMPTY_DIGEST_LAST_WRONG = hashlib.sha256(b"").hexdigest()[:-1] + "0"  # e3b0...b855 -> ...b850


def _empty_file_digest_wrong(s: LyingServer) -> None:
    s.rsfl(size=0)
    s.done(0, EMPTY_DIGEST_LAST_WRONG)


def _done_without_sha256(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT)
    s.frame("DONE", control({"size": SIZE}))
    s.await_reaction()


def _done_then_trailing_bytes(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT)
    s.frame("DONE", control({"size": SIZE, "sha256": DIGEST}) + b' {"more":1}')
    s.await_reaction()


def _fewer_then_done(s: LyingServer) -> None:
    part = CONTENT[:-1]
    s.rsfl()
    s.data(part)
    s.done(len(part), hashlib.sha256(part).hexdigest())


def _digests_agree_data_differs(s: LyingServer) -> None:
    s.rsfl(sha256=WRONG)
    s.data(CONTENT)
    s.done(SIZE, WRONG)


def _inside_record(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT[:CHUNK])
    record = s.sealed(frame_bytes("DATA", CONTENT[CHUNK : 2 * CHUNK]))
    s.raw(record[: len(record) // 2])
    s.close()


def _lie(
    reqs: tuple[str, ...], lie: Lie, owed: str | None = None, *, slow: bool = False, name: str
) -> object:
    # Every case checks the leftovers; one that owes an EROR also checks its form.
    owed_form = ("FRM-14", "ERR-1") if owed is not None else ()
    marks = [pytest.mark.req(*reqs, "APP-STORE-3", *owed_form)]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(lie, owed, id=name, marks=marks)


_LIES = [
    _lie(
        ("APP-GET-3",),
        _answer(done_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="done-sha256-wrong",
    ),
    # RSFL announces the right digest, DONE a wrong one: both are checked (APP-GET-3), so
    # a client that takes RSFL's digest as the authority and skips DONE's keeps the file.
    _lie(
        ("APP-GET-3",),
        _answer(rsfl_sha256=DIGEST, done_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="done-sha256-wrong-rsfl-sha256-right",
    ),
    _lie(
        ("APP-GET-3",),
        _answer(rsfl_sha256=DIGEST, done_size=SIZE + 1),
        "integrity_failed",
        name="done-size-bigger",
    ),
    _lie(
        ("APP-GET-3",),
        _answer(rsfl_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="rsfl-sha256-wrong",
    ),
    _lie(
        ("APP-GET-3",),
        _digests_agree_data_differs,
        "integrity_failed",
        name="digests-agree-data-differs",
    ),
    _lie(("APP-GET-3",), _fewer_then_done, "integrity_failed", name="fewer-bytes-then-done"),
    # The right digest in upper case is malformed, not "equal" (FRM-12): a client that
    # compares digests case-insensitively keeps a file on a frame it had to refuse. A
    # client that compares it as sent finds a mismatch (APP-GET-3): FRM-16 lets it answer
    # integrity_failed, as for the digest with a line end below.
    _lie(
        ("FRM-12",),
        _answer(done_sha256=DIGEST.upper()),
        "bad_frame|integrity_failed",
        name="done-sha256-upper",
    ),
    # The right digest with a line end after it is not 64 hex digits either: a client that
    # strip()s a member before its check (and compares the stripped value) keeps the file.
    # FRM-16 lets a DONE whose digest is malformed be answered integrity_failed as well.
    _lie(
        ("FRM-12",),
        _answer(done_sha256=DIGEST + "\n"),
        "bad_frame|integrity_failed",
        name="done-sha256-with-a-line-end",
    ),
    _lie(
        ("FRM-12",),
        _answer(rsfl_sha256=" " + DIGEST),
        "bad_frame|integrity_failed",
        name="rsfl-sha256-with-a-leading-space",
        slow=True,
    ),
    _lie(
        ("APP-GET-4", "APP-STORE-4"),
        _beyond(False),
        "integrity_failed",
        name="data-beyond-size-next-frame",
    ),
    _lie(
        ("APP-GET-4", "APP-STORE-4"),
        _beyond(True),
        "integrity_failed",
        name="data-beyond-size-same-frame",
        slow=True,
    ),
    # A 0-byte file has a digest too: a client with a fast path for empty files ("nothing
    # to hash") keeps an empty file whatever DONE.sha256 says.
    _lie(("APP-GET-3",), _empty_file_digest_wrong, "integrity_failed", name="empty-file-sha-wrong"),
    _lie(("APP-GET-6",), _not_found, name="refused-not-found"),
    _lie(("APP-GET-5",), _truncate_after(0), name="close-after-0-bytes"),
    _lie(("APP-GET-5",), _truncate_after(1), name="close-after-1-byte", slow=True),
    _lie(("APP-GET-5",), _truncate_after(SIZE - 1), name="close-after-size-1-bytes", slow=True),
    _lie(("APP-GET-5",), _truncate_after(SIZE), name="close-after-all-bytes-no-done"),
    _lie(("APP-GET-5", "FRM-7"), _inside_record, name="close-inside-a-record", slow=True),
    _lie(("APP-GET-5", "ERR-3"), _eror_mid_transfer, name="fatal-eror-mid-transfer", slow=True),
]


@pytest.mark.parametrize(("lie", "owed"), _LIES)
def test_client_fails_a_get_from_a_lying_server(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Lie,
    owed: str | None,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    case, server = _run_lie(eke_target, tmp_path, transcripts, lie)
    what = f"{request.node.callspec.id}: the server lied about the file"
    _judge_failed_get(case, what, owed=owed, server=server, own=_lie_requirements(request))


# Edges the embedded set-up rarely produces: an empty file (RSFL size 0, no DATA, DONE),
# one byte, and exactly 1 MiB in one DATA frame (the largest DATA payload, FRM-13; its
# record stays under the frame limit, EKE-REC-6).
_EDGE_SIZES = {"empty": 0, "one-byte": 1, "one-mib-one-frame": 1 << 20}


def _honest_of(content: bytes) -> Lie:
    def lie(s: LyingServer) -> None:
        digest = hashlib.sha256(content).hexdigest()
        s.rsfl(size=len(content), sha256=digest)
        s.data(content, chunk=max(1, len(content)))
        s.done(len(content), digest)

    return lie


@pytest.mark.req("APP-GET-3", "APP-GET-6", "APP-STORE-2")
@pytest.mark.parametrize("edge", sorted(_EDGE_SIZES))
def test_client_keeps_an_honest_get_of_an_edge_size(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, edge: str
) -> None:
    """An honest answer of an edge size (0 bytes, 1 byte, exactly 1 MiB in one frame) is
    kept byte for byte under the final name with exit 0: a client that saves nothing for
    an empty file ("nothing to write"), or that mishandles the largest DATA frame, fails
    a get it had to complete."""
    size = _EDGE_SIZES[edge]
    content = (bytes(range(251)) * (size // 251 + 1))[:size]
    case, _server = _run_lie(eke_target, tmp_path, transcripts, _honest_of(content))
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    if not result.succeeded or kept != content or case.leftovers:
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        if kept is not None and kept != content:
            shown += " (not the content sent)"
        raise ConformanceFailure.evidence(
            f"APP-GET-6: an honest get of {size} bytes ({edge})",
            "exit code 0, the file under its final name, no other file",
            f"exit code {result.returncode}, {shown}, other files {case.leftovers}",
            note=case.describe(),
        )


# ---------------------------------------------------------------- records that must not open


_CHUNKS = [CONTENT[o : o + CHUNK] for o in range(0, SIZE, CHUNK)]


def _flip(record: bytes, index: int) -> bytes:
    return record[:index] + bytes([record[index] ^ 0x01]) + record[index + 1 :]


@dataclass(frozen=True)
class RecordAttack:
    """Records of an honest get, one of them bad on the wire.

    `delivered` is the file as a client that accepted the bad record would assemble
    it, and RSFL/DONE announce exactly that: sizes and digests agree with what such a
    client holds, so only its record check can catch the attack.
    """

    delivered: tuple[int, ...]  # chunk indexes, in the order a lax client would write them
    edit: Callable[[LyingServer, list[bytes]], list[bytes]]  # DATA records -> wire records

    def __call__(self, s: LyingServer) -> None:
        body = b"".join(_CHUNKS[i] for i in self.delivered)
        digest = hashlib.sha256(body).hexdigest()
        first = s.sealed(
            frame_bytes("RSFL", control({"name": NAME, "size": len(body), "sha256": digest}))
        )
        data = [s.sealed(frame_bytes("DATA", chunk)) for chunk in _CHUNKS]  # seq 1 … 6
        last = s.sealed(frame_bytes("DONE", control({"size": len(body), "sha256": digest})))
        s.raw(b"".join([first, *self.edit(s, data), last]))
        # Read the client's answer: a client that answers the bad record at all must do so
        # sealed, or by closing; a plaintext EROR (its handshake's error path reused) is
        # in clear after EKE4 [EKE-REC-4, EKE-REC-5].
        s.await_reaction()


def _other_direction(s: LyingServer, data: list[bytes]) -> list[bytes]:
    # DATA #2 sealed with the client->server key and IV at the right sequence number:
    # what a reflecting server (or a key mix-up) produces [EKE-KS-4].
    keys = s.channel.keys
    data[1] = eke.seal_record(keys.key_c2s, keys.iv_c2s, 2, frame_bytes("DATA", _CHUNKS[1]))
    return data


def _forged_inserted(s: LyingServer, data: list[bytes]) -> list[bytes]:
    # A record nobody sealed (a RECD header and random bytes of a DATA record's length),
    # slipped in between two authentic ones that follow it in sequence: a client that
    # drops what does not open, instead of closing, assembles the whole file.
    forged = header_bytes("RECD", len(data[1]) - 8) + os.urandom(len(data[1]) - 8)
    return [*data[:2], forged, *data[2:]]


def _sealed_with_ad(
    ad_of: Callable[[bytes], bytes],
) -> Callable[[LyingServer, list[bytes]], list[bytes]]:
    """DATA #2 sealed with the right key, IV and sequence number but another associated
    data than its 8-byte header (EKE-REC-3): a client whose opener leaves the AD out, or
    retries without it, accepts it."""

    def edit(s: LyingServer, data: list[bytes]) -> list[bytes]:
        keys = s.channel.keys
        header = data[1][:8]  # the record's real header; only the AD differs
        nonce = eke.record_nonce(keys.iv_s2c, 2)
        sealed = eke.aead_seal(keys.key_s2c, nonce, frame_bytes("DATA", _CHUNKS[1]), ad_of(header))
        return [data[0], header + sealed, *data[2:]]

    return edit


_ALL = tuple(range(len(_CHUNKS)))
_RECORD_ATTACKS = {
    # The two below announce the honest file: only a client that skips the bad record
    # (as a retransmission, or as noise) and goes on assembles it; the replay above
    # catches one that accepts it.
    "forged-record-inserted": RecordAttack(_ALL, _forged_inserted),
    "replayed-record-skippable": RecordAttack(_ALL, lambda s, d: [*d[:2], d[1], *d[2:]]),
    "replayed-data-record": RecordAttack((0, 1, 1, *_ALL[2:]), lambda s, d: [*d[:2], d[1], *d[2:]]),
    "reordered-data-records": RecordAttack(
        (0, 2, 1, *_ALL[3:]), lambda s, d: [d[0], d[2], d[1], *d[3:]]
    ),
    "dropped-data-record": RecordAttack((0, *_ALL[2:]), lambda s, d: [d[0], *d[2:]]),
    "sealed-with-client-key": RecordAttack(_ALL, _other_direction),
    "tag-flipped-on-data": RecordAttack(
        _ALL, lambda s, d: [*d[:2], _flip(d[2], len(d[2]) - 1), *d[3:]]
    ),
    "sealed-without-ad": RecordAttack(_ALL, _sealed_with_ad(lambda header: b"")),
    "sealed-with-type-only-ad": RecordAttack(_ALL, _sealed_with_ad(lambda header: header[:4])),
}


def _tag_flipped_on_done(s: LyingServer) -> None:
    first = s.sealed(frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST})))
    data = [s.sealed(frame_bytes("DATA", chunk)) for chunk in _CHUNKS]
    last = s.sealed(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
    s.raw(b"".join([first, *data, _flip(last, len(last) - 1)]))
    s.await_reaction()


def _ciphertext_flipped_on_rsfl(s: LyingServer) -> None:
    first = s.sealed(frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST})))
    s.raw(_flip(first, 8))
    s.await_reaction()


_SLOW_RECORD_LIES = {
    "reordered-data-records",
    "replayed-record-skippable",
    "tag-flipped-on-done",
    "ciphertext-flipped-on-rsfl",
    "sealed-with-client-key",
    "sealed-with-type-only-ad",
}
# The record's AD is its header (EKE-REC-3): these lies are about that too.
_AD_RECORD_LIES = {"sealed-without-ad", "sealed-with-type-only-ad"}
_RECORD_LIES: dict[str, Lie] = {
    **_RECORD_ATTACKS,
    "tag-flipped-on-done": _tag_flipped_on_done,
    "ciphertext-flipped-on-rsfl": _ciphertext_flipped_on_rsfl,
}


@pytest.mark.req("EKE-REC-4", "APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(
            name,
            marks=[
                *([pytest.mark.slow] if name in _SLOW_RECORD_LIES else []),
                *([pytest.mark.req("EKE-REC-3")] if name in _AD_RECORD_LIES else []),
            ],
        )
        for name in sorted(_RECORD_LIES)
    ],
)
def test_client_fails_a_get_whose_records_do_not_open(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    attack: str,
    request: pytest.FixtureRequest,
) -> None:
    """Every record is authentic except one (replayed, reordered, dropped, other key, a
    flipped bit in its tag or ciphertext); sizes and digests agree with what a client
    that accepted it would hold, so only the record check can catch it. Nothing of the
    file may be kept, nothing sent in clear."""
    skip_slow_variant(request)
    case, server = _run_lie(eke_target, tmp_path, transcripts, _RECORD_LIES[attack])
    _judge_failed_get(case, f"EKE-REC-4: {attack}", server=server)


# ---------------------------------------------------------------- malformed frames inside records


def _malformed(first: bytes, *, raw: bool = False) -> Lie:
    """Sends `first` where the RSFL belongs (sealed as one record, or raw bytes)."""

    def lie(s: LyingServer) -> None:
        if raw:
            s.raw(first)
        else:
            s.channel.send_raw(first)
        s.await_reaction()

    return lie


def _empty_data_frame(s: LyingServer) -> None:
    s.rsfl()
    s.frame("DATA", b"")
    s.await_reaction()


def _empty_record_amid_data(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT[:CHUNK])
    s.channel.send_raw(b"")  # an authentic record holding no frame at all
    s.data(CONTENT[CHUNK:])
    s.done()
    s.await_reaction()


def _rsfl_payload(payload: bytes) -> bytes:
    return frame_bytes("RSFL", payload)


_MALFORMED = [
    _lie(
        ("FRM-2",), _malformed(frame_bytes(b"rs\x00l", b"{}")), "bad_frame", name="bad-type-bytes"
    ),
    _lie(
        ("FRM-5",), _malformed(frame_bytes("ZZZZ", b"{}")), "unexpected_frame", name="unknown-type"
    ),
    _lie(
        ("FRM-6",),
        _malformed(frame_bytes("DATA", CONTENT[:100])),
        "unexpected_frame",
        name="data-before-rsfl",
    ),
    _lie(
        ("FRM-3", "EKE-REC-6"),
        _malformed(header_bytes("RECD", 0xFFFFFFF0), raw=True),
        "frame_too_large",
        name="record-header-announces-4-gib",
    ),
    # The limit's boundary: one byte above the frame limit (the SPEC default; the record
    # limit IS the frame limit, EKE-REC-6, not the limit plus a record's header and tag).
    _lie(
        ("FRM-3", "EKE-REC-6"),
        _malformed(header_bytes("RECD", _FRAME_LIMIT + 1), raw=True),
        "frame_too_large",
        name="record-header-one-above-the-limit",
    ),
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":')),
        "bad_frame",
        name="json-cut-short",
        slow=True,
    ),
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"\xff","size":1}')),
        "bad_frame",
        name="not-utf8",
        slow=True,
    ),
    # A control payload is UTF-8 JSON [FRM-8, FRM-9]. The same object in UTF-16-LE is
    # valid UTF-8 (its NULs are U+0000) but no JSON: a client that checks the UTF-8 on a
    # decoded copy and gives the bytes to a parser that detects UTF-16/32 (Python's
    # json.loads(bytes), for one) takes it.
    _lie(
        ("FRM-9",),
        _malformed(
            _rsfl_payload(control({"name": NAME, "size": SIZE}).decode().encode("utf-16-le"))
        ),
        "bad_frame",
        name="rsfl-in-utf-16",
    ),
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"a","size":1,"size":2}')),
        "bad_frame",
        name="duplicate-key",
    ),
    # JSON keys are case-sensitive: `size` is missing. Go's encoding/json, decoding into a
    # struct, matches `Size` to the field case-insensitively and takes the RSFL.
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","Size":%d}' % SIZE)),
        "bad_frame",
        name="member-key-case",
    ),
    # A raw control character inside a JSON string is not JSON (RFC 8259 §7: U+0000 to
    # U+001F are escaped in strings); a lenient parser (Python's json.loads(strict=False),
    # a hand-written scanner) takes it. Here in a member the schema ignores (FRM-10): only
    # the parse can refuse it.
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":%d,"note":"a\x01b"}' % SIZE)),
        "bad_frame",
        name="raw-control-character-in-a-string",
    ),
    # Bytes after the JSON value are not JSON [FRM-9]: a parser that stops at the end of
    # the first value (Python's raw_decode, a streaming decoder) takes the frame. In RSFL,
    # and in an otherwise honest DONE (where a taker keeps the file).
    _lie(
        ("FRM-9",),
        _malformed(_rsfl_payload(control({"name": NAME, "size": SIZE}) + b' {"x":1}')),
        "bad_frame",
        name="rsfl-then-trailing-bytes",
    ),
    _lie(("FRM-9",), _done_then_trailing_bytes, "bad_frame", name="done-then-trailing-bytes"),
    # DONE.sha256 is required [FRM-9]: "older servers omit it, the sizes agree" is no licence.
    # FRM-16: "a DONE whose size or sha256 is missing ... (bad_frame, or integrity_failed)".
    _lie(
        ("FRM-9",),
        _done_without_sha256,
        "bad_frame|integrity_failed",
        name="done-without-sha256",
    ),
    _lie(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"a","size":5120.0}')),
        "bad_frame",
        name="size-float",
    ),
    _lie(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"a","size":true}')),
        "bad_frame",
        name="size-true",
    ),
    _lie(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"a","size":-1}')),
        "bad_frame",
        name="size-negative",
        slow=True,
    ),
    _lie(
        ("EKE-REC-1",),
        _malformed(_rsfl_payload(control({"name": NAME, "size": 1})) + frame_bytes("DATA", b"x")),
        "bad_frame",
        name="record-holding-two-frames",
    ),
    # The rest of the family "a record's plaintext is exactly one frame" [EKE-REC-1]: one
    # stray byte after the frame (padding a lax reader ignores), and a frame header that
    # announces more than the record holds (a reader that treats records as a byte
    # stream waits for the next record instead).
    _lie(
        ("EKE-REC-1",),
        _malformed(_rsfl_payload(control({"name": NAME, "size": SIZE})) + b"\x00"),
        "bad_frame",
        name="record-with-a-trailing-byte",
        slow=True,
    ),
    _lie(
        ("EKE-REC-1",),
        _malformed(header_bytes("RSFL", 40) + control({"name": NAME, "size": SIZE})[:30]),
        "bad_frame",
        name="record-shorter-than-its-frame",
        slow=True,
    ),
    _lie(
        ("FRM-8",),
        _malformed(_rsfl_payload(control({"name": NAME, "size": SIZE, "pad": "x" * 65536}))),
        "frame_too_large",
        name="rsfl-over-64-kib",
    ),
    _lie(
        ("FRM-13",),
        _empty_data_frame,
        "bad_frame",
        name="empty-data-frame",
        slow=True,
    ),
    # A record whose plaintext is shorter than a frame header — none at all (a reader that
    # skips it as a keep-alive), or a type without its length — is not one frame either
    # [EKE-REC-1]: where RSFL belongs, and amid the DATA of an otherwise honest get (a
    # reader that skips it there completes the get). The get must fail; the EROR is not
    # judged: a reader that refuses a record too short to hold a frame before opening it
    # closes without one (the independent eke5 does), and EKE-REC-1 says "reject", naming
    # no EROR for it.
    _lie(("EKE-REC-1",), _malformed(b""), name="record-with-an-empty-plaintext"),
    _lie(
        ("EKE-REC-1",),
        _malformed(b"RSFL\x00\x00"),
        name="record-with-a-partial-header",
        slow=True,
    ),
    _lie(("EKE-REC-1",), _empty_record_amid_data, name="empty-record-amid-the-data"),
]


@pytest.mark.parametrize(("lie", "owed"), _MALFORMED)
def test_client_answers_a_malformed_frame_with_the_error_the_spec_names(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Lie,
    owed: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """The client is a receiver too: a malformed frame in an authentic record (or a record
    header announcing 4 GiB) is answered with the EROR of §1, sealed, and the get fails."""
    skip_slow_variant(request)
    case, server = _run_lie(eke_target, tmp_path, transcripts, lie)
    what = f"{request.node.callspec.id}: the server sent a malformed frame instead of RSFL"
    _judge_failed_get(case, what, owed=owed, server=server, own=_lie_requirements(request))


# ---------------------------------------------------------------- the output file


def _users_file_state(case: ClientCase) -> str:
    """What became of the user's own file at the output name."""
    return users_file_state(case.result.out, CONTENT)


def _honest(s: LyingServer) -> None:
    s.honest()


@pytest.mark.req("APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize(
    "existing",
    # Empty too: "an empty file is a placeholder of an earlier failed run" is no licence.
    [
        pytest.param(USERS_FILE, id="users-file", marks=pytest.mark.slow),
        pytest.param(b"", id="empty-file"),
    ],
)
def test_client_does_not_overwrite_an_existing_output_file(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    existing: bytes,
    request: pytest.FixtureRequest,
) -> None:
    """An honest server, but the output name exists: the user did not ask to replace it.
    Refusing before connecting is a conforming way not to overwrite it."""
    skip_slow_variant(request)
    outdir = tmp_path / "out"
    outdir.mkdir()
    box: dict[str, LyingServer] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _serve(_user_pw(eke_target), outdir, _honest, box),
        name=NAME,
        password=_PASSWORD,
        outdir=outdir,
        prepare_out=existing,
    )
    state = existing_file_state(case.result.out, existing)
    if state != "intact":
        failure = ConformanceFailure.evidence(
            f"APP-GET-6: get into an existing output file of {len(existing)} bytes (no "
            "option to replace it)",
            "the existing file is left as it was",
            f"it was {state}",
            note=case.describe(),
        )
        failure.violates = ("APP-GET-6",)
        raise failure
    if case.leftovers:
        raise ConformanceFailure(
            f"APP-STORE-3: files left behind: {case.leftovers}\n" + case.describe(),
            violates=("APP-STORE-3",),
        )


@pytest.mark.req("APP-STORE-3")
def test_client_sweeps_stale_temporaries_but_not_live_ones(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The pki initiator's case (test_pki_initiator_transfer.py) for the eke client: a
    `.sft-partial-*` nobody wrote to for a day is a killed run's and is removed; one written
    to just now may be another live client's in the same directory and stays."""
    reason = sweep_skip_reason(eke_target.limits.idle_timeout)
    if reason:
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    plant_stale_and_live(outdir)
    box: dict[str, LyingServer] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _serve(_user_pw(eke_target), outdir, _honest, box),
        name=NAME,
        password=_PASSWORD,
        outdir=outdir,
    )
    check_sweep(case.leftovers, case.describe())


def _file_appears_before_done(s: LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT)
    # Another program creates the output name while the transfer runs: the client's
    # final rename must not replace it [APP-STORE-2: link+unlink or RENAME_NOREPLACE].
    out = s.outdir / "received.bin"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(USERS_FILE)
    s.done()
    s.await_reaction()


@pytest.mark.req("APP-GET-6", "APP-STORE-2", "APP-STORE-3")
def test_client_does_not_replace_a_file_that_appears_during_the_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    case, _server = _run_lie(eke_target, tmp_path, transcripts, _file_appears_before_done)
    if _users_file_state(case) != "intact":
        failure = ConformanceFailure.evidence(
            "APP-GET-6/APP-STORE-2: the output name was created by someone else before DONE",
            "the client does not replace it (its rename fails; nothing else is kept)",
            f"the file was {_users_file_state(case)}",
            note=case.describe(),
        )
        failure.violates = ("APP-GET-6", "APP-STORE-2")
        raise failure
    if case.leftovers:
        raise ConformanceFailure(
            f"APP-STORE-3: files left behind: {case.leftovers}\n" + case.describe(),
            violates=("APP-STORE-3",),
        )


def _probe_then_kill(
    sig: int, process: list[subprocess.Popen[bytes]], tmpdir: Path | None = None
) -> Lie:
    """All bytes but one, then look at the output directory while the client waits; then
    the last byte, and look again once it is written (a client that renames as soon as
    the size is complete, before DONE is verified, shows the final name now); then kill
    the client: a final name must never show before DONE. `tmpdir`: the client's
    $TMPDIR, where the data must not go."""

    def lie(s: LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        s.data(CONTENT[:-1])
        if tmpdir is not None:
            watch_client_tmpdir(s.notes, s.outdir, tmpdir, CONTENT)
        look_at(s.notes, entries_while_transferring(s.outdir, s.notes), "before DONE")
        s.frame("DATA", CONTENT[-1:])
        written = entries_once_written(s.outdir, SIZE, s.notes)
        look_at(s.notes, written, "after every byte, before DONE")
        process[0].send_signal(sig)
        process[0].wait(timeout=_TIMEOUT)
        # What a killed client left: its temporary file, if any, keeps the mode it had.
        left = [e for e in s.outdir.iterdir() if e.name != OUT_NAME]
        look_at(s.notes, left, "after the kill")
        s.close()

    return lie


@pytest.mark.req("APP-GET-6", "APP-STORE-1", "APP-STORE-5")
@pytest.mark.parametrize(
    "sig",
    [
        pytest.param(signal.SIGKILL, id="SIGKILL"),
        # A signal the client survives long enough to handle: its temporary file goes too.
        pytest.param(signal.SIGTERM, id="SIGTERM", marks=pytest.mark.req("APP-STORE-3")),
    ],
)
def test_client_killed_mid_transfer_keeps_nothing_under_the_final_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    sig: int,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    process: list[subprocess.Popen[bytes]] = []
    # The client's temp-file helpers point at a directory the lie watches.
    tmpdir = tmp_path / "client-tmpdir"
    tmpdir.mkdir()
    case, server = _run_lie(
        eke_target,
        tmp_path,
        transcripts,
        _probe_then_kill(sig, process, tmpdir),
        started=process.append,
        env=client_tmpdir_env(tmpdir),
    )
    problems = [n for n in server.notes if not n.startswith("(")]
    if case.result.kept_file:
        problems.append(
            f"APP-STORE-5: after {signal.Signals(sig).name} mid-transfer, "
            f"{case.result.out.name} exists ({case.result.out.stat().st_size} bytes)"
        )
    if sig == signal.SIGTERM and case.leftovers:
        problems.append(f"APP-STORE-3: after SIGTERM, {case.leftovers} remain")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-6/APP-STORE-1/APP-STORE-5: a get stopped by {signal.Signals(sig).name} "
            f"after all {SIZE} bytes but before DONE (the directory seen at {SIZE - 1} and "
            f"{SIZE} bytes)",
            "the data goes to a temporary file (mode 0600) in the output directory; the "
            "final name appears only after DONE is verified",
            "; ".join(problems),
            note=f"{server.notes}; {case.describe()}",
        )


# ---------------------------------------------------------------- the sign of X' [EKE-X-2]

_SIGN_RUNS = 12  # all equal by chance: 2^-11 for a client that draws s


def _eke1_only(raw: RawConnection, view: ServerView) -> None:
    read_frame(raw, view, _TIMEOUT)  # EKE1 (its sign is noted by run_case), then close


@pytest.mark.req("EKE-X-2", "EKE-SEC-1")
def test_client_hides_its_element_with_a_random_sign(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """X' = X or p − X by a fresh random bit: the suite (holding pw) reads the sign of every
    EKE1 the client sent in this run, topping up with handshakes that end after EKE1. A
    client that always sends the residue lets a passive eavesdropper rule out every
    password under which some A decrypts to a non-residue (a partition attack)."""
    # The samples of this module's password only: the sign must vary from handshake to
    # handshake under one password, not only across passwords (a sign bit taken from pw
    # is the same in every handshake of a user).
    same_pw = SIGN_SAMPLES_BY_PW.setdefault(_user_pw(eke_target), [])
    topped_up = 0
    for _ in range(_SIGN_RUNS):  # bounded: at most _SIGN_RUNS extra client runs
        if len(same_pw) >= _SIGN_RUNS:
            break
        run_case(eke_target, tmp_path, transcripts, _eke1_only, name=NAME, password=_PASSWORD)
        topped_up += 1
    samples = same_pw[-_SIGN_RUNS:]
    if len(samples) < _SIGN_RUNS:
        raise RuntimeError(f"the client under test sent {len(samples)} readable EKE1 only")
    if len(set(samples)) == 1:
        kind = "the residue X (s = 0)" if samples[0] else "the non-residue p − X (s = 1)"
        raise ConformanceFailure.evidence(
            f"EKE-X-2: the sign of X' in {len(samples)} handshakes of the client with one "
            "password "
            f"({topped_up} of them run by this case)",
            "X' = X or p − X at random (both seen within a dozen handshakes)",
            f"always {kind}",
        )


# ---------------------------------------------------------------- RSFL.name [APP-GET-7]


def _renamed(rsfl_name: str) -> Lie:
    """An honest get whose RSFL names another file than the request (APP-GET-7)."""

    def lie(s: LyingServer) -> None:
        s.frame("RSFL", control({"name": rsfl_name, "size": SIZE, "sha256": DIGEST}))
        s.data(CONTENT)
        s.done()

    return lie


@pytest.mark.req("APP-GET-7")
@pytest.mark.parametrize(
    "rsfl_name",
    [
        # Also catches a client that keeps only the basename of the server's name.
        "../escaped-by-the-server.bin",
        # The request's own name in other case: a client that compares names case-folded
        # (or Unicode-normalised) and then takes the server's "canonical" spelling.
        NAME.upper(),
        pytest.param("renamed-by-the-server.bin", marks=pytest.mark.slow),
        # {tmp} is the case's own directory: `outdir / "/abs"` is "/abs" in most languages.
        pytest.param("{tmp}/absolute-by-the-server.bin", marks=pytest.mark.slow),
    ],
)
def test_client_never_stores_under_the_name_the_server_gives(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    rsfl_name: str,
    request: pytest.FixtureRequest,
) -> None:
    """The eke twin of test_pki_initiator_transfer.py's case. Both readings are
    conforming: the get fails (bad_frame) or completes under the output name the user
    chose. APP-GET-7 forbids any file under the server's name, in the output directory
    or beside it."""
    skip_slow_variant(request)
    rsfl_name = rsfl_name.replace("{tmp}", str(tmp_path))
    case, _server = _run_lie(eke_target, tmp_path, transcripts, _renamed(rsfl_name))
    result = case.result
    planted = case.outdir / rsfl_name  # `outdir / "/abs"` is "/abs"; "../x" is beside outdir
    problems = []
    if planted.exists() or planted.is_symlink():
        problems.append(f"a file {rsfl_name!r} appeared ({planted.resolve()})")
    if case.leftovers:
        problems.append(f"files other than the output in the output directory: {case.leftovers}")
    kept = result.out.read_bytes() if result.kept_file else None
    if kept is not None and (kept != CONTENT or not result.succeeded):
        problems.append(f"the output holds {len(kept)} bytes, exit code {result.returncode}")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-7: a get of {NAME!r} answered RSFL {{name: {rsfl_name!r}}} with the "
            "right content",
            "the get fails (nothing kept) or the content is kept under the output name the "
            "user gave, and never a file under the server's name",
            "; ".join(problems),
            note=case.describe(),
        )


# ---------------------------------------------------------------- unknown error codes


def _frames_after_eror(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: int, tag: str
) -> tuple[list[str], ClientCase]:
    """The suite answers the client's RQFL with EROR `code`, then only listens: what the
    client sends before it closes (bounded by PROMPT_CLOSE seconds and 16 frames)."""
    box: dict[str, list[str]] = {}

    def lie(s: LyingServer) -> None:
        s.frame("EROR", error_payload(code, "suite: error"))
        after: list[str] = []
        deadline = time.monotonic() + PROMPT_CLOSE
        while len(after) < 16 and (left := deadline - time.monotonic()) > 0:
            event = read_inner(s.channel, s.view, left)
            if not isinstance(event, ReceivedFrame):
                break
            after.append(event.describe(60))
        box["after"] = after
        s.close()

    run_dir = tmp_path / tag
    run_dir.mkdir()
    case, _server = _run_lie(target, run_dir, transcripts, lie)
    return box.get("after", []), case


@pytest.mark.req("ERR-4")
def test_client_treats_an_unknown_error_code_like_internal(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """ERR-4 makes an unknown code `internal`, so a client must do after EROR 99 exactly
    what it does after EROR internal (11). Compared on the same client, a polite BYE_ on
    the way out is no difference (the fatal-error cases tolerate it); a client that sends
    nothing after `internal` but goes on after 99 (a BYE_ from an idle connection, a next
    request) took the unknown code for a refusal it could continue from."""
    after_internal, _ = _frames_after_eror(eke_target, tmp_path, transcripts, 11, "internal")
    after_unknown, case = _frames_after_eror(eke_target, tmp_path, transcripts, 99, "unknown")
    if after_unknown and not after_internal:
        raise ConformanceFailure.evidence(
            "ERR-4: EROR code 99 (unknown) answering the client's RQFL, compared with EROR "
            "internal (11)",
            "the same reaction to both: an unknown code is `internal` (fatal)",
            f"after `internal` the client sent nothing; after code 99 it sent {after_unknown}",
            note=case.describe(),
        )


# --------------------------------------------------------------------------------------
# An sft-eke/1 CLIENT's get against a lying server: lies the first round left out
# (SPEC §1 FRM-13, §3.3 APP-GET-3).
#
# - Both digests announced, only `DONE.sha256` wrong: a client that checks `DONE.sha256`
#   only when `RSFL` carried none ("the RSFL digest is checked already") keeps the file.
# - An empty `DATA` frame in the middle of an otherwise honest transfer (the right bytes,
#   the right `DONE`): a client that takes it for "no bytes" completes the get with a
#   correct file, so the lie shows as a kept file and a success exit, not only as a
#   missing `EROR bad_frame` (the existing empty-DATA variant is `slow`).
#
# - An extra record that fails to authenticate (a sealed DATA record with a flipped tag
#   bit), after which the honest rest follows at the next sequence numbers: a client that
#   skips a record that does not open, with its sequence number spent on the attempt,
#   opens everything after it and assembles the whole file (the first round's
#   `forged-record-inserted` catches a skipper that does not spend the number).
#
# The machinery (the suite's lying server, the verdict on a failed get) is the one above.
# --------------------------------------------------------------------------------------


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


# ------------------------------------------------ the temporary's mode from the start

_TEMP_WATCH = 1.5  # seconds the output directory is watched between RSFL and the first DATA
_TEMP_WATCH_BEFORE_RSFL = 0.3  # and between the request and RSFL (a temporary made at RQFL)


def _watch_temporaries(outdir: Path, seconds: float, when: str, notes: list[str]) -> None:
    """Watches `outdir` for up to `seconds` (until a `.sft-partial-*` file shows) and notes
    one that exists with group or other access."""
    deadline = time.monotonic() + seconds
    seen = False
    while not seen and time.monotonic() < deadline:
        for entry in outdir.iterdir():
            if not entry.name.startswith(".sft-partial-"):
                continue
            try:
                info = entry.lstat()
            except FileNotFoundError:  # gone meanwhile
                continue
            seen = True
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                notes.append(
                    f"{entry.name} existed with mode {mode:04o} ({info.st_size} bytes) {when}"
                )
        time.sleep(0.005)


def _rsfl_then_watch_the_temporary(box: dict[str, list[str]]) -> Lie:
    """The request answered after a short watch of the output directory, then RSFL and
    nothing for up to `_TEMP_WATCH` s while the client's `.sft-partial-*` file is watched;
    then the rest of an honest get."""

    def lie(s: LyingServer) -> None:
        notes: list[str] = []
        _watch_temporaries(s.outdir, _TEMP_WATCH_BEFORE_RSFL, "before RSFL", notes)
        s.rsfl(sha256=DIGEST)
        _watch_temporaries(s.outdir, _TEMP_WATCH, "before the first DATA", notes)
        box["notes"] = notes
        s.data(CONTENT)
        s.done()

    return lie


@pytest.mark.req("APP-STORE-1")
def test_client_creates_its_temporary_0600_not_only_before_data_lands(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-STORE-1] The temporary file is *created* exclusively with mode 0600: the suite
    sends RSFL and holds the first DATA back while it watches the output directory. A
    `.sft-partial-*` file (the prefix is reserved for temporaries, APP-NAME-9) that exists
    with group or other access, even empty, breaks it: a client that creates it with the
    process umask and fchmods it at its first write leaves a window in which another user
    opens it and keeps the descriptor, reading every byte written later. A client that
    creates its temporary only when the first DATA arrives shows nothing here (not
    judged)."""
    box: dict[str, list[str]] = {}
    case, _server = _run_lie(eke_target, tmp_path, transcripts, _rsfl_then_watch_the_temporary(box))
    if box.get("notes"):
        raise ConformanceFailure.evidence(
            "APP-STORE-1: RSFL sent, the first DATA held back for "
            f"{_TEMP_WATCH:g} s while the output directory was watched",
            "any .sft-partial-* file of the client exists only with mode 0600 (no group or "
            "other access), from its creation on",
            "; ".join(box["notes"]),
            note=case.describe(),
        )
