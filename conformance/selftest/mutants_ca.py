"""Mutants of the organisation CA (CA-ENR-*, PKI-CERT-1 as issued).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement. `cryptography` and `reference` are imported only inside the planting
functions: this module is also imported by the tester, which must not load them.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked

__all__ = ["MUTANTS"]

_CSR = threading.local()  # the CSR being issued from, for mutants that read it


def _remember_csr() -> None:
    """Wraps CertificateAuthority.enroll so the patched builders can see the CSR."""
    ca = _module("reference.pki.ca")
    x509 = _module("cryptography.x509")
    original = ca.CertificateAuthority.enroll

    def enroll(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        try:
            _CSR.value = x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            _CSR.value = None
        try:
            return original(self, alias, csr_pem, **kwargs)
        finally:
            _CSR.value = None

    ca.CertificateAuthority.enroll = enroll


def _csr_extension(oid_name: str) -> Any:
    x509 = _module("cryptography.x509")
    csr = getattr(_CSR, "value", None)
    if csr is None:
        return None
    try:
        return csr.extensions.get_extension_for_oid(getattr(x509.oid.ExtensionOID, oid_name))
    except (x509.ExtensionNotFound, ValueError):
        return None


def _patch_builder(after: Callable[[Any, Any], Any]) -> None:
    """`after(builder, csr)` may add to the builder the reference's _leaf_builder made."""
    _remember_csr()
    ca = _module("reference.pki.ca")
    original = ca._leaf_builder

    def leaf_builder(*args: Any, **kwargs: Any) -> Any:
        builder = original(*args, **kwargs)
        csr = getattr(_CSR, "value", None)
        return after(builder, csr) if csr is not None else builder

    ca._leaf_builder = leaf_builder


def _rebuild(builder: Any, **changes: Any) -> Any:
    """The same builder with some extensions replaced (cryptography's builders are
    append-only, so the list is rewritten)."""
    x509 = _module("cryptography.x509")
    extensions = list(builder._extensions)
    for ext_type, (value, critical) in changes.items():
        oid = getattr(x509.oid.ExtensionOID, ext_type)
        extensions = [e for e in extensions if e.oid != oid]
        extensions.append(x509.Extension(oid, critical, value))
    new = builder
    new._extensions = extensions
    return new


def _ca_copies_csr_extensions() -> None:
    def after(builder: Any, csr: Any) -> Any:
        for ext in csr.extensions:  # "keep what the requester asked for, ours win"
            try:
                builder = builder.add_extension(ext.value, ext.critical)
            except ValueError:
                pass  # already set by the profile
        return builder

    _patch_builder(after)


def _ca_honours_csr_basic_constraints() -> None:
    def after(builder: Any, csr: Any) -> Any:
        ext = _csr_extension("BASIC_CONSTRAINTS")
        return _rebuild(builder, BASIC_CONSTRAINTS=(ext.value, True)) if ext else builder

    _patch_builder(after)


def _ca_merges_csr_eku() -> None:
    x509 = _module("cryptography.x509")

    def after(builder: Any, csr: Any) -> Any:
        ext = _csr_extension("EXTENDED_KEY_USAGE")
        if ext is None:
            return builder
        eku = x509.oid.ExtendedKeyUsageOID
        usages = [eku.CLIENT_AUTH, eku.SERVER_AUTH]
        usages += [u for u in ext.value if u not in usages]
        return _rebuild(builder, EXTENDED_KEY_USAGE=(x509.ExtendedKeyUsage(usages), False))

    _patch_builder(after)


