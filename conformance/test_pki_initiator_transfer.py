"""An sft-pki/1 INITIATOR's get against a lying responder (SPEC §1, §3.3, §3.6, §4.1).

The same families as the sft-eke/1 client's (test_eke_client_transfer.py), for the pki
initiator: the suite plays the responder (conformance/pki_channel.py HostileResponder,
with a certificate for the right alias minted in lab mode) and launches the initiator
under test with `--client-cmd` (embedded run: the reference's `sft get`). Each lie is
built so that only the check it targets can catch it: sizes that agree with each other
but not with the data, digests that differ in their last hex digit only, one byte too
many in the same frame or the next, a stream that ends at 0, 1, size-1 and size bytes
(with `close_notify` or a bare TCP FIN), malformed frames the header alone betrays.
Whatever the lie, the get must fail: non-zero exit, nothing under the final name, no
temporary file left [APP-STORE-3]; where the spec names the error the initiator owes,
it must send that `EROR`. The storage cases watch the output directory while the
transfer is under way, stop the client with SIGKILL/SIGTERM, create the output name
behind its back, and leave stale and live temporary files beside it.

Lies already covered by test_app_integrity.py (wrong DONE digest, RSFL.sha256, ...)
are not repeated here. Fixtures (conformance/plugin.py): `target`, `transcripts`,
`tmp_path`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    InitiatorRun,
    TranscriptBook,
    lab_pki,
    leftovers,
    responder_alias,
    run_initiator_watched,
)
from conformance.eke_hostile import skip_slow_variant
from conformance.lying_get import (
    OUT_NAME,
    PROBE_BUDGET,
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
from conformance.pki_channel import HostileResponder, PkiChannel, ended_cleanly
from conformance.target import Target
from conformance.wire import (
    MAX_DATA_PAYLOAD,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 20  # 5120 bytes: six DATA frames of the lying responder
SIZE = len(CONTENT)
DIGEST = hashlib.sha256(CONTENT).hexdigest()
# Wrong in the last hex digit only: a client comparing a prefix (or a shortened digest
# shown to the user) lets it through.
DIGEST_LAST_WRONG = DIGEST[:-1] + ("0" if DIGEST[-1] != "0" else "1")
WRONG = hashlib.sha256(b"not the content").hexdigest()
CHUNK = 1000
_PIPELINED_BYES = 4  # BYE_ frames skipped before the reaction to a lie (APP-2)
_REACTION = 5.0  # how long the client has to answer a lie (only a silent client waits it out)
_OUT = OUT_NAME


@dataclass
class LyingResponder:
    """What the suite sends after the initiator's RQFL, and what came back."""

    channel: PkiChannel
    outdir: Path
    reaction: Event | None = None  # the initiator's first answer to the lie
    ended: bool = False
    notes: list[str] = field(default_factory=list)
    # The request is over on the wire: the last frame sent was a DONE or an EROR. A BYE_
    # read then is answered as a responder may answer it (the echo, APP-BYE-1), so an
    # initiator waiting for that answer ends now instead of after its own timeout.
    answered: bool = False

    def frame(self, frame_type: bytes | str, payload: bytes) -> None:
        kind = frame_type.encode() if isinstance(frame_type, str) else frame_type
        self.answered = kind in (b"DONE", b"EROR")
        self.channel.send_raw(frame_bytes(frame_type, payload))

    def rsfl(self, size: object = SIZE, sha256: str | None = None) -> None:
        obj: dict[str, object] = {"name": NAME, "size": size}
        if sha256 is not None:
            obj["sha256"] = sha256
        self.frame("RSFL", control(obj))

    def data(self, body: bytes, chunk: int = CHUNK) -> None:
        for offset in range(0, len(body), chunk):
            self.frame("DATA", body[offset : offset + chunk])

    def done(self, size: object = SIZE, sha256: str = DIGEST) -> None:
        self.frame("DONE", control({"size": size, "sha256": sha256}))

    def close_notify(self) -> None:
        """The clean TLS end (close_notify), in the middle of the get."""
        self.ended = True
        self.channel.close()

    def tcp_fin(self) -> None:
        """A bare TCP FIN without close_notify: a truncation [PKI-TLS-6]."""
        self.ended = True
        with contextlib.suppress(OSError):  # the initiator may have closed already
            socket.socket.shutdown(self.channel.sock, socket.SHUT_RDWR)

    def await_reaction(self, timeout: float = _REACTION) -> Event:
        """The initiator's answer: an EROR, a close, or silence (TimedOut). A `BYE_` is a
        request it MAY have pipelined behind its RQFL (APP-1, APP-2), not an answer to the
        lie: the answer is what follows it (bounded: a few BYE_ at most)."""
        deadline = deadline_after(timeout)
        event = self.channel.recv_frame(deadline)
        for _ in range(_PIPELINED_BYES):
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            if self.answered and not self.ended:
                with contextlib.suppress(OSError):  # the initiator may be gone already
                    self.frame("BYE_", control({}))
                self.answered = True
            event = self.channel.recv_frame(deadline)
        self.reaction = event
        return event


Lie = Callable[[LyingResponder], None]


def _script(lie: Lie, outdir: Path, box: dict[str, LyingResponder]) -> Callable[[PkiChannel], None]:
    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        responder = LyingResponder(channel, outdir)
        box["responder"] = responder
        lie(responder)
        if not responder.ended and responder.reaction is None:
            # Let the initiator end first (bounded): its EROR, if any, is evidence.
            responder.await_reaction()

    return script


@dataclass
class GetRun:
    run: InitiatorRun
    hostile: HostileResponder
    responder: LyingResponder

    def describe(self) -> str:
        return f"{self.run.describe()}; hostile responder: {self.hostile.script_errors or 'ok'}"


