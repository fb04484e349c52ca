"""Blind round 4, the organisation CA (docs/SPEC.md §4.4, PKI-CERT-* as the CA issues them).

Written from the SPEC and reference/pki/ca*.py alone, before reading the CA case files.
Each is one implementer's mistake violating one MUST; kinds (a)-(e) of the round-4 brief:

(a) state in the wrong place
- b4ca-crl-signed-once -> CA-ENR-11: the CRL is signed at the first fetch and served from
  memory ever after; revocations made later never appear.
- b4ca-addr-key-with-port -> CA-ENR-7: the per-address throttle key is
  f"addr:{client_address}" (host AND port): every connection is a new address.
- b4ca-serial-from-request -> CA-ENR-10: serial = hash(alias, key) ("idempotent issuing");
  the same alias and key get the same serial again (INSERT OR REPLACE hides the clash).
- b4ca-throttle-clock-at-start -> CA-ENR-7: the throttle reads its clock once at start;
  a backoff never runs out (every later login is 429 until a restart).
- b4ca-failures-wiped-at-start -> CA-ENR-20: start-up "cleans" the persisted failure
  counts (only hard locks are kept): a restart resets every backoff.
(b) numbers and types
- b4ca-body-limit-64000 -> CA-ENR-9: 64 KB taken as 64 000 bytes: 64 001..65 536 -> 413.
- b4ca-retry-after-float -> CA-ENR-7: Retry-After is the raw float seconds ("1.9983").
- b4ca-curve-by-size -> CA-ENR-13: "P-256" checked as curve.key_size == 256: secp256k1
  (and brainpoolP256r1) CSRs are certified.
- b4ca-csr-sha224 -> CA-ENR-13: "the SHA-2 family" accepted: a SHA-224 signed CSR passes.
- b4ca-throttle-after-plus-one -> CA-ENR-7: `count > after`: N+1 401s before the 429.
- b4ca-lock-after-plus-one -> CA-ENR-19: `count > lock_after`: the hard lock one late.
(c) time
- b4ca-cert-local-time -> CA-ENR-10: issue time is local wall time labelled UTC on a CA
  in UTC+1: notBefore 55 min in the future.
- b4ca-crl-local-time -> CA-ENR-8: the same mistake in the CRL: thisUpdate in the future.
- b4ca-persist-monotonic -> CA-ENR-20: backoff ends persisted as monotonic seconds where
  wall time belongs: after a restart every running backoff has long ended.
- b4ca-crl-next-from-now -> CA-ENR-16: nextUpdate = now + 7 d, thisUpdate = now - 5 min:
  the CRL lives 7 d 5 min.
- b4ca-validity-not-passed -> CA-ENR-10: the HTTP adapter forgets validity=: every
  certificate gets the library default 30 d whatever the CA is configured with.
(d) error and cleanup paths
- b4ca-addr-pending-leak -> CA-ENR-14: a right password ends the alias's reservation but
  not the address's: after a few enrolments every login from that address is 503.
- b4ca-bad-csr-guess-dropped -> CA-ENR-21: a wrong password with an unparseable CSR is
  answered 400 bad_csr and the verified guess is dropped uncounted.
- b4ca-rsa-pop-swallowed -> CA-ENR-3: proof of possession verified by hand for ECDSA; the
  RSA call raises TypeError, caught broadly, treated as valid.
- b4ca-routes-by-method -> CA-ENR-9: routes keyed by (method, path): wrong method -> 404.
- b4ca-no-dummy-hash -> CA-ENR-6: an unknown alias returns at once (no dummy scrypt).
(e) order of operations
- b4ca-count-after-hash -> CA-ENR-14: no reservation: the failure is counted only when the
  slow hash ends, so N concurrent guesses are all verified.
- b4ca-revoked-before-password -> CA-ENR-11: the revocation is checked before the
  password and answered 403 revoked (not like a wrong password).
- b4ca-query-stripped -> CA-ENR-15: the query string is cut off the target and the
  request served as if it had none.
- b4ca-alias-normalised-after-keys -> CA-ENR-6: the alias is stripped and lower-cased
  after the throttle keys were made: "ALICE" with alice's password is enrolled (200).
- b4ca-host-dot-kept -> CA-ENR-17: the CA's-own-name check ignores the trailing-dot rule.
(profile / adapter)
- b4ca-rsa-key-encipherment -> PKI-CERT-1: keyEncipherment set for RSA keys.
- b4ca-aki-from-leaf -> PKI-CERT-13: AuthorityKeyIdentifier computed from the leaf's key.
- b4ca-csr-san-copied -> CA-ENR-4: the CSR's subjectAltName copied into the certificate.
- b4ca-tls12-allowed -> CA-ENR-1: the CA's HTTPS context lowers its minimum to TLS 1.2.
- b4ca-tls-unpinned -> PKI-TLS-9: the CA's HTTPS context is a plain TLS 1.3 context
  without the pinned groups (OpenSSL's defaults: x448, secp521r1, ffdhe*).

Phase 2 (measured against the suite as it was): 29 of 31 detected (b4ca-no-dummy-hash
by test_timing.py, where its test_file now points). Survivors, and what catches them now:
- b4ca-bad-csr-guess-dropped: test_ca_throttle.py
  test_a_bad_csr_answered_first_leaves_the_password_unverified (a CA answering 400 to
  wrong passwords with bad CSRs must not verify passwords: its right password with a bad
  CSR must not reset the alias's count);
- b4ca-persist-monotonic: test_ca_restart.py, a running backoff across the restart,
  against a control address measured without one (needs the restart to be shorter than
  the CA's backoff cap: on a heavily loaded machine the check is left unjudged).

Phase 3 (not blind: further members of those families), each survived, now caught:
- b4ca-locks-not-reloaded -> CA-ENR-19: locks on disk, the set in memory empty at start
  (test_ca_restart.py: a locked user's right password after the restart);
- b4ca-address-hard-locked -> CA-ENR-19: the hard cap applied to addresses too
  (test_ca_throttle.py test_an_address_is_never_hard_locked);
- b4ca-pop-cached-by-key -> CA-ENR-3: proof of possession remembered per public key
  (test_ca_csr.py test_proof_of_possession_is_checked_again_for_a_known_key);
and two that the suite already caught: b4ca-throttled-attempt-counted (CA-ENR-7),
b4ca-busy-as-throttled (CA-ENR-14).
"""

