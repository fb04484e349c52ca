"""An INITIATOR as a SENDER: the client's put judged on both profiles (SPEC §3.4, §3.7, FRM-14).

The suite plays the responder (sft-eke/1: conformance/eke_hostile.py's hostile server
with an honest handshake; sft-pki/1: conformance/pki_channel.py's HostileResponder with
a certificate for the responder alias minted in lab mode) and launches the initiator
under test with the target's `client_put_cmd` (`--client-put-cmd`; the embedded run: the
reference's `sft put` / `sft eke put`), placeholders {host} {port} {file} {name} and
{alias} (pki) or {user} {password_file} (eke). Each run sends one local file; the
responder records every frame the client sends, in which phase (before its answer to
`PUTF`, while the file is being sent, after its final answer), and answers as scripted:

* an honest acceptance (`RSFL {"accept": true}`, then `DONE`): exactly `size` bytes in
  `DATA` frames of 1..1 048 576 bytes, then `DONE {size, sha256}` with the right values,
  nothing before the acceptance (the responder waits a little before accepting, so a
  client that does not wait is seen), the run reported as success; an empty file (slow:
  1, 5 000, 1 048 576 and 1 048 577 bytes);
* `EROR integrity_failed` in place of the responder's `DONE` (a file one byte longer
  than a DATA frame, 1 048 577 bytes): the bytes are judged as above; the run must fail;
* a non-fatal refusal (`exists` on both profiles, `forbidden` on eke, `too_large` on
  pki; slow: the others and `unsupported`): no DATA and no DONE, the run must fail;
* an `RSFL` that is not an acceptance (a get's `RSFL {name, size}`, `"accept": false`,
  `"accept": 1`; slow: `"true"`, `null`, no member at all): no DATA, `EROR bad_frame`
  from the client, the run must fail [APP-PUT-9].

Whatever the answer, the local file must be left as it was, and whatever the client
sends after the put has ended may only be `BYE_ {}` [APP-BYE-1]. The put's success is
its exit code (an interactive client is typed `client_stdin`; `client_success` does not
apply to a put).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import client_template as get_client_template
from conformance._wire_fixtures import lab_pki, responder_alias
from conformance.channel import Channel
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    skip_slow_variant,
)
from conformance.pki_channel import HostileResponder, PkiChannel, server_context
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    MAX_DATA_PAYLOAD,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
)
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

# How long the responder waits after PUTF before it accepts: a client that sends DATA
# without waiting for the answer has sent some by then (loopback, no flow control yet).
EARLY_WAIT = 0.3
# The responder's bound on each read, and the client run's bound.
READ_TIMEOUT = 5.0
RUN_TIMEOUT = 30.0
# After the put has ended (refused, failed or done), how long the responder watches
# what the client still sends before it stops listening (a client closes at once).
AFTER_WAIT = 3.0
# Answer "silence": how long the responder says nothing after the client's DONE before it
# closes. A client that takes a few seconds of silence for success ("no news is good
# news") reports a put that was never acknowledged [APP-PUT-10]; one that waits for the
# DONE (its idle timeout is longer) sees the close and fails.
SILENCE = 5.0
# Frames a responder reads at most in one phase: a put of 1 048 577 bytes is 2 frames
# from an honest client; a client cutting its file into 1-byte frames is still bounded.
MAX_FRAMES = 4096


@dataclass
class PutSeen:
    """What the suite's responder saw of one put: every frame by phase, and its end."""

    putf: dict[str, Any] | None = None
    putf_raw: str = ""
    early: list[ReceivedFrame] = field(default_factory=list)  # before the answer to PUTF
    sending: list[ReceivedFrame] = field(default_factory=list)  # after an acceptance
    after: list[ReceivedFrame] = field(default_factory=list)  # after the final answer
    # After a refusal: a put offered again (another PUTF and its frames), which the
    # responder accepts and stores (_watch_after_refusal); not the refused put's frames.
    reoffers: list[ReceivedFrame] = field(default_factory=list)
    ended: str = ""
    answered: str = ""

    def describe(self) -> str:
        def frames(items: list[ReceivedFrame]) -> str:
            if not items:
                return "none"
            data = [f for f in items if f.type == b"DATA"]
            other = [f.describe(60) for f in items if f.type != b"DATA"]
            sizes = [len(f.payload) for f in data]
            shown = sizes if len(sizes) <= 8 else [*sizes[:4], "...", *sizes[-2:]]
            text = f"{len(data)} DATA (sizes {shown})" if data else ""
            return ", ".join([t for t in [text, *other] if t])

        return (
            f"PUTF {self.putf_raw or '(none)'}; before the answer: {frames(self.early)}; "
            f"answered {self.answered or '(nothing)'}; then: {frames(self.sending)}; "
            f"after the final answer: {frames(self.after)}; {self.ended or 'still open'}"
        )


