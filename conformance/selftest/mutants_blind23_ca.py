"""Blind red-team round 23 (helper B146): the CA (HTTPS enrolment API, logins, CSR
checks, issuance, CRL), through the six lenses of /work/briefs/s23/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module or independent implementation was opened, then checked against the names and
descriptions of the 842 registered CA mutants. Replaced as repeats (r): a cap on the
password's length (b19ca-password-cap-4096), unpaired surrogate escapes
(b18ca-password-escapes-unpaired), the CSR parked on the server object (b14ca-csr-on-server),
the validity config on the EC path only (b18ca-validity-config-ec-only), ecdsa-with-SHA1
accepted (b18b-ca-csr-digest-rsa-only); and one dropped as unobservable against the suite's
CA (verify without reservation at the pending cap: its N = 3 makes the pending rule, not
the cap, refuse first). All run in the CA's server process (`ca=True`); the admin commands
(`user add`, `revoke`, `user unlock`) run unmutated in their own processes.

Lens 1 — the seeds' flaws in disguise (no proof of possession):
- b23ca-pop-current-key: re-key renewal: a CSR whose signature does not verify with its
  own key is accepted when it verifies with the key of the alias's current certificate:
  a new key is certified without proof of its possession (CA-ENR-3).
Lens 2 — only the common case of a MUST:
- b23ca-pop-first-enrolment-only: proof of possession is checked on an alias's first
  enrolment; an alias that already holds a certificate "renews" without it (CA-ENR-3).
- b23ca-absolute-form-unthrottled: the throttle wraps the origin-form route only; a login
  sent to the absolute-form target (https://HOST:PORT/v1/enroll, RFC 9112 §3.2.2) is
  verified without admission or counting (CA-ENR-7).
Lens 3 — cross-session replay and splicing:
- b23ca-duplicate-alias-split: a body with the alias member twice is authenticated with the
  first (a validating layer's first-wins read) and certified with the last (json.loads'
  last-wins): one account's password buys a certificate naming another alias (CA-ENR-4).
- b23ca-resumed-session-login: the CA issues TLS session tickets and takes a resumed
  session from the address an alias logged in from as that alias's: its password is not
  verified again, a wrong one included (CA-ENR-6).
Lens 4 — silent degradation:
- b23ca-expect-continue-unthrottled: a login sent with `Expect: 100-continue` takes the
  interim-answer path, which skips the throttle's admission and counting (CA-ENR-7).
Lens 5 — the SPEC's numbers:
- b23ca-rsa-exponent-int32: RSA public exponents above 2^31 - 1 are refused bad_csr (Go's
  crypto/rsa limit), though the SPEC accepts odd exponents up to 2^256 - 1 (CA-ENR-13).
- b23ca-backdate-hour-plus-skew: notBefore is backdated one hour "plus the usual five
  minutes": more than the one hour allowed (CA-ENR-10).
- b23ca-alias-key-prefix-32: the throttle's alias key is the alias's first 32 characters
  (a fixed-size key column): two long aliases sharing a prefix share one count, and
  guesses at one throttle the other (CA-ENR-7).
Lens 6 — misplaced trust in the layer below:
- b23ca-crl-cached-on-db-mtime: the CA opens its database in WAL mode and re-signs its CRL
  only when ca.db's mtime changes; commits go to the -wal file, so a revocation by the
  admin command never changes it and the CRL stays the first one signed (CA-ENR-8).
- b23ca-duplicate-alias-split also belongs here: the JSON parser's handling of duplicate
  members (RFC 8259 §4: unpredictable) trusted to agree between two layers.

Blind run (phase 2: each against the case file its name suggested, then every file citing
its requirement): 3 of 10 detected by the named file — backdate-hour-plus-skew
(test_ca_own_clock.py), alias-key-prefix-32 (test_ca_alias_keys_whole_length.py),
crl-cached-on-db-mtime (test_ca_crl_fresh_per_request.py). Caught by another citing
file: pop-first-enrolment-only (test_ca_csr.py, its proof-of-possession family: the
enrolee holds certificates by then), duplicate-alias-split (test_ca_answer_forms.py
::test_a_repeated_alias_member_names_no_other_alias). Missed by every citing file:
pop-current-key, absolute-form-unthrottled, expect-continue-unthrottled,
resumed-session-login, rsa-exponent-int32 (test_ca_rsa_public_exponents.py's slow
2^32 + 15 case would see it; the default run sends 65539 only).

Phase 3, cases for their CLASS (each PASSes the reference three times and ca1, ca3):
  absolute-form-unthrottled, expect-continue-unthrottled
                              test_ca_throttle_request_spellings.py: wrong passwords in one
      spelling of the request (absolute form, HTTPS:// in capitals, Expect: 100-continue,
      Content-Type with parameters, escaped and reordered members) until 429, then an
      ordinary login at once: 429 too (timed: judged only within one base of the last
      failure) — siblings: absolute-form-own-throttle (caught by the ordinary probe)
  pop-current-key             test_ca_possession_own_key.py: a CSR for a new key signed by
      the alias's current key, an earlier one, another account's: 400 bad_csr — sibling:
      pop-any-issued-key
  resumed-session-login       test_ca_login_not_inherited.py: right login, then a wrong
      password on a new connection offering the TLS session, and on one without it: 401
      both — sibling: address-remembers-login
  rsa-exponent-int32          test_ca_rsa_exponent_range.py: one RSA-2048 modulus (the
      run's shared key's primes) with the first prime exponents past 2^31, 2^32, 2^64 and
      the largest below 2^256: 200 for that key — sibling: rsa-exponent-int64
  duplicate-alias-split       (already caught) its CSR twin duplicate-csr-split is new:
      test_ca_duplicate_members.py, csr twice (valid, unproved) in both orders: a 200
      certifies the proved key only
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


def _verifies(pem: bytes, csr: Any) -> bool:
    """True when the CSR's signature verifies with the key of the certificate `pem`."""
    x509 = _module("cryptography.x509")
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    padding = _module("cryptography.hazmat.primitives.asymmetric.padding")
    key = x509.load_pem_x509_certificate(bytes(pem)).public_key()
    digest = csr.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(digest))
        else:
            key.verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), digest)
    except Exception:
        return False
    return True