from __future__ import annotations

import hashlib
import os
import ssl
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _handler_dispatch(*edits: tuple[str, str]) -> None:
    """Edits _Handler._dispatch and rebinds the do_* aliases made at class creation."""
    handler = _server()._Handler
    _patch_source(handler, "_dispatch", *edits)
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{verb}", handler._dispatch)


# --- (a) state in the wrong place ------------------------------------------------------


def _crl_signed_once() -> None:
    authority = _ca().CertificateAuthority
    original = authority.crl
    signed: dict[str, Any] = {}

    def crl(self: Any, *, now: Any = None) -> Any:
        if "crl" not in signed:
            signed["crl"] = original(self, now=now)
        return signed["crl"]

    authority.crl = crl


def _addr_key_with_port() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ('f"addr:{self.client_address[0]}"', 'f"addr:{self.client_address}"'),
    )


def _serial_from_request() -> None:
    ca = _ca()
    ca.hashlib = hashlib
    _patch_source(
        ca,
        "_leaf_builder",
        (
            ".serial_number(_serial())",
            ".serial_number(int.from_bytes(hashlib.sha256(common_name.encode() + "
            "public_key.public_bytes(serialization.Encoding.DER, "
            "serialization.PublicFormat.SubjectPublicKeyInfo)).digest()[:16], 'big') | 1)",
        ),
    )
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("INSERT INTO certificates", "INSERT OR REPLACE INTO certificates"),
    )


def _throttle_clock_at_start() -> None:
    throttle = _server().LoginThrottle
    original = throttle.__post_init__

    def post_init(self: Any) -> None:
        original(self)
        started = self.clock()
        self.clock = lambda: started

    throttle.__post_init__ = post_init


def _failures_wiped_at_start() -> None:
    throttle = _server().LoginThrottle
    original = throttle.__post_init__

    def post_init(self: Any) -> None:
        original(self)
        if self._db is not None:  # a fresh start: only the hard locks are kept
            self._db.execute("DELETE FROM failures")
            self._keys.clear()
            self._kind_sizes.clear()

    throttle.__post_init__ = post_init


# --- (b) numbers and types -------------------------------------------------------------


def _body_limit_64000() -> None:
    _server().MAX_BODY = 64_000


