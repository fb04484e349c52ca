"""A refused connection is refused at once, without waiting for a request (docs/SPEC.md
§4.1 PKI-TLS-10, ERR-3).

In TLS 1.3 the initiator's handshake completes before the responder has judged its
certificate (or its ALPN), so a responder may refuse just after the handshake. It MUST
do so "before it processes any application frame of it, and at once": an alert, an
`EROR auth_failed` then the close, or a `close_notify` and the close, right after the
handshake. The other refusal cases (test_pki_certs.py, test_pki_tls.py) send a request
at once and accept a refusal on its first read; these send nothing, so a responder that
keeps a refused connection open until the initiator asks for something — it checks the
certificate lazily, at the first request, or answers a refused connection's first frame
with `auth_failed` — shows here: the suite waits well under the idle timeout
(`close_bound`), as long as a close "at once" may take.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`. The
certificates are minted in lab mode (the embedded run is one): the defects OpenSSL lets
through the handshake, which only the responder's own checks after it refuse.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after
from conformance.x509 import pem_decode, read_certificate

_AUTH_FAILED = 4
_RULE = re.compile(r"\b((?:FRM|ERR)-\d+)")

# Certificate defects a TLS library passes in its handshake (the responder's own check
# refuses them after it), with the requirements their refusal checks.
_AFTER_HANDSHAKE = {
    "no_eku": ("PKI-CERT-5",),
    "no_basic_constraints": ("PKI-CERT-9",),
    "ca_true_not_critical": ("PKI-CERT-6",),
    "sha384_signature": ("PKI-CERT-9",),
    "p384_key": ("PKI-CERT-9",),
}
# Refusals that are not the certificate's: an ALPN missing or wrong, no certificate.
_OTHER = {
    "no-alpn": ("PKI-TLS-2",),
    "wrong-alpn": ("PKI-TLS-2",),
    "no-certificate": ("PKI-TLS-3",),
}


def _suite_alias(target: Target, workdir: Path) -> str:
    cert, _key = suite_identity(target, workdir)
    return read_certificate(pem_decode(cert.read_text())).common_name or "suite"


def _connect(target: Target, tmp_path: Path, kind: str) -> PkiChannel | HandshakeRefused:
    assert target.root is not None
    if kind in _AFTER_HANDSHAKE:
        lab = lab_pki(target)
        cert, key = lab.bad(kind, alias=_suite_alias(target, tmp_path)).write(tmp_path, kind)
        ctx = client_context(target.root, cert, key, weak_allowed=True)
    elif kind == "no-certificate":
        ctx = client_context(target.root)
    else:
        cert, key = suite_identity(target, tmp_path)
        alpn = None if kind == "no-alpn" else ("http/1.1",)
        ctx = client_context(target.root, cert, key, alpn=alpn)
    return connect_pki(target.host, target.port, ctx, name=f"pki refused unprompted: {kind}")


def _judge_refusal_frame(frame: ReceivedFrame, kind: str) -> None:
    """The refusal's `EROR auth_failed` is a sender's frame like any other: its `name` is
    the table's for code 4 and its `message` a string of at most 512 characters (ERR-1).
    A refusal path often builds its frame by hand, apart from the application's encoder
    (a reason-specific name such as `certificate_refused`, no message): only this EROR
    shows it."""
    problems = frame.violations()
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-1: {kind}: the EROR refusing the connection",
            'EROR {"code": 4, "name": "auth_failed", "message": <string of at most 512>}',
            f"{frame.describe()}: " + "; ".join(problems),
        )
        failure.violates = tuple(
            sorted({rule for problem in problems for rule in _RULE.findall(problem)})
        ) or ("ERR-1",)
        raise failure


def _params() -> list[object]:
    return [
        pytest.param(k, marks=pytest.mark.req("PKI-TLS-10", "ERR-3", "ERR-1", *ids), id=k)
        for k, ids in {**_AFTER_HANDSHAKE, **_OTHER}.items()
    ]


@pytest.mark.parametrize("kind", _params())
def test_refused_connection_ends_without_a_request(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The handshake completes (or not), the suite sends nothing: the responder's refusal
    — an alert, `EROR auth_failed` and the close, or `close_notify` and the close — comes
    within `close_bound` of the end of the handshake. If it has not come by then, a
    request tells an accepted connection (the defect's own requirement FAILs) from a
    refusal that waited for it (PKI-TLS-10)."""
    result = _connect(target, tmp_path, kind)
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    if isinstance(result, HandshakeRefused):
        return
    bound = close_bound(target.limits.idle_timeout)
    try:
        first = result.recv_frame(deadline_after(bound))
        if isinstance(first, Closed):
            return
        if isinstance(first, ReceivedFrame):
            if first.error_code != _AUTH_FAILED:
                raise ConformanceFailure.evidence(
                    f"PKI-TLS-10: {kind}: the handshake completed, the suite sent nothing",
                    "a refusal: an alert, EROR auth_failed then the close, or the close",
                    f"the responder sent {first.describe()}",
                )
            _judge_refusal_frame(first, kind)
            after = result.recv_frame(deadline_after(bound))
            if isinstance(after, Closed):
                return
            raise ConformanceFailure.evidence(
                f"ERR-3: {kind}: EROR auth_failed unprompted, but the connection stayed open",
                f"the close within {bound:.2f} s of the fatal EROR",
                after.describe(),
            )
        # Nothing within the bound: accepted, or refused only once asked for something.
        judge_responder_refusal(
            result,
            f"{'/'.join({**_AFTER_HANDSHAKE, **_OTHER}[kind])}: {kind}",
            request_name=target.files[0].name if target.files else "hello.txt",
            close_within=bound,
        )
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-10: {kind}: the handshake completed, the suite sent nothing for "
            f"{bound:.2f} s",
            "the refusal at once (an alert, EROR auth_failed or close_notify, and the close), "
            "not only once the initiator sends a request",
            f"nothing for {bound:.2f} s; the refusal came only after the suite's request",
        )
        failure.violates = ("PKI-TLS-10",)
        raise failure
    finally:
        result.close()
