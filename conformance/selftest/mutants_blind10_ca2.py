"""Blind red-team round 10, second CA team (`b10ca2-`): what the CA ISSUES and keeps.

Written from docs/SPEC.md §4.2/§4.4 and the reference's reference/pki/ca.py, ca_server.py
and enroll.py only, before reading any case file or other mutant module. Every mutant is
the CA server (`ca=True`): the enrolment client (`sft enroll`) is not driven by the suite
(its mistakes are not observable by it), and the administration commands (`sft ca user
add`, `sft ca revoke`) run in their own, unmutated processes, so the planted bugs live in
what `sft ca serve` does: the certificates and CRLs it makes, the store it writes at
enrolment, its own TLS certificate and its host-name check.

Lenses (docs: /work/briefs/s10/lenses10.md):

1. misreadings of the SPEC
   - validity-plus-skew: notAfter = now + period + the hour of allowed backdating
   - backdate-future: the backdating sign flipped (notBefore in the future)
   - serial-63bits: "at least 64 bits" as a positive signed 64-bit integer (63 bits)
   - serial-time-counter: "random and never repeats" read as "unique" (time_ns | counter)
   - serial-per-key: serial derived from (alias, key): unique per key, repeats for one key
   - eku-client-only: an employee certificate read as a client certificate (clientAuth)
   - rsa-keyencipherment: RSA leaves get digitalSignature + keyEncipherment (TLS 1.2 habit)
   - subject-with-org: the root's O copied into the employee subject beside CN
   - san-alias: a DNS SAN = alias added ("modern TLS clients need a SAN")
   - aki-from-leaf: AuthorityKeyIdentifier computed from the leaf's own key
   - refuse-rsa-2048: "at least 2048" as "more than 2048" (RSA-2048 CSRs refused)
   - crl-nextupdate-from-now: thisUpdate backdated, nextUpdate = now + 7 d (> 7 d apart)
   - crl-thisupdate-last-change: thisUpdate = the last revocation, nextUpdate = now + 7 d
   - hostname-trailing-dot: the CA's host names compared without dropping a trailing dot
2. lazy or stubbed features
   - ku-noncritical: KeyUsage added but not marked critical
   - ski-rsa-missing: SubjectKeyIdentifier only for EC keys ("TODO RSA")
   - rsa-leaf-sha384: RSA leaves signed with SHA-384 (hash "matched to the key")
   - subject-from-csr: the CSR's subject kept when its CN already is the alias
   - pop-rsa-skipped: proof of possession checked for EC CSRs only
   - hostname-ips-ignored: the host-name check knows DNS names, not the SAN's IPs
   - tls-cert-no-san: the CA makes its own TLS certificate at start, CN only, no SAN
3. state across enrolments and restarts
   - serial-counter-restart: a random base kept on disk + a per-process counter
   - subject-first-alias: the subject template filled once (the first alias enrolled)
   - key-first-per-alias: the first CSR's key kept per alias ("renewal of the key")
   - crl-cached: the CRL built once and served for 5 minutes
   - store-latest-only: a renewal replaces the alias's recorded certificate
   - auth-cache-revoked: verified (alias, password) pairs cached: revoke not seen
4. over-eager hardening
   - backdate-2h: two hours of "clock-skew tolerance" (the SPEC allows one)
   - refuse-sha512-csr: only SHA-256 CSR signatures accepted
   - refuse-csr-extensions: a CSR asking for extensions refused instead of ignored
   - refuse-csr-cn-mismatch: a CSR whose subject is not CN = alias refused
5. layer seams
   - sig-hash-from-csr: the certificate signed with the CSR's hash algorithm
   - crl-one-per-alias: the CRL query grouped by alias (one serial per alias)
   - crl-pem: the CRL's encoding taken from the store's habit (PEM), not DER
   - cert-recorded-late: the certificate recorded by a write-behind timer (3 s later)

After the blind count (not part of it), with the case written for them (restarts, lens 3):
   - x-start-cleanup-inverted: a clean-up of expired certificates at start, comparison
     inverted: what an alias held before a restart is no longer revoked with it
   - x-crl-since-start: the CRL lists the revocations made since the process started
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_CSR = "test_ca_csr.py"
_CA = "test_ca.py"
_HARD = "test_pki_hardening.py"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _authority() -> Any:
    return _ca().CertificateAuthority


# --- 1. misreadings ------------------------------------------------------------------


def _validity_plus_skew() -> None:
    _patch_source(
        _ca(),
        "issue_employee",
        ("now + validity,", "now + validity + dt.timedelta(hours=1),"),
    )


def _backdate_future() -> None:
    _patch_source(_ca(), "issue_employee", ("now - _BACKDATE,", "now + _BACKDATE,"))


def _serial_63bits() -> None:
    _ca()._serial = lambda: secrets.randbits(64) & 0x7FFF_FFFF_FFFF_FFFF or 1


def _serial_time_counter() -> None:
    counter = itertools.count()
    lock = threading.Lock()

    def serial() -> int:
        with lock:
            return (time.time_ns() << 16) | (next(counter) & 0xFFFF)

    _ca()._serial = serial


def _issue_with_serial(serial_of: Any) -> None:
    """issue_employee with the serial `serial_of(alias, public_key)` chooses."""
    ca = _ca()
    original = ca.issue_employee
    lock = threading.Lock()

    def issue(root_key: Any, root: Any, alias: str, public_key: Any, **kw: Any) -> Any:
        with lock:
            saved = ca._serial
            value = serial_of(alias, public_key)
            ca._serial = lambda: value
            try:
                return original(root_key, root, alias, public_key, **kw)
            finally:
                ca._serial = saved

    ca.issue_employee = issue


def _serial_per_key() -> None:
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def serial_of(alias: str, public_key: Any) -> int:
        spki = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.sha256(alias.encode() + b"\0" + spki).digest()
        return int.from_bytes(digest[:19], "big") | (1 << 151)

    _issue_with_serial(serial_of)
    # One row per serial: the re-enrolment of a key replaces its row.
    _patch_source(
        _authority(),
        "enroll",
        ('"INSERT INTO certificates', '"INSERT OR REPLACE INTO certificates'),
    )


def _eku_client_only() -> None:
    _patch_source(
        _ca(),
        "issue_employee",
        (
            "[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]",
            "[ExtendedKeyUsageOID.CLIENT_AUTH]",
        ),
    )


def _rsa_keyencipherment() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "key_encipherment=False,",
            "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),",
        ),
    )


def _subject_with_org() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            ".subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))",
            ".subject_name(x509.Name([*root.subject.get_attributes_for_oid("
            "NameOID.ORGANIZATION_NAME), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))",
        ),
    )


def _san_alias() -> None:
    _patch_source(
        _ca(),
        "issue_employee",
        (
            "return builder.sign(",
            "return builder.add_extension(x509.SubjectAlternativeName("
            "[x509.DNSName(alias)]), critical=False).sign(",
        ),
    )


def _aki_from_leaf() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())",
            "AuthorityKeyIdentifier.from_issuer_public_key(public_key)",
        ),
    )


def _refuse_rsa_2048() -> None:
    _patch_source(
        _ca(), "_check_public_key", ("public_key.key_size < 2048", "public_key.key_size <= 2048")
    )


def _crl_nextupdate_from_now() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _crl_thisupdate_last_change() -> None:
    _patch_source(
        _ca(),
        "make_crl",
        ("    builder = (", "    revoked = list(revoked)\n    builder = ("),
        (
            ".last_update(now - _BACKDATE)",
            ".last_update(max((w for _s, w in revoked), default=now - _BACKDATE))",
        ),
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _hostname_trailing_dot() -> None:
    _ca()._host_key = lambda name: name.lower()


# --- 2. lazy or stubbed ----------------------------------------------------------------


def _ku_noncritical() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "decipher_only=False,\n            ),\n            critical=True,",
            "decipher_only=False,\n            ),\n            critical=False,",
        ),
    )


def _ski_rsa_missing() -> None:
    _patch_source(
        _ca(),
        "_leaf_builder",
        (
            "    return (\n        x509.CertificateBuilder()",
            "    b = (\n        x509.CertificateBuilder()",
        ),
        (
            "        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),"
            " critical=False)\n    )",
            "    )\n    if isinstance(public_key, ec.EllipticCurvePublicKey):  # TODO RSA\n"
            "        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),"
            " critical=False)\n    return b",
        ),
    )


def _rsa_leaf_sha384() -> None:
    _patch_source(
        _ca(),
        "issue_employee",
        (
            "return builder.sign(root_key, _signing_hash(root_key))",
            "return builder.sign(root_key, hashes.SHA384() if isinstance(public_key,"
            " rsa.RSAPublicKey) else _signing_hash(root_key))",
        ),
    )


def _subject_from_csr() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    name_oid = _module("cryptography.x509.oid").NameOID

    def issue(
        root_key: Any,
        root: Any,
        alias: str,
        public_key: Any,
        csr: Any,
        *,
        validity: dt.timedelta,
        now: dt.datetime | None = None,
    ) -> Any:
        cert = ca.issue_employee(root_key, root, alias, public_key, validity=validity, now=now)
        cns = [a.value for a in csr.subject.get_attributes_for_oid(name_oid.COMMON_NAME)]
        if cns != [alias] or csr.subject == cert.subject:
            return cert
        # Rebuild with the requested subject: "the CN is right, keep what they asked for".
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(cert.issuer)
            .public_key(cert.public_key())
            .serial_number(cert.serial_number)
            .not_valid_before(cert.not_valid_before_utc)
            .not_valid_after(cert.not_valid_after_utc)
        )
        for ext in cert.extensions:
            builder = builder.add_extension(ext.value, ext.critical)
        return builder.sign(root_key, ca._signing_hash(root_key))

    ca._b10ca2_issue = issue
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        (
            "cert = issue_employee(\n        self.root_key, self.root, alias, public_key,"
            " validity=validity, now=now\n    )",
            "cert = _b10ca2_issue(\n        self.root_key, self.root, alias, public_key, csr,"
            " validity=validity, now=now\n    )",
        ),
    )


def _pop_rsa_skipped() -> None:
    _patch_source(
        _authority(),
        "enroll",
        (
            "valid = csr.is_signature_valid",
            "valid = csr.is_signature_valid if isinstance(csr.public_key(),"
            " ec.EllipticCurvePublicKey) else True  # TODO RSA",
        ),
    )


def _hostname_ips_ignored() -> None:
    _patch_source(
        _ca(),
        "_host_names",
        ("names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]", "pass"),
    )


def _tls_cert_no_san() -> None:
    server = _module("reference.pki.ca_server")
    ca = _ca()
    x509 = _module("cryptography.x509")
    hashes = _module("cryptography.hazmat.primitives.hashes")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    oid = _module("cryptography.x509.oid")
    original = server.https_server_context

    def context(cert: Path, key: Path) -> Any:
        # "The CA makes its HTTPS certificate at start": CN = the first host, no SAN.
        directory = Path(cert).parent
        root = x509.load_pem_x509_certificate((directory / "root.pem").read_bytes())
        root_key = ca.load_private_key(directory / "root.key")
        old = x509.load_pem_x509_certificate(Path(cert).read_bytes())
        host = old.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME)[0].value
        tls_key = ca.generate_key("ec")
        now = dt.datetime.now(dt.UTC)
        new = ca._leaf_builder(
            root,
            tls_key.public_key(),
            host,
            [oid.ExtendedKeyUsageOID.SERVER_AUTH],
            now - dt.timedelta(minutes=5),
            now + dt.timedelta(days=365),
        ).sign(root_key, hashes.SHA256())
        out = Path(tempfile.mkdtemp(prefix="b10ca2-tls-"))
        ca.write_private(out / "tls.key", ca.private_key_pem(tls_key))
        (out / "tls.pem").write_bytes(new.public_bytes(serialization.Encoding.PEM))
        return original(out / "tls.pem", out / "tls.key")

    server.https_server_context = context


# --- 3. state across enrolments and restarts --------------------------------------------


def _ca_dir() -> Path:
    argv = sys.argv
    if "--dir" in argv:
        return Path(argv[argv.index("--dir") + 1])
    return Path(tempfile.gettempdir())


def _serial_counter_restart() -> None:
    counter = itertools.count(1)
    lock = threading.Lock()
    state: dict[str, int] = {}

    def serial() -> int:
        with lock:
            if "base" not in state:
                path = _ca_dir() / "serial-base"
                try:
                    state["base"] = int(path.read_text())
                except (OSError, ValueError):
                    state["base"] = secrets.randbits(120) | (1 << 119)
                    path.write_text(str(state["base"]))
            return state["base"] + next(counter)

    _ca()._serial = serial


def _subject_first_alias() -> None:
    ca = _ca()
    original = ca.issue_employee
    template: dict[str, str] = {}

    def issue(root_key: Any, root: Any, alias: str, public_key: Any, **kw: Any) -> Any:
        cn = template.setdefault("cn", alias)  # the template's subject, filled once
        return original(root_key, root, cn, public_key, **kw)

    ca.issue_employee = issue


def _key_first_per_alias() -> None:
    ca = _ca()
    original = ca.issue_employee
    keys: dict[str, Any] = {}
    lock = threading.Lock()

    def issue(root_key: Any, root: Any, alias: str, public_key: Any, **kw: Any) -> Any:
        with lock:
            kept = keys.setdefault(alias, public_key)
        return original(root_key, root, alias, kept, **kw)

    ca.issue_employee = issue


def _crl_cached() -> None:
    authority = _authority()
    original = authority.crl
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        with lock:
            made = cache.get("at")
            if made is None or time.monotonic() - made > 300:
                cache["crl"] = original(self, now=now)
                cache["at"] = time.monotonic()
            return cache["crl"]

    authority.crl = crl


def _store_latest_only() -> None:
    _patch_source(
        _authority(),
        "enroll",
        (
            "raise CaError(REVOKED_MEANWHILE)\n",
            "raise CaError(REVOKED_MEANWHILE)\n"
            "            self._db.execute(\n"
            '                "DELETE FROM certificates WHERE alias = ? AND revoked_at IS NULL",'
            "\n                (alias,),\n            )\n",
        ),
    )


def _auth_cache_revoked() -> None:
    authority = _authority()
    original = authority.authenticate
    verified: set[tuple[str, bytes]] = set()
    lock = threading.Lock()

    def authenticate(self: Any, alias: str, password: str) -> bool:
        key = (alias, hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest())
        with lock:
            if key in verified:
                return True
        ok = bool(original(self, alias, password))
        if ok:
            with lock:
                verified.add(key)
        return ok

    authority.authenticate = authenticate


# --- 4. over-eager hardening -------------------------------------------------------------


def _backdate_2h() -> None:
    _patch_source(_ca(), "issue_employee", ("now - _BACKDATE,", "now - dt.timedelta(hours=2),"))


def _refuse_sha512_csr() -> None:
    _ca()._CSR_DIGESTS = (_module("cryptography.hazmat.primitives.hashes").SHA256,)


def _refuse_csr_extensions() -> None:
    _patch_source(
        _authority(),
        "enroll",
        (
            "valid = csr.is_signature_valid",
            "valid = csr.is_signature_valid and not len(csr.extensions)",
        ),
    )


def _refuse_csr_cn_mismatch() -> None:
    _patch_source(
        _authority(),
        "enroll",
        (
            "valid = csr.is_signature_valid",
            "valid = csr.is_signature_valid and [a.value for a in"
            " csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == [alias]",
        ),
    )


# --- 5. layer seams --------------------------------------------------------------------


def _sig_hash_from_csr() -> None:
    ca = _ca()

    def issue(
        root_key: Any,
        root: Any,
        alias: str,
        public_key: Any,
        digest: Any,
        *,
        validity: dt.timedelta,
        now: dt.datetime | None = None,
    ) -> Any:
        now = now or dt.datetime.now(dt.UTC)
        builder = ca._leaf_builder(
            root,
            ca._check_public_key(public_key),
            ca.check_alias(alias),
            [
                _module("cryptography.x509.oid").ExtendedKeyUsageOID.CLIENT_AUTH,
                _module("cryptography.x509.oid").ExtendedKeyUsageOID.SERVER_AUTH,
            ],
            now - ca._BACKDATE,
            now + validity,
        )
        return builder.sign(root_key, type(digest)())  # "the same hash as the request"

    ca._b10ca2_issue = issue
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        (
            "cert = issue_employee(\n        self.root_key, self.root, alias, public_key,"
            " validity=validity, now=now\n    )",
            "cert = _b10ca2_issue(\n        self.root_key, self.root, alias, public_key,"
            " digest,"
            " validity=validity, now=now\n    )",
        ),
    )


def _crl_one_per_alias() -> None:
    _patch_source(
        _authority(),
        "crl",
        (' WHERE revoked_at IS NOT NULL"', ' WHERE revoked_at IS NOT NULL GROUP BY alias"'),
    )


def _crl_pem() -> None:
    handler = _module("reference.pki.ca_server")._Handler
    _patch_source(
        handler,
        "_dispatch",
        (
            "crl = self.server.ca.crl().public_bytes(serialization.Encoding.DER)",
            "crl = self.server.ca.crl().public_bytes(serialization.Encoding.PEM)",
        ),
    )
    # do_GET & co. are class attributes bound to the original function: rebind them.
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{verb}", handler._dispatch)


def _cert_recorded_late() -> None:
    authority = _authority()

    def record(self: Any, alias: str, cert: Any) -> None:
        serialization = _module("cryptography.hazmat.primitives.serialization")
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

    authority._b10ca2_record = record
    _patch_source(
        authority,
        "enroll",
        (
            "    with self._lock:\n        # [CA-ENR-11] The password",
            "    # write-behind: the answer does not wait for the database\n"
            "    threading.Timer(3.0, self._b10ca2_record, (alias, cert)).start()\n"
            "    return cert\n"
            "    with self._lock:\n        # [CA-ENR-11] The password",
        ),
    )


# --- after the blind count: restarts (test_ca_restart_revocation.py) ---------------------


def _start_cleanup_inverted() -> None:
    authority = _authority()
    original = authority.__init__

    def init(self: Any, directory: Path) -> None:
        original(self, directory)
        # "Forget expired certificates at start": the comparison the wrong way round.
        now = dt.datetime.now(dt.UTC).isoformat()
        with self._lock:
            self._db.execute(
                "DELETE FROM certificates WHERE revoked_at IS NULL AND not_after > ?", (now,)
            )
            self._db.commit()

    authority.__init__ = init


def _crl_since_start() -> None:
    authority = _authority()
    original_init, original_crl = authority.__init__, authority.crl

    def init(self: Any, directory: Path) -> None:
        original_init(self, directory)
        # The revocation list lives in memory, fed by a watcher of the store from start
        # on: what was revoked before the start is the baseline it never lists.
        with self._lock:
            rows = self._db.execute(
                "SELECT serial FROM certificates WHERE revoked_at IS NOT NULL"
            ).fetchall()
        self._b10ca2_baseline = {int(serial) for (serial,) in rows}

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        ca = _ca()
        baseline: set[int] = getattr(self, "_b10ca2_baseline", set())
        original_make = ca.make_crl

        def make_crl(root_key: Any, root: Any, revoked: Any, **kw: Any) -> Any:
            fresh = [(s, w) for s, w in revoked if s not in baseline]
            return original_make(root_key, root, fresh, **kw)

        ca.make_crl = make_crl
        try:
            return original_crl(self, now=now)
        finally:
            ca.make_crl = original_make

    authority.__init__ = init
    authority.crl = crl


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
) -> Mutant:
    return Mutant(
        name=f"b10ca2-{name}",
        group="blind10-ca2",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # 1. misreadings
    _m(
        "validity-plus-skew",
        "CA-ENR-10",
        _CSR,
        "notAfter is the configured period plus an hour after the moment of issue",
        _validity_plus_skew,
    ),
    _m(
        "backdate-future",
        "CA-ENR-10",
        _CSR,
        "the backdating's sign flipped: notBefore five minutes in the future",
        _backdate_future,
    ),
    _m(
        "serial-63bits",
        "CA-ENR-10",
        _CSR,
        "serials are positive signed 64-bit integers: 63 random bits, never 64",
        _serial_63bits,
    ),
    _m(
        "serial-time-counter",
        "CA-ENR-10",
        _CSR,
        "serials are time_ns << 16 | counter: long and unique but not random",
        _serial_time_counter,
    ),
    _m(
        "serial-per-key",
        "CA-ENR-10",
        _CSR,
        "the serial is a hash of alias and key: the same key enrolled twice repeats it",
        _serial_per_key,
    ),
    _m(
        "eku-client-only",
        "PKI-CERT-1",
        _CSR,
        "employee certificates carry EKU clientAuth only (no serverAuth)",
        _eku_client_only,
    ),
    _m(
        "rsa-keyencipherment",
        "PKI-CERT-1",
        _CSR,
        "RSA employee certificates get KeyUsage digitalSignature + keyEncipherment",
        _rsa_keyencipherment,
    ),
    _m(
        "subject-with-org",
        "PKI-CERT-1",
        _CSR,
        "the employee subject is O = the root's organisation, CN = alias",
        _subject_with_org,
    ),
    _m(
        "san-alias",
        "CA-ENR-4",
        _CSR,
        "employee certificates carry a subjectAltName DNS = alias",
        _san_alias,
    ),
    _m(
        "aki-from-leaf",
        "PKI-CERT-13",
        _CSR,
        "the AuthorityKeyIdentifier is computed from the leaf's own public key",
        _aki_from_leaf,
    ),
    _m(
        "refuse-rsa-2048",
        "CA-ENR-2",
        _CSR,
        "'RSA of at least 2048 bits' read as more than 2048: RSA-2048 CSRs get bad_csr",
        _refuse_rsa_2048,
    ),
    _m(
        "crl-nextupdate-from-now",
        "CA-ENR-16",
        _HARD,
        "the CRL's thisUpdate is backdated but nextUpdate = now + 7 d: 7 d 5 min apart",
        _crl_nextupdate_from_now,
    ),
    _m(
        "crl-thisupdate-last-change",
        "CA-ENR-16",
        _HARD,
        "the CRL's thisUpdate is the latest revocation, nextUpdate now + 7 d",
        _crl_thisupdate_last_change,
    ),
    _m(
        "hostname-trailing-dot",
        "CA-ENR-17",
        _HARD,
        "the CA's host names are compared case-insensitively but a trailing dot is kept",
        _hostname_trailing_dot,
    ),
    # 2. lazy or stubbed
    _m(
        "ku-noncritical",
        "PKI-CERT-1",
        _CSR,
        "the employee KeyUsage is not marked critical",
        _ku_noncritical,
    ),
    _m(
        "ski-rsa-missing",
        "PKI-CERT-13",
        _CSR,
        "RSA employee certificates carry no SubjectKeyIdentifier (EC ones do)",
        _ski_rsa_missing,
    ),
    _m(
        "rsa-leaf-sha384",
        "PKI-CERT-1",
        _CSR,
        "certificates for RSA keys are signed with SHA-384",
        _rsa_leaf_sha384,
    ),
    _m(
        "subject-from-csr",
        "CA-ENR-4",
        _CSR,
        "the CSR's subject is kept (O, OU ...) when its CN already equals the alias",
        _subject_from_csr,
    ),
    _m(
        "pop-rsa-skipped",
        "CA-ENR-3",
        _CSR,
        "proof of possession is verified for EC CSRs only; RSA CSRs pass unsigned",
        _pop_rsa_skipped,
    ),
    _m(
        "hostname-ips-ignored",
        "CA-ENR-17",
        _HARD,
        "the host-name check knows the CA's CN and DNS SANs but not its IP addresses",
        _hostname_ips_ignored,
    ),
    _m(
        "tls-cert-no-san",
        "CA-ENR-17",
        "test_ca_own_certificate.py",
        "the CA makes its TLS certificate at start: CN = its host, no subjectAltName",
        _tls_cert_no_san,
    ),
    # 3. state
    _m(
        "serial-counter-restart",
        "CA-ENR-10",
        "test_ca_serial_restart.py",
        "serials are a random base kept on disk + a counter that restarts with the process",
        _serial_counter_restart,
    ),
    _m(
        "subject-first-alias",
        "CA-ENR-4",
        _CSR,
        "the subject is filled once: every later certificate names the first alias enrolled",
        _subject_first_alias,
    ),
    _m(
        "key-first-per-alias",
        "CA-ENR-2",
        _CSR,
        "an alias's first key is kept: a later CSR with a new key gets the old key certified",
        _key_first_per_alias,
    ),
    _m(
        "crl-cached",
        "CA-ENR-8",
        _CA,
        "the CRL is made once and served for 5 minutes: later revocations missing",
        _crl_cached,
    ),
    _m(
        "store-latest-only",
        "CA-ENR-11",
        _CA,
        "an enrolment replaces the alias's recorded certificate: revoke misses the older",
        _store_latest_only,
    ),
    _m(
        "auth-cache-revoked",
        "CA-ENR-11",
        _CA,
        "verified (alias, password) pairs are cached: a revoked alias enrols again",
        revocation_not_rechecked(_auth_cache_revoked),
    ),
    # 4. hardening
    _m(
        "backdate-2h",
        "CA-ENR-10",
        _CSR,
        "notBefore backdated by two hours (the SPEC allows one)",
        _backdate_2h,
    ),
    _m(
        "refuse-sha512-csr",
        "CA-ENR-2",
        _CSR,
        "only SHA-256 CSR signatures are accepted: SHA-384/512 CSRs get bad_csr",
        _refuse_sha512_csr,
    ),
    _m(
        "refuse-csr-extensions",
        "CA-ENR-4",
        _CSR,
        "a CSR requesting extensions is refused bad_csr instead of having them ignored",
        _refuse_csr_extensions,
    ),
    _m(
        "refuse-csr-cn-mismatch",
        "CA-ENR-4",
        _CSR,
        "a CSR whose subject is not exactly CN = alias is refused bad_csr",
        _refuse_csr_cn_mismatch,
    ),
    # 5. seams
    _m(
        "sig-hash-from-csr",
        "PKI-CERT-1",
        _CSR,
        "the certificate is signed with the CSR's hash (SHA-384/512 CSRs: not SHA-256)",
        _sig_hash_from_csr,
    ),
    _m(
        "crl-one-per-alias",
        "CA-ENR-11",
        _CA,
        "the CRL query is grouped by alias: one serial per revoked alias",
        _crl_one_per_alias,
    ),
    _m(
        "crl-pem",
        "CA-ENR-8",
        _CA,
        "GET /v1/crl serves the CRL in PEM (application/pkix-crl), not DER",
        _crl_pem,
    ),
    _m(
        "cert-recorded-late",
        "CA-ENR-11",
        _CA,
        "certificates are recorded by a write-behind timer 3 s after the answer",
        _cert_recorded_late,
    ),
    # after the blind count (written with the case that catches them)
    _m(
        "x-start-cleanup-inverted",
        "CA-ENR-11",
        "test_ca_restart_revocation.py",
        "a clean-up of expired certificates at start deletes the unexpired ones instead",
        _start_cleanup_inverted,
    ),
    _m(
        "x-crl-since-start",
        "CA-ENR-8",
        "test_ca_restart_revocation.py",
        "the CRL lists only the revocations made since the CA process started",
        _crl_since_start,
    ),
)