# --- lens 1 -----------------------------------------------------------------------------


def _pop_current_key() -> None:
    ca = _ca()
    def signed_by_current(authority: Any, alias: str, csr: Any) -> bool:
        # Re-key renewal: the holder of the current certificate signs its new CSR.
        with authority._lock:
            rows = authority._db.execute(
                "SELECT pem FROM certificates WHERE alias = ? AND revoked_at IS NULL",
                (alias,),
            ).fetchall()
        return any(_verifies(pem, csr) for (pem,) in rows)

    ca._b23_signed_by_current = signed_by_current
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
            "    if not valid:\n"
            "        valid = _b23_signed_by_current(self, alias, csr)\n"
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _pop_first_enrolment_only() -> None:
    ca = _ca()

    def renewing(authority: Any, alias: str) -> bool:
        with authority._lock:
            row = authority._db.execute(
                "SELECT 1 FROM certificates WHERE alias = ? AND revoked_at IS NULL LIMIT 1",
                (alias,),
            ).fetchone()
        return row is not None

    ca._b23_renewing = renewing
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
            "    if not valid and _b23_renewing(self, alias):\n"
            "        valid = True  # the account proved a key at its first enrolment\n"
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
        ),
    )


def _absolute_form_unthrottled() -> None:
    _patch_enroll_handler(
        (
            "    wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]\n",
            "    wait = throttle.admit(*keys) if self.path.startswith('/') else 0\n",
        )
    )


# --- lens 3 -----------------------------------------------------------------------------


def _duplicate_alias_split() -> None:
    srv = _srv()
    json = _module("json")

    def first_alias(handler: Any, alias: str) -> str:
        body = getattr(handler, "_b23_body", None)
        if body is None:
            return alias

        def first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in pairs:
                out.setdefault(key, value)
            return out

        try:
            value = json.loads(body.decode("utf-8"), object_pairs_hook=first_wins)
        except ValueError:
            return alias
        found = value.get("alias") if isinstance(value, dict) else None
        return found if isinstance(found, str) else alias

    srv._b23_first_alias = first_alias
    _patch(
        srv._Handler,
        "_read_json",
        (
            "    self.server.waiting(False)  # the whole request is in [LIM-5]\n",
            "    self._b23_body = body\n"
            "    self.server.waiting(False)  # the whole request is in [LIM-5]\n",
        ),
    )
    _patch_enroll_handler(
        (
            "        right = self.server.ca.authenticate(alias, password)\n",
            "        right = self.server.ca.authenticate(\n"
            "            _b23_first_alias(self, alias), password\n"
            "        )\n",
        )
    )


