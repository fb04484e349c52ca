"""sft-pki/1: what the responder checks at start it still checks after a CRL refresh.

PKI-CERT-7: the responder "MUST load the CRL at start and SHOULD refetch it periodically".
A refetch has to reach the TLS layer, so a responder rebuilds (or reconfigures) its TLS
context with the new CRL — and the reload path is code that runs for the first time
`crl_refresh` seconds after start, which a suite that judges a responder in its first
seconds never reaches. A reload written apart from the start-up path drops what the
start-up path set: the CRL check itself (every revoked certificate accepted from the first
refresh on: fail open), the TLS 1.3 floor (the library's default minimum lets TLS 1.2
through), the client-certificate requirement.

Each case waits until the responder has refreshed its CRL at least once (two declared
`crl_refresh` intervals plus 1 s: only when the target declares an interval of 10 s or
less, as the embedded reference does) and then checks one thing the start-up context
enforced: a certificate the CRL lists is refused (PKI-CERT-7), a TLS 1.2 ClientHello is
refused (PKI-TLS-1), a client without a certificate is refused (PKI-TLS-3). The three cases
share one wait when they run one after another on one responder (one xdist group; a
module-scoped fixture forgets the wait whenever another module's case runs in between, so
a restart elsewhere is never taken for a refresh).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, suite_identity
from conformance.pki_channel import (
    PkiChannel,
    client_context,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.test_pki_certs import _close_bound, _request_name, _revoked_identities
from conformance.wire import ConformanceFailure
from conformance.x509 import pem_decode, read_certificate

__all__: list[str] = []

pytestmark = [pytest.mark.xdist_group("pki-crl-refresh")]

_MAX_INTERVAL = 10.0


def _after_a_refresh(target: Target) -> str:
    """Waits until the responder has refetched its CRL at least once; says so."""
    interval = target.limits.crl_refresh
    if interval > _MAX_INTERVAL:
        pytest.skip(
            f"the declared crl_refresh ({interval:g} s) is above {_MAX_INTERVAL:g} s: "
            "too long to wait for a refresh"
        )
    wait = 2 * interval + 1.0
    time.sleep(wait)  # the responder's own timer, declared: nothing to poll for
    return f"after {wait:g} s (two declared CRL refresh intervals of {interval:g} s, + 1 s)"


# What `_after_a_refresh` said for a responder (host, port, pid), while this module's
# cases run one after another: its refresh stands for the next case of the run.
_WAITED: dict[tuple[str, int, int | None], str] = {}


@pytest.fixture(scope="module", autouse=True)
def _one_wait_per_run() -> Iterator[None]:
    """Forgets the waits when the module's run of cases starts and ends (pytest tears a
    module fixture down before another module's case: no restart can come in between)."""
    _WAITED.clear()
    yield
    _WAITED.clear()


def _after_a_refresh_once(target: Target) -> str:
    """`_after_a_refresh`, once per run of this module's cases on one responder."""
    key = (target.host, target.port, target.pid)
    if key not in _WAITED:
        _WAITED[key] = _after_a_refresh(target)
    return _WAITED[key]


@pytest.mark.req("PKI-CERT-7")
def test_revoked_certificates_stay_refused_after_a_crl_refresh(
    pki_target: Target, transcripts: TranscriptBook
) -> None:
    revoked = _revoked_identities(pki_target)
    assert pki_target.root is not None
    when = _after_a_refresh_once(pki_target)
    accepted: list[str] = []
    for name, (cert, key) in revoked.items():
        info = read_certificate(pem_decode(cert.read_text()))
        result = connect_pki(
            pki_target.host,
            pki_target.port,
            client_context(pki_target.root, cert, key),
            name=f"{name} {when}",
        )
        transcripts.add(result if isinstance(result, PkiChannel) else result.transcript)
        try:
            judge_responder_refusal(
                result,
                f"revoked identity {name!r} (CN {info.common_name}) {when}",
                request_name=_request_name(pki_target),
                close_within=_close_bound(pki_target),
            )
        except ConformanceFailure as exc:
            accepted.append(str(exc))
        finally:
            if isinstance(result, PkiChannel):
                result.close()
    if accepted:
        raise ConformanceFailure(
            "PKI-CERT-7: a certificate the CRL lists (since before the responder started) "
            "was accepted once the responder had refreshed its CRL — the refreshed TLS "
            "context checks no CRL:\n" + "\n".join(accepted),
            violates=("PKI-CERT-7",),
        )


@pytest.mark.req("PKI-TLS-1")
def test_tls12_stays_refused_after_a_crl_refresh(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    assert pki_target.root is not None
    cert, key = suite_identity(pki_target, tmp_path)
    try:
        ctx = client_context(pki_target.root, cert, key, max_version=ssl.TLSVersion.TLSv1_2)
    except ssl.SSLError:
        pytest.skip("this OpenSSL cannot offer TLS 1.2")
    when = _after_a_refresh_once(pki_target)
    result = connect_pki(pki_target.host, pki_target.port, ctx, name=f"TLS 1.2 {when}")
    if isinstance(result, PkiChannel):
        transcripts.add(result)
        version = result.peer.version
        result.close()
        raise ConformanceFailure.evidence(
            f"PKI-TLS-1: a ClientHello offering only TLS 1.2, with a valid employee "
            f"certificate, {when}",
            "the handshake refused: the responder never negotiates TLS 1.2 or lower",
            f"the handshake completed with {version}",
            note="the TLS context built when the CRL was refreshed has no TLS 1.3 floor",
        )
    transcripts.add(result.transcript)


@pytest.mark.req("PKI-TLS-3")
def test_client_certificate_stays_required_after_a_crl_refresh(
    pki_target: Target, transcripts: TranscriptBook
) -> None:
    assert pki_target.root is not None
    when = _after_a_refresh_once(pki_target)
    result = connect_pki(
        pki_target.host,
        pki_target.port,
        client_context(pki_target.root),
        name=f"no certificate {when}",
    )
    transcripts.add(result if isinstance(result, PkiChannel) else result.transcript)
    try:
        judge_responder_refusal(
            result,
            f"a client without a certificate {when}",
            request_name=_request_name(pki_target),
            close_within=_close_bound(pki_target),
        )
    except ConformanceFailure as exc:
        exc.violates = ("PKI-TLS-3",)
        raise
    finally:
        if isinstance(result, PkiChannel):
            result.close()
