"""Transfers of 0 and 1 bytes: the fast path that skips DONE (SPEC §3.3, §3.4, §3.6).

"Nothing to receive" invites a shortcut: a responder that stores an empty put under its
final name at `PUTF`, or a client that creates its empty output at `RSFL`, has no `DATA`
to wait for — and then skips the check the slow path makes at `DONE`. A `DONE` whose size
or SHA-256 does not match fails the transfer whatever its size, and the final name appears
only through the rename after that check [APP-PUT-5, APP-GET-3, APP-STORE-2]. One byte is
the next-smallest transfer (one `DATA` frame): the same question.

- Responder, both profiles: `PUTF` of 0 / 1 byte, accepted; the bytes; the inbox (when
  the target declares it) watched for the final name before `DONE`; then a `DONE` with the
  SHA-256 wrong in its last digit, or a size one too large: `EROR integrity_failed`
  (fatal), and the name stays free — a new `PUTF` of it, on a new connection, is accepted
  and stored.
- Initiator, both profiles (the suite as a lying server after an honest handshake):
  `RSFL` of size 0 / 1, the bytes, the output directory watched for the final name, then
  the same lying `DONE`: the client fails the get (non-zero exit, `EROR integrity_failed`),
  nothing under the final name, no temporary file left.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.lying_get import OUT_NAME
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_SIZES = {"empty": b"", "one-byte": b"\x07"}
_LIES = ("done-sha256", "done-size")
# The lying peers' common interface (as test_client_lies.py): rsfl(), data(), done().
Peer = eke_lies.LyingServer | pki_lies.LyingResponder
PeerLie = Callable[[Peer], None]
_WATCH = 0.3  # seconds the final name is watched for before DONE (a conforming peer: never)


def _last_digit_wrong(digest: str) -> str:
    return digest[:-1] + ("0" if digest[-1] != "0" else "1")


def _lying_done(data: bytes, lie: str) -> tuple[int, str]:
    digest = hashlib.sha256(data).hexdigest()
    if lie == "done-sha256":
        return len(data), _last_digit_wrong(digest)
    return len(data) + 1, digest


def _shows(path: Path) -> bool:
    """`path` appears within _WATCH seconds (polled; a bounded watch, never a wait for
    the peer: a conforming peer never shows it, so this can only miss a bug)."""
    deadline = time.monotonic() + _WATCH
    while True:
        if path.is_symlink() or path.exists():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


# ------------------------------------------------------------------------- responder


@pytest.mark.req("APP-PUT-5", "APP-STORE-2")
@pytest.mark.parametrize("lie", _LIES)
@pytest.mark.parametrize("size", sorted(_SIZES))
def test_small_put_with_a_lying_done_is_not_stored(
    target: Target, app_channel: AppChannel, size: str, lie: str
) -> None:
    """PUTF of 0 / 1 byte, then a DONE that does not match: integrity_failed, the final
    name never shown (inbox watched before DONE) and free afterwards."""
    require(target, "put")
    data = _SIZES[size]
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"APP-PUT-1: PUTF {name!r} of {len(data)} bytes"
    )
    if data:
        channel.send_frame("DATA", data)
    what = f"APP-PUT-5: a put of {len(data)} bytes ({size}) whose DONE lies ({lie})"
    # Watched before DONE; judged at the end, so that what remains after the failed put
    # (APP-PUT-5) is reported too when both are broken.
    early = target.inbox is not None and _shows(target.inbox / name)
    done_size, done_sha = _lying_done(data, lie)
    channel.send_frame("DONE", {"size": done_size, "sha256": done_sha})
    outcome = channel.expect([ExpectError("integrity_failed")])
    try:
        outcome.check(f"{what}: DONE size {done_size} sha256 {done_sha[:12]}…")
        _name_is_free(target, app_channel, name, what)
    except ConformanceFailure as exc:
        exc.violates = tuple(sorted({*(exc.violates or ("APP-PUT-5",)), *_early(early)}))
        raise
    if early:
        assert target.inbox is not None
        failure = ConformanceFailure.evidence(
            what,
            "the final name appears only through the rename after DONE is verified",
            f"{target.inbox / name} existed before DONE was sent",
        )
        failure.violates = ("APP-STORE-2",)
        raise failure


def _early(early: bool) -> tuple[str, ...]:
    return ("APP-STORE-2",) if early else ()


def _name_is_free(target: Target, app_channel: AppChannel, name: str, what: str) -> None:
    """Nothing under `name`: a new PUTF of it, on a new connection, is accepted and stored."""
    content = b"the honest put after a failed small one"
    answer, final = put_file(app_channel(), name, content)
    if answer.frame is None or answer.frame.type != b"RSFL":
        failure = ConformanceFailure.evidence(
            f"{what}, then PUTF {name!r} again on a new connection",
            "accepted: the failed put stored nothing under the name",
            answer.describe(),
        )
        failure.violates = ("APP-PUT-5",)
        raise failure
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure.evidence(
            f"the honest put of {name!r} after {what}",
            "DONE",
            final.describe() if final is not None else "nothing",
        )
    stored = target.inbox / name if target.inbox is not None else None
    if stored is not None and (not stored.is_file() or stored.read_bytes() != content):
        failure = ConformanceFailure(f"APP-PUT-5: {stored} is not the honest put")
        failure.violates = ("APP-PUT-5",)
        raise failure


# ------------------------------------------------------------------------- initiator


def _small_lie(data: bytes, lie: str) -> PeerLie:
    """RSFL of len(data), the bytes, a watch of the output directory, the lying DONE."""
    done_size, done_sha = _lying_done(data, lie)

    def run(peer: Peer) -> None:
        peer.rsfl(size=len(data))
        if data:
            peer.data(data)
        if _shows(peer.outdir / OUT_NAME):
            peer.notes.append(f"APP-STORE-2: the final name {OUT_NAME} existed before DONE")
        peer.done(done_size, done_sha)
        peer.await_reaction()

    return run


def _early_name(notes: list[str], what: str, note: str) -> None:
    shown = [n for n in notes if n.startswith("APP-STORE-2:")]
    if shown:
        failure = ConformanceFailure.evidence(
            what,
            "the final name appears only through the rename after DONE is verified",
            "; ".join(shown),
            note=note,
        )
        failure.violates = ("APP-STORE-2",)
        raise failure


def _what_client(size: str, lie: str, data: bytes) -> str:
    done_size, done_sha = _lying_done(data, lie)
    return (
        f"APP-GET-3: RSFL size {len(data)} ({size}), the bytes, then DONE size {done_size} "
        f"sha256 …{done_sha[-6:]} ({lie})"
    )


@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-GET-3", "APP-STORE-2", "APP-STORE-3")
@pytest.mark.parametrize("lie", _LIES)
@pytest.mark.parametrize("size", sorted(_SIZES))
def test_eke_client_fails_a_small_get_with_a_lying_done(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, size: str, lie: str
) -> None:
    data = _SIZES[size]
    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _small_lie(data, lie))
    what = _what_client(size, lie, data)
    eke_lies._judge_failed_get(
        case, what, owed="integrity_failed", server=server, own=("APP-GET-3",)
    )
    _early_name(server.notes, what, case.describe())


@pytest.mark.side("initiator")
@pytest.mark.profile("pki")
@pytest.mark.req("APP-GET-3", "APP-STORE-2", "APP-STORE-3")
@pytest.mark.parametrize("lie", _LIES)
@pytest.mark.parametrize("size", sorted(_SIZES))
def test_pki_initiator_fails_a_small_get_with_a_lying_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, size: str, lie: str
) -> None:
    data = _SIZES[size]
    got = pki_lies._run_lie(target, tmp_path, transcripts, _small_lie(data, lie))
    what = _what_client(size, lie, data)
    pki_lies._judge_failed_get(got, what, "integrity_failed", ("APP-GET-3",))
    _early_name(got.responder.notes, what, got.describe())