def _ca_merges_csr_key_usage() -> None:
    x509 = _module("cryptography.x509")

    def after(builder: Any, csr: Any) -> Any:
        ext = _csr_extension("KEY_USAGE")
        if ext is None:
            return builder
        asked = ext.value
        names = (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
        flags = {n: bool(getattr(asked, n)) for n in names}
        usage = x509.KeyUsage(
            digital_signature=True, encipher_only=False, decipher_only=False, **flags
        )
        return _rebuild(builder, KEY_USAGE=(usage, True))

    _patch_builder(after)


def _ca_copies_csr_subject() -> None:
    def after(builder: Any, csr: Any) -> Any:
        builder._subject_name = csr.subject  # "the requester knows its name best"
        return builder

    _patch_builder(after)


def _ca_keeps_csr_subject_when_cn_matches() -> None:
    x509 = _module("cryptography.x509")

    def after(builder: Any, csr: Any) -> Any:
        ours = builder._subject_name.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        theirs = csr.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        if theirs and ours and theirs[0].value == ours[0].value:
            builder._subject_name = csr.subject  # "it is the right CN, keep the rest"
        return builder

    _patch_builder(after)


def _enroll_variant(
    *,
    signature_check: str = "verify",
    key_check: Callable[[Any], Any] | None = None,
    hash_check: bool = True,
    validity: Callable[[Any], Any] | None = None,
) -> None:
    """CertificateAuthority.enroll rewritten with one check changed."""
    ca = _module("reference.pki.ca")
    x509 = _module("cryptography.x509")
    exceptions = _module("cryptography.exceptions")
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def enroll(self: Any, alias: str, csr_pem: bytes, *, now: Any = None, **kwargs: Any) -> Any:
        period = kwargs.get("validity", ca.DEFAULT_VALIDITY)
        if validity is not None:
            period = validity(period)
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
            if signature_check == "verify":
                valid = csr.is_signature_valid
            elif signature_check == "manual":
                valid = _verify_by_hand(csr)
            elif signature_check == "format":
                valid = len(csr.signature) > 0  # "a signature is there"
            else:
                valid = True
            digest = csr.signature_hash_algorithm
            public_key = (key_check or ca._check_public_key)(csr.public_key())
        except (
            ValueError,
            TypeError,
            exceptions.InvalidSignature,
            exceptions.UnsupportedAlgorithm,
            ca.CaError,
        ):
            raise ca.CaError("bad_csr") from None
        if not valid or (hash_check and not isinstance(digest, ca._CSR_DIGESTS)):
            raise ca.CaError("bad_csr")
        cert = ca.issue_employee(
            self.root_key, self.root, alias, public_key, validity=period, now=now
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO certificates (serial, alias, not_after, pem) VALUES (?, ?, ?, ?)",
                (
                    str(cert.serial_number),
                    alias,
                    cert.not_valid_after_utc.isoformat(),
                    cert.public_bytes(serialization.Encoding.PEM),
                ),
            )
            self._db.commit()
        return cert

    ca.CertificateAuthority.enroll = enroll


def _verify_by_hand(csr: Any) -> bool:
    """A hand-written proof-of-possession check that trusts the hash the CSR names."""
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    padding = _module("cryptography.hazmat.primitives.asymmetric.padding")
    exceptions = _module("cryptography.exceptions")
    key = csr.public_key()
    digest = csr.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(digest))
        else:
            key.verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), digest)
    except exceptions.InvalidSignature:
        return False
    return True


def _key_check(
    *,
    rsa_min: int = 2048,
    curves: tuple[str, ...] = ("secp256r1",),
    rsa_refuse_at: int | None = None,
) -> Callable[[Any], Any]:
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")
    ca = _module("reference.pki.ca")

    def check(public_key: Any) -> Any:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if curves and public_key.curve.name not in curves:
                raise ca.CaError("unsupported curve")
            return public_key
        if isinstance(public_key, rsa.RSAPublicKey):
            if public_key.key_size < rsa_min or public_key.key_size == rsa_refuse_at:
                raise ca.CaError("RSA key too small")
            return public_key
        raise ca.CaError("unsupported key type")

    return check


def _ca_no_pop_check() -> None:
    _enroll_variant(signature_check="none")


def _ca_pop_format_only() -> None:
    _enroll_variant(signature_check="format")


def _ca_accepts_rsa_1024() -> None:
    _enroll_variant(key_check=_key_check(rsa_min=1024))


