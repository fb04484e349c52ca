"""sft-pki/1: an honest initiator is still served the same way after a CRL refresh
(docs/SPEC.md §4.1 PKI-TLS-1/2, §4.2 PKI-CERT-7).

conformance/test_ops_pki_refreshed_context.py checks that a context rebuilt at a CRL
refresh still REFUSES what the start-up context refused (revoked certificates, TLS 1.2, no
client certificate). This is the other half of the class: the rebuilt context must still
offer what the start-up context offered an honest initiator. A reload written apart from
the start-up path that forgets a setting refuses, or changes, every connection from the
first refresh on — the ALPN protocol (no `sft-pki/1` selected: every initiator refused,
PKI-TLS-2), the TLS 1.3 parameters, the responder's own certificate. Before the refresh
the honest connection is taken as the baseline (same identity, same request); after it
(two declared `crl_refresh` intervals plus 1 s, only when the target declares 10 s or
less) the handshake must complete with TLS 1.3 and ALPN `sft-pki/1`, and a request be
answered as before.
Fixtures (conformance/plugin.py): `pki_target`, `transcripts`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, suite_identity
from conformance.pki_channel import ALPN, PkiChannel, client_context, connect_pki
from conformance.target import Target
from conformance.test_ops_pki_refreshed_context import _after_a_refresh
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []


def _honest_session(
    target: Target, cert: Path, key: Path, name: str, transcripts: TranscriptBook
) -> tuple[str, str]:
    """(problem or "", what was seen) for one honest connection and one request."""
    assert target.root is not None
    ctx = client_context(target.root, cert, key)
    result = connect_pki(target.host, target.port, ctx, name=name)
    transcripts.add(result if isinstance(result, PkiChannel) else result.transcript)
    if not isinstance(result, PkiChannel):
        return f"the TLS handshake failed: {result.describe()}", ""
    try:
        peer = result.peer
        seen = f"{peer.version}, ALPN {peer.alpn!r}, responder CN {peer.peer_cn!r}"
        if peer.version != "TLSv1.3" or peer.alpn != ALPN:
            return f"the handshake completed with {seen}", seen
        request = fresh_name("sft-b16-refresh")
        result.send_frame("RQFL", {"name": request})
        outcome = result.expect([ExpectError("not_found", "forbidden")])
        if not outcome.ok:
            return f"RQFL {request!r} (no such file): {outcome.describe()}", seen
        return "", seen
    finally:
        result.close()


@pytest.mark.req("PKI-TLS-2", "PKI-TLS-1")
def test_an_honest_initiator_is_served_alike_after_a_crl_refresh(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    assert pki_target.root is not None
    cert, key = suite_identity(pki_target, tmp_path)
    when = _after_a_refresh(pki_target)
    problem, _ = _honest_session(pki_target, cert, key, f"honest, {when}", transcripts)
    if problem:
        raise ConformanceFailure.evidence(
            f"PKI-TLS-2: an honest initiator (valid employee certificate, ALPN {ALPN!r}, "
            f"TLS 1.3) {when}",
            f"the handshake completes with TLS 1.3 and ALPN {ALPN!r} selected, and the "
            "request is answered (not_found), as at start",
            problem,
            note="the TLS context rebuilt at the CRL refresh lost a setting of the start-up "
            "context",
        )
