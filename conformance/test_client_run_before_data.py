"""Clients of BOTH profiles whose get fails between RSFL and the first DATA (SPEC §3.3, §3.6).

A client may make its temporary file as soon as RSFL arrives (the reference does) or at
the first DATA; either way a get that fails in between leaves nothing: no temporary, no
final name (APP-STORE-3, APP-GET-5). The existing lies (test_client_lies.py,
test_eke_client_transfer.py, test_pki_initiator_transfer.py) fail a get after some DATA;
a client whose clean-up is armed only once the first byte is written ("nothing to clean
before a byte was written" -- but the file exists since RSFL) passes them all. Here the
server answers the RQFL with an honest RSFL and then, before any DATA:

- a fatal `EROR` (`internal`, `timeout`),
- the end of the connection (eke: a TCP close; pki: `close_notify`, then a bare FIN);
- SIGTERM to the client (once its temporary appeared, or after half a second): a signal
  the client "survives long enough to handle" (APP-STORE-3).

Each runs against an sft-eke/1 client (the suite as a lying server after an honest
handshake) and an sft-pki/1 initiator (the suite as a lying responder).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

Peer = eke_lies.LyingServer | pki_lies.LyingResponder

_FAILURES = ("eror-internal", "eror-timeout", "end-of-stream", "sigterm")
_TEMP_WAIT = 0.5  # how long the suite waits for a temporary before it signals anyway


def _signal_client(outdir: Path, process: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to the client once its temporary is there (or after _TEMP_WAIT)."""
    deadline = time.monotonic() + _TEMP_WAIT
    while time.monotonic() < deadline:
        if any(p.name.startswith(".sft-partial-") for p in outdir.iterdir()):
            break
        time.sleep(0.02)
    if process and process[0].poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process[0].pid, signal.SIGTERM)


def _lie(failure: str, process: list[subprocess.Popen[bytes]]) -> Callable[[Peer], None]:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=eke_lies.DIGEST)
        if failure == "sigterm":
            _signal_client(peer.outdir, process)
            peer.await_reaction()
        elif failure == "eror-internal":
            peer.frame("EROR", error_payload(11, "suite: failing before any data"))
            peer.await_reaction()
        elif failure == "eror-timeout":
            peer.frame("EROR", error_payload(10, "suite: failing before any data"))
            peer.await_reaction()
        elif isinstance(peer, eke_lies.LyingServer):
            peer.close()
        else:
            peer.close_notify()

    return lie


def _what(failure: str) -> str:
    return f"an honest RSFL ({eke_lies.SIZE} bytes), then {failure} before any DATA"


@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-STORE-3", "APP-GET-5")
@pytest.mark.parametrize("failure", _FAILURES)
def test_eke_client_leaves_nothing_when_its_get_fails_before_any_data(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, failure: str
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    run, server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _lie(failure, process), started=process.append
    )
    eke_lies._judge_failed_get(run, _what(failure), server=server, own=("APP-GET-5",))


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3", "APP-GET-5")
@pytest.mark.parametrize("failure", _FAILURES)
def test_pki_initiator_leaves_nothing_when_its_get_fails_before_any_data(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, failure: str
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    got = pki_lies._run_lie(
        target, tmp_path, transcripts, _lie(failure, process), started=process.append
    )
    pki_lies._judge_failed_get(got, _what(failure), None, ("APP-GET-5",))