def _accept(name: str) -> bytes:
    return control({"accept": True, "name": name})


@dataclass(frozen=True)
class Answer:
    """How the suite's responder answers the client's PUTF and, if it accepts, its DONE."""

    # The RSFL payload, built from the name the client offered (an acceptance by default).
    rsfl: Callable[[str], bytes] = _accept
    refuse: str | None = None  # a non-fatal EROR code name instead of an RSFL
    # After the client's DONE: "done" (honest) | "integrity_failed" | "close" (the
    # responder ends the connection without answering it) | "silence" (it says nothing
    # for SILENCE seconds, then closes without answering it).
    final: str = "done"


def _next(channel: Channel, seen: PutSeen, seconds: float) -> ReceivedFrame | None:
    event = channel.recv_frame(deadline_after(seconds))
    if isinstance(event, ReceivedFrame):
        return event
    if not isinstance(event, TimedOut):
        seen.ended = event.describe()
    return None


def _drain(channel: Channel, seen: PutSeen, into: list[ReceivedFrame], seconds: float) -> None:
    """Everything the client sends within `seconds` (bounded), into `into`."""
    end = deadline_after(seconds)
    for _ in range(MAX_FRAMES):
        event = channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame):
            if not isinstance(event, TimedOut):
                seen.ended = event.describe()
            return
        into.append(event)
        if event.type == b"BYE_":
            # As a responder does [APP-BYE-1]: answer and close, so the client ends now.
            channel.send_frame("BYE_", {})
            seen.ended = "the client said BYE_; the responder answered BYE_ and closed"
            return


def read_offer(channel: Channel, seen: PutSeen, name: str) -> str | None:
    """A played responder's first read: the client's PUTF, recorded in `seen`; returns the
    name it offers (`name` when it gives none), or None when the first frame is no PUTF."""
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or "no PUTF"
        return None
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    return str((seen.putf or {}).get("name", name))


def read_put_data(channel: Channel, seen: PutSeen) -> tuple[int, str] | None:
    """After an RSFL accept: the client's DATA up to its DONE (bounded, each frame in
    `seen.sending`); (bytes, their SHA-256 hex), or None when the client stops or sends
    another frame first."""
    received = hashlib.sha256()
    count = 0
    for _ in range(MAX_FRAMES):
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            return None
        seen.sending.append(frame)
        if frame.type == b"DATA":
            received.update(frame.payload)
            count += len(frame.payload)
        elif frame.type == b"DONE":
            return count, received.hexdigest()
        else:
            return None
    return None


def _store_reoffer(channel: Channel, seen: PutSeen, putf: ReceivedFrame) -> None:
    """An honest responder's side of a put offered again after a refusal: accept, read
    the file (bounded), answer its DONE; every frame goes to `seen.reoffers`."""
    offered = putf.json() or {}
    channel.send_frame("RSFL", _accept(str(offered.get("name", ""))))
    received = hashlib.sha256()
    count = 0
    for _ in range(MAX_FRAMES):
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            return
        seen.reoffers.append(frame)
        if frame.type == b"DATA":
            received.update(frame.payload)
            count += len(frame.payload)
            continue
        if frame.type == b"DONE":
            right = {"size": count, "sha256": received.hexdigest()}
            if _done_says(frame.json(), right) and offered.get("size") == count:
                channel.send_frame("DONE", right)
            else:
                channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
        return