def _ca_accepts_any_curve() -> None:
    _enroll_variant(key_check=_key_check(curves=()))


def _ca_accepts_p384() -> None:
    _enroll_variant(key_check=_key_check(curves=("secp256r1", "secp384r1")))


def _ca_refuses_rsa_2048() -> None:  # "<= 2048" where "< 2048" was meant
    _enroll_variant(key_check=_key_check(rsa_refuse_at=2048))


def _ca_accepts_sha1_csr() -> None:
    _enroll_variant(signature_check="manual", hash_check=False)


def _ca_validity_ignores_config() -> None:
    ca = _module("reference.pki.ca")
    _enroll_variant(validity=lambda period: ca.DEFAULT_VALIDITY)


def _ca_validity_one_day_more() -> None:
    dt = _module("datetime")
    _enroll_variant(validity=lambda period: period + dt.timedelta(days=1))  # "inclusive"


def _ca_serial_sequential() -> None:
    ca = _module("reference.pki.ca")
    counter = itertools.count(int(time.time()) % 100_000 * 1000)
    ca._serial = lambda: next(counter) + 1


def _ca_serial_clock() -> None:
    ca = _module("reference.pki.ca")
    ca._serial = time.time_ns  # "unique enough": 61 bits, but a clock


def _ca_serial_from_key() -> None:
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def after(builder: Any, csr: Any) -> Any:
        spki = csr.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # "Derive the serial from the key, like the key identifier": repeats on re-enrolment.
        builder._serial_number = int.from_bytes(hashlib.sha256(spki).digest()[:16], "big") >> 1
        return builder

    _patch_builder(after)


# --- throttling (CA-ENR-7, CA-ENR-14) ---------------------------------------------------------

_PENDING = threading.local()  # the keys of the login being verified (count-after mutants)


def _ca_throttle_counts_after_verify(*, reserve: tuple[int, ...] = ()) -> None:
    """The order the reference had: check, hash, then count the failure. `reserve`
    lists the key positions (0 alias, 1 address) still counted before the hash."""
    server = _module("reference.pki.ca_server")
    ca = _module("reference.pki.ca")
    original_admit = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        early = tuple(k for i, k in enumerate(keys) if i in reserve)
        late = tuple(k for i, k in enumerate(keys) if i not in reserve)
        wait = self.retry_after(*keys)
        if wait:
            return int(wait)
        if early:
            original_admit(self, *early)
        _PENDING.value = (self, late, early)
        return 0

    def success(self: Any, key: str, *refunded: str) -> None:
        _, _, early = getattr(_PENDING, "value", (None, (), ()))
        with self._lock:
            self._keys.pop(key, None)
        for other in refunded:
            if other in early:
                entry = self._keys.get(other)
                if entry is not None:
                    entry.count -= 1

    original_auth = ca.CertificateAuthority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        ok: bool = original_auth(self, alias, password)
        pending = getattr(_PENDING, "value", None)
        if not ok and pending is not None and pending[1]:
            pending[0].failure(*pending[1])
        return ok

    server.LoginThrottle.admit = admit
    server.LoginThrottle.success = success
    ca.CertificateAuthority.authenticate = authenticate


def _ca_throttle_reserves_alias_only() -> None:
    _ca_throttle_counts_after_verify(reserve=(0,))


def _throttle_keys(pick: Callable[[tuple[str, ...]], tuple[str, ...]]) -> None:
    server = _module("reference.pki.ca_server")
    admit, success = server.LoginThrottle.admit, server.LoginThrottle.success
    server.LoginThrottle.admit = lambda self, *keys: admit(self, *pick(keys))
    server.LoginThrottle.success = lambda self, key, *refunded: success(
        self, key, *pick((key, *refunded))[1:] if len(pick((key, *refunded))) > 1 else ()
    )


def _ca_throttle_per_alias_only() -> None:
    _throttle_keys(lambda keys: keys[:1])


