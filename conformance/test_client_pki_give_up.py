"""sft-pki/1 INITIATOR: it gives up in its own time on a responder that never lets it in
(docs/SPEC.md LIM-9, PKI-ID-1).

- [LIM-9] The suite listens and accepts the TCP connection, then never answers the
  ClientHello ("silent"); or it closes every connection before any TLS byte, as a
  responder over its limits does ("refusing": a client may retry those, LIM-9, but not
  for ever). Either way the client must end by itself — a failure it reports: non-zero
  exit, nothing kept — within `_GIVE_UP_WITHIN` seconds (twice the SPEC's default
  handshake timeout, LIM-1: 10 s, plus the start of a client process). A client that
  clears its socket timeout for the TLS handshake ("the connect timeout was for TCP"),
  or retries a busy refusal until the responder has room, never reports. Against the
  silent responder the report must say that the handshake timed out (LIM-9: "reports that
  it timed out before the handshake", not a close or a busy responder). The two
  responders are tried at once, each with its own client run (one handshake timeout).
  (A responder trickling its handshake one byte at a time is not tried: LIM-9 says that
  trickling bytes do not extend the responder's deadline, and says of a client only that
  it reports a handshake that did not finish in time; two independent initiators bound
  each read, not the whole handshake.)
- [PKI-ID-1] The responder completes the TLS handshake with a valid certificate of ANOTHER
  alias and then says nothing and closes nothing (an impostor has no reason to help).
  The client must abort — send no frame, fail — and end by itself within
  `_ABORT_WITHIN` seconds, however it closes (an alert, close_notify, or a TCP close).
  A client that, after its close_notify, waits without a bound for the impostor's own
  close_notify is still running when the suite gives up on it.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    InitiatorRun,
    _run_initiator_once,
    client_template,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator_watched,
)
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# A client facing a responder that never lets it in must have given up by then: twice
# the SPEC's default handshake timeout (LIM-1: 10 s), plus the start of a client process
# (as test_eke_client_login_rules.py's LIM-9 case).
_GIVE_UP_WITHIN = 24.0
# The client process is killed after this (the judge then says it never ended).
_RUN_TIMEOUT = _GIVE_UP_WITHIN + 6.0
# A PKI-ID-1 abort is the client's own decision, taken at once: twice the handshake
# timeout is ample for any way of closing.
_ABORT_WITHIN = 20.0
# A report that the handshake did not finish in time, in the words clients use.
_SAYS_TIMED_OUT = re.compile(
    r"time[sd]?[ _-]?out|timed[ _-]?out|deadline|did not (?:finish|complete) in time",
    re.IGNORECASE,
)


@dataclass
class _RawResponder:
    """A loopback listener that accepts and then either reads and never answers
    ("silent") or closes at once, before any TLS byte ("refusing")."""

    mode: str
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    received: int = 0  # bytes read from the client (its ClientHello)
    _listener: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _open: list[socket.socket] = field(default_factory=list)

    def __enter__(self) -> _RawResponder:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.host, 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, daemon=True, name=f"raw-{self.mode}")
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2.0)
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.close()
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.mode == "refusing":
                conn.close()
                continue
            self._open.append(conn)
            thread = threading.Thread(target=self._silent, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _silent(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return  # the client closed: it gave up
            self.received += len(data)


def _run_against(target: Target, workdir: Path, mode: str, box: dict[str, object]) -> None:
    outdir = workdir / f"out-{mode}"
    outdir.mkdir()
    with _RawResponder(mode) as raw:
        started = time.monotonic()
        run = _run_initiator_once(
            target,
            client_template(target, workdir),
            host=raw.host,
            port=raw.port,
            name="file.bin",
            out=outdir / "received.bin",
            alias=responder_alias(target),
            timeout=_RUN_TIMEOUT,
        )
        box[f"{mode}-elapsed"] = time.monotonic() - started
    box[f"{mode}-run"] = run
    box[f"{mode}-responder"] = raw


_HOW = {
    "silent": "accepts the TCP connection and never answers the ClientHello",
    "refusing": "closes every connection before any TLS byte (a busy refusal)",
}


def _gives_up(target: Target, tmp_path: Path, modes: tuple[str, ...]) -> None:
    """Runs the client against each responder of `modes` at once and judges LIM-9."""
    lab_pki(target)  # lab mode, as the other initiator cases (the same client set-up)
    box: dict[str, object] = {}
    threads = [
        threading.Thread(target=_run_against, args=(target, tmp_path, mode, box), daemon=True)
        for mode in modes
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=_RUN_TIMEOUT + 10.0)
    problems = []
    for mode in modes:
        how = _HOW[mode]
        run = box.get(f"{mode}-run")
        raw = box.get(f"{mode}-responder")
        if not isinstance(run, InitiatorRun) or not isinstance(raw, _RawResponder):
            raise RuntimeError(f"the {mode} run did not complete: {box}")
        if raw.connections == 0:
            raise RuntimeError(
                f"the client under test never connected (is --client-cmd right?): {run.describe()}"
            )
        elapsed = box[f"{mode}-elapsed"]
        assert isinstance(elapsed, float)
        if run.returncode is None or elapsed >= _GIVE_UP_WITHIN:
            problems.append(
                f"a responder that {how}: the client was still running after {elapsed:.1f} s "
                f"({raw.connections} connection(s)); {run.describe()}"
            )
        elif run.succeeded or run.kept_file:
            problems.append(
                f"a responder that {how}: the client reported success; {run.describe()}"
            )
        elif mode == "silent" and not _SAYS_TIMED_OUT.search(run.stdout + run.stderr):
            # LIM-9: "one whose handshake did not finish in time reports that it timed
            # out before the handshake" — not a close, a reset or a busy responder.
            problems.append(
                f"a responder that {how}: the client's report does not say the handshake "
                f"timed out; {run.describe()}"
            )
    if problems:
        raise ConformanceFailure.evidence(
            "LIM-9: a responder that never lets the client in",
            f"the client gives up by itself within {_GIVE_UP_WITHIN:g} s and reports a "
            "failure (non-zero exit, nothing kept): a handshake that does not finish in time "
            "ends it, and busy refusals are retried a bounded number of times",
            "; ".join(problems),
        )


@pytest.mark.req("LIM-9")
def test_pki_initiator_gives_up_a_responder_that_never_lets_it_in(
    target: Target, tmp_path: Path
) -> None:
    """Silent after accept, or refusing before TLS: both at once (one handshake timeout)."""
    _gives_up(target, tmp_path, ("silent", "refusing"))


@pytest.mark.req("PKI-ID-1")
def test_pki_initiator_aborts_on_a_silent_impostor_in_its_own_time(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    alias = responder_alias(target)
    other = "impostor" if alias != "impostor" else "impostor-2"
    cert = lab_pki(target).employee(other)
    process: dict[str, subprocess.Popen[bytes]] = {}
    began: dict[str, float] = {}

    def started(popen: subprocess.Popen[bytes]) -> None:
        process["client"] = popen
        began["at"] = time.monotonic()

    def silent(channel: PkiChannel) -> None:
        # Hold the connection open without a byte, a close_notify or a FIN until the
        # client has ended (or the run's deadline): the abort must be the client's own.
        end = time.monotonic() + _RUN_TIMEOUT + 2.0
        while time.monotonic() < end:
            popen = process.get("client")
            if popen is not None and popen.poll() is not None:
                return
            time.sleep(0.05)

    out = tmp_path / "out"
    out.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=silent,
        out=out / "received.bin",
        started=started,
        timeout=_RUN_TIMEOUT,
    )
    elapsed = time.monotonic() - began.get("at", time.monotonic())
    require_reached(run, hostile, request=False)
    if run.returncode is None or elapsed >= _ABORT_WITHIN:
        raise ConformanceFailure.evidence(
            f"PKI-ID-1: asked for {alias!r}, the responder's valid certificate names "
            f"{other!r}, and the responder then says nothing and closes nothing",
            f"the client aborts by itself (no frame, non-zero exit) within {_ABORT_WITHIN:g} s",
            f"the client was still running after {elapsed:.1f} s; {run.describe()}",
            note=f"frames the client sent: {hostile.frames_received() or 'none'}",
        )
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-1: asked for {alias!r}, the silent responder's certificate names {other!r}",
        auth_eror_allowed=False,
    )
