"""Blind red-team round 9, the CA as a program people run (helper B30).

Operational slips of a CA an organisation runs (`sft ca init/serve/user add/revoke`):
state on disk and what a restart reloads, the root vs the CA's own TLS key and
certificate, the CRL cached or regenerated, options parsed and not applied, units, and
the HTTP plumbing around a handler exception. Each breaks one MUST a client of the CA
(plus the restart / admin commands the target declares) can observe. Lenses (round 9,
/work/briefs/s9/lenses.md + B30's): [1] refactoring slip, [2] library default /
lenient parser, [3] error path, [4] configuration, [5] crypto API misuse; [S] state on
disk / restart, [K] keys and files, [H] HTTP plumbing, [A] administration race.

  b9cao-crl-cache-keyed-on-issued   [S][1] CRL cached, invalidated on issued count only
  b9cao-crl-expiry-inverted         [1]    CRL keeps only expired revoked certificates
  b9cao-crl-one-per-alias           [1]    CRL lists one (the latest) serial per alias
  b9cao-auth-cache-per-alias        [S][A] user row cached at first login; revocation unseen
  b9cao-auth-revoked-ignored        [1]    the revoked_at check dropped (early return)
  b9cao-revoked-raises              [3]    a revoked alias's right password raises: 500
  b9cao-serial-row-mismatch         [S][1] the store records a serial other than the issued
  b9cao-validity-config-ignored     [4]    --validity-days parsed, the default used
  b9cao-validity-plus-skew          [1]    notAfter = now + backdate + validity
  b9cao-backdate-hours              [4]    notBefore backdated by hours, not minutes
  b9cao-crl-window-over-7d          [1]    nextUpdate = now + 7 d, thisUpdate = now - 5 min
  b9cao-crl-thisupdate-future       [1]    thisUpdate = now + backdate (sign slip)
  b9cao-crl-signed-tls-key          [K][5] CRL signed with the CA's TLS key
  b9cao-crl-issuer-tls              [K][1] CRL issuer = the CA's TLS certificate's subject
  b9cao-root-serves-tls-cert        [K][1] GET /v1/root serves ca-tls.pem
  b9cao-restart-drops-backoff       [S][4] running backoffs persisted in monotonic time
  b9cao-restart-drops-counts        [S]    failure counts not reloaded at start
  b9cao-restart-drops-locks         [S]    hard locks not reloaded at start
  b9cao-lock-addresses              [1]    addresses hard-locked like aliases
  b9cao-success-clears-address      [1]    a right password clears the address, not alias
  b9cao-csr-key-error-bad-request   [3]    a disallowed CSR key answered 400 bad_request
  b9cao-500-traceback               [H][3] an internal error's 500 carries the traceback
  b9cao-body-limit-kb               [4]    body limit 64 000 bytes (kB, not KiB)
  b9cao-body-limit-off-by-one       [1]    a body of exactly 65536 bytes refused (>=)
  b9cao-throttle-after-ignored      [4]    --throttle-after parsed, default 5 used
  b9cao-cap-ignored                 [4]    --throttle-cap parsed, default 300 used
  b9cao-lock-after-ignored          [4]    --lock-after parsed, default 100 used
  b9cao-retry-after-floor           [1]    Retry-After rounded down (a login then 429)
  b9cao-serial-restart-repeat       [S][5] serial = deterministic base + in-memory counter
  b9cao-hostname-cn-only            [K][1] the CA's names read from its TLS CN, not SANs
  b9cao-hostname-trailing-dot       [1]    alias compared to host names with its dot

Post-blind probes (written after the blind count, lens [S]; the first was already caught,
the second survived and is caught by conformance/test_ca_restart_spent_backoffs.py):
  b9cao-restart-drops-alias-counts  [S]    at start only the addresses' counts are reloaded
  b9cao-restart-prunes-spent-backoffs [S]  keys past the threshold whose backoff ran out
                                           are dropped at start ("housekeeping")

Dropped (not observable by a black-box tester, or the reference shares it):
  enrol row not committed (the CLI `revoke` then fails "database is locked": a harness
  error, not a FAIL); slot leaked on a failed TLS handshake and idle timeout in ms (LIM-*
  judge responders, not the CA); CRL thisUpdate frozen at start via a default argument
  (conforming within a run); a revocation between `authenticate` and the INSERT (the
  reference has the same window: see the report).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sys
import traceback
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


def _crl_cache_keyed_on_issued() -> None:
    ca = _module(_CA)
    orig = ca.CertificateAuthority.crl

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        with self._lock:
            issued = self._db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
        cached = getattr(self, "_b9_crl", None)
        if cached is not None and cached[0] == issued:
            return cached[1]
        fresh = orig(self, now=now)
        self._b9_crl = (issued, fresh)
        return fresh

    ca.CertificateAuthority.crl = crl


def _crl_rows(sql: str, keep: Any) -> None:
    ca = _module(_CA)

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        now = now or ca._utcnow()
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        revoked = [
            (int(serial), dt.datetime.fromisoformat(when))
            for serial, when, not_after in rows
            if keep(dt.datetime.fromisoformat(not_after), now - ca._BACKDATE)
        ]
        return ca.make_crl(self.root_key, self.root, revoked, now=now)

    ca.CertificateAuthority.crl = crl


_REVOKED_SQL = "SELECT serial, revoked_at, not_after FROM certificates WHERE revoked_at IS NOT NULL"


def _crl_expiry_inverted() -> None:
    _crl_rows(_REVOKED_SQL, lambda not_after, limit: not_after <= limit)


def _crl_one_per_alias() -> None:
    _crl_rows(
        "SELECT MAX(serial), revoked_at, not_after FROM certificates"
        " WHERE revoked_at IS NOT NULL GROUP BY alias",
        lambda not_after, limit: not_after > limit,
    )


def _auth_cache_per_alias() -> None:
    ca = _module(_CA)

    def authenticate(self: Any, alias: str, password: str) -> bool:
        cache = self.__dict__.setdefault("_b9_users", {})
        if alias not in cache:
            with self._lock:
                cache[alias] = self._db.execute(
                    "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
                ).fetchone()
        row = cache[alias]
        record = row[0] if row is not None else ca._dummy_record()
        ok = ca._verify_password_record(record, password)
        return bool(ok and row is not None and row[1] is None)

    ca.CertificateAuthority.authenticate = authenticate


def _auth_revoked_ignored() -> None:
    ca = _module(_CA)

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        record = row[0] if row is not None else ca._dummy_record()
        return bool(ca._verify_password_record(record, password) and row is not None)

    ca.CertificateAuthority.authenticate = authenticate


def _revoked_raises() -> None:
    ca = _module(_CA)

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        record = row[0] if row is not None else ca._dummy_record()
        ok = ca._verify_password_record(record, password)
        if ok and row is not None and row[1] is not None:
            raise ca.CaError(f"user {alias} was revoked on {row[1]}")
        return bool(ok and row is not None)

    ca.CertificateAuthority.authenticate = authenticate


def _enroll_with(
    *,
    serial_of_row: Any = None,
    excepted: tuple[type[BaseException], ...] | None = None,
    force_validity: bool = False,
) -> None:
    """A copy of CertificateAuthority.enroll with one slip planted."""
    ca = _module(_CA)
    x509 = _module("cryptography.x509")
    ser = _module("cryptography.hazmat.primitives.serialization")
    exc_mod = _module("cryptography.exceptions")
    caught = excepted or (
        ValueError,
        exc_mod.InvalidSignature,
        TypeError,
        exc_mod.UnsupportedAlgorithm,
        ca.CaError,
    )

    def enroll(
        self: Any,
        alias: str,
        csr_pem: bytes,
        *,
        validity: dt.timedelta = ca.DEFAULT_VALIDITY,
        now: dt.datetime | None = None,
    ) -> Any:
        if force_validity:
            validity = ca.DEFAULT_VALIDITY
        self.check_not_host_name(alias)
        if csr_pem.count(b"-----BEGIN ") != 1:
            raise ca.CaError("bad_csr")
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
            valid = csr.is_signature_valid
            digest = csr.signature_hash_algorithm
            public_key = ca._check_public_key(csr.public_key())
        except caught:
            raise ca.CaError("bad_csr") from None
        if not valid or not isinstance(digest, ca._CSR_DIGESTS):
            raise ca.CaError("bad_csr")
        cert = ca.issue_employee(
            self.root_key, self.root, alias, public_key, validity=validity, now=now
        )
        serial = cert.serial_number if serial_of_row is None else serial_of_row()
        with self._lock:
            self._db.execute(
                "INSERT INTO certificates (serial, alias, not_after, pem) VALUES (?, ?, ?, ?)",
                (
                    str(serial),
                    alias,
                    cert.not_valid_after_utc.isoformat(),
                    cert.public_bytes(ser.Encoding.PEM),
                ),
            )
            self._db.commit()
        return cert

    ca.CertificateAuthority.enroll = enroll


def _serial_row_mismatch() -> None:
    _enroll_with(serial_of_row=lambda: _module(_CA)._serial())


def _csr_key_error_bad_request() -> None:
    exc_mod = _module("cryptography.exceptions")
    _enroll_with(
        excepted=(ValueError, exc_mod.InvalidSignature, TypeError, exc_mod.UnsupportedAlgorithm)
    )


def _validity_config_ignored() -> None:
    _enroll_with(force_validity=True)


def _issue_employee_with(before: dt.timedelta, after_extra: dt.timedelta) -> None:
    ca = _module(_CA)
    eku = _module("cryptography.x509.oid").ExtendedKeyUsageOID

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
        builder = ca._leaf_builder(
            root,
            ca._check_public_key(public_key),
            ca.check_alias(alias),
            [eku.CLIENT_AUTH, eku.SERVER_AUTH],
            now - before,
            now + after_extra + validity,
        )
        return builder.sign(root_key, ca._signing_hash(root_key))

    ca.issue_employee = issue_employee


def _validity_plus_skew() -> None:
    _issue_employee_with(dt.timedelta(minutes=5), dt.timedelta(minutes=5))


def _backdate_hours() -> None:
    _issue_employee_with(dt.timedelta(hours=5), dt.timedelta(0))


def _make_crl_with(
    *,
    this_shift: dt.timedelta,
    next_from_now: bool = False,
    issuer_tls: bool = False,
    tls_key: bool = False,
) -> None:
    ca = _module(_CA)
    x509 = _module("cryptography.x509")
    hashes = _module("cryptography.hazmat.primitives.hashes")

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        now = now or ca._utcnow()
        with self._lock:
            rows = self._db.execute(_REVOKED_SQL).fetchall()
        revoked = [
            (int(serial), dt.datetime.fromisoformat(when))
            for serial, when, not_after in rows
            if dt.datetime.fromisoformat(not_after) > now - ca._BACKDATE
        ]
        tls_cert = x509.load_pem_x509_certificate((self.directory / self.TLS_CERT).read_bytes())
        issuer = tls_cert.subject if issuer_tls else self.root.subject
        this_update = now + this_shift
        next_update = (now if next_from_now else now - ca._BACKDATE) + ca.CRL_VALIDITY
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.public_key()),
                critical=False,
            )
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        key = ca.load_private_key(self.directory / self.TLS_KEY) if tls_key else self.root_key
        return builder.sign(key, hashes.SHA256())

    ca.CertificateAuthority.crl = crl


def _crl_window_over_7d() -> None:
    _make_crl_with(this_shift=-dt.timedelta(minutes=5), next_from_now=True)


def _crl_thisupdate_future() -> None:
    _make_crl_with(this_shift=dt.timedelta(minutes=5))


def _crl_signed_tls_key() -> None:
    _make_crl_with(this_shift=-dt.timedelta(minutes=5), tls_key=True)


def _crl_issuer_tls() -> None:
    _make_crl_with(this_shift=-dt.timedelta(minutes=5), issuer_tls=True)


def _root_serves_tls_cert() -> None:
    ca = _module(_CA)

    def root_pem(self: Any) -> bytes:
        return bytes((self.directory / self.TLS_CERT).read_bytes())

    ca.CertificateAuthority.root_pem = root_pem


def _count_with(*, monotonic_on_disk: bool = False, lock_addresses: bool = False) -> None:
    srv = _module(_SRV)
    time_mod = _module("time")

    def _count(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            entry = self._keys.pop(key, None)
            if entry is None:
                entry = srv._Failures()
                self._kind_sizes[srv._kind(key)] = self._kind_sizes.get(srv._kind(key), 0) + 1
            entry.count += 1
            if entry.count >= self.after:
                delay = min(self.cap, self.base * 2 ** (entry.count - self.after))
                entry.blocked_until = now + delay
            self._keys[key] = entry
            if self._db is not None:
                wall = self.wall_clock()
                until = (
                    entry.blocked_until
                    if monotonic_on_disk
                    else max(0.0, entry.blocked_until - now) + wall
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"
                    " VALUES (?, ?, ?, ?)",
                    (key, entry.count, until, wall),
                )
            if (lock_addresses or key.startswith("alias:")) and entry.count >= self.lock_after:
                self._locked.add(key)
                if self._db is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)",
                        (key, time_mod.time()),
                    )
            if self._kind_sizes[srv._kind(key)] > self.max_keys:
                self._evict(srv._kind(key), now)

    srv.LoginThrottle._count = _count


def _restart_drops_backoff() -> None:
    _count_with(monotonic_on_disk=True)


def _lock_addresses() -> None:
    _count_with(lock_addresses=True)


def _after_load(reset: Any) -> None:
    srv = _module(_SRV)
    orig = srv.LoginThrottle.__post_init__

    def __post_init__(self: Any) -> None:
        orig(self)
        reset(self)

    srv.LoginThrottle.__post_init__ = __post_init__


def _restart_drops_counts() -> None:
    def reset(self: Any) -> None:
        self._keys.clear()
        self._kind_sizes.clear()

    _after_load(reset)


def _restart_drops_locks() -> None:
    def reset(self: Any) -> None:
        self._locked = set()

    _after_load(reset)


def _success_clears_address() -> None:
    srv = _module(_SRV)

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            for other in refunded[:1]:
                if other in self._keys:
                    self._forget(other)
            self._release((key, *refunded))

    srv.LoginThrottle.success = success


def _traceback_500() -> None:
    srv = _module(_SRV)
    orig = srv._Handler._send_json

    def _send_json(self: Any, status: Any, body: dict[str, Any], **kwargs: Any) -> None:
        if int(status) == 500 and sys.exc_info()[0] is not None:
            body = {**body, "message": traceback.format_exc()}
        orig(self, status, body, **kwargs)

    srv._Handler._send_json = _send_json


def _body_limit(limit: int) -> Any:
    def apply() -> None:
        _module(_SRV).MAX_BODY = limit

    return apply


def _server_throttle(**values: Any) -> Any:
    def apply() -> None:
        srv = _module(_SRV)
        orig = srv.CaServer.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            for name, value in values.items():
                setattr(self.throttle, name, value)

        srv.CaServer.__init__ = __init__

    return apply


def _retry_after_floor() -> None:
    srv = _module(_SRV)

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:
            if self._hard_locked(keys):
                return max(1, int(self.cap + 0.999))
            worst = max((self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0)
            if worst > now:
                return max(1, int(worst - now))
            for key in keys:
                pending = self._pending.get(key, 0)
                failures = self._keys[key].count if key in self._keys else 0
                if pending >= self.pending_cap or (pending and failures + pending >= self.after):
                    return int(srv.BUSY)
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1
            return 0

    srv.LoginThrottle.admit = admit


def _serial_restart_repeat() -> None:
    ca = _module(_CA)
    seed = hashlib.sha256(" ".join(sys.orig_argv).encode()).digest()[:12]
    base = (int.from_bytes(seed, "big") | (1 << 95)) << 32
    counter = itertools.count(1)

    def _serial() -> int:
        return base + next(counter)

    ca._serial = _serial


def _hostname_cn_only() -> None:
    ca = _module(_CA)
    x509 = _module("cryptography.x509")
    name_oid = _module("cryptography.x509.oid").NameOID
    orig = ca.CertificateAuthority.__init__

    def __init__(self: Any, directory: Any) -> None:
        orig(self, directory)
        cert = x509.load_pem_x509_certificate((directory / self.TLS_CERT).read_bytes())
        self.host_names = frozenset(
            ca._host_key(str(a.value))
            for a in cert.subject.get_attributes_for_oid(name_oid.COMMON_NAME)
        )

    ca.CertificateAuthority.__init__ = __init__


def _hostname_trailing_dot() -> None:
    ca = _module(_CA)

    def check_not_host_name(self: Any, alias: str) -> None:
        if alias.lower() in self.host_names:
            raise ca.CaError(f"the alias {alias} is a host name of the CA; choose another")

    ca.CertificateAuthority.check_not_host_name = check_not_host_name


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b9cao-{name}",
        group="blind9-caops",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "crl-cache-keyed-on-issued",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL is cached and regenerated only when the number of issued certificates "
        "changes: a revocation after a fetch is not served",
        _crl_cache_keyed_on_issued,
    ),
    _m(
        "crl-expiry-inverted",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL keeps the revoked certificates that have expired and drops the unexpired",
        _crl_expiry_inverted,
    ),
    _m(
        "crl-one-per-alias",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists one revoked serial per alias (GROUP BY alias)",
        _crl_one_per_alias,
    ),
    _m(
        "auth-cache-per-alias",
        "CA-ENR-11",
        "test_ca.py",
        "each alias's user row is cached at its first login: a later revocation is not "
        "seen and the revoked alias enrols again",
        revocation_not_rechecked(_auth_cache_per_alias),
    ),
    _m(
        "auth-revoked-ignored",
        "CA-ENR-11",
        "test_ca.py",
        "authenticate no longer checks revoked_at: a revoked alias enrols again",
        revocation_not_rechecked(_auth_revoked_ignored),
    ),
    _m(
        "revoked-raises",
        "CA-ENR-11",
        "test_ca.py",
        "a revoked alias with its right password raises in authenticate: 500, not 401",
        _revoked_raises,
    ),
    _m(
        "serial-row-mismatch",
        "CA-ENR-11",
        "test_ca.py",
        "the store records a freshly drawn serial, not the issued certificate's: the "
        "CRL of a revoked alias lists serials nobody holds",
        _serial_row_mismatch,
    ),
    _m(
        "validity-config-ignored",
        "CA-ENR-10",
        "test_ca_csr.py",
        "--validity-days is parsed and ignored: certificates get the 30-day default",
        _validity_config_ignored,
    ),
    _m(
        "validity-plus-skew",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter = now + backdate + validity: 5 minutes past the configured period",
        _validity_plus_skew,
    ),
    _m(
        "backdate-hours",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notBefore is backdated 5 hours (hours for minutes), past the 1 hour allowed",
        _backdate_hours,
    ),
    _m(
        "crl-window-over-7d",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate counted from now, thisUpdate from now - 5 min: 7 d + 5 min apart",
        _crl_window_over_7d,
    ),
    _m(
        "crl-thisupdate-future",
        "CA-ENR-8",
        "test_ca.py",
        "thisUpdate = now + backdate (sign slip): in the future",
        _crl_thisupdate_future,
    ),
    _m(
        "crl-signed-tls-key",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL is signed with the CA's TLS key, not the root's",
        _crl_signed_tls_key,
    ),
    _m(
        "crl-issuer-tls",
        "CA-ENR-8",
        "test_ca.py",
        "the CRL's issuer is the CA's TLS certificate's subject",
        _crl_issuer_tls,
    ),
    _m(
        "root-serves-tls-cert",
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/root serves the CA's own TLS certificate",
        _root_serves_tls_cert,
    ),
    _m(
        "restart-drops-backoff",
        "CA-ENR-20",
        "test_ca_restart.py",
        "backoff ends persisted in monotonic time: after a restart they lie in the past",
        _restart_drops_backoff,
    ),
    _m(
        "restart-drops-counts",
        "CA-ENR-20",
        "test_ca_restart.py",
        "failure counts are written but not reloaded at start",
        _restart_drops_counts,
    ),
    _m(
        "restart-drops-locks",
        "CA-ENR-19",
        "test_ca_restart.py",
        "hard locks are written but not reloaded at start: a restart unlocks",
        _restart_drops_locks,
    ),
    _m(
        "lock-addresses",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "addresses are hard-locked like aliases",
        _lock_addresses,
    ),
    _m(
        "success-clears-address",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a right password clears the address's count, not the alias's",
        _success_clears_address,
    ),
    _m(
        "csr-key-error-bad-request",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a CSR key PKI-CERT-1 does not allow escapes the bad_csr mapping: 400 bad_request",
        _csr_key_error_bad_request,
    ),
    _m(
        "500-traceback",
        "CA-ENR-9",
        "test_ca.py",
        "an internal error's 500 carries the Python traceback as its message",
        surrogate_hash_raises(_traceback_500),
    ),
    _m(
        "body-limit-kb",
        "CA-ENR-9",
        "test_ca.py",
        "the body limit is 64 000 bytes (kB for KiB)",
        _body_limit(64 * 1000),
    ),
    _m(
        "body-limit-off-by-one",
        "CA-ENR-9",
        "test_ca.py",
        "a body of exactly 65536 bytes is refused 413 (>= for >)",
        _body_limit(64 * 1024 - 1),
    ),
    _m(
        "throttle-after-ignored",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "--throttle-after is parsed, the throttle uses the default 5",
        _server_throttle(after=5),
    ),
    _m(
        "cap-ignored",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "--throttle-cap is parsed, the throttle uses the default 300 s",
        _server_throttle(cap=300.0),
    ),
    _m(
        "lock-after-ignored",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "--lock-after is parsed, the throttle uses the default 100",
        _server_throttle(lock_after=100),
    ),
    _m(
        "retry-after-floor",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "Retry-After rounded down: a login made n seconds later is throttled again",
        _retry_after_floor,
    ),
    _m(
        "serial-restart-repeat",
        "CA-ENR-10",
        "test_ca_serial_restart.py",
        "serial = a base derived from the command line + an in-memory counter: a "
        "restart issues the same serials again",
        _serial_restart_repeat,
    ),
    _m(
        "hostname-cn-only",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the CA's own names are read from its TLS certificate's CN only: an alias equal "
        "to a SAN address enrols",
        _hostname_cn_only,
    ),
    _m(
        "hostname-trailing-dot",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "an alias is compared with the CA's names without dropping its trailing dot: "
        "`localhost.` enrols",
        _hostname_trailing_dot,
    ),
)


# --- post-blind probes (written after the blind count, to look for survivors) ----------


def _restart_drops_alias_counts() -> None:
    def reset(self: Any) -> None:
        for key in [k for k in self._keys if k.startswith("alias:")]:
            del self._keys[key]
            self._kind_sizes["alias"] -= 1

    _after_load(reset)


def _restart_prunes_spent_backoffs() -> None:
    def reset(self: Any) -> None:
        now = self.clock()
        for key in [
            k for k, e in self._keys.items() if e.count >= self.after and e.blocked_until <= now
        ]:
            del self._keys[key]
            self._kind_sizes[key.split(":", 1)[0]] -= 1

    _after_load(reset)


_PROBES: tuple[Mutant, ...] = (
    _m(
        "restart-drops-alias-counts",
        "CA-ENR-20",
        "test_ca_restart.py",
        "(post-blind) at start only the addresses' failure counts are reloaded",
        _restart_drops_alias_counts,
    ),
    _m(
        "restart-prunes-spent-backoffs",
        "CA-ENR-20",
        "test_ca_restart_spent_backoffs.py",
        "(post-blind) at start, keys past the threshold whose backoff has run out are "
        "dropped as housekeeping: their count restarts from 0",
        _restart_prunes_spent_backoffs,
    ),
)

MUTANTS = MUTANTS + _PROBES