def _retry_after_float() -> None:
    _patch_source(
        _server().LoginThrottle,
        "admit",
        ("return max(1, int(worst - now + 0.999))", "return max(1, worst - now)"),
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
    hashes = _module("cryptography.hazmat.primitives.hashes")
    ca._CSR_DIGESTS = (hashes.SHA224, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def _throttle_after_plus_one() -> None:
    _patch_source(
        _server().LoginThrottle,
        "_count",
        ("if entry.count >= self.after:", "if entry.count > self.after:"),
    )


def _lock_after_plus_one() -> None:
    _patch_source(
        _server().LoginThrottle,
        "_count",
        ("entry.count >= self.lock_after", "entry.count > self.lock_after"),
    )


# --- (c) time --------------------------------------------------------------------------


def _east_of_utc() -> None:
    os.environ["TZ"] = "CET-1"  # a CA in UTC+1 (POSIX TZ: no tzdata needed)
    time.tzset()


def _cert_local_time() -> None:
    _east_of_utc()
    _patch_source(
        _ca(),
        "issue_employee",
        ("now = now or _utcnow()", "now = now or dt.datetime.now().replace(tzinfo=dt.UTC)"),
    )


def _crl_local_time() -> None:
    _east_of_utc()
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        ("now = now or _utcnow()", "now = now or dt.datetime.now().replace(tzinfo=dt.UTC)"),
    )


def _persist_monotonic() -> None:
    _patch_source(
        _server().LoginThrottle,
        "_count",
        (
            "max(0.0, entry.blocked_until - now) + wall, wall",
            "entry.blocked_until, wall",
        ),
    )


def _crl_next_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _validity_not_passed() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ("validity=dt.timedelta(days=self.server.config.validity_days),", ""),
    )


# --- (d) error and cleanup paths -------------------------------------------------------


def _addr_pending_leak() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        ("throttle.success(keys[0], keys[1])", "throttle.success(keys[0])"),
    )


def _csr_is_bad(csr: str) -> bool:
    x509 = _module("cryptography.x509")
    try:
        return not x509.load_pem_x509_csr(csr.encode("utf-8")).is_signature_valid
    except Exception:
        return True


def _bad_csr_guess_dropped() -> None:
    server = _server()
    server._mutant_csr_is_bad = _csr_is_bad
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "if not right:",
            "if not right and _mutant_csr_is_bad(csr):\n"
            "        with throttle._lock:\n"
            "            throttle._release(keys)\n"
            "        raise _HttpError(HTTPStatus.BAD_REQUEST, 'bad_csr', 'the CSR is not valid')\n"
            "    if not right:",
        ),
    )


def _verify_by_hand(csr: Any) -> bool:
    """Proof of possession as an implementer writes it for the ECDSA keys they tried."""
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    invalid = _module("cryptography.exceptions").InvalidSignature
    try:
        csr.public_key().verify(
            csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(csr.signature_hash_algorithm)
        )
    except invalid:
        return False
    except Exception:  # the mutant: RSA wants a padding argument (TypeError), swallowed
        return True
    return True


def _rsa_pop_swallowed() -> None:
    ca = _ca()
    ca._mutant_verify_by_hand = _verify_by_hand
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("valid = csr.is_signature_valid", "valid = _mutant_verify_by_hand(csr)"),
    )


def _routes_by_method() -> None:
    _handler_dispatch(
        (
            "method = self._ROUTES.get(path)",
            "method = self._ROUTES.get(path) if self._ROUTES.get(path) == self.command else None",
        )
    )


def _no_dummy_hash() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        (
            "record = row[0] if row is not None else _dummy_record()",
            "if row is None:\n        return False\n    record = row[0]",
        ),
    )


# --- (e) order of operations -----------------------------------------------------------


def _count_after_hash() -> None:
    throttle = _server().LoginThrottle
    _patch_source(throttle, "admit", ("self._pending[key] = self._pending.get(key, 0) + 1", "pass"))
    _patch_source(throttle, "failed", ("self._count(self._release(keys)", "self._count(keys"))


def _is_revoked(authority: Any, alias: str) -> bool:
    with authority._lock:
        row = authority._db.execute(
            "SELECT revoked_at FROM users WHERE alias = ?", (alias,)
        ).fetchone()
    return row is not None and row[0] is not None


def _revoked_before_password() -> None:
    server = _server()
    server._mutant_is_revoked = _is_revoked
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "throttle = self.server.throttle",
            "if _mutant_is_revoked(self.server.ca, alias):\n"
            "        raise _HttpError(HTTPStatus.FORBIDDEN, 'revoked', 'this alias is revoked')\n"
            "    throttle = self.server.throttle",
        ),
    )


def _query_stripped() -> None:
    _handler_dispatch(
        (
            'if "?" in self.path or "#" in self.path:',
            "self.path = self.path.split('?', 1)[0].split('#', 1)[0]\n        if False:",
        )
    )


def _alias_normalised_after_keys() -> None:
    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            "wait = throttle.admit(*keys)",
            "alias = alias.strip().lower()\n    wait = throttle.admit(*keys)",
        ),
    )