def _resumed_session_login() -> None:
    srv = _srv()
    ssl = _module("ssl")
    init = srv.CaServer.__init__

    def __init__(self: Any, ca: Any, config: Any, inherited: Any = None) -> None:
        init(self, ca, config, inherited)
        # Tickets spare returning clients a full handshake.
        self.tls.options &= ~ssl.OP_NO_TICKET
        self.tls.num_tickets = 2
        self._b23_logged_in = set()

    def resumed_login(handler: Any, alias: str) -> bool:
        try:
            resumed = bool(handler.connection.session_reused)
        except (AttributeError, ValueError, OSError):
            return False
        seen: set[tuple[str, str]] = getattr(handler.server, "_b23_logged_in", set())
        return resumed and (handler.client_address[0], alias) in seen

    def remember(handler: Any, alias: str) -> None:
        seen = getattr(handler.server, "_b23_logged_in", None)
        if seen is not None:
            seen.add((handler.client_address[0], alias))

    srv._b23_resumed_login = resumed_login
    srv._b23_remember = remember
    srv.CaServer.__init__ = __init__
    _patch_enroll_handler(
        (
            "        right = self.server.ca.authenticate(alias, password)\n",
            "        right = _b23_resumed_login(self, alias) or "
            "self.server.ca.authenticate(alias, password)\n",
        ),
        (
            "    throttle.success(keys[0], keys[1])\n",
            "    throttle.success(keys[0], keys[1])\n    _b23_remember(self, alias)\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _expect_continue_unthrottled() -> None:
    _patch_enroll_handler(
        (
            "    wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]\n",
            "    expects = self.headers.get('Expect', '').strip().lower() == '100-continue'\n"
            "    wait = 0 if expects else throttle.admit(*keys)\n",
        )
    )


# --- lens 5 -----------------------------------------------------------------------------


def _rsa_exponent_int32() -> None:
    _patch(
        _ca(),
        "_check_public_key",
        (
            '            raise CaError("RSA keys must have at least 2048 bits")\n',
            '            raise CaError("RSA keys must have at least 2048 bits")\n'
            "        if public_key.public_numbers().e > 2**31 - 1:\n"
            '            raise CaError("public exponent too large")\n',
        ),
    )


def _backdate_hour_plus_skew() -> None:
    _patch(
        _ca(),
        "issue_employee",
        ("        now - _BACKDATE,\n", "        now - dt.timedelta(hours=1) - _BACKDATE,\n"),
    )


def _alias_key_prefix_32() -> None:
    _patch_enroll_handler(
        ('    keys = (f"alias:{alias[:64]}"', '    keys = (f"alias:{alias[:32]}"'),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _crl_cached_on_db_mtime() -> None:
    ca = _ca()
    os = _module("os")
    authority = ca.CertificateAuthority
    init = authority.__init__
    crl = authority.crl

    def __init__(self: Any, directory: Any) -> None:
        init(self, directory)
        # WAL: readers never wait for the admin command's writes.
        self._db.execute("PRAGMA journal_mode=WAL")

    def cached_crl(self: Any, *, now: Any = None) -> Any:
        if now is not None:
            return crl(self, now=now)
        stamp = os.stat(self.directory / self.DB).st_mtime_ns
        kept = self.__dict__.get("_b23_crl")
        if kept is not None and kept[0] == stamp:
            return kept[1]  # the store has not changed since
        value = crl(self)
        self._b23_crl = (stamp, value)
        return value

    authority.__init__ = __init__
    authority.crl = cached_crl


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _pop_any_issued_key() -> None:
    ca = _ca()
    def signed_by_employee(authority: Any, alias: str, csr: Any) -> bool:
        # "Signed by a key we certified: one of ours" (any employee's, any alias).
        with authority._lock:
            rows = authority._db.execute(
                "SELECT pem FROM certificates WHERE revoked_at IS NULL"
            ).fetchall()
        return any(_verifies(pem, csr) for (pem,) in rows)

    ca._b23_signed_by_employee = signed_by_employee
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
            "    if not valid:\n"
            "        valid = _b23_signed_by_employee(self, alias, csr)\n"
            "    if not valid or not isinstance(digest, _CSR_DIGESTS):\n",
        ),
    )


def _duplicate_csr_split() -> None:
    ca = _ca()
    srv = _srv()
    json = _module("json")
    threading = _module("threading")
    x509 = _module("cryptography.x509")
    local = threading.local()

    def split_csr(handler: Any, csr: str) -> str:
        """The first csr member goes to the checks, the last one (json.loads') is kept
        for the key."""
        local.certify = csr.encode("utf-8")
        body = getattr(handler, "_b23_body", None)
        if body is None:
            return csr
        firsts: dict[str, Any] = {}

        def first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in pairs:
                out.setdefault(key, value)
            return out

        try:
            firsts = json.loads(body.decode("utf-8"), object_pairs_hook=first_wins)
        except ValueError:
            return csr
        first = firsts.get("csr") if isinstance(firsts, dict) else None
        return first if isinstance(first, str) else csr

    def certified(csr: Any) -> Any:
        pem = getattr(local, "certify", None)
        local.certify = None
        if pem is None:
            return csr
        try:
            return x509.load_pem_x509_csr(pem)
        except ValueError:
            return csr

    srv._b23_split_csr = split_csr
    ca._b23_certified = certified
    _patch(
        srv._Handler,
        "_read_json",
        (
            "    self.server.waiting(False)  # the whole request is in [LIM-5]\n",
            "    self._b23_body = body\n"
            "    self.server.waiting(False)  # the whole request is in [LIM-5]\n",
        ),
    )
    _patch_enroll_handler(
        (
            '            csr.encode("utf-8"),\n',
            '            _b23_split_csr(self, csr).encode("utf-8"),\n',
        )
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "public_key = _check_public_key(csr.public_key())",
            "public_key = _check_public_key(_b23_certified(csr).public_key())",
        ),
    )


