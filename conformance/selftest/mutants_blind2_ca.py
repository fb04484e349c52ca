"""Blind round 2 (brief B4): the CA (docs/SPEC.md §4.4) and the responder's checks of the
initiator's certificate (§4.2, §4.3), written from the SPEC and the reference alone.

Phase-1 list, written before reading the suite (name -> requirement -> the bug):

CA (`ca=True`: the CA server restarted mutated)
- b2ca-csr-pop-rsa-only          CA-ENR-3   the CSR signature is checked for RSA keys only
- b2ca-csr-hash-denylist         CA-ENR-13  SHA-1 is refused by a deny list: SHA-224/MD5 pass
- b2ca-csr-rsa-1024              CA-ENR-13  RSA keys checked against 1024 bits, not 2048
- b2ca-csr-p384                  CA-ENR-13  P-384 accepted beside P-256
- b2ca-csr-extra-pem-block       CA-ENR-13  "at least one" PEM block instead of exactly one
- b2ca-csr-san-copied            CA-ENR-4   the CSR's subjectAltName copied into the certificate
- b2ca-cli-validity-dropped      CA-ENR-10  `ca serve --validity-days` not passed to the config
- b2ca-serial-time               CA-ENR-10  serial = microseconds since the epoch (~51 bits)
- b2ca-validity-inclusive-day    CA-ENR-10  validity_days + 1 ("inclusive")
- b2ca-backdate-one-day          CA-ENR-10  notBefore backdated by a day for clock skew
- b2ca-crl-window-from-now       CA-ENR-16  nextUpdate = now + 7 d while thisUpdate is backdated
- b2ca-crl-latest-per-alias      CA-ENR-11  CRL query groups by alias: one serial per alias
- b2ca-crl-cached                CA-ENR-8   the CRL is built once and served for an hour
- b2ca-crl-signed-tls-key        CA-ENR-8   the CRL is signed with the CA's TLS key
- b2ca-crl-pem                   CA-ENR-8   /v1/crl serves PEM, not DER
- b2ca-unknown-alias-500         CA-ENR-6   unknown alias: row[0] on None -> 500 internal
- b2ca-throttle-alias-only       CA-ENR-7   failures counted per alias only, not per address
- b2ca-throttle-off-by-one       CA-ENR-7   backoff from failure N+1 (> instead of >=)
- b2ca-throttle-no-retry-after   CA-ENR-7   429 without its Retry-After header
- b2ca-throttle-keepalive        CA-ENR-7   admission checked once per (keep-alive) connection
- b2ca-count-after-hash          CA-ENR-14  no reservation: failures counted after the hash
- b2ca-hard-lock-bypass          CA-ENR-19  the hard lock is not checked at admission
- b2ca-query-ignored             CA-ENR-15  the query string is split off and ignored
- b2ca-body-limit-1mib           CA-ENR-9   body limit 16 x 64 KiB instead of 64 KiB
- b2ca-html-errors               CA-ENR-9   http.server's own (HTML) error pages
- b2ca-hostname-trailing-dot     CA-ENR-17  host-name comparison keeps the trailing dot
- b2ca-hostname-san-ips-ignored  CA-ENR-17  the TLS certificate's SAN IP addresses not compared
- b2ca-revoked-alias-enrols      CA-ENR-11  a revoked alias logs in and enrols again
- b2ca-bad-csr-guess-uncounted   CA-ENR-21  wrong password with a bad CSR: 401, not counted
- b2ca-ca-tls12                  CA-ENR-1   the CA's HTTPS context allows TLS 1.2

Responder's checks of the initiator (server mutants of the peer)
- b2ca-peer-eku-either           PKI-CERT-5 serverAuth-only client certificates accepted
- b2ca-peer-no-eku               PKI-CERT-5 a certificate without EKU accepted (RFC 5280 reading)
- b2ca-peer-no-bc                PKI-CERT-9 a certificate without BasicConstraints accepted
- b2ca-peer-ku-key-agreement     PKI-CERT-9 KeyUsage keyAgreement accepted for digitalSignature
- b2ca-peer-sha384               PKI-CERT-9 SHA-384/512 signed certificates accepted
- b2ca-peer-p384                 PKI-CERT-9 a P-384 key accepted
- b2ca-peer-cn-first             PKI-ID-4   the first of several CNs is taken
- b2ca-peer-cn-lowercased        PKI-ID-4   the CN is lowercased before the alias checks
- b2ca-peer-allow-prefix         PKI-ID-4   the allow list matched by prefix
- b2ca-peer-no-check-time        PKI-CERT-3 X509_V_FLAG_NO_CHECK_TIME "for clock skew"
- b2ca-peer-refusal-lingers      PKI-TLS-10 after auth_failed the responder waits for the peer

Phase 2 (measured against the suite as it stood): 37 of 41 detected (90 %); b2ca-crl-pem
and b2ca-query-ignored first "survived" only because they were planted in `_dispatch`
while `do_GET`/`do_POST` still named the original (fixed: `_patch_dispatch`). Survivors:
- b2ca-throttle-keepalive: every throttle case opened a connection per login. Closed by
  test_ca_throttle.py::test_logins_on_one_keepalive_connection_are_throttled.
- b2ca-peer-sha384: SHA-384 was tried on the initiator only. Closed by `sha384_signature`
  in test_pki_certs.py's _CLIENT_BAD.
- b2ca-peer-eku-either, b2ca-peer-p384: not registered. Equivalent in the reference: the
  server context's OpenSSL purpose (ssl_client) refuses a serverAuth-only EKU before the
  reference's own check runs, and the pinned signature algorithms (PKI-TLS-9) leave a
  P-384 key no way to sign its CertificateVerify; the cases `no_client_auth` and
  `p384_key` already present both certificates.
Phase 3 (written after reading the suite, to probe the families around the survivors):
b2ca-dummy-hash-cheaper, b2ca-keepalive-session, b2ca-retry-after-floor,
b2ca-address-with-port, b2ca-lock-one-late (all caught by the cases as they stood or as
strengthened above), and b2ca-peer-alias-on-server (state shared between connections:
the latest handshake's alias authorises every connection), which survived
test_pki_identity.py and is caught by the new test_pki_identity_concurrent.py. The same
mistakes are planted in ca1 (keepalive-unthrottled, unknown-alias-500) and pki1
(client-any-sha2, allow-prefix, peer-global), each FAILed by the cases.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _ca_server() -> Any:
    return _module("reference.pki.ca_server")


def _tls() -> Any:
    return _module("reference.pki.tls")


# ----------------------------------------------------------------------------- the CA


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited; the do_* aliases were bound to the original at class
    creation, so they are rebound to the edited one."""
    handler = _ca_server()._Handler
    _patch_source(handler, "_dispatch", *edits)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


