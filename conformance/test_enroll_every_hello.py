"""PKI-TLS-9 at the ENROLMENT client: every connection of the run offers only PKI-TLS-9.

PKI-TLS-9: an initiator "MUST NOT offer anything else in its ClientHello", and
CA-ENR-18 makes the enrolment client the initiator of its connections to the CA.
test_enroll_tls.py reads the client's FIRST ClientHello and refuses it, so that no
password is sent: the enrolment ends there, and the connections a successful enrolment
makes next — a client fetching the CRL (or the root) once it holds its certificate, on a
context of its own ("a public document, no password travels") — are never seen. A
client whose second context is built from the TLS library's defaults offers ffdhe*,
x448, P-521 or CCM suites there, to the same CA, for a document its peers then trust.

Here the suite's CA (test_enroll_client.py's, with an honest answer: a root-issued
certificate for the CSR's key) completes the enrolment and serves `/v1/crl` and
`/v1/root`; before each TLS handshake it peeks at the ClientHello (MSG_PEEK, so the
handshake goes on unchanged). Every ClientHello of the run is judged as
test_enroll_tls.py judges the first: TLS 1.3 suites, supported groups and key shares
within PKI-TLS-9 (GREASE aside).

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    HostileCa,
    _ca_certificate,
    _enroll_cmd,
    _honest,
    _server_context,
    run_against,
)
from conformance.test_pki_hardening import (
    ALLOWED_GROUP_CODES,
    ALLOWED_SUITE_CODES,
    _grease,
    _parse_client_hello,
)
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

_PEEK_BUDGET = 5.0  # seconds for one ClientHello to arrive whole
_PEEKS = 500  # bounded by count too


def _peek_hello(sock: socket.socket) -> bytes:
    """The ClientHello's handshake message as far as it has arrived, left unread."""
    deadline = time.monotonic() + _PEEK_BUDGET
    data = b""
    sock.settimeout(_PEEK_BUDGET)
    try:
        for _ in range(_PEEKS):
            data = sock.recv(65536, socket.MSG_PEEK)
            if not data:
                break
            if len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[6:9], "big"):
                break  # the whole handshake message is in
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)  # polling a peek: the rest of the record is on its way
    except OSError:
        pass
    return data


class _PeekingCa(HostileCa):
    """test_enroll_client.py's hostile CA, noting each connection's ClientHello."""

    hellos: list[bytes]
    hello_lock: threading.Lock

    def _serve(self, sock: socket.socket) -> None:
        hello = _peek_hello(sock)
        with self.hello_lock:
            self.hellos.append(hello)
        super()._serve(sock)


def _problems(hellos: list[bytes]) -> list[str]:
    problems: list[str] = []
    for index, hello in enumerate(hellos, 1):
        try:
            offer = _parse_client_hello(hello)
        except (ValueError, IndexError) as exc:
            problems.append(f"ClientHello {index}: not a TLS ClientHello ({exc})")
            continue
        bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
        if bad:
            problems.append(f"ClientHello {index}: TLS 1.3 suites {[f'{c:#06x}' for c in bad]}")
        for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
            bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
            if bad:
                problems.append(f"ClientHello {index}: {what} {[f'{c:#06x}' for c in bad]}")
    return problems


@pytest.mark.req("PKI-TLS-9")
def test_enrolment_client_offers_only_allowed_tls_parameters_on_every_connection(
    target: Target, tmp_path: Path
) -> None:
    _enroll_cmd(target)
    lab = lab_pki(target)
    assert target.root is not None
    ca = _PeekingCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    ca.hellos = []
    ca.hello_lock = threading.Lock()
    run = run_against(target, tmp_path, ca)
    with ca.hello_lock:
        seen = [h for h in ca.hellos if h]
    if not seen:
        inconclusive(
            f"the enrolment client sent no ClientHello to the suite's CA: {run.describe()}"
        )
    problems = _problems(seen)
    if problems:
        requests = [f"{r.method} {r.path}" for r in ca.requests]
        raise ConformanceFailure.evidence(
            f"PKI-TLS-9: every ClientHello of an enrolment against an honest CA "
            f"({len(seen)} connection(s): {requests})",
            "TLS 1.3 suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
            "TLS_CHACHA20_POLY1305_SHA256 only; groups and key shares x25519, secp256r1, "
            "secp384r1, X25519MLKEM768 only (GREASE aside), on every connection",
            "; ".join(problems),
            note=run.describe(),
        )
