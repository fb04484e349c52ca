"""Enrolment-client mutants (session 10, helper E1): the reference's `sft enroll`.

Every mutant is the reference's ENROLMENT client (`client=True, enroll=True`): the
self-test swaps the mutant launcher into the target's `enroll_cmd`, and
test_enroll_client.py runs it against the suite's hostile CA. Written blind (docs/SPEC.md
§4.4, §4.2, PWF-1 and reference/pki/enroll.py, reference/pki/tls.py only):

  enr-cn-as-hostname        the CA's host name also matched against its CN (CA-ENR-18)
  enr-no-hostname-check     the CA's certificate chain checked, its name not (CA-ENR-18)
  enr-no-root-verify        the CA's certificate not verified at all (PKI-TLS-4)
  enr-verify-after-send     the CA's certificate checked after the request went out
                            (the password already sent to whoever answered) (PKI-TLS-4)
  enr-expiry-ignored        the CA's certificate dates not checked (OpenSSL NO_CHECK_TIME)
                            (PKI-CERT-3)
  enr-tls12-allowed         TLS 1.2 accepted for the CA connection (CA-ENR-1)
  enr-http-fallback         a CA whose TLS handshake fails is retried over plain HTTP
                            ("some test CAs run without TLS") (CA-ENR-1)
  enr-key-0644              the private key written with the default mode (CA-ENR-12)
  enr-key-sent              the private key sent beside the CSR ("for key escrow") (CA-ENR-12)
  enr-answer-key-unchecked  the answer's public key not compared with the own key (CA-ENR-12)
  enr-answer-unparsed       the answer's `certificate` stored as received, unparsed and
                            unchecked (CA-ENR-12)
  enr-pw-newline-kept       the password file taken whole, its trailing LF kept (PWF-1)
  enr-pw-stripped           the password file's content .strip()-ed (PWF-1)
  enr-pw-lf-only            one trailing LF removed, a CRLF file then refused (PWF-1)
  enr-pw-bom-dropped        the file decoded as utf-8-sig: a leading BOM dropped (PWF-1)
  enr-pw-first-line         the first line taken, the rest silently ignored (PWF-1)
  enr-pw-nfc                the password NFC-normalised (PWF-1)
"""

from __future__ import annotations

import http.client
import ssl
import unicodedata
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_FILE = "test_enroll_client.py"


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _context_patch(change: Callable[[ssl.SSLContext], None]) -> Callable[[], None]:
    """`https_client_context` as the enrolment module sees it, with `change` applied."""

    def apply() -> None:
        enroll = _enroll()
        original = enroll.https_client_context

        def https_client_context(root_pem: bytes) -> ssl.SSLContext:
            ctx: ssl.SSLContext = original(root_pem)
            change(ctx)
            return ctx

        enroll.https_client_context = https_client_context

    return apply


def _cn_as_hostname(ctx: ssl.SSLContext) -> None:
    ctx.hostname_checks_common_name = True  # "many CAs still put the name in the CN"


def _no_hostname_check(ctx: ssl.SSLContext) -> None:
    ctx.check_hostname = False  # "the root is ours: any certificate it issued is the CA"


def _no_verify(ctx: ssl.SSLContext) -> None:
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE


def _expiry_ignored(ctx: ssl.SSLContext) -> None:
    ctx.verify_flags |= 0x200000  # X509_V_FLAG_NO_CHECK_TIME: "clock skew on laptops"


def _tls12(ctx: ssl.SSLContext) -> None:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2


def _verify_after_send() -> None:
    """The request goes over an unverified connection; the peer's certificate is checked
    once the answer is in (a client that "verifies the response")."""
    enroll = _enroll()
    from cryptography import x509

    def request(
        self: Any, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        import json

        parsed = urllib.parse.urlsplit(self.url)
        host, port = parsed.hostname or "", parsed.port or 443
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=ctx)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            sock = conn.sock
            der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
            response = conn.getresponse()
            data = response.read(1 << 20)
            try:
                peer = x509.load_der_x509_certificate(der or b"")
                peer.verify_directly_issued_by(x509.load_pem_x509_certificate(self.root_pem))
            except Exception:
                raise enroll.EnrollError("the CA is not certified by this root") from None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (OSError, http.client.HTTPException) as exc:
            raise enroll.EnrollError(f"cannot reach the CA: {exc}") from None
        finally:
            conn.close()

    enroll.CaClient.request = request


def _http_fallback() -> None:
    enroll = _enroll()
    original = enroll.CaClient.request

    def request(
        self: Any, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        import json

        try:
            result: tuple[int, dict[str, str], bytes] = original(self, method, path, body)
            return result
        except enroll.EnrollError as exc:
            if "cannot reach" not in str(exc):
                raise
        parsed = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(
            parsed.hostname or "", parsed.port or 80, timeout=self.timeout
        )
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(1 << 20)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (OSError, http.client.HTTPException) as exc:
            raise enroll.EnrollError(f"cannot reach the CA: {exc}") from None
        finally:
            conn.close()

    enroll.CaClient.request = request


def _key_0644() -> None:
    ca = _module("reference.pki.ca")

    def write_private(path: Path, data: bytes) -> None:
        path.write_bytes(data)  # the process umask's default mode: 0644

    ca.write_private = write_private


def _key_sent() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            '"csr": csr.public_bytes(serialization.Encoding.PEM).decode(),',
            '"csr": csr.public_bytes(serialization.Encoding.PEM).decode(),'
            ' "key": private_key_pem(key).decode(),',
        ),
    )


