"""Blind red-team round 6 (brief B18): the CA (`sft ca serve`), written from docs/SPEC.md
§4.2 and §4.4 and the reference CA's modules (reference/pki/ca.py, ca_server.py,
reference/cli/ca.py) only, before opening any CA case file, earlier CA mutant list or
independent CA. Every mutant runs in the CA's server process only: `sft ca user add` and
`sft ca revoke` (the target's admin commands) stay honest.

HTTP (CA-ENR-9, CA-ENR-15):
- b6ca-chunked-unbounded -> CA-ENR-9: a `Transfer-Encoding: chunked` body is read with no
  total limit (the 64 KiB check is only on Content-Length).
- b6ca-cl-int-parse -> CA-ENR-9: Content-Length checked with `lstrip("+")` and `_`
  removed before `isdigit()`: `+5` and `5_0` are taken as lengths.
- b6ca-cl-list-first -> CA-ENR-9: a list value `Content-Length: 10, 20` is resolved by
  taking its first element.
- b6ca-body-limit-decimal -> CA-ENR-9: the body limit is 64 000 bytes (64 "kB").
- b6ca-html-parser-errors -> CA-ENR-9: only the codes the CA maps are JSON; the HTTP
  parser's own 414/431/505 fall back to http.server's HTML page.
- b6ca-route-prefix -> CA-ENR-9: routes matched by prefix: `/v1/rootx`, `/v1/crl/x` served.
- b6ca-500-traceback -> CA-ENR-9: an internal error's message is the traceback.
- b6ca-query-get-allowed -> CA-ENR-15: the query check is done for POST only; a GET with
  a query is served (the query dropped).
- b6ca-query-empty-ok -> CA-ENR-15: `urlsplit(path).query` decides: `/v1/enroll?` (an
  empty query) is served.

Logins (CA-ENR-5, CA-ENR-6, CA-ENR-11):
- b6ca-unknown-alias-closes -> CA-ENR-6: an unknown alias's 401 carries `Connection:
  close`, a wrong password's keeps the connection (same body, different answer).
- b6ca-password-stripped -> CA-ENR-6: the candidate password is `.strip()`ped: the right
  password with a trailing space is accepted.
- b6ca-password-rehash-72 -> CA-ENR-5: after a right login the record is "upgraded" to a
  hash of the password's first 72 characters (bcrypt's limit): a wrong password that
  shares them is accepted from then on.
- b6ca-revoked-403 -> CA-ENR-11: a revoked alias with its right password gets
  `403 revoked` instead of the wrong-password answer.
- b6ca-crl-one-per-alias -> CA-ENR-11: the CRL query has `GROUP BY alias`: one revoked
  certificate per alias is listed.

Throttle (CA-ENR-7, CA-ENR-14, CA-ENR-19, CA-ENR-20, CA-ENR-21):
- b6ca-badcsr-wrongpw-uncounted -> CA-ENR-21: a wrong password sent with a bad CSR is
  answered 401 but not counted ("a broken client, not a guess").
- b6ca-unknown-alias-addr-only -> CA-ENR-7: failures of unknown aliases count against
  the address only, not the alias.
- b6ca-pending-alias-only -> CA-ENR-14: only the alias is reserved before the hash; the
  address counts its failures after it (parallel guesses on many aliases from one
  address are all verified).
- b6ca-addr-counts-not-persisted -> CA-ENR-20: only alias failures are written to the
  SQLite file; address counts are lost on a restart.
- b6ca-success-keeps-count -> CA-ENR-19: a right password ends its reservation but does
  not reset the alias's failures: non-consecutive failures add up to the hard lock.
- b6ca-busy-no-retry-after -> CA-ENR-14: the 503 busy answer has no Retry-After.

CSR (CA-ENR-3, CA-ENR-13):
- b6ca-rsa-sig-unchecked -> CA-ENR-3: the CSR signature is verified for EC keys only.
- b6ca-rsa-size-bytes -> CA-ENR-13: the RSA size is judged in bytes (`(bits+7)//8 >=
  256`): a 2041..2047-bit modulus passes.
- b6ca-curve-by-size -> CA-ENR-13: the curve is judged by `curve.key_size == 256`:
  secp256k1 (and brainpoolP256r1) keys are certified.
- b6ca-csr-sha224 -> CA-ENR-13: SHA-224 is in the accepted CSR digests.
- b6ca-csr-der-fallback -> CA-ENR-13: a `csr` without PEM armour is base64-decoded and
  loaded as DER.

Certificate (CA-ENR-4, PKI-CERT-1, PKI-CERT-13, CA-ENR-10):
- b6ca-subject-o-copied -> CA-ENR-4: the CSR's subject attributes other than CN (O, OU)
  are kept next to CN = alias.
- b6ca-san-copied -> CA-ENR-4: a subjectAltName requested in the CSR is copied.
- b6ca-eku-merged -> CA-ENR-4: the CSR's requested EKU purposes are added to both.
- b6ca-cn-case-from-csr -> CA-ENR-4: a CSR CN equal to the alias ignoring case is used
  as the CN (`SUITE`).
- b6ca-rsa-keyencipherment -> PKI-CERT-1: RSA keys get keyEncipherment too.
- b6ca-bc-noncritical -> PKI-CERT-1: BasicConstraints CA:FALSE is not critical.
- b6ca-aki-spki-sha1 -> PKI-CERT-13: the AKI is SHA-1 over the root's whole
  SubjectPublicKeyInfo, not its key bits (!= the root's SKI).
- b6ca-backdate-2h -> CA-ENR-10: notBefore is backdated by two hours.
- b6ca-notafter-grace -> CA-ENR-10: notAfter = now + validity + 1 h ("grace").
- b6ca-serial-from-key -> CA-ENR-10: the serial is a hash of the public key: the same
  key enrolled twice gets the same serial.
- b6ca-serial-time-plus-32 -> CA-ENR-10: serial = (unix time << 32) | 32 random bits.

CRL (CA-ENR-8, CA-ENR-16):
- b6ca-crl-next-from-now -> CA-ENR-16: thisUpdate backdated 5 min, nextUpdate = now +
  7 days: 7 days + 5 min apart.
- b6ca-crl-sha384 -> CA-ENR-8: the CRL is signed with ECDSA-SHA384.
- b6ca-crl-cached -> CA-ENR-8: the CRL is built once and served for 300 s: a revocation
  made after the first fetch is missing.

Host names (CA-ENR-17):
- b6ca-hostname-ip-unchecked -> CA-ENR-17: the CA's names are its CN and SAN DNS names;
  its IP addresses are not refused as aliases (`127.0.0.1` enrols).
- b6ca-hostname-trailing-dot -> CA-ENR-17: names compared lowercased but with their
  trailing dot: the alias `localhost.` enrols.

Phase 2 (written after reading the CA cases; not part of the blind count):
- b6ca-html-limit-errors -> CA-ENR-9: only the parser's limit errors (414, 431) fall back
  to http.server's HTML page.
- b6ca-threshold-off-by-one -> CA-ENR-7: the backoff starts at failures > N: N + 1 wrong
  passwords answered 401 (no case compared the measured threshold with the declared one).
- b6ca-right-password-skips-backoff -> CA-ENR-7: during a backoff (not a hard lock) the
  password is verified; a right one enrols, a wrong one gets 429 (an oracle).
- b6ca-crl-lists-all -> CA-ENR-8: the CRL query lost its WHERE: every unexpired
  certificate is listed as revoked.
- b6ca-query-after-login -> CA-ENR-15: the query is refused after the login was verified
  and counted (only the 400 was checked, not that nothing was read).
- b6ca-san-alias-added -> CA-ENR-4: the CA adds its own subjectAltName DNS:alias (only a
  SAN copied from the CSR was checked).

Blind measure (the suite as it was, before this round's case changes): 37 of the 41
detected (9 of them under a case file other than the one first guessed: CA-ENR-16/17 live
in test_pki_hardening.py, PKI-CERT-1/13 and CA-ENR-10 in test_ca_csr.py; test_file fixed).
Escapes, and the cases added for them:
- b6ca-500-traceback: no case made the CA fail internally -> test_ca.py
  test_values_that_break_a_handler_get_a_plain_json_error (lone surrogates, a NUL, deep
  nesting; the answer must hold no stack trace).
- b6ca-cl-list-first: no Content-Length list form -> test_malformed_content_length_is_refused
  `list`, `list-no-space`.
- b6ca-csr-der-fallback: no unarmoured CSR -> test_malformed_csr_is_refused `base64-der`,
  `base64-der-one-line`.
- b6ca-password-rehash-72: CA-ENR-5 had no case -> test_ca.py
  test_every_character_of_a_long_password_counts (a 100-character password, changed at its
  end or cut to 72, before and after a right login).

Not planted (not observable on the wire or outside the CA process): CA-ENR-12 (the
enrolling client's key generation and its file mode: `sft enroll` is not a client the
suite launches), CA-ENR-22 (the key at rest), CA-ENR-5's salt and constant-time compare.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import secrets
import threading
import time
import traceback
import urllib.parse
from typing import Any

from conformance.selftest.mutant import Mutant, _module, surrogate_hash_raises
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _rebind_dispatch() -> None:
    handler = _srv()._Handler
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


# ------------------------------------------------------------------------------ HTTP


def _chunked_unbounded() -> None:
    srv = _srv()
    original = srv._Handler._read_json

    def read_chunked(self: Any) -> bytes:
        body = b""
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(16)

    def read_json(self: Any) -> dict[str, Any]:
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            result: dict[str, Any] = original(self)
            return result
        body = read_chunked(self)
        try:
            value = srv.json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise srv._HttpError(400, "bad_request", "the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise srv._HttpError(400, "bad_request", "the body must be a JSON object")
        return value

    srv._Handler._read_json = read_json


def _cl_int_parse() -> None:
    _patch_source(
        _srv()._Handler,
        "_read_json",
        (
            "not (length_text.isascii() and length_text.isdigit())",
            'not length_text.lstrip("+").replace("_", "").isdigit()',
        ),
    )


def _cl_list_first() -> None:
    _patch_source(
        _srv()._Handler,
        "_read_json",
        (
            'length_text = lengths[0].strip(" \\t") if lengths else None',
            'length_text = lengths[0].split(",")[0].strip(" \\t") if lengths else None',
        ),
    )


def _body_limit_decimal() -> None:
    _srv().MAX_BODY = 64_000


def _html_parser_errors() -> None:
    srv = _srv()
    srv.BaseHTTPRequestHandler = importlib.import_module("http.server").BaseHTTPRequestHandler
    _patch_source(
        srv._Handler,
        "send_error",
        (
            "if code == HTTPStatus.NOT_IMPLEMENTED:",
            "if code not in (400, 404, 405, 413, 501):\n"
            "        BaseHTTPRequestHandler.send_error(self, code, message, explain)\n"
            "        return\n"
            "    if code == HTTPStatus.NOT_IMPLEMENTED:",
        ),
    )


def _html_limit_errors() -> None:
    srv = _srv()
    srv.BaseHTTPRequestHandler = importlib.import_module("http.server").BaseHTTPRequestHandler
    _patch_source(
        srv._Handler,
        "send_error",
        (
            "if code == HTTPStatus.NOT_IMPLEMENTED:",
            "if code in (414, 431):\n"
            "        BaseHTTPRequestHandler.send_error(self, code, message, explain)\n"
            "        return\n"
            "    if code == HTTPStatus.NOT_IMPLEMENTED:",
        ),
    )


def _route_prefix() -> None:
    _patch_source(
        _srv()._Handler,
        "_dispatch",
        (
            "method = self._ROUTES.get(path)",
            "method = self._ROUTES.get(path)\n"
            "        for route in self._ROUTES if method is None else ():\n"
            "            if path.startswith(route):\n"
            "                path, method = route, self._ROUTES[route]",
        ),
    )
    _rebind_dispatch()


def _traceback_500() -> None:
    srv = _srv()
    srv.traceback = traceback
    _patch_source(
        srv._Handler,
        "_dispatch",
        (
            '{"error": "internal", "message": "internal error"}',
            '{"error": "internal", "message": traceback.format_exc()}',
        ),
    )
    _rebind_dispatch()


def _query_get_allowed() -> None:
    _patch_source(
        _srv()._Handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            'if self.command == "POST" and ("?" in self.path or "#" in self.path):',
        ),
        ("path = self.path\n", 'path = self.path.split("?")[0].split("#")[0]\n'),
    )
    _rebind_dispatch()


def _query_after_login() -> None:
    srv = _srv()
    _patch_source(
        srv._Handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            'if self.command != "POST" and ("?" in self.path or "#" in self.path):',
        ),
        ("path = self.path\n", 'path = self.path.split("?")[0]\n'),
    )
    _rebind_dispatch()
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            "    if not right:\n",
            '    if "?" in self.path:\n'
            "        if right:\n"
            "            throttle.success(keys[0], keys[1])\n"
            "        else:\n"
            "            throttle.failed(*keys)\n"
            '        raise _HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "no query strings")\n'
            "    if not right:\n",
        ),
    )


def _query_empty_ok() -> None:
    srv = _srv()
    srv.urlsplit = urllib.parse.urlsplit
    _patch_source(
        srv._Handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            "if urlsplit(self.path).query or urlsplit(self.path).fragment:",
        ),
        ("path = self.path\n", "path = urlsplit(self.path).path\n"),
    )
    _rebind_dispatch()


# ---------------------------------------------------------------------------- logins


def _has_user(self: Any, alias: str) -> bool:
    with self._lock:
        row = self._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
    return row is not None


def _unknown_alias_closes() -> None:
    _ca().CertificateAuthority.has_user = _has_user
    _patch_source(
        _srv()._Handler,
        "_enroll",
        (
            'raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password")',
            'raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password",'
            ' None if self.server.ca.has_user(alias) else {"Connection": "close"})',
        ),
    )


def _password_stripped() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        (
            "ok = _verify_password_record(record, password)",
            "ok = _verify_password_record(record, password.strip())",
        ),
    )


def _password_rehash_72() -> None:
    ca = _ca()
    verify = ca._verify_password_record
    authenticate = ca.CertificateAuthority.authenticate
    marker = "scrypt72$"

    def verify_record(record: str, password: str) -> bool:
        if record.startswith(marker):
            return bool(verify("scrypt$" + record[len(marker) :], password[:72]))
        return bool(verify(record, password))

    def authenticate_and_upgrade(self: Any, alias: str, password: str) -> bool:
        ok = bool(authenticate(self, alias, password))
        if ok:
            record = marker + ca._new_password_record(password[:72]).split("$", 1)[1]
            with self._lock:
                self._db.execute("UPDATE users SET password = ? WHERE alias = ?", (record, alias))
                self._db.commit()
        return ok

    ca._verify_password_record = verify_record
    ca.CertificateAuthority.authenticate = authenticate_and_upgrade


def _revoked_403() -> None:
    ca = _ca()
    srv = _srv()
    ca._HttpError = srv._HttpError
    _patch_source(
        ca.CertificateAuthority,
        "authenticate",
        (
            "return ok and row is not None and row[1] is None",
            "if ok and row is not None and row[1] is not None:\n"
            '        raise _HttpError(403, "revoked", "this alias was revoked")\n'
            "    return ok and row is not None and row[1] is None",
        ),
    )


def _crl_one_per_alias() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        ('" WHERE revoked_at IS NOT NULL"', '" WHERE revoked_at IS NOT NULL GROUP BY alias"'),
    )


# -------------------------------------------------------------------------- throttle


def _release(self: Any, *keys: str) -> None:
    with self._lock:
        self._release(keys)


def _csr_looks_good(csr: str) -> bool:
    x509 = importlib.import_module("cryptography.x509")
    try:
        return bool(x509.load_pem_x509_csr(csr.encode("utf-8")).is_signature_valid)
    except Exception:
        return False


_AUTH_FAILED_BRANCH = "throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED"


def _badcsr_wrongpw_uncounted() -> None:
    srv = _srv()
    srv.LoginThrottle.release_only = _release
    srv._csr_looks_good = _csr_looks_good
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            _AUTH_FAILED_BRANCH,
            "if _csr_looks_good(csr):\n"
            "            throttle.failed(*keys)\n"
            "        else:\n"
            "            throttle.release_only(*keys)\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )


def _unknown_alias_addr_only() -> None:
    srv = _srv()
    srv.LoginThrottle.release_only = _release
    _ca().CertificateAuthority.has_user = _has_user
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            _AUTH_FAILED_BRANCH,
            "if self.server.ca.has_user(alias):\n"
            "            throttle.failed(*keys)\n"
            "        else:\n"
            "            throttle.failed(keys[1])\n"
            "            throttle.release_only(keys[0])\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )


def _pending_alias_only() -> None:
    throttle = _srv().LoginThrottle
    admit = throttle.admit

    def admit_alias(self: Any, *keys: str) -> int:
        aliases = tuple(k for k in keys if k.startswith("alias:"))
        others = tuple(k for k in keys if not k.startswith("alias:"))
        wait = int(self.retry_after(*others))
        if wait:
            return wait
        result: int = admit(self, *aliases)
        return result

    def failed(self: Any, *keys: str) -> None:
        with self._lock:
            released = self._release(keys)
            others = tuple(k for k in keys if not k.startswith("alias:"))
            self._count(tuple(released) + others, self.clock())

    throttle.admit = admit_alias
    throttle.failed = failed


def _addr_counts_not_persisted() -> None:
    _patch_source(
        _srv().LoginThrottle,
        "_count",
        (
            "if self._db is not None:\n            wall = self.wall_clock()",
            'if self._db is not None and key.startswith("alias:"):\n'
            "            wall = self.wall_clock()",
        ),
    )


def _threshold_off_by_one() -> None:
    _patch_source(
        _srv().LoginThrottle,
        "_count",
        ("if entry.count >= self.after:", "if entry.count > self.after:"),
    )


def _right_password_skips_backoff() -> None:
    srv = _srv()

    def locked(throttle: Any, keys: tuple[str, ...]) -> bool:
        with throttle._lock:
            return bool(throttle._hard_locked(keys))

    srv._mutant_locked = locked
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            "    if wait:\n        raise _HttpError(\n            HTTPStatus.TOO_MANY_REQUESTS,",
            "    right = False\n"
            "    if wait and not _mutant_locked(throttle, keys[:1]):\n"
            "        right = self.server.ca.authenticate(alias, password)\n"
            "        wait = 0 if right else wait\n"
            "    if wait:\n        raise _HttpError(\n            HTTPStatus.TOO_MANY_REQUESTS,",
        ),
        (
            "        right = self.server.ca.authenticate(alias, password)\n    except",
            "        right = right or self.server.ca.authenticate(alias, password)\n    except",
        ),
    )


def _success_keeps_count() -> None:
    _patch_source(
        _srv().LoginThrottle,
        "success",
        ("self._forget(key)", "pass"),
    )


def _busy_no_retry_after() -> None:
    _patch_source(
        _srv()._Handler,
        "_enroll",
        ('{"Retry-After": "1"},', "None,"),
    )


# ------------------------------------------------------------------------------- CSR


def _rsa_sig_unchecked() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "valid = csr.is_signature_valid",
            "valid = csr.is_signature_valid if isinstance("
            "csr.public_key(), ec.EllipticCurvePublicKey) else True",
        ),
    )


def _rsa_size_bytes() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if (public_key.key_size + 7) // 8 < 256:"),
    )


def _curve_by_size() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        (
            "if not isinstance(public_key.curve, ec.SECP256R1):",
            "if public_key.curve.key_size != 256:",
        ),
    )


def _csr_sha224() -> None:
    ca = _ca()
    ca._CSR_DIGESTS = (ca.hashes.SHA224, *ca._CSR_DIGESTS)


def _csr_der_fallback() -> None:
    ca = _ca()
    ca.base64 = base64
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ('if csr_pem.count(b"-----BEGIN ") != 1:', 'if csr_pem.count(b"-----BEGIN ") > 1:'),
        (
            "csr = x509.load_pem_x509_csr(csr_pem)",
            'csr = (x509.load_pem_x509_csr(csr_pem) if b"-----BEGIN" in csr_pem'
            " else x509.load_der_x509_csr(base64.b64decode(csr_pem)))",
        ),
    )


# ----------------------------------------------------------------------- certificate

_CURRENT = threading.local()


def _remember_csr() -> None:
    """CertificateAuthority.enroll keeps the request's CSR where the recipes can see it."""
    authority = _ca().CertificateAuthority
    enroll = authority.enroll

    def enroll_keeping(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        _CURRENT.csr = csr_pem
        try:
            return enroll(self, alias, csr_pem, **kwargs)
        finally:
            _CURRENT.csr = None

    authority.enroll = enroll_keeping


def _current_csr() -> Any:
    x509 = importlib.import_module("cryptography.x509")
    pem = getattr(_CURRENT, "csr", None)
    return None if pem is None else x509.load_pem_x509_csr(pem)


def _requested(csr: Any, kind: Any) -> Any:
    x509 = importlib.import_module("cryptography.x509")
    try:
        return csr.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _subject_o_copied() -> None:
    ca = _ca()
    _remember_csr()

    def subject(common_name: str) -> Any:
        csr = _current_csr()
        kept = [] if csr is None else [a for a in csr.subject if a.oid != ca.NameOID.COMMON_NAME]
        return ca.x509.Name([*kept, ca.x509.NameAttribute(ca.NameOID.COMMON_NAME, common_name)])

    ca._mutant_subject = subject
    _patch_source(
        ca,
        "_leaf_builder",
        (
            ".subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))",
            ".subject_name(_mutant_subject(common_name))",
        ),
    )


def _san_copied() -> None:
    ca = _ca()
    _remember_csr()

    def extra(builder: Any) -> Any:
        csr = _current_csr()
        san = None if csr is None else _requested(csr, ca.x509.SubjectAlternativeName)
        return builder if san is None else builder.add_extension(san, critical=False)

    ca._mutant_extra = extra
    _patch_source(
        ca,
        "issue_employee",
        (
            "return builder.sign(root_key, _signing_hash(root_key))",
            "return _mutant_extra(builder).sign(root_key, _signing_hash(root_key))",
        ),
    )


def _san_alias_added() -> None:
    ca = _ca()

    def extra(builder: Any, alias: str) -> Any:
        san = ca.x509.SubjectAlternativeName([ca.x509.DNSName(alias)])
        return builder.add_extension(san, critical=False)

    ca._mutant_san = extra
    _patch_source(
        ca,
        "issue_employee",
        (
            "return builder.sign(root_key, _signing_hash(root_key))",
            "return _mutant_san(builder, alias).sign(root_key, _signing_hash(root_key))",
        ),
    )


def _eku_merged() -> None:
    ca = _ca()
    _remember_csr()

    def eku(base: list[Any]) -> list[Any]:
        csr = _current_csr()
        asked = None if csr is None else _requested(csr, ca.x509.ExtendedKeyUsage)
        return base + [oid for oid in (asked or []) if oid not in base]

    ca._mutant_eku = eku
    _patch_source(
        ca,
        "issue_employee",
        (
            "[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],",
            "_mutant_eku([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),",
        ),
    )


def _cn_case_from_csr() -> None:
    ca = _ca()
    _remember_csr()

    def cn(alias: str) -> str:
        csr = _current_csr()
        if csr is None:
            return alias
        names = csr.subject.get_attributes_for_oid(ca.NameOID.COMMON_NAME)
        asked = str(names[0].value) if names else ""
        return asked if asked.lower() == alias else alias

    ca._mutant_cn = cn
    _patch_source(ca, "issue_employee", ("check_alias(alias),", "_mutant_cn(check_alias(alias)),"))


def _rsa_keyencipherment() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "key_encipherment=False,  # [PKI-CERT-1]: TLS 1.3 only signs, RSA too",
            "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),",
        ),
    )


