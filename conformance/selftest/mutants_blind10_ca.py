"""Blind red-team round 10 (ca): filled by its helper (B37).

Written from docs/SPEC.md §4.2/§4.4 and reference/pki/ca*.py alone, through the five
lenses of round 10 (1 misreading, 2 lazy/stubbed, 3 state, 4 over-eager hardening,
5 layer seams). Every mutant is the reference's CA server (`ca=True`).

Lens 1 — misreadings of the SPEC:
- b10ca-validity-midnight        notAfter rounded up to the next midnight (CA-ENR-10)
- b10ca-notbefore-yesterday      notBefore a day back: period > configured (CA-ENR-10)
- b10ca-crl-next-from-now        nextUpdate = now + 7 d, thisUpdate backdated (CA-ENR-16)
- b10ca-throttle-pair-key        one counter per (alias, address) pair (CA-ENR-7)
- b10ca-throttle-off-by-one      N + 1 failures answered 401 before the 429 (CA-ENR-7)
- b10ca-csr-sha1-accepted        a blocklist of SHA-1 and MD5: SHA-224 passes (CA-ENR-13)
- b10ca-hostname-from-host-hdr   CA-ENR-17 checked against the request's Host only
- b10ca-body-limit-inclusive     a body of exactly 65536 bytes answered 413 (CA-ENR-9)
Lens 2 — lazy or stubbed:
- b10ca-revoke-latest-only       the CRL lists each revoked alias's newest cert (CA-ENR-11)
- b10ca-pop-ec-only              RSA CSRs' signatures never verified (CA-ENR-3)
- b10ca-backoff-flat             the backoff never grows past its first step (CA-ENR-7)
- b10ca-validity-config-ignored  the 30-day default whatever is configured (CA-ENR-10)
- b10ca-unknown-alias-uncounted  failures of unknown aliases not counted (CA-ENR-7)
- b10ca-429-no-retry-after       429 without its Retry-After header (CA-ENR-7)
- b10ca-query-check-enroll-only  query strings refused on POST only (CA-ENR-15)
Lens 3 — state across enrolments, aliases, addresses, restarts:
- b10ca-crl-cached               the first CRL served for the process's life (CA-ENR-8)
- b10ca-serial-from-key          serial = H(alias, key): a re-enrolment repeats it (CA-ENR-10)
- b10ca-address-key-port         the address counter keyed with the port (CA-ENR-7)
- b10ca-success-keeps-count      a right password does not reset the alias (CA-ENR-19)
- b10ca-locks-in-memory          hard locks not written to disk (CA-ENR-19)
- b10ca-backoff-not-restored     counts restored at restart, running backoffs not (CA-ENR-20)
- b10ca-pending-leak-bad-csr     a right password with a bad CSR stays pending (CA-ENR-14)
Lens 4 — over-eager hardening:
- b10ca-alias-no-dots            aliases with a dot refused ("look like hosts") (CA-ENR-2)
- b10ca-alias-dns-label          aliases over 63 characters refused (CA-ENR-2)
- b10ca-rsa-3072-min             RSA 2048 CSRs refused (CA-ENR-2)
- b10ca-csr-sha256-only          SHA-384/512-signed CSRs refused (CA-ENR-2)
- b10ca-csr-cn-must-match        a CSR whose CN is not the alias refused (CA-ENR-4)
- b10ca-password-stripped        the password stripped of outer spaces (CA-ENR-2)
- b10ca-same-key-refused         re-enrolment with the same key refused (CA-ENR-2)
Lens 5 — layer seams:
- b10ca-key-error-bad-request    a P-384/RSA-1024 CSR mapped to bad_request (CA-ENR-13)
- b10ca-serial-db-int64          serials stored mod 2^63: the CRL lists others (CA-ENR-11)
- b10ca-root-serves-tls-cert     /v1/root serves the CA's TLS certificate (CA-ENR-8)
- b10ca-te-cl-keepalive          TE + CL read by CL, connection kept (CA-ENR-9)
- b10ca-bad-csr-uncounted        wrong password + garbage CSR: 401, not counted (CA-ENR-21)
- b10ca-query-empty-passes       urlsplit's empty query lets `/v1/enroll?` in (CA-ENR-15)

Blind measure (before any case change): 19/35 as first written; 6 more FAILed in the
file that already judges their requirement (test_ca_csr.py, test_pki_hardening.py:
test_file corrected); 4 were no bug as first written (fixed above: `_dispatch` is bound
to do_GET/do_POST at class creation; `revoke` runs in the CLI's process; OpenSSL refuses
SHA-1 signatures itself); 6 survived: the new cases of test_ca_accounts.py,
test_ca_bad_csr_guesses.py and test_ca.py's `chunked-and-whole-length` catch them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


# --- lens 1 ------------------------------------------------------------------------------


def _validity_midnight() -> None:
    _patch(
        _ca(),
        "issue_employee",
        (
            "        now + validity,\n",
            "        (now + validity).replace(hour=0, minute=0, second=0, microsecond=0)"
            " + dt.timedelta(days=1),\n",
        ),
    )


def _notbefore_yesterday() -> None:
    _patch(
        _ca(),
        "issue_employee",
        ("        now - _BACKDATE,\n", "        now - dt.timedelta(days=1),\n"),
    )


def _crl_next_from_now() -> None:
    _patch(
        _ca(),
        "make_crl",
        (".next_update(now - _BACKDATE + validity)", ".next_update(now + validity)"),
    )


def _throttle_pair_key() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        (
            'keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")',
            'keys = (f"alias:{alias[:64]}@{self.client_address[0]}",)',
        ),
        ("throttle.success(keys[0], keys[1])", "throttle.success(keys[0])"),
    )


def _throttle_off_by_one() -> None:
    _patch(
        _server().LoginThrottle,
        "_count",
        ("if entry.count >= self.after:", "if entry.count > self.after:"),
    )


def _csr_sha1_accepted() -> None:
    # A blocklist of the hashes the SPEC names (SHA-1, MD5) instead of an allow list: a
    # SHA-224 signature passes. (Written first as SHA-1 allowed; OpenSSL 3 itself refuses
    # to verify SHA-1 signatures, so that version was no bug in this reference.)
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "not isinstance(digest, _CSR_DIGESTS)",
            "isinstance(digest, (hashes.SHA1, hashes.MD5))",
        ),
    )


def _hostname_from_host_header() -> None:
    _ca().CertificateAuthority.check_not_host_name = lambda self, alias: None
    _patch(
        _server()._Handler,
        "_enroll",
        (
            "    throttle = self.server.throttle\n",
            "    host = (self.headers.get('Host') or '').rsplit(':', 1)[0].strip('[]')\n"
            "    if host and alias == host.lower().removesuffix('.'):\n"
            "        raise _HttpError(HTTPStatus.BAD_REQUEST, 'bad_request', 'alias is a host')\n"
            "    throttle = self.server.throttle\n",
        ),
    )


def _body_limit_inclusive() -> None:
    _patch(_server()._Handler, "_read_json", ("if length > MAX_BODY:", "if length >= MAX_BODY:"))


# --- lens 2 ------------------------------------------------------------------------------


def _revoke_latest_only() -> None:
    # The CRL built from each revoked alias's newest certificate. (Written first in
    # `revoke`, which the CLI runs in its own process, not the mutated server.)
    _patch(
        _ca().CertificateAuthority,
        "crl",
        (
            '" WHERE revoked_at IS NOT NULL"',
            '" WHERE revoked_at IS NOT NULL AND rowid IN'
            ' (SELECT MAX(rowid) FROM certificates GROUP BY alias)"',
        ),
    )


def _pop_ec_only() -> None:
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if (not valid and not isinstance(public_key, rsa.RSAPublicKey))"
            " or not isinstance(digest, _CSR_DIGESTS):",
        ),
    )


def _backoff_flat() -> None:
    _patch(
        _server().LoginThrottle,
        "_count",
        (
            "delay = min(self.cap, self.base * 2 ** (entry.count - self.after))",
            "delay = min(self.cap, self.base)",
        ),
    )


def _validity_config_ignored() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        (
            "validity=dt.timedelta(days=self.server.config.validity_days)",
            "validity=dt.timedelta(days=30)",
        ),
    )


def _unknown_alias_uncounted() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        (
            "        throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
            "        if alias in {u.alias for u in self.server.ca.list_users()}:\n"
            "            throttle.failed(*keys)\n"
            "        else:  # only a real account can be attacked\n"
            "            throttle.success('-', *keys)\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )


def _no_retry_after_429() -> None:
    _patch(_server()._Handler, "_enroll", ('{"Retry-After": str(wait)},', "{},"))


def _rebind_dispatch() -> None:
    # do_GET = _dispatch etc. were bound when the class was made.
    handler = _server()._Handler
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{verb}", handler._dispatch)


def _query_check_enroll_only() -> None:
    _patch(
        _server()._Handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            'if ("?" in self.path or "#" in self.path) and self.command == "POST":',
        ),
        ("path = self.path\n", 'path = self.path.split("?", 1)[0].split("#", 1)[0]\n'),
    )
    _rebind_dispatch()


# --- lens 3 ------------------------------------------------------------------------------


def _crl_cached() -> None:
    cls = _ca().CertificateAuthority
    original = cls.crl

    def crl(self: Any, *, now: Any = None) -> Any:
        cached = getattr(self, "_b10_crl", None)
        if cached is None:
            cached = original(self, now=now)
            self._b10_crl = cached  # signing is slow: once per process
        return cached

    cls.crl = crl


def _serial_from_key() -> None:
    ca = _ca()
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def serial(common_name: str, public_key: Any) -> int:
        spki = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.sha256(common_name.encode() + b"\0" + spki).digest()
        return (int.from_bytes(digest[:20], "big") >> 1) | (1 << 158)

    ca._b10_serial = serial
    _patch(
        ca,
        "_leaf_builder",
        (".serial_number(_serial())", ".serial_number(_b10_serial(common_name, public_key))"),
    )


def _address_key_port() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        (
            'f"addr:{self.client_address[0]}")',
            'f"addr:{self.client_address[0]}:{self.client_address[1]}")',
        ),
    )


def _success_keeps_count() -> None:
    _patch(
        _server().LoginThrottle,
        "success",
        ("        if key in self._keys:\n            self._forget(key)\n", ""),
    )


def _locks_in_memory() -> None:
    cls = _server().LoginThrottle
    _patch(
        cls,
        "_count",
        ('"INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)"', '"SELECT ?, ?"'),
    )
    _patch(
        cls,
        "_hard_locked",
        ("self._db is not None\n", "False\n"),
    )


def _backoff_not_restored() -> None:
    _patch(
        _server().LoginThrottle,
        "__post_init__",
        (
            "_Failures(int(count), float(blocked_until) + shift)",
            "_Failures(int(count), 0.0 * shift)",
        ),
    )


def _pending_leak_bad_csr() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        ("    throttle.success(keys[0], keys[1])\n    try:\n", "    try:\n"),
        (
            '    _log(f"issued certificate',
            '    throttle.success(keys[0], keys[1])\n    _log(f"issued certificate',
        ),
    )


# --- lens 4 ------------------------------------------------------------------------------


def _host_check_plus(extra: str) -> None:
    _patch(
        _ca().CertificateAuthority,
        "check_not_host_name",
        (
            "    if _host_key(alias) in self.host_names:\n",
            extra + "    if _host_key(alias) in self.host_names:\n",
        ),
    )


def _alias_no_dots() -> None:
    _host_check_plus(
        '    if "." in alias:\n'
        '        raise CaError("an alias with a dot looks like a host name")\n'
    )


def _alias_dns_label() -> None:
    _host_check_plus(
        "    if len(alias) > 63:\n"
        '        raise CaError("an alias is at most a DNS label (63 characters)")\n'
    )


def _rsa_3072_min() -> None:
    _patch(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if public_key.key_size < 3072:"),
    )


def _csr_sha256_only() -> None:
    _ca()._CSR_DIGESTS = (_module("cryptography.hazmat.primitives.hashes").SHA256,)


def _csr_cn_must_match() -> None:
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "        valid = csr.is_signature_valid\n",
            "        valid = csr.is_signature_valid\n"
            "        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)\n"
            "        if [str(n.value) for n in names] != [alias]:\n"
            '            raise CaError("bad_csr")\n',
        ),
    )


def _password_stripped() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        ("authenticate(alias, password)", "authenticate(alias, password.strip())"),
    )


def _same_key_refused() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def spki(key: Any) -> bytes:
        data: bytes = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return data

    def reused(self: Any, alias: str, public_key: Any) -> bool:
        with self._lock:
            rows = self._db.execute(
                "SELECT pem FROM certificates WHERE alias = ?", (alias,)
            ).fetchall()
        mine = spki(public_key)
        return any(spki(x509.load_pem_x509_certificate(r[0]).public_key()) == mine for r in rows)

    ca._b10_reused = reused
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "    cert = issue_employee(\n",
            "    if _b10_reused(self, alias, public_key):\n"
            '        raise CaError("this key was already certified: make a new key")\n'
            "    cert = issue_employee(\n",
        ),
    )


# --- lens 5 ------------------------------------------------------------------------------


def _key_error_bad_request() -> None:
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm, CaError):",
            "except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm):",
        ),
    )


def _serial_db_int64() -> None:
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        # SQLite's INTEGER is 64-bit signed: "make it fit".
        ("str(cert.serial_number),", "str(cert.serial_number % 2**63),"),
    )


def _root_serves_tls_cert() -> None:
    cls = _ca().CertificateAuthority
    cls.root_pem = lambda self: (self.directory / self.TLS_CERT).read_bytes()


def _te_cl_keepalive() -> None:
    _patch(
        _server()._Handler,
        "_read_json",
        (
            'if self.headers.get_all("Transfer-Encoding"):',
            'if self.headers.get_all("Transfer-Encoding")'
            ' and not self.headers.get_all("Content-Length"):',
        ),
    )


def _bad_csr_uncounted() -> None:
    _patch(
        _server()._Handler,
        "_enroll",
        (
            "        throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
            '        if "-----BEGIN CERTIFICATE REQUEST-----" in csr:\n'
            "            throttle.failed(*keys)\n"
            "        else:  # a malformed request, not a guess\n"
            "            throttle.success('-', *keys)\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )


def _query_empty_passes() -> None:
    server = _server()
    _module("urllib.parse")
    server.urllib = _module("urllib")
    _patch(
        server._Handler,
        "_dispatch",
        (
            'if "?" in self.path or "#" in self.path:',
            "if urllib.parse.urlsplit(self.path).query"
            " or urllib.parse.urlsplit(self.path).fragment:",
        ),
        ("path = self.path\n", "path = urllib.parse.urlsplit(self.path).path\n"),
    )
    _rebind_dispatch()


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="b10ca",
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
        "b10ca-validity-midnight",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notAfter rounded up to the next midnight UTC: up to a day past the period",
        _validity_midnight,
    ),
    _m(
        "b10ca-notbefore-yesterday",
        "CA-ENR-10",
        "test_ca_csr.py",
        "notBefore backdated by a day (not an hour): the period exceeds the configured one",
        _notbefore_yesterday,
    ),
    _m(
        "b10ca-crl-next-from-now",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "nextUpdate = now + 7 d while thisUpdate is backdated: over 604800 s apart",
        _crl_next_from_now,
    ),
    _m(
        "b10ca-throttle-pair-key",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "one failure counter per (alias, address) pair: many aliases from one address pass",
        _throttle_pair_key,
    ),
    _m(
        "b10ca-throttle-off-by-one",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the backoff starts after N + 1 failures (> instead of >=)",
        _throttle_off_by_one,
    ),
    _m(
        "b10ca-csr-sha1-accepted",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a blocklist of SHA-1 and MD5: a SHA-224-signed CSR accepted",
        _csr_sha1_accepted,
    ),
    _m(
        "b10ca-hostname-from-host-hdr",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "the alias compared with the request's Host only, not the CA's certificate names",
        _hostname_from_host_header,
    ),
    _m(
        "b10ca-body-limit-inclusive",
        "CA-ENR-9",
        "test_ca.py",
        "a body of exactly 65536 bytes answered 413 (>= instead of >)",
        _body_limit_inclusive,
    ),
    # lens 2
    _m(
        "b10ca-revoke-latest-only",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists only the newest certificate of each revoked alias",
        _revoke_latest_only,
    ),
    _m(
        "b10ca-pop-ec-only",
        "CA-ENR-3",
        "test_ca_csr.py",
        "the CSR signature is verified for EC keys only: any RSA CSR passes",
        _pop_ec_only,
    ),
    _m(
        "b10ca-backoff-flat",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the backoff stays at its base: it never doubles",
        _backoff_flat,
    ),
    _m(
        "b10ca-validity-config-ignored",
        "CA-ENR-10",
        "test_ca_csr.py",
        "certificates valid 30 days whatever validity the CA is configured with",
        _validity_config_ignored,
    ),
    _m(
        "b10ca-unknown-alias-uncounted",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "failed logins of unknown aliases are not counted (neither alias nor address)",
        _unknown_alias_uncounted,
    ),
    _m(
        "b10ca-429-no-retry-after",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "429 throttled without its Retry-After header (the wait only in the message)",
        _no_retry_after_429,
    ),
    _m(
        "b10ca-query-check-enroll-only",
        "CA-ENR-15",
        "test_ca.py",
        "query strings refused on POST only; GET /v1/crl?x is served",
        _query_check_enroll_only,
    ),
    # lens 3
    _m(
        "b10ca-crl-cached",
        "CA-ENR-8",
        "test_ca.py",
        "the first CRL is served for the process's life: later revocations never listed",
        _crl_cached,
    ),
    _m(
        "b10ca-serial-from-key",
        "CA-ENR-10",
        "test_ca_csr.py",
        "serial = H(alias, key): a re-enrolment with the same key repeats the serial",
        _serial_from_key,
    ),
    _m(
        "b10ca-address-key-port",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "the address counter keyed with the source port: per connection",
        _address_key_port,
    ),
    _m(
        "b10ca-success-keeps-count",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "a right password does not reset the alias's consecutive failures",
        _success_keeps_count,
    ),
    _m(
        "b10ca-locks-in-memory",
        "CA-ENR-19",
        "test_ca_restart.py",
        "hard locks kept in memory only: a restart unlocks the alias",
        _locks_in_memory,
    ),
    _m(
        "b10ca-backoff-not-restored",
        "CA-ENR-20",
        "test_ca_restart.py",
        "failure counts restored at restart, their running backoffs not",
        _backoff_not_restored,
    ),
    _m(
        "b10ca-pending-leak-bad-csr",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "a right password with a bad CSR stays pending: the alias/address turns busy",
        _pending_leak_bad_csr,
    ),
    # lens 4
    _m(
        "b10ca-alias-no-dots",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "aliases with a dot refused at enrolment (they look like host names)",
        _alias_no_dots,
    ),
    _m(
        "b10ca-alias-dns-label",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "aliases longer than 63 characters refused (a DNS label's limit)",
        _alias_dns_label,
    ),
    _m(
        "b10ca-rsa-3072-min",
        "CA-ENR-2",
        "test_ca_csr.py",
        "RSA keys under 3072 bits refused as bad_csr",
        _rsa_3072_min,
    ),
    _m(
        "b10ca-csr-sha256-only",
        "CA-ENR-2",
        "test_ca_csr.py",
        "CSRs signed with SHA-384 or SHA-512 refused as bad_csr",
        _csr_sha256_only,
    ),
    _m(
        "b10ca-csr-cn-must-match",
        "CA-ENR-4",
        "test_ca_csr.py",
        "a CSR whose subject CN is not the alias refused (instead of ignored)",
        _csr_cn_must_match,
    ),
    _m(
        "b10ca-password-stripped",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "the enrolment password stripped of outer white space before it is checked",
        _password_stripped,
    ),
    _m(
        "b10ca-same-key-refused",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "a re-enrolment with an already certified key refused",
        _same_key_refused,
    ),
    # lens 5
    _m(
        "b10ca-key-error-bad-request",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a CSR key PKI-CERT-1 does not allow answered 400 bad_request, not bad_csr",
        _key_error_bad_request,
    ),
    _m(
        "b10ca-serial-db-int64",
        "CA-ENR-11",
        "test_ca.py",
        "serials stored mod 2^63 (SQLite INTEGER): the CRL lists other serials",
        _serial_db_int64,
    ),
    _m(
        "b10ca-root-serves-tls-cert",
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/root serves the CA's own TLS certificate",
        _root_serves_tls_cert,
    ),
    _m(
        "b10ca-te-cl-keepalive",
        "CA-ENR-9",
        "test_ca.py",
        "Transfer-Encoding with Content-Length: read by the length, connection kept open",
        _te_cl_keepalive,
    ),
    _m(
        "b10ca-bad-csr-uncounted",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses.py",
        "a wrong password with a non-PEM CSR answered 401 but not counted",
        _bad_csr_uncounted,
    ),
    _m(
        "b10ca-query-empty-passes",
        "CA-ENR-15",
        "test_ca.py",
        "the query check uses urlsplit: an empty query (`/v1/enroll?`) is served",
        _query_empty_passes,
    ),
)
