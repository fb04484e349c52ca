"""Blind red-team round 11 (ca): filled by its helper (B44).

Written from docs/SPEC.md §4.2/§4.4 and reference/pki/ca*.py (and the HTTPS adapter,
the store) alone, through the six lenses of round 11. Every mutant is the reference's
CA server (`ca=True`); `sft ca user add` and `sft ca revoke` run in their own
(unmutated) processes, so a mutant lives in `ca serve` only.

Lens 1 — performance shortcuts and caches:
  b11ca-kdf-cache-password-only     scrypt memoised on the password, the salt left out
  b11ca-host-check-dotted-only      the host-name check skipped for aliases without a dot
  b11ca-query-check-first-request   the query check on a connection's first request only
  b11ca-password-prefix-72          the password verified on its first 72 characters
  b11ca-login-cached-per-alias      a verified login is remembered by alias (not password)
Lens 2 — time and clocks:
  b11ca-notafter-plus-backdate      notAfter = now + validity + the 5-min backdate
  b11ca-backoff-wall-clock          backoff end set on the wall clock, read on monotonic
  b11ca-backoff-from-first          backoff counted from the first failure, not the last
  b11ca-failures-forgotten-after-cap  failures quiet longer than the cap are forgiven
  b11ca-locked-retry-after-base     a hard lock's Retry-After is the base, not the cap
Lens 3 — I/O granularity:
  b11ca-body-one-read               the body is read with one read1 (one TLS record)
  b11ca-request-one-recv            a request (head and body) is one recv
  b11ca-chunked-limit-per-chunk     chunked bodies are read, the 64 KiB limit per chunk
  b11ca-body-read-as-chars          Content-Length read as characters, not bytes
  b11ca-framing-checked-once        (phase 2, not blind) limit/lengths on a first request only
Lens 4 — lenient parsing and canonicalisation:
  b11ca-csr-count-only-csr          "one PEM block" counts only CERTIFICATE REQUEST blocks
  b11ca-csr-der-trailing            trailing bytes after the CSR's DER are trimmed away
  b11ca-password-nfkc-verify        the password is NFKC-normalised when verified only
  b11ca-json-trailing-bytes         the body is parsed with raw_decode (trailing bytes ok)
  b11ca-password-nul-truncated      the password is cut at its first NUL (C string)
Lens 5 — role, direction and profile asymmetry:
  b11ca-rsa-csr-sha1                SHA-1 accepted on RSA CSRs (old OpenSSL default)
  b11ca-host-check-on-csr-cn        CA-ENR-17 applied to the CSR's CN, not the alias
  b11ca-host-check-host-header      CA-ENR-17 against the client's Host header only
Lens 6 — fallbacks and downgrades:
  b11ca-hard-lock-right-password    a hard-locked alias still enrols with the right password
  b11ca-form-body-fallback          a body that is not JSON is read as a form
  b11ca-csr-public-key              a PUBLIC KEY in `csr` is certified (no proof of possession)
  b11ca-password-encode-ignore      the password is encoded with errors="ignore"
  b11ca-alias-from-csr-cn           a request without `alias` takes the CSR's CN

Written blind: 34 first; 18 of them duplicated registered mutants (CRL caches, local
time, CRL window, Retry-After floor, persisted monotonic time, SQL LIKE, AKI, swapped
success, DNS-only names, pending alias-only, RSA keyEncipherment, curve by size, bare
base64 DER, bad-CSR guesses, keep-alive throttle, serial repeats, cached user rows) and
were replaced before the run by new ones (checked by name and description only).
Blind run (27): 13 detected. After phase 2: 27 of 27, plus b11ca-framing-checked-once
(written after, for the new later-request case). b11ca-rsa-csr-sha1 was inert as first
written (`cryptography` refuses SHA-1 signatures by itself): it now verifies RSA proof
of possession by hand, and test_ca_csr.py's rsa-sha1 case catches it.

`_Handler.do_GET = _dispatch` (and its siblings) were bound at class creation: a mutant
of `_dispatch` rebinds them (b11ca-query-check-first-request does).
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import unicodedata
import urllib.parse
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind11-ca"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _handler() -> Any:
    return _srv()._Handler


def _authority() -> Any:
    return _ca().CertificateAuthority


def _throttle() -> Any:
    return _srv().LoginThrottle


# --- lens 1: caches ----------------------------------------------------------------------


def _login_cached_per_alias() -> None:
    authority = _authority()
    original = authority.authenticate
    verified: set[str] = set()

    def authenticate(self: Any, alias: str, password: str) -> bool:
        if alias in verified:  # scrypt skipped for an alias that logged in before
            return True
        ok = bool(original(self, alias, password))
        if ok:
            verified.add(alias)
        return ok

    authority.authenticate = authenticate


def _kdf_cache_password_only() -> None:
    ca = _ca()
    original = ca._hash_password
    derived: dict[tuple[str, int, int, int], bytes] = {}

    def _hash_password(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        key = (password, n, r, p)  # the salt left out of the memo's key
        if key not in derived:
            derived[key] = original(password, salt, n, r, p)
        return derived[key]

    ca._hash_password = _hash_password


def _host_check_dotted_only() -> None:
    _patch(
        _authority(),
        "check_not_host_name",
        (
            "if _host_key(alias) in self.host_names:",
            "if '.' in alias.rstrip('.') and _host_key(alias) in self.host_names:",
        ),
    )


def _query_check_first_request() -> None:
    handler = _handler()
    original = handler._dispatch

    def _dispatch(self: Any) -> None:
        # The request target is vetted when the connection's first request comes; later
        # requests are routed on their path alone.
        if getattr(self, "_mutant_vetted", False):
            self.path = urllib.parse.urlsplit(self.path).path
        self._mutant_vetted = True
        original(self)

    handler._dispatch = _dispatch
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{method}", _dispatch)


def _password_prefix_72() -> None:
    _patch(
        _authority(),
        "authenticate",
        (
            "_verify_password_record(record, password)",
            "_verify_password_record(record, password[:72])",
        ),
    )


# --- lens 2: time and clocks -------------------------------------------------------------


def _notafter_plus_backdate() -> None:
    _patch(_ca(), "issue_employee", ("now + validity,", "now + validity + _BACKDATE,"))


def _backoff_wall_clock() -> None:
    srv = _srv()
    srv._mutant_time = time
    _patch(
        _throttle(),
        "_count",
        ("entry.blocked_until = now + delay", "entry.blocked_until = _mutant_time.time() + delay"),
    )


def _backoff_from_first() -> None:
    _patch(
        _throttle(),
        "_count",
        (
            "entry.count += 1",
            "entry.count += 1\n"
            "        if not hasattr(entry, 'first'):\n"
            "            entry.first = now",
        ),
        ("entry.blocked_until = now + delay", "entry.blocked_until = entry.first + delay"),
    )


def _failures_forgotten_after_cap() -> None:
    _patch(
        _throttle(),
        "_count",
        (
            "entry.count += 1",
            "if now - getattr(entry, 'last', now) > self.cap:\n"
            "            entry.count = 0  # quiet longer than the longest backoff: forgiven\n"
            "        entry.last = now\n"
            "        entry.count += 1",
        ),
    )


def _locked_retry_after_base() -> None:
    _patch(
        _throttle(),
        "admit",
        ("return max(1, int(self.cap + 0.999))", "return max(1, int(self.base + 0.999))"),
    )


# --- lens 3: I/O granularity -------------------------------------------------------------


def _body_one_read() -> None:
    _patch(
        _handler(),
        "_read_json",
        ("body = self.rfile.read(length)", "body = self.rfile.read1(length)"),
    )


def _request_one_recv() -> None:
    handler = _handler()
    original = handler.handle_one_request

    def handle_one_request(self: Any) -> None:
        # One recv is one request: the head and the body must come in it.
        try:
            data = self.connection.recv(65536)
        except OSError:
            self.close_connection = True
            return
        if not data:
            self.close_connection = True
            return
        self.rfile = io.BufferedReader(io.BytesIO(data))
        original(self)

    handler.handle_one_request = handle_one_request


def _chunked_limit_per_chunk() -> None:
    handler = _handler()
    original = handler._read_json
    srv = _srv()

    def _read_json(self: Any) -> dict[str, Any]:
        encodings = self.headers.get_all("Transfer-Encoding") or []
        if [e.strip().lower() for e in encodings] != ["chunked"]:
            return dict(original(self))
        parts: list[bytes] = []
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            size = int(line, 16)
            if size > srv.MAX_BODY:  # each chunk within the limit (the body is not)
                raise srv._HttpError(413, "too_large", "chunk too large", close=True)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(self.rfile.read(size))
            self.rfile.readline(16)
        try:
            value = json.loads(b"".join(parts).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise srv._HttpError(400, "bad_request", "the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise srv._HttpError(400, "bad_request", "the body must be a JSON object")
        return value

    handler._read_json = _read_json


def _read_characters(rfile: Any, count: int) -> bytes:
    """`count` UTF-8 characters (not bytes) from `rfile`, as a character reader does."""
    out = bytearray()
    seen = 0
    while seen < count:
        byte = rfile.read(1)
        if not byte:
            break
        out += byte
        if byte[0] & 0xC0 != 0x80:
            seen += 1
    return bytes(out)


def _body_read_as_chars() -> None:
    srv = _srv()
    srv._mutant_read_chars = _read_characters
    _patch(
        _handler(),
        "_read_json",
        ("body = self.rfile.read(length)", "body = _mutant_read_chars(self.rfile, length)"),
    )


def _framing_checked_once() -> None:
    """Phase 2 (not blind): the body limit and the Content-Length checks on a
    connection's first request only."""
    handler = _handler()
    srv = _srv()
    original_request = handler.handle_one_request
    original_read = handler._read_json

    def handle_one_request(self: Any) -> None:
        self._mutant_requests = getattr(self, "_mutant_requests", 0) + 1
        original_request(self)

    def _read_json(self: Any) -> dict[str, Any]:
        lengths = self.headers.get_all("Content-Length") or []
        if getattr(self, "_mutant_requests", 1) <= 1 or not lengths:
            return dict(original_read(self))
        body = self.rfile.read(int(lengths[0].strip()))  # checked on the first request
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise srv._HttpError(400, "bad_request", "the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise srv._HttpError(400, "bad_request", "the body must be a JSON object")
        return value

    handler.handle_one_request = handle_one_request
    handler._read_json = _read_json


# --- lens 4: lenient parsing ---------------------------------------------------------------


def _csr_count_only_csr() -> None:
    _patch(
        _authority(),
        "enroll",
        (
            'csr_pem.count(b"-----BEGIN ") != 1',
            'csr_pem.count(b"-----BEGIN CERTIFICATE REQUEST-----") != 1',
        ),
    )


def _trimmed_csr_loader(pem: bytes) -> Any:
    """Loads the first DER value of the PEM block, ignoring bytes after it."""
    x509 = _module("cryptography.x509")
    match = re.search(
        rb"-----BEGIN CERTIFICATE REQUEST-----(.*?)-----END CERTIFICATE REQUEST-----",
        pem,
        re.S,
    )
    if match is None:
        return x509.load_pem_x509_csr(pem)
    der = base64.b64decode(b"".join(match.group(1).split()))
    if len(der) < 2 or der[0] != 0x30:
        return x509.load_pem_x509_csr(pem)
    first = der[1]
    if first < 0x80:
        end = 2 + first
    else:
        count = first & 0x7F
        end = 2 + count + int.from_bytes(der[2 : 2 + count], "big")
    return x509.load_der_x509_csr(der[:end])


def _csr_der_trailing() -> None:
    ca = _ca()
    ca._mutant_load_csr = _trimmed_csr_loader
    _patch(
        _authority(),
        "enroll",
        ("csr = x509.load_pem_x509_csr(csr_pem)", "csr = _mutant_load_csr(csr_pem)"),
    )


def _password_nfkc_verify() -> None:
    ca = _ca()
    ca._mutant_nfkc = lambda text: unicodedata.normalize("NFKC", text)
    _patch(
        _authority(),
        "authenticate",
        (
            "_verify_password_record(record, password)",
            "_verify_password_record(record, _mutant_nfkc(password))",
        ),
    )


def _json_trailing_bytes() -> None:
    srv = _srv()
    srv._mutant_decode = lambda text: json.JSONDecoder().raw_decode(text.lstrip())[0]
    _patch(
        _handler(),
        "_read_json",
        (
            'value = json.loads(body.decode("utf-8"), parse_constant=_not_json)',
            'value = _mutant_decode(body.decode("utf-8"))',
        ),
    )


def _password_nul_truncated() -> None:
    ca = _ca()
    ca._mutant_c_string = lambda text: text.split("\0", 1)[0]
    _patch(
        _authority(),
        "authenticate",
        (
            "_verify_password_record(record, password)",
            "_verify_password_record(record, _mutant_c_string(password))",
        ),
    )


# --- lens 5: role and profile asymmetry -----------------------------------------------------


def _pop_by_hand(csr: Any) -> bool:
    """Proof of possession verified with the key's own API, whatever the hash (the
    library's own check refuses SHA-1; this one does not)."""
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")
    padding = _module("cryptography.hazmat.primitives.asymmetric.padding")
    key = csr.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return bool(csr.is_signature_valid)
    try:
        key.verify(
            csr.signature,
            csr.tbs_certrequest_bytes,
            padding.PKCS1v15(),
            csr.signature_hash_algorithm,
        )
    except Exception:  # any failure: no proof
        return False
    return True


def _rsa_csr_sha1() -> None:
    ca = _ca()
    hashes = _module("cryptography.hazmat.primitives.hashes")
    ca._MUTANT_RSA_DIGESTS = (*ca._CSR_DIGESTS, hashes.SHA1)
    ca._mutant_pop = _pop_by_hand
    _patch(
        _authority(),
        "enroll",
        ("valid = csr.is_signature_valid", "valid = _mutant_pop(csr)"),
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or not isinstance(digest, _MUTANT_RSA_DIGESTS if isinstance("
            "public_key, rsa.RSAPublicKey) else _CSR_DIGESTS):",
        ),
    )


def _host_check_on_csr_cn() -> None:
    _patch(
        _authority(),
        "enroll",
        ("self.check_not_host_name(alias)\n", ""),
        (
            "    cert = issue_employee(",
            "    for attr in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):\n"
            "        self.check_not_host_name(str(attr.value))\n"
            "    cert = issue_employee(",
        ),
    )


def _host_check_host_header() -> None:
    ca = _ca()
    srv = _srv()
    _patch(
        _authority(),
        "check_not_host_name",
        ("if _host_key(alias) in self.host_names:", "if False:"),
    )

    def host_of_request(headers: Any) -> str:
        host = str(headers.get("Host") or "").strip()
        if host.startswith("["):
            return host[1:].split("]", 1)[0]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    srv._mutant_request_host = host_of_request
    srv._mutant_host_key = ca._host_key
    _patch(
        _handler(),
        "_enroll",
        (
            "    throttle.success(keys[0], keys[1])\n",
            "    throttle.success(keys[0], keys[1])\n"
            "    if _mutant_host_key(alias) == _mutant_host_key(\n"
            "        _mutant_request_host(self.headers)\n"
            "    ):\n"
            "        raise _HttpError(HTTPStatus.FORBIDDEN, 'forbidden', 'a host name')\n",
        ),
    )


# --- lens 6: fallbacks ----------------------------------------------------------------------


def _hard_lock_right_password() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            "    if wait:\n        raise _HttpError(\n            HTTPStatus.TOO_MANY_REQUESTS,",
            "    if wait and throttle._hard_locked((keys[0],)) and "
            "self.server.ca.authenticate(alias, password):\n"
            "        wait = 0\n"
            "        throttle._pending[keys[0]] = throttle._pending.get(keys[0], 0) + 1\n"
            "        throttle._pending[keys[1]] = throttle._pending.get(keys[1], 0) + 1\n"
            "    if wait:\n        raise _HttpError(\n"
            "            HTTPStatus.TOO_MANY_REQUESTS,",
        ),
    )