def _ca_throttle_per_address_only() -> None:
    server = _module("reference.pki.ca_server")
    admit, success = server.LoginThrottle.admit, server.LoginThrottle.success
    server.LoginThrottle.admit = lambda self, *keys: admit(self, *keys[1:])
    server.LoginThrottle.success = lambda self, key, *refunded: success(self, "-", *refunded)


def _ca_throttle_known_aliases_only() -> None:
    """Failures are counted in the users table: unknown aliases are never counted."""
    server = _module("reference.pki.ca_server")
    admit = server.LoginThrottle.admit
    init = server.CaServer.__init__
    known: dict[str, Any] = {}

    def ca_init(self: Any, ca: Any, *args: Any, **kwargs: Any) -> None:
        known["ca"] = ca
        init(self, ca, *args, **kwargs)

    def admitted(self: Any, *keys: str) -> int:
        alias = keys[0].removeprefix("alias:")
        store = known["ca"]
        with store._lock:
            row = store._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
        result: int = admit(self, *(keys if row is not None else keys[1:]))
        return result

    server.CaServer.__init__ = ca_init
    server.LoginThrottle.admit = admitted


def _ca_throttle_constant_backoff() -> None:
    server = _module("reference.pki.ca_server")

    def count(self: Any, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            entry = self._keys.pop(key, None) or server._Failures()
            entry.count += 1
            if entry.count >= self.after:
                entry.blocked_until = now + self.base  # "a second is enough"
            self._keys[key] = entry

    server.LoginThrottle._count = count


def _ca_throttle_success_clears_address() -> None:
    server = _module("reference.pki.ca_server")

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:  # "a good login: forget everything about this client"
            for k in (key, *refunded):
                self._keys.pop(k, None)

    server.LoginThrottle.success = success


# --- the HTTP surface (CA-ENR-1, CA-ENR-9, CA-ENR-15) ------------------------------------------


def _patch_dispatch(wrap: Callable[[Callable[[Any], None]], Callable[[Any], None]]) -> None:
    server = _module("reference.pki.ca_server")
    handler = server._Handler
    wrapped = wrap(handler._dispatch)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, wrapped)


class _PrefixRoutes(dict[str, str]):
    def get(self, path: str, default: Any = None) -> Any:
        for route, method in self.items():
            if path.startswith(route):  # "/v1/enroll/..." is enrolment too
                return method
        return default


class _CaselessRoutes(dict[str, str]):
    def get(self, path: str, default: Any = None) -> Any:
        return super().get(path.lower(), default)


def _ca_route_prefix_match() -> None:
    server = _module("reference.pki.ca_server")
    server._Handler._ROUTES = _PrefixRoutes(server._Handler._ROUTES)


def _ca_route_case_insensitive() -> None:
    server = _module("reference.pki.ca_server")
    server._Handler._ROUTES = _CaselessRoutes(server._Handler._ROUTES)


def _ca_body_limit_off_by_one() -> None:
    server = _module("reference.pki.ca_server")
    server.MAX_BODY = 64 * 1024 - 1  # "> MAX_BODY - 1", i.e. ">=": 65536 is refused


def _ca_body_read_to_eof() -> None:
    server = _module("reference.pki.ca_server")
    json = _module("json")
    original = server._Handler._read_json

    def read_json(self: Any) -> Any:
        if self.headers.get("Content-Length") is None:
            return json.loads(self.rfile.read())  # "no length: read it all"
        return original(self)

    server._Handler._read_json = read_json