def _bc_noncritical() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            ".add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)",
            ".add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)",
        ),
    )


def _aki_spki_sha1() -> None:
    ca = _ca()
    ca.hashlib = hashlib
    _patch_source(
        ca,
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),",
            "x509.AuthorityKeyIdentifier(hashlib.sha1(root.public_key().public_bytes("
            "serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo"
            ")).digest(), None, None),",
        ),
    )


def _backdate_2h() -> None:
    _patch_source(_ca(), "issue_employee", ("now - _BACKDATE,", "now - dt.timedelta(hours=2),"))


def _notafter_grace() -> None:
    _patch_source(
        _ca(), "issue_employee", ("now + validity,", "now + validity + dt.timedelta(hours=1),")
    )


def _serial_from_key() -> None:
    ca = _ca()
    ca.hashlib = hashlib
    _patch_source(
        ca,
        "_leaf_builder",
        (
            ".serial_number(_serial())",
            ".serial_number(int.from_bytes(hashlib.sha256(public_key.public_bytes("
            "serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo"
            ')).digest()[:16], "big") | (1 << 127))',
        ),
    )
    # ... and a store without a unique serial (the same serial is simply stored again).
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ('"INSERT INTO certificates', '"INSERT OR REPLACE INTO certificates'),
    )


def _serial_time_plus_32() -> None:
    def serial() -> int:
        return (int(time.time()) << 32) | secrets.randbits(32)

    _ca()._serial = serial


