"""sft-pki/1 INITIATOR at the end of a get: a responder that will not stop, and one that
leaves without saying goodbye (docs/SPEC.md ERR-3, APP-BYE-2, PKI-TLS-6).

The suite plays the responder:

- [ERR-3] the get goes wrong — more DATA than RSFL announced (the client's own fatal
  `integrity_failed`), or the responder's fatal `EROR internal` mid-transfer — and the
  responder then KEEPS SENDING DATA frames (16 KiB every 20 ms, for 8 s). The client
  closes at once: a lingering close reads and drops what still comes "until the peer's
  FIN or for at most 2 s before the socket is released". The suite measures from the
  trigger to the moment its writes fail (the client released the socket; its kernel
  answers with a reset) and allows 2 s + 1.5 s. A client whose drain has a timeout per
  read but no bound in total is held open as long as the responder sends;
- [APP-BYE-2] an honest get, complete (RSFL, DATA, DONE with the right size and
  SHA-256), after which the responder ends the connection without close_notify: a bare
  TCP FIN right after its DONE, or a TCP reset once the client's BYE_ arrives (or after
  2 s). "A connection closed without BYE_ between transfers is not an error for a
  completed transfer": the client reports success (exit 0) and keeps the file, byte for
  byte. A FIN without close_notify is a truncation only DURING a transfer (PKI-TLS-6); a
  client that takes it after DONE as "maybe cut" and removes the verified file fails.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
    error_payload,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_STREAM_FOR = 8.0  # how long the responder keeps sending after the trigger
_STREAM_EVERY = 0.02
_STREAM_FRAME = frame_bytes("DATA", bytes(range(256)) * 64)  # 16 KiB of DATA
_SLACK = 1.5  # scheduling slack over the 2 s a lingering close may take


def _trigger_overflow(r: pki_lies.LyingResponder) -> None:
    """RSFL for SIZE bytes, SIZE bytes, then one DATA frame more: integrity_failed."""
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT)
    r.frame("DATA", b"\x00" * 1000)


def _trigger_eror(r: pki_lies.LyingResponder) -> None:
    """RSFL, half of the DATA, then the responder's own fatal EROR internal."""
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT[: pki_lies.SIZE // 2])
    r.frame("EROR", error_payload("internal", "suite: mid-transfer"))


_TRIGGERS = {"data-beyond-size": _trigger_overflow, "eror-internal-mid-get": _trigger_eror}


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize("trigger", sorted(_TRIGGERS))
def test_pki_initiator_releases_the_connection_while_the_responder_keeps_sending(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, trigger: str
) -> None:
    seen: dict[str, object] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        _TRIGGERS[trigger](r)
        started = time.monotonic()
        sock = r.channel.sock
        frames: list[str] = []
        reading = True
        while time.monotonic() - started < _STREAM_FOR:
            try:
                sock.settimeout(1.0)
                sock.sendall(_STREAM_FRAME)
            except TimeoutError:
                # The client stopped reading without releasing the socket (a conforming
                # one may linger, FIN sent, for up to 2 s): no more writes (a TLS write
                # that timed out cannot be resumed); watch the TCP state instead.
                seen["stalled"] = round(time.monotonic() - started, 2)
                released = _released_while_stalled(sock, started)
                if released is not None:
                    seen["released"] = released
                    seen["how"] = "reset (seen in the TCP state)"
                break
            except OSError as exc:
                seen["released"] = round(time.monotonic() - started, 2)
                seen["how"] = type(exc).__name__
                break
            if reading:
                event = r.channel.recv_frame(deadline_after(_STREAM_EVERY))
                if isinstance(event, ReceivedFrame):
                    frames.append(event.describe(40))
                elif isinstance(event, Closed):
                    reading = False
                    seen.setdefault("closed_stream", round(time.monotonic() - started, 2))
            else:
                time.sleep(_STREAM_EVERY)
        seen["frames"] = frames
        r.ended = True

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    what = (
        f"ERR-3: {trigger}; the responder then keeps sending 16 KiB DATA frames every "
        f"{_STREAM_EVERY * 1000:g} ms for {_STREAM_FOR:g} s"
    )
    pki_lies._judge_failed_get(got, what, None, ("ERR-3",))
    released = seen.get("released")
    bound = PROMPT_CLOSE + _SLACK
    if not isinstance(released, float) or released > bound:
        if isinstance(released, float):
            actual = f"the suite's writes failed only {released:g} s after the trigger"
        elif "stalled" in seen:
            actual = (
                f"the client stopped reading {seen['stalled']} s after the trigger but kept "
                "the connection open"
            )
        else:
            actual = f"the connection was still open after {_STREAM_FOR:g} s of sending"
        failure = ConformanceFailure.evidence(
            what,
            f"the client releases the connection within {PROMPT_CLOSE:g} s (+{_SLACK:g} s "
            "slack): a lingering close drains for at most 2 s, not for as long as data comes",
            actual,
            note=f"the client's frames: {seen.get('frames') or 'none'}; its TLS stream ended "
            f"at {seen.get('closed_stream', '-')} s; {got.describe()}",
        )
        failure.violates = ("ERR-3",)
        raise failure


_TCP_CLOSE = 7  # tcp_info.tcpi_state TCP_CLOSE (linux/tcp_states.h): the peer's RST came


def _released_while_stalled(sock: socket.socket, started: float) -> float | None:
    """When our writes block, the seconds (since `started`) at which the client's reset
    closed the connection, watched in the kernel's TCP state (Linux TCP_INFO), within the
    streaming time; None if it stayed open. Elsewhere the case cannot tell: SKIP."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        pytest.skip("the client stopped reading and this system has no TCP_INFO to watch")
    while time.monotonic() - started < _STREAM_FOR:
        try:
            state = sock.getsockopt(socket.IPPROTO_TCP, option, 8)[0]
        except OSError:
            return round(time.monotonic() - started, 2)
        if state == _TCP_CLOSE:
            return round(time.monotonic() - started, 2)
        time.sleep(_STREAM_EVERY)
    return None


def _reset(sock: socket.socket) -> None:
    """Close `sock` with a TCP RST (SO_LINGER 0), whatever is queued."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(sock)


def _fin_after_done(r: pki_lies.LyingResponder) -> None:
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT)
    r.done()
    r.tcp_fin()


