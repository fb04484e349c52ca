"""PKI-ID-4 on the responder's allow list: byte-exact, no host-name style normalisation.

An alias may contain dots (PKI-CERT-2), so `suite.` is a valid alias distinct from
`suite`. A responder that compares its allow list the way the CA compares host names
(ignoring one trailing dot, CA-ENR-17), or trims separators, serves `suite.` as `suite`.
The case mints a valid employee certificate whose CN is an allowed alias (the one the
responder serves the suite under) followed by dots: every request on it MUST be answered
`forbidden` (PKI-ID-3), or its handshake refused; never served.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki
from conformance.pki_channel import HandshakeRefused, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_pki_certs import _close_bound, _request_name, _suite_alias
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError

_SUFFIXES = {"one-dot": ".", "two-dots": ".."}


@pytest.mark.req("PKI-ID-4", "PKI-ID-3")
@pytest.mark.parametrize("suffix", list(_SUFFIXES), ids=list(_SUFFIXES))
def test_allowed_alias_with_trailing_dots_is_not_allowed(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, suffix: str
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    allowed = _suite_alias(target, tmp_path)
    alias = allowed + _SUFFIXES[suffix]
    if len(alias) > 64:
        pytest.skip(f"{alias!r} is longer than an alias may be (PKI-CERT-2)")
    cert, key = lab_pki(target).employee(alias).write(tmp_path, f"dotted-{suffix}")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=alias
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refused outright: stricter than required, and allowed
    transcripts.add(result)
    try:
        result.close_within = _close_bound(target)
        name = _request_name(target)
        result.send_frame("RQFL", {"name": name})
        # forbidden, or refused right after the handshake as a certificate is (PKI-ID-3:
        # auth_failed, or close_notify and the close without an EROR, PKI-TLS-10)
        outcome = result.expect(
            [ExpectError("forbidden"), ExpectError("auth_failed"), ExpectClose()]
        )
        if not outcome.ok:
            raise ConformanceFailure(
                f"PKI-ID-4: a valid employee certificate with CN {alias!r} — the allowed "
                f"alias {allowed!r} followed by {_SUFFIXES[suffix]!r}, another alias "
                "(PKI-CERT-2 allows dots) — asked for "
                f"{name!r}: expected EROR forbidden (not on the allow list), got "
                f"{outcome.actual.describe()}. The allow list must compare aliases byte "
                "for byte: no trailing dot dropped, nothing trimmed",
                violates=("PKI-ID-4",),
            )
    finally:
        result.close()