def _csr_pop_rsa_only() -> None:
    """ "EC signatures are verified by the library anyway": only RSA CSRs are checked."""
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if (not valid and isinstance(public_key, rsa.RSAPublicKey))"
            " or not isinstance(digest, _CSR_DIGESTS):",
        ),
    )


def _csr_hash_denylist() -> None:
    """SHA-1 refused by a deny list: SHA-224 (and MD5, where it loads) pass."""
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or isinstance(digest, hashes.SHA1):",
        ),
    )


def _csr_rsa_1024() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if public_key.key_size < 1024:"),
    )


def _csr_p384() -> None:
    _patch_source(
        _ca(),
        "_check_public_key",
        (
            "if not isinstance(public_key.curve, ec.SECP256R1):",
            "if not isinstance(public_key.curve, (ec.SECP256R1, ec.SECP384R1)):",
        ),
    )


def _csr_extra_pem_block() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "enroll",
        ('if csr_pem.count(b"-----BEGIN ") != 1:', 'if csr_pem.count(b"-----BEGIN ") < 1:'),
    )


def _csr_san_copied() -> None:
    """The requested subjectAltName is "kept for the user's convenience"."""
    ca = _ca()
    x509 = _module("cryptography.x509")
    seen = threading.local()
    original = ca._leaf_builder

    def leaf_builder(*args: Any, **kwargs: Any) -> Any:
        builder = original(*args, **kwargs)
        csr = getattr(seen, "csr", None)
        if csr is not None:
            seen.csr = None
            for ext in csr.extensions:
                if isinstance(ext.value, x509.SubjectAlternativeName):
                    builder = builder.add_extension(ext.value, critical=ext.critical)
        return builder

    ca._leaf_builder = leaf_builder
    ca._mutant_seen = seen
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        (
            "public_key = _check_public_key(csr.public_key())",
            "public_key = _check_public_key(csr.public_key()); _mutant_seen.csr = csr",
        ),
    )


