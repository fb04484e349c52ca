"""An sft-eke/1 CLIENT fails a get when a value it must check cannot be decoded, is absent,
or is a number that only fits after a wrap — it never takes "could not check" for "checked".

The suite plays a server that completes an honest handshake and answers the client's RQFL
with one of these (each time every byte the client would need to keep the file follows,
so a client that lets the value through shows it by keeping the file):

* [APP-GET-3] a `DONE` whose `sha256` is not 64 hex digits (letters out of range, empty,
  63 digits), after bytes that are not the file announced: a client that reads "no digest
  I can decode" as "nothing to compare" keeps corrupted bytes.
* [APP-GET-3] an `RSFL` whose `sha256` is present but not 64 hex digits, then the honest
  bytes and DONE: RSFL.sha256 is checked when present; a client that reads an undecodable
  one as absent keeps the file.
* [FRM-9] an `RSFL` without `size`, or without `name` (required members: a client that
  reads them as "unknown size, take DONE's" or never looks at the name keeps the file).
* [FRM-9] a `DONE` after the honest bytes without `size`, with `size: null`, or not UTF-8.
* [FRM-9] control payloads that are not UTF-8 (a byte 0xFF, an overlong encoding, an
  encoded surrogate), in a member the schema ignores and in the name: a decoder with
  `errors='replace'` takes them.
* [APP-GET-3] an RSFL size of 2^32 + n with n bytes and a DONE that repeats 2^32 + n: the
  count differs from the announced size (a client keeping sizes in 32 bits sees n = n);
  [FRM-11] 2^64 + n is not an integer of the protocol at all.
* [EKE-REC-1] a record whose inner DATA (or DONE) frame announces more payload than the
  record holds, amid an honest get whose sizes and digests agree with the bytes present.
* [EKE-REC-4] a `RECD` shorter than a GCM tag (0 or 15 bytes) amid an honest get: it
  cannot authenticate; a client that skips it as padding completes the get.
  [APP-STORE-3] every case also requires the output directory to hold nothing else
  (no temporary file left by the failure: a tampered record included).
* [APP-GET-7] RSFL.name differs from the request only in its directories
  (`../offered.bin`, `sub/offered.bin`): nothing may be created under that name.
* [ERR-5], [EKE-PW-3] on each of these failure paths the client's EROR, if it sends one,
  shows no 8-byte window of pw or of a session key in hex, nor the password.
* [APP-NAME-3] a get of `dir/offered.bin` refused `not_found`: the client does not ask
  again under another name (the basename) on its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import ClientCase, eke_pw, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    error_payload,
    frame_bytes,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = lies.NAME
CONTENT = lies.CONTENT
SIZE = lies.SIZE
DIGEST = lies.DIGEST
CHUNK = lies.CHUNK
# The bytes a lying server sends in place of the file: one byte changed.
BAD = CONTENT[:100] + bytes([CONTENT[100] ^ 0x55]) + CONTENT[101:]
BAD_DIGEST = hashlib.sha256(BAD).hexdigest()
_WAIT = 3.0  # how long a client has to refuse a frame before the rest of the lie follows


def _finish_if_silent(s: lies.LyingServer, wait: float = _WAIT) -> None:
    """Reads the client's answer; a silent client gets the rest of the file and DONE."""
    if isinstance(s.await_reaction(wait), TimedOut):
        s.data(CONTENT)
        s.done()
        s.await_reaction(wait)
        s.reaction = TimedOut(wait, b"")


def _judge(
    case: ClientCase,
    what: str,
    *,
    server: lies.LyingServer,
    own: tuple[str, ...],
    owed: str | None = None,
) -> None:
    """`_judge_failed_get`, then the client's EROR (if any) judged for secrets: no 8-byte
    window of pw or of a session key in hex [EKE-PW-3], [ERR-5], on this failure path."""
    lies._judge_failed_get(case, what, owed=owed, server=server, own=own)
    got = server.reaction
    if not (isinstance(got, ReceivedFrame) and got.type == b"EROR"):
        return
    message = str((got.json() or {}).get("message", "")).lower()
    keys = server.channel.keys
    secrets = {"pw": eke_pw(case.user, case.password)}
    for name in ("z", "prk", "kcs", "kcc", "key_c2s", "key_s2c"):
        secrets[name] = getattr(keys, name)
    shown = [
        (("EKE-PW-3",) if name == "pw" else ("ERR-5",), name)
        for name, value in secrets.items()
        if any(value[i : i + 8].hex() in message for i in range(len(value) - 7))
    ]
    if case.password.lower() in message:
        shown.append((("EKE-PW-3",), "the password"))
    if shown:
        failure = ConformanceFailure.evidence(
            f"{what}: the client's EROR",
            "a message without secrets and without anything computed from the password",
            f"its message {message[:200]!r} shows {[n for _, n in shown]}",
            note=case.describe(),
        )
        failure.violates = tuple(sorted({r for ids, _ in shown for r in ids}))
        raise failure


