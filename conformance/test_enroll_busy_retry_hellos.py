"""PKI-TLS-9 and PKI-TLS-8 at the ENROLMENT client: the retry after `503 busy` is a
connection like the first (docs/SPEC.md PKI-TLS-8, PKI-TLS-9, CA-ENR-14, CA-ENR-18).

CA-ENR-14 sends an honest burst `503 {"error": "busy"}` with `Retry-After`, and a client
tries again. The retry is a new TLS connection to the CA, carrying the password again, and
CA-ENR-18 makes the enrolment client its initiator for PKI-TLS-8 (no key log,
`SSLKEYLOGFILE` not honoured) and PKI-TLS-9 (only those suites and groups offered) too.
test_enroll_tls.py judges the first ClientHello and refuses it; test_enroll_every_hello.py
judges every ClientHello of an enrolment answered at once. Neither sees a retry: a client
whose retry path builds its own context ("the library's default one, with the root as
cafile") offers ffdhe*, x448, P-521 or the CCM suites, and writes its secrets where
`SSLKEYLOGFILE` says, only when the CA was busy.

The suite's CA answers the first enrolment `503 busy` with `Retry-After: 1`, then
honestly (a root-issued certificate for the CSR's key), and peeks at every ClientHello
(MSG_PEEK); the client runs with `SSLKEYLOGFILE` pointing into its temporary directory.
Judged: every ClientHello of the run as test_enroll_every_hello.py judges them, and no key
log written. A client that does not retry (a conforming choice) is judged on what it sent.

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    _ca_certificate,
    _enroll_cmd,
    _honest,
    _server_context,
    run_against,
)
from conformance.test_enroll_every_hello import _PeekingCa, _problems
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

_BUSY = (
    503,
    {"Content-Type": "application/json", "Retry-After": "1"},
    b'{"error": "busy", "message": "logins being verified: try again"}',
)


def _busy_once(honest: Answer) -> Answer:
    state = {"posts": 0}
    lock = threading.Lock()

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        with lock:
            state["posts"] += 1
            first = state["posts"] == 1
        if first:
            return _BUSY
        return honest(body)

    return answer


@pytest.mark.req("PKI-TLS-9", "PKI-TLS-8")
def test_enrolment_client_retry_after_busy_offers_and_logs_as_the_first(
    target: Target, tmp_path: Path
) -> None:
    _enroll_cmd(target)
    lab = lab_pki(target)
    assert target.root is not None
    ca = _PeekingCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _busy_once(_honest(lab)),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    ca.hellos = []
    ca.hello_lock = threading.Lock()
    keylog = tmp_path / "keylog" / "sslkeys.log"
    keylog.parent.mkdir()
    run = run_against(target, tmp_path, ca, env={"SSLKEYLOGFILE": str(keylog)})
    with ca.hello_lock:
        seen = [h for h in ca.hellos if h]
    posts = [r for r in ca.requests if r.method == "POST"]
    if len(posts) < 2:
        if not seen:
            inconclusive(f"the enrolment client sent no ClientHello: {run.describe()}")
        retried = "did not retry"
    else:
        retried = f"retried ({len(posts)} enrolment requests)"
    problems = _problems(seen)
    written = keylog.exists() and keylog.stat().st_size > 0
    if written:
        problems.append(f"PKI-TLS-8: SSLKEYLOGFILE ({keylog.name}) was written to")
    if problems:
        requests = [f"{r.method} {r.path}" for r in ca.requests]
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-9/PKI-TLS-8: an enrolment answered 503 busy (Retry-After: 1) once, "
            f"then honestly; the client {retried} ({len(seen)} connection(s): {requests}), "
            "SSLKEYLOGFILE set",
            "every ClientHello within PKI-TLS-9 (suites TLS_AES_128_GCM_SHA256, "
            "TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256; groups and key shares "
            "x25519, secp256r1, secp384r1, X25519MLKEM768), and no key log written",
            "; ".join(problems),
            note=run.describe(),
        )
        failure.violates = tuple(
            sorted({"PKI-TLS-8" if p.startswith("PKI-TLS-8") else "PKI-TLS-9" for p in problems})
        )
        raise failure
