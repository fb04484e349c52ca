"""Clients of BOTH profiles accept any valid JSON encoding of a control payload (SPEC §8
VEC-2; §1 FRM-9, FRM-10).

The reference and the vectors write compact JSON with the members in the order of §3.1 /
§5.3, but that encoding is not canonical: a receiver MUST accept any valid JSON encoding
(member order, white space, escapes). A client that matches the payload's bytes against
the form it expects ("canonical JSON only: one encoding, no ambiguity"), that scans it
with a pattern (`"size":(\\d+)`), or that reads members by position passes every case
whose server writes the compact form, and fails against a server whose JSON library
indents, sorts or escapes.

Here the suite, as an otherwise honest server, writes its `RSFL` and `DONE` (and, over
sft-eke/1, its `EKE2` and `EKE4`) in another valid encoding of the same objects: members
in reverse order, spaces, tabs and line breaks between tokens, and `\\u` escapes in keys
and values (the same strings once decoded). The get must succeed and keep the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    AFTER_WAIT,
    MAX_FRAMES,
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _drain,
    _next,
    _run_put,
)
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")
_EKE_GROUP = pytest.mark.xdist_group("eke-client")

Peer = eke_lies.LyingServer | pki_lies.LyingResponder


def _escaped(text: str, every: int = 3) -> str:
    """`text` as a JSON string body with every `every`-th character written as a \\u
    escape (the same string once decoded)."""
    return "".join(f"\\u{ord(c):04x}" if i % every == 0 else c for i, c in enumerate(text))


def _loose(members: list[tuple[str, object]]) -> bytes:
    """A JSON object in a valid, non-compact encoding: members in reverse order, white
    space of every kind between tokens, keys and string values partly \\u-escaped."""
    parts = []
    for key, value in reversed(members):
        if isinstance(value, str):
            shown = f'"{_escaped(value)}"'
        else:
            shown = json.dumps(value)
        parts.append(f'\t"{_escaped(key, 2)}" :\r\n  {shown} ')
    return ("{\n " + " ,\n".join(parts) + "\n}\n").encode("ascii")


def _rsfl_loose(size: int, digest: str) -> bytes:
    return _loose([("name", eke_lies.NAME), ("size", size), ("sha256", digest)])


def _done_loose(size: int, digest: str) -> bytes:
    return _loose([("size", size), ("sha256", digest)])


def _loose_get(peer: Peer) -> None:
    peer.frame("RSFL", _rsfl_loose(eke_lies.SIZE, eke_lies.DIGEST))
    peer.data(eke_lies.CONTENT)
    peer.frame("DONE", _done_loose(eke_lies.SIZE, eke_lies.DIGEST))


def _judge(succeeded: bool, kept: bytes | None, what: str, note: str) -> None:
    if succeeded and kept == eke_lies.CONTENT:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    raise ConformanceFailure.evidence(
        f"VEC-2: an honest get whose {what} are written in another valid JSON encoding "
        f"(e.g. RSFL {_rsfl_loose(eke_lies.SIZE, eke_lies.DIGEST)[:120]!r}...)",
        "any valid JSON encoding is accepted: exit code 0, the file kept byte for byte",
        f"success: {succeeded}; kept: {shown}",
        note=note,
    )


@_EKE_GROUP
@pytest.mark.req("VEC-2")
def test_eke_client_accepts_any_json_encoding_of_rsfl_and_done(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    run, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _loose_get)
    kept = run.result.out.read_bytes() if run.result.kept_file else None
    _judge(run.result.succeeded, kept, "RSFL and DONE", run.describe())


@_PKI
@pytest.mark.req("VEC-2")
def test_pki_initiator_accepts_any_json_encoding_of_rsfl_and_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _loose_get)
    kept = got.run.out.read_bytes() if got.run.kept_file else None
    _judge(got.run.succeeded, kept, "RSFL and DONE", got.describe())


# ---------------------------------------------------------------- the EKE handshake too

_PASSWORD = fresh_password()
_TIMEOUT = 5.0
_NAME = "encodings.bin"
_CONTENT = b"any valid JSON encoding\n" * 100


def _loose_handshake(pw: bytes) -> Behaviour:
    """An honest server writing EKE2 and EKE4 in a loose encoding, then serving _CONTENT."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        raw.send_frame(b"EKE2", _loose([("b", eke2["b"]), ("c", eke2["c"])]))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            view.ended = f"the client's EKE3 did not verify: {exc}"
            return
        raw.send_frame(b"EKE4", _loose([("c", eke4["c"])]))
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {_NAME: _CONTENT}, _TIMEOUT)

    return behaviour


@_EKE_GROUP
@pytest.mark.req("VEC-2")
def test_eke_client_accepts_any_json_encoding_of_eke2_and_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    pw = eke_pw(client_user(eke_target), _PASSWORD)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _loose_handshake(pw),
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    kept = case.result.out.read_bytes() if case.result.kept_file else None
    if case.result.succeeded and kept == _CONTENT:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    raise ConformanceFailure.evidence(
        "VEC-2: an honest server whose EKE2 and EKE4 are written in another valid JSON "
        "encoding (members reversed, white space, \\u escapes), then an honest get",
        "any valid JSON encoding is accepted: the handshake completes, exit code 0, the "
        "file kept byte for byte",
        f"success: {case.result.succeeded}; kept: {shown}",
        note=case.describe(),
    )


# ---------------------------------------------------------------- a put's answers too

_PUT_CONTENT = b"a put answered in another JSON encoding\n" * 50


def _serve_put_loose(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
    """An honest responder whose RSFL {accept} and DONE are written loosely."""
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the client's first frame was {first and first.describe(60)}"
        return
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    offered: dict[str, Any] = seen.putf or {}
    channel.send_frame("RSFL", _loose([("accept", True), ("name", str(offered.get("name")))]))
    seen.answered = "RSFL {accept} (loose encoding)"
    received = hashlib.sha256()
    count = 0
    for _ in range(MAX_FRAMES):
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            return
        seen.sending.append(frame)
        if frame.type == b"DATA":
            received.update(frame.payload)
            count += len(frame.payload)
            continue
        if frame.type == b"DONE" and (frame.json() or {}) == {
            "size": count,
            "sha256": received.hexdigest(),
        }:
            channel.send_frame("DONE", _done_loose(count, received.hexdigest()))
            seen.answered += "; DONE (loose encoding)"
            _drain(channel, seen, seen.after, AFTER_WAIT)
        return


@pytest.mark.req("VEC-2")
def test_initiator_put_accepts_any_json_encoding_of_the_answers(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The responder accepts the put and acknowledges it with RSFL {accept} and DONE in
    another valid JSON encoding (`true` unchanged, keys and strings partly escaped)."""
    put = _run_put(target, tmp_path, transcripts, Answer(), _PUT_CONTENT, serve=_serve_put_loose)
    if put.run.succeeded:
        return
    sent = {f.type for f in put.seen.sending}
    if "DONE" not in put.seen.answered and sent & {b"DATA", b"DONE"}:
        # The client's own DATA or DONE were wrong: test_client_put.py judges those. (One
        # that sent neither refused the loosely written acceptance itself: judged below.)
        pytest.skip(f"the put was not acknowledged for reasons of its own: {put.describe()}")
    raise ConformanceFailure.evidence(
        "VEC-2: a put accepted and acknowledged with RSFL {accept} and DONE written in "
        "another valid JSON encoding (members reversed, white space, \\u escapes)",
        "any valid JSON encoding is accepted: the put reported stored (exit code 0)",
        f"the client {put.run.describe()}: {put.run.stderr.strip()[-200:]}",
        note=put.describe(),
    )