def _absolute_form_own_throttle() -> None:
    srv = _srv()

    def proxy_throttle(server: Any) -> Any:
        # Requests through a proxy (absolute form) get a throttle of their own.
        throttle = server.__dict__.get("_b23_proxy_throttle")
        if throttle is None:
            config = server.config
            throttle = srv.LoginThrottle(
                config.throttle_after,
                config.throttle_base,
                config.throttle_cap,
                lock_after=config.lock_after,
                max_keys=config.throttle_table_size,
            )
            server._b23_proxy_throttle = throttle
        return throttle

    srv._b23_proxy_throttle = proxy_throttle
    _patch_enroll_handler(
        (
            "    throttle = self.server.throttle\n",
            "    throttle = (\n"
            "        self.server.throttle if self.path.startswith('/')"
            " else _b23_proxy_throttle(self.server)\n"
            "    )\n",
        )
    )


def _address_remembers_login() -> None:
    srv = _srv()
    time = _module("time")

    def recent(handler: Any, alias: str) -> bool:
        seen = handler.server.__dict__.get("_b23_recent", {})
        when = seen.get((handler.client_address[0], alias))
        return when is not None and time.monotonic() - when < 60.0

    def remember(handler: Any, alias: str) -> None:
        handler.server.__dict__.setdefault("_b23_recent", {})[
            (handler.client_address[0], alias)
        ] = time.monotonic()

    srv._b23_recent_login = recent
    srv._b23_remember_login = remember
    _patch_enroll_handler(
        (
            "        right = self.server.ca.authenticate(alias, password)\n",
            "        right = _b23_recent_login(self, alias) or "
            "self.server.ca.authenticate(alias, password)\n",
        ),
        (
            "    throttle.success(keys[0], keys[1])\n",
            "    throttle.success(keys[0], keys[1])\n    _b23_remember_login(self, alias)\n",
        ),
    )


