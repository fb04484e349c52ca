"""Round 27, third pass (blind, area ca; helper B217): the CA (issuance, CRL, its HTTPS,
logins), through the six lenses of /work/briefs/s27/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, tls.py's contexts) before any case file was opened, then
checked against the names and descriptions of the registered CA mutants. Replaced as
repeats (r): a right password with a bad CSR counted (b15ca-bad-csr-counts-right-password),
routes matched by prefix (ca-route-prefix-match), an address key holding the port
(b*ca-addr-key-with-port), a revoked alias answered without hashing
(b25bca-revoked-fails-fast), SHA-224 CSRs (b4ca-csr-sha224), RSA sizes judged in bytes
(b9ca-rsa-size-in-bytes), alias 'localhost.' (b*ca-hostname-trailing-dot), the escaped
alias's throttle key (b16ca-throttle-key-raw-json), a root bundle (b9ca-root-bundle).
All run in the CA's server process (`ca=True`).

Lens 1 — the thin MUSTs:
- b27cca-tls-groups-ffdhe: the CA's groups add ffdhe2048 ("for clients without ECC"): a
  ClientHello offering only ffdhe2048 is served (PKI-TLS-9).
Lens 2 — the assistant's draft:
- b27cca-401-unknown-by-hand: an unknown alias's 401 is an early return whose body is a
  hand-written compact JSON literal; a wrong password's goes through the error helper: the
  same JSON value, other bytes and another Content-Length (ERR-6).
- b27cca-log-redact-regex: refused logins are logged with their body, the password
  "redacted" by the regex "password"\\s*:\\s*"[^"]*": a password holding an escaped
  quote (\\") leaves everything after it in the log (CA-ENR-5).
Lens 3 — cross-references:
- b27cca-charset-unthrottled: a body labelled `application/json; charset=utf-8` (a
  spelling CA-ENR-2 allows) is read by a compatibility path written without the throttle:
  verified, never counted, never refused 429 (CA-ENR-7).
Lens 4 — interop is not conformance:
- b27cca-crl-serial-double: the revoked serials pass through a double on their way to the
  CRL (a JSON store read as numbers): the CRL lists a serial near the revoked one, not it
  (CA-ENR-11). Its own responder and client agree on nothing here; only a serial
  comparison sees it.
Lens 5 — two faults at once:
- b27cca-lock-skips-bad-csr: a wrong password with a bad CSR is answered 401 and counted
  for the backoff, but not for the hard lock's consecutive count (CA-ENR-21: guesses with
  bad CSRs MUST NOT escape the throttle; CA-ENR-19's lock is part of it).
Lens 6 — beyond the toy sizes:
- b27cca-rsa-cap-4096: RSA keys over 4096 bits refused bad_csr (Let's Encrypt's goodkey
  habit): a valid RSA-4608 CSR is not certified (CA-ENR-2).
- b27cca-cert-quota-per-alias: an alias holding 6 unexpired certificates gets no more
  (400, "too many certificates"): the 7th honest enrolment fails (CA-ENR-2).
Post-blind siblings (phase 3, the class each new case aims at):
- b27cca-log-redact-name-literal: the pattern handles escapes in the value, but matches the
  member name as written: `"pass\\u0077ord"` is logged whole (CA-ENR-5).
- b27cca-log-redact-first-only: the parsed password replaced once in the body text: a body
  naming `password` twice keeps the other value (CA-ENR-5).
- b27cca-lock-skips-unparsed-csr: only a csr that does not parse keeps the failure out of
  the lock's count (CA-ENR-21).

Blind run (phase 2): caught by the named file: tls-groups-ffdhe (test_pki_hardening.py),
charset-unthrottled (test_ca_throttle_request_spellings.py), cert-quota-per-alias
(test_ca.py); by the whole suite only: 401-unknown-by-hand (test_ca_login_traces.py),
crl-serial-double (test_ca.py; test_ca_crl_every_revocation.py defers to it, SKIP);
missed by every pre-existing file: log-redact-regex, lock-skips-bad-csr, rsa-cap-4096.

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  log-redact-regex (+ name-literal, first-only)
                            test_ca_log_redaction_spellings.py: wrong logins whose password
      is spelt in JSON-legal ways a redacting pattern misses (escaped quote, backslash,
      escaped member name, the member twice, white space): no piece of it in ca_log
  lock-skips-bad-csr (+ unparsed-csr)
                            test_ca_bad_csr_guesses_lock.py: ca_lock_after wrong passwords
      with bad CSRs of rotating kinds, then past the backoff: 429 (locked)
  rsa-cap-4096              test_ca_rsa_beyond_4096.py: a valid RSA-4352 CSR gets 200
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27c-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_module_function(module: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(module, attr, *edits)


def _alias_known(ca: Any, alias: str) -> bool:
    with ca._lock:
        row = ca._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
    return row is not None


_AUTH_RAISE = (
    "            throttle.failed(*keys)\n"
    '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or'
    ' password")\n'
)


# --- lens 1 -----------------------------------------------------------------------------


def _tls_groups_ffdhe() -> None:
    tls = _module("reference.pki.tls")
    tls.TLS13_GROUPS = "X25519:P-256:P-384:ffdhe2048"


# --- lens 2 -----------------------------------------------------------------------------


def _unknown_401_by_hand(body: bytes) -> Any:
    def apply() -> None:
        srv = _srv()
        srv._b27c_known = _alias_known
        srv._b27c_body = body
        _patch(
            srv._Handler,
            "_enroll",
            (
                _AUTH_RAISE,
                "            throttle.failed(*keys)\n"
                "            if not _b27c_known(self.server.ca, alias):  # no account: done\n"
                "                self._send(HTTPStatus.UNAUTHORIZED, _b27c_body,"
                ' "application/json")\n'
                "                return\n"
                '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong'
                ' alias or password")\n',
            ),
        )

    return apply


def _redact(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return re.sub(r'"password"\s*:\s*"[^"]*"', '"password": "***"', text)


def _redact_name_literal(body: bytes) -> str:
    """Escapes in the value handled; the member name matched as written."""
    text = body.decode("utf-8", "replace")
    return re.sub(r'"password"\s*:\s*"(?:[^"\\]|\\.)*"', '"password": "***"', text)


def _redact_first_only(body: bytes) -> str:
    """The parsed value located and redacted once (str.replace(..., 1))."""
    import json

    text = body.decode("utf-8", "replace")
    try:
        value = json.loads(text).get("password")
    except (ValueError, AttributeError):
        return text
    if not isinstance(value, str):
        return text
    return text.replace(json.dumps(value)[1:-1], "***", 1)


def _log_redact_regex(redact: Any = _redact) -> Any:
    def apply() -> None:
        _log_redacted(redact)

    return apply


def _log_redacted(redact: Any) -> None:
    srv = _srv()
    srv._b27c_redact = redact
    handler = srv._Handler
    _patch(
        handler,
        "_read_json",
        (
            "        self.server.waiting(False)  # the whole request is in [LIM-5]\n",
            "        self._b27c_raw = body\n"
            "        self.server.waiting(False)  # the whole request is in [LIM-5]\n",
        ),
    )
    _patch(
        handler,
        "_enroll",
        (
            _AUTH_RAISE,
            "            throttle.failed(*keys)\n"
            '            _log(f"refused login: {_b27c_redact(self._b27c_raw)}")  # redacted\n'
            '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong'
            ' alias or password")\n',
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _compat_path(headers: Any) -> bool:
    """`application/json; charset=...`: the compatibility reader's requests."""
    return ";" in (headers.get("Content-Type") or "")


