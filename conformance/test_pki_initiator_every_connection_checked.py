"""sft-pki/1 INITIATOR: the responder is checked on the connection that carries the
request, on every connection, not once per host and port (docs/SPEC.md PKI-ID-1, PKI-CERT-5).

PKI-ID-1: the initiator MUST verify that the responder's certificate CN equals the alias
it asked for before sending any application frame on that connection; PKI-CERT-5 (and
the other checks of §4.2) judge the certificate the responder presents there. The class
of bug is check-then-act between connections: an initiator that verifies a responder on
one connection (a probe before the transfer, "is this really alice?", or the first of
several connections) and then sends its request on ANOTHER connection to the same
address, trusted as "the same peer" — only the TLS library's chain check runs there. In
the time between, another process can hold that address (a restarted responder, a
machine in the middle). The suite's earlier cases present one certificate on every
connection, so a probe refused there is refused everywhere and the bug never shows.

The suite's hostile responder decides by the order of connections (deterministic: an
initiator opens its next connection only after the previous one's TLS handshake, so
the connections reach the responder in order):

- the FIRST connection presents the asked alias's valid employee certificate and
  answers a get honestly;
- every LATER connection presents `later`:
  * `impostor` [PKI-ID-1]: a valid employee certificate of another alias
    (`sft-conn-impostor`); the initiator must send no frame on it, not even an EROR;
  * `no-server-auth` [PKI-CERT-5] (slow): the asked alias's certificate whose EKU lacks
    serverAuth; the initiator must send no request on it (an `EROR auth_failed` is
    allowed, PKI-TLS-7).

An initiator that makes one connection gets its file over the first and PASSES; one that
opens more than one must check each: any request on a later connection is the FAIL.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from pathlib import Path
from typing import cast

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    _run_initiator_once,
    client_template,
    honest_get_script,
    lab_pki,
    require_reached,
    responder_alias,
)
from conformance.pki_channel import HostileResponder, server_context
from conformance.target import Target
from conformance.wire import ERROR_CODES, ConformanceFailure
from conformance.x509 import EKU_CLIENT_AUTH

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"served over the first connection, whose certificate names the alias asked for\n"
IMPOSTOR = "sft-conn-impostor"  # a valid alias (PKI-CERT-2), not the one asked for


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


# later: (requirement, what the later connections present, EROR auth_failed allowed)
_LATER = {
    "impostor": ("PKI-ID-1", f"a valid employee certificate of {IMPOSTOR}", False),
    "no-server-auth": (
        "PKI-CERT-5",
        "the asked alias's certificate whose EKU lacks serverAuth",
        True,
    ),
}


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(
            k,
            marks=[pytest.mark.req(v[0])] + ([pytest.mark.slow] if k != "impostor" else []),
            id=k,
        )
        for k, v in _LATER.items()
    ],
)
def test_initiator_checks_the_responder_on_the_connection_it_uses(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, later: str
) -> None:
    requirement, shown, eror_allowed = _LATER[later]
    lab = lab_pki(target)
    asked = responder_alias(target)
    assert target.root is not None
    good = lab.employee(asked).write(tmp_path, f"asked-{uuid.uuid4().hex[:6]}")
    bad_cert = (
        lab.employee(IMPOSTOR)
        if later == "impostor"
        else lab.employee(asked, eku=(EKU_CLIENT_AUTH,))
    )
    bad = bad_cert.write(tmp_path, f"later-{uuid.uuid4().hex[:6]}")
    contexts = _ByConnection(server_context(*good, target.root), server_context(*bad, target.root))
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    with HostileResponder(
        cast(ssl.SSLContext, contexts), honest_get_script(CONTENT), timeout=5.0
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
    require_reached(run, hostile, request=False)
    sent = _frames(hostile, 1)
    if eror_allowed:
        sent = [f for f in sent if not _auth_failed(f)]
    if sent:
        failure = ConformanceFailure.evidence(
            f"{requirement}: the client asks for {asked}; the responder's first connection "
            f"presents {asked}'s valid certificate, every later one {shown} ({later})",
            "no application frame on a connection whose certificate fails the checks: the "
            "alias and the certificate are checked on each connection before its first frame"
            + (" (an EROR auth_failed is allowed)" if eror_allowed else ""),
            f"{len(hostile.transcripts)} connections; sent "
            f"{[f[:4].decode('latin-1') for f in sent]} on connection(s) after the first "
            f"({[f[:60] for f in sent[:3]]})",
            note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
        )
        failure.violates = (requirement,)
        raise failure