def _rsa_exponent_int64() -> None:
    _patch(
        _ca(),
        "_check_public_key",
        (
            '            raise CaError("RSA keys must have at least 2048 bits")\n',
            '            raise CaError("RSA keys must have at least 2048 bits")\n'
            "        if public_key.public_numbers().e >= 2**64:\n"
            '            raise CaError("public exponent does not fit 64 bits")\n',
        ),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b23ca-{name}", "blind23-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "pop-current-key",
        "CA-ENR-3",
        "test_ca_possession_own_key.py",
        "L1: re-key renewal: a CSR whose signature fails with its own key is accepted when it "
        "verifies with the key of the alias's current certificate: a new key certified "
        "without proof of its possession",
        _pop_current_key,
    ),
    # lens 2
    _m(
        "pop-first-enrolment-only",
        "CA-ENR-3",
        "test_ca_csr.py",
        "L2: proof of possession checked on an alias's first enrolment only: an alias "
        "holding an unrevoked certificate is certified a CSR whose signature does not verify",
        _pop_first_enrolment_only,
    ),
    _m(
        "absolute-form-unthrottled",
        "CA-ENR-7",
        "test_ca_throttle_request_spellings.py",
        "L2: the throttle wraps the origin-form route only: a login sent to the absolute-form "
        "target https://HOST:PORT/v1/enroll is verified without admission or counting",
        _absolute_form_unthrottled,
    ),
    # lens 3
    _m(
        "duplicate-alias-split",
        "CA-ENR-4",
        "test_ca_answer_forms.py",
        "L3/L6: a body with the alias member twice is authenticated with the first (first-wins) "
        "and certified with the last (last-wins): one account's password buys a certificate "
        "naming another alias",
        _duplicate_alias_split,
    ),
    _m(
        "resumed-session-login",
        "CA-ENR-6",
        "test_ca_login_not_inherited.py",
        "L3: TLS session tickets issued; a resumed session from the address an alias logged "
        "in from is taken as that alias's: its password is not verified, a wrong one included",
        _resumed_session_login,
    ),
    # lens 4
    _m(
        "expect-continue-unthrottled",
        "CA-ENR-7",
        "test_ca_throttle_request_spellings.py",
        "L4: a login with Expect: 100-continue takes the interim-answer path, which skips the "
        "throttle's admission and counting: unlimited guesses by adding one header",
        _expect_continue_unthrottled,
    ),
    # lens 5
    _m(
        "rsa-exponent-int32",
        "CA-ENR-13",
        "test_ca_rsa_exponent_range.py",
        "L5: RSA public exponents above 2^31 - 1 refused bad_csr (Go's crypto/rsa limit), "
        "though odd exponents up to 2^256 - 1 MUST NOT be refused",
        _rsa_exponent_int32,
    ),
    _m(
        "backdate-hour-plus-skew",
        "CA-ENR-10",
        "test_ca_own_clock.py",
        "L5: notBefore backdated one hour plus the usual five minutes: more than the hour "
        "of clock skew allowed",
        _backdate_hour_plus_skew,
    ),
    _m(
        "alias-key-prefix-32",
        "CA-ENR-7",
        "test_ca_alias_keys_whole_length.py",
        "L5: the throttle's alias key is the alias's first 32 characters: guesses at one long "
        "alias throttle another sharing its prefix (per alias read as per prefix)",
        _alias_key_prefix_32,
    ),
    # lens 6
    _m(
        "crl-cached-on-db-mtime",
        "CA-ENR-8",
        "test_ca_crl_fresh_per_request.py",
        "L6: the database in WAL mode and the CRL re-signed only when ca.db's mtime changes: "
        "commits land in the -wal file, so a revocation never changes it and the first CRL "
        "signed is served for ever",
        _crl_cached_on_db_mtime,
    ),
    # post-blind siblings
    _m(
        "pop-any-issued-key",
        "CA-ENR-3",
        "test_ca_possession_own_key.py",
        "(post-blind) L1: a CSR whose signature fails with its own key is accepted when it "
        "verifies with the key of any unrevoked certificate the CA issued (any employee's)",
        _pop_any_issued_key,
    ),
    _m(
        "duplicate-csr-split",
        "CA-ENR-3",
        "test_ca_duplicate_members.py",
        "(post-blind) L3/L6: with the csr member twice, proof of possession is checked on the "
        "first and the certified key taken from the last: a key nobody proved is certified",
        _duplicate_csr_split,
    ),
    _m(
        "absolute-form-own-throttle",
        "CA-ENR-7",
        "test_ca_throttle_request_spellings.py",
        "(post-blind) L2: absolute-form logins get a throttle of their own: they are throttled "
        "among themselves, but their failures never reach the ordinary route's counts",
        _absolute_form_own_throttle,
    ),
    _m(
        "address-remembers-login",
        "CA-ENR-6",
        "test_ca_login_not_inherited.py",
        "(post-blind) L3: an alias that logged in from an address is not asked its password "
        "again from that address for 60 s: a wrong password on a new connection enrols",
        _address_remembers_login,
    ),
    _m(
        "rsa-exponent-int64",
        "CA-ENR-13",
        "test_ca_rsa_exponent_range.py",
        "(post-blind) L5: RSA public exponents of 2^64 or more refused bad_csr (read into a "
        "64-bit field), though odd exponents up to 2^256 - 1 MUST NOT be refused",
        _rsa_exponent_int64,
    ),
)