def _watch_after_refusal(channel: Channel, seen: PutSeen) -> None:
    """What the client sends after a refusal of its PUTF (bounded by AFTER_WAIT per quiet
    spell and by MAX_FRAMES). A conforming client closes or says BYE_. A PUTF offered
    again (the refused file under another name: "file.1") is accepted and stored as an
    honest responder would, so that a client reporting that second put as the refused
    one's success shows it [APP-PUT-10]."""
    end = deadline_after(AFTER_WAIT)
    for _ in range(MAX_FRAMES):
        event = channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame):
            if not isinstance(event, TimedOut):
                seen.ended = event.describe()
            return
        if event.type == b"PUTF":
            seen.reoffers.append(event)
            _store_reoffer(channel, seen, event)
            end = deadline_after(AFTER_WAIT)
            continue
        seen.after.append(event)
        if event.type == b"BYE_":
            channel.send_frame("BYE_", {})
            seen.ended = "the client said BYE_; the responder answered BYE_ and closed"
            return


def _serve_put(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
    """The responder's side of one put, as `answer` scripts it."""
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the client's first frame was {first and first.describe(60)}"
        return
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    offered = seen.putf or {}
    if answer.refuse is not None:
        channel.send_frame("EROR", error_payload(answer.refuse, "suite: refused"))
        seen.answered = f"EROR {answer.refuse}"
        _watch_after_refusal(channel, seen)
        return
    # A client must wait for the answer [APP-PUT-1]: whatever comes meanwhile is early.
    _drain(channel, seen, seen.early, EARLY_WAIT)
    if seen.ended:
        return
    offered_name = str(offered.get("name", name))
    rsfl = answer.rsfl(offered_name)
    channel.send_frame("RSFL", rsfl)
    seen.answered = f"RSFL {rsfl.decode('utf-8', 'replace')}"
    if rsfl != _accept(offered_name):  # not an acceptance [APP-PUT-9]
        _drain(channel, seen, seen.after, AFTER_WAIT)
        return
    received = hashlib.sha256()
    count = 0
    done: dict[str, Any] | None = None
    early_done = [f for f in seen.early if f.type == b"DONE"]
    for early in seen.early:
        if early.type == b"DATA":
            received.update(early.payload)
            count += len(early.payload)
    if early_done:
        done = early_done[0].json() or {}
    for _ in range(MAX_FRAMES):
        if done is not None:
            break
        frame = _next(channel, seen, READ_TIMEOUT)
        if frame is None:
            return
        seen.sending.append(frame)
        if frame.type == b"DATA":
            received.update(frame.payload)
            count += len(frame.payload)
        elif frame.type == b"DONE":
            done = frame.json() or {}
        else:
            break  # the client ended the put its own way: judged from `sending`
    if done is None:
        _drain(channel, seen, seen.after, AFTER_WAIT)
        return
    right = {"size": count, "sha256": received.hexdigest()}
    if answer.final == "close":
        seen.answered += "; no answer to DONE"
        seen.ended = "the responder closed in place of its DONE"
        return
    if answer.final == "silence":
        seen.answered += f"; no answer to DONE for {SILENCE:g} s"
        _drain(channel, seen, seen.after, SILENCE)
        seen.ended = seen.ended or (
            f"the responder said nothing for {SILENCE:g} s after the client's DONE, then closed"
        )
        return
    if answer.final == "done" and _done_says(done, right) and offered.get("size") == count:
        channel.send_frame("DONE", right)
        seen.answered += "; DONE"
    elif answer.final in _OTHER_RECEIPTS and _done_says(done, right):
        other = _OTHER_RECEIPTS[answer.final](count, received.hexdigest())
        channel.send_frame("DONE", other)
        seen.answered += f"; DONE {json.dumps(other, separators=(',', ':'))} (not the client's)"
    else:
        channel.send_frame("EROR", error_payload("integrity_failed", "suite: integrity"))
        seen.answered += "; EROR integrity_failed"
        seen.ended = "the responder closed after its fatal EROR"
        return  # fatal: the responder closes at once [ERR-3]
    _drain(channel, seen, seen.after, AFTER_WAIT)


# A responder's DONE that is not the client's own (APP-PUT-11): it says the responder
# stored other bytes — a digest one bit off, one byte fewer (its digest then unknown to it).
_OTHER_RECEIPTS: dict[str, Callable[[int, str], dict[str, object]]] = {
    "other-digest": lambda size, digest: {
        "size": size,
        "sha256": f"{int(digest[:2], 16) ^ 1:02x}{digest[2:]}",
    },
    "other-size": lambda size, digest: {
        "size": max(size - 1, 0) if size else 1,
        "sha256": hashlib.sha256(b"\x00" * (max(size - 1, 0) if size else 1)).hexdigest(),
    },
}


# --- the client under test -------------------------------------------------------------


def _put_template(target: Target, workdir: Path) -> str:
    """`client_put_cmd`, or the reference's own put for the embedded run."""
    if target.client_put_cmd:
        return target.client_put_cmd
    if not target.embedded:
        pytest.skip("testing an initiator's put needs client_put_cmd (--client-put-cmd)")
    python = shlex.quote(sys.executable)
    if target.profile == "eke":
        return (
            f"{python} -m reference eke put {{host}}:{{port}} {{file}} --as {{name}} "
            "--user {user} --password-file {password_file} --quiet "
            "--connect-timeout 5 --handshake-timeout 5"
        )
    get_client_template(target, workdir)  # writes the embedded client's identity directory
    home = target.share.parent if target.share is not None else workdir
    iddir = shlex.quote(str(home / "client-id"))
    return (
        f"{python} -m reference put {{alias}}@{{host}}:{{port}} {{file}} --as {{name}} "
        f"--id {iddir} --quiet"
    )


@dataclass
class PutRun:
    run: ClientRun
    seen: PutSeen
    content: bytes
    source: Path
    name: str

    def describe(self) -> str:
        return f"client {self.run.describe()}; responder saw: {self.seen.describe()}"


_RESPONDER_CERTS: dict[tuple[str, str], Any] = {}


Serve = Callable[[Channel, PutSeen, Answer, str], None]


def _run_put(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    answer: Answer,
    content: bytes,
    serve: Serve | None = None,
    name: str | None = None,
) -> PutRun:
    """The client's put of `content` (as `name`, else a fresh one) to the suite's
    responder, which answers it with `serve` (by default `_serve_put`, looked up when
    called)."""
    serve_put: Serve = serve if serve is not None else _serve_put
    template = _put_template(target, workdir)
    srcdir = workdir / f"src-{secrets.token_hex(3)}"
    srcdir.mkdir()
    source = srcdir / "outgoing.bin"
    source.write_bytes(content)
    name = name or f"put-{secrets.token_hex(4)}.bin"
    seen = PutSeen()
    values = {"file": str(source), "name": name}
    own = target.client_put_cmd is not None

    def launch_and_run(host: str, port: int, extra: dict[str, str]) -> ClientRun:
        launch = client_launch(
            template,
            {"host": host, "port": str(port), **values, **extra},
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        return run_client(launch, timeout=RUN_TIMEOUT)

    if target.profile == "eke":
        user, password = client_user(target), fresh_password()
        secret = workdir / f"secret-{secrets.token_hex(3)}"
        secret.mkdir(mode=0o700)
        password_file = secret / "client.password"
        password_file.touch(mode=0o600)
        password_file.write_text(password, encoding="utf-8")
        pw = eke_pw(user, password)

        def behaviour(raw: RawConnection, view: ServerView) -> None:
            channel = establish(raw, view, pw, READ_TIMEOUT)
            if channel is None:
                seen.ended = f"handshake did not complete: {view.frames} {view.ended}"
                return
            serve_put(channel, seen, answer, name)

        with HostileEkeServer(
            behaviour, timeout=READ_TIMEOUT, accept_timeout=RUN_TIMEOUT
        ) as server:
            run = launch_and_run(
                server.host, server.port, {"user": user, "password_file": str(password_file)}
            )
        if server.view.transcript is not None:
            transcripts.add(server.view.transcript)
        server.check()  # a record that is not one frame: ConformanceFailure (EKE-REC-1)
    else:
        assert target.root is not None
        key = (str(target.root), responder_alias(target))
        if key not in _RESPONDER_CERTS:
            _RESPONDER_CERTS[key] = lab_pki(target).employee(responder_alias(target))
        cert_path, key_path = _RESPONDER_CERTS[key].write(workdir, "responder")
        ctx = server_context(cert_path, key_path, target.root)

        def script(channel: PkiChannel) -> None:
            serve_put(channel, seen, answer, name)

        with HostileResponder(ctx, script, timeout=READ_TIMEOUT) as hostile:
            run = launch_and_run(hostile.host, hostile.port, {"alias": responder_alias(target)})
        for t in hostile.transcripts:
            transcripts.add(t)
        if hostile.script_errors:
            raise RuntimeError(f"harness fault in the suite's responder: {hostile.script_errors}")
    if seen.putf is None and not seen.putf_raw:
        # The client never offered its file: nothing was exercised (a harness ERROR).
        raise RuntimeError(
            "the initiator under test never sent its PUTF (is client_put_cmd right?): "
            f"client {run.describe()}; {run.stderr.strip()[-300:]}; {seen.describe()}"
        )
    return PutRun(run, seen, content, source, name)


# --- judging ---------------------------------------------------------------------------

Problems = list[tuple[str, str]]


def _data_bytes(frames: list[ReceivedFrame]) -> list[ReceivedFrame]:
    return [f for f in frames if f.type in (b"DATA", b"DONE")]


def _done_says(done: dict[str, Any] | None, right: dict[str, Any]) -> bool:
    """The client's DONE carries the values `right` holds; members the schema does not
    define are ignored (FRM-10: "A sender MAY add such members")."""
    return done is not None and {k: done.get(k) for k in right} == right


def _judge_common(put: PutRun, problems: Problems) -> None:
    """What every put must show: the offer, nothing before the answer, the file intact."""
    seen = put.seen
    offered = seen.putf or {}
    if offered.get("size") != len(put.content):
        problems.append(
            (
                "APP-PUT-4",
                f"PUTF announced size {offered.get('size')!r}, the file has "
                f"{len(put.content)} bytes",
            )
        )
    digest = hashlib.sha256(put.content).hexdigest()
    if "sha256" in offered and not _is_sha256(offered["sha256"]):
        # The optional member present with the wrong form (null included: FRM-9, "it is
        # not absent") is a malformed PUTF, whatever the file's digest [FRM-12].
        problems.append(
            (
                "FRM-14",
                f"PUTF.sha256 is {offered['sha256']!r}: an optional member the initiator "
                "sends MUST be 64 lower-case hex digits (FRM-12; null is not absent, FRM-9)",
            )
        )
    elif "sha256" in offered and offered["sha256"] != digest:
        problems.append(
            ("APP-PUT-4", f"PUTF.sha256 {offered['sha256']!r} is not the file's {digest}")
        )
    early = _data_bytes(seen.early)
    if early:
        problems.append(
            (
                "APP-PUT-1",
                f"sent {[f.describe(40) for f in early[:3]]} before the responder's "
                f"answer to PUTF (waited {EARLY_WAIT} s before accepting)",
            )
        )
    if not put.source.is_file() or put.source.read_bytes() != put.content:
        state = "gone" if not put.source.exists() else f"{put.source.stat().st_size} bytes now"
        problems.append(("APP-PUT-10", f"the local file was changed by the put ({state})"))
    for frame in seen.after:
        # `{}`, or an object with members the schema does not define (FRM-10)
        if frame.type == b"BYE_" and not isinstance(frame.json(), dict):
            problems.append(
                ("APP-BYE-1", f"BYE_ with payload {frame.payload[:60]!r}, not a JSON object")
            )


def _is_sha256(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _judge_sent_file(put: PutRun, problems: Problems) -> None:
    """An accepted put: exactly the file in DATA frames of 1..1 MiB, then the right DONE."""
    frames = put.seen.early + put.seen.sending
    data = [f for f in frames if f.type == b"DATA"]
    bad_sizes = [len(f.payload) for f in data if not 1 <= len(f.payload) <= MAX_DATA_PAYLOAD]
    if bad_sizes:
        problems.append(
            ("FRM-14", f"DATA frames of {bad_sizes[:5]} bytes (FRM-13: 1..{MAX_DATA_PAYLOAD})")
        )
    body = b"".join(f.payload for f in data)
    dones = [f for f in frames if f.type == b"DONE"]
    other = [f.describe(40) for f in frames if f.type not in (b"DATA", b"DONE")]
    if body != put.content:
        where = next(
            (i for i, (a, b) in enumerate(zip(body, put.content, strict=False)) if a != b),
            min(len(body), len(put.content)),
        )
        problems.append(
            (
                "APP-PUT-4",
                f"sent {len(body)} bytes in {len(data)} DATA frames for a file of "
                f"{len(put.content)} bytes (first difference at offset {where})",
            )
        )
    if not dones:
        problems.append(
            ("APP-PUT-4", f"no DONE after the DATA frames (then: {other or 'nothing'})")
        )
        return
    done = dones[0].json()
    right = {"size": len(put.content), "sha256": hashlib.sha256(put.content).hexdigest()}
    if done is None or {k: done.get(k) for k in right} != right:
        problems.append(
            (
                "APP-PUT-4",
                f"DONE {dones[0].payload[:160].decode('utf-8', 'replace')}; the file's "
                f"values are {right}",
            )
        )
    late = _data_bytes(put.seen.after)
    if late:
        problems.append(
            ("APP-PUT-4", f"sent {[f.describe(40) for f in late[:3]]} after the put ended")
        )


def _fail(put: PutRun, problems: Problems, what: str) -> None:
    if problems:
        raise ConformanceFailure(
            f"{what}\n"
            + "\n".join(f"[{rid}] {text}" for rid, text in problems)
            + f"\nNote: {put.describe()}",
            violates=sorted({rid for rid, _ in problems}),
        )


def _content(size: int) -> bytes:
    """Bytes that differ at every offset modulo a prime: a shifted, repeated or dropped
    piece (an off-by-one at a frame boundary) changes them."""
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


# --- cases -------------------------------------------------------------------------------


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "FRM-14", "APP-PUT-10", "APP-BYE-1")
@pytest.mark.parametrize(
    "size",
    [
        0,
        pytest.param(1, marks=pytest.mark.slow),
        pytest.param(5000, marks=pytest.mark.slow),
        pytest.param(MAX_DATA_PAYLOAD, marks=pytest.mark.slow),
        pytest.param(MAX_DATA_PAYLOAD + 1, marks=pytest.mark.slow),
    ],
)
def test_initiator_put_sends_exactly_its_file(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
    size: int,
) -> None:
    """An honest responder accepts and stores: the client sends exactly its file in DATA
    frames of 1..1 MiB after the acceptance, the right DONE, and reports success."""
    skip_slow_variant(request)
    put = _run_put(target, tmp_path, transcripts, Answer(), _content(size))
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if not problems and not put.run.succeeded:
        problems.append(
            (
                "APP-PUT-4",
                f"the responder stored the put and answered DONE, yet the client "
                f"reported failure ({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
            )
        )
    _fail(put, problems, f"a put of {size} bytes to an honest responder")


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "FRM-14", "APP-PUT-10", "APP-BYE-1")
def test_initiator_put_reports_integrity_failed_after_done_as_failure(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The responder accepts, then answers the client's DONE with `EROR integrity_failed`
    (fatal): the put failed and the client must say so, never report success. The file is
    one byte longer than a DATA frame (1 048 577 bytes), so the bytes, the frame sizes and
    DONE's values across a frame boundary are judged too."""
    put = _run_put(
        target,
        tmp_path,
        transcripts,
        Answer(final="integrity_failed"),
        _content(MAX_DATA_PAYLOAD + 1),
    )
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder answered DONE with EROR integrity_failed, yet the "
                f"client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put answered EROR integrity_failed in place of DONE")


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "FRM-14", "APP-PUT-10")
def test_initiator_put_reports_a_close_in_place_of_done_as_failure(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The responder accepts and reads the whole file and the client's DONE, then ends the
    connection without answering it (sft-pki/1: close_notify and close; sft-eke/1: a
    close): the put is not known to be stored, so the client must report it failed, never
    take the end of the connection for success ("the upload went through"). The file is
    exactly one full DATA frame long (1 MiB): a chunk loop with an off-by-one at a whole
    multiple of the frame size (the last full frame dropped, or an empty one added) shows
    in the bytes and frames judged [APP-PUT-4], [FRM-14]."""
    put = _run_put(target, tmp_path, transcripts, Answer(final="close"), _content(MAX_DATA_PAYLOAD))
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                "the responder closed the connection in place of its DONE, yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put whose DONE the responder answered by closing the connection")


@pytest.mark.req("APP-PUT-11")
@pytest.mark.parametrize("receipt", sorted(_OTHER_RECEIPTS))
def test_initiator_put_reports_a_receipt_for_other_bytes_as_failure(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, receipt: str
) -> None:
    """The responder accepts, reads the whole file and the client's right DONE, and
    answers with a DONE that is not the client's: its sha256 one bit off, or one byte
    fewer. That receipt says the responder stored other bytes than were sent: the client
    should report the put failed, not take any DONE for success (a SHOULD: NON-STRICT
    unless the run is strict)."""
    put = _run_put(target, tmp_path, transcripts, Answer(final=receipt), _content(5000))
    problems: Problems = []  # the put's MUSTs are the other put cases' to judge
    if "(not the client's)" not in put.seen.answered:
        return  # the client's own DONE was not right: judged by the other put cases
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-11",
                f"the responder's DONE said other bytes were stored ({receipt}), yet the "
                f"client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, f"a put answered with a DONE that is not the client's ({receipt})")


# The refusals every default run tries, by profile (each run costs a client start): `exists`
# on both (an "already there, fine" client is the likeliest), one other code on each.
DEFAULT_REFUSALS = {"eke": ("exists", "forbidden"), "pki": ("exists", "too_large")}


def _slow_run(request: pytest.FixtureRequest) -> bool:
    return "slow" in (request.config.getoption("markexpr") or "")


@pytest.mark.req("APP-PUT-1", "APP-PUT-10", "APP-BYE-1")
@pytest.mark.parametrize(
    "code",
    [
        "exists",
        "too_large",
        "forbidden",
        pytest.param("unsupported", marks=pytest.mark.slow),
    ],
)
def test_initiator_put_refused_sends_nothing_and_fails(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
    code: str,
) -> None:
    """A non-fatal refusal of PUTF: no DATA, no DONE, the run fails (non-zero exit)."""
    skip_slow_variant(request)
    # Each profile's default refusals run by default; the others when slow ones are asked
    # for with the default ones (-m "slow or not slow").
    if code not in DEFAULT_REFUSALS.get(target.profile, ()) and not _slow_run(request):
        pytest.skip('slow variant for this profile: run with -m "slow or not slow"')
    put = _run_put(target, tmp_path, transcripts, Answer(refuse=code), _content(3000))
    problems: Problems = []
    _judge_common(put, problems)
    sent = _data_bytes(put.seen.after)
    if sent:
        problems.append(
            (
                "APP-PUT-10",
                f"after EROR {code} the client sent {len(sent)} DATA/DONE frames "
                f"({[f.describe(40) for f in sent[:3]]})",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        reoffered = [f.describe(80) for f in put.seen.reoffers if f.type == b"PUTF"]
        again = f" (it then offered the file again: {reoffered})" if reoffered else ""
        problems.append(
            (
                "APP-PUT-10",
                f"the put was refused with EROR {code}, yet the client "
                f"{put.run.success_evidence()}{again}",
            )
        )
    _fail(put, problems, f"a put refused with EROR {code} (non-fatal)")


@pytest.mark.req("APP-PUT-1", "APP-PUT-4", "FRM-14", "APP-PUT-10")
def test_initiator_put_reports_silence_in_place_of_done_as_failure(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The responder accepts and reads the whole file and the client's DONE, then says
    nothing for SILENCE seconds and closes without answering: the put was never
    acknowledged, so the client must report it failed. A client that waits a short while
    for the DONE and then takes the silence for success ("no news is good news") reports
    a put the responder may never have stored [APP-PUT-10]."""
    put = _run_put(target, tmp_path, transcripts, Answer(final="silence"), _content(3000))
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if put.run.succeeded:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder never answered the client's DONE (silent {SILENCE:g} s, then "
                f"closed), yet the client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put whose DONE the responder left unanswered, then closed")


