"""Blind red-team round 5: the organisation CA (docs/SPEC.md §4.4, PKI-CERT-* as issued).

Written BLIND (phase 1): from the SPEC and the reference's CA modules only, before
reading any conformance case or other family. Each is one plausible implementer's
mistake violating one MUST, planted in the CA server's process (`ca=True`).

Blind list (name -> requirement -> the bug; group of the round-5 brief in brackets):

(a) library and API misuse
- b5ca-tls12-default-context -> CA-ENR-1: the CA's HTTPS context is a plain
  SSLContext with `minimum_version = TLSv1_2` (a copied "modern" snippet).
- b5ca-curve-size-only -> CA-ENR-13: a CSR's EC key is judged by `curve.key_size >= 256`
  (P-384, P-521 and secp256k1 pass).
- b5ca-csr-digest-denylist -> CA-ENR-13: the CSR's hash is refused only when it is SHA-1
  or MD5 (a deny list): SHA-224 passes.
- b5ca-query-after-urlsplit -> CA-ENR-15: routing on `urlsplit(path).path` and the "?"
  check made on that already-split path: query strings never seen.
- b5ca-password-stripped -> CA-ENR-6: the password is `.strip()`ped before scrypt
  ("pw " and " pw" log in as "pw").
- b5ca-body-decode-replace -> CA-ENR-9: the body is decoded with `errors="replace"`:
  a body that is not UTF-8 is not a 400 bad_request but goes on to the login.
- b5ca-addr-key-with-port -> CA-ENR-7: the address key is `client_address` (host AND
  port): every new connection is a new address, the per-address throttle never bites.
- b5ca-content-length-int -> CA-ENR-9: Content-Length checked with `int()` instead of
  isdigit: `-1` reads until EOF (unbounded body, no answer).
- b5ca-header-name-case -> CA-ENR-2: Content-Length looked up case-sensitively in the raw
  headers: a client sending `content-length` gets 411.

(b) only part of a list checked
- b5ca-throttle-alias-key-only -> CA-ENR-7: the running backoff is looked up for the
  first key (the alias) only; the address's backoff is never enforced.
- b5ca-crl-one-per-alias -> CA-ENR-11: the CRL is built from a dict keyed by alias: an
  alias with two revoked certificates lists only one.
- b5ca-host-names-dns-only -> CA-ENR-17: the CA's own names are its CN and SAN DNS names;
  its SAN IP addresses are left out (alias `127.0.0.1` enrols).
- b5ca-csr-sig-rsa-only -> CA-ENR-3: the CSR's signature is enforced for RSA keys only;
  an EC CSR with a broken signature is signed.
- b5ca-csr-san-copied -> CA-ENR-4: the CSR's requested subjectAltName is copied into the
  certificate ("helpful").
- b5ca-query-post-only -> CA-ENR-15: routing ignores the query; the query check runs for
  POST only (GET /v1/crl?x=1 is served).
- b5ca-rsa-key-encipherment -> PKI-CERT-1: RSA certificates get keyEncipherment too
  (the TLS 1.2 habit), EC ones are right.

(c) resources
- b5ca-body-read-before-limit -> CA-ENR-9: the announced body is read before the 64 KiB
  check: an oversized Content-Length with a slow or absent body gets no prompt 413.
- b5ca-bad-csr-leaks-pending -> CA-ENR-2: the CSR is checked before the password (as
  CA-ENR-21 allows) but a bad CSR leaves the login's pending reservation behind: after
  a few bad CSRs every login of that alias and address is 503.
- b5ca-success-releases-alias-only -> CA-ENR-2: a right password ends the pending attempt
  of the alias but not of the address: the Nth enrolment from one address is 503.

(d) cryptographic details
- b5ca-aki-from-subject-key -> PKI-CERT-13: the employee certificate's
  AuthorityKeyIdentifier is computed from the subject's key (copy-paste of the SKI line).
- b5ca-crl-signed-sha1 -> CA-ENR-8: the CRL is signed with SHA-1 (an old snippet).
- b5ca-serial-from-key -> CA-ENR-10: the serial is the key's SHA-256 fingerprint
  ("idempotent re-enrolment"): the same key enrolled twice gets the same serial.

(e) concurrency
- b5ca-pending-not-reserved -> CA-ENR-14: admit checks the backoff only, failures are
  counted after the hash: N concurrent guesses are all verified.
- b5ca-busy-on-cap-only -> CA-ENR-14: the BUSY rule keeps only the pending cap (4), not
  `failures + pending >= N`: 4 concurrent guesses are verified with N = 3.
- b5ca-lost-update-failures -> CA-ENR-14: a failure writes back "count seen at admit + 1"
  (read-modify-write across the hash): parallel failures are undercounted.

(f) state
- b5ca-revoked-enrols-again -> CA-ENR-11: `authenticate` forgets the revoked flag: a
  revoked alias with its password enrols again.
- b5ca-backoff-stored-monotonic -> CA-ENR-20: the running backoff is written to SQLite in
  monotonic time (not wall time): after a restart the backoff is gone.
- b5ca-success-clears-address -> CA-ENR-7: a right password clears the address's
  failures too (an attacker with an account washes the address between guesses).
- b5ca-lock-not-checked-at-admit -> CA-ENR-19: the hard lock is written but admit only
  checks the timed backoff: a locked alias logs in once its backoff ends.

time and boundaries
- b5ca-crl-nextupdate-from-now -> CA-ENR-16: nextUpdate = now + 7 d while thisUpdate is
  backdated 5 minutes: 7 days and 5 minutes apart.
- b5ca-notafter-plus-skew -> CA-ENR-10: notAfter = now + validity + the 5-minute skew.
- b5ca-body-limit-off-by-one -> CA-ENR-9: `length >= 65536` is 413: a body of exactly
  64 KiB is refused.
- b5ca-rsa-2048-refused -> CA-ENR-2: RSA keys need `key_size > 2048`: RSA-2048 CSRs
  are bad_csr.
- b5ca-unknown-alias-message -> CA-ENR-6: the 401's message says "unknown alias" or
  "wrong password".

Measured (phase 2, the suite as it stood): 28 of 34 caught (82 %). Escapes, by kind:
- b5ca-content-length-int (a): an integer parser's leniency on a header ("-1", "+N").
- b5ca-header-name-case (a): header names matched case-sensitively.
- b5ca-body-read-before-limit (c): the announced length read before it is checked.
- b5ca-success-releases-alias-only (c): a reservation leaked on the SUCCESS path, seen
  only at the 4th enrolment from one address.
- b5ca-lost-update-failures (e): a read-modify-write of the failure count across the
  hash; the burst case counted the burst's 401s only, never what came after.
- b5ca-backoff-stored-monotonic (f): monotonic time persisted; not observable on the
  embedded CA (its 2 s backoff cap is shorter than a restart), so not registered.
Added in phase 3 (the reference's own quirk, found while closing the (a) escapes):
- b5ca-length-isdigit-unicode -> CA-ENR-9: Content-Length checked with `str.isdigit()`:
  the Latin-1 "²" passes it, int() refuses it: 500 instead of 400/411 (the reference did
  this until this round; SPEC CA-ENR-9 now says such a Content-Length is none).
Phase 3 (test_ca.py: malformed Content-Length, an announced body over the limit, six
enrolments in a row from one address in several header spellings; test_ca_throttle.py:
guesses one by one after the concurrent burst) catches the first five.
"""