def _run_lie(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Lie,
    *,
    prepare: Callable[[Path], None] | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    client_env: dict[str, str] | None = None,
) -> GetRun:
    lab = lab_pki(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    if prepare is not None:
        prepare(outdir)
    box: dict[str, LyingResponder] = {}
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=_script(lie, outdir, box),
        out=outdir / _OUT,
        name=NAME,
        started=started,
        client_env=client_env,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if "responder" not in box:
        # The client never asked for the file: its checks were not exercised (ERROR).
        raise RuntimeError(
            "the initiator under test never sent its request (is --client-cmd right?): "
            + run.describe()
        )
    return GetRun(run, hostile, box["responder"])


# What `_case` adds to every lie's own requirements: the leftovers, and the form of an
# owed EROR.
_FAILED_GET_FORM = ("APP-STORE-3", "FRM-14", "ERR-1")


def _lie_requirements(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The requirements a lie case is about: its citations less `_FAILED_GET_FORM`."""
    cited = [r for mark in request.node.iter_markers("req") for r in mark.args]
    return tuple(r for r in cited if r not in _FAILED_GET_FORM)


def _judge_failed_get(got: GetRun, what: str, owed: str | None, own: tuple[str, ...] = ()) -> None:
    """The get failed as the spec asks: non-zero exit, no output, no temporary file and,
    where the spec names one, the owed EROR.

    `own`: the requirements the lie is about. A FAIL then names only those shown broken:
    an initiator that took the lie for a good file (exit 0, kept it, no EROR) breaks the
    lie's requirement, not APP-STORE-3 or the form of an EROR it never sent."""
    problems: list[tuple[tuple[str, ...], str]] = []
    run = got.run
    if run.returncode is None:
        problems.append((own, "the client did not end (killed after the run's deadline)"))
    elif run.succeeded and run.success == "exit":
        # (By the `file` rule success is the kept file, reported just below.)
        problems.append((own, "exit code 0 (reported success)"))
    if run.kept_file:
        problems.append(
            (own, f"kept {run.out.name} ({run.out.stat().st_size} bytes) under the final name")
        )
    left = leftovers(run)
    if left:
        problems.append(
            (("APP-STORE-3",), f"APP-STORE-3: left files {left} in the output directory")
        )
    if owed is not None:
        answer = got.responder.reaction
        # "a|b": every code FRM-16 allows for a frame that breaks several rules.
        if not (isinstance(answer, ReceivedFrame) and answer.error_name in owed.split("|")):
            shown = answer.describe() if answer is not None else "nothing (the suite had closed)"
            problems.append((own, f"its answer to the lie was {shown}, not EROR {owed}"))
        elif answer.violations():
            # The owed EROR, judged as a sender's frame: name matching the code, a
            # message of at most 512 characters [FRM-14, ERR-1].
            problems.append(
                (
                    ("FRM-14", "ERR-1"),
                    f"its EROR {answer.describe()} is malformed: {answer.violations()}",
                )
            )
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "the initiator fails the get: non-zero exit, nothing under the final name, no "
            "temporary file" + (f", EROR {owed}" if owed else ""),
            "; ".join(text for _, text in problems),
            note=got.describe(),
        )
        if own:
            failure.violates = tuple(sorted({r for ids, _ in problems for r in ids}))
        raise failure


# ---------------------------------------------------------------- lies about the file


def _answer(
    body: bytes = CONTENT,
    *,
    rsfl_size: int = SIZE,
    rsfl_sha256: str | None = None,
    done_size: int = SIZE,
    done_sha256: str = DIGEST,
) -> Lie:
    """RSFL, `body` in DATA frames, DONE: with the announced values given."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(rsfl_size, rsfl_sha256)
        r.data(body)
        r.done(done_size, done_sha256)

    return lie


def _truncate_after(count: int, *, fin: bool = False) -> Lie:
    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT[:count])
        if fin:
            r.tcp_fin()
        else:
            r.close_notify()

    return lie


def _beyond(announced: int, body: bytes, *, same_frame: bool) -> Lie:
    """`announced` in RSFL, then `body` (one byte more): the extra byte inside the last
    frame or alone in a further frame. The initiator must answer before DONE."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(announced)
        if same_frame:
            r.data(body[: max(0, len(body) - 120)])
            r.frame("DATA", body[max(0, len(body) - 120) :])
        else:
            r.data(body[:-1])
            r.frame("DATA", body[-1:])
        if isinstance(r.await_reaction(), TimedOut):
            # No reaction: finish the lie consistently, as a liar would.
            r.done(len(body), hashlib.sha256(body).hexdigest())
            r.await_reaction()
            r.reaction = TimedOut(_REACTION, b"")

    return lie


def _inside_frame(cut: int) -> Lie:
    """All but the last 1000 bytes, then the last DATA frame cut after `cut` payload
    bytes (negative: inside its 8-byte header), then close_notify."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT[:-1000])
        last = frame_bytes("DATA", CONTENT[-1000:])
        r.channel.send_raw(last[: 8 + cut])
        r.close_notify()

    return lie


def _inside_done(cut: int) -> Lie:
    """Every byte of the file, then a right DONE cut after `cut` of its bytes (inside its
    header, or inside its JSON), then close_notify: the data are complete, the DONE that
    would vouch for them is not [FRM-7]."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT)
        r.channel.send_raw(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST}))[:cut])
        r.close_notify()

    return lie


def _refused(code: str) -> Lie:
    def lie(r: LyingResponder) -> None:
        r.frame("EROR", error_payload(code, "suite: refused"))
        r.await_reaction()

    return lie


_PART = CONTENT[:-1]
_PART_DIGEST = hashlib.sha256(_PART).hexdigest()
_EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def _case(
    reqs: tuple[str, ...], lie: Lie, owed: str | None = None, *, slow: bool = False, name: str
) -> object:
    # Every case checks the leftovers; one that owes an EROR also checks its form.
    owed_form = ("FRM-14", "ERR-1") if owed is not None else ()
    marks = [pytest.mark.req(*reqs, "APP-STORE-3", *owed_form)]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(lie, owed, id=name, marks=marks)