def _answer_key_unchecked() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        ("if cert.public_key() != key.public_key():", "if False:"),
    )


def _answer_unparsed() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            'cert_pem = json.loads(data)["certificate"].encode()\n'
            "        cert = x509.load_pem_x509_certificate(cert_pem)",
            'cert_pem = str(json.loads(data).get("certificate", "")).encode()\n        cert = None',
        ),
        ("if cert.public_key() != key.public_key():", "if False:"),
        (
            "names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]",
            "names = [alias]",
        ),
        ("cert.verify_directly_issued_by(root)", "pass"),
    )


def _password_file(read: Callable[[bytes], str]) -> Callable[[], None]:
    def apply() -> None:
        options = _module("reference.cli.options")

        def read_password_file(path: Path) -> str:
            return read(Path(path).read_bytes())

        options.read_password_file = read_password_file

    return apply


def _pw_newline_kept(raw: bytes) -> str:
    return raw.decode("utf-8")


def _pw_stripped(raw: bytes) -> str:
    return raw.decode("utf-8").strip()


def _pw_lf_only(raw: bytes) -> str:
    password = raw.decode("utf-8").removesuffix("\n")
    if "\r" in password or "\n" in password:
        raise _module("reference.cli.options").CommandError("more than one line", 2)
    return password


def _checked(password: str) -> str:
    if "\r" in password or "\n" in password:
        raise _module("reference.cli.options").CommandError("more than one line", 2)
    return password


def _pw_bom_dropped(raw: bytes) -> str:
    text = raw.decode("utf-8-sig")
    return _checked(text[:-2] if text.endswith("\r\n") else text.removesuffix("\n"))


def _pw_first_line(raw: bytes) -> str:
    lines = raw.decode("utf-8").splitlines()
    return lines[0] if lines else ""


def _pw_nfc(raw: bytes) -> str:
    text = raw.decode("utf-8")
    text = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    return _checked(unicodedata.normalize("NFC", text))


def _m(name: str, requirement: str, description: str, apply: Callable[[], None]) -> Mutant:
    return Mutant(
        name=name,
        group="enroll-client",
        profile="pki",
        requirement=requirement,
        test_file=_FILE,
        description=description,
        apply=apply,
        client=True,
        enroll=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "enr-cn-as-hostname",
        "CA-ENR-18",
        "the enrolment client matches the CA's host name against its CN too",
        _context_patch(_cn_as_hostname),
    ),
    _m(
        "enr-no-hostname-check",
        "CA-ENR-18",
        "the enrolment client checks the CA's chain but not its host name",
        _context_patch(_no_hostname_check),
    ),
    _m(
        "enr-no-root-verify",
        "PKI-TLS-4",
        "the enrolment client does not verify the CA's certificate",
        _context_patch(_no_verify),
    ),
    _m(
        "enr-verify-after-send",
        "PKI-TLS-4",
        "the CA's certificate checked after the enrolment request (password) was sent",
        _verify_after_send,
    ),
    _m(
        "enr-expiry-ignored",
        "PKI-CERT-3",
        "the CA's certificate validity dates are not checked",
        _context_patch(_expiry_ignored),
    ),
    _m(
        "enr-tls12-allowed",
        "CA-ENR-1",
        "the enrolment client accepts TLS 1.2 from the CA",
        _context_patch(_tls12),
    ),
    _m(
        "enr-http-fallback",
        "CA-ENR-1",
        "a CA whose TLS handshake fails is retried over plain HTTP",
        _http_fallback,
    ),
    _m(
        "enr-key-0644",
        "CA-ENR-12",
        "the private key file is written with the default mode 0644",
        _key_0644,
    ),
    _m(
        "enr-key-sent",
        "CA-ENR-12",
        "the private key is sent to the CA beside the CSR",
        _key_sent,
    ),
    _m(
        "enr-answer-key-unchecked",
        "CA-ENR-12",
        "a certificate for another key is stored as the identity's certificate",
        _answer_key_unchecked,
    ),
    _m(
        "enr-answer-unparsed",
        "CA-ENR-12",
        "the answer's certificate stored as received, never parsed or checked",
        _answer_unparsed,
    ),
    _m(
        "enr-pw-newline-kept",
        "PWF-1",
        "the password file is taken whole: its trailing LF is part of the password",
        _password_file(_pw_newline_kept),
    ),
    _m(
        "enr-pw-stripped",
        "PWF-1",
        "the password file's content is stripped of white space at both ends",
        _password_file(_pw_stripped),
    ),
    _m(
        "enr-pw-lf-only",
        "PWF-1",
        "only a trailing LF is removed: a CRLF password file is refused",
        _password_file(_pw_lf_only),
    ),
    _m(
        "enr-pw-bom-dropped",
        "PWF-1",
        "the password file is decoded as utf-8-sig: a leading BOM is dropped",
        _password_file(_pw_bom_dropped),
    ),
    _m(
        "enr-pw-first-line",
        "PWF-1",
        "the password file's first line is taken, a second line silently ignored",
        _password_file(_pw_first_line),
    ),
    _m(
        "enr-pw-nfc",
        "PWF-1",
        "the password is NFC-normalised",
        _password_file(_pw_nfc),
    ),
)
