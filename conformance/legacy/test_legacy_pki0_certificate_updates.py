"""Profile pki-legacy: the certificate checked is the certificate used (§7.1.3).

A session is one `SECE`, the responder's `RSCV` or `RSCI`, one `RQFL`, and the `RSFL`
pieces sealed to the key of the certificate the responder checked (LEG-PKI-FMT-4: RSCV
only "when the SECE certificate carries a valid signature of the organisation root",
otherwise RSCI and a close). A responder that reads frames in a loop by type can take a
second `SECE` after its `RSCV` as a "certificate update" — checked once at the start,
never again — and seal the file to whatever key the new one carries: anyone who has seen
a colleague's certificate (it travels in clear, LEG-PKI-1) presents it, then a certificate
of their own, unsigned, and reads the file. The seed reads the frame after `RSCV` as the
request: a second `SECE` is no `RQFL` it can decrypt, and the session ends. Here, after
the `RSCV` to the suite's own certificate, a second `SECE` follows in the same write as
the `RQFL` of a file of the share, the second certificate signed by a key that is not the
root's — once a forgery of the suite's own alias under the root's full issuer name, once
a self-signed certificate of another alias. Whatever the responder does with it (a
close, RSCI, pieces sealed to the suite's checked key), no `RSFL` piece may be sealed to
the unsigned certificate's key.
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # a responder that neither sends nor closes after the request


def _second(root_pem: bytes, alias: str, key: RSA.RsaKey, forged: bool) -> bytes:
    """A certificate for `key` that the root did not sign: `forged`, CN = `alias` under the
    root's full issuer name, signed by `key`; else self-signed with CN = `alias`."""
    now = datetime.datetime.now(datetime.UTC)
    before, after = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    if forged:
        return der.mint_under_root(root_pem, key, alias, key, not_before=before, not_after=after)
    return der.mint_certificate(alias, key, alias, key, not_before=before, not_after=after)


def _pieces_after_update(
    target: LegacyPkiTarget, identity: SuiteIdentity, second_pem: bytes, name: str
) -> tuple[str, list[bytes]]:
    """SECE (the suite's certificate); after RSCV, SECE (`second_pem`) and RQFL in one
    write; then every frame until the close. ('' or why the session was not judged, the
    RSFL payloads)."""
    payloads: list[bytes] = []
    with LegacyStream(target.host, target.port, 10.0) as stream:
        stream.send(pki0.frame(b"SECE", identity.certificate_pem))
        try:
            answer = pki0.read_frame(stream, lenient=[])
        except (ConnectionError, TimedOut, ValueError) as exc:
            return f"the suite's SECE got {exc!r}", payloads
        if answer.type != b"RSCV":
            return f"the suite's SECE was answered {answer.type!r}", payloads
        try:
            responder = der.read_certificate_leniently(answer.payload)
        except ValueError:
            return "RSCV carries no certificate the suite can read", payloads
        rqfl = pki0.oaep_encrypt(responder.public_key, name.encode())
        try:
            stream.send(pki0.frame(b"SECE", second_pem) + pki0.frame(b"RQFL", rqfl))
        except ConnectionError:
            return "", payloads  # closed at once: nothing served
        for _ in range(10_000):  # bounded: a file of the share, 100 bytes a piece
            try:
                received = pki0.read_frame(stream, PATIENCE, lenient=[])
            except (ConnectionError, TimedOut, ValueError):
                break
            if received.type == b"RSFL":
                payloads.append(received.payload)
    return "", payloads


def _opens(key: RSA.RsaKey, payload: bytes) -> bool:
    try:
        pki0.oaep_decrypt(key, payload)
    except ValueError:
        return False
    return True


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_second_sece_is_no_certificate_update(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, root_pem: bytes
) -> None:
    known = pki_legacy.known_file
    if known is None:
        pytest.skip("needs a file of the share: target.toml [files]")
    intruder = pki0.suite_key(6)
    wrong = []
    for forged, what in (
        (True, f"a forgery of CN={suite_identity.alias!r} under the root's issuer name"),
        (False, "a self-signed certificate of CN='mallory'"),
    ):
        alias = suite_identity.alias if forged else "mallory"
        second = _second(root_pem, alias, intruder, forged)
        stopped, payloads = _pieces_after_update(pki_legacy, suite_identity, second, known.name)
        if stopped:
            pytest.skip(f"not judged: {stopped} (the format cases say how)")
        sealed = [i for i, p in enumerate(payloads) if _opens(intruder, p)]
        if sealed:
            content = b"".join(pki0.oaep_decrypt(intruder, payloads[i]) for i in sealed)
            shown = (
                f"the content of {known.name!r} ({known.size} bytes)"
                if known.matches(content)
                else f"{len(content)} bytes starting {content[:24]!r}"
            )
            wrong.append(
                f"after RSCV to the suite's certificate ({suite_identity.how}), a second "
                f"SECE with {what}, signed by a key that is not the root's, then RQFL "
                f"{known.name!r}: {len(sealed)} of {len(payloads)} RSFL pieces open with "
                f"that certificate's key ({shown})"
            )
    assert not wrong, (
        "LEG-PKI-FMT-4 (the responder answers RSCV only to a SECE certificate the root "
        "signed, otherwise RSCI and a close; the file is sealed to the checked "
        "certificate's key) violated: " + "; ".join(wrong)
    )