from __future__ import annotations

import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """_Handler._dispatch with `edits`, rebound to every do_METHOD (bound at class creation)."""
    handler = _server()._Handler
    _patch_source(handler, "_dispatch", *edits)
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{method}", handler._dispatch)


# --- (a) library and API misuse ---------------------------------------------------------


def _tls12_default_context() -> None:
    ssl = _module("ssl")
    server = _server()

    def https_server_context(cert: Any, key: Any) -> Any:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    server.https_server_context = https_server_context


def _curve_size_only() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        (
            "if not isinstance(public_key.curve, ec.SECP256R1):",
            "if public_key.curve.key_size < 256:",
        ),
    )


def _csr_digest_denylist() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            'if not valid or digest is None or digest.name in ("sha1", "md5"):',
        ),
    )


def _query_after_urlsplit() -> None:
    _patch_dispatch(
        (
            'if "?" in self.path or "#" in self.path:',
            'if "?" in __import__("urllib.parse").parse.urlsplit(self.path).path:',
        ),
        (
            "path = self.path\n",
            'path = __import__("urllib.parse").parse.urlsplit(self.path).path\n',
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


def _body_decode_replace() -> None:
    _patch_source(
        _server()._Handler,
        "_read_json",
        (
            'json.loads(body.decode("utf-8"),',
            'json.loads(body.decode("utf-8", errors="replace"),',
        ),
    )


def _addr_key_with_port() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ('f"addr:{self.client_address[0]}"', 'f"addr:{self.client_address}"'),
    )


def _content_length_int() -> None:
    server = _server()

    def length_ok(text: str) -> bool:
        try:
            int(text)
        except ValueError:
            return False
        return True

    server._b5ca_length_ok = length_ok
    _patch_source(
        server._Handler,
        "_read_json",
        (
            "if length_text is None or not (length_text.isascii() and length_text.isdigit()):",
            "if length_text is None or not _b5ca_length_ok(length_text):",
        ),
    )


def _length_isdigit_unicode() -> None:
    _patch_source(
        _server()._Handler,
        "_read_json",
        ("not (length_text.isascii() and length_text.isdigit())", "not length_text.isdigit()"),
    )


def _header_name_case() -> None:
    _patch_source(
        _server()._Handler,
        "_read_json",
        (
            'lengths = self.headers.get_all("Content-Length") or []',
            'lengths = [v for k, v in self.headers.items() if k == "Content-Length"]',
        ),
    )


# --- (b) only part of a list checked -----------------------------------------------------


def _throttle_alias_key_only() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "for k in keys if k in self._keys), default=0.0)",
            "for k in keys[:1] if k in self._keys), default=0.0)",
        ),
    )


