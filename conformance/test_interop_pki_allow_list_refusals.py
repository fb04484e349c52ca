"""An initiator off the allow list gets `forbidden` and the close for EVERY request, whatever
else is wrong with it (docs/SPEC.md PKI-ID-3), sft-pki/1 responder.

PKI-ID-3: "A responder configured with an allow list MUST answer every request of an
initiator not on it with `EROR forbidden` and then close." A responder runs a request's
other checks too — the name (§3.5), the size (APP-PUT-7), whether the name exists
(APP-PUT-3), whether put is enabled — and each of them has a non-fatal answer of its own
after which the connection stays open. Written in the wrong order ("authorise a request
once it is a valid one"), the allow list is asked only for requests that pass them all:
an outsider's put of a bad name gets the name's non-fatal `forbidden` and keeps its
connection, an oversized one `too_large`, one of an existing name `exists` — each tells
the outsider what the responder holds or allows, and none closes. conformance/
test_pki_identity.py sends a valid put and gets of a known, a missing and a bad name
(blind round 16: pki4's b16_put_checks_before_allow, name and size checked before the
allow list in put, passed it).

Here an employee certificate of a fresh alias the declared allow list does not hold
(lab mode: the suite mints it with the organisation root) sends, each on a new
connection, a `PUTF` that other checks would refuse: a name with a `..` component, a
size above the maximum file size, the name of a file already in the inbox (when the
inbox is known), and an empty name. Each MUST be answered `EROR forbidden` and then the
close (at once: ERR-3's bound); refusing the certificate in the handshake or right after
it (PKI-TLS-10) is stricter and allowed.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, lab_pki
from conformance.pki_channel import HandshakeRefused, client_context, close_bound, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ExpectClose, ExpectError

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

_OFFERS = ("dot-dot-name", "too-large", "existing-name", "empty-name")


def _offer(target: Target, kind: str) -> dict[str, object]:
    if kind == "dot-dot-name":
        return {"name": f"../{fresh_name('sft-outsider')}", "size": 5}
    if kind == "too-large":
        return {"name": fresh_name("sft-outsider"), "size": target.limits.max_file_size + 1}
    if kind == "empty-name":
        return {"name": "", "size": 5}
    assert target.inbox is not None
    name = fresh_name("sft-outsider-existing")
    (target.inbox / name).write_bytes(b"already in the inbox\n")
    return {
        "name": name,
        "size": 5,
        "sha256": hashlib.sha256(b"12345").hexdigest(),
    }


@pytest.mark.req("PKI-ID-3")
@pytest.mark.parametrize("kind", _OFFERS)
def test_outsiders_refused_put_is_forbidden_then_closed(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if not target.has("put"):
        unsupported("the target does not declare feature 'put'")
    if target.allow is None:
        pytest.skip("the target declares no `allow` list ([pki])")
    if kind == "existing-name" and target.inbox is None:
        pytest.skip("the target does not declare its inbox (`inbox` in the target file)")
    assert target.root is not None
    alias = f"outsider-{secrets.token_hex(4)}"
    assert alias not in target.allow
    cert, key = lab_pki(target).employee(alias).write(tmp_path, alias)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=alias
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refused in the handshake: stricter than required, and allowed
    transcripts.add(result)
    result.close_within = close_bound(target.limits.idle_timeout)
    offer = _offer(target, kind)
    try:
        result.send_frame("PUTF", offer)
        outcome = result.expect(
            # or refused right after the handshake, as a certificate is (PKI-ID-3, PKI-TLS-10)
            [ExpectError("forbidden", then_close=True), ExpectError("auth_failed"), ExpectClose()]
        )
    finally:
        result.close()
    outcome.check(
        f"PKI-ID-3: {alias!r}, not on the allow list {sorted(target.allow)}, offers a put "
        f"that other checks refuse too ({kind}: PUTF {offer}): every request of an initiator "
        "off the list is answered forbidden and then the close, before any other check"
    )