_LIES = [
    _case(
        ("APP-GET-3",),
        _answer(done_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="done-sha256-last-digit-wrong",
    ),
    # RSFL announces the right digest, DONE a wrong one: both are checked (APP-GET-3), so
    # an initiator that takes RSFL's digest as the authority and skips DONE's keeps the file.
    _case(
        ("APP-GET-3",),
        _answer(rsfl_sha256=DIGEST, done_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="done-sha256-wrong-rsfl-sha256-right",
    ),
    _case(
        ("APP-GET-3",),
        _answer(rsfl_sha256=DIGEST_LAST_WRONG),
        "integrity_failed",
        name="rsfl-sha256-last-digit-wrong",
    ),
    _case(
        ("APP-GET-3",),
        _answer(rsfl_sha256=WRONG, done_sha256=WRONG),
        "integrity_failed",
        name="digests-agree-data-differs",
    ),
    # Both sizes say SIZE and DONE's digest is the data's: only counting catches it.
    _case(
        ("APP-GET-3",),
        _answer(_PART, done_sha256=_PART_DIGEST),
        "integrity_failed",
        name="fewer-bytes-sizes-agree",
    ),
    # DONE agrees with the data: only RSFL.size catches it.
    _case(
        ("APP-GET-3",),
        _answer(_PART, done_size=SIZE - 1, done_sha256=_PART_DIGEST),
        "integrity_failed",
        name="fewer-bytes-then-done",
    ),
    # RSFL agrees with the data: only DONE.size catches it.
    _case(
        ("APP-GET-3",),
        _answer(done_size=SIZE - 1),
        "integrity_failed",
        name="done-size-smaller",
        slow=True,
    ),
    _case(
        ("APP-GET-4", "APP-STORE-4"),
        _beyond(SIZE, CONTENT + b"!", same_frame=False),
        "integrity_failed",
        name="beyond-size-next-frame",
        slow=True,
    ),
    _case(
        ("APP-GET-4", "APP-STORE-4"),
        _beyond(SIZE, CONTENT + b"!", same_frame=True),
        "integrity_failed",
        name="beyond-size-same-frame",
        slow=True,
    ),
    # Boundary 0: an empty file announced, one byte sent ("0 = size unknown" is a bug).
    _case(
        ("APP-GET-4", "APP-STORE-4"),
        _beyond(0, b"!", same_frame=False),
        "integrity_failed",
        name="beyond-empty-file",
    ),
    _case(("APP-GET-5",), _truncate_after(0), name="close-notify-after-0-bytes", slow=True),
    _case(("APP-GET-5",), _truncate_after(1), name="close-notify-after-1-byte", slow=True),
    _case(
        ("APP-GET-5",), _truncate_after(SIZE - 1), name="close-notify-after-size-1-bytes", slow=True
    ),
    _case(("APP-GET-5",), _truncate_after(SIZE), name="close-notify-after-all-bytes-no-done"),
    _case(
        ("APP-GET-5", "PKI-TLS-6"),
        _truncate_after(SIZE, fin=True),
        name="tcp-fin-after-all-bytes-no-done",
        slow=True,
    ),
    # Refused: nothing may appear under the output name (not even an empty file).
    _case(("APP-GET-6",), _refused("not_found"), name="refused-not-found"),
    # EOF inside a frame: a DATA header announcing the last 1000 bytes, 999 of them.
    _case(("APP-GET-5", "FRM-7"), _inside_frame(999), name="close-notify-inside-a-data-frame"),
    _case(
        ("APP-GET-5", "FRM-7"), _inside_frame(-4), name="close-notify-inside-a-header", slow=True
    ),
    # EOF inside the DONE that follows every byte of the file: not a DONE, so no file.
    _case(("APP-GET-5", "FRM-7"), _inside_done(8 + 20), name="close-notify-inside-the-done"),
    _case(
        ("APP-GET-5", "FRM-7"),
        _inside_done(5),
        name="close-notify-inside-the-done-header",
        slow=True,
    ),
    # A digest that is right but in upper case is malformed, not "equal" [FRM-12].
    _case(
        ("FRM-12",),
        _answer(done_sha256=DIGEST.upper()),
        "bad_frame",
        name="done-sha256-upper-case",
    ),
    # An empty file has a digest too (SHA-256 of no bytes): a fast path that takes any DONE
    # for a 0-byte get ("nothing to hash") keeps an empty file the DONE does not vouch for.
    _case(
        ("APP-GET-3",),
        _answer(b"", rsfl_size=0, done_size=0, done_sha256=WRONG),
        "integrity_failed",
        name="empty-file-done-sha256-wrong",
    ),
    # ... and a DONE whose size says bytes were sent that never came.
    _case(
        ("APP-GET-3",),
        _answer(b"", rsfl_size=0, done_size=1, done_sha256=_EMPTY_DIGEST),
        "integrity_failed",
        name="empty-file-done-size-1",
        slow=True,
    ),
]


@pytest.mark.parametrize(("lie", "owed"), _LIES)
def test_initiator_fails_a_get_from_a_lying_responder(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Lie,
    owed: str | None,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    got = _run_lie(target, tmp_path, transcripts, lie)
    _judge_failed_get(
        got,
        f"{request.node.callspec.id}: the responder lied about the file",
        owed,
        _lie_requirements(request),
    )


# ---------------------------------------------------------------- malformed frames [FRM-*]


def _malformed(wire: bytes) -> Lie:
    def lie(r: LyingResponder) -> None:
        r.channel.send_raw(wire)
        r.await_reaction()

    return lie


def _after_rsfl(wire: bytes) -> Lie:
    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.channel.send_raw(wire)
        r.await_reaction()

    return lie


def _rsfl_payload(payload: bytes) -> bytes:
    return frame_bytes("RSFL", payload)


def _done_payload(payload: bytes) -> Lie:
    """An honest RSFL and every byte of the file, then a DONE whose payload is `payload`."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT)
        r.frame("DONE", payload)
        r.await_reaction()

    return lie


_MALFORMED = [
    # What the header alone betrays, in place of RSFL: an undefined type (a client that
    # skips it as "an extension" waits for RSFL instead) and bytes that are no type.
    _case(
        ("FRM-5",),
        _malformed(frame_bytes("ZZZZ", b"{}")),
        "unexpected_frame",
        name="unknown-type",
    ),
    _case(
        ("FRM-2",),
        _malformed(frame_bytes(b"rs\x00l", b"{}")),
        "bad_frame",
        name="bad-type-bytes",
    ),
    _case(
        ("FRM-6",),
        _malformed(frame_bytes("DATA", CONTENT[:100])),
        "unexpected_frame",
        name="data-before-rsfl",
        slow=True,
    ),
    _case(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":true}')),
        "bad_frame",
        name="size-true",
    ),
    _case(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":-1}')),
        "bad_frame",
        name="size-negative",
    ),
    # Integers with a fraction or an exponent are not JSON integers [FRM-11], whatever
    # their value: a reader that keeps every number as a float (JavaScript, Go's
    # interface{}, a `parse_float` that folds 5120.0 to 5120) takes them.
    _case(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":%d.0}' % SIZE)),
        "bad_frame",
        name="size-with-a-fraction",
    ),
    _case(
        ("FRM-11",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":5.12e3}')),
        "bad_frame",
        name="size-with-an-exponent",
        slow=True,
    ),
    # ... in DONE too, once every byte is in: the integer member that ends the get.
    _case(
        ("FRM-11",),
        _done_payload(b'{"size":%d.0,"sha256":"%s"}' % (SIZE, DIGEST.encode())),
        "bad_frame",
        name="done-size-with-a-fraction",
        slow=True,
    ),
    # The put's RSFL shape answering a get: `size` is missing [FRM-9]. One RSFL structure
    # for both answers, with zero values for absent members (Go), reads a 0-byte file.
    _case(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"accept":true,"name":"offered.bin"}')),
        "bad_frame",
        name="put-acceptance-answering-a-get",
    ),
    # Conflicting values: "the last one wins" (a plain JSON parser) reads size 5120 and
    # waits for the data; a receiver owes bad_frame [FRM-9].
    _case(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":0,"size":5120}')),
        "bad_frame",
        name="duplicate-key",
    ),
    # JSON keys are case-sensitive: `size` is missing (`Size` is an unknown member, FRM-10).
    # Go's encoding/json, decoding into a struct, matches `Size` to the field
    # case-insensitively; a hand-written parser may fold keys.
    _case(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","Size":%d}' % SIZE)),
        "bad_frame",
        name="member-key-case",
    ),
    # A raw control character inside a JSON string is not JSON (RFC 8259 §7); a lenient
    # parser (json.loads(strict=False), a hand-written scanner) takes it. In a member the
    # schema ignores (FRM-10): only the parse can refuse it.
    _case(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":%d,"note":"a\x01b"}' % SIZE)),
        "bad_frame",
        name="raw-control-character-in-a-string",
    ),
    _case(
        ("FRM-9",),
        _malformed(_rsfl_payload(b'{"name":"offered.bin","size":')),
        "bad_frame",
        name="json-cut-short",
        slow=True,
    ),
    _case(
        ("FRM-8",),
        _malformed(_rsfl_payload(control({"name": NAME, "size": SIZE, "pad": "x" * 65536}))),
        "frame_too_large",
        name="rsfl-over-64-kib",
    ),
    # Only a header, announcing 4 GiB: judged from the header alone [FRM-3] (and over the
    # control limit, FRM-8: frame_too_large either way). An initiator that reads a whole
    # frame before judging it (read 8 bytes, read `length` bytes, then check) waits for
    # 4 GiB that never come.
    _case(
        ("FRM-3", "FRM-8"),
        _malformed(header_bytes("RSFL", 0xFFFFFFF0)),
        "frame_too_large",
        name="rsfl-header-announces-4-gib",
    ),
    # The same, after RSFL, for the DONE that should end the get (the file announced
    # 5120 bytes; a header alone cannot say how many of them came).
    _case(
        ("FRM-3", "FRM-8"),
        _after_rsfl(header_bytes("DONE", 0xFFFFFFF0)),
        "frame_too_large",
        name="done-header-announces-4-gib",
        slow=True,
    ),
    _case(("FRM-13",), _after_rsfl(header_bytes("DATA", 0)), "bad_frame", name="empty-data-frame"),
    # FRM-16: within the frame limit, bad_frame or frame_too_large; and since 5120 bytes
    # were announced, the header also breaks APP-GET-4 (integrity_failed).
    _case(
        ("FRM-13",),
        _after_rsfl(header_bytes("DATA", MAX_DATA_PAYLOAD + 1)),
        "bad_frame|frame_too_large|integrity_failed",
        name="data-header-1-mib-plus-1",
        slow=True,
    ),
    # In the default run: the one FRM-6 case of the initiator's there (a receive loop that
    # writes DATA, stops at DONE and skips everything else waits here instead of failing).
    _case(
        ("FRM-6",),
        _after_rsfl(frame_bytes("RSFL", control({"name": NAME, "size": SIZE}))),
        "unexpected_frame",
        name="second-rsfl-mid-get",
    ),
]


@pytest.mark.parametrize(("lie", "owed"), _MALFORMED)
def test_initiator_answers_a_malformed_frame_with_the_error_the_spec_names(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: Lie,
    owed: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """The initiator is a receiver too: a malformed frame is answered with the EROR of §1
    (judged from the header where the header suffices), and the get fails."""
    skip_slow_variant(request)
    got = _run_lie(target, tmp_path, transcripts, lie)
    what = f"{request.node.callspec.id}: the responder sent a malformed frame"
    _judge_failed_get(got, what, owed, _lie_requirements(request))


# ---------------------------------------------------------------- the output file


def _honest(r: LyingResponder) -> None:
    r.rsfl(sha256=DIGEST)
    r.data(CONTENT)
    r.done()


@pytest.mark.req("APP-GET-3", "APP-GET-6", "APP-STORE-2")
def test_initiator_keeps_an_honest_get_under_its_final_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The control for every lie above: an honest answer is kept, byte for byte, under
    the final name, and nothing else is left (a client that keeps nothing would pass
    every lie)."""
    got = _run_lie(target, tmp_path, transcripts, _honest)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if not run.succeeded or kept != CONTENT or leftovers(run):
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        if kept is not None and kept != CONTENT:
            shown += " (not the content sent)"
        raise ConformanceFailure.evidence(
            "APP-GET-6: an honest get of 5120 bytes",
            "exit code 0, the file under its final name, no other file",
            f"exit code {run.returncode}, {shown}, other files {leftovers(run)}",
            note=got.describe(),
        )


# Edges the embedded set-up rarely produces: an empty file (RSFL size 0, no DATA, DONE),
# one byte, and exactly 1 MiB in one DATA frame (the largest DATA payload, FRM-13).
_EDGE_SIZES = {"empty": 0, "one-byte": 1, "one-mib-one-frame": 1 << 20}


def _honest_of(content: bytes) -> Lie:
    def lie(r: LyingResponder) -> None:
        digest = hashlib.sha256(content).hexdigest()
        r.rsfl(size=len(content), sha256=digest)
        r.data(content, chunk=max(1, len(content)))
        r.done(len(content), digest)

    return lie


@pytest.mark.req("APP-GET-3", "APP-GET-6", "APP-STORE-2")
@pytest.mark.parametrize("edge", sorted(_EDGE_SIZES))
def test_initiator_keeps_an_honest_get_of_an_edge_size(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, edge: str
) -> None:
    """An honest answer of an edge size (0 bytes, 1 byte, exactly 1 MiB in one frame) is
    kept byte for byte under the final name with exit 0: a client that saves nothing for
    an empty file ("nothing to write"), or that mishandles the largest DATA frame, fails
    a get it had to complete."""
    size = _EDGE_SIZES[edge]
    content = (bytes(range(251)) * (size // 251 + 1))[:size]
    got = _run_lie(target, tmp_path, transcripts, _honest_of(content))
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if not run.succeeded or kept != content or leftovers(run):
        shown = "no file" if kept is None else f"{len(kept)} bytes"
        if kept is not None and kept != content:
            shown += " (not the content sent)"
        raise ConformanceFailure.evidence(
            f"APP-GET-6: an honest get of {size} bytes ({edge})",
            "exit code 0, the file under its final name, no other file",
            f"exit code {run.returncode}, {shown}, other files {leftovers(run)}",
            note=got.describe(),
        )


def _unknown_members(r: LyingResponder) -> None:
    # Members a later version of the spec may add: a receiver ignores them [FRM-10].
    r.frame("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST, "mtime": 1, "x-y": {}}))
    r.data(CONTENT)
    r.frame("DONE", control({"size": SIZE, "sha256": DIGEST, "elapsed_ms": 3, "note": "ok"}))


@pytest.mark.req("FRM-10")
def test_initiator_ignores_members_the_schema_does_not_define(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _unknown_members)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    reaction = got.responder.reaction
    answer = reaction.describe() if reaction is not None else "-"
    if not run.succeeded or kept != CONTENT:
        raise ConformanceFailure.evidence(
            "FRM-10: an honest get whose RSFL and DONE carry members the schema does not define",
            "the members are ignored: exit code 0, the file kept",
            f"exit code {run.returncode}, " + ("no file" if kept is None else f"{len(kept)} bytes"),
            note=f"its answer: {answer}; {got.describe()}",
        )


def _renamed(rsfl_name: str) -> Lie:
    """An honest get whose RSFL names another file than the request (APP-GET-7)."""

    def lie(r: LyingResponder) -> None:
        r.frame("RSFL", control({"name": rsfl_name, "size": SIZE, "sha256": DIGEST}))
        r.data(CONTENT)
        r.done()

    return lie


@pytest.mark.req("APP-GET-7")
@pytest.mark.parametrize(
    "rsfl_name",
    [
        # Also catches a client that keeps only the basename of the responder's name.
        "../escaped-by-the-responder.bin",
        pytest.param("renamed-by-the-responder.bin", marks=pytest.mark.slow),
        # {tmp} is the case's own directory: `outdir / "/abs"` is "/abs" in most languages.
        pytest.param("{tmp}/absolute-by-the-responder.bin", marks=pytest.mark.slow),
    ],
)
def test_initiator_never_stores_under_the_name_the_responder_gives(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    rsfl_name: str,
    request: pytest.FixtureRequest,
) -> None:
    """Both readings are conforming: the get fails (bad_frame) or completes under the name
    the user chose. What APP-GET-7 forbids is any file under the responder's name, in the
    output directory or beside it."""
    skip_slow_variant(request)
    rsfl_name = rsfl_name.replace("{tmp}", str(tmp_path))
    got = _run_lie(target, tmp_path, transcripts, _renamed(rsfl_name))
    run = got.run
    planted = run.out.parent / rsfl_name
    problems = []
    if planted.exists() or planted.is_symlink():
        problems.append(f"a file {rsfl_name!r} appeared ({planted.resolve()})")
    left = leftovers(run)
    if left:
        problems.append(f"files other than the output in the output directory: {left}")
    kept = run.out.read_bytes() if run.kept_file else None
    if kept is not None and (kept != CONTENT or not run.succeeded):
        problems.append(f"the output holds {len(kept)} bytes, exit code {run.returncode}")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-7: a get of {NAME!r} answered RSFL {{name: {rsfl_name!r}}} with the "
            "right content",
            "the get fails (nothing kept) or the content is kept under the output name the "
            "user gave, and never a file under the responder's name",
            "; ".join(problems),
            note=got.describe(),
        )


@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize(
    "existing",
    # Empty too: "an empty file is a placeholder of an earlier failed run" is no licence.
    [
        pytest.param(USERS_FILE, id="users-file", marks=pytest.mark.slow),
        pytest.param(b"", id="empty-file"),
    ],
)
def test_initiator_does_not_overwrite_an_existing_output_file(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    existing: bytes,
    request: pytest.FixtureRequest,
) -> None:
    """An honest responder, but the output name exists and the user did not ask to replace
    it. Refusing before connecting, or before the request, is a conforming way not to
    overwrite it."""
    skip_slow_variant(request)
    lab = lab_pki(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / _OUT
    out.write_bytes(existing)
    box: dict[str, LyingResponder] = {}
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=_script(_honest, outdir, box),
        out=out,
        name=NAME,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    state = existing_file_state(out, existing)
    left = leftovers(run)
    if state != "intact" or left:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: get into an existing output file of {len(existing)} bytes (no "
            "option to replace it)",
            "the existing file is left as it was, nothing else is kept",
            f"it was {state}; other files left: {left}",
            note=f"{run.describe()}; the request was "
            + ("sent" if "responder" in box else "not sent"),
        )


def _file_appears_before_done(r: LyingResponder) -> None:
    r.rsfl(sha256=DIGEST)
    r.data(CONTENT)
    # Another program creates the output name while the transfer runs: the initiator's
    # final rename must not replace it [APP-STORE-2: link+unlink or RENAME_NOREPLACE].
    try:
        fd = os.open(r.outdir / _OUT, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # The initiator itself made the final name before DONE: that alone fails the case.
        r.notes.append("APP-GET-6: the initiator created the final name before DONE")
    else:
        with os.fdopen(fd, "wb") as file:
            file.write(USERS_FILE)
    r.done()


@pytest.mark.req("APP-GET-6", "APP-STORE-2")
def test_initiator_does_not_replace_a_file_that_appears_during_the_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _file_appears_before_done)
    state = users_file_state(got.run.out, CONTENT)
    left = leftovers(got.run)
    if state != "intact" or left or got.responder.notes:
        raise ConformanceFailure.evidence(
            "APP-GET-6/APP-STORE-2: the output name was created by someone else before DONE",
            "the initiator does not replace it (its rename fails; nothing else is kept)",
            f"the file was {state}; other files left: {left}; {got.responder.notes}",
            note=got.describe(),
        )


def _probe_then_kill(
    sig: int,
    process: list[subprocess.Popen[bytes]],
    ready: threading.Event,
    tmpdir: Path | None = None,
) -> Lie:
    """All bytes but one, then look at the output directory while the client waits; then
    the last byte, and look again once it is written (a client that renames as soon as
    the size is complete, before DONE is verified, shows the final name now); then stop
    the client: a final name must never show before DONE. `tmpdir`: the client's $TMPDIR,
    where the data must not go."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT[:-1])
        if tmpdir is not None:
            watch_client_tmpdir(r.notes, r.outdir, tmpdir, CONTENT)
        look_at(r.notes, entries_while_transferring(r.outdir, r.notes), "before DONE")
        r.frame("DATA", CONTENT[-1:])
        written = entries_once_written(r.outdir, SIZE, r.notes)
        look_at(r.notes, written, "after every byte, before DONE")
        if not ready.wait(PROBE_BUDGET):
            raise RuntimeError("the client's process handle never arrived")
        process[0].send_signal(sig)
        try:
            process[0].wait(timeout=_REACTION)
        except subprocess.TimeoutExpired:
            r.notes.append(f"(the client outlived {signal.Signals(sig).name} by {_REACTION} s)")
        # What a stopped client left: its temporary file, if any, keeps the mode it had.
        look_at(r.notes, [e for e in r.outdir.iterdir() if e.name != _OUT], "after the signal")
        r.close_notify()

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
def test_initiator_stopped_mid_transfer_keeps_nothing_under_the_final_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, sig: int
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    ready = threading.Event()

    def started(popen: subprocess.Popen[bytes]) -> None:
        process.append(popen)
        ready.set()

    # The client's temp-file helpers point at a directory the lie watches.
    tmpdir = tmp_path / "client-tmpdir"
    tmpdir.mkdir()
    env = client_tmpdir_env(tmpdir)
    got = _run_lie(
        target,
        tmp_path,
        transcripts,
        _probe_then_kill(sig, process, ready, tmpdir),
        started=started,
        client_env=env,
    )
    notes = got.responder.notes
    problems = [n for n in notes if not n.startswith("(")]
    if got.run.kept_file:
        problems.append(
            f"APP-STORE-5: after {signal.Signals(sig).name} mid-transfer, "
            f"{got.run.out.name} exists ({got.run.out.stat().st_size} bytes)"
        )
    left = leftovers(got.run)
    if sig == signal.SIGTERM and left:
        problems.append(f"APP-STORE-3: after SIGTERM, {left} remain")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-6/APP-STORE-1/APP-STORE-5: a get stopped by {signal.Signals(sig).name} "
            f"after all {SIZE} bytes but before DONE (the directory seen at {SIZE - 1} and "
            f"{SIZE} bytes)",
            "the data goes to a temporary file (mode 0600) in the output directory; the "
            "final name appears only after DONE is verified",
            "; ".join(problems),
            note=f"{notes}; {got.describe()}",
        )


@pytest.mark.req("APP-STORE-3")
def test_initiator_sweeps_stale_temporaries_but_not_live_ones(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A `.sft-partial-*` nobody wrote to for a day (far beyond any idle timeout) is a
    killed run's: the initiator removes it. One written to just now may be another live
    initiator's in the same directory: it stays."""
    reason = sweep_skip_reason(target.limits.idle_timeout)
    if reason:
        pytest.skip(reason)
    got = _run_lie(target, tmp_path, transcripts, _honest, prepare=plant_stale_and_live)
    check_sweep(leftovers(got.run), got.describe())


# --- the end after a fatal EROR [PKI-TLS-7] ------------------------------------------------

_END_WAIT = 3.0  # how long the initiator has to close after the fatal EROR (ERR-3: at once)


def _fatal_then_watch_the_end(sent_by: str, ends: list[Event]) -> Lie:
    """A get that ends in a fatal EROR — the initiator's own (`integrity_failed` for a
    wrong DONE digest) or the responder's (`internal` mid-transfer) — then the end of the
    initiator's side of the stream, as the responder sees it."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        if sent_by == "initiator":
            r.data(CONTENT)
            r.done(sha256=DIGEST_LAST_WRONG)
            event = r.await_reaction()
        else:
            r.data(CONTENT[:CHUNK])
            r.frame("EROR", error_payload("internal", "suite: failing mid-transfer"))
            event = r.await_reaction(_END_WAIT)
        end = deadline_after(_END_WAIT)
        for _ in range(8):  # bounded: the end, after at most a few stray frames
            if not isinstance(event, ReceivedFrame):
                break
            event = r.channel.recv_frame(end)
        ends.append(event)

    return lie


@pytest.mark.req("PKI-TLS-7")
@pytest.mark.parametrize(
    "sent_by",
    ["initiator", pytest.param("responder", marks=pytest.mark.slow)],
)
def test_initiator_ends_a_failed_get_with_close_notify(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    sent_by: str,
    request: pytest.FixtureRequest,
) -> None:
    """After sending or receiving a fatal EROR the initiator closes at once, and with a
    TLS close_notify before its TCP close: never a bare FIN or a reset, and not only when
    it gets round to exiting (a client that keeps a clean close for its success path
    drops the socket on every failure)."""
    skip_slow_variant(request)
    ends: list[Event] = []
    got = _run_lie(target, tmp_path, transcripts, _fatal_then_watch_the_end(sent_by, ends))
    end = ends[0] if ends else None
    if end is None or not ended_cleanly(end):
        shown = end.describe() if end is not None else "nothing (the suite had closed)"
        raise ConformanceFailure.evidence(
            f"PKI-TLS-7: the end of a get failed by a fatal EROR of the {sent_by}",
            f"close_notify and the close within {_END_WAIT:g} s",
            shown,
            note=got.describe(),
        )


# --- frames split across TLS records [FRM-4] -------------------------------------------------

# Record sizes the honest stream is cut into, in turn: a frame header split (3 + 5), a header
# alone in its record, a payload cut anywhere, single bytes. Python's ssl returns at most one
# record per read, so the initiator sees every cut.
_RECORD_CUTS = (3, 5, 1, 8, 700, 2, 13, 1)


def _split_across_records(r: LyingResponder) -> None:
    frames = [frame_bytes("RSFL", control({"name": NAME, "size": SIZE, "sha256": DIGEST}))]
    frames += [frame_bytes("DATA", CONTENT[o : o + CHUNK]) for o in range(0, SIZE, CHUNK)]
    frames.append(frame_bytes("DONE", control({"size": SIZE, "sha256": DIGEST})))
    stream = b"".join(frames)
    offset = 0
    for turn in range(len(stream)):  # bounded: at least one byte per record
        if offset >= len(stream):
            break
        cut = _RECORD_CUTS[turn % len(_RECORD_CUTS)]
        if not r.channel.send_raw(stream[offset : offset + cut]):
            break
        offset += cut
    r.answered = offset >= len(stream)  # the DONE went out whole


@pytest.mark.req("FRM-4")
def test_initiator_reassembles_frames_split_across_records(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest get whose frames the responder writes in TLS records of 1 to 700 bytes
    cut at every kind of place (inside a header, between header and payload, inside a
    payload): the initiator must reassemble them (a reader that takes one read for a
    header or a payload gets a short frame) and complete the get."""
    got = _run_lie(target, tmp_path, transcripts, _split_across_records)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    left = leftovers(run)
    if not run.succeeded or kept != CONTENT or left:
        raise ConformanceFailure.evidence(
            f"FRM-4: an honest get of {SIZE} bytes, its frames cut into TLS records of "
            f"{sorted(set(_RECORD_CUTS))} bytes",
            "the get completes: exit 0, the file kept byte for byte",
            f"{run.describe()}; kept {None if kept is None else len(kept)} bytes; "
            f"other files {left}",
            note=got.describe(),
        )


# A requested name of 2-, 3- and 4-byte characters: its UTF-8 is longer than its count of
# characters, so an initiator that announces len(str) cuts its RQFL short.
_WIDE_NAME = "caf\u00e9-\u20ac-\U0001f642.bin"


@pytest.mark.req("FRM-1", "FRM-14")
def test_initiator_request_length_counts_utf8_bytes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client asks for a name of non-ASCII characters: its RQFL announces the
    payload's length in bytes (whole JSON naming exactly that name), the frame after it
    starts where it should, and the honest get that follows succeeds."""
    seen: list[Event] = []

    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        seen.append(request)
        if not (
            isinstance(request, ReceivedFrame)
            and request.type == b"RQFL"
            and not request.violations()
            and (request.json() or {}).get("name") == _WIDE_NAME
        ):
            return
        channel.send_frame("RSFL", {"name": _WIDE_NAME, "size": SIZE, "sha256": DIGEST})
        for offset in range(0, SIZE, CHUNK):
            channel.send_frame("DATA", CONTENT[offset : offset + CHUNK])
        channel.send_frame("DONE", {"size": SIZE, "sha256": DIGEST})
        seen.append(channel.recv_frame(deadline_after(_REACTION)))  # BYE_, or the end

    outdir = tmp_path / "out"
    outdir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / _OUT,
        name=_WIDE_NAME,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if not seen:
        raise RuntimeError(
            f"the initiator under test never reached the responder: {run.describe()}"
        )
    frames = [e for e in seen if isinstance(e, ReceivedFrame)]
    problems = [f"{f.describe(80)}: {v}" for f in frames for v in f.violations()]
    request = seen[0]
    if not (isinstance(request, ReceivedFrame) and request.type == b"RQFL"):
        problems.append(f"the first frame is not an RQFL: {request.describe()}")
    elif (request.json() or {}).get("name") != _WIDE_NAME:
        problems.append(f"the RQFL does not name {_WIDE_NAME!r}: {request.describe(120)}")
    kept = run.out.read_bytes() if run.kept_file else None
    if not problems and (not run.succeeded or kept != CONTENT):
        problems.append(f"the honest get failed: {run.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            f"FRM-1/FRM-14: the initiator asked for {_WIDE_NAME!r} "
            f"({len(_WIDE_NAME.encode())} bytes of UTF-8, {len(_WIDE_NAME)} characters)",
            "an RQFL whose announced length is its payload's in bytes, then the get kept",
            "\n".join(problems),
            note=f"received {[e.describe() for e in seen]}",
        )


# --------------------------------------------------------------------------------------
# An sft-pki/1 initiator's get whose DONE alone lies about the size (SPEC §3.3, APP-GET-3).
#
# The same lying responder, the same judge as above. Among the lies above,
# the lie that only DONE.size betrays ("done-size-smaller") is a slow variant, so a default
# run never shows an initiator that compares its byte count with RSFL.size and the digest
# with DONE.sha256 but never looks at DONE.size. Here the RSFL, the data and DONE.sha256
# all agree, and DONE.size says one byte more (or 0): APP-GET-3 asks the initiator to check
# at DONE that the bytes received equal the size announced, and DONE announces a size
# too — the get must fail with `integrity_failed`, nothing kept, no temporary file left.
# --------------------------------------------------------------------------------------


@pytest.mark.req("APP-GET-3", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize("done_size", [SIZE + 1, 0], ids=["one-more", "zero"])
def test_initiator_fails_a_get_whose_done_size_alone_differs(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, done_size: int
) -> None:
    lie = _answer(done_size=done_size)
    got = _run_lie(target, tmp_path, transcripts, lie)
    _judge_failed_get(
        got,
        f"RSFL.size {SIZE}, {SIZE} bytes with the right DONE.sha256, DONE.size {done_size}",
        "integrity_failed",
        ("APP-GET-3",),
    )


# --------------------------------------------------------------------------------------
# An sft-pki/1 INITIATOR given a DATA frame above 1 MiB that the announced size allows
# (docs/SPEC.md FRM-13, FRM-16), beside
# `test_initiator_answers_a_malformed_frame_with_the_error_the_spec_names`.
#
# That case's `data-header-1-mib-plus-1` announces 5120 bytes in
# RSFL, then a DATA header of 1 048 577: the size check of APP-GET-4 refuses that header
# whatever the initiator's DATA limit is, so an initiator that bounds DATA frames by the
# frame limit (1 048 832) instead of FRM-13's 1 048 576 passes it. Here RSFL announces
# more than the oversize frame holds, the frame comes whole, and the rest of the file and
# a right DONE follow: only the DATA limit of FRM-13 makes the get fail. The oversize
# frame comes first, or second after a valid one (a check made on the first frame only).
#
# The get must fail: non-zero exit, nothing under the final name, no temporary file left.
# Which EROR the initiator sends is not judged here (FRM-16 allows `bad_frame` or
# `frame_too_large`; an initiator that answers from the header may close while the frame
# is still arriving, and the reset can overtake its EROR): the malformed-frame case above
# judges the EROR from a header alone.
# --------------------------------------------------------------------------------------

_OVERSIZE = MAX_DATA_PAYLOAD + 1  # within the frame limit (1 048 832), above FRM-13's


def _content(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def _oversize_data(first: int) -> Lie:
    """RSFL for `first` + 1 048 577 + 100 bytes; DATA of `first` bytes (if any), one DATA
    of 1 048 577, one of 100, a right DONE: a well-formed get but for one frame."""
    body = _content(first + _OVERSIZE + 100)
    digest = hashlib.sha256(body).hexdigest()

    def lie(r: LyingResponder) -> None:
        r.frame("RSFL", control({"name": "offered.bin", "size": len(body), "sha256": digest}))
        if first:
            r.frame("DATA", body[:first])
        r.frame("DATA", body[first : first + _OVERSIZE])
        r.frame("DATA", body[first + _OVERSIZE :])
        r.frame("DONE", control({"size": len(body), "sha256": digest}))
        if isinstance(r.await_reaction(), TimedOut):
            r.reaction = None

    return lie


@pytest.mark.req("FRM-13", "APP-STORE-3")
@pytest.mark.parametrize("first", [0, 1000], ids=["first-frame", "second-frame"])
def test_initiator_fails_a_get_with_a_data_frame_above_1_mib(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, first: int
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _oversize_data(first))
    where = "the first DATA frame" if not first else "the second DATA frame (after 1000 bytes)"
    _judge_failed_get(
        got,
        f"FRM-13: {where} holds 1 048 577 bytes (within the frame limit, above 1 MiB); "
        "RSFL's size, the rest of the data and DONE all agree with it",
        None,
        ("FRM-13",),
    )