def _charset_unthrottled() -> None:
    srv = _srv()
    srv._b27c_compat = _compat_path
    _patch(
        srv._Handler,
        "_enroll",
        (
            "        wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]\n",
            "        # the charset-labelled reader (old clients) has no throttle of its own\n"
            "        wait = 0 if _b27c_compat(self.headers) else throttle.admit(*keys)\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _crl_serial_double() -> None:
    authority = _ca().CertificateAuthority
    _patch(
        authority,
        "crl",
        (
            "            (int(serial), dt.datetime.fromisoformat(when))\n",
            "            (int(float(serial)), dt.datetime.fromisoformat(when))\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _csr_ok(csr: str) -> bool:
    """The CA's own CSR checks, made before the lock's bookkeeping."""
    from cryptography import x509

    ca = _ca()
    data = csr.encode("utf-8", "surrogatepass")
    if data.count(b"-----BEGIN ") != 1:
        return False
    try:
        request = x509.load_pem_x509_csr(data)
        ca._check_public_key(request.public_key())
        return bool(request.is_signature_valid) and isinstance(
            request.signature_hash_algorithm, ca._CSR_DIGESTS
        )
    except Exception:
        return False


def _csr_parses(csr: str) -> bool:
    """One PEM block that loads as a PKCS#10 request (its signature and key not judged)."""
    from cryptography import x509

    data = csr.encode("utf-8", "surrogatepass")
    if data.count(b"-----BEGIN ") != 1:
        return False
    try:
        x509.load_pem_x509_csr(data)
    except Exception:
        return False
    return True


def _failed_unlocked(self: Any, *keys: str) -> None:
    """A wrong password counted for the backoff only (the lock is not advanced)."""
    with self._lock:
        saved = self.lock_after
        self.lock_after = 1 << 62
        try:
            self._count(self._release(keys), self.clock())
        finally:
            self.lock_after = saved


def _lock_skips_bad_csr(judge: Any = _csr_ok) -> Any:
    def apply() -> None:
        _lock_skips(judge)

    return apply


def _lock_skips(judge: Any) -> None:
    srv = _srv()
    srv._b27c_csr_ok = judge
    srv.LoginThrottle._b27c_failed_unlocked = _failed_unlocked
    _patch(
        srv._Handler,
        "_enroll",
        (
            _AUTH_RAISE,
            "            if _b27c_csr_ok(csr):\n"
            "                throttle.failed(*keys)\n"
            "            else:  # a broken client retrying: backoff, but no lock\n"
            "                throttle._b27c_failed_unlocked(*keys)\n"
            '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong'
            ' alias or password")\n',
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _rsa_cap_4096() -> None:
    _patch_module_function(
        _ca(),
        "_check_public_key",
        (
            "        if public_key.key_size < 2048:\n",
            "        if not 2048 <= public_key.key_size <= 4096:  # goodkey's sizes\n",
        ),
    )


def _cert_quota_per_alias() -> None:
    authority = _ca().CertificateAuthority
    _patch(
        authority,
        "enroll",
        (
            "                if row is not None and row[0] is not None:\n"
            "                    raise CaError(REVOKED_MEANWHILE)\n",
            "                if row is not None and row[0] is not None:\n"
            "                    raise CaError(REVOKED_MEANWHILE)\n"
            "                held = self._db.execute(\n"
            '                    "SELECT COUNT(*) FROM certificates WHERE alias = ?"\n'
            '                    " AND revoked_at IS NULL AND not_after > ?",\n'
            "                    (alias, _utcnow().isoformat()),\n"
            "                ).fetchone()[0]\n"
            "                if held >= 6:  # abuse guard: a few devices per employee\n"
            '                    raise CaError("too many certificates for this alias")\n',
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


_COMPACT_401 = b'{"error":"auth_failed","message":"wrong alias or password"}'

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b27cca-tls-groups-ffdhe",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "L1: the CA's TLS groups add ffdhe2048 ('for clients without ECC'): a ClientHello "
        "offering only ffdhe2048 is served",
        _tls_groups_ffdhe,
    ),
    _m(
        "b27cca-401-unknown-by-hand",
        "ERR-6",
        "test_ca_login_traces.py",
        "L2: an unknown alias's 401 is an early return with a hand-written compact JSON body; "
        "a wrong password's goes through the error helper: same JSON value, other bytes and "
        "Content-Length",
        _unknown_401_by_hand(_COMPACT_401),
    ),
    _m(
        "b27cca-log-redact-regex",
        "CA-ENR-5",
        "test_ca_log_redaction_spellings.py",
        "L2: a refused login is logged with its body, the password redacted by the regex "
        '"password"\\s*:\\s*"[^"]*": a password holding an escaped quote leaves its tail in '
        "the log",
        _log_redact_regex(),
    ),
    _m(
        "b27cca-log-redact-name-literal",
        "CA-ENR-5",
        "test_ca_log_redaction_spellings.py",
        "(post-blind) L3: the redacting pattern handles escapes in the value but matches the "
        "member name as written: a body spelling it pass\\u0077ord is logged whole",
        _log_redact_regex(_redact_name_literal),
    ),
    _m(
        "b27cca-log-redact-first-only",
        "CA-ENR-5",
        "test_ca_log_redaction_spellings.py",
        "(post-blind) L5: the parsed password is found in the body text and replaced once: a "
        "body naming password twice keeps the other value in the log",
        _log_redact_regex(_redact_first_only),
    ),
    _m(
        "b27cca-charset-unthrottled",
        "CA-ENR-7",
        "test_ca_throttle_request_spellings.py",
        "L3: a body labelled application/json; charset=utf-8 (a spelling CA-ENR-2 allows) "
        "is read by a compatibility path without the throttle: never counted, never 429",
        _charset_unthrottled,
    ),
    _m(
        "b27cca-crl-serial-double",
        "CA-ENR-11",
        "test_ca.py",
        "L4: revoked serials pass through a double on their way to the CRL (a store read as "
        "JSON numbers): the CRL lists a serial near each revoked one",
        _crl_serial_double,
    ),
    _m(
        "b27cca-lock-skips-bad-csr",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses_lock.py",
        "L5: a wrong password with a bad CSR is answered 401 and counted for the backoff, "
        "but not for the hard lock's consecutive count: bad-CSR guesses never lock the alias",
        _lock_skips_bad_csr(),
    ),
    _m(
        "b27cca-lock-skips-unparsed-csr",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses_lock.py",
        "(post-blind) L5: only a csr that does not parse as one PKCS#10 request (no PEM, two "
        "blocks, empty) keeps a wrong password out of the hard lock's count; a bad signature "
        "or key counts: guesses alternating the faults never lock the alias",
        _lock_skips_bad_csr(_csr_parses),
    ),
    _m(
        "b27cca-rsa-cap-4096",
        "CA-ENR-2",
        "test_ca_rsa_beyond_4096.py",
        "L6: RSA keys over 4096 bits refused bad_csr (Let's Encrypt's goodkey sizes): a "
        "valid RSA-4608 CSR is not certified",
        _rsa_cap_4096,
    ),
    _m(
        "b27cca-cert-quota-per-alias",
        "CA-ENR-2",
        "test_ca.py",
        "L6: an alias holding 6 unexpired certificates gets no more (400 'too many "
        "certificates'): the 7th honest enrolment of one alias fails",
        _cert_quota_per_alias,
    ),
)
