"""sft-pki/1 INITIATOR after a completed get: a responder that ends CLEANLY without echoing
`BYE_` (docs/SPEC.md APP-BYE-1, APP-BYE-2, PKI-TLS-6).

"`BYE_` ends the connection: the responder MAY answer `BYE_` and MUST then close"
(APP-BYE-1), and "a connection closed without `BYE_` between transfers is not an error for
a completed transfer" (APP-BYE-2). The echo is the responder's choice; a TLS
`close_notify` is the clean end of an sft-pki/1 stream (PKI-TLS-6). An initiator written
against a responder that always echoes may wait for the echo and report the run failed
without it ("the goodbye was not acknowledged"), although the get was complete and
verified. test_client_pki_get_endings.py ends a get with a bare TCP FIN and with a reset;
here the responder ends it the clean way, in both orders:

- `close-notify-after-done`: RSFL, DATA, DONE (right size and SHA-256), then at once the
  TLS close_notify and the close, before the initiator's `BYE_` could come;
- `close-notify-at-bye`: the same get, then the responder reads the initiator's `BYE_`
  (or anything, or nothing within 2 s) and answers it with close_notify and the close,
  no `BYE_` echo.

Either way the completed get stands: exit code 0, the file kept byte for byte under its
final name, nothing else left in the output directory. The same two endings follow a put
the responder stored and answered `DONE` (with `client_put_cmd`; the embedded reference
uses its own `sft put`): "an initiator MUST report a put as succeeded ... once the
responder has answered its DONE with DONE" (APP-PUT-10), whether or not `BYE_` is echoed.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import leftovers
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, Event, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_BYE_WAIT = 2.0  # for the initiator's BYE_ after the DONE
_MAX_FRAMES = 4  # frames read while waiting for it (a BYE_, or anything the client sends)


def _close_notify_after_done(r: pki_lies.LyingResponder) -> None:
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT)
    r.done()
    r.close_notify()


def _close_notify_at_bye(r: pki_lies.LyingResponder) -> None:
    r.rsfl(sha256=pki_lies.DIGEST)
    r.data(pki_lies.CONTENT)
    r.done()
    end = deadline_after(_BYE_WAIT)
    for _ in range(_MAX_FRAMES):
        event = r.channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame) or event.type == b"BYE_":
            break
    r.close_notify()  # no BYE_ echo: the responder's MAY [APP-BYE-1]


_ENDINGS = {
    "close-notify-after-done": (
        _close_notify_after_done,
        "a TLS close_notify and the close right after its DONE, before any BYE_",
    ),
    "close-notify-at-bye": (
        _close_notify_at_bye,
        "a TLS close_notify and the close in answer to the client's BYE_, without echoing it",
    ),
}


@pytest.mark.req("APP-BYE-1", "APP-BYE-2")
@pytest.mark.parametrize("ending", sorted(_ENDINGS))
def test_pki_initiator_keeps_a_completed_get_ended_cleanly_without_echo(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    lie, how = _ENDINGS[ending]
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    others = leftovers(run)
    if run.succeeded and kept == pki_lies.CONTENT and not others:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    if kept is not None and kept != pki_lies.CONTENT:
        shown += " (not the content sent)"
    failure = ConformanceFailure.evidence(
        f"a complete, verified get of {pki_lies.SIZE} bytes; the responder then ended the "
        f"connection with {how} (the echo is its choice, APP-BYE-1; close_notify is the "
        "clean end, PKI-TLS-6)",
        "the completed transfer stands: exit code 0, the file kept byte for byte, nothing "
        "else in the output directory",
        f"exit code {run.returncode}, {shown}, other files {others}",
        note=got.describe(),
    )
    failure.violates = ("APP-BYE-1", "APP-BYE-2")
    raise failure


class _UnechoedEnd:
    """The suite's honest put responder (test_client_put.py), except its ending: after its
    DONE (`after_done`) or in answer to the client's BYE_, close_notify and the close
    instead of a BYE_ echo."""

    def __init__(self, channel: Channel, *, after_done: bool) -> None:
        self._channel = channel
        self._after_done = after_done
        self._ended = False

    def send_frame(self, frame_type: str, payload: Any) -> None:
        if self._ended:
            return
        if frame_type == "BYE_":
            self._end()
            return
        self._channel.send_frame(frame_type, payload)
        if frame_type == "DONE" and self._after_done:
            self._end()

    def _end(self) -> None:
        self._ended = True
        self._channel.close()  # close_notify, then the close: no BYE_ echo

    def recv_frame(self, deadline: float | None = None) -> Event:
        if self._ended:
            return Closed("local", "the suite's responder ended the connection (close_notify)")
        return self._channel.recv_frame(deadline)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


@pytest.mark.req("APP-BYE-1", "APP-PUT-10")
@pytest.mark.parametrize("ending", sorted(_ENDINGS))
def test_pki_initiator_reports_a_stored_put_ended_cleanly_without_echo(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    after_done = ending == "close-notify-after-done"

    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        proxy: Any = _UnechoedEnd(channel, after_done=after_done)
        puts._serve_put(proxy, seen, answer, name)

    content = puts._content(5000)
    put = puts._run_put(target, tmp_path, transcripts, puts.Answer(), content, serve=serve)
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    if not problems and not put.seen.answered.endswith("; DONE"):
        raise RuntimeError(f"the suite's responder did not store the put: {put.describe()}")
    if not problems and not put.run.succeeded:
        _, how = _ENDINGS[ending]
        problems.append(
            (
                "APP-PUT-10",
                f"the responder stored the put and answered DONE, then ended with {how} "
                "(the echo is its choice, APP-BYE-1); the client reported failure "
                f"({put.run.describe()}: {put.run.stderr.strip()[-200:]})",
            )
        )
    puts._fail(put, problems, "a put of 5000 bytes stored and answered DONE, then no BYE_ echo")