def _cli_validity_dropped() -> None:
    _patch_source(_module("reference.cli.ca"), "_serve", ("validity_days=args.validity_days,", ""))


def _serial_time() -> None:
    _ca()._serial = lambda: time.time_ns() // 1000


def _validity_inclusive_day() -> None:
    _patch_source(
        _ca_server()._Handler,
        "_enroll",
        (
            "validity=dt.timedelta(days=self.server.config.validity_days),",
            "validity=dt.timedelta(days=self.server.config.validity_days + 1),",
        ),
    )


def _backdate_one_day() -> None:
    _patch_source(_ca(), "issue_employee", ("now - _BACKDATE,", "now - dt.timedelta(days=1),"))


def _crl_window_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _crl_latest_per_alias() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        ('" WHERE revoked_at IS NOT NULL"', '" WHERE revoked_at IS NOT NULL GROUP BY alias"'),
    )


def _crl_cached() -> None:
    """The CRL is "expensive to sign": built once, served for an hour."""
    authority = _ca().CertificateAuthority
    original = authority.crl
    cache: dict[str, tuple[float, Any]] = {}

    def crl(self: Any, *, now: Any = None) -> Any:
        hit = cache.get("crl")
        if hit is not None and time.monotonic() - hit[0] < 3600:
            return hit[1]
        value = original(self, now=now)
        cache["crl"] = (time.monotonic(), value)
        return value

    authority.crl = crl


def _crl_signed_tls_key() -> None:
    ca = _ca()
    original = ca.make_crl

    def make_crl(root_key: Any, root: Any, revoked: Any, **kwargs: Any) -> Any:
        # "the server's key" — the HTTPS one, loaded from the CA directory
        key = ca.load_private_key(_crl_signed_tls_key.directory / "ca-tls.key")  # type: ignore[attr-defined]
        return original(key, root, revoked, **kwargs)

    init = ca.CertificateAuthority.__init__

    def remember(self: Any, directory: Any) -> None:
        init(self, directory)
        _crl_signed_tls_key.directory = directory  # type: ignore[attr-defined]

    ca.CertificateAuthority.__init__ = remember
    ca.make_crl = make_crl


def _crl_pem() -> None:
    _patch_dispatch(
        (
            "crl = self.server.ca.crl().public_bytes(serialization.Encoding.DER)",
            "crl = self.server.ca.crl().public_bytes(serialization.Encoding.PEM)",
        ),
    )


def _unknown_alias_500() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        ("record = row[0] if row is not None else _dummy_record()", "record = row[0]"),
    )


def _throttle_alias_only() -> None:
    _patch_source(
        _ca_server()._Handler,
        "_enroll",
        (
            'keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")',
            'keys = (f"alias:{alias[:64]}",)',
        ),
        ("throttle.success(keys[0], keys[1])", "throttle.success(keys[0])"),
    )


def _throttle_off_by_one() -> None:
    _patch_source(
        _ca_server().LoginThrottle,
        "_count",
        ("if entry.count >= self.after:", "if entry.count > self.after:"),
    )


def _throttle_no_retry_after() -> None:
    _patch_source(_ca_server()._Handler, "_enroll", ('{"Retry-After": str(wait)},', "None,"))


def _throttle_keepalive() -> None:
    """Admission is checked when a connection makes its first login; later logins on the
    same keep-alive connection skip it (and count their failures without a reservation)."""
    _patch_source(
        _ca_server()._Handler,
        "_enroll",
        (
            "wait = throttle.admit(*keys)",
            "wait = 0 if getattr(self, '_admitted', False) else throttle.admit(*keys)\n"
            "    first = not getattr(self, '_admitted', False); self._admitted = True",
        ),
        (
            "        throttle.failed(*keys)\n        raise _HttpError(",
            "        throttle.failed(*keys) if first else None\n        raise _HttpError(",
        ),
    )