def _crl_one_per_alias() -> None:
    ca = _ca()
    dt = _module("datetime")

    def crl(self: Any, *, now: Any = None) -> Any:
        now = now or ca._utcnow()
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, revoked_at, not_after, alias FROM certificates"
                " WHERE revoked_at IS NOT NULL"
            ).fetchall()
        per_alias: dict[str, tuple[int, Any]] = {}
        for serial, when, not_after, alias in rows:
            if dt.datetime.fromisoformat(not_after) > now - ca._BACKDATE:
                per_alias[alias] = (int(serial), dt.datetime.fromisoformat(when))
        return ca.make_crl(self.root_key, self.root, per_alias.values(), now=now)

    ca.CertificateAuthority.crl = crl


def _host_names_dns_only() -> None:
    _patch_source(
        _ca(),
        "_host_names",
        ("names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]", "pass"),
    )


def _csr_sig_rsa_only() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if (not valid and isinstance(public_key, rsa.RSAPublicKey))"
            " or not isinstance(digest, _CSR_DIGESTS):",
        ),
    )


def _csr_san_copied() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    oid = _module("cryptography.x509.oid")

    def issue_with_san(
        csr: Any, root_key: Any, root: Any, alias: str, public_key: Any, *, validity: Any, now: Any
    ) -> Any:
        now = now or ca._utcnow()
        builder = ca._leaf_builder(
            root,
            ca._check_public_key(public_key),
            ca.check_alias(alias),
            [oid.ExtendedKeyUsageOID.CLIENT_AUTH, oid.ExtendedKeyUsageOID.SERVER_AUTH],
            now - ca._BACKDATE,
            now + validity,
        )
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            pass
        else:
            builder = builder.add_extension(san.value, critical=False)
        return builder.sign(root_key, ca._signing_hash(root_key))

    ca._b5ca_issue_with_san = issue_with_san
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("cert = issue_employee(", "cert = _b5ca_issue_with_san(csr, "),
    )