# ------------------------------------------------------------------------------- CRL


def _crl_next_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _crl_sha384() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (
            "return builder.sign(root_key, _signing_hash(root_key))",
            "return builder.sign(root_key, hashes.SHA384())",
        ),
    )


def _crl_cached() -> None:
    authority = _ca().CertificateAuthority
    crl = authority.crl
    cache: dict[str, tuple[float, Any]] = {}

    def cached(self: Any, **kwargs: Any) -> Any:
        hit = cache.get("crl")
        if hit is None or time.monotonic() - hit[0] > 300:
            hit = (time.monotonic(), crl(self, **kwargs))
            cache["crl"] = hit
        return hit[1]

    authority.crl = cached


def _crl_lists_all() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        ('" WHERE revoked_at IS NOT NULL"', '""'),
        (
            "dt.datetime.fromisoformat(when))",
            "dt.datetime.fromisoformat(when) if when else now)",
        ),
    )


# -------------------------------------------------------------------------- host names


def _hostname_ip_unchecked() -> None:
    ca = _ca()
    _patch_source(
        ca,
        "_host_names",
        ("names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]", "pass"),
    )


def _hostname_trailing_dot() -> None:
    _patch_source(
        _ca(), "_host_key", ('return name.lower().removesuffix(".")', "return name.lower()")
    )


