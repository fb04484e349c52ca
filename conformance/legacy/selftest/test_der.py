"""The little X.509 of the legacy cases: what it mints, strict parsers accept."""

from __future__ import annotations

import datetime
import secrets

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der
from conformance.plugin import run_shared_bytes


@pytest.fixture(scope="module")
def key(pytestconfig: pytest.Config) -> RSA.RsaKey:
    # One key per run, shared by the xdist workers (~0.3-1.5 s of CPU each otherwise).
    pem = run_shared_bytes(
        pytestconfig, "legacy-der-rsa-2048.pem", lambda: bytes(RSA.generate(2048).export_key())
    )
    return RSA.import_key(pem)


def _serial(pem: bytes) -> bytes:
    _, cert, _ = der._read(der.pem_to_der(pem), 0)
    tbs = der._children(der._children(cert)[0][1])
    tag, body = tbs[1]  # after the explicit version
    assert tag == 0x02
    return body


@pytest.mark.parametrize("drawn", [0, 1, 0x7F, (1 << 62) - 1])
def test_the_serial_is_a_minimal_positive_der_integer(
    key: RSA.RsaKey, drawn: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A leading 0x00 octet before one below 0x80 is invalid DER: the legacy responder
    # (pyca/cryptography) refuses such a certificate, and a case meant to show a flaw
    # would pass for the wrong reason (1 certificate in 512 with the draw unbounded).
    monkeypatch.setattr(secrets, "randbits", lambda bits: drawn % (1 << bits))
    now = datetime.datetime.now(datetime.UTC)
    pem = der.mint_certificate(
        "suite", key, "root", key, not_before=now, not_after=now + datetime.timedelta(days=1)
    )
    serial = _serial(pem)
    assert len(serial) == 8 and 0x40 <= serial[0] < 0x80, serial.hex()
    info = der.read_certificate(pem)
    assert (info.subject_cn, info.issuer_cn) == ("suite", "root")
    assert info.signed_by(key)