# RSFL payloads that are not an acceptance of a put [APP-PUT-9]; {name} is the offered name.
NOT_ACCEPTANCES: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "get-shaped": lambda name, size: {"name": name, "size": size},
    "accept-false": lambda name, size: {"accept": False, "name": name},
    "accept-1": lambda name, size: {"accept": 1, "name": name},
    "accept-string": lambda name, size: {"accept": "true", "name": name},
    "accept-null": lambda name, size: {"accept": None, "name": name},
    "name-only": lambda name, size: {"name": name},
    # JSON keys are case-sensitive: `accept` is missing; Go's encoding/json, decoding
    # into a struct, matches `Accept` to the field case-insensitively
    "accept-key-case": lambda name, size: {"Accept": True, "name": name},
}
_SLOW_SHAPES = frozenset({"accept-string", "accept-null", "name-only"})


@pytest.mark.req("APP-PUT-9")
@pytest.mark.parametrize(
    "shape",
    [pytest.param(s, marks=pytest.mark.slow) if s in _SLOW_SHAPES else s for s in NOT_ACCEPTANCES],
)
def test_initiator_put_takes_only_accept_true_as_acceptance(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
    shape: str,
) -> None:
    """An RSFL whose `accept` is missing or not `true` answers the PUTF: it is malformed
    for that state, so no DATA, `EROR bad_frame` (fatal) from the client, and a failed run."""
    skip_slow_variant(request)
    content = _content(3000)
    build = NOT_ACCEPTANCES[shape]

    def not_an_acceptance(offered_name: str) -> bytes:  # built from the PUTF's own name
        return control(build(offered_name, len(content)))

    put = _run_put(target, tmp_path, transcripts, Answer(rsfl=not_an_acceptance), content)
    problems: Problems = []
    _judge_common(put, problems)
    sent = _data_bytes(put.seen.after)
    if sent:
        problems.append(
            (
                "APP-PUT-9",
                f"took {put.seen.answered} as an acceptance: sent "
                f"{len(sent)} DATA/DONE frames ({[f.describe(40) for f in sent[:3]]})",
            )
        )
    errors = [f for f in put.seen.after if f.type == b"EROR"]
    if not sent and not any(f.error_code == 1 for f in errors):
        problems.append(
            (
                "APP-PUT-9",
                f"no EROR bad_frame (code 1) for {put.seen.answered}; the client "
                f"sent {[f.describe(60) for f in errors] or 'no EROR'}",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-9",
                f"the put was never accepted, yet the client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, f"a put answered with a non-acceptance RSFL ({shape})")


# --------------------------------------------------------------------------------------
# An INITIATOR's put answered `EROR exists` in place of the responder's `DONE` (SPEC
# §3.4 APP-PUT-8, APP-PUT-10).
#
# APP-PUT-8 lets a responder accept a put and, when another put of that name was stored
# first, answer `exists` instead of its `DONE`. `exists` is a non-fatal code, and a client
# may read it as "the file is there": success. APP-PUT-10 says otherwise: only the
# responder's `DONE` makes a put succeed; an `EROR` in its place is a failure. The
# responder here accepts, reads the whole file and the client's `DONE`, answers `EROR
# exists` and keeps the connection (non-fatal, ERR-3): the client must report failure.
#
# The machinery (the suite's responder on both profiles, the verdict on what the client
# sent) is the one above; only the answer to DONE is this section's.
# --------------------------------------------------------------------------------------

_UNANSWERED = "; no answer to DONE"


def _serve_put_then_exists(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
    """The honest acceptance of `_serve_put`; its DONE replaced by a
    non-fatal `EROR exists`, after which it watches what the client still sends."""
    _serve_put(channel, seen, Answer(final="close"), name)
    if not seen.answered.endswith(_UNANSWERED):
        return  # the put never reached its DONE: judged as the other puts are
    channel.send_frame("EROR", error_payload("exists", "suite: stored by another put first"))
    seen.answered = seen.answered[: -len(_UNANSWERED)] + "; EROR exists in place of DONE"
    seen.ended = ""
    _drain(channel, seen, seen.after, AFTER_WAIT)


@pytest.mark.req("APP-PUT-10", "APP-PUT-4", "APP-BYE-1")
def test_initiator_put_reports_exists_in_place_of_done_as_failure(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
) -> None:
    """Accepted, sent in full with its DONE, then answered `EROR exists` (non-fatal)
    instead of `DONE`: the client must report the put failed, never success."""
    put = _run_put(
        target, tmp_path, transcripts, Answer(), _content(5000), serve=_serve_put_then_exists
    )
    problems: Problems = []
    _judge_common(put, problems)
    _judge_sent_file(put, problems)
    if "EROR exists in place of DONE" in put.seen.answered and (
        put.run.succeeded or put.run.timed_out
    ):
        problems.append(
            (
                "APP-PUT-10",
                "the responder answered the client's DONE with EROR exists (another put of "
                f"the name was stored first, APP-PUT-8), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put answered EROR exists in place of DONE")
