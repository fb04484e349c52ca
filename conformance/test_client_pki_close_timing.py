"""sft-pki/1 INITIATOR: after its own fatal EROR, the TCP close comes at once (docs/SPEC.md
§2 ERR-3, §4.1 PKI-TLS-7).

test_client_fatal_errors.py judges the initiator's close after an EROR it RECEIVES, and
counts its close_notify as the close. Here the initiator SENDS the fatal EROR (a get whose
DONE digest is wrong: `integrity_failed`, APP-GET-3), then its close_notify; the suite
never sends a close_notify back and watches the TCP connection under the TLS stream. ERR-3:
the close follows the EROR at once, without waiting for the peer to close first or for a
timeout; PKI-TLS-7: "after a fatal EROR it MUST close at once: not only when an idle
timeout expires". An initiator whose close is a bidirectional TLS shutdown bounded by its
idle timeout (it waits for the peer's close_notify before closing the socket) keeps the
connection open for that timeout. Waiting a moment for the peer's close_notify is no fault
(the reference waits up to 1 s, so that the peer reads the EROR before a reset): the case
allows PROMPT_CLOSE (2 s) from the EROR.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import os
import select
import socket
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.eke_hostile import skip_slow_variant
from conformance.pki_channel import PkiChannel, ended_cleanly
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, TimedOut, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _tcp_closed_by(channel: PkiChannel, deadline: float) -> float | None:
    """When the TCP connection under the TLS stream ended (FIN or reset), by monotonic
    time, or None if it was still open at `deadline`. Reads below TLS (a duplicate of the
    descriptor), so the suite sends no close_notify of its own meanwhile."""
    raw = socket.socket(fileno=os.dup(channel.sock.fileno()))
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([raw], [], [], left)
            if not ready:
                break
            try:
                if not raw.recv(4096, socket.MSG_DONTWAIT):
                    return time.monotonic()
            except BlockingIOError:
                continue
            except OSError:
                return time.monotonic()  # a reset: closed too
        return None
    finally:
        raw.close()  # the duplicate only


def _provoke(r: pki_lies.LyingResponder, kind: str) -> None:
    """What makes the initiator send its fatal EROR: a wrong digest at DONE
    (integrity_failed, APP-GET-3) or a malformed RSFL (bad_frame, FRM-9)."""
    if kind == "integrity_failed":
        r.rsfl()
        r.data(pki_lies.CONTENT)
        r.done(sha256=pki_lies.DIGEST_LAST_WRONG)
    else:
        r.frame("RSFL", b'{"name":"offered.bin","size":')


@pytest.mark.req("ERR-3", "PKI-TLS-7")
@pytest.mark.parametrize(
    "kind", ["integrity_failed", pytest.param("bad_frame", marks=pytest.mark.slow)]
)
def test_initiator_closes_at_once_after_its_own_fatal_error(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    box: dict[str, str] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        _provoke(r, kind)
        reaction = r.await_reaction()
        sent_at = time.monotonic()
        r.ended = True  # the suite neither answers nor closes: it watches
        if not (isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR"):
            box["skip"] = f"no EROR from the initiator: {reaction.describe()}"
            return
        deadline = sent_at + PROMPT_CLOSE
        end = r.channel.recv_frame(deadline_after(max(0.0, deadline - time.monotonic())))
        if isinstance(end, TimedOut):
            box["ending"] = f"EROR {reaction.error_name}, then neither close_notify nor close"
            box["open"] = "yes"
            return
        if not ended_cleanly(end):
            # A bare close (or a frame after the EROR): PKI-TLS-7 and ERR-3 are judged by
            # test_pki_initiator_transfer.py; the timing of a close that came is no fault.
            box["skip"] = f"after its EROR: {end.describe()} (judged by other cases)"
            return
        closed = _tcp_closed_by(r.channel, deadline)
        box["ending"] = f"EROR {reaction.error_name} then close_notify; TCP close " + (
            "none" if closed is None else f"{closed - sent_at:.2f} s after the EROR"
        )
        if closed is None:
            box["open"] = "yes"

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    if "skip" in box:
        # The EROR and the close_notify are judged by test_pki_initiator_transfer.py and
        # test_pki_tls.py; without them the timing of the TCP close says nothing here.
        pytest.skip(box["skip"])
    if "open" in box:
        raise ConformanceFailure.evidence(
            f"ERR-3/PKI-TLS-7: the initiator's close after its own fatal EROR ({kind} "
            "owed), the suite sending no close_notify",
            f"the TCP connection closed within {PROMPT_CLOSE:g} s of the EROR: at once, "
            "not when a timeout (waiting for the peer's close_notify) expires",
            f"{box['ending']}: still open {PROMPT_CLOSE:g} s after the EROR",
            note=got.describe(),
        )
