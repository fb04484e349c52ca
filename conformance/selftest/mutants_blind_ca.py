"""Blind red-team mutants of the organisation CA (docs/SPEC.md §4.4, §4.2 as the CA issues it).

Written from the SPEC and the reference CA alone (reference/pki/ca.py, ca_server.py, tls.py),
without reading the suite's cases: the held-out bugs are planted the same way. Each is one
hurried implementer's mistake breaking ONE requirement of the CA. All are `ca=True`: the
embedded reference's CA server is restarted through the mutant launcher.

Blind list (name -> requirement -> the bug):

- blind-ca-csr-sig-unchecked-rsa -> CA-ENR-3: the CSR's signature is only checked for EC keys
- blind-ca-csr-sha224-accepted -> CA-ENR-13: a CSR signed with SHA-224 is accepted (planted
  first as SHA-1: equivalent, the reference's library never verifies a SHA-1 signature)
- blind-ca-csr-any-curve-256 -> CA-ENR-13: any EC curve of >= 256 bits (P-384, secp256k1)
- blind-ca-csr-rsa-1024 -> CA-ENR-13: RSA keys of 1024 bits accepted
- blind-ca-csr-second-pem -> CA-ENR-13: a body with two PEM blocks: the first is used
- blind-ca-weak-key-bad-request -> CA-ENR-13: a refused key answered `bad_request`, not `bad_csr`
- blind-ca-cn-from-csr-case -> CA-ENR-4: the CSR's CN is kept when it equals the alias
  case-insensitively (`Suite` for `suite`)
- blind-ca-csr-san-copied -> CA-ENR-4: a subjectAltName requested in the CSR is copied
- blind-ca-rsa-key-encipherment -> PKI-CERT-1: RSA certificates get keyEncipherment too
- blind-ca-eku-client-only -> PKI-CERT-1: the EKU is clientAuth only
- blind-ca-bc-not-critical -> PKI-CERT-1: BasicConstraints not marked critical
- blind-ca-serial-time -> CA-ENR-10: the serial is the issue time in microseconds
- blind-ca-serial-from-key -> CA-ENR-10: the serial is a hash of alias and key (repeats)
- blind-ca-validity-ignores-config -> CA-ENR-10: 30 days whatever the configured validity
- blind-ca-not-before-future -> CA-ENR-10: notBefore = now + 5 min (sign slip)
- blind-ca-not-after-end-of-day -> CA-ENR-10: notAfter rounded up to the end of its day
- blind-ca-crl-next-update-from-now -> CA-ENR-16: nextUpdate = now + 7 d, thisUpdate backdated
- blind-ca-crl-cached -> CA-ENR-8: the CRL is built once and served until its nextUpdate
- blind-ca-crl-one-per-alias -> CA-ENR-11: the CRL lists the newest revoked serial per alias
- blind-ca-crl-issuer-tls -> CA-ENR-8: the CRL's issuer is the CA's TLS certificate's subject
- blind-ca-revoked-can-enrol -> CA-ENR-11: a revoked alias with its password enrols again
- blind-ca-host-alias-trailing-dot -> CA-ENR-17: `localhost.` is not the host `localhost`
- blind-ca-host-alias-ip-ignored -> CA-ENR-17: the CA's IP addresses are not host names
- blind-ca-query-stripped -> CA-ENR-15: `/v1/enroll?x=1` served as `/v1/enroll`
- blind-ca-body-limit-off-by-one -> CA-ENR-9: a body of exactly 65536 bytes answered 413
- blind-ca-http-errors-html -> CA-ENR-9: http.server's own errors (unknown method, bad
  request line) answered with its HTML page and 501
- blind-ca-attempts-left-known-only -> CA-ENR-6: the 401 of a known alias says how many
  attempts are left
- blind-ca-unknown-not-counted -> CA-ENR-7: failures of unknown aliases are not counted
- blind-ca-no-address-key -> CA-ENR-7: only the alias is throttled, not the address
- blind-ca-throttle-key-before-lower -> CA-ENR-7: logins are case-insensitive, the throttle
  keys the alias as sent
- blind-ca-retry-after-zero -> CA-ENR-7: Retry-After truncated (0 when under 1 s remains)
- blind-ca-backoff-no-doubling -> CA-ENR-7: every block lasts `base` seconds
- blind-ca-count-after-hash -> CA-ENR-14: no pending reservation: concurrent guesses are all
  verified
- blind-ca-busy-counted -> CA-ENR-14: a `503 busy` answer is counted as a failure
- blind-ca-lock-checked-after-password -> CA-ENR-19: a hard-locked alias with its right
  password enrols
- blind-ca-success-keeps-failures -> CA-ENR-19: a right password does not reset the count
- (round 2, after the suite was read) blind-ca-password-stripped -> CA-ENR-6: the
  password is stripped before it is checked
- (round 2) blind-ca-alias-like -> CA-ENR-7: aliases looked up with SQL LIKE (`_` matches
  any character), the throttle keyed on the alias as sent
- blind-ca-tls12 -> CA-ENR-1: the CA also negotiates TLS 1.2
- blind-ca-tls-unpinned -> PKI-TLS-9: the CA's context keeps OpenSSL's TLS 1.3 defaults
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _server() -> Any:
    return _module("reference.pki.ca_server")


# ---------------------------------------------------------------- CSR checks


def _csr_sig_unchecked_rsa() -> None:
    """ "RSA CSRs from some tools failed to verify (PSS vs PKCS#1): skip them"."""
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if (not valid and not isinstance(public_key, rsa.RSAPublicKey))"
            " or not isinstance(digest, _CSR_DIGESTS):",
        ),
    )


def _csr_sha224_accepted() -> None:
    """ "Any SHA-2" (SHA-1 would be the planting, but `cryptography` cannot even verify a
    SHA-1 CSR signature, so that bug is invisible in this reference)."""
    ca = _ca()
    hashes = _module("cryptography.hazmat.primitives.hashes")
    ca._CSR_DIGESTS = (hashes.SHA224, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def _csr_any_curve_256() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        (
            "if not isinstance(public_key.curve, ec.SECP256R1):",
            "if public_key.curve.key_size < 256:  # mutant: 'at least 256 bits'",
        ),
    )


def _csr_rsa_1024() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if public_key.key_size < 1024:"),
    )


def _csr_second_pem() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        ('if csr_pem.count(b"-----BEGIN ") != 1:', 'if csr_pem.count(b"-----BEGIN ") < 1:'),
    )


def _weak_key_bad_request() -> None:
    """The key check was left to issue_employee: its CaError text becomes `bad_request`."""
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "public_key = _check_public_key(csr.public_key())",
            "public_key = csr.public_key()",
        ),
    )


# ---------------------------------------------------------------- the issued certificate

_CURRENT = threading.local()


def _remember_csr() -> None:
    """Wraps CertificateAuthority.enroll so a mutated issue_employee sees the CSR."""
    ca = _ca()
    original = ca.CertificateAuthority.enroll

    def enroll(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        _CURRENT.csr = csr_pem
        try:
            return original(self, alias, csr_pem, **kwargs)
        finally:
            _CURRENT.csr = None

    ca.CertificateAuthority.enroll = enroll


def _csr() -> Any:
    x509 = _module("cryptography.x509")
    pem = getattr(_CURRENT, "csr", None)
    return None if pem is None else x509.load_pem_x509_csr(pem)


def _issue_with(
    *, common_name: Any = None, extra: Any = None, eku: Any = None, not_after: Any = None
) -> None:
    ca = _ca()
    oid = _module("cryptography.x509.oid")

    def issue_employee(
        root_key: Any,
        root: Any,
        alias: str,
        public_key: object,
        *,
        validity: dt.timedelta = ca.DEFAULT_VALIDITY,
        now: dt.datetime | None = None,
    ) -> Any:
        now = now or ca._utcnow()
        csr = _csr()
        name = common_name(alias, csr) if common_name is not None else ca.check_alias(alias)
        usages = (
            eku
            if eku is not None
            else [oid.ExtendedKeyUsageOID.CLIENT_AUTH, oid.ExtendedKeyUsageOID.SERVER_AUTH]
        )
        end = not_after(now, validity) if not_after is not None else now + validity
        builder = ca._leaf_builder(
            root, ca._check_public_key(public_key), name, usages, now - ca._BACKDATE, end
        )
        if extra is not None:
            builder = extra(builder, csr)
        return builder.sign(root_key, ca._signing_hash(root_key))

    ca.issue_employee = issue_employee
    _remember_csr()


def _cn_from_csr_case() -> None:
    oid = _module("cryptography.x509.oid")

    def common_name(alias: str, csr: Any) -> str:
        names = csr.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME) if csr else []
        if names and str(names[0].value).lower() == alias:  # "the user's own spelling"
            return str(names[0].value)
        return alias

    _issue_with(common_name=common_name)


def _csr_san_copied() -> None:
    x509 = _module("cryptography.x509")

    def extra(builder: Any, csr: Any) -> Any:
        if csr is None:
            return builder
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return builder
        return builder.add_extension(san.value, critical=san.critical)

    _issue_with(extra=extra)


def _rsa_key_encipherment() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "key_encipherment=False,  # [PKI-CERT-1]: TLS 1.3 only signs, RSA too",
            "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),",
        ),
    )


def _eku_client_only() -> None:
    oid = _module("cryptography.x509.oid")
    _issue_with(eku=[oid.ExtendedKeyUsageOID.CLIENT_AUTH])


def _bc_not_critical() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            ".add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)",
            ".add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)",
        ),
    )


def _serial_time() -> None:
    ca = _ca()
    ca._serial = lambda: time.time_ns() // 1000  # "unique enough, and sortable"


def _serial_from_key() -> None:
    """The serial is a digest of alias and key ("idempotent re-enrolment")."""
    ca = _ca()
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def serial(common_name: str, public_key: Any) -> int:
        der = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.sha256(common_name.encode() + der).digest()
        return int.from_bytes(digest[:19], "big") | (1 << 151)

    ca._mutant_serial = serial
    _patch_source(
        ca,
        "_leaf_builder",
        (".serial_number(_serial())", ".serial_number(_mutant_serial(common_name, public_key))"),
    )


def _validity_ignores_config() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            "validity=dt.timedelta(days=self.server.config.validity_days),",
            "validity=dt.timedelta(days=30),",
        ),
    )


def _not_before_future() -> None:
    _patch_source(_ca(), "issue_employee", ("now - _BACKDATE,", "now + _BACKDATE,"))


def _not_after_end_of_day() -> None:
    def not_after(now: dt.datetime, validity: dt.timedelta) -> dt.datetime:
        return now.replace(hour=23, minute=59, second=59, microsecond=0) + validity

    _issue_with(not_after=not_after)


# ---------------------------------------------------------------- CRL and revocation


def _crl_next_update_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _crl_cached() -> None:
    ca = _ca()
    original = ca.CertificateAuthority.crl
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        with lock:
            current = cache.get("crl")
            if current is None or current.next_update_utc <= ca._utcnow():
                current = cache["crl"] = original(self, now=now)
            return current

    ca.CertificateAuthority.crl = crl


def _crl_one_per_alias() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        (
            '" WHERE revoked_at IS NOT NULL"',
            '" WHERE revoked_at IS NOT NULL AND rowid IN'
            ' (SELECT MAX(rowid) FROM certificates GROUP BY alias)"',
        ),
    )


def _crl_issuer_tls() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    original = ca.make_crl

    def make_crl(root_key: Any, root: Any, revoked: Any, **kwargs: Any) -> Any:
        directory = _CA_DIR.get("dir")
        if directory is None:
            return original(root_key, root, revoked, **kwargs)
        tls = x509.load_pem_x509_certificate((directory / "ca-tls.pem").read_bytes())

        class _Issuer:  # "the CA" is the CA's certificate, is it not
            subject = tls.subject

            def public_key(self) -> Any:
                return root.public_key()

        return original(root_key, _Issuer(), revoked, **kwargs)

    original_init = ca.CertificateAuthority.__init__

    def init(self: Any, directory: Any) -> None:
        original_init(self, directory)
        _CA_DIR["dir"] = directory

    ca.CertificateAuthority.__init__ = init
    ca.make_crl = make_crl


_CA_DIR: dict[str, Any] = {}


def _revoked_can_enrol() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        ("return ok and row is not None and row[1] is None", "return ok and row is not None"),
    )


def _host_alias_trailing_dot() -> None:
    _ca()._host_key = lambda name: name.lower()


def _host_alias_ip_ignored() -> None:
    _patch_source(
        _ca(),
        "_host_names",
        ("names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]", "pass"),
    )


# ---------------------------------------------------------------- HTTP


def _query_stripped() -> None:
    handler = _server()._Handler
    _patch_source(
        handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            "if False:  # mutant: the query is dropped below",
        ),
        ("path = self.path\n", 'path = self.path.split("?")[0].split("#")[0]\n'),
    )
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):  # bound at class creation
        setattr(handler, f"do_{verb}", handler._dispatch)


def _body_limit_off_by_one() -> None:
    _patch_source(
        _server()._Handler, "_read_json", ("if length > MAX_BODY:", "if length >= MAX_BODY:")
    )


def _http_errors_html() -> None:
    delattr(_server()._Handler, "send_error")  # http.server's own HTML error page


def _known(ca: Any, alias: str) -> bool:
    with ca._lock:
        row = ca._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
    return row is not None


def _attempts_left_known_only() -> None:
    server = _server()
    server._mutant_known = _known
    _patch_source(
        server._Handler,
        "_enroll",
        (
            'raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password")',
            'raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password"'
            ' + (f" ({max(0, throttle.after - throttle._keys[keys[0]].count)} attempts left)"'
            " if _mutant_known(self.server.ca, alias) and keys[0] in throttle._keys else ''))",
        ),
    )


# ---------------------------------------------------------------- throttling


def _unknown_not_counted() -> None:
    server = _server()
    server._mutant_known = _known
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "throttle.failed(*keys)\n        raise _HttpError(",
            "(throttle.failed(*keys) if _mutant_known(self.server.ca, alias)"
            " else throttle.success(*keys))\n        raise _HttpError(",
        ),
    )


def _no_address_key() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            'keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")',
            'keys = (f"alias:{alias[:64]}",)',
        ),
        ("throttle.success(keys[0], keys[1])", "throttle.success(keys[0])"),
    )


def _throttle_key_before_lower() -> None:
    """Aliases are looked up case-insensitively ("users type Alice"), the throttle keys
    what was sent: `Alice`, `ALICE`, `aLice`... each get their own N guesses."""
    ca = _ca()
    original = ca.CertificateAuthority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        return bool(original(self, alias.lower(), password))

    ca.CertificateAuthority.authenticate = authenticate
    original_enroll = ca.CertificateAuthority.enroll

    def enroll(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        return original_enroll(self, alias.lower(), csr_pem, **kwargs)

    ca.CertificateAuthority.enroll = enroll


def _retry_after_zero() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "if worst > now:\n            return max(1, int(worst - now + 0.999))",
            "if worst > now:\n            return int(worst - now) or -2",
        ),
    )
    # -2 is "throttled, 0 s" for the handler: Retry-After: 0.
    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            "if wait:\n",
            "if wait == -2:\n        raise _HttpError(HTTPStatus.TOO_MANY_REQUESTS,"
            ' "throttled", "too many failed logins", {"Retry-After": "0"})\n    if wait:\n',
        ),
    )


def _backoff_no_doubling() -> None:
    _patch_source(
        _server().LoginThrottle,
        "_count",
        (
            "delay = min(self.cap, self.base * 2 ** (entry.count - self.after))",
            "delay = min(self.cap, self.base)",
        ),
    )


def _count_after_hash() -> None:
    server = _server()

    def admit(self: Any, *keys: str) -> int:  # only the running block is checked
        wait: int = self.retry_after(*keys)
        return wait

    def failed(self: Any, *keys: str) -> None:
        self.failure(*keys)

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            if key in self._keys:
                self._forget(key)

    server.LoginThrottle.admit = admit
    server.LoginThrottle.failed = failed
    server.LoginThrottle.success = success


def _busy_counted() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ("if wait == BUSY:\n", "if wait == BUSY:\n        throttle.failure(*keys)\n"),
    )


def _lock_checked_after_password() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "if self._hard_locked(keys):\n            return max(1, int(self.cap + 0.999))\n",
            "pass  # mutant: the lock is looked at when a failure is counted\n",
        ),
    )


def _success_keeps_failures() -> None:
    _patch_source(
        _server().LoginThrottle,
        "success",
        (
            "if key in self._keys:\n            self._forget(key)\n",
            "pass  # mutant: failures age out by themselves\n",
        ),
    )


def _password_stripped() -> None:
    """ "A password pasted from a file ends with a newline": stripped before the check."""
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        (
            "ok = _verify_password_record(record, password)",
            "ok = _verify_password_record(record, password.strip())",
        ),
    )


def _alias_like() -> None:
    """The alias is looked up with LIKE (a search box's query reused): `_` matches any
    character, so `sp-x_` finds `sp-xy` — and the throttle counts `sp-x_` apart."""
    ca = _ca()
    _patch_source(
        ca.CertificateAuthority,
        "authenticate",
        (
            '"SELECT password, revoked_at FROM users WHERE alias = ?"',
            '"SELECT password, revoked_at FROM users WHERE alias LIKE ? ORDER BY alias"',
        ),
    )
    original = ca.CertificateAuthority.enroll

    def enroll(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        with self._lock:
            row = self._db.execute(
                "SELECT alias FROM users WHERE alias LIKE ? ORDER BY alias", (alias,)
            ).fetchone()
        return original(self, row[0] if row else alias, csr_pem, **kwargs)

    ca.CertificateAuthority.enroll = enroll


# ---------------------------------------------------------------- TLS


def _tls12() -> None:
    server = _server()
    ssl = _module("ssl")
    original = server.https_server_context

    def https_server_context(cert: Any, key: Any) -> Any:
        ctx = original(cert, key)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "old enrolment scripts"
        return ctx

    server.https_server_context = https_server_context


def _tls_unpinned() -> None:
    server = _server()
    ssl = _module("ssl")

    def https_server_context(cert: Any, key: Any) -> Any:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.num_tickets = 0
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    server.https_server_context = https_server_context


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"blind-ca-{name}",
        group="ca",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


_CSR = "test_ca_csr.py"
_CA = "test_ca.py"
_THR = "test_ca_throttle.py"
_HARD = "test_pki_hardening.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "csr-sig-unchecked-rsa",
        "CA-ENR-3",
        _CSR,
        "RSA CSRs' signatures unchecked",
        _csr_sig_unchecked_rsa,
    ),
    _m(
        "csr-sha224-accepted",
        "CA-ENR-13",
        _CSR,
        "SHA-224 signed CSRs accepted",
        _csr_sha224_accepted,
    ),
    _m(
        "csr-any-curve-256",
        "CA-ENR-13",
        _CSR,
        "any EC curve of >= 256 bits accepted",
        _csr_any_curve_256,
    ),
    _m("csr-rsa-1024", "CA-ENR-13", _CSR, "RSA 1024 accepted", _csr_rsa_1024),
    _m("csr-second-pem", "CA-ENR-13", _CSR, "two PEM blocks: the first is used", _csr_second_pem),
    _m(
        "weak-key-bad-request",
        "CA-ENR-13",
        _CSR,
        "a refused key is answered bad_request",
        _weak_key_bad_request,
    ),
    _m(
        "cn-from-csr-case",
        "CA-ENR-4",
        _CSR,
        "the CSR's CN kept when it equals the alias case-insensitively",
        _cn_from_csr_case,
    ),
    _m("csr-san-copied", "CA-ENR-4", _CSR, "the CSR's subjectAltName copied", _csr_san_copied),
    _m(
        "rsa-key-encipherment",
        "PKI-CERT-1",
        _CSR,
        "RSA certificates get keyEncipherment",
        _rsa_key_encipherment,
    ),
    _m("eku-client-only", "PKI-CERT-1", _CSR, "EKU clientAuth only", _eku_client_only),
    _m("bc-not-critical", "PKI-CERT-1", _CSR, "BasicConstraints not critical", _bc_not_critical),
    _m("serial-time", "CA-ENR-10", _CSR, "the serial is the time in microseconds", _serial_time),
    _m(
        "serial-from-key",
        "CA-ENR-10",
        _CSR,
        "the serial is a digest of alias and key",
        _serial_from_key,
    ),
    _m(
        "validity-ignores-config",
        "CA-ENR-10",
        _CSR,
        "30 days whatever the configuration",
        _validity_ignores_config,
    ),
    _m("not-before-future", "CA-ENR-10", _CSR, "notBefore 5 min in the future", _not_before_future),
    _m(
        "not-after-end-of-day",
        "CA-ENR-10",
        _CSR,
        "notAfter rounded up to the end of the day",
        _not_after_end_of_day,
    ),
    _m(
        "crl-next-update-from-now",
        "CA-ENR-16",
        _HARD,
        "nextUpdate = now + 7 d, thisUpdate backdated 5 min",
        _crl_next_update_from_now,
    ),
    _m(
        "crl-cached",
        "CA-ENR-8",
        _CA,
        "the CRL is built once and served until its nextUpdate",
        _crl_cached,
    ),
    _m(
        "crl-one-per-alias",
        "CA-ENR-11",
        _CA,
        "the CRL lists only the newest certificate of an alias",
        _crl_one_per_alias,
    ),
    _m(
        "crl-issuer-tls",
        "CA-ENR-8",
        _CA,
        "the CRL's issuer is the CA's TLS subject",
        _crl_issuer_tls,
    ),
    _m(
        "revoked-can-enrol",
        "CA-ENR-11",
        _CA,
        "a revoked alias enrols again",
        revocation_not_rechecked(_revoked_can_enrol),
    ),
    _m(
        "host-alias-trailing-dot",
        "CA-ENR-17",
        _HARD,
        "`localhost.` is not `localhost`",
        _host_alias_trailing_dot,
    ),
    _m(
        "host-alias-ip-ignored",
        "CA-ENR-17",
        _HARD,
        "the CA's IP addresses are enrolable aliases",
        _host_alias_ip_ignored,
    ),
    _m(
        "query-stripped",
        "CA-ENR-15",
        _CA,
        "the query string is dropped, not refused",
        _query_stripped,
    ),
    _m(
        "body-limit-off-by-one",
        "CA-ENR-9",
        _CA,
        "a body of exactly 65536 bytes is 413",
        _body_limit_off_by_one,
    ),
    _m(
        "http-errors-html",
        "CA-ENR-9",
        _CA,
        "http.server's errors as HTML (unknown method 501)",
        _http_errors_html,
    ),
    _m(
        "attempts-left-known-only",
        "CA-ENR-6",
        _CA,
        "a known alias's 401 says the attempts left",
        _attempts_left_known_only,
    ),
    _m(
        "unknown-not-counted",
        "CA-ENR-7",
        _THR,
        "unknown aliases' failures not counted",
        _unknown_not_counted,
    ),
    _m("no-address-key", "CA-ENR-7", _THR, "failures counted per alias only", _no_address_key),
    _m(
        "throttle-key-before-lower",
        "CA-ENR-7",
        _THR,
        "case-insensitive login, throttle keyed on the alias as sent",
        _throttle_key_before_lower,
    ),
    _m("retry-after-zero", "CA-ENR-7", _THR, "Retry-After truncated to 0", _retry_after_zero),
    _m(
        "backoff-no-doubling",
        "CA-ENR-7",
        _THR,
        "every block lasts the base time",
        _backoff_no_doubling,
    ),
    _m(
        "count-after-hash",
        "CA-ENR-14",
        _THR,
        "no pending reservation: failures counted after the hash",
        _count_after_hash,
    ),
    _m("busy-counted", "CA-ENR-14", _THR, "a 503 busy counts as a failure", _busy_counted),
    _m(
        "lock-checked-after-password",
        "CA-ENR-19",
        _THR,
        "a hard-locked alias with its right password enrols",
        _lock_checked_after_password,
    ),
    _m(
        "success-keeps-failures",
        "CA-ENR-19",
        _THR,
        "a right password does not reset the failure count",
        _success_keeps_failures,
    ),
    _m(
        "password-stripped",
        "CA-ENR-6",
        _CA,
        "the password is stripped before it is checked",
        _password_stripped,
    ),
    _m(
        "alias-like",
        "CA-ENR-7",
        _THR,
        "aliases looked up with SQL LIKE, throttled as sent",
        _alias_like,
    ),
    _m("tls12", "CA-ENR-1", _CA, "the CA negotiates TLS 1.2 too", _tls12),
    _m(
        "tls-unpinned", "PKI-TLS-9", _HARD, "the CA keeps OpenSSL's TLS 1.3 defaults", _tls_unpinned
    ),
)