def _query_post_only() -> None:
    _patch_dispatch(
        (
            'if "?" in self.path or "#" in self.path:',
            'if self.command == "POST" and ("?" in self.path or "#" in self.path):',
        ),
        ("path = self.path\n", 'path = self.path.partition("?")[0]\n'),
    )


def _rsa_key_encipherment() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "key_encipherment=False,  # [PKI-CERT-1]: TLS 1.3 only signs, RSA too",
            "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),",
        ),
    )


# --- (c) resources ----------------------------------------------------------------------


def _body_read_before_limit() -> None:
    _patch_source(
        _server()._Handler,
        "_read_json",
        (
            "length = int(length_text)\n    if length > MAX_BODY:",
            "length = int(length_text)\n    body = self.rfile.read(length)\n"
            "    if length > MAX_BODY:",
        ),
        ("if length <= 16 * MAX_BODY:", "if False:"),
        ("body = self.rfile.read(length)\n    if len(body)", "if len(body)"),
    )


def _bad_csr_leaks_pending() -> None:
    server = _server()
    x509 = _module("cryptography.x509")
    http = _module("http")

    def precheck(csr: str) -> None:
        try:
            request = x509.load_pem_x509_csr(csr.encode("utf-8"))
            ok = request.is_signature_valid
        except Exception:
            ok = False
        if not ok:
            raise server._HttpError(http.HTTPStatus.BAD_REQUEST, "bad_csr", "the CSR is not valid")

    server._b5ca_precheck = precheck
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "# Same answer, same cost for an unknown alias and a wrong password [CA-ENR-6].",
            "_b5ca_precheck(csr)",
        ),
    )


def _success_releases_alias_only() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ("throttle.success(keys[0], keys[1])", "throttle.success(keys[0])"),
    )


# --- (d) cryptographic details ----------------------------------------------------------


def _aki_from_subject_key() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),",
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key),",
        ),
    )


def _crl_signed_sha1() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (
            "return builder.sign(root_key, _signing_hash(root_key))",
            "return builder.sign(root_key, hashes.SHA1())",
        ),
    )


def _serial_from_key() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            ".serial_number(_serial())",
            '.serial_number(int.from_bytes(__import__("hashlib").sha256(public_key.public_bytes('
            "serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))"
            '.digest()[:19], "big") | (1 << 151))',
        ),
    )


# --- (e) concurrency --------------------------------------------------------------------


def _pending_not_reserved() -> None:
    throttle = _server().LoginThrottle
    _patch_source(
        throttle,
        "admit",
        ("self._pending[key] = self._pending.get(key, 0) + 1", "pass"),
    )
    _patch_source(throttle, "failed", ("self._count(self._release(keys), ", "self._count(keys, "))


def _busy_on_cap_only() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "if pending >= self.pending_cap or (pending and failures + pending >= self.after):",
            "if pending >= self.pending_cap:",
        ),
    )


def _lost_update_failures() -> None:
    throttle = _server().LoginThrottle
    seen = threading.local()
    original_admit = throttle.admit

    def admit(self: Any, *keys: str) -> int:
        with self._lock:
            seen.counts = {k: (self._keys[k].count if k in self._keys else 0) for k in keys}
        return int(original_admit(self, *keys))

    def failed(self: Any, *keys: str) -> None:
        counts: dict[str, int] = getattr(seen, "counts", {})
        with self._lock:
            released = self._release(keys)
            for key in released:
                if key in self._keys:  # the count as read before the slow hash
                    self._keys[key].count = counts.get(key, 0)
            self._count(released, self.clock())

    throttle.admit = admit
    throttle.failed = failed


# --- (f) state --------------------------------------------------------------------------


def _revoked_enrols_again() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        ("return ok and row is not None and row[1] is None", "return ok and row is not None"),
    )


def _backoff_stored_monotonic() -> None:
    _patch_source(
        _server().LoginThrottle,
        "_count",
        (
            "(key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),",
            "(key, entry.count, entry.blocked_until, wall),",
        ),
    )


