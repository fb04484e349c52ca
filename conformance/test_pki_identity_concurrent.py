"""sft-pki/1 authorisation with two connections at once (docs/SPEC.md PKI-ID-2, PKI-ID-3).

Each connection is authorised by the certificate that opened IT. A responder that keeps
"the current peer" where every connection's thread sees it (a global, an attribute of
the listener, the last handshake's or the last request's alias) and asks the allow list
about that, serves an employee off the allow list whenever an allowed one has connected
or asked since. One case, two connections interleaved: the outsider's handshake, the
allowed employee's handshake and request, then the outsider's request — which must be
answered `forbidden` and closed, whatever happened on the other connection (or the
outsider refused right after its handshake, as PKI-ID-3 lets a responder do).

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki, suite_identity
from conformance.pki_channel import HandshakeRefused, PkiChannel, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame


@pytest.mark.req("PKI-ID-3", "PKI-ID-2")
def test_outsider_is_refused_while_an_allowed_employee_is_connected(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    outsider_alias = f"sft-outsider-{secrets.token_hex(4)}"
    cert, key = lab_pki(target).employee(outsider_alias).write(tmp_path, "outsider")
    suite_cert, suite_key = suite_identity(target, tmp_path)
    outsider = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=outsider_alias
    )
    if isinstance(outsider, HandshakeRefused):
        transcripts.add(outsider.transcript)
        return  # refusing the handshake is stricter than required, and allowed
    transcripts.add(outsider)
    allowed: PkiChannel | None = None
    try:
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, suite_cert, suite_key),
            name="allowed employee",
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            pytest.skip(f"the suite's own identity was refused: {result.describe()}")
        allowed = result
        transcripts.add(allowed)
        # A request of the allowed employee (for a name the share does not hold: a short,
        # non-fatal answer) after the outsider's handshake and before its request.
        missing = fresh_name("sft-not-there")
        allowed.send_frame("RQFL", {"name": missing})
        served = allowed.expect([ExpectError("not_found", then_close=False), ExpectFrame("RSFL")])
        if not served.ok:
            pytest.skip(
                f"the allowed employee's request was not answered as expected "
                f"({served.describe()}): nothing to compare the outsider's answer with"
            )
        name = target.files[0].name if target.files else "hello.txt"
        outsider.send_frame("RQFL", {"name": name})
        # PKI-ID-3: forbidden then the close — or the outsider refused right after its
        # handshake, as a certificate is (PKI-TLS-10: EROR auth_failed, or the close).
        outcome = outsider.expect(
            [ExpectError("forbidden", then_close=True), ExpectError("auth_failed"), ExpectClose()]
        )
        if not outcome.ok:
            frame = served.frame
            answered = frame.describe(80) if frame is not None else "no frame"
            raise ConformanceFailure(
                f"PKI-ID-3: {outsider_alias!r} (not on the allow list) connected first; then "
                f"the allowed employee connected and asked for {missing!r} (answered "
                f"{answered}); then the outsider asked for {name!r}: the responder judged "
                "it by another connection's certificate\n" + outcome.describe()
            )
    finally:
        outsider.close()
        if allowed is not None:
            allowed.close()