def _host_dot_kept() -> None:
    _patch_source(
        _ca(), "_host_key", ('return name.lower().removesuffix(".")', "return name.lower()")
    )


# --- certificate profile and TLS adapter -----------------------------------------------


def _rsa_key_encipherment() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "key_encipherment=False,  # [PKI-CERT-1]: TLS 1.3 only signs, RSA too",
            "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),",
        ),
    )


def _aki_from_leaf() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())",
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key)",
        ),
    )


def _csr_san_copied() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    oid = _module("cryptography.x509.oid")

    def issue_employee(
        root_key: Any,
        root: Any,
        alias: str,
        public_key: object,
        *,
        validity: Any = ca.DEFAULT_VALIDITY,
        now: Any = None,
        requested: Any = (),
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
        for extension in requested:  # "keep the names the client asked for"
            if isinstance(extension.value, x509.SubjectAlternativeName):
                builder = builder.add_extension(extension.value, extension.critical)
        return builder.sign(root_key, ca._signing_hash(root_key))

    ca.issue_employee = issue_employee
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("validity=validity, now=now", "validity=validity, now=now, requested=csr.extensions"),
    )


def _tls12_allowed() -> None:
    server = _server()
    original = server.https_server_context

    def https_server_context(cert: Any, key: Any) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(cert, key)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    server.https_server_context = https_server_context


def _tls_unpinned() -> None:
    server = _server()

    def https_server_context(cert: Any, key: Any) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.num_tickets = 0
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    server.https_server_context = https_server_context


# --- phase 3: further members of the families found above (not blind) -----------------


def _locks_not_reloaded() -> None:
    """The hard locks are written to disk but the set in memory starts empty at start."""
    throttle = _server().LoginThrottle
    original = throttle.__post_init__

    def post_init(self: Any) -> None:
        original(self)
        self._locked = set()

    throttle.__post_init__ = post_init


def _address_hard_locked() -> None:
    """The hard cap applied to every key, addresses too ("a key is a key")."""
    _patch_source(
        _server().LoginThrottle,
        "_count",
        (
            'if key.startswith("alias:") and entry.count >= self.lock_after:',
            "if entry.count >= self.lock_after:",
        ),
    )


def _pop_cached_by_key() -> None:
    """Proof of possession remembered per public key: a key whose CSR verified once is
    "known", and its later CSRs skip the signature check (a cache keyed on the key, not
    on the request)."""
    ca = _ca()
    serialization = _module("cryptography.hazmat.primitives.serialization")
    proven: set[bytes] = set()

    def pop(csr: Any) -> bool:
        spki = csr.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if spki in proven:
            return True
        valid = bool(csr.is_signature_valid)
        if valid:
            proven.add(spki)
        return valid

    ca._mutant_pop = pop
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("valid = csr.is_signature_valid", "valid = _mutant_pop(csr)"),
    )


def _throttled_attempt_counted() -> None:
    """A login refused 429 counts as one more failure ("it was another guess"): every
    attempt during a backoff lengthens it."""
    _patch_source(
        _server().LoginThrottle,
        "admit",
        (
            "        if worst > now:\n",
            "        if worst > now:\n            self._count(keys, now)\n",
        ),
    )


