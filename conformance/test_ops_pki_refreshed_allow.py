"""sft-pki/1: the allow list still holds after the responder refreshes its CRL (PKI-ID-3).

PKI-ID-3: "A responder configured with an allow list MUST answer every request of an
initiator not on it with `EROR forbidden` and then close ... it MUST NOT serve it." A CRL
refetch (PKI-CERT-7) makes the responder rebuild or reconfigure its TLS layer, code that
first runs `crl_refresh` seconds after start. test_ops_pki_refreshed_context.py checks that
the rebuilt layer still checks the CRL, the TLS 1.3 floor and the client certificate; an
allow list enforced in that layer (a verification callback, a Go tls.Config's
VerifyPeerCertificate closure, a value kept on the context) is lost the same way, and then
every employee is served from the first refresh on — by a responder that refuses
strangers perfectly in its first seconds, when every other allow-list case judges it.

The case mints a certificate of a fresh alias not on the list (lab mode) and probes the
responder with it over two declared CRL refresh intervals plus 1 s (only when the target
declares an interval of 10 s or less, as the embedded reference does): every 0.5 s a
connection asks for a missing name (`RQFL`) and, on another connection, offers a 4-byte
put (`PUTF`). Each MUST be refused — `EROR forbidden`, `auth_failed`, or the handshake
refused or the connection closed (PKI-ID-3, PKI-TLS-10) — on every probe, before and after
the refresh. `not_found` or a put accepted is a stranger served.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_certs import _close_bound
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError

__all__: list[str] = []

pytestmark = [pytest.mark.xdist_group("pki-crl-refresh")]

_MAX_INTERVAL: Final = 10.0
_PROBE_EVERY: Final = 0.5  # seconds between two probes
_MAX_PROBES: Final = 60


def _probe(
    target: Target, transcripts: TranscriptBook, cert: Path, key: Path, frame: str
) -> tuple[bool, str]:
    """(refused, what happened) for one request of the stranger on a fresh connection."""
    assert target.root is not None
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=frame
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return True, f"handshake refused: {result.reason}"
    transcripts.add(result)
    try:
        result.close_within = _close_bound(target)
        name = fresh_name("sft-refreshed-allow")
        if frame == "RQFL":
            result.send_frame("RQFL", {"name": name})
        else:
            result.send_frame("PUTF", {"name": name, "size": 4})
        outcome = result.expect(
            [ExpectError("forbidden"), ExpectError("auth_failed"), ExpectClose()]
        )
        return outcome.ok, outcome.actual.describe()
    finally:
        result.close()


@pytest.mark.req("PKI-ID-3")
def test_a_stranger_stays_refused_across_a_crl_refresh(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    target = pki_target
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.allow:
        pytest.skip("the target does not declare its allow list (`allow` in [pki])")
    interval = target.limits.crl_refresh
    if interval > _MAX_INTERVAL:
        pytest.skip(
            f"the declared crl_refresh ({interval:g} s) is above {_MAX_INTERVAL:g} s: "
            "too long to wait for a refresh"
        )
    stranger = f"sft-stranger-{uuid.uuid4().hex[:12]}"
    cert, key = lab_pki(target).employee(stranger).write(tmp_path, "stranger")
    window = 2 * interval + 1.0
    start = time.monotonic()
    served: list[str] = []
    probes = 0
    while probes < _MAX_PROBES:
        elapsed = time.monotonic() - start
        for frame in ("RQFL", "PUTF"):
            refused, seen = _probe(target, transcripts, cert, key, frame)
            if not refused:
                served.append(f"{frame} at {elapsed:.1f} s: {seen}")
        probes += 1
        if served or elapsed >= window:
            break
        time.sleep(_PROBE_EVERY)  # spacing the probes over the declared refresh timer
    if served:
        raise ConformanceFailure(
            f"PKI-ID-3: allow list {list(target.allow)}; a valid certificate of {stranger!r} "
            f"(not on it) probed the responder every {_PROBE_EVERY:g} s over {window:g} s "
            f"(two declared CRL refresh intervals of {interval:g} s, + 1 s). Expected every "
            "request refused (EROR forbidden, auth_failed, or the close). Got:\n"
            + "\n".join(served),
            violates=("PKI-ID-3",),
        )
