"""Profile pki-legacy: the certificate the responder checks is the one it seals for (§7.1.3).

`SECE` carries the requester's PEM certificate; the responder checks the root's
signature on it and answers RSCV, then seals every piece for ITS key (LEG-PKI-FMT-4,
LEG-PKI-FMT-6). The check and the use must read the same certificate, and a SECE can
offer more than one to read:
- several PEM blocks (a requester that sends its chain, or an attacker who appends his
  own): the seed's PEM loader reads the first. A responder whose check reads one block
  (the first) and whose key comes from another (the last: "the leaf comes last" of some
  tools; the second; a loop over the blocks that keeps the last key) serves the file to
  a key the root never certified. test_legacy_pki0_responder.py sends a forged block
  BEFORE the valid one; here the valid one comes first and forged ones after it (one, or
  two, so that "the second" and "the last" differ);
- other encodings of a forged certificate — DER, without PEM armour; PEM under the older
  labels `X509 CERTIFICATE` and `TRUSTED CERTIFICATE`, which OpenSSL's loaders also
  read: a responder that checks "every PEM block of SECE" (`every`/`all` over a list that
  a regex for `BEGIN CERTIFICATE` left empty, which is true) or that checks only what its
  PEM reader found, and parses the certificate with a more lenient loader, answers RSCV
  to a certificate nobody checked. Each MUST get no RSCV (RSCI and a close, a close, or
  silence).
"""

from __future__ import annotations

import datetime

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import TimedOut, hexdump
from conformance.legacy.test_legacy_pki0 import _known

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # how long an answer is waited for where only RSCV (or the file) is a finding


def _forged(alias: str, key: RSA.RsaKey, root_pem: bytes) -> bytes:
    """A PEM certificate for `alias` naming the root as issuer (its whole DN), signed by
    `key` itself: the root's key does not verify it."""
    root = der.read_certificate(root_pem)
    now = datetime.datetime.now(datetime.UTC)
    return der.mint_certificate(
        alias,
        key,
        root.subject_cn,
        key,
        not_before=now - datetime.timedelta(minutes=5),
        not_after=now + datetime.timedelta(days=1),
        issuer_name=root.subject_name,
    )


def _session(
    target: LegacyPkiTarget, payload: bytes, key: RSA.RsaKey | None, name: str | None
) -> pki0.PkiSession | None:
    try:
        return pki0.run_session(
            target.host, target.port, payload, key, name, timeout=PATIENCE, patience=PATIENCE
        )
    except (TimedOut, OSError):
        return None  # no answer at all: no RSCV, nothing served


@pytest.mark.req("LEG-PKI-FMT-6")
def test_a_sece_of_several_blocks_is_served_to_the_checked_ones_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, root_pem: bytes
) -> None:
    name, content = _known(pki_legacy)
    first_forged, second_forged = pki0.suite_key(1), pki0.suite_key(3)
    alias = suite_identity.alias
    a = _forged(alias, first_forged, root_pem)
    b = _forged(alias, second_forged, root_pem)
    valid = suite_identity.certificate_pem
    wrong = []
    for what, payload in (
        ("the suite's valid certificate, then a forged one", valid + a),
        ("the suite's valid certificate, then two forged ones", valid + a + b),
    ):
        session = _session(pki_legacy, payload, suite_identity.key, name)
        if session is None or session.answer is None or session.answer.type != b"RSCV":
            continue  # refused (a SECE of several blocks is not the format's): not judged
        if not session.undecryptable:
            continue  # sealed for the checked (first, valid) certificate, or nothing sent
        sealed_for = []
        forged_keys = (("the first forged", first_forged), ("the second forged", second_forged))
        for label, forged_key in forged_keys:
            opened = []
            for index in session.undecryptable:
                try:
                    opened.append(pki0.oaep_decrypt(forged_key, session.rsfl_payloads[index]))
                except ValueError:
                    continue
            if opened:
                shown = b"".join(opened)
                shows = "the file" if content.matches(shown) else f"starting {hexdump(shown, 8)}"
                sealed_for.append(
                    f"{len(opened)} of {len(session.rsfl_payloads)} pieces sealed for {label} "
                    f"certificate's key ({len(shown)} bytes, {shows})"
                )
        if sealed_for:
            wrong.append(f"{what}: RSCV, then " + " and ".join(sealed_for))
    assert not wrong, (
        "LEG-PKI-FMT-6 (each piece is OAEP under the public key of the requester's "
        "certificate, the one the root's signature was checked on; the forged blocks carry "
        f"CN={alias!r} and the root's DN as issuer, signed by keys of the suite's): "
        + "; ".join(wrong)
    )


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_forged_certificate_in_another_encoding_gets_no_rscv(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, root_pem: bytes
) -> None:
    forged_key = pki0.suite_key(1)
    forged = _forged(suite_identity.alias, forged_key, root_pem)
    body = der.pem_to_der(forged)
    payloads = {
        "its DER, no PEM armour": body,
        "PEM under the label 'X509 CERTIFICATE'": der.der_to_pem(body, "X509 CERTIFICATE"),
        "PEM under the label 'TRUSTED CERTIFICATE'": der.der_to_pem(body, "TRUSTED CERTIFICATE"),
    }
    served = []
    for what, payload in payloads.items():
        session = _session(pki_legacy, payload, forged_key, None)
        if session is not None and session.answer is not None and session.answer.type == b"RSCV":
            served.append(f"{what} ({len(payload)} bytes, {payload[:20]!r}…): RSCV")
    assert not served, (
        "LEG-PKI-FMT-4 (RSCV only when the SECE certificate carries a valid signature of the "
        f"root): a certificate for {suite_identity.alias!r} with the root's DN as issuer but "
        "signed by another key (PEM, it gets RSCI), sent as " + "; ".join(served)
    )