def _count_after_hash() -> None:
    """The classic: check the backoff, hash, then count — nothing reserved meanwhile."""
    throttle = _ca_server().LoginThrottle
    _patch_source(
        throttle,
        "admit",
        ("self._pending[key] = self._pending.get(key, 0) + 1", "pass"),
    )
    _patch_source(
        throttle,
        "failed",
        ("self._count(self._release(keys), self.clock())", "self._count(keys, self.clock())"),
    )


def _hard_lock_bypass() -> None:
    _patch_source(
        _ca_server().LoginThrottle,
        "admit",
        ("if self._hard_locked(keys):", "if False:"),
    )


def _query_ignored() -> None:
    _patch_dispatch(
        ('if "?" in self.path or "#" in self.path:', "if False:"),
        ("path = self.path\n", 'path = self.path.split("?", 1)[0].split("#", 1)[0]\n'),
    )


def _body_limit_1mib() -> None:
    _patch_source(
        _ca_server()._Handler,
        "_read_json",
        ("if length > MAX_BODY:", "if length > 16 * MAX_BODY:"),
    )


def _html_errors() -> None:
    del _ca_server()._Handler.send_error


def _hostname_trailing_dot() -> None:
    _ca()._host_key = lambda name: name.lower()


def _hostname_san_ips_ignored() -> None:
    _patch_source(
        _ca(),
        "_host_names",
        ("names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]", "pass"),
    )


def _revoked_alias_enrols() -> None:
    _patch_source(
        _ca().CertificateAuthority,
        "authenticate",
        ("return ok and row is not None and row[1] is None", "return ok and row is not None"),
    )


def _bad_csr_guess_uncounted() -> None:
    """A wrong password with a broken CSR ("the client's bug, not an attack") is answered
    401 but not counted, though the password was verified."""
    server = _ca_server()
    ca = _ca()

    def csr_parses(text: str) -> bool:
        try:
            x509 = _module("cryptography.x509")
            csr = x509.load_pem_x509_csr(text.encode("utf-8"))
            ca._check_public_key(csr.public_key())
            return bool(csr.is_signature_valid)
        except Exception:
            return False

    server._mutant_csr_parses = csr_parses
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "        throttle.failed(*keys)\n        raise _HttpError(",
            "        (throttle.failed(*keys) if _mutant_csr_parses(csr)"
            " else throttle.success(keys[0], keys[1]))\n        raise _HttpError(",
        ),
    )


def _ca_tls12() -> None:
    tls = _tls()
    ssl = _module("ssl")
    original = tls.https_server_context

    def https_server_context(cert: Any, key: Any) -> Any:
        ctx = original(cert, key)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "old enrolment scripts"
        return ctx

    tls.https_server_context = https_server_context
    _ca_server().https_server_context = https_server_context


def _dummy_hash_cheaper() -> None:
    """The dummy record for unknown aliases made with scrypt's textbook N = 2**14 ("it only
    has to look like a hash"): half the cost of a real user's N = 2**15."""
    ca = _ca()

    def dummy_record() -> str:
        if not hasattr(dummy_record, "record"):
            salt = ca.secrets.token_bytes(16)
            password = ca.secrets.token_urlsafe(24)
            digest = ca._hash_password(password, salt, 2**14, 8, 1)
            dummy_record.record = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"  # type: ignore[attr-defined]
        return str(dummy_record.record)  # type: ignore[attr-defined]

    ca._dummy_record = dummy_record


def _keepalive_session() -> None:
    """A connection that logged in once is trusted: its later logins are not verified."""
    _patch_source(
        _ca_server()._Handler,
        "_enroll",
        (
            "right = self.server.ca.authenticate(alias, password)",
            "right = getattr(self, '_logged_in', False)"
            " or self.server.ca.authenticate(alias, password)\n"
            "        self._logged_in = right",
        ),
    )


def _retry_after_floor() -> None:
    """Retry-After rounded down ("int() of the seconds left"): a client that waits what it
    was told comes back before the backoff ends."""
    _patch_source(
        _ca_server().LoginThrottle,
        "admit",
        ("return max(1, int(worst - now + 0.999))", "return max(1, int(worst - now))"),
    )


