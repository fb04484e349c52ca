"""sft-pki/1 INITIATOR as a SENDER: a put checks the responder as a get does
(docs/SPEC.md §4.1–4.3).

Every other initiator case of the responder's certificate runs the client's get
(`client_cmd`). A put is another command and often another code path (`sft put`, a
`send` subcommand written after `get`): one that connects without the alias check, or
with the certificate checks of the get left out, sends its PUTF — the file's name and
size — to whoever answers. The suite's responder presents, for the put
(`client_put_cmd`):

- a valid employee certificate of ANOTHER alias than the one asked for: the client MUST
  abort before any application frame [PKI-ID-1], and sends no frame at all (PKI-TLS-7);
- a certificate without ExtendedKeyUsage, and one without BasicConstraints, that OpenSSL
  lets through and only the client's own checks refuse [PKI-CERT-5, PKI-CERT-9]: at most
  one `EROR auth_failed` reaches the responder, no request (PKI-TLS-7).

Each run must fail (non-zero exit).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki, responder_alias
from conformance.pki_channel import HostileResponder, PkiChannel, server_context
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import READ_TIMEOUT, RUN_TIMEOUT, _put_template
from conformance.wire import ConformanceFailure, ReceivedFrame
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a put to a responder the initiator must not trust\n"
IMPOSTOR = "sft-impostor"  # a valid alias (PKI-CERT-2), not the responder's

_KINDS = {
    "other_alias": ("PKI-ID-1", "PKI-TLS-7"),
    "no_eku": ("PKI-CERT-5", "PKI-TLS-7"),
    "no_basic_constraints": ("PKI-CERT-9", "PKI-TLS-7"),
}


def _accepting_script(channel: PkiChannel) -> None:
    """An honest responder for one put: accepts the PUTF, reads the file, answers DONE
    (so that a client that trusted the certificate completes its put and exits 0)."""
    event = channel.recv_frame()
    if not isinstance(event, ReceivedFrame) or event.type != b"PUTF":
        return
    offer = event.json() or {}
    channel.send_frame("RSFL", {"accept": True, "name": str(offer.get("name", ""))})
    digest = hashlib.sha256()
    size = 0
    while True:
        frame = channel.recv_frame()
        if not isinstance(frame, ReceivedFrame):
            return
        if frame.type == b"DATA":
            digest.update(frame.payload)
            size += len(frame.payload)
        elif frame.type == b"DONE":
            channel.send_frame("DONE", {"size": size, "sha256": digest.hexdigest()})
            return
        else:
            return


def _auth_failed_eror(frame: bytes) -> bool:
    if frame[:4] != b"EROR":
        return False
    try:
        obj = json.loads(frame[8:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(obj, dict) and obj.get("code") == 4


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _KINDS.items()]
)
def test_initiator_put_refuses_a_responder_it_cannot_trust(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    assert target.root is not None
    template = _put_template(target, tmp_path)
    alias = responder_alias(target)
    lab = lab_pki(target)
    if kind == "other_alias":
        if alias == IMPOSTOR:
            pytest.skip(f"the responder alias is {IMPOSTOR!r} itself")
        cert = lab.employee(IMPOSTOR)
    else:
        cert = lab.bad(kind, alias=alias)
    cert_path, key_path = cert.write(tmp_path, f"responder-{kind}")
    source = tmp_path / "outgoing.bin"
    source.write_bytes(CONTENT)
    name = f"put-{secrets.token_hex(4)}.bin"
    own = target.client_put_cmd is not None
    with HostileResponder(
        server_context(cert_path, key_path, target.root),
        _accepting_script,
        timeout=READ_TIMEOUT,
    ) as hostile:
        launch = client_launch(
            template,
            {
                "host": hostile.host,
                "port": str(hostile.port),
                "file": str(source),
                "name": name,
                "alias": alias,
            },
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        run = run_client(launch, timeout=RUN_TIMEOUT)
    for t in hostile.transcripts:
        transcripts.add(t)
    if not hostile.transcripts:
        raise RuntimeError(
            f"the client under test never connected (is client_put_cmd right?): {run.describe()}"
        )
    sent = [e.data for t in hostile.transcripts for e in t.entries if e.direction == "recv"]
    problems: list[tuple[str, str]] = []
    if run.returncode == 0:
        # It trusted the certificate: what it sent follows from that (PKI-TLS-7 binds an
        # initiator that refuses).
        problems.append(
            (
                _KINDS[kind][0],
                f"exit code 0: the put went through ({[f[:4].decode('latin-1') for f in sent]})",
            )
        )
    elif kind == "other_alias":
        if sent:
            problems.append(
                (
                    "PKI-ID-1",
                    f"sent {[f[:4].decode('latin-1') for f in sent]} to a responder whose "
                    "certificate names another alias (no frame at all: PKI-TLS-7)",
                )
            )
    else:
        other = [f[:4].decode("latin-1") for f in sent if not _auth_failed_eror(f)]
        if other or len(sent) - len(other) > 1:
            problems.append(
                (
                    "PKI-TLS-7",
                    f"sent {[f[:4].decode('latin-1') for f in sent]} to a responder whose "
                    "certificate it refuses (at most one EROR auth_failed)",
                )
            )
    if problems:
        subject = f"CN {IMPOSTOR!r}" if kind == "other_alias" else f"{kind}, CN {alias!r}"
        failure = ConformanceFailure.evidence(
            f"{'/'.join(_KINDS[kind])}: a put to {alias!r}, the responder presents {subject}",
            "the put fails (non-zero exit) and no request (PUTF, DATA) reaches the responder",
            "; ".join(f"[{rid}] {text}" for rid, text in problems),
            note=f"{run.describe()}; responder TLS errors: {hostile.handshake_errors}",
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure
