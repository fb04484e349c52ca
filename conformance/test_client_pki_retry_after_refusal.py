"""sft-pki/1 INITIATOR: a request retried after the responder refused it is a new
connection, checked in full (docs/SPEC.md PKI-ID-1, PKI-CERT-5, ERR-3).

A responder may end a connection after the TLS handshake without serving the request: a
fatal `EROR busy` ("too many connections; try later", ERR-2), `EROR internal`, `EROR
timeout`, or a close_notify with no answer at all (a responder restarting). An initiator
MAY try again on a new connection. It MUST NOT carry the first connection's verdict over
to it: PKI-ID-1 is checked "before sending any application frame" on the connection that
carries the frame, and §4.2's checks judge the certificate presented there. The class of
bug is a retry path written after the first connect path — "the peer at this address was
verified a moment ago" — which wraps the new socket with the TLS library's chain check
alone (no alias, no PKI-CERT-1/5/6/9). test_client_pki_retry_checks.py covers the retry
after a close BEFORE the handshake; test_pki_initiator_every_connection_checked.py a
probe connection that served the file. Here the first connection is verified, takes the
request and refuses it after the handshake.

The suite's hostile responder decides by the order of connections (an initiator opens
its next connection only once the previous one has ended):

- the FIRST connection presents the asked alias's valid employee certificate, reads the
  RQFL and ends as `first` says: `eror-busy`, `closed-unanswered` (default run),
  `eror-internal`, `eror-timeout` (slow);
- every LATER connection presents `later`: `impostor` [PKI-ID-1], a valid employee
  certificate of another alias (no frame at all may be sent on it), or (after `eror-busy`
  only) `no-eku` [PKI-CERT-5], the asked alias's certificate without an
  ExtendedKeyUsage extension — which the TLS library's own purpose check lets through
  (RFC 5280's "any purpose"), so only the initiator's own checks refuse it — (an `EROR
  auth_failed` is allowed, PKI-TLS-7), and answers a get honestly.

The same for a put (`client_put_cmd`; SKIP without it): the first connection takes the
PUTF and ends with `EROR busy` (or, slow, a bare close_notify); every later connection
presents the impostor and accepts a put; no frame may reach it.

An initiator that does not retry reports the refusal and PASSES; one that retries must
check the new connection: any request on a later connection is the FAIL.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import uuid
from pathlib import Path
from typing import cast

import pytest

from conformance._wire_fixtures import (
    ClientNotExercised,
    TranscriptBook,
    _run_initiator_once,
    client_template,
    honest_get_script,
    lab_pki,
    require_reached,
    responder_alias,
)
from conformance.pki_channel import HostileResponder, PkiChannel, Script, server_context
from conformance.target import Target
from conformance.test_client_pki_put_identity import _accepting_script
from conformance.test_client_put import READ_TIMEOUT, RUN_TIMEOUT, _put_template
from conformance.wire import ERROR_CODES, ConformanceFailure, ReceivedFrame
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"served only on a connection after the refused one\n"
IMPOSTOR = "sft-retry-impostor"  # a valid alias (PKI-CERT-2), not the one asked for

# first: the fatal EROR code that ends the first connection (None: close_notify alone)
_FIRST: dict[str, str | None] = {
    "eror-busy": "busy",
    "closed-unanswered": None,
    "eror-internal": "internal",
    "eror-timeout": "timeout",
}
_SLOW_FIRST = frozenset({"eror-internal", "eror-timeout"})

# later: (requirement, what the later connections present, EROR auth_failed allowed)
_LATER = {
    "impostor": ("PKI-ID-1", f"a valid employee certificate of {IMPOSTOR}", False),
    "no-eku": (
        "PKI-CERT-5",
        "the asked alias's certificate without an ExtendedKeyUsage extension",
        True,
    ),
}


class _ByConnection:
    """Stands in for the hostile responder's SSLContext: the first TLS connection gets
    `first`, every later one `later` (wrap_socket calls come in connection order)."""

    def __init__(self, first: ssl.SSLContext, later: ssl.SSLContext) -> None:
        self._first = first
        self._later = later
        self._lock = threading.Lock()
        self.served = 0

    def wrap_socket(self, sock: object, **kwargs: object) -> ssl.SSLSocket:
        with self._lock:
            ctx = self._first if self.served == 0 else self._later
            self.served += 1
        return ctx.wrap_socket(sock, **kwargs)  # type: ignore[arg-type]


class _Script:
    """The first connection refuses the request after reading it; later ones serve."""

    def __init__(
        self, code: str | None, request: bytes = b"RQFL", honest: Script | None = None
    ) -> None:
        self._code = code
        self._request = request
        self._lock = threading.Lock()
        self._calls = 0
        self._honest = honest or honest_get_script(CONTENT)

    def __call__(self, channel: PkiChannel) -> None:
        with self._lock:
            index = self._calls
            self._calls += 1
        if index > 0:
            self._honest(channel)
            return
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != self._request:
            return
        if self._code is not None:
            channel.send_frame(
                "EROR",
                {
                    "code": ERROR_CODES[self._code],
                    "name": self._code,
                    "message": "refused after the handshake; the connection ends",
                },
            )
        # Returning ends the connection: close_notify, then the close (PKI-TLS-7).


def _frames(hostile: HostileResponder, first: int) -> list[bytes]:
    """Frames the initiator sent on the connections from index `first` on."""
    return [e.data for t in hostile.transcripts[first:] for e in t.entries if e.direction == "recv"]


def _auth_failed(data: bytes) -> bool:
    if data[:4] != b"EROR":
        return False
    try:
        obj = json.loads(data[8:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(obj, dict) and obj.get("code") == ERROR_CODES["auth_failed"]


def _params() -> list[object]:
    params: list[object] = []
    for first in _FIRST:
        for later, (requirement, _shown, _allowed) in _LATER.items():
            slow = first in _SLOW_FIRST
            if later != "impostor" and first != "eror-busy":
                continue  # the other checks once, after the common refusal
            marks = [pytest.mark.req(requirement)] + ([pytest.mark.slow] if slow else [])
            params.append(pytest.param(first, later, marks=marks, id=f"{first}-{later}"))
    return params


@pytest.mark.parametrize(("first", "later"), _params())
def test_initiator_checks_the_connection_it_retries_on(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, first: str, later: str
) -> None:
    requirement, shown, eror_allowed = _LATER[later]
    lab = lab_pki(target)
    asked = responder_alias(target)
    assert target.root is not None
    good = lab.employee(asked).write(tmp_path, f"asked-{uuid.uuid4().hex[:6]}")
    bad_cert = (
        lab.employee(IMPOSTOR)
        if later == "impostor"
        else lab.employee(asked, eku=None)
    )
    bad = bad_cert.write(tmp_path, f"later-{uuid.uuid4().hex[:6]}")
    contexts = _ByConnection(server_context(*good, target.root), server_context(*bad, target.root))
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    with HostileResponder(
        cast(ssl.SSLContext, contexts), _Script(_FIRST[first]), timeout=5.0
    ) as hostile:
        run = _run_initiator_once(
            target,
            client_template(target, tmp_path),
            host=hostile.host,
            port=hostile.port,
            name="file.bin",
            out=out,
            alias=asked,
        )
    for t in hostile.transcripts:
        transcripts.add(t)
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    require_reached(run, hostile, request=True)
    sent = _frames(hostile, 1)
    if eror_allowed:
        sent = [f for f in sent if not _auth_failed(f)]
    if sent or out.exists():
        ended = f"EROR {_FIRST[first]}" if _FIRST[first] else "close_notify, no answer"
        failure = ConformanceFailure.evidence(
            f"{requirement}: the client asks {asked} for a file; the first connection "
            f"presents {asked}'s valid certificate, takes the RQFL and ends with {ended}; "
            f"every later connection presents {shown} ({first}, {later})",
            "a retry is a new connection, checked before its first frame: no request on a "
            "connection whose certificate fails the checks"
            + (" (an EROR auth_failed is allowed)" if eror_allowed else "")
            + ", and no file from it",
            f"{len(hostile.transcripts)} connections; sent "
            f"{[f[:4].decode('latin-1') for f in sent]} on connection(s) after the first "
            f"({[f[:60] for f in sent[:3]]}); output file kept: {out.exists()}",
            note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
        )
        failure.violates = (requirement,)
        raise failure


@pytest.mark.req("PKI-ID-1")
@pytest.mark.parametrize(
    "first",
    [
        pytest.param("eror-busy", id="eror-busy"),
        pytest.param("closed-unanswered", marks=pytest.mark.slow, id="closed-unanswered"),
    ],
)
def test_initiator_put_checks_the_connection_it_retries_on(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, first: str
) -> None:
    lab = lab_pki(target)
    asked = responder_alias(target)
    assert target.root is not None
    template = _put_template(target, tmp_path)
    good = lab.employee(asked).write(tmp_path, f"asked-{uuid.uuid4().hex[:6]}")
    bad = lab.employee(IMPOSTOR).write(tmp_path, f"later-{uuid.uuid4().hex[:6]}")
    contexts = _ByConnection(server_context(*good, target.root), server_context(*bad, target.root))
    source = tmp_path / "outgoing.bin"
    source.write_bytes(CONTENT)
    own = target.client_put_cmd is not None
    script = _Script(_FIRST[first], b"PUTF", _accepting_script)
    with HostileResponder(cast(ssl.SSLContext, contexts), script, timeout=READ_TIMEOUT) as hostile:
        launch = client_launch(
            template,
            {
                "host": hostile.host,
                "port": str(hostile.port),
                "file": str(source),
                "name": f"put-{secrets.token_hex(4)}.bin",
                "alias": asked,
            },
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        run = run_client(launch, timeout=RUN_TIMEOUT)
    for t in hostile.transcripts:
        transcripts.add(t)
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if "PUTF" not in hostile.frames_received():
        raise ClientNotExercised(
            f"the client under test never sent its PUTF (is client_put_cmd right?): "
            f"{run.describe()}"
        )
    sent = _frames(hostile, 1)
    if sent or run.returncode == 0:
        ended = f"EROR {_FIRST[first]}" if _FIRST[first] else "close_notify, no answer"
        failure = ConformanceFailure.evidence(
            f"PKI-ID-1: the client puts a file to {asked}; the first connection presents "
            f"{asked}'s valid certificate, takes the PUTF and ends with {ended}; every later "
            f"connection presents a valid employee certificate of {IMPOSTOR} ({first})",
            "a retry is a new connection, checked before its first frame: no frame on a "
            "connection whose certificate names another alias, and the put reported failed",
            f"{len(hostile.transcripts)} connections; sent "
            f"{[f[:4].decode('latin-1') for f in sent]} on connection(s) after the first; "
            f"exit code {run.returncode}",
            note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
        )
        failure.violates = ("PKI-ID-1",)
        raise failure