# ------------------------------------------------------------------ digests that do not decode

_DONE_DIGESTS = {
    "not-hex": "z" * 64,
    "empty": "",
    "63-digits": BAD_DIGEST[:63],
    "spaced": BAD_DIGEST[:32] + " " + BAD_DIGEST[33:],
}


def _bad_bytes_then_done(sha256: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl()
        s.data(BAD)
        s.done(SIZE, sha256)

    return lie


@pytest.mark.req("APP-GET-3", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", list(_DONE_DIGESTS))
def test_client_fails_a_get_whose_done_digest_does_not_decode(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[APP-GET-3] Bytes other than the file, then `DONE {size, sha256}` whose sha256 is
    not 64 hex digits: the SHA-256 of the bytes received cannot equal it, so the get
    fails (bad_frame or integrity_failed: both codes apply, FRM-16). A client that takes
    an undecodable digest for "none to check" keeps the corrupted bytes."""
    sha = _DONE_DIGESTS[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _bad_bytes_then_done(sha))
    _judge(
        case,
        f"APP-GET-3: {SIZE} bytes that are not the file, then DONE.sha256 = {sha!r}",
        server=server,
        own=("APP-GET-3",),
    )


_RSFL_DIGESTS = {
    "not-hex": "g" * 64,
    "empty": "",
    "63-digits": DIGEST[:63],
}


def _rsfl_digest(sha256: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=sha256)
        _finish_if_silent(s)

    return lie


@pytest.mark.req("APP-GET-3", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", list(_RSFL_DIGESTS))
def test_client_fails_a_get_whose_rsfl_digest_does_not_decode(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[APP-GET-3] RSFL carries `sha256` (so it is checked at DONE) but it is not 64 hex
    digits; the file's honest bytes and DONE follow. The bytes' SHA-256 cannot equal it:
    the get fails (at RSFL with bad_frame, or at DONE). A client that reads an undecodable
    RSFL.sha256 as absent keeps the file."""
    sha = _RSFL_DIGESTS[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _rsfl_digest(sha))
    _judge(
        case,
        f"APP-GET-3: RSFL.sha256 = {sha!r}, then the file's bytes and an honest DONE",
        server=server,
        own=("APP-GET-3",),
    )


# ---------------------------------------------------- members left out, bytes not UTF-8


def _rsfl_raw(payload: bytes) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("RSFL", payload)
        _finish_if_silent(s)

    return lie


_FFFF = b'"\xff"'
_MALFORMED_RSFL = {
    "no-size": control({"name": NAME, "sha256": DIGEST}),
    "no-name": control({"size": SIZE, "sha256": DIGEST}),
    "note-byte-ff": b'{"name":"%s","size":%d,"note":%s}' % (NAME.encode(), SIZE, _FFFF),
    "note-overlong-slash": b'{"name":"%s","size":%d,"note":"\xc0\xaf"}' % (NAME.encode(), SIZE),
    "note-encoded-surrogate": (
        b'{"name":"%s","size":%d,"note":"\xed\xa0\x80"}' % (NAME.encode(), SIZE)
    ),
    "name-byte-ff": b'{"name":"offered\xff.bin","size":%d}' % SIZE,
}


@pytest.mark.req("FRM-9", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", list(_MALFORMED_RSFL))
def test_client_refuses_an_rsfl_missing_a_member_or_not_utf8(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[FRM-9] The RQFL is answered with an RSFL that lacks a required member (`size`,
    `name`) or whose payload is not UTF-8 (in a member the schema ignores, FRM-10, or in
    the name the client may ignore, APP-GET-7): malformed, answered `bad_frame`, the get
    fails. If the client says nothing for a few seconds the file's bytes and an honest
    DONE follow: a client that took the RSFL shows it by keeping the file."""
    payload = _MALFORMED_RSFL[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _rsfl_raw(payload))
    _judge(
        case,
        f"FRM-9: the RSFL answering the client's RQFL is {payload!r}",
        owed="bad_frame",
        server=server,
        own=("FRM-9",),
    )


_MALFORMED_DONE = {
    "no-size": control({"sha256": DIGEST}),
    "size-null": b'{"size":null,"sha256":"%s"}' % DIGEST.encode(),
    "note-byte-ff": b'{"size":%d,"sha256":"%s","note":%s}' % (SIZE, DIGEST.encode(), _FFFF),
}


def _done_raw(payload: bytes) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        s.data(CONTENT)
        s.frame("DONE", payload)
        s.await_reaction()

    return lie


@pytest.mark.req("FRM-9", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", list(_MALFORMED_DONE))
def test_client_refuses_a_done_missing_a_member_or_not_utf8(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[FRM-9] The file's honest bytes, then a DONE without `size` (or with `size: null`,
    not absent but malformed), or not UTF-8 in a member the schema ignores: the frame
    that would complete the get is malformed, so the get fails (`bad_frame`; for the
    missing or null size `integrity_failed` too, FRM-16). A client
    that checks "the sizes it was given" keeps the file."""
    payload = _MALFORMED_DONE[kind]
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _done_raw(payload))
    _judge(
        case,
        f"FRM-9: the file's bytes, then DONE {payload!r}",
        # An absent or null size also fails APP-GET-3's check (FRM-16: either code); a
        # payload that is not UTF-8 breaks FRM-9 alone.
        owed="bad_frame" if kind == "note-byte-ff" else "bad_frame|integrity_failed",
        server=server,
        own=("FRM-9",),
    )


# ---------------------------------------------------- sizes that fit only after a wrap

_WRAPS = {"u32": (1 << 32) + SIZE, "u64": (1 << 64) + SIZE}


def _wrapped_size(size: int) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=size, sha256=DIGEST)
        s.data(CONTENT)
        s.done(size, DIGEST)

    return lie


@pytest.mark.req("APP-GET-3", "FRM-11", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", list(_WRAPS))
def test_client_fails_a_get_whose_size_fits_only_after_a_wrap(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """RSFL and DONE announce 2^32 + n bytes, n bytes come: [APP-GET-3] the count differs
    from both sizes (a client that keeps sizes in 32 bits sees n = n and keeps the file).
    2^64 + n is above 2^63 − 1, not an integer of the protocol [FRM-11] (a 64-bit wrap
    reads n)."""
    size = _WRAPS[kind]
    requirement = "APP-GET-3" if kind == "u32" else "FRM-11"
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _wrapped_size(size))
    _judge(
        case,
        f"{requirement}: RSFL and DONE announce {size} bytes, {SIZE} bytes came",
        server=server,
        own=(requirement,),
    )


# ------------------------------------------------------------------ records of odd lengths


def _short_inner(kind: str) -> lies.Lie:
    """An honest get, but one record's inner frame announces 5 bytes more than it holds;
    RSFL and DONE agree with the bytes actually present."""

    def lie(s: lies.LyingServer) -> None:
        if kind == "data":
            body = CONTENT[: CHUNK - 5] + CONTENT[CHUNK:]
            digest = hashlib.sha256(body).hexdigest()
            s.rsfl(size=len(body), sha256=digest)
            s.channel.send_raw(header_bytes("DATA", CHUNK) + CONTENT[: CHUNK - 5])
            s.data(CONTENT[CHUNK:])
            s.done(len(body), digest)
        else:
            s.rsfl(sha256=DIGEST)
            s.data(CONTENT)
            done = control({"size": SIZE, "sha256": DIGEST})
            s.channel.send_raw(header_bytes("DONE", len(done) + 5) + done)
        s.await_reaction()

    return lie


@pytest.mark.req("EKE-REC-1", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", ["data", "done"])
def test_client_refuses_a_record_shorter_than_its_frame(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[EKE-REC-1] A record's plaintext must be exactly one frame: here the inner frame's
    header announces 5 bytes more than the record holds. A reader that takes what is there
    (a bounded copy) completes the get, whose sizes and digests agree with those bytes."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _short_inner(kind))
    _judge(
        case,
        f"EKE-REC-1: a record whose inner {kind.upper()} frame announces 5 bytes more "
        "than the record holds",
        server=server,
        own=("EKE-REC-1",),
    )


def _record_without_tag(length: int) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(sha256=DIGEST)
        s.data(CONTENT[:CHUNK])
        s.raw(header_bytes("RECD", length) + bytes(length))
        s.data(CONTENT[CHUNK:])
        s.done()
        s.await_reaction()

    return lie


def _tampered_record(s: lies.LyingServer) -> None:
    s.rsfl(sha256=DIGEST)
    s.data(CONTENT[:CHUNK])
    record = bytearray(s.sealed(frame_bytes("DATA", CONTENT[CHUNK : 2 * CHUNK])))
    record[-1] ^= 0x01
    s.raw(bytes(record))
    s.await_reaction()


@pytest.mark.req("EKE-REC-4", "APP-STORE-3", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("kind", ["empty-record", "15-byte-record", "tampered-tag"])
def test_client_closes_on_a_record_that_cannot_authenticate(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[EKE-REC-4] Amid an honest get (one DATA record in), a `RECD` of 0 or 15 bytes — too
    short to hold a GCM tag — or a DATA record whose tag is flipped: it cannot
    authenticate, so the client closes and the get fails; nothing of it stays, the
    temporary file included [APP-STORE-3] (a client that keeps it "for a resume" leaves
    it). A client that skips a short record as padding completes the get."""
    lie = (
        _tampered_record
        if kind == "tampered-tag"
        else _record_without_tag(0 if kind == "empty-record" else 15)
    )
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    _judge(
        case,
        f"EKE-REC-4: amid the get's DATA, {kind}",
        server=server,
        own=("EKE-REC-4",),
    )


# ------------------------------------------------------------------ names


def _run_named(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    name: str,
    outdir: Path,
) -> tuple[ClientCase, lies.LyingServer | None]:
    box: dict[str, lies.LyingServer] = {}
    behaviour = lies._serve(lies._user_pw(target), outdir, lie, box)
    case = run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,
        name=name,
        password=lies._PASSWORD,
        outdir=outdir,
    )
    return case, box.get("server")


@pytest.mark.req("APP-GET-7")
@pytest.mark.parametrize("served", ["../offered.bin", "sub/offered.bin"])
def test_client_creates_nothing_under_an_rsfl_name_with_other_directories(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, served: str
) -> None:
    """[APP-GET-7] The client asks for `offered.bin`; RSFL names `../offered.bin` (or
    `sub/offered.bin`, a directory that exists beside the output), then the honest bytes
    and DONE. The last component agrees with the request, the name does not: the client
    may fail the get or ignore the name, but nothing may appear under RSFL.name (a client
    that compares names by their last component and stores "the server's path" does)."""
    base = tmp_path / "work"
    outdir = base / "out"
    (outdir / "sub").mkdir(parents=True)

    def rsfl_with(s: lies.LyingServer) -> None:
        obj = {"name": served, "size": SIZE, "sha256": DIGEST}
        s.frame("RSFL", control(obj))
        s.data(CONTENT)
        s.done()
        s.await_reaction()

    case, _ = _run_named(eke_target, tmp_path, transcripts, rsfl_with, NAME, outdir)
    where = (outdir / served).resolve()
    if where.exists():
        raise ConformanceFailure.evidence(
            f"APP-GET-7: the client asked for {NAME!r}; RSFL named {served!r}",
            "nothing created under RSFL.name (the get kept under the client's own output, "
            "or failed)",
            f"{where} exists ({where.stat().st_size} bytes)",
            note=case.describe(),
        )


@pytest.mark.req("APP-NAME-3")
def test_client_does_not_ask_again_under_another_name_after_not_found(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-NAME-3] The client asks for `dir/offered.bin`; the server answers `EROR
    not_found` (non-fatal: the connection stays usable). The name is used literally: the
    client reports the refusal; it does not ask again for `offered.bin` or any other form
    of the name (a client that "tries the basename in case the share is flat" does)."""
    outdir = tmp_path / "out"
    outdir.mkdir()
    requested = "dir/" + NAME

    def lie(s: lies.LyingServer) -> None:
        s.frame("EROR", error_payload("not_found", "suite: no such file"))
        again = s.await_reaction()
        if isinstance(again, ReceivedFrame) and again.type == b"RQFL":
            asked = (again.json() or {}).get("name")
            if asked != requested:
                s.notes.append(f"a second RQFL for {asked!r}")
            s.honest()  # what a flat share would answer
            s.await_reaction()

    case, server = _run_named(eke_target, tmp_path, transcripts, lie, requested, outdir)
    if server is None:
        raise RuntimeError(f"the client never sent its request\n{case.describe()}")
    others = [n for n in server.notes if n.startswith("a second RQFL")]
    if others:
        raise ConformanceFailure.evidence(
            f"APP-NAME-3: a get of {requested!r} answered EROR not_found",
            "the refusal reported (non-zero exit); no request under another name",
            f"the client asked again: {others[0]}; exit {case.result.returncode}",
            note=case.describe(),
        )