def _address_with_port() -> None:
    """The address key formatted from the whole client address: (host, port)."""
    _patch_source(
        _ca_server()._Handler,
        "_enroll",
        ('f"addr:{self.client_address[0]}"', 'f"addr:{self.client_address}"'),
    )


def _lock_one_late() -> None:
    _patch_source(
        _ca_server().LoginThrottle,
        "_count",
        ("entry.count >= self.lock_after", "entry.count > self.lock_after"),
    )


# --------------------------------------------------- the responder's checks of the initiator


def _peer_no_eku() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no extended key usage")'
            " from None",
            "eku = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]",
        ),
    )


def _peer_no_bc() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate lacks BasicConstraints") from None',
            "bc = None",
        ),
        ("if bc.value.ca or not bc.critical:", "if bc is not None and bc.value.ca:"),
    )


def _peer_ku_key_agreement() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if not ku.digital_signature:", "if not (ku.digital_signature or ku.key_agreement):"),
    )


def _peer_sha384() -> None:
    _patch_source(
        _tls(),
        "_check_algorithms",
        (
            "if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):",
            "if not isinstance(cert.signature_hash_algorithm,"
            " (hashes.SHA256, hashes.SHA384, hashes.SHA512)):",
        ),
    )


def _peer_cn_first() -> None:
    _patch_source(
        _tls(),
        "_common_name",
        (
            "if len(names) != 1 or not isinstance(names[0].value, str):",
            "if not names or not isinstance(names[0].value, str):",
        ),
    )


def _peer_cn_lowercased() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("alias = _common_name(cert)", "alias = _common_name(cert).lower()"),
    )


def _peer_allow_prefix() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = not self.config.allow or any("
            "alias.startswith(a) for a in self.config.allow)",
        ),
    )


def _peer_alias_on_server() -> None:
    """The peer's alias kept on the server object ("the current user"), and the allow list
    asked at the first request: with two connections, the later handshake's alias decides
    for both."""
    peer = _module("reference.pki.peer")

    class _LastAliasAllowed:
        def __init__(self, server: Any) -> None:
            self._server = server

        def __bool__(self) -> bool:
            allow = self._server.config.allow
            return not allow or self._server._current_alias in allow

    peer._LastAliasAllowed = _LastAliasAllowed
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = not self.config.allow or alias in self.config.allow\n"
            "        self._current_alias = alias",
        ),
        ("authorised=allowed,", "authorised=_LastAliasAllowed(self),"),
    )


def _peer_no_check_time() -> None:
    tls = _tls()
    original = tls._load_trust

    def load_trust(ctx: Any, root_pem: bytes, crl_der: bytes | None) -> None:
        original(ctx, root_pem, crl_der)
        ctx.verify_flags = ctx.verify_flags | 0x200000  # X509_V_FLAG_NO_CHECK_TIME

    tls._load_trust = load_trust


def _peer_refusal_lingers() -> None:
    """After `EROR auth_failed` the responder drains the client until it goes away."""
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        (
            '"authentication failed"))\n                )\n',
            '"authentication failed"))\n                )\n'
            "                tls.settimeout(30.0)\n"
            "                while tls.recv(4096):\n"
            "                    pass\n",
        ),
    )