def _form_body_fallback() -> None:
    srv = _srv()

    def decode(text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            form = urllib.parse.parse_qs(text, strict_parsing=False)
            if not form:
                raise
            return {key: values[0] for key, values in form.items()}

    srv._mutant_decode = decode
    _patch(
        _handler(),
        "_read_json",
        (
            'value = json.loads(body.decode("utf-8"), parse_constant=_not_json)',
            'value = _mutant_decode(body.decode("utf-8"))',
        ),
    )


class _KeyAsCsr:
    """A bare public key taken as a request that proves nothing."""

    def __init__(self, key: Any) -> None:
        self._key = key
        self.is_signature_valid = True
        self.signature_hash_algorithm = _module("cryptography.hazmat.primitives.hashes").SHA256()

    def public_key(self) -> Any:
        return self._key


def _load_csr_or_key(pem: bytes) -> Any:
    if b"-----BEGIN PUBLIC KEY-----" in pem:
        serialization = _module("cryptography.hazmat.primitives.serialization")
        return _KeyAsCsr(serialization.load_pem_public_key(pem))
    return _module("cryptography.x509").load_pem_x509_csr(pem)


def _csr_public_key() -> None:
    ca = _ca()
    ca._mutant_load_csr = _load_csr_or_key
    _patch(
        _authority(),
        "enroll",
        ("csr = x509.load_pem_x509_csr(csr_pem)", "csr = _mutant_load_csr(csr_pem)"),
    )


def _password_encode_ignore() -> None:
    _patch(
        _ca(),
        "_hash_password",
        ('password.encode("utf-8", "surrogatepass")', 'password.encode("utf-8", "ignore")'),
    )


def _csr_common_name(csr: str) -> str | None:
    x509 = _module("cryptography.x509")
    name_oid = _module("cryptography.x509.oid").NameOID
    try:
        request = x509.load_pem_x509_csr(csr.encode("utf-8"))
    except ValueError:
        return None
    names = request.subject.get_attributes_for_oid(name_oid.COMMON_NAME)
    return str(names[0].value) if names else None


def _alias_from_csr_cn() -> None:
    srv = _srv()
    srv._mutant_csr_cn = _csr_common_name
    _patch(
        _handler(),
        "_enroll",
        (
            'alias, password, csr = (request.get(k) for k in ("alias", "password", "csr"))\n',
            'alias, password, csr = (request.get(k) for k in ("alias", "password", "csr"))\n'
            "    if alias is None and isinstance(csr, str):\n"
            "        alias = _mutant_csr_cn(csr)  # older clients send no alias\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b11ca-kdf-cache-password-only",
        "CA-ENR-2",
        "test_ca_password_bytes.py",
        "scrypt results are memoised on (password, parameters), the salt left out: a second "
        "account with the same password is refused its right password",
        _kdf_cache_password_only,
    ),
    _m(
        "b11ca-host-check-dotted-only",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the host-name check is skipped for aliases without a dot (a fast path): alias "
        "localhost enrols",
        _host_check_dotted_only,
    ),
    _m(
        "b11ca-query-check-first-request",
        "CA-ENR-15",
        "test_ca_request_pieces.py",
        "the query-string check runs on a connection's first request only; later requests "
        "are routed on their path and served",
        _query_check_first_request,
    ),
    _m(
        "b11ca-password-prefix-72",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "the password is verified on its first 72 characters (a bcrypt habit): a longer "
        "right password is refused",
        _password_prefix_72,
    ),
    _m(
        "b11ca-login-cached-per-alias",
        "CA-ENR-6",
        "test_ca.py",
        "a verified login is remembered by alias, so any password enrols that alias later",
        _login_cached_per_alias,
    ),
    # lens 2
    _m(
        "b11ca-notafter-plus-backdate",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter = now + validity + the 5-minute backdate: over the configured period",
        _notafter_plus_backdate,
    ),
    _m(
        "b11ca-backoff-wall-clock",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the backoff's end is set on the wall clock and compared with the monotonic one: "
        "the first 429 never ends",
        _backoff_wall_clock,
    ),
    _m(
        "b11ca-backoff-from-first",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the backoff is counted from an alias's first failure, not its last: later "
        "backoffs are short or already over",
        _backoff_from_first,
    ),
    # lens 3
    _m(
        "b11ca-failures-forgotten-after-cap",
        "CA-ENR-19",
        "test_ca_paced_failures.py",
        "failures quiet for longer than the backoff cap are forgiven: paced guesses never "
        "reach the hard cap",
        _failures_forgotten_after_cap,
    ),
    _m(
        "b11ca-locked-retry-after-base",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a hard-locked alias's 429 says Retry-After the backoff base, not the cap",
        _locked_retry_after_base,
    ),
    _m(
        "b11ca-body-one-read",
        "CA-ENR-2",
        "test_ca_request_pieces.py",
        "the body is read with one read1: a body split over TLS records is truncated",
        _body_one_read,
    ),
    _m(
        "b11ca-request-one-recv",
        "CA-ENR-2",
        "test_ca_request_pieces.py",
        "each request is one recv: a head or body split over TLS records is cut short",
        _request_one_recv,
    ),
    _m(
        "b11ca-chunked-limit-per-chunk",
        "CA-ENR-9",
        "test_ca.py",
        "chunked bodies are read with the 64 KiB limit per chunk, not per body: no 413",
        _chunked_limit_per_chunk,
    ),
    # lens 4
    _m(
        "b11ca-body-read-as-chars",
        "CA-ENR-2",
        "test_ca_request_pieces.py",
        "the body is read as Content-Length characters, not bytes: a raw UTF-8 body "
        "waits for bytes that never come",
        _body_read_as_chars,
    ),
    _m(
        "b11ca-framing-checked-once",
        "CA-ENR-9",
        "test_ca_request_pieces.py",
        "(phase 2, not blind) the 64 KiB limit and the Content-Length checks run on a "
        "connection's first request only",
        _framing_checked_once,
    ),
    _m(
        "b11ca-csr-count-only-csr",
        "CA-ENR-13",
        "test_ca_csr_forms.py",
        "the one-block check counts CERTIFICATE REQUEST blocks only: a CSR followed by "
        "another PEM block is accepted",
        _csr_count_only_csr,
    ),
    _m(
        "b11ca-csr-der-trailing",
        "CA-ENR-13",
        "test_ca_csr.py",
        "the CSR's DER is cut at its outer length: trailing bytes are ignored",
        _csr_der_trailing,
    ),
    _m(
        "b11ca-password-nfkc-verify",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "the password is NFKC-normalised when verified, not when the account was made",
        _password_nfkc_verify,
    ),
    _m(
        "b11ca-json-trailing-bytes",
        "CA-ENR-9",
        "test_ca.py",
        "the body is parsed with raw_decode: bytes after the JSON object are ignored",
        _json_trailing_bytes,
    ),
    # lens 5
    _m(
        "b11ca-password-nul-truncated",
        "CA-ENR-6",
        "test_ca_password_bytes.py",
        "the password is cut at its first NUL (a C string): right password + NUL + anything enrols",
        _password_nul_truncated,
    ),
    _m(
        "b11ca-rsa-csr-sha1",
        "CA-ENR-13",
        "test_ca_csr.py",
        "SHA-1 is accepted on RSA CSRs (the old OpenSSL default; proof of possession checked "
        "with the key's verify, which takes SHA-1), refused on EC ones",
        _rsa_csr_sha1,
    ),
    # lens 6
    _m(
        "b11ca-host-check-on-csr-cn",
        "CA-ENR-17",
        "test_ca_csr_forms.py",
        "the host-name check is applied to the CSR's CN, not to the alias the certificate names",
        _host_check_on_csr_cn,
    ),
    _m(
        "b11ca-host-check-host-header",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the alias is compared with the request's Host header only, not with the CA's "
        "certificate names",
        _host_check_host_header,
    ),
    _m(
        "b11ca-hard-lock-right-password",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a hard-locked alias is let through when its password is right",
        _hard_lock_right_password,
    ),
    _m(
        "b11ca-form-body-fallback",
        "CA-ENR-9",
        "test_ca_request_pieces.py",
        "a body that is not JSON is read as a form (alias=..&password=..&csr=..)",
        _form_body_fallback,
    ),
    _m(
        "b11ca-csr-public-key",
        "CA-ENR-3",
        "test_ca_csr_forms.py",
        "a PUBLIC KEY PEM in `csr` is certified as it is (no proof of possession)",
        _csr_public_key,
    ),
    _m(
        "b11ca-password-encode-ignore",
        "CA-ENR-6",
        "test_ca_password_bytes.py",
        "the password is encoded with errors='ignore': a right password plus a lone "
        "surrogate enrols",
        _password_encode_ignore,
    ),
    _m(
        "b11ca-alias-from-csr-cn",
        "CA-ENR-4",
        "test_ca_csr_forms.py",
        "a request without `alias` falls back to the CSR's CN: the CSR's subject picks the "
        "account and the certificate's name",
        _alias_from_csr_cn,
    ),
)