def _success_clears_address() -> None:
    _patch_source(
        _server().LoginThrottle,
        "success",
        (
            "if key in self._keys:\n            self._forget(key)",
            "for k in (key, *refunded):\n            self._forget(k)",
        ),
    )


def _lock_not_checked_at_admit() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "if self._hard_locked(keys):\n            return max(1, int(self.cap + 0.999))",
            "pass",
        ),
    )


# --- time and boundaries ----------------------------------------------------------------


def _crl_nextupdate_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _notafter_plus_skew() -> None:
    _patch_source(
        _ca(),
        "issue_employee",
        ("now + validity,", "now + validity + _BACKDATE,"),
    )


def _body_limit_off_by_one() -> None:
    _patch_source(
        _server()._Handler,
        "_read_json",
        (
            "length = int(length_text)\n    if length > MAX_BODY:",
            "length = int(length_text)\n    if length >= MAX_BODY:",
        ),
    )


def _rsa_2048_refused() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if public_key.key_size <= 2048:"),
    )


def _unknown_alias_message() -> None:
    server = _server()

    def message(handler: Any, alias: str) -> str:
        ca = handler.server.ca
        with ca._lock:
            row = ca._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
        return "wrong password" if row is not None else "unknown alias"

    server._b5ca_message = message
    _patch_source(
        server._Handler,
        "_enroll",
        ('"auth_failed", "wrong alias or password")', '"auth_failed", _b5ca_message(self, alias))'),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b5ca-{name}",
        group="ca",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


_BACKOFF_STORED_MONOTONIC = _m(
    "backoff-stored-monotonic",
    "CA-ENR-20",
    "test_ca_restart.py",
    "the running backoff is stored in monotonic time: lost at a restart",
    _backoff_stored_monotonic,
)
MUTANTS: tuple[Mutant, ...] = (
    # (a)
    _m(
        "tls12-default-context",
        "CA-ENR-1",
        "test_ca.py",
        "the CA's HTTPS context accepts TLS 1.2",
        _tls12_default_context,
    ),
    _m(
        "curve-size-only",
        "CA-ENR-13",
        "test_ca_csr.py",
        "CSR EC keys judged by curve size >= 256 (P-384, secp256k1 pass)",
        _curve_size_only,
    ),
    _m(
        "csr-digest-denylist",
        "CA-ENR-13",
        "test_ca_csr.py",
        "CSR hashes refused only if SHA-1 or MD5 (SHA-224 passes)",
        _csr_digest_denylist,
    ),
    _m(
        "query-after-urlsplit",
        "CA-ENR-15",
        "test_ca.py",
        "the query check runs on urlsplit(path).path: never sees a query",
        _query_after_urlsplit,
    ),
    _m(
        "password-stripped",
        "CA-ENR-6",
        "test_ca.py",
        "the password is stripped before it is verified",
        _password_stripped,
    ),
    _m(
        "body-decode-replace",
        "CA-ENR-9",
        "test_ca.py",
        "a body that is not UTF-8 is decoded with errors=replace",
        _body_decode_replace,
    ),
    _m(
        "addr-key-with-port",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the address key holds the client's port: each connection a new address",
        _addr_key_with_port,
    ),
    _m(
        "content-length-int",
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length parsed with int(): -1 reads until EOF",
        _content_length_int,
    ),
    _m(
        "length-isdigit-unicode",
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length checked with str.isdigit(): '²' passes, int() raises, 500",
        _length_isdigit_unicode,
    ),
    _m(
        "header-name-case",
        "CA-ENR-2",
        "test_ca.py",
        "Content-Length looked up case-sensitively",
        _header_name_case,
    ),
    # (b)
    _m(
        "throttle-alias-key-only",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "a running backoff is enforced for the alias key only, not the address",
        _throttle_alias_key_only,
    ),
    _m(
        "crl-one-per-alias",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists one revoked certificate per alias",
        _crl_one_per_alias,
    ),
    _m(
        "host-names-dns-only",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the CA's SAN IP addresses are not among its host names",
        _host_names_dns_only,
    ),
    _m(
        "csr-sig-rsa-only",
        "CA-ENR-3",
        "test_ca_csr.py",
        "the CSR signature is enforced for RSA keys only",
        _csr_sig_rsa_only,
    ),
    _m(
        "csr-san-copied",
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CSR's subjectAltName is copied into the certificate",
        _csr_san_copied,
    ),
    _m(
        "query-post-only",
        "CA-ENR-15",
        "test_ca.py",
        "query strings refused on POST only (GET /v1/crl?x is served)",
        _query_post_only,
    ),
    _m(
        "rsa-key-encipherment",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "RSA employee certificates carry keyEncipherment",
        _rsa_key_encipherment,
    ),
    # (c)
    _m(
        "body-read-before-limit",
        "CA-ENR-9",
        "test_ca.py",
        "the announced body is read before the 64 KiB check",
        _body_read_before_limit,
    ),
    _m(
        "bad-csr-leaks-pending",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "a bad CSR (checked before the password) leaks the pending reservation",
        _bad_csr_leaks_pending,
    ),
    _m(
        "success-releases-alias-only",
        "CA-ENR-2",
        "test_ca.py",
        "a right password ends the alias's pending attempt, not the address's",
        _success_releases_alias_only,
    ),
    # (d)
    _m(
        "aki-from-subject-key",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "the AuthorityKeyIdentifier is made from the subject's key",
        _aki_from_subject_key,
    ),
    _m(
        "crl-signed-sha1",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is signed with SHA-1",
        _crl_signed_sha1,
    ),
    _m(
        "serial-from-key",
        "CA-ENR-10",
        "test_ca_csr.py",
        "the serial is the key's fingerprint: the same key, the same serial",
        _serial_from_key,
    ),
    # (e)
    _m(
        "pending-not-reserved",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "no pending reservation: concurrent guesses are all verified",
        _pending_not_reserved,
    ),
    _m(
        "busy-on-cap-only",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "503 only at the pending cap, not at failures + pending >= N",
        _busy_on_cap_only,
    ),
    _m(
        "lost-update-failures",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "a failure writes back the count read at admit + 1: parallel failures undercounted",
        _lost_update_failures,
    ),
    # (f)
    _m(
        "revoked-enrols-again",
        "CA-ENR-11",
        "test_ca.py",
        "a revoked alias with its password enrols again",
        revocation_not_rechecked(_revoked_enrols_again),
    ),
    # b5ca-backoff-stored-monotonic (CA-ENR-20) is not registered: test_ca_restart.py
    # judges a running backoff only when it outlasts the restart, and the embedded CA's
    # backoff cap (2 s) is shorter than a restart of the reference CA on a loaded machine
    # (the case then leaves it unjudged). `_BACKOFF_STORED_MONOTONIC` keeps the planting.
    _m(
        "success-clears-address",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "a right password clears the address's failures too",
        _success_clears_address,
    ),
    _m(
        "lock-not-checked-at-admit",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "the hard lock is recorded but admit checks only the timed backoff",
        _lock_not_checked_at_admit,
    ),
    # time and boundaries
    _m(
        "crl-nextupdate-from-now",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate = now + 7 d with thisUpdate backdated: 7 d 5 min apart",
        _crl_nextupdate_from_now,
    ),
    _m(
        "notafter-plus-skew",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter = now + validity + 5 min",
        _notafter_plus_skew,
    ),
    _m(
        "body-limit-off-by-one",
        "CA-ENR-9",
        "test_ca.py",
        "a body of exactly 65536 bytes is answered 413",
        _body_limit_off_by_one,
    ),
    _m(
        "rsa-2048-refused",
        "CA-ENR-2",
        "test_ca_csr.py",
        "RSA keys need more than 2048 bits: RSA-2048 CSRs are bad_csr",
        _rsa_2048_refused,
    ),
    _m(
        "unknown-alias-message",
        "CA-ENR-6",
        "test_ca.py",
        "the 401's message tells an unknown alias from a wrong password",
        _unknown_alias_message,
    ),
)
