"""Profile pki-legacy: two requesters at the same responder at once (§7.1.3).

The responder serves one connection per requester, "one thread per connection": each
session's RSFL pieces are `OAEP(requester public key, piece)` under the key of the
certificate THAT connection's SECE carried (LEG-PKI-FMT-6). test_legacy_pki0.py's cases
run one session at a time, so a responder that keeps the requester's key where every
connection sees it (a field of the server object, a module-level variable) passes them:
the latest SECE's key is still the right one. Here two sessions overlap — A's SECE, B's
SECE, then A's RQFL, then B's — and each must get pieces it can decrypt.
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _second_identity(target: LegacyPkiTarget, first: SuiteIdentity) -> tuple[RSA.RsaKey, bytes]:
    """A second certificate the responder accepts, for another key: enrolled at the CA
    like the first, or minted under the root in lab mode."""
    key = pki0.suite_key(8)
    if target.enroll and target.ca_url and target.root:
        alias, password = target.enroll
        public_pem = key.public_key().export_key("PEM") + b"\n"
        status, answer = pki0.post_verify(
            target.ca_url, pki0.verify_body(target.root.read_bytes(), alias, password, public_pem)
        )
        try:
            if status == 200 and der.read_certificate(answer).public_key == key.public_key():
                return key, answer
        except ValueError:
            pass
    if target.ca_key and target.root:
        now = datetime.datetime.now(datetime.UTC)
        pem = der.mint_under_root(
            target.root.read_bytes(),
            RSA.import_key(target.ca_key.read_bytes()),
            first.alias,
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
        )
        return key, pem
    pytest.skip(
        "needs a second identity: --enroll at a CA that certifies a second key, or --ca-key"
    )


def _open(target: LegacyPkiTarget, certificate: bytes, who: str) -> tuple[LegacyStream, bytes]:
    """SECE on a new connection; returns the stream and the RSCV certificate's key."""
    stream = LegacyStream(target.host, target.port, 10.0)
    stream.send(pki0.frame(b"SECE", certificate))
    try:
        answer = pki0.read_frame(stream, lenient=[])
    except (Closed, TimedOut, ValueError) as exc:
        stream.close()
        pytest.skip(f"not judged: {who}'s SECE got {exc!r} (the format cases say how)")
    if answer.type != b"RSCV":
        stream.close()
        pytest.skip(f"not judged: {who}'s SECE was answered {answer.type!r}, not RSCV")
    try:
        return stream, der.read_certificate_leniently(answer.payload).public_key.export_key("DER")
    except ValueError:
        stream.close()
        pytest.skip("not judged: RSCV carries no certificate (LEG-PKI-FMT-4's case says how)")


# How long a silent, open connection is waited for after a piece (as test_legacy_pki0.py's
# PATIENCE): a responder that then neither sends nor closes has sent what it will.
PATIENCE = 3.0


def _fetch(stream: LegacyStream, responder_der: bytes, name: str) -> list[bytes]:
    """RQFL for `name`, then every RSFL payload until the close (or PATIENCE of silence:
    LEG-PKI-FMT-6's own case reports a responder that does not close)."""
    responder = RSA.import_key(responder_der)
    stream.send(pki0.frame(b"RQFL", pki0.oaep_encrypt(responder, name.encode())))
    payloads = []
    for _ in range(1 << 16):
        try:
            received = pki0.read_frame(stream, PATIENCE, lenient=[])
        except (Closed, TimedOut, ValueError):
            break
        if received.type == b"RSFL":
            payloads.append(received.payload)
    return payloads


def _readable(key: RSA.RsaKey, payloads: list[bytes]) -> bytes | None:
    try:
        return b"".join(pki0.oaep_decrypt(key, p) for p in payloads)
    except ValueError:
        return None


def _known(target: LegacyPkiTarget) -> tuple[str, KnownContent]:
    if target.known_file is None:
        pytest.skip(
            "needs a file known to be in the responder's share ([files] in the target file)"
        )
    return target.known_file.name, target.known_file


@pytest.mark.req("LEG-PKI-FMT-6")
def test_overlapping_sessions_each_get_pieces_for_their_own_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    if content.size == 0:
        pytest.skip("needs a non-empty known file")
    key_b, cert_b = _second_identity(pki_legacy, suite_identity)
    key_a = suite_identity.key
    stream_a, responder_a = _open(pki_legacy, suite_identity.certificate_pem, "A")
    try:
        stream_b, responder_b = _open(pki_legacy, cert_b, "B")
        try:
            pieces_a = _fetch(stream_a, responder_a, name)
            pieces_b = _fetch(stream_b, responder_b, name)
        finally:
            stream_b.close()
    finally:
        stream_a.close()
    wrong = []
    for who, key, other, pieces in (("A", key_a, key_b, pieces_a), ("B", key_b, key_a, pieces_b)):
        if not pieces:
            pytest.skip(f"not judged: requester {who} got no RSFL (the format cases say why)")
        if _readable(key, pieces) is not None:
            continue
        under_other = _readable(other, pieces) is not None
        wrong.append(
            f"requester {who}'s {len(pieces)} RSFL pieces do not decrypt under its own key"
            + (
                " but do under the OTHER requester's (the key of the latest SECE)"
                if under_other
                else ""
            )
        )
    if wrong:
        _fail(
            "LEG-PKI-FMT-6 (each RSFL is OAEP(requester public key, piece), the key of this "
            "connection's SECE)",
            f"two requesters, SECE A, SECE B, RQFL A for {name!r}, RQFL B: " + "; ".join(wrong),
        )