def _ca_mutant(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="ca",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


def _peer_mutant(
    name: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=name,
        group="pki",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


_CSR = "test_ca_csr.py"
_CA = "test_ca.py"
_THR = "test_ca_throttle.py"
_HARD = "test_pki_hardening.py"
_CERTS = "test_pki_certs.py"
_IDENT = "test_pki_identity.py"

MUTANTS: tuple[Mutant, ...] = (
    _ca_mutant(
        "b2ca-csr-pop-rsa-only",
        "CA-ENR-3",
        _CSR,
        "CSR signature checked for RSA keys only",
        _csr_pop_rsa_only,
    ),
    _ca_mutant(
        "b2ca-csr-hash-denylist",
        "CA-ENR-13",
        _CSR,
        "only SHA-1 CSR signatures refused (deny list)",
        _csr_hash_denylist,
    ),
    _ca_mutant(
        "b2ca-csr-rsa-1024", "CA-ENR-13", _CSR, "RSA CSR keys of 1024 bits accepted", _csr_rsa_1024
    ),
    _ca_mutant("b2ca-csr-p384", "CA-ENR-13", _CSR, "P-384 CSR keys accepted", _csr_p384),
    _ca_mutant(
        "b2ca-csr-extra-pem-block",
        "CA-ENR-13",
        _CSR,
        "a csr of several PEM blocks accepted",
        _csr_extra_pem_block,
    ),
    _ca_mutant(
        "b2ca-csr-san-copied",
        "CA-ENR-4",
        _CSR,
        "the CSR's subjectAltName copied into the certificate",
        _csr_san_copied,
    ),
    _ca_mutant(
        "b2ca-cli-validity-dropped",
        "CA-ENR-10",
        _CSR,
        "--validity-days not passed to the server config",
        _cli_validity_dropped,
    ),
    _ca_mutant(
        "b2ca-serial-time", "CA-ENR-10", _CSR, "serial = microseconds since the epoch", _serial_time
    ),
    _ca_mutant(
        "b2ca-validity-inclusive-day",
        "CA-ENR-10",
        _CSR,
        "validity of the configured days + 1",
        _validity_inclusive_day,
    ),
    _ca_mutant(
        "b2ca-backdate-one-day",
        "CA-ENR-10",
        _CSR,
        "notBefore backdated by a day",
        _backdate_one_day,
    ),
    _ca_mutant(
        "b2ca-crl-window-from-now",
        "CA-ENR-16",
        _HARD,
        "CRL nextUpdate - thisUpdate = 7 d + backdate",
        _crl_window_from_now,
    ),
    _ca_mutant(
        "b2ca-crl-latest-per-alias",
        "CA-ENR-11",
        _CA,
        "the CRL lists one serial per revoked alias",
        _crl_latest_per_alias,
    ),
    _ca_mutant(
        "b2ca-crl-cached",
        "CA-ENR-8",
        _CA,
        "the CRL is built once and served for an hour",
        _crl_cached,
    ),
    _ca_mutant(
        "b2ca-crl-signed-tls-key",
        "CA-ENR-8",
        _CA,
        "the CRL is signed with the CA's TLS key",
        _crl_signed_tls_key,
    ),
    _ca_mutant("b2ca-crl-pem", "CA-ENR-8", _CA, "/v1/crl serves PEM instead of DER", _crl_pem),
    _ca_mutant(
        "b2ca-unknown-alias-500",
        "CA-ENR-6",
        _CA,
        "an unknown alias is answered 500 (row[0] on None)",
        _unknown_alias_500,
    ),
    _ca_mutant(
        "b2ca-throttle-alias-only",
        "CA-ENR-7",
        _THR,
        "failures counted per alias only",
        _throttle_alias_only,
    ),
    _ca_mutant(
        "b2ca-throttle-off-by-one",
        "CA-ENR-7",
        _THR,
        "backoff starts one failure late",
        _throttle_off_by_one,
    ),
    _ca_mutant(
        "b2ca-throttle-no-retry-after",
        "CA-ENR-7",
        _THR,
        "429 without Retry-After",
        _throttle_no_retry_after,
    ),
    _ca_mutant(
        "b2ca-throttle-keepalive",
        "CA-ENR-7",
        _THR,
        "throttle checked once per keep-alive connection",
        _throttle_keepalive,
    ),
    _ca_mutant(
        "b2ca-count-after-hash",
        "CA-ENR-14",
        _THR,
        "failures counted after the hash, nothing reserved",
        _count_after_hash,
    ),
    _ca_mutant(
        "b2ca-hard-lock-bypass",
        "CA-ENR-19",
        _THR,
        "the hard lock is not checked at admission",
        _hard_lock_bypass,
    ),
    _ca_mutant(
        "b2ca-query-ignored",
        "CA-ENR-15",
        _CA,
        "the query string is split off and ignored",
        _query_ignored,
    ),
    _ca_mutant(
        "b2ca-body-limit-1mib",
        "CA-ENR-9",
        _CA,
        "body limit 1 MiB instead of 64 KiB",
        _body_limit_1mib,
    ),
    _ca_mutant("b2ca-html-errors", "CA-ENR-9", _CA, "http.server's HTML error pages", _html_errors),
    _ca_mutant(
        "b2ca-hostname-trailing-dot",
        "CA-ENR-17",
        _HARD,
        "host names compared with their trailing dot",
        _hostname_trailing_dot,
    ),
    _ca_mutant(
        "b2ca-hostname-san-ips-ignored",
        "CA-ENR-17",
        _HARD,
        "the SAN IP addresses are not host names",
        _hostname_san_ips_ignored,
    ),
    _ca_mutant(
        "b2ca-revoked-alias-enrols",
        "CA-ENR-11",
        _CA,
        "a revoked alias enrols again",
        revocation_not_rechecked(_revoked_alias_enrols),
    ),
    _ca_mutant(
        "b2ca-bad-csr-guess-uncounted",
        "CA-ENR-21",
        _THR,
        "wrong password + bad CSR: 401 not counted",
        _bad_csr_guess_uncounted,
    ),
    _ca_mutant("b2ca-ca-tls12", "CA-ENR-1", _CA, "the CA's HTTPS accepts TLS 1.2", _ca_tls12),
    # Phase 3: further members of the families found above (not blind).
    _ca_mutant(
        "b2ca-dummy-hash-cheaper",
        "CA-ENR-6",
        "test_timing.py",
        "the unknown alias's dummy hash costs half a real one",
        _dummy_hash_cheaper,
    ),
    _ca_mutant(
        "b2ca-retry-after-floor",
        "CA-ENR-7",
        _THR,
        "Retry-After rounded down",
        _retry_after_floor,
    ),
    _ca_mutant(
        "b2ca-address-with-port",
        "CA-ENR-7",
        _THR,
        "the address key includes the client's port",
        _address_with_port,
    ),
    _ca_mutant(
        "b2ca-lock-one-late",
        "CA-ENR-19",
        _THR,
        "the hard lock after L + 1 consecutive failures",
        _lock_one_late,
    ),
    _ca_mutant(
        "b2ca-keepalive-session",
        "CA-ENR-6",
        _THR,
        "a kept-alive connection that logged in once is not verified again",
        _keepalive_session,
    ),
    _peer_mutant(
        "b2ca-peer-no-eku",
        "PKI-CERT-5",
        _CERTS,
        "a client certificate without EKU accepted",
        _peer_no_eku,
    ),
    _peer_mutant(
        "b2ca-peer-no-bc",
        "PKI-CERT-9",
        _CERTS,
        "a client certificate without BasicConstraints accepted",
        _peer_no_bc,
    ),
    _peer_mutant(
        "b2ca-peer-ku-key-agreement",
        "PKI-CERT-9",
        _CERTS,
        "KeyUsage keyAgreement taken for digitalSignature",
        _peer_ku_key_agreement,
    ),
    _peer_mutant(
        "b2ca-peer-sha384",
        "PKI-CERT-9",
        _CERTS,
        "SHA-384/512 signed client certificates accepted",
        _peer_sha384,
    ),
    _peer_mutant(
        "b2ca-peer-cn-first", "PKI-ID-4", _IDENT, "the first of several CNs taken", _peer_cn_first
    ),
    _peer_mutant(
        "b2ca-peer-cn-lowercased",
        "PKI-ID-4",
        _IDENT,
        "the CN lowercased before the checks",
        _peer_cn_lowercased,
    ),
    _peer_mutant(
        "b2ca-peer-allow-prefix",
        "PKI-ID-4",
        _IDENT,
        "the allow list matched by prefix",
        _peer_allow_prefix,
    ),
    _peer_mutant(
        "b2ca-peer-no-check-time",
        "PKI-CERT-3",
        _CERTS,
        "certificate validity dates not checked",
        _peer_no_check_time,
    ),
    _peer_mutant(
        "b2ca-peer-alias-on-server",
        "PKI-ID-3",
        "test_pki_identity_concurrent.py",
        "the alias of the latest handshake decides every connection's authorisation",
        _peer_alias_on_server,
    ),
    _peer_mutant(
        "b2ca-peer-refusal-lingers",
        "PKI-TLS-10",
        _CERTS,
        "after auth_failed the responder waits for the peer",
        _peer_refusal_lingers,
    ),
)