def _reset_at_bye(r: pki_lies.LyingResponder) -> None:
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT)
    r.done()
    end = deadline_after(2.0)
    for _ in range(4):  # the client's BYE_ (or anything, or nothing within 2 s)
        event = r.channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame) or event.type == b"BYE_":
            break
    r.ended = True
    _reset(r.channel.sock)


_ENDINGS = {"fin-after-done": _fin_after_done, "reset-at-bye": _reset_at_bye}


@pytest.mark.req("APP-BYE-2")
@pytest.mark.parametrize("ending", sorted(_ENDINGS))
def test_pki_initiator_keeps_a_completed_get_whatever_ends_the_connection(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _ENDINGS[ending])
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if run.succeeded and kept == pki_lies.CONTENT and not leftovers(run):
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    if kept is not None and kept != pki_lies.CONTENT:
        shown += " (not the content sent)"
    how = {
        "fin-after-done": "a bare TCP FIN right after its DONE",
        "reset-at-bye": "a TCP reset when the client's BYE_ came",
    }[ending]
    failure = ConformanceFailure.evidence(
        f"APP-BYE-2: a complete, verified get of {pki_lies.SIZE} bytes; the responder then "
        f"ended the connection with {how} (no close_notify, no BYE_ echo)",
        "the completed transfer stands: exit code 0, the file kept byte for byte",
        f"exit code {run.returncode}, {shown}, other files {leftovers(run)}",
        note=got.describe(),
    )
    failure.violates = ("APP-BYE-2",)
    raise failure
