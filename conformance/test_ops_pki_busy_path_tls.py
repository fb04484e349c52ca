"""sft-pki/1: a full responder refuses TLS 1.2 too — its busy answer is no way around the
TLS 1.3 floor (PKI-TLS-1, LIM-4).

PKI-TLS-1: "Both endpoints MUST refuse to negotiate TLS 1.2 or lower." LIM-4 lets a full
responder refuse a new connection with a close or `EROR busy`, which over sft-pki/1 travels
inside TLS: the refusal makes a TLS handshake of its own. A responder that builds a second,
lighter context for it ("a refused client need not show a certificate", "no CRL to check
for a refusal") starts from the library's defaults, whose minimum is TLS 1.2: a connection
that arrives when every slot is taken negotiates TLS 1.2 — what a scanner finds by opening
connections while the service is busy, and what every case that judges the version on a
responder with free slots misses.

The case fills the responder (max_connections established connections, each served a get,
from as many loopback addresses), then from a fresh address offers only TLS 1.2, once with
a valid employee certificate and once without one. Neither handshake may complete (an
alert, a close, a reset: any refusal passes; `EROR busy` after a TLS 1.2 handshake does
not). Needs a pki target on loopback, an identity the responder accepts, a file to get.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, suite_identity
from conformance.eke_support import sources_for
from conformance.pki_channel import client_context
from conformance.target import Target
from conformance.test_lockout import _fresh, _limits
from conformance.test_ops_pki_refusal_bytes import _established, _needs
from conformance.wire import ConformanceFailure

__all__: list[str] = []

def _tls12_handshake(target: Target, ctx: ssl.SSLContext, source: str) -> str | None:
    """The negotiated version when a handshake from `source` completes; None if refused."""
    wait = max(2.0, target.limits.handshake_timeout + 1.0)
    try:
        raw = socket.create_connection(target.address, timeout=wait, source_address=(source, 0))
    except OSError:
        return None
    try:
        tls = ctx.wrap_socket(raw, server_side=False)
    except (ssl.SSLError, OSError):
        raw.close()
        return None
    version = tls.version()
    with contextlib.suppress(OSError):
        tls.close()
    return version


# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


@pytest.mark.req("PKI-TLS-1")
def test_a_full_responder_never_negotiates_tls12(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _needs(pki_target)
    assert pki_target.root is not None
    _, total = _limits(pki_target)
    addresses = _fresh(sources_for(pki_target), total + 2)
    if len(addresses) < total + 2:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    cert, key = suite_identity(pki_target, tmp_path)
    try:
        contexts = {
            "with a valid certificate": client_context(
                pki_target.root, cert, key, max_version=ssl.TLSVersion.TLSv1_2
            ),
            "without a certificate": client_context(
                pki_target.root, max_version=ssl.TLSVersion.TLSv1_2
            ),
        }
    except ssl.SSLError:
        pytest.skip("this OpenSSL cannot offer TLS 1.2")
    completed: list[str] = []
    with _established(pki_target, addresses[:total], tmp_path, transcripts):
        for index, (label, ctx) in enumerate(contexts.items()):
            version = _tls12_handshake(pki_target, ctx, addresses[total + index])
            if version is not None:
                completed.append(f"{label}: the handshake completed with {version}")
    if completed:
        raise ConformanceFailure.evidence(
            f"PKI-TLS-1: max_connections ({total}) connections established, then a "
            "ClientHello offering only TLS 1.2 from another address",
            "the handshake refused: the responder never negotiates TLS 1.2 or lower, on its "
            "refusal path included",
            "; ".join(completed),
            note="the busy refusal's TLS context has no TLS 1.3 floor",
        )