def _busy_as_throttled() -> None:
    """Too many pending attempts answered like a backoff: 429 throttled, not 503 busy."""
    _patch_source(
        _server()._Handler,
        "_enroll",
        ("HTTPStatus.SERVICE_UNAVAILABLE", "HTTPStatus.TOO_MANY_REQUESTS"),
        ('"busy",', '"throttled",'),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b4ca-{name}",
        group="ca",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # (a)
    _m(
        "crl-signed-once",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL is signed once and cached",
        _crl_signed_once,
    ),
    _m(
        "addr-key-with-port",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "per-address key holds the port",
        _addr_key_with_port,
    ),
    _m(
        "serial-from-request",
        "CA-ENR-10",
        "test_ca_csr.py",
        "serial = hash(alias, key): repeats",
        _serial_from_request,
    ),
    _m(
        "throttle-clock-at-start",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "throttle clock read once at start",
        _throttle_clock_at_start,
    ),
    _m(
        "failures-wiped-at-start",
        "CA-ENR-20",
        "test_ca_restart.py",
        "a start wipes persisted failure counts",
        _failures_wiped_at_start,
    ),
    # (b)
    _m(
        "body-limit-64000",
        "CA-ENR-9",
        "test_ca.py",
        "64 KB read as 64 000 bytes",
        _body_limit_64000,
    ),
    _m(
        "retry-after-float",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "Retry-After is a float",
        _retry_after_float,
    ),
    _m(
        "curve-by-size", "CA-ENR-13", "test_ca_csr.py", "any 256-bit curve accepted", _curve_by_size
    ),
    _m("csr-sha224", "CA-ENR-13", "test_ca_csr.py", "SHA-224 signed CSRs accepted", _csr_sha224),
    _m(
        "throttle-after-plus-one",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "429 after N+1 failures",
        _throttle_after_plus_one,
    ),
    _m(
        "lock-after-plus-one",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "hard lock after L+1 failures",
        _lock_after_plus_one,
    ),
    # (c)
    _m(
        "cert-local-time",
        "CA-ENR-10",
        "test_ca_csr.py",
        "local time (UTC+1) labelled UTC in certificates",
        _cert_local_time,
    ),
    _m(
        "crl-local-time",
        "CA-ENR-8",
        "test_ca.py",
        "local time (UTC+1) labelled UTC in the CRL",
        _crl_local_time,
    ),
    _m(
        "persist-monotonic",
        "CA-ENR-20",
        "test_ca_restart.py",
        "backoff ends persisted as monotonic time",
        _persist_monotonic,
    ),
    _m(
        "crl-next-from-now",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate from now, thisUpdate backdated",
        _crl_next_from_now,
    ),
    _m(
        "validity-not-passed",
        "CA-ENR-10",
        "test_ca_csr.py",
        "configured validity not passed: 30 d",
        _validity_not_passed,
    ),
    # (d)
    _m(
        "addr-pending-leak",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "success leaves the address pending",
        _addr_pending_leak,
    ),
    _m(
        "bad-csr-guess-dropped",
        "CA-ENR-21",
        "test_ca_throttle.py",
        "wrong password + bad CSR: 400, uncounted",
        _bad_csr_guess_dropped,
    ),
    _m(
        "rsa-pop-swallowed",
        "CA-ENR-3",
        "test_ca_csr.py",
        "RSA CSR signature never verified",
        _rsa_pop_swallowed,
    ),
    _m(
        "routes-by-method", "CA-ENR-9", "test_ca.py", "wrong method answered 404", _routes_by_method
    ),
    _m(
        "no-dummy-hash",
        "CA-ENR-6",
        "test_timing.py",
        "unknown alias answered without hashing",
        _no_dummy_hash,
    ),
    # (e)
    _m(
        "count-after-hash",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "no reservation before the hash",
        _count_after_hash,
    ),
    _m(
        "revoked-before-password",
        "CA-ENR-11",
        "test_ca.py",
        "revoked alias answered 403 first",
        _revoked_before_password,
    ),
    _m(
        "query-stripped",
        "CA-ENR-15",
        "test_ca.py",
        "query string cut off and ignored",
        _query_stripped,
    ),
    _m(
        "alias-normalised-after-keys",
        "CA-ENR-6",
        "test_ca.py",
        "ALICE enrolled as alice",
        _alias_normalised_after_keys,
    ),
    _m(
        "host-dot-kept",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "localhost. is not localhost",
        _host_dot_kept,
    ),
    # profile / adapter
    _m(
        "rsa-key-encipherment",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "keyEncipherment for RSA keys",
        _rsa_key_encipherment,
    ),
    _m(
        "aki-from-leaf",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "AKI of the leaf's own key",
        _aki_from_leaf,
    ),
    _m(
        "csr-san-copied", "CA-ENR-4", "test_ca_csr.py", "CSR subjectAltName copied", _csr_san_copied
    ),
    _m("tls12-allowed", "CA-ENR-1", "test_ca.py", "CA accepts TLS 1.2", _tls12_allowed),
    _m(
        "tls-unpinned", "PKI-TLS-9", "test_pki_hardening.py", "CA context not pinned", _tls_unpinned
    ),
    # phase 3
    _m(
        "locks-not-reloaded",
        "CA-ENR-19",
        "test_ca_restart.py",
        "hard locks on disk, not reloaded at start",
        _locks_not_reloaded,
    ),
    _m(
        "address-hard-locked",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "addresses are hard-locked too",
        _address_hard_locked,
    ),
    _m(
        "pop-cached-by-key",
        "CA-ENR-3",
        "test_ca_csr.py",
        "proof of possession remembered per key",
        _pop_cached_by_key,
    ),
    _m(
        "throttled-attempt-counted",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "a 429 counts as a failure",
        _throttled_attempt_counted,
    ),
    _m(
        "busy-as-throttled",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "pending cap answered 429",
        _busy_as_throttled,
    ),
)
