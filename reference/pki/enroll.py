"""Enrolment client and CA fetches (docs/SPEC.md §4.4).

The private key is generated here and never leaves this machine [CA-ENR-12]; only
the CSR (public key + proof of possession) and the password travel, inside TLS 1.3
to a CA whose certificate chains to the organisation root given by the user.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from reference.digits import ascii_digits, decimal_at_most
from reference.pki.tls import (
    CertificateRefused,
    Identity,
    check_crl,
    close_tls,
    https_client_context,
)
from reference.redact import quotes_password

__all__ = ["CaClient", "EnrollError", "enroll", "write_public"]


class EnrollError(Exception):
    """Enrolment or a CA fetch failed; the message is one line for a person."""


@dataclass(frozen=True, slots=True)
class CaClient:
    """HTTPS requests to the CA, trusting only the organisation root."""

    url: str
    root_pem: bytes
    timeout: float = 15.0

    def _endpoint(self) -> tuple[str, int]:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme != "https" or not parsed.hostname:
            raise EnrollError(f"the CA URL must be https://HOST:PORT, not {self.url!r}")
        return parsed.hostname, parsed.port or 443

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        host, port = self._endpoint()
        conn = http.client.HTTPSConnection(
            host, port, timeout=self.timeout, context=https_client_context(self.root_pem)
        )
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(1 << 20)
            if isinstance(conn.sock, ssl.SSLSocket):
                close_tls(conn.sock, 2.0)  # close_notify both ways, then FIN: no reset
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except ssl.SSLCertVerificationError as exc:
            raise EnrollError(
                f"the CA at {host}:{port} is not certified by this root ({exc.verify_message})"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, http.client.HTTPException):
                # Never the exception's text: http.client quotes what the CA sent (a
                # BadStatusLine is the whole line), which may hold the password [PWF-2].
                raise EnrollError(
                    f"the CA at {host}:{port} did not answer in HTTP ({type(exc).__name__})"
                ) from None
            raise EnrollError(f"cannot reach the CA at {host}:{port}: {exc}") from None
        finally:
            conn.close()

    def crl(self) -> bytes:
        """The current CRL, checked against the root (signature, nextUpdate)."""
        status, _, data = self.request("GET", "/v1/crl")
        if status != 200:
            raise EnrollError(f"the CA refused to send its CRL (HTTP {status})")
        try:
            check_crl(data, self.root_pem)
        except CertificateRefused as exc:
            raise EnrollError(str(exc)) from None
        return data


_BUSY_TRIES = 8  # enrolment attempts answered 503 busy before giving up
_BUSY_WAIT_CAP = 10  # the longest Retry-After waited out; a longer one ends the tries


def _error_text(status: int, headers: dict[str, str], data: bytes, password: str) -> str:
    try:
        body = json.loads(data)
        code, message = str(body.get("error")), str(body.get("message", ""))
    except (ValueError, AttributeError, RecursionError):  # nested past the parser
        code, message = "", ""
    if quotes_password(message, password):  # never shown, whoever sent it [PWF-2]
        message = "(the CA's message is not shown: it quotes the password)"
    if quotes_password(code, password):
        code = "(not shown)"
    if code == "auth_failed":
        return "wrong alias or password"
    if code == "throttled":
        return f"too many failed logins: retry in {headers.get('retry-after', '?')} s"
    if code == "bad_csr":
        return "the CA refused the certificate request (bad CSR)"
    return f"the CA refused the request (HTTP {status} {code}: {message[:200]})"


def write_public(path: Path, data: bytes) -> None:
    """Writes a public file of an identity (certificate, root, CA URL, CRL cache), mode
    0644: under a fresh temporary name opened exclusively and never through a symbolic
    link (one planted under a fixed temporary name would be written through), flushed,
    then renamed over `path` (a crash never leaves a truncated file under its name)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def enroll(
    ca_url: str,
    root_pem: bytes,
    alias: str,
    password: str,
    out_dir: Path,
    *,
    key_type: str = "ec",
    timeout: float = 15.0,
) -> Identity:
    """Makes a key and CSR, enrols `alias`, writes key (0600), cert, root and CA URL."""
    # Here, not at the top: the PKI client and peer import this module for `CaClient`
    # (CRL fetches) and need none of the CA's store, scrypt or builders (issue 17).
    from reference.pki.ca import check_alias, generate_key, private_key_pem, write_private

    check_alias(alias)
    try:
        root = x509.load_pem_x509_certificate(root_pem)
    except ValueError:
        raise EnrollError("the root file is not a PEM certificate") from None
    key = generate_key(key_type)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, alias)]))
        .sign(key, hashes.SHA256())
    )
    client = CaClient(ca_url, root_pem, timeout)
    body = {
        "alias": alias,
        "password": password,
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode(),
    }
    for tries in range(1, _BUSY_TRIES + 1):
        status, headers, data = client.request("POST", "/v1/enroll", body)
        if status != 503 or tries == _BUSY_TRIES:
            break
        # [CA-ENR-14]: busy (logins of this alias or address being verified): not
        # counted; back after Retry-After (never sooner: RFC 9110 §10.2.3), jittered
        # over 1 to 1.5 x so that a burst does not return at once.
        wait = headers.get("retry-after", "1")
        # Delay-seconds (ASCII digits, any number of them); anything else: 1 s.
        seconds = decimal_at_most(wait, _BUSY_WAIT_CAP) if ascii_digits(wait) else 1
        if seconds is None:  # longer than we wait; never sooner than asked: give up
            break
        time.sleep(max(1, seconds) * (1.0 + secrets.randbelow(501) / 1000))
    if status == 503:
        raise EnrollError(f"the CA is busy: gave up after {tries} tries")
    if status != 200:
        raise EnrollError(_error_text(status, headers, data, password))
    try:
        cert_pem = json.loads(data)["certificate"].encode()
        cert = x509.load_pem_x509_certificate(cert_pem)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise EnrollError("the CA answered with something that is not a certificate") from None
    # Do not trust the answer blindly: it must be ours, for our alias, from our root.
    try:  # a key kind `cryptography` does not know is not ours, never a traceback (ERR-6)
        cert.public_key()
    except UnsupportedAlgorithm:
        raise EnrollError("the CA returned a certificate for another key") from None
    if cert.public_key() != key.public_key():
        raise EnrollError("the CA returned a certificate for another key")
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [alias]:  # none, several, or another: not the identity asked for
        raise EnrollError("the CA returned a certificate for another alias")
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, Exception) as exc:
        raise EnrollError(
            f"the certificate is not signed by the root: {type(exc).__name__}"
        ) from None
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    identity = Identity(out_dir)
    write_private(identity.key, private_key_pem(key))
    # The certificate as verified above, re-encoded: never the answer's text, which may
    # hold more (another PEM block, text around it) that a TLS stack would then present.
    for path, content in (
        (identity.cert, cert.public_bytes(serialization.Encoding.PEM)),
        (identity.root, root_pem),
        (identity.ca_url_file, ca_url.encode() + b"\n"),
    ):
        write_public(path, content)
    try:
        write_public(identity.crl_cache, client.crl())
    except EnrollError:
        pass  # the CRL is fetched again when needed; enrolment itself succeeded
    return identity
