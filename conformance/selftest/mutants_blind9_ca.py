"""Blind red-team round 9 (helper B25): the CA — enrolment, throttle, CSR checks, what
gets issued, revocation and the CRL, its HTTP server, restarts.

Written from docs/SPEC.md §4.2/§4.4 and reference/pki/ca.py, ca_server.py alone, before
any CA case file was read. Each mutant is one plausible implementer mistake that breaks
one MUST; the lens of lenses.md (round 9) is given per mutant:

 lens 1 (refactoring slips)
  b9ca-crl-revoked-filter-inverted   the CRL query selects the NOT revoked certificates
  b9ca-crl-thisupdate-future         thisUpdate = now + skew (sign slip) instead of minus
  b9ca-notbefore-future              notBefore = now + skew (sign slip)
  b9ca-notafter-plus-skew            notAfter = now + validity + skew
  b9ca-aki-from-subject-key          AuthorityKeyIdentifier from the subject's key
  b9ca-throttle-threshold-off-by-one backoff from failure N+1 (`>` for `>=`)
  b9ca-pending-admit-gt              pending reservation check `>` for `>=`
  b9ca-alias-key-is-address          the alias key is built from the address
  b9ca-hard-lock-checked-late        the hard lock is checked only on the failure path
  b9ca-crl-one-serial-per-alias      the CRL query groups by alias (one serial each)
  b9ca-crl-nextupdate-from-now       nextUpdate counted from now, thisUpdate backdated
 lens 2 (library defaults, lenient parsers)
  b9ca-content-length-int            Content-Length parsed by int() ("+5", "5_0", " 5")
  b9ca-query-ignored-by-router       routing on urlsplit(path).path: query accepted
  b9ca-alias-normalised              alias .strip().lower() before the lookup
  b9ca-password-stripped             password .strip() before hashing
  b9ca-crl-served-pem                the CRL served as PEM (the library's habit)
  b9ca-html-error-page               http.server's own HTML error page left in place
  b9ca-retry-after-truncated         Retry-After int() truncation, not rounded up
  b9ca-hostname-trailing-dot         host-name check without ignoring a trailing dot
 lens 3 (error paths)
  b9ca-chunked-no-close              Transfer-Encoding refused 411 but kept alive
  b9ca-bad-csr-guess-uncounted       wrong password + bad CSR: 401, failure not counted
  b9ca-internal-error-leaks-pending  an exception in verification leaves it pending
  b9ca-revoked-user-403              a revoked alias's right password answered 403
 lens 4 (configuration)
  b9ca-validity-config-ignored       --validity-days parsed, default 30 used
  b9ca-throttle-cap-ignored          --throttle-cap parsed, 300 s used
  b9ca-restart-drops-backoff         counts reloaded at restart, running backoffs not
  b9ca-address-key-with-port         the per-address key holds the port (per connection)
  b9ca-body-limit-kb                 body limit 64 * 1000 bytes (KB for KiB)
  b9ca-crl-built-once                the CRL built at start and cached for ever
 lens 5 (crypto API misuse)
  b9ca-csr-signature-ignored         is_signature_valid computed, result ignored
  b9ca-crl-signed-by-tls-key         CRL signed with the CA's TLS key, not the root's
  b9ca-cert-sha384                   employee certificates signed with SHA-384
  b9ca-aki-no-keyid                  AKI with issuer name + serial, no keyIdentifier
  b9ca-key-ids-critical              SubjectKeyIdentifier marked critical
  b9ca-serial-from-key               serial derived from the public key (repeats)

Later blind batches (written before reading any CA case; lens number first):
  1 b9ca-lock-count-not-consecutive      the hard cap counts all failures: a right password ...
  4 b9ca-locks-not-reloaded              hard locks written to disk but not read back at ...
  1 b9ca-success-leaks-address-pending   a right password ends the alias's reservation, not ...
  2 b9ca-busy-retry-after-zero           503 busy with Retry-After: 0 (int() of half a ...
  3 b9ca-locked-no-retry-after           a hard-locked alias's 429 carries no Retry-After
  1 b9ca-address-hard-locked             the hard lock applied to addresses too
  1 b9ca-query-checked-after-login       the query string refused after the password was ...
  2 b9ca-csr-sha224-accepted             a CSR signed with SHA-224 accepted
  1 b9ca-rsa-size-in-bytes               RSA size checked in whole bytes: a 2047-bit key ...
  5 b9ca-curve-by-size                   any 256-bit curve accepted (secp256k1 ...
  1 b9ca-csr-subject-merged              the CSR's subject kept except its CN (O, OU ... ...
  2 b9ca-csr-san-copied                  the CSR's subjectAltName copied into the ...
  2 b9ca-rsa-keyencipherment             KeyUsage keyEncipherment added for RSA keys (the ...
  5 b9ca-serial-clock                    serial = time_ns() | 2^63: 64 bits, unique, not ...
  1 b9ca-root-is-tls-cert                GET /v1/root serves the CA's TLS certificate (two ...
  1 b9ca-body-limit-chars                the body limit counted in decoded characters, not ...
  2 b9ca-tls12-allowed                   the CA's HTTPS context allows TLS 1.2
  1 b9ca-hostname-ips-ignored            the host-name check compares DNS names only: alias ...
  3 b9ca-busy-counted                    a 503 busy attempt counted as a failure
  1 b9ca-pending-counted-as-failure      every admitted attempt counted as a failure before ...
  3 b9ca-unknown-alias-message           an unknown alias's 401 message differs from a ...
  4 b9ca-forwarded-for-trusted           the client address taken from X-Forwarded-For when ...
  1 b9ca-revoked-by-certificates         'revoked' read from the alias's certificates: a ...
  3 b9ca-throttled-counted               a 429 answer counted as a failure: polling doubles ...
  1 b9ca-rearm-on-429                    a login during the backoff restarts it
  1 b9ca-retry-after-alias-only          Retry-After from the alias's block only, the ...
  2 b9ca-csr-bare-base64                 a csr of bare base64 DER (no PEM armour) ...
  1 b9ca-notbefore-backdated-a-day       notBefore backdated a day for 'time zones' (more ...
  4 b9ca-restart-clock-shift-sign        reloaded block ends shifted with the wrong sign ...
  4 b9ca-restart-drops-addresses         addresses' failures not reloaded at restart
  4 b9ca-restart-drops-aliases           aliases' failures not reloaded at restart
  3 b9ca-internal-error-traceback        a 500 whose message is the traceback
  4 b9ca-address-threshold-default       the configured threshold applied to aliases; ...
  5 b9ca-cert-signed-by-tls-key          employee certificates signed with the CA's TLS key ...
  2 b9ca-bc-not-critical                 BasicConstraints CA:FALSE not marked critical
  4 b9ca-lock-after-default              --lock-after parsed, the throttle keeps 100
  4 b9ca-tls-cert-without-san            the HTTPS certificate made at start names the CA ...
  1 b9ca-tls-cert-san-dns-only           the HTTPS certificate's SAN holds its DNS names ...
  1 b9ca-root-bundle                     GET /v1/root serves the root followed by the CA's ...
  5 b9ca-unknown-alias-no-hash           an unknown alias answered without any hash (early ...
  5 b9ca-dummy-hash-cheaper              unknown aliases hashed with scrypt N=2^11 instead ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import (
    Mutant,
    _module,
    revocation_not_rechecked,
    surrogate_hash_raises,
)

__all__ = ["MUTANTS"]

_CA = "reference.pki.ca"
_SRV = "reference.pki.ca_server"


# --- a configurable copy of the reference's employee-certificate recipe --------------


def _issuer(
    *,
    not_before: Callable[[dt.datetime, dt.timedelta], dt.datetime] | None = None,
    not_after: Callable[[dt.datetime, dt.timedelta], dt.datetime] | None = None,
    digest: str = "sha256",
    aki: str = "root",  # root | subject | no-keyid
    ski_critical: bool = False,
    serial: Callable[[Any], int] | None = None,
    rsa_key_encipherment: bool = False,
    csr_subject: bool = False,
    csr_san: bool = False,
    bc_critical: bool = True,
) -> Callable[..., Any]:
    def issue_employee(
        root_key: Any,
        root: Any,
        alias: str,
        public_key: object,
        *,
        validity: dt.timedelta = dt.timedelta(days=30),
        now: dt.datetime | None = None,
    ) -> Any:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        ca = _module(_CA)
        now = now or ca._utcnow()
        key = ca._check_public_key(public_key)
        ca.check_alias(alias)
        backdate = ca._BACKDATE
        nb = not_before(now, backdate) if not_before else now - backdate
        na = not_after(now, validity) if not_after else now + validity
        if aki == "root":
            aki_ext = x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())
        elif aki == "subject":
            aki_ext = x509.AuthorityKeyIdentifier.from_issuer_public_key(key)
        else:
            aki_ext = x509.AuthorityKeyIdentifier(
                None, [x509.DirectoryName(root.subject)], root.serial_number
            )
        from cryptography.hazmat.primitives.asymmetric import rsa

        csr = getattr(_CURRENT, "csr", None)
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, alias)]
        if csr_subject and csr is not None:
            # "keep what the employee asked for, but the CN is ours"
            attributes += [a for a in csr.subject if a.oid != NameOID.COMMON_NAME]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(root.subject)
            .public_key(key)
            .serial_number(serial(key) if serial else ca._serial())
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=bc_critical)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=rsa_key_encipherment and isinstance(key, rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
                ),
                critical=False,
            )
            .add_extension(aki_ext, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=ski_critical)
        )
        if csr_san and csr is not None:
            try:
                san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            except x509.ExtensionNotFound:
                pass
            else:
                builder = builder.add_extension(san.value, critical=san.critical)
        algorithm = hashes.SHA384() if digest == "sha384" else hashes.SHA256()
        return builder.sign(getattr(_CURRENT, "sign_key", None) or root_key, algorithm)

    return issue_employee


def _plant_issuer(**kwargs: Any) -> Callable[[], None]:
    def apply() -> None:
        _module(_CA).issue_employee = _issuer(**kwargs)
        if kwargs.get("csr_subject") or kwargs.get("csr_san"):
            _remember_csr()

    return apply


_CURRENT = threading.local()  # the CSR being enrolled (for the "copy from the CSR" slips)


def _remember_csr() -> None:
    cls = _module(_CA).CertificateAuthority
    enroll = cls.enroll

    def remembering(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        from cryptography import x509

        try:
            _CURRENT.csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            _CURRENT.csr = None
        try:
            return enroll(self, alias, csr_pem, **kwargs)
        finally:
            _CURRENT.csr = None

    cls.enroll = remembering


# --- a configurable copy of CertificateAuthority.enroll ------------------------------


def _plant_enroll(
    *, check_signature: bool = True, ignore_validity: bool = False, replace_row: bool = False
) -> None:
    ca_mod = _module(_CA)
    cls = ca_mod.CertificateAuthority

    def enroll(
        self: Any,
        alias: str,
        csr_pem: bytes,
        *,
        validity: dt.timedelta = ca_mod.DEFAULT_VALIDITY,
        now: dt.datetime | None = None,
    ) -> Any:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization

        if ignore_validity:
            validity = ca_mod.DEFAULT_VALIDITY
        self.check_not_host_name(alias)
        if csr_pem.count(b"-----BEGIN ") != 1:
            raise ca_mod.CaError("bad_csr")
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
            valid = csr.is_signature_valid
            digest = csr.signature_hash_algorithm
            public_key = ca_mod._check_public_key(csr.public_key())
        except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm, ca_mod.CaError):
            raise ca_mod.CaError("bad_csr") from None
        if check_signature and not valid:
            raise ca_mod.CaError("bad_csr")
        if not isinstance(digest, ca_mod._CSR_DIGESTS):
            raise ca_mod.CaError("bad_csr")
        cert = ca_mod.issue_employee(
            self.root_key, self.root, alias, public_key, validity=validity, now=now
        )
        verb = "INSERT OR REPLACE" if replace_row else "INSERT"
        with self._lock:
            self._db.execute(
                f"{verb} INTO certificates (serial, alias, not_after, pem) VALUES (?, ?, ?, ?)",
                (
                    str(cert.serial_number),
                    alias,
                    cert.not_valid_after_utc.isoformat(),
                    cert.public_bytes(serialization.Encoding.PEM),
                ),
            )
            self._db.commit()
        return cert

    cls.enroll = enroll


# --- a configurable copy of CertificateAuthority.crl and make_crl ---------------------


def _plant_crl(
    *,
    where: str = "revoked_at IS NOT NULL",
    group_by_alias: bool = False,
    keep_expired_only: bool = False,
    signer: str = "root",
) -> None:
    ca_mod = _module(_CA)
    cls = ca_mod.CertificateAuthority

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        now = now or ca_mod._utcnow()
        group = " GROUP BY alias" if group_by_alias else ""
        query = "SELECT serial, COALESCE(revoked_at, ?), not_after FROM certificates"
        query += " WHERE " + where + group  # constants of this module
        with self._lock:
            rows = self._db.execute(query, (now.isoformat(timespec="seconds"),)).fetchall()
        revoked = []
        for serial, when, not_after in rows:
            live = dt.datetime.fromisoformat(not_after) > now - ca_mod._BACKDATE
            if live != keep_expired_only:
                revoked.append((int(serial), dt.datetime.fromisoformat(when)))
        key = self.root_key
        if signer == "tls":
            key = ca_mod.load_private_key(self.directory / self.TLS_KEY)
        return ca_mod.make_crl(key, self.root, revoked, now=now)

    cls.crl = crl


def _plant_make_crl(
    *,
    this_update: Callable[[dt.datetime, dt.timedelta], dt.datetime],
    next_update: Callable[[dt.datetime, dt.timedelta, dt.timedelta], dt.datetime],
) -> Callable[[], None]:
    def apply() -> None:
        ca_mod = _module(_CA)

        def make_crl(
            root_key: Any,
            root: Any,
            revoked: Any,
            *,
            now: dt.datetime | None = None,
            validity: dt.timedelta = ca_mod.CRL_VALIDITY,
        ) -> Any:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes

            now = now or ca_mod._utcnow()
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(root.subject)
                .last_update(this_update(now, ca_mod._BACKDATE))
                .next_update(next_update(now, ca_mod._BACKDATE, validity))
                .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),
                    critical=False,
                )
            )
            for serial, when in revoked:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(serial)
                    .revocation_date(when)
                    .build()
                )
            return builder.sign(root_key, hashes.SHA256())

        ca_mod.make_crl = make_crl

    return apply


# --- a configurable copy of _Handler._read_json ---------------------------------------


def _plant_read_json(
    *,
    lenient_int: bool = False,
    te_close: bool = True,
    max_body: int | None = None,
    limit_chars: bool = False,
) -> None:
    srv = _module(_SRV)
    HTTPStatus = srv.HTTPStatus
    HttpError = srv._HttpError
    limit = srv.MAX_BODY if max_body is None else max_body

    def _read_json(self: Any) -> dict[str, Any]:
        import json

        if self.headers.get_all("Transfer-Encoding"):
            raise HttpError(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "send the body with Content-Length, not Transfer-Encoding",
                close=te_close,
            )
        lengths = self.headers.get_all("Content-Length") or []
        if len({value.strip() for value in lengths}) > 1:
            raise HttpError(
                HTTPStatus.BAD_REQUEST,
                "bad_request",
                "conflicting Content-Length fields",
                close=True,
            )
        length_text = lengths[0].strip() if lengths else None
        length: int | None = None
        if length_text is not None:
            if lenient_int:
                try:
                    length = int(length_text)
                except ValueError:
                    length = None
                if length is not None and length < 0:
                    length = None
            elif length_text.isascii() and length_text.isdigit():
                length = int(length_text)
        if length is None:
            raise HttpError(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "Content-Length is required",
                close=True,
            )
        if limit_chars and length <= 16 * srv.MAX_BODY:
            try:
                text = self.rfile.read(length).decode("utf-8")
            except UnicodeDecodeError:
                raise HttpError(
                    HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"
                ) from None
            if len(text) > limit:  # the limit counted in characters
                raise HttpError(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", "request body too large"
                )
            try:
                parsed = json.loads(text)
            except ValueError:
                raise HttpError(
                    HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"
                ) from None
            if not isinstance(parsed, dict):
                raise HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "not a JSON object")
            return parsed
        if length > limit:
            if length <= 16 * srv.MAX_BODY:
                self.rfile.read(length)
            raise HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_large",
                f"request bodies are limited to {limit} bytes",
            )
        body = self.rfile.read(length)
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"
            ) from None
        if not isinstance(value, dict):
            raise HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "the body must be a JSON object")
        return value

    srv._Handler._read_json = _read_json


# --- a configurable copy of _Handler._enroll ------------------------------------------


def _plant_enroll_handler(
    *,
    keys: Callable[[Any, str], tuple[str, str]] | None = None,
    release_on_exception: bool = True,
    bad_csr_uncounted: bool = False,
    busy_retry: str = "1",
    busy_counts: bool = False,
    locked_header: bool = True,
    query_late: bool = False,
    unknown_message: bool = False,
    throttled_counts: bool = False,
) -> None:
    srv = _module(_SRV)
    HTTPStatus = srv.HTTPStatus
    HttpError = srv._HttpError

    def _csr_ok(csr: str) -> bool:
        from cryptography import x509

        try:
            request = x509.load_pem_x509_csr(csr.encode("utf-8"))
            return bool(request.is_signature_valid)
        except Exception:
            return False

    def _enroll(self: Any) -> None:
        from cryptography.hazmat.primitives import serialization

        request = self._read_json()
        self._body_read = True  # as the reference's own _enroll marks it
        alias, password, csr = (request.get(k) for k in ("alias", "password", "csr"))
        if not all(isinstance(v, str) for v in (alias, password, csr)):
            raise HttpError(
                HTTPStatus.BAD_REQUEST, "bad_request", "alias, password and csr must be strings"
            )
        throttle = self.server.throttle
        keyset = (
            keys(self, alias) if keys else (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")
        )
        wait = throttle.admit(*keyset)
        if wait == srv.BUSY:
            if busy_counts:
                throttle.failure(*keyset)
            raise HttpError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "busy",
                "too many logins in progress",
                {"Retry-After": busy_retry},
            )
        if wait:
            if throttled_counts:  # "every refused attempt is an attempt"
                throttle.failure(*keyset)
            headers = {"Retry-After": str(wait)}
            if not locked_header and keyset[0] in throttle._locked:
                headers = {}  # "locked until an administrator acts: no time to give"
            raise HttpError(
                HTTPStatus.TOO_MANY_REQUESTS,
                "throttled",
                f"too many failed logins; retry after {wait} s",
                headers,
            )
        try:
            right = self.server.ca.authenticate(alias, password)
        except BaseException:
            if release_on_exception:
                throttle.failed(*keyset)
            raise
        if not right:
            if bad_csr_uncounted and not _csr_ok(csr):
                # "a malformed request is not a guess": released, not counted
                with throttle._lock:
                    throttle._release(keyset)
            else:
                throttle.failed(*keyset)
            if query_late and getattr(self, "_b9_query", False):
                raise HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "no query strings")
            message = "wrong alias or password"
            if unknown_message:
                with self.server.ca._lock:
                    known = self.server.ca._db.execute(
                        "SELECT 1 FROM users WHERE alias = ?", (alias,)
                    ).fetchone()
                if known is None:
                    message = "wrong alias or password (no such alias)"
            raise HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", message)
        throttle.success(keyset[0], keyset[1])
        if query_late and getattr(self, "_b9_query", False):
            raise HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "no query strings")
        try:
            cert = self.server.ca.enroll(
                alias,
                csr.encode("utf-8"),
                validity=dt.timedelta(days=self.server.config.validity_days),
            )
        except srv.CaError as exc:
            code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"
            raise HttpError(HTTPStatus.BAD_REQUEST, code, str(exc)) from None
        self._send_json(
            HTTPStatus.OK, {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}
        )

    srv._Handler._enroll = _enroll


# --- the throttle ---------------------------------------------------------------------


def _plant_count(
    *,
    strict_threshold: bool = False,
    ignore_cap: bool = False,
    lock_addresses: bool = False,
    lock_on_total: bool = False,
    address_after: int | None = None,
) -> None:
    srv = _module(_SRV)
    cls = srv.LoginThrottle

    def _count(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            entry = self._keys.pop(key, None)
            if entry is None:
                entry = srv._Failures()
                self._kind_sizes[srv._kind(key)] = self._kind_sizes.get(srv._kind(key), 0) + 1
            entry.count += 1
            after = self.after
            if address_after is not None and key.startswith("addr:"):
                after = address_after
            over = entry.count > after if strict_threshold else entry.count >= after
            if over:
                exponent = entry.count - after - (1 if strict_threshold else 0)
                delay = self.base * 2**exponent
                if not ignore_cap:
                    delay = min(self.cap, delay)
                entry.blocked_until = now + delay
            self._keys[key] = entry
            if self._db is not None:
                wall = self.wall_clock()
                self._db.execute(
                    "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"
                    " VALUES (?, ?, ?, ?)",
                    (key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),
                )
            total = self.__dict__.setdefault("_b9_total", {})
            total[key] = total.get(key, 0) + 1
            lock_count = total[key] if lock_on_total else entry.count
            lockable = lock_addresses or key.startswith("alias:")
            if lockable and lock_count >= self.lock_after:
                self._locked.add(key)
                if self._db is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)",
                        (key, time.time()),
                    )
            if self._kind_sizes[srv._kind(key)] > self.max_keys:
                self._evict(srv._kind(key), now)

    cls._count = _count


def _plant_admit(
    *,
    pending_gt: bool = False,
    skip_hard_lock: bool = False,
    truncate: bool = False,
    count_at_admit: bool = False,
    rearm: bool = False,
    alias_only_retry: bool = False,
) -> None:
    srv = _module(_SRV)
    cls = srv.LoginThrottle

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:
            if not skip_hard_lock and self._hard_locked(keys):
                return max(1, int(self.cap + 0.999))
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
            if worst > now:
                if rearm:  # "a client that does not wait starts its wait again"
                    for k in keys:
                        entry = self._keys.get(k)
                        if entry is not None and entry.blocked_until > now:
                            delay = self.base * 2 ** max(0, entry.count - self.after)
                            entry.blocked_until = now + min(self.cap, delay)
                    worst = max(self._keys[k].blocked_until for k in keys if k in self._keys)
                if alias_only_retry:
                    first = self._keys.get(keys[0])
                    worst = first.blocked_until if first is not None else now
                left = worst - now
                return max(1, int(left) if truncate else int(left + 0.999))
            for key in keys:
                pending = self._pending.get(key, 0)
                failures = self._keys[key].count if key in self._keys else 0
                full = (
                    failures + pending > self.after
                    if pending_gt
                    else failures + pending >= self.after
                )
                if pending >= self.pending_cap or (pending and full):
                    return int(srv.BUSY)
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1
            if count_at_admit:  # "count before the slow hash" (the race fix gone wrong)
                self._count(keys, now)
            return 0

    cls.admit = admit
    if count_at_admit:

        def failed(self: Any, *keys: str) -> None:  # counted already at admit
            with self._lock:
                self._release(keys)

        cls.failed = failed


# --- the mutants ----------------------------------------------------------------------


def _crl_revoked_filter_inverted() -> None:
    _plant_crl(where="revoked_at IS NULL")


def _crl_one_serial_per_alias() -> None:
    _plant_crl(group_by_alias=True)


def _crl_signed_by_tls_key() -> None:
    _plant_crl(signer="tls")


def _throttle_threshold_off_by_one() -> None:
    _plant_count(strict_threshold=True)


def _throttle_cap_ignored() -> None:
    _plant_count(ignore_cap=True)


def _pending_admit_gt() -> None:
    _plant_admit(pending_gt=True)


def _hard_lock_checked_late() -> None:
    # The lock is "shown" by retry_after() on the failure path only: admit skips it.
    _plant_admit(skip_hard_lock=True)


def _retry_after_truncated() -> None:
    _plant_admit(truncate=True)


def _alias_key_is_address() -> None:
    def keys(handler: Any, alias: str) -> tuple[str, str]:
        address = handler.client_address[0]
        return (f"alias:{address}", f"addr:{address}")

    _plant_enroll_handler(keys=keys)


def _address_key_with_port() -> None:
    def keys(handler: Any, alias: str) -> tuple[str, str]:
        return (f"alias:{alias[:64]}", f"addr:{handler.client_address}")

    _plant_enroll_handler(keys=keys)


def _bad_csr_guess_uncounted() -> None:
    _plant_enroll_handler(bad_csr_uncounted=True)


def _internal_error_leaks_pending() -> None:
    _plant_enroll_handler(release_on_exception=False)


def _content_length_int() -> None:
    _plant_read_json(lenient_int=True)


def _chunked_no_close() -> None:
    _plant_read_json(te_close=False)
    # Nor does the handler close for a body it did not read (the reference's second guard).
    _module(_SRV)._Handler._body_left_unread = lambda self: False


def _body_limit_kb() -> None:
    _plant_read_json(max_body=64 * 1000)


def _query_ignored_by_router() -> None:
    srv = _module(_SRV)
    original = srv._Handler._dispatch

    def _dispatch(self: Any) -> None:
        from urllib.parse import urlsplit

        self.path = urlsplit(self.path).path
        original(self)

    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(srv._Handler, name, _dispatch)
    srv._Handler._dispatch = _dispatch


def _alias_normalised() -> None:
    cls = _module(_CA).CertificateAuthority
    authenticate, enroll = cls.authenticate, cls.enroll

    def auth(self: Any, alias: str, password: str) -> bool:
        return bool(authenticate(self, alias.strip().lower(), password))

    def enr(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        return enroll(self, alias.strip().lower(), csr_pem, **kwargs)

    cls.authenticate = auth
    cls.enroll = enr


def _password_stripped() -> None:
    cls = _module(_CA).CertificateAuthority
    authenticate = cls.authenticate

    def auth(self: Any, alias: str, password: str) -> bool:
        return bool(authenticate(self, alias, password.strip()))

    cls.authenticate = auth


def _revoked_user_403() -> None:
    ca_mod = _module(_CA)
    srv = _module(_SRV)
    cls = ca_mod.CertificateAuthority

    def auth(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        record = row[0] if row is not None else ca_mod._dummy_record()
        ok = ca_mod._verify_password_record(record, password)
        if ok and row is not None and row[1] is not None:
            raise srv._HttpError(
                srv.HTTPStatus.FORBIDDEN, "revoked", f"{alias} was revoked; ask an administrator"
            )
        return bool(ok and row is not None)

    cls.authenticate = auth


def _crl_served_pem() -> None:
    cls = _module(_CA).CertificateAuthority
    crl = cls.crl

    class _Pem:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def public_bytes(self, _encoding: Any) -> bytes:
            from cryptography.hazmat.primitives import serialization

            return bytes(self._inner.public_bytes(serialization.Encoding.PEM))

    def pem_crl(self: Any, **kwargs: Any) -> Any:
        return _Pem(crl(self, **kwargs))

    cls.crl = pem_crl


def _crl_built_once() -> None:
    cls = _module(_CA).CertificateAuthority
    crl = cls.crl
    cache: dict[int, Any] = {}

    def cached(self: Any, **kwargs: Any) -> Any:
        if id(self) not in cache:
            cache[id(self)] = crl(self, **kwargs)
        return cache[id(self)]

    cls.crl = cached


def _html_error_page() -> None:
    srv = _module(_SRV)
    del srv._Handler.send_error  # BaseHTTPRequestHandler's own (HTML) page again


def _hostname_trailing_dot() -> None:
    _module(_CA)._host_key = lambda name: name.lower()


def _validity_config_ignored() -> None:
    _plant_enroll(ignore_validity=True)


def _csr_signature_ignored() -> None:
    _plant_enroll(check_signature=False)


def _serial_from_key() -> None:
    def serial(key: Any) -> int:
        from cryptography.hazmat.primitives import serialization

        spki = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return int.from_bytes(hashlib.sha256(spki).digest()[:19], "big") | (1 << 151)

    _module(_CA).issue_employee = _issuer(serial=serial)
    _plant_enroll(replace_row=True)


def _restart_drops_backoff() -> None:
    srv = _module(_SRV)
    cls = srv.LoginThrottle
    post_init = cls.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        for entry in self._keys.values():  # counts reloaded; blocks "were in memory only"
            entry.blocked_until = 0.0

    cls.__post_init__ = __post_init__


# --- batch 2 (still blind) -------------------------------------------------------------


def _lock_count_not_consecutive() -> None:
    _plant_count(lock_on_total=True)


def _locks_not_reloaded() -> None:
    srv = _module(_SRV)
    cls = srv.LoginThrottle
    post_init = cls.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        self._locked = set()  # "the table is for `user unlock`; the set is ours"

    cls.__post_init__ = __post_init__


def _success_leaks_address_pending() -> None:
    cls = _module(_SRV).LoginThrottle

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            if key in self._keys:
                self._forget(key)
            self._release((key,))  # `refunded` forgotten in a refactoring

    cls.success = success


def _busy_retry_after_zero() -> None:
    _plant_enroll_handler(busy_retry=str(int(0.5)))


def _locked_no_retry_after() -> None:
    _plant_enroll_handler(locked_header=False)


def _address_hard_locked() -> None:
    _plant_count(lock_addresses=True)


def _query_checked_after_login() -> None:
    srv = _module(_SRV)
    original = srv._Handler._dispatch

    def _dispatch(self: Any) -> None:
        path, mark, _query = self.path.partition("?")
        self._b9_query = bool(mark)
        if mark and path == "/v1/enroll":
            self.path = path  # checked in _enroll, "where the request is understood"
        original(self)

    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(srv._Handler, name, _dispatch)
    srv._Handler._dispatch = _dispatch
    _plant_enroll_handler(query_late=True)


def _csr_sha224_accepted() -> None:
    from cryptography.hazmat.primitives import hashes

    ca_mod = _module(_CA)
    ca_mod._CSR_DIGESTS = (hashes.SHA224, *ca_mod._CSR_DIGESTS)


def _plant_key_check(*, rsa_bytes: bool = False, curve_by_size: bool = False) -> None:
    ca_mod = _module(_CA)

    def _check_public_key(public_key: object) -> Any:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if curve_by_size:
                ok = public_key.curve.key_size == 256
            else:
                ok = isinstance(public_key.curve, ec.SECP256R1)
            if not ok:
                raise ca_mod.CaError("unsupported curve: use P-256")
            return public_key
        if isinstance(public_key, rsa.RSAPublicKey):
            size = (public_key.key_size + 7) // 8 * 8 if rsa_bytes else public_key.key_size
            if size < 2048:
                raise ca_mod.CaError("RSA keys must have at least 2048 bits")
            return public_key
        raise ca_mod.CaError("unsupported key type")

    ca_mod._check_public_key = _check_public_key


def _rsa_size_in_bytes() -> None:
    _plant_key_check(rsa_bytes=True)


def _curve_by_size() -> None:
    _plant_key_check(curve_by_size=True)


def _serial_clock() -> None:
    _module(_CA)._serial = lambda: time.time_ns() | (1 << 63)


def _root_is_tls_cert() -> None:
    cls = _module(_CA).CertificateAuthority

    def root_pem(self: Any) -> bytes:
        return bytes((self.directory / self.TLS_CERT).read_bytes())

    cls.root_pem = root_pem


def _body_limit_chars() -> None:
    _plant_read_json(limit_chars=True)


def _tls12_allowed() -> None:
    import ssl

    srv = _module(_SRV)

    def https_server_context(cert: Any, key: Any) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "compatibility"
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    srv.https_server_context = https_server_context


def _hostname_ips_ignored() -> None:
    ca_mod = _module(_CA)

    def _host_names(tls_cert: Any) -> frozenset[str]:
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        names = [str(a.value) for a in tls_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        try:
            san = tls_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            san = None
        if san is not None:
            names += san.get_values_for_type(x509.DNSName)  # the IP entries forgotten
        return frozenset(ca_mod._host_key(name) for name in names if not name[:1].isdigit())

    ca_mod._host_names = _host_names


def _busy_counted() -> None:
    _plant_enroll_handler(busy_counts=True)


def _pending_counted_as_failure() -> None:
    _plant_admit(count_at_admit=True)


def _unknown_alias_message() -> None:
    _plant_enroll_handler(unknown_message=True)


# --- batch 3 (still blind) -------------------------------------------------------------


def _forwarded_for_trusted() -> None:
    def keys(handler: Any, alias: str) -> tuple[str, str]:
        forwarded = handler.headers.get("X-Forwarded-For", "")
        address = forwarded.split(",")[0].strip() or handler.client_address[0]
        return (f"alias:{alias[:64]}", f"addr:{address}")

    _plant_enroll_handler(keys=keys)


def _revoked_by_certificates() -> None:
    ca_mod = _module(_CA)
    cls = ca_mod.CertificateAuthority

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password FROM users WHERE alias = ?", (alias,)
            ).fetchone()
            revoked = self._db.execute(
                "SELECT 1 FROM certificates WHERE alias = ? AND revoked_at IS NOT NULL", (alias,)
            ).fetchone()
        record = row[0] if row is not None else ca_mod._dummy_record()
        ok = ca_mod._verify_password_record(record, password)
        return bool(ok and row is not None and revoked is None)

    cls.authenticate = authenticate


def _throttled_counted() -> None:
    _plant_enroll_handler(throttled_counts=True)


def _rearm_on_429() -> None:
    _plant_admit(rearm=True)


def _retry_after_alias_only() -> None:
    _plant_admit(alias_only_retry=True)


def _csr_bare_base64() -> None:
    cls = _module(_CA).CertificateAuthority
    enroll = cls.enroll

    def lenient(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        import base64
        import binascii

        if b"-----BEGIN" not in csr_pem:  # "accept the base64 of the DER too"
            try:
                der = base64.b64decode(b"".join(csr_pem.split()), validate=True)
            except (binascii.Error, ValueError):
                der = b""
            if der:
                body = base64.encodebytes(der).replace(b"\n", b"")
                lines = [body[i : i + 64] for i in range(0, len(body), 64)]
                csr_pem = (
                    b"-----BEGIN CERTIFICATE REQUEST-----\n"
                    + b"\n".join(lines)
                    + b"\n-----END CERTIFICATE REQUEST-----\n"
                )
        return enroll(self, alias, csr_pem, **kwargs)

    cls.enroll = lenient


def _restart_clock_shift_sign() -> None:
    cls = _module(_SRV).LoginThrottle
    post_init = cls.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        if self.locks is not None:
            shift = self.clock() - self.wall_clock()
            for entry in self._keys.values():
                entry.blocked_until -= 2 * shift  # wall - clock: the sign slipped

    cls.__post_init__ = __post_init__


def _plant_restart_forgets(prefix: str) -> None:
    srv = _module(_SRV)
    cls = srv.LoginThrottle
    post_init = cls.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        for key in [k for k in self._keys if k.startswith(prefix)]:
            del self._keys[key]  # "only aliases matter" / "addresses change anyway"
            self._kind_sizes[srv._kind(key)] -= 1

    cls.__post_init__ = __post_init__


def _restart_drops_addresses() -> None:
    _plant_restart_forgets("addr:")


def _restart_drops_aliases() -> None:
    _plant_restart_forgets("alias:")


def _internal_error_traceback() -> None:
    import traceback

    srv = _module(_SRV)
    enroll = srv._Handler._enroll

    def _enroll(self: Any) -> None:
        try:
            enroll(self)
        except (srv._HttpError, OSError):
            raise
        except Exception:
            raise srv._HttpError(
                srv.HTTPStatus.INTERNAL_SERVER_ERROR,
                "internal",
                traceback.format_exc(),
            ) from None

    srv._Handler._enroll = _enroll


def _address_threshold_default() -> None:
    _plant_count(address_after=5)


def _cert_signed_by_tls_key() -> None:
    ca_mod = _module(_CA)
    cls = ca_mod.CertificateAuthority
    enroll = cls.enroll
    ca_mod.issue_employee = _issuer()

    def signing(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        _CURRENT.sign_key = ca_mod.load_private_key(self.directory / self.TLS_KEY)
        try:
            return enroll(self, alias, csr_pem, **kwargs)
        finally:
            _CURRENT.sign_key = None

    cls.enroll = signing


def _lock_after_default() -> None:
    cls = _module(_SRV).LoginThrottle
    post_init = cls.__post_init__

    def __post_init__(self: Any) -> None:
        self.lock_after = 100  # the option is parsed; the throttle keeps its default
        post_init(self)

    cls.__post_init__ = __post_init__


# --- batch 4 (still blind): what the CA serves about itself --------------------------


def _plant_served_tls_cert(*, san: str) -> None:
    """The HTTPS certificate issued afresh at start (for the existing TLS key), with
    `san` "none" (CN only) or "dns" (its DNS names only, not its addresses)."""
    srv = _module(_SRV)
    cls = srv.CaServer
    init = cls.__init__

    def __init__(self: Any, ca: Any, config: Any, inherited: Any = None) -> None:
        import ipaddress
        import tempfile
        from pathlib import Path

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        init(self, ca, config, inherited)
        ca_mod = _module(_CA)
        key = ca_mod.load_private_key(ca.directory / ca.TLS_KEY)
        now = ca_mod._utcnow()
        names = sorted(ca.host_names)
        dns = [n for n in names if not _is_ip(ipaddress, n)]
        builder = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, config.host or "localhost")])
            )
            .issuer_name(ca.root.subject)
            .public_key(key.public_key())
            .serial_number(ca_mod._serial())
            .not_valid_before(now - ca_mod._BACKDATE)
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.root.public_key()),
                critical=False,
            )
        )
        if san == "dns" and dns:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in dns]), critical=False
            )
        cert = builder.sign(ca.root_key, hashes.SHA256())
        folder = Path(tempfile.mkdtemp(prefix="b9ca-tls-"))
        (folder / "tls.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.tls = srv.https_server_context(folder / "tls.pem", ca.directory / ca.TLS_KEY)

    cls.__init__ = __init__


def _is_ip(ipaddress: Any, name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _tls_cert_without_san() -> None:
    _plant_served_tls_cert(san="none")


def _tls_cert_san_dns_only() -> None:
    _plant_served_tls_cert(san="dns")


def _root_bundle() -> None:
    cls = _module(_CA).CertificateAuthority

    def root_pem(self: Any) -> bytes:  # "the chain file": root and the CA's own certificate
        return bytes(self.root_pem_only() + (self.directory / self.TLS_CERT).read_bytes())

    cls.root_pem_only = cls.root_pem
    cls.root_pem = root_pem


# --- batch 5 (still blind): the cost of an unknown alias ------------------------------


def _plant_dummy(*, hash_unknown: bool, n: int) -> None:
    ca_mod = _module(_CA)
    cls = ca_mod.CertificateAuthority

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        if row is None:
            if hash_unknown:  # "any hash will do": a cheaper one
                ca_mod._hash_password(password, b"dummy-salt-16byt", n, 8, 1)
            return False
        ok = ca_mod._verify_password_record(row[0], password)
        return bool(ok and row[1] is None)

    cls.authenticate = authenticate


def _unknown_alias_no_hash() -> None:
    _plant_dummy(hash_unknown=False, n=0)


def _dummy_hash_cheaper() -> None:
    _plant_dummy(hash_unknown=True, n=2**11)


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=name,
        group=f"blind9-ca-lens{lens}",
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
        "b9ca-crl-revoked-filter-inverted",
        1,
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists the certificates NOT revoked (`IS NULL` for `IS NOT NULL`)",
        _crl_revoked_filter_inverted,
    ),
    _m(
        "b9ca-crl-thisupdate-future",
        1,
        "CA-ENR-8",
        "test_ca.py",
        "the CRL's thisUpdate is now + 5 min (sign slip on the clock-skew margin)",
        _plant_make_crl(
            this_update=lambda now, skew: now + skew,
            next_update=lambda now, skew, v: now - skew + v,
        ),
    ),
    _m(
        "b9ca-notbefore-future",
        1,
        "CA-ENR-10",
        "test_ca_csr.py",
        "employee certificates' notBefore is now + 5 min (sign slip)",
        _plant_issuer(not_before=lambda now, skew: now + skew),
    ),
    _m(
        "b9ca-notafter-plus-skew",
        1,
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter = now + validity + 5 min: past the configured period",
        _plant_issuer(not_after=lambda now, v: now + v + dt.timedelta(minutes=5)),
    ),
    _m(
        "b9ca-aki-from-subject-key",
        1,
        "PKI-CERT-13",
        "test_ca_csr.py",
        "AuthorityKeyIdentifier computed from the subject's key, not the root's",
        _plant_issuer(aki="subject"),
    ),
    _m(
        "b9ca-throttle-threshold-off-by-one",
        1,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "backoff starts after failure N+1 (`>` for `>=`): N+1 answers 401 before the 429",
        _throttle_threshold_off_by_one,
    ),
    _m(
        "b9ca-pending-admit-gt",
        1,
        "CA-ENR-14",
        "test_ca_throttle.py",
        "pending check `failures + pending > N`: one concurrent guess more is verified",
        _pending_admit_gt,
    ),
    _m(
        "b9ca-alias-key-is-address",
        1,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the per-alias throttle key is built from the client address (copy-paste slip)",
        _alias_key_is_address,
    ),
    _m(
        "b9ca-hard-lock-checked-late",
        1,
        "CA-ENR-19",
        "test_ca_throttle.py",
        "admit skips the hard lock: a locked alias's right password enrols after the backoff",
        _hard_lock_checked_late,
    ),
    _m(
        "b9ca-crl-one-serial-per-alias",
        1,
        "CA-ENR-11",
        "test_ca.py",
        "the CRL query groups by alias: one revoked serial per alias",
        _crl_one_serial_per_alias,
    ),
    _m(
        "b9ca-crl-nextupdate-from-now",
        1,
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate = now + 7 d while thisUpdate = now - 5 min: 7 d 5 min apart",
        _plant_make_crl(
            this_update=lambda now, skew: now - skew, next_update=lambda now, skew, v: now + v
        ),
    ),
    # lens 2
    _m(
        "b9ca-content-length-int",
        2,
        "CA-ENR-9",
        "test_ca.py",
        "Content-Length parsed with int(): '+5', '5_0', ' 5' are taken as lengths",
        _content_length_int,
    ),
    _m(
        "b9ca-query-ignored-by-router",
        2,
        "CA-ENR-15",
        "test_ca.py",
        "routing on urlsplit(path).path: a query string is dropped, not refused",
        _query_ignored_by_router,
    ),
    _m(
        "b9ca-alias-normalised",
        2,
        "CA-ENR-6",
        "test_ca.py",
        "alias .strip().lower() before lookup: 'SUITE' or ' suite' enrols as suite",
        _alias_normalised,
    ),
    _m(
        "b9ca-password-stripped",
        2,
        "CA-ENR-6",
        "test_ca.py",
        "password .strip() before hashing: the password plus a space is accepted",
        _password_stripped,
    ),
    _m(
        "b9ca-crl-served-pem",
        2,
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/crl serves PEM, not DER",
        _crl_served_pem,
    ),
    _m(
        "b9ca-html-error-page",
        2,
        "CA-ENR-9",
        "test_ca.py",
        "http.server's own HTML error page for errors it raises (bad request line, 501)",
        _html_error_page,
    ),
    _m(
        "b9ca-retry-after-truncated",
        2,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "Retry-After int()-truncated: a login n seconds later is still throttled",
        _retry_after_truncated,
    ),
    _m(
        "b9ca-hostname-trailing-dot",
        2,
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the host-name check does not ignore a trailing dot: alias 'localhost.' enrols",
        _hostname_trailing_dot,
    ),
    # lens 3
    _m(
        "b9ca-chunked-no-close",
        3,
        "CA-ENR-9",
        "test_ca.py",
        "Transfer-Encoding refused 411 but the connection kept: the body read as a request",
        _chunked_no_close,
    ),
    _m(
        "b9ca-bad-csr-guess-uncounted",
        3,
        "CA-ENR-21",
        "test_ca_throttle.py",
        "a wrong password with a bad CSR is verified (401) but released, not counted",
        _bad_csr_guess_uncounted,
    ),
    _m(
        "b9ca-internal-error-leaks-pending",
        3,
        "CA-ENR-14",
        "test_ca_throttle.py",
        "an exception while verifying (e.g. a lone surrogate) leaves the attempt pending",
        surrogate_hash_raises(_internal_error_leaks_pending),
    ),
    _m(
        "b9ca-revoked-user-403",
        3,
        "CA-ENR-11",
        "test_ca.py",
        "a revoked alias's right password is answered 403 'revoked', not 401",
        _revoked_user_403,
    ),
    # lens 4
    _m(
        "b9ca-validity-config-ignored",
        4,
        "CA-ENR-10",
        "test_ca_csr.py",
        "--validity-days parsed, the default 30 days used",
        _validity_config_ignored,
    ),
    _m(
        "b9ca-throttle-cap-ignored",
        4,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "--throttle-cap parsed, backoff not capped",
        _throttle_cap_ignored,
    ),
    _m(
        "b9ca-restart-drops-backoff",
        4,
        "CA-ENR-20",
        "test_ca_restart.py",
        "counts reloaded at restart, running backoffs dropped",
        _restart_drops_backoff,
    ),
    _m(
        "b9ca-address-key-with-port",
        4,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the per-address key is (host, port): one key per connection",
        _address_key_with_port,
    ),
    _m(
        "b9ca-body-limit-kb",
        4,
        "CA-ENR-9",
        "test_ca.py",
        "body limit 64 * 1000 bytes: a 65000-byte body is refused 413",
        _body_limit_kb,
    ),
    _m(
        "b9ca-crl-built-once",
        4,
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is made once and cached: later revocations never listed",
        _crl_built_once,
    ),
    # lens 5
    _m(
        "b9ca-csr-signature-ignored",
        5,
        "CA-ENR-3",
        "test_ca_csr.py",
        "the CSR's signature validity is read and ignored",
        _csr_signature_ignored,
    ),
    _m(
        "b9ca-crl-signed-by-tls-key",
        5,
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is signed with the CA's TLS key (issuer and AKI still the root's)",
        _crl_signed_by_tls_key,
    ),
    _m(
        "b9ca-cert-sha384",
        5,
        "PKI-CERT-1",
        "test_ca_csr.py",
        "employee certificates signed with ECDSA-SHA384",
        _plant_issuer(digest="sha384"),
    ),
    _m(
        "b9ca-aki-no-keyid",
        5,
        "PKI-CERT-13",
        "test_ca_csr.py",
        "AuthorityKeyIdentifier holds issuer name and serial, no keyIdentifier",
        _plant_issuer(aki="no-keyid"),
    ),
    _m(
        "b9ca-key-ids-critical",
        5,
        "PKI-CERT-13",
        "test_ca_csr.py",
        "the SubjectKeyIdentifier is marked critical",
        _plant_issuer(ski_critical=True),
    ),
    _m(
        "b9ca-serial-from-key",
        5,
        "CA-ENR-10",
        "test_ca_csr.py",
        "serial derived from the public key: the same key gets the same serial again",
        _serial_from_key,
    ),
    # batch 2
    _m(
        "b9ca-lock-count-not-consecutive",
        1,
        "CA-ENR-19",
        "test_ca_throttle.py",
        "the hard cap counts all failures: a right password does not reset it",
        _lock_count_not_consecutive,
    ),
    _m(
        "b9ca-locks-not-reloaded",
        4,
        "CA-ENR-19",
        "test_ca_restart.py",
        "hard locks written to disk but not read back at start",
        _locks_not_reloaded,
    ),
    _m(
        "b9ca-success-leaks-address-pending",
        1,
        "CA-ENR-14",
        "test_ca.py",
        "a right password ends the alias's reservation, not the address's",
        _success_leaks_address_pending,
    ),
    _m(
        "b9ca-busy-retry-after-zero",
        2,
        "CA-ENR-14",
        "test_ca_throttle.py",
        "503 busy with Retry-After: 0 (int() of half a second)",
        _busy_retry_after_zero,
    ),
    _m(
        "b9ca-locked-no-retry-after",
        3,
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a hard-locked alias's 429 carries no Retry-After",
        _locked_no_retry_after,
    ),
    _m(
        "b9ca-address-hard-locked",
        1,
        "CA-ENR-19",
        "test_ca_throttle.py",
        "the hard lock applied to addresses too",
        _address_hard_locked,
    ),
    _m(
        "b9ca-query-checked-after-login",
        1,
        "CA-ENR-15",
        "test_ca.py",
        "the query string refused after the password was verified (and counted)",
        _query_checked_after_login,
    ),
    _m(
        "b9ca-csr-sha224-accepted",
        2,
        "CA-ENR-13",
        "test_ca_csr.py",
        "a CSR signed with SHA-224 accepted",
        _csr_sha224_accepted,
    ),
    _m(
        "b9ca-rsa-size-in-bytes",
        1,
        "CA-ENR-13",
        "test_ca_csr.py",
        "RSA size checked in whole bytes: a 2047-bit key passes",
        _rsa_size_in_bytes,
    ),
    _m(
        "b9ca-curve-by-size",
        5,
        "CA-ENR-13",
        "test_ca_csr.py",
        "any 256-bit curve accepted (secp256k1, brainpoolP256r1)",
        _curve_by_size,
    ),
    _m(
        "b9ca-csr-subject-merged",
        1,
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CSR's subject kept except its CN (O, OU ... copied)",
        _plant_issuer(csr_subject=True),
    ),
    _m(
        "b9ca-csr-san-copied",
        2,
        "CA-ENR-4",
        "test_ca_csr.py",
        "the CSR's subjectAltName copied into the certificate",
        _plant_issuer(csr_san=True),
    ),
    _m(
        "b9ca-rsa-keyencipherment",
        2,
        "PKI-CERT-1",
        "test_ca_csr.py",
        "KeyUsage keyEncipherment added for RSA keys (the TLS 1.2 habit)",
        _plant_issuer(rsa_key_encipherment=True),
    ),
    _m(
        "b9ca-serial-clock",
        5,
        "CA-ENR-10",
        "test_ca_csr.py",
        "serial = time_ns() | 2^63: 64 bits, unique, not random",
        _serial_clock,
    ),
    _m(
        "b9ca-root-is-tls-cert",
        1,
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/root serves the CA's TLS certificate (two files side by side)",
        _root_is_tls_cert,
    ),
    _m(
        "b9ca-body-limit-chars",
        1,
        "CA-ENR-9",
        "test_ca.py",
        "the body limit counted in decoded characters, not bytes",
        _body_limit_chars,
    ),
    _m(
        "b9ca-tls12-allowed",
        2,
        "CA-ENR-1",
        "test_ca.py",
        "the CA's HTTPS context allows TLS 1.2",
        _tls12_allowed,
    ),
    _m(
        "b9ca-hostname-ips-ignored",
        1,
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the host-name check compares DNS names only: alias '127.0.0.1' enrols",
        _hostname_ips_ignored,
    ),
    _m(
        "b9ca-busy-counted",
        3,
        "CA-ENR-14",
        "test_ca_throttle.py",
        "a 503 busy attempt counted as a failure",
        _busy_counted,
    ),
    _m(
        "b9ca-pending-counted-as-failure",
        1,
        "CA-ENR-14",
        "test_ca_throttle.py",
        "every admitted attempt counted as a failure before the hash (honest burst locked)",
        _pending_counted_as_failure,
    ),
    _m(
        "b9ca-unknown-alias-message",
        3,
        "CA-ENR-6",
        "test_ca.py",
        "an unknown alias's 401 message differs from a wrong password's",
        _unknown_alias_message,
    ),
    # batch 3
    _m(
        "b9ca-forwarded-for-trusted",
        4,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the client address taken from X-Forwarded-For when present (a proxy default)",
        _forwarded_for_trusted,
    ),
    _m(
        "b9ca-revoked-by-certificates",
        1,
        "CA-ENR-11",
        "test_ca.py",
        "'revoked' read from the alias's certificates: a revoked alias with none enrols",
        revocation_not_rechecked(_revoked_by_certificates),
    ),
    _m(
        "b9ca-throttled-counted",
        3,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "a 429 answer counted as a failure: polling doubles the wait",
        _throttled_counted,
    ),
    _m(
        "b9ca-rearm-on-429",
        1,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "a login during the backoff restarts it",
        _rearm_on_429,
    ),
    _m(
        "b9ca-retry-after-alias-only",
        1,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "Retry-After from the alias's block only, the address's block ignored",
        _retry_after_alias_only,
    ),
    _m(
        "b9ca-csr-bare-base64",
        2,
        "CA-ENR-13",
        "test_ca_csr.py",
        "a csr of bare base64 DER (no PEM armour) accepted",
        _csr_bare_base64,
    ),
    _m(
        "b9ca-notbefore-backdated-a-day",
        1,
        "CA-ENR-10",
        "test_ca_csr.py",
        "notBefore backdated a day for 'time zones' (more than the hour allowed)",
        _plant_issuer(not_before=lambda now, skew: now - dt.timedelta(days=1)),
    ),
    _m(
        "b9ca-restart-clock-shift-sign",
        4,
        "CA-ENR-20",
        "test_ca_restart.py",
        "reloaded block ends shifted with the wrong sign: blocked for decades",
        _restart_clock_shift_sign,
    ),
    _m(
        "b9ca-restart-drops-addresses",
        4,
        "CA-ENR-20",
        "test_ca_restart.py",
        "addresses' failures not reloaded at restart",
        _restart_drops_addresses,
    ),
    _m(
        "b9ca-restart-drops-aliases",
        4,
        "CA-ENR-20",
        "test_ca_restart.py",
        "aliases' failures not reloaded at restart",
        _restart_drops_aliases,
    ),
    _m(
        "b9ca-internal-error-traceback",
        3,
        "CA-ENR-9",
        "test_ca.py",
        "a 500 whose message is the traceback",
        surrogate_hash_raises(_internal_error_traceback),
    ),
    _m(
        "b9ca-address-threshold-default",
        4,
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the configured threshold applied to aliases; addresses keep the default 5",
        _address_threshold_default,
    ),
    _m(
        "b9ca-cert-signed-by-tls-key",
        5,
        "PKI-CERT-1",
        "test_ca_csr.py",
        "employee certificates signed with the CA's TLS key (issuer and AKI the root's)",
        _cert_signed_by_tls_key,
    ),
    _m(
        "b9ca-bc-not-critical",
        2,
        "PKI-CERT-1",
        "test_ca_csr.py",
        "BasicConstraints CA:FALSE not marked critical",
        _plant_issuer(bc_critical=False),
    ),
    _m(
        "b9ca-lock-after-default",
        4,
        "CA-ENR-19",
        "test_ca_throttle.py",
        "--lock-after parsed, the throttle keeps 100",
        _lock_after_default,
    ),
    # batch 4
    _m(
        "b9ca-tls-cert-without-san",
        4,
        "CA-ENR-17",
        "test_ca_own_certificate.py",
        "the HTTPS certificate made at start names the CA in its CN only (no SAN)",
        _tls_cert_without_san,
    ),
    _m(
        "b9ca-tls-cert-san-dns-only",
        1,
        "CA-ENR-17",
        "test_ca_own_certificate.py",
        "the HTTPS certificate's SAN holds its DNS names, not the address of its URL",
        _tls_cert_san_dns_only,
    ),
    _m(
        "b9ca-root-bundle",
        1,
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/root serves the root followed by the CA's TLS certificate",
        _root_bundle,
    ),
    # batch 5
    _m(
        "b9ca-unknown-alias-no-hash",
        5,
        "CA-ENR-6",
        "test_timing.py",
        "an unknown alias answered without any hash (early return)",
        _unknown_alias_no_hash,
    ),
    _m(
        "b9ca-dummy-hash-cheaper",
        5,
        "CA-ENR-6",
        "test_timing.py",
        "unknown aliases hashed with scrypt N=2^11 instead of the users' 2^15",
        _dummy_hash_cheaper,
    ),
)
