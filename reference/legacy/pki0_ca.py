"""sft-pki/0's CA (the seed's "auth server"): ``POST /verify`` over plain HTTP, sans-IO.

Request body (JSON, UTF-8)::

    {"payload": base64(RSA-OAEP-SHA256(root key, '{"name": ALIAS, "password": PW}')),
     "public_key": PEM SubjectPublicKeyInfo}

Answer: ``200`` with the PEM certificate (CN = ALIAS, signed by the root) as
``text/plain``; ``401`` for a wrong alias or password; ``400`` for a malformed
request. The flaws are the seed's (LEG-CA-*): the encrypted credentials are not
bound to ``public_key`` (replay one captured payload with your own key and get a
certificate for that alias), no proof of possession of the key, passwords held
in clear, no throttling, and no TLS around any of it.
"""

from __future__ import annotations

__all__ = [
    "VERIFY_PATH",
    "MAX_BODY",
    "VerifyResponse",
    "LegacyCA",
    "verify_request_body",
    "parse_accounts",
]

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from reference.legacy import _crypto
from reference.legacy.errors import LegacyLocalError, LegacyRemoteError

VERIFY_PATH = "/verify"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class VerifyResponse:
    status: int
    body: bytes
    content_type: str = "text/plain"
    alias: str | None = None  # set when a certificate was issued (for the log)


def verify_request_body(
    root: x509.Certificate, alias: str, password: str, public_key: rsa.RSAPublicKey
) -> bytes:
    """The seed client's request: credentials under the root key, key in clear beside them."""
    credentials = json.dumps({"name": alias, "password": password}).encode("utf-8")
    sealed = _crypto.oaep_encrypt(_crypto.certificate_public_key(root), credentials)
    return json.dumps(
        {
            "payload": base64.b64encode(sealed).decode("ascii"),
            "public_key": _crypto.public_key_pem(public_key).decode("ascii"),
        }
    ).encode("utf-8")


def parse_accounts(text: str) -> dict[str, str]:
    """`alias:password` per line (the seed's CA kept passwords in clear: LEG-CA-4)."""
    accounts: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        alias, sep, password = line.partition(":")
        if not sep or not alias:
            raise LegacyLocalError(f"accounts line {number}: expected ALIAS:PASSWORD")
        accounts[alias] = password
    return accounts


class LegacyCA:
    """Signs any public key for whoever presents a valid (possibly replayed) payload."""

    def __init__(
        self,
        root_key: rsa.RSAPrivateKey,
        root: x509.Certificate,
        accounts: Mapping[str, str],
    ) -> None:
        self._root_key = root_key
        self._root = root
        self._accounts = dict(accounts)

    def handle_verify(self, body: bytes) -> VerifyResponse:
        try:
            alias, password, public_key = self._parse(body)
        except LegacyRemoteError as exc:
            return VerifyResponse(400, f"bad request: {exc}\n".encode())
        expected = self._accounts.get(alias)
        # compare_digest keeps the comparison constant-time; the real flaws
        # (clear storage, replayable payload, no throttling) are kept.
        if expected is None or not hmac.compare_digest(
            expected.encode("utf-8"), password.encode("utf-8")
        ):
            return VerifyResponse(401, b"invalid alias or password\n")
        cert = _crypto.issue_certificate(self._root_key, self._root, alias, public_key)
        return VerifyResponse(200, _crypto.certificate_pem(cert), alias=alias)

    def _parse(self, body: bytes) -> tuple[str, str, rsa.RSAPublicKey]:
        if len(body) > MAX_BODY:
            raise LegacyRemoteError("body too large")
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise LegacyRemoteError("body is not UTF-8 JSON") from exc
        if not isinstance(request, dict):
            raise LegacyRemoteError("body is not a JSON object")
        payload, pem = request.get("payload"), request.get("public_key")
        if not isinstance(payload, str) or not isinstance(pem, str):
            raise LegacyRemoteError("payload and public_key must be strings")
        try:
            sealed = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise LegacyRemoteError("payload is not base64") from exc
        plain = _crypto.oaep_decrypt(self._root_key, sealed)
        try:
            credentials = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise LegacyRemoteError("payload does not hold UTF-8 JSON") from exc
        if not isinstance(credentials, dict):
            raise LegacyRemoteError("payload is not a JSON object")
        alias, password = credentials.get("name"), credentials.get("password")
        if not isinstance(alias, str) or not isinstance(password, str):
            raise LegacyRemoteError("name and password must be strings")
        public_key = _crypto.load_public_key_pem(pem.encode("ascii", "replace"))
        return alias, password, public_key
