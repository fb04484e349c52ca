"""PKI-TLS-8 (no TLS key log, whatever SSLKEYLOGFILE says) and PKI-CERT-1's key types and
KeyUsage as the CA issues them (digitalSignature only, P-256 only), without a network
beyond a local socket pair."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reference.pki import ca as ca_module
from reference.pki.tls import (
    Identity,
    client_context,
    https_client_context,
    https_server_context,
    server_context,
)


def _identity(directory: Path, alias: str, kind: str = "ec") -> tuple[Identity, bytes]:
    """A root, one employee certificate (`kind` key) for `alias` and an empty CRL, as files."""
    root_key = ca_module.generate_key()
    root = ca_module.make_root(root_key, "sft test org")
    key = ca_module.generate_key(kind)
    cert = ca_module.issue_employee(root_key, root, alias, key.public_key())
    crl = ca_module.make_crl(root_key, root, []).public_bytes(serialization.Encoding.DER)
    directory.mkdir()
    pem = serialization.Encoding.PEM
    (directory / "key.pem").write_bytes(ca_module.private_key_pem(key))
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    (directory / "root.pem").write_bytes(root.public_bytes(pem))
    return Identity(directory), crl


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_sslkeylogfile_is_not_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """[PKI-TLS-8]: with SSLKEYLOGFILE set, every context the reference builds has no key
    log, and a full mutual-TLS handshake between them writes no file. With an RSA key it
    also shows that a certificate without keyEncipherment (PKI-CERT-1) serves TLS 1.3."""
    keylog = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    # The guard that makes this test able to fail: Python's default context honours it.
    if ssl.create_default_context().keylog_filename != str(keylog):
        pytest.skip("this Python does not honour SSLKEYLOGFILE (ignore_environment?)")
    keylog.unlink(missing_ok=True)
    identity, crl = _identity(tmp_path / "id", "alice", kind)
    server = server_context(identity, crl)
    client = client_context(identity, crl)
    contexts = [
        server,
        client,
        https_server_context(identity.cert, identity.key),
        https_client_context(identity.root.read_bytes()),
    ]
    assert [c.keylog_filename for c in contexts] == [None] * len(contexts)

    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with server.wrap_socket(right, server_side=True) as tls:
                tls.sendall(b"ok")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with client.wrap_socket(left, server_hostname=None) as tls:
        assert tls.version() == "TLSv1.3"
        assert tls.recv(2) == b"ok"
    thread.join(10)
    assert not thread.is_alive() and not errors, errors
    assert not keylog.exists(), "TLS secrets were written to $SSLKEYLOGFILE"


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_employee_key_usage_is_digital_signature_only(kind: str) -> None:
    """[PKI-CERT-1]: KeyUsage digitalSignature (critical) and nothing else, RSA included:
    TLS 1.3 signs with RSA-PSS and never encrypts a key to the certificate."""
    root_key = ca_module.generate_key()
    root = ca_module.make_root(root_key, "sft test org")
    key = ca_module.generate_key(kind)
    cert = ca_module.issue_employee(root_key, root, "alice", key.public_key())
    extension = cert.extensions.get_extension_for_class(x509.KeyUsage)
    usage = _key_usage(cert)
    assert extension.critical
    assert usage.digital_signature
    assert not (
        usage.key_encipherment
        or usage.content_commitment
        or usage.data_encipherment
        or usage.key_agreement
        or usage.key_cert_sign
        or usage.crl_sign
    )


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: ec.generate_private_key(ec.SECP521R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),  # noqa: S505
    ],
    ids=["p384", "p521", "rsa1024"],
)
def test_ca_issues_only_the_keys_of_pki_cert_1(make_key: object) -> None:
    root_key = ca_module.generate_key()
    root = ca_module.make_root(root_key, "sft test org")
    assert callable(make_key)
    with pytest.raises(ca_module.CaError):
        ca_module.issue_employee(root_key, root, "alice", make_key().public_key())