def _ca_mutant(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="blind6-ca",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _ca_mutant(
        "b6ca-chunked-unbounded",
        "CA-ENR-9",
        "test_ca.py",
        "a chunked request body is read without the 64 KiB limit",
        _chunked_unbounded,
    ),
    _ca_mutant(
        "b6ca-cl-int-parse",
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length '+5' and '5_0' are taken as lengths",
        _cl_int_parse,
    ),
    _ca_mutant(
        "b6ca-cl-list-first",
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length '10, 20' resolved to its first element",
        _cl_list_first,
    ),
    _ca_mutant(
        "b6ca-body-limit-decimal",
        "CA-ENR-9",
        "test_ca.py",
        "the body limit is 64000 bytes, not 65536",
        _body_limit_decimal,
    ),
    _ca_mutant(
        "b6ca-html-parser-errors",
        "CA-ENR-9",
        "test_ca.py",
        "the HTTP parser's own 414/431/505 answers are http.server's HTML page",
        _html_parser_errors,
    ),
    _ca_mutant(
        "b6ca-route-prefix",
        "CA-ENR-9",
        "test_ca.py",
        "routes matched by prefix: /v1/rootx and /v1/crl/x are served",
        _route_prefix,
    ),
    _ca_mutant(
        "b6ca-500-traceback",
        "CA-ENR-9",
        "test_ca.py",
        "an internal error answers with the traceback as its message",
        surrogate_hash_raises(_traceback_500),
    ),
    _ca_mutant(
        "b6ca-query-get-allowed",
        "CA-ENR-15",
        "test_ca.py",
        "the query check is for POST only: GET /v1/root?x is served",
        _query_get_allowed,
    ),
    _ca_mutant(
        "b6ca-query-empty-ok",
        "CA-ENR-15",
        "test_ca.py",
        "an empty query ('/v1/enroll?') passes the query check",
        _query_empty_ok,
    ),
    _ca_mutant(
        "b6ca-unknown-alias-closes",
        "CA-ENR-6",
        "test_ca.py",
        "an unknown alias's 401 closes the connection, a wrong password's keeps it",
        _unknown_alias_closes,
    ),
    _ca_mutant(
        "b6ca-password-stripped",
        "CA-ENR-6",
        "test_ca.py",
        "the candidate password is stripped: a trailing space is accepted",
        _password_stripped,
    ),
    _ca_mutant(
        "b6ca-password-rehash-72",
        "CA-ENR-5",
        "test_ca.py",
        "a right login re-hashes the password's first 72 characters only",
        _password_rehash_72,
    ),
    _ca_mutant(
        "b6ca-revoked-403",
        "CA-ENR-11",
        "test_ca.py",
        "a revoked alias with its right password gets 403 revoked, not 401",
        _revoked_403,
    ),
    _ca_mutant(
        "b6ca-crl-one-per-alias",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists one revoked certificate per alias (GROUP BY alias)",
        _crl_one_per_alias,
    ),
    _ca_mutant(
        "b6ca-badcsr-wrongpw-uncounted",
        "CA-ENR-21",
        "test_ca_throttle.py",
        "a wrong password with a bad CSR is answered 401 and not counted",
        _badcsr_wrongpw_uncounted,
    ),
    _ca_mutant(
        "b6ca-unknown-alias-addr-only",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "failures of an unknown alias count against the address only",
        _unknown_alias_addr_only,
    ),
    _ca_mutant(
        "b6ca-pending-alias-only",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "only the alias is reserved before the hash; the address counts after it",
        _pending_alias_only,
    ),
    _ca_mutant(
        "b6ca-addr-counts-not-persisted",
        "CA-ENR-20",
        "test_ca_restart.py",
        "address failure counts are not written to disk: a restart forgets them",
        _addr_counts_not_persisted,
    ),
    _ca_mutant(
        "b6ca-success-keeps-count",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a right password does not reset the alias's failures (hard lock not consecutive)",
        _success_keeps_count,
    ),
    _ca_mutant(
        "b6ca-busy-no-retry-after",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "the 503 busy answer carries no Retry-After",
        _busy_no_retry_after,
    ),
    _ca_mutant(
        "b6ca-rsa-sig-unchecked",
        "CA-ENR-3",
        "test_ca_csr.py",
        "the CSR signature is verified for EC keys only",
        _rsa_sig_unchecked,
    ),
    _ca_mutant(
        "b6ca-rsa-size-bytes",
        "CA-ENR-13",
        "test_ca_csr.py",
        "the RSA size is judged in bytes: a 2041-2047-bit modulus is certified",
        _rsa_size_bytes,
    ),
    _ca_mutant(
        "b6ca-curve-by-size",
        "CA-ENR-13",
        "test_ca_csr.py",
        "any 256-bit curve (secp256k1) is certified",
        _curve_by_size,
    ),
    _ca_mutant(
        "b6ca-csr-sha224",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a CSR signed with SHA-224 is accepted",
        _csr_sha224,
    ),
    _ca_mutant(
        "b6ca-csr-der-fallback",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a csr without PEM armour is base64-decoded and loaded as DER",
        _csr_der_fallback,
    ),
    _ca_mutant(
        "b6ca-subject-o-copied",
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CSR's subject attributes other than CN are kept",
        _subject_o_copied,
    ),
    _ca_mutant(
        "b6ca-san-copied",
        "CA-ENR-4",
        "test_ca_csr.py",
        "a subjectAltName requested in the CSR is copied into the certificate",
        _san_copied,
    ),
    _ca_mutant(
        "b6ca-eku-merged",
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CSR's requested EKU purposes are added",
        _eku_merged,
    ),
    _ca_mutant(
        "b6ca-cn-case-from-csr",
        "CA-ENR-4",
        "test_ca_csr.py",
        "a CSR CN equal to the alias ignoring case becomes the certificate's CN",
        _cn_case_from_csr,
    ),
    _ca_mutant(
        "b6ca-rsa-keyencipherment",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "RSA keys get keyEncipherment in their KeyUsage",
        _rsa_keyencipherment,
    ),
    _ca_mutant(
        "b6ca-bc-noncritical",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "BasicConstraints CA:FALSE is not marked critical",
        _bc_noncritical,
    ),
    _ca_mutant(
        "b6ca-aki-spki-sha1",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "the AKI is SHA-1 of the root's whole SubjectPublicKeyInfo (!= its SKI)",
        _aki_spki_sha1,
    ),
    _ca_mutant(
        "b6ca-backdate-2h",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notBefore is backdated by two hours",
        _backdate_2h,
    ),
    _ca_mutant(
        "b6ca-notafter-grace",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter is one hour past the configured validity",
        _notafter_grace,
    ),
    _ca_mutant(
        "b6ca-serial-from-key",
        "CA-ENR-10",
        "test_ca_csr.py",
        "the serial is a hash of the public key: the same key gets the same serial",
        _serial_from_key,
    ),
    _ca_mutant(
        "b6ca-serial-time-plus-32",
        "CA-ENR-10",
        "test_ca_csr.py",
        "serial = unix time << 32 | 32 random bits (32 bits of randomness)",
        _serial_time_plus_32,
    ),
    _ca_mutant(
        "b6ca-crl-next-from-now",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate = now + 7 days, thisUpdate = now - 5 min: more than 7 days apart",
        _crl_next_from_now,
    ),
    _ca_mutant(
        "b6ca-crl-sha384",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is signed with ECDSA-SHA384",
        _crl_sha384,
    ),
    _ca_mutant(
        "b6ca-crl-cached",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is built once and served for 300 s: later revocations are missing",
        _crl_cached,
    ),
    # Phase 2 (written after reading the cases, not part of the blind count).
    _ca_mutant(
        "b6ca-html-limit-errors",
        "CA-ENR-9",
        "test_ca.py",
        "the parser's limit errors (414, 431) are http.server's HTML page",
        _html_limit_errors,
    ),
    _ca_mutant(
        "b6ca-threshold-off-by-one",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the backoff starts when failures > N: N + 1 wrong passwords answered 401",
        _threshold_off_by_one,
    ),
    _ca_mutant(
        "b6ca-right-password-skips-backoff",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "during a backoff the password is verified: a right one enrols, wrong ones get 429",
        _right_password_skips_backoff,
    ),
    _ca_mutant(
        "b6ca-san-alias-added",
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CA adds a subjectAltName DNS:alias of its own to every certificate",
        _san_alias_added,
    ),
    _ca_mutant(
        "b6ca-query-after-login",
        "CA-ENR-15",
        "test_ca.py",
        "the query is refused after the login was verified (and counted)",
        _query_after_login,
    ),
    _ca_mutant(
        "b6ca-crl-lists-all",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL query lost its WHERE: every unexpired certificate is listed",
        _crl_lists_all,
    ),
    _ca_mutant(
        "b6ca-hostname-ip-unchecked",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the CA's IP addresses are not refused as aliases",
        _hostname_ip_unchecked,
    ),
    _ca_mutant(
        "b6ca-hostname-trailing-dot",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "host names compared with their trailing dot: the alias 'localhost.' enrols",
        _hostname_trailing_dot,
    ),
)