def _ca_query_ignored() -> None:
    def wrap(dispatch: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(self: Any) -> None:
            self.path = self.path.split("?", 1)[0]  # "the query is not ours to judge"
            dispatch(self)

        return run

    _patch_dispatch(wrap)


def _ca_credentials_from_query() -> None:
    server = _module("reference.pki.ca_server")
    parse = _module("urllib.parse")
    original = server._Handler._read_json

    def wrap(dispatch: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(self: Any) -> None:
            self.path, _, self._query = self.path.partition("?")
            dispatch(self)

        return run

    def read_json(self: Any) -> Any:
        body = original(self)
        query = dict(parse.parse_qsl(getattr(self, "_query", "")))  # "for curl users"
        body.update({k: v for k, v in query.items() if k in ("alias", "password", "csr")})
        return body

    server._Handler._read_json = read_json
    _patch_dispatch(wrap)


def _ca_serves_plain_http() -> None:
    server = _module("reference.pki.ca_server")
    socket = _module("socket")
    original = server.CaServer.finish_request

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        request.settimeout(self.config.handshake_timeout)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first and first != b"\x16":  # "not TLS: serve it anyway, for old scripts"
            server._Handler(request, client_address, self)
            return
        original(self, request, client_address)

    server.CaServer.finish_request = finish_request


def _ca_tls12_allowed() -> None:
    server = _module("reference.pki.ca_server")
    ssl = _module("ssl")
    original = server.https_server_context

    def context(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "compatibility"
        return ctx

    server.https_server_context = context


# --- CRL and revocation (CA-ENR-8, CA-ENR-11) -------------------------------------------------


def _ca_crl_next_update_past() -> None:
    ca = _module("reference.pki.ca")
    original = ca.make_crl

    def make_crl(*args: Any, **kwargs: Any) -> Any:
        kwargs["validity"] = -ca.CRL_VALIDITY  # a sign error: nextUpdate a week ago
        return original(*args, **kwargs)

    ca.make_crl = make_crl


def _ca_crl_signed_by_tls_key() -> None:
    ca = _module("reference.pki.ca")
    original = ca.make_crl

    def crl(self: Any, *, now: Any = None) -> Any:
        tls_key = ca.load_private_key(self.directory / self.TLS_KEY)  # "the server's key"
        saved = ca.make_crl
        ca.make_crl = lambda root_key, *a, **k: original(tls_key, *a, **k)
        try:
            return crl_original(self, now=now)
        finally:
            ca.make_crl = saved

    crl_original = ca.CertificateAuthority.crl
    ca.CertificateAuthority.crl = crl


def _ca_crl_newest_only() -> None:
    """The CRL lists each revoked alias's current (newest) certificate only."""
    ca = _module("reference.pki.ca")
    dt = _module("datetime")

    def crl(self: Any, *, now: Any = None) -> Any:
        now = now or dt.datetime.now(dt.UTC)
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, revoked_at, MAX(not_after) FROM certificates"
                " WHERE revoked_at IS NOT NULL GROUP BY alias"
            ).fetchall()
        revoked = [(int(serial), dt.datetime.fromisoformat(when)) for serial, when, _ in rows]
        return ca.make_crl(self.root_key, self.root, revoked, now=now)

    ca.CertificateAuthority.crl = crl


def _ca_crl_cached_at_start() -> None:
    ca = _module("reference.pki.ca")
    original = ca.CertificateAuthority.crl
    cache: dict[str, Any] = {}

    def crl(self: Any, *, now: Any = None) -> Any:
        if "crl" not in cache:  # "signing per request is slow: sign once"
            cache["crl"] = original(self, now=now)
        return cache["crl"]

    ca.CertificateAuthority.crl = crl


def _ca_revoked_alias_can_enrol() -> None:
    ca = _module("reference.pki.ca")

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        record = row[0] if row is not None else ca._dummy_record()
        return bool(ca._verify_password_record(record, password)) and row is not None

    ca.CertificateAuthority.authenticate = authenticate


def _mutants() -> tuple[Mutant, ...]:
    def csr_mutant(
        name: str,
        requirement: str,
        description: str,
        apply: Callable[[], None],
        default: bool = False,
    ) -> Mutant:
        return Mutant(
            name,
            "ca",
            "pki",
            requirement,
            "test_ca_csr.py",
            description,
            apply,
            default=default,
            ca=True,
        )

    return (
        csr_mutant(
            "ca-copies-csr-extensions",
            "CA-ENR-4",
            "extensions the CSR asks for (SAN, private ones) are added to the profile's",
            _ca_copies_csr_extensions,
            default=True,
        ),
        csr_mutant(
            "ca-honours-csr-basic-constraints",
            "CA-ENR-4",
            "a CSR asking for CA:TRUE gets it",
            _ca_honours_csr_basic_constraints,
        ),
        csr_mutant(
            "ca-merges-csr-eku",
            "CA-ENR-4",
            "the CSR's EKUs are added to clientAuth and serverAuth",
            _ca_merges_csr_eku,
        ),
        csr_mutant(
            "ca-merges-csr-key-usage",
            "CA-ENR-4",
            "the CSR's KeyUsage bits (keyCertSign...) are kept",
            _ca_merges_csr_key_usage,
        ),
        csr_mutant(
            "ca-copies-csr-subject",
            "CA-ENR-4",
            "the subject is the CSR's, not the alias",
            _ca_copies_csr_subject,
        ),
        csr_mutant(
            "ca-keeps-csr-subject-when-cn-matches",
            "CA-ENR-4",
            "the CSR's subject is kept when its first CN is the alias (O, OU, 2nd CN)",
            _ca_keeps_csr_subject_when_cn_matches,
        ),
        csr_mutant(
            "ca-no-pop-check", "CA-ENR-3", "the CSR's signature is never verified", _ca_no_pop_check
        ),
        csr_mutant(
            "ca-pop-format-only",
            "CA-ENR-3",
            "the CSR only has to carry a non-empty signature",
            _ca_pop_format_only,
        ),
        csr_mutant(
            "ca-accepts-rsa-1024",
            "CA-ENR-13",
            "RSA keys of 1024 bits are accepted",
            _ca_accepts_rsa_1024,
        ),
        csr_mutant(
            "ca-accepts-any-curve",
            "CA-ENR-13",
            "any elliptic curve is accepted (P-192...)",
            _ca_accepts_any_curve,
        ),
        csr_mutant(
            "ca-accepts-p384",
            "CA-ENR-13",
            "P-384 keys are accepted (PKI-CERT-1 names P-256)",
            _ca_accepts_p384,
        ),
        csr_mutant(
            "ca-refuses-rsa-2048",
            "CA-ENR-2",
            "RSA 2048, the smallest allowed key, is refused (<= for <)",
            _ca_refuses_rsa_2048,
        ),
        csr_mutant(
            "ca-accepts-sha1-csr",
            "CA-ENR-13",
            "CSRs signed with SHA-1 or MD5 are accepted",
            _ca_accepts_sha1_csr,
        ),
        csr_mutant(
            "ca-validity-ignores-config",
            "CA-ENR-10",
            "certificates get the default 30 days whatever the CA is configured with",
            _ca_validity_ignores_config,
        ),
        csr_mutant(
            "ca-validity-one-day-more",
            "CA-ENR-10",
            "certificates get the configured period plus one day",
            _ca_validity_one_day_more,
        ),
        csr_mutant(
            "ca-serial-sequential",
            "CA-ENR-10",
            "serials come from a counter",
            _ca_serial_sequential,
        ),
        csr_mutant(
            "ca-serial-clock", "CA-ENR-10", "serials are the clock in nanoseconds", _ca_serial_clock
        ),
        csr_mutant(
            "ca-serial-from-key",
            "CA-ENR-10",
            "the serial is a hash of the public key (repeats for one key)",
            _ca_serial_from_key,
        ),
        *tuple(
            Mutant(name, "ca", "pki", requirement, test_file, description, apply, ca=True)
            for name, requirement, test_file, description, apply in (
                (
                    "ca-throttle-counts-after-verify",
                    "CA-ENR-14",
                    "test_ca_throttle.py",
                    "a failure is counted after the password hash (concurrent guesses all pass)",
                    _ca_throttle_counts_after_verify,
                ),
                (
                    "ca-throttle-reserves-alias-only",
                    "CA-ENR-14",
                    "test_ca_throttle.py",
                    "the alias is counted before the hash, the address only after",
                    _ca_throttle_reserves_alias_only,
                ),
                (
                    "ca-throttle-per-alias-only",
                    "CA-ENR-7",
                    "test_ca_throttle.py",
                    "failures are counted per alias only",
                    _ca_throttle_per_alias_only,
                ),
                (
                    "ca-throttle-per-address-only",
                    "CA-ENR-7",
                    "test_ca_throttle.py",
                    "failures are counted per address only",
                    _ca_throttle_per_address_only,
                ),
                (
                    "ca-throttle-known-aliases-only",
                    "CA-ENR-7",
                    "test_ca_throttle.py",
                    "failures are counted for existing aliases only",
                    _ca_throttle_known_aliases_only,
                ),
                (
                    "ca-throttle-constant-backoff",
                    "CA-ENR-7",
                    "test_ca_throttle.py",
                    "the backoff never grows",
                    _ca_throttle_constant_backoff,
                ),
                (
                    "ca-throttle-success-clears-address",
                    "CA-ENR-7",
                    "test_ca_throttle.py",
                    "a right password clears the address's failures too",
                    _ca_throttle_success_clears_address,
                ),
                (
                    "ca-route-prefix-match",
                    "CA-ENR-9",
                    "test_ca.py",
                    "routes match by prefix (/v1/rootx is the root)",
                    _ca_route_prefix_match,
                ),
                (
                    "ca-route-case-insensitive",
                    "CA-ENR-9",
                    "test_ca.py",
                    "routes match whatever the case",
                    _ca_route_case_insensitive,
                ),
                (
                    "ca-body-limit-off-by-one",
                    "CA-ENR-9",
                    "test_ca.py",
                    "a body of exactly 64 KiB is refused 413",
                    _ca_body_limit_off_by_one,
                ),
                (
                    "ca-body-read-to-eof",
                    "CA-ENR-9",
                    "test_ca.py",
                    "a body without Content-Length is read until the client closes",
                    _ca_body_read_to_eof,
                ),
                (
                    "ca-query-ignored",
                    "CA-ENR-15",
                    "test_ca.py",
                    "a query string is ignored (and logged)",
                    _ca_query_ignored,
                ),
                (
                    "ca-credentials-from-query",
                    "CA-ENR-15",
                    "test_ca.py",
                    "alias and password may come in the query string",
                    _ca_credentials_from_query,
                ),
                (
                    "ca-serves-plain-http",
                    "CA-ENR-1",
                    "test_ca.py",
                    "a request in clear is answered in clear",
                    _ca_serves_plain_http,
                ),
                (
                    "ca-tls12-allowed",
                    "CA-ENR-1",
                    "test_ca.py",
                    "the CA also negotiates TLS 1.2",
                    _ca_tls12_allowed,
                ),
                (
                    "ca-crl-next-update-past",
                    "CA-ENR-8",
                    "test_ca.py",
                    "the CRL's nextUpdate is a week in the past (a sign error)",
                    _ca_crl_next_update_past,
                ),
                (
                    "ca-crl-signed-by-tls-key",
                    "CA-ENR-8",
                    "test_ca.py",
                    "the CRL is signed with the CA's TLS key, not the root's",
                    _ca_crl_signed_by_tls_key,
                ),
                (
                    "ca-crl-newest-only",
                    "CA-ENR-11",
                    "test_ca.py",
                    "the CRL lists only the newest certificate of a revoked alias",
                    _ca_crl_newest_only,
                ),
                (
                    "ca-crl-cached-at-start",
                    "CA-ENR-11",
                    "test_ca.py",
                    "the CRL is signed once and served forever",
                    _ca_crl_cached_at_start,
                ),
                (
                    "ca-revoked-alias-can-enrol",
                    "CA-ENR-11",
                    "test_ca.py",
                    "a revoked alias still enrols with its password",
                    revocation_not_rechecked(_ca_revoked_alias_can_enrol),
                ),
            )
        ),
    )


MUTANTS: tuple[Mutant, ...] = _mutants()
