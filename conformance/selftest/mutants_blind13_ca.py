"""Blind red-team round 13 (ca): filled by its helper B61 (lenses13.md).

Written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA (reference/pki/ca.py,
ca_server.py) alone, before any case file or other mutant module was read. Each mutant is
one plausible implementer's bug of the CA server's process (the admin commands run in
their own, honest process). The first blind list had 29 mutants; 21 of them copied a
registered mutant (checked by name and description after the list was written) and were
replaced, still blind, by the ones marked (r).

Measured (SFT_SELFTEST=all): 10 of the 22 were detected by the suite as it stood (the
blind measure; the 12 misses were also run against the other case files citing their
requirement, with no better result). Phase 2 added test_ca_unhappy_paths.py,
test_ca_length_forms.py, test_ca_login_state.py and test_ca_restart_resets.py: 22 of 22.

Lens 1 (fail open: an error inside a check taken as "passed"):
  b13ca-csr-unknown-sigalg-passes, b13ca-crl-unparsed-rows-skipped,
  b13ca-alias-encode-ignore (r)
Lens 2 (absent means permissive):
  b13ca-close-delimited-body (r), b13ca-pending-unchecked-for-new-keys (r),
  b13ca-renewal-without-password (r)
Lens 3 (leaks on the unhappy path):
  b13ca-throttled-leaks-pending, b13ca-busy-leaks-pending (r),
  b13ca-missing-csr-leaks-pending (r), b13ca-unknown-alias-failure-no-release (r),
  b13ca-success-zeroes-pending (r), b13ca-failed-handshake-leaks-slot
Lens 4 (units and number forms):
  b13ca-serial-20-random-bytes, b13ca-serial-octets-as-bits (r),
  b13ca-content-length-32bit-wrap (r), b13ca-body-limit-kib-floor (r)
Lens 5 (part of the value compared):
  b13ca-alias-key-truncated (r), b13ca-revoked-judged-by-certificates (r),
  b13ca-content-length-ends-compared (r)
Lens 6 (half-rolled-back state):
  b13ca-bad-csr-leaves-transaction, b13ca-body-read-flag-kept,
  b13ca-success-forgets-memory-only
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _rebind_dispatch() -> None:
    """`do_GET = _dispatch` copied the function: a patched `_dispatch` needs rebinding."""
    handler = _srv()._Handler
    for verb in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, verb, handler._dispatch)


_AFTER_THROTTLE = (
    "    # Same answer, same cost for an unknown alias and a wrong password [CA-ENR-6].\n"
)


# ------------------------------------------------------------------ lens 1: fail open


def _csr_unknown_sigalg_passes() -> None:
    ca = _ca()
    hashes = _module("cryptography.hazmat.primitives.hashes")
    exceptions = _module("cryptography.exceptions")

    def sigalg(csr: Any, valid: bool) -> tuple[bool, Any]:
        # "A signature algorithm the library does not know is not ours to judge."
        try:
            return valid, csr.signature_hash_algorithm
        except exceptions.UnsupportedAlgorithm:
            return True, hashes.SHA256()

    ca._b13_sigalg = sigalg
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("digest = csr.signature_hash_algorithm", "valid, digest = _b13_sigalg(csr, valid)"),
    )


def _crl_unparsed_rows_skipped() -> None:
    ca = _ca()

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        now = now or ca._utcnow()
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, revoked_at, not_after FROM certificates"
                " WHERE revoked_at IS NOT NULL"
            ).fetchall()
        revoked = []
        for serial, when, not_after in rows:
            try:  # a row we cannot read must not take the whole CRL down
                if dt.datetime.fromisoformat(not_after) > now - ca._BACKDATE:
                    at = dt.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S")
                    revoked.append((int(serial), at.replace(tzinfo=dt.UTC)))
            except ValueError:
                continue
        return ca.make_crl(self.root_key, self.root, revoked, now=now)

    ca.CertificateAuthority.crl = crl


def _alias_encode_ignore() -> None:
    # A lone surrogate made SQLite raise (500): "sanitised" by dropping what cannot encode.
    _patch_source(
        _srv()._Handler,
        "_enroll",
        (
            "    for what, value in ",
            '    alias = alias.encode("utf-8", "ignore").decode("utf-8")\n'
            "    for what, value in ",
        ),
    )


# ------------------------------------------------------- lens 2: absent means permissive


def _close_delimited(handler: Any) -> str | None:
    """No Content-Length: a body delimited by the close (HTTP/1.0, Connection: close)."""
    handler._b13_body = None
    closing = handler.headers.get("Connection", "").lower() == "close"
    if not (closing or handler.request_version == "HTTP/1.0"):
        return None
    handler._b13_body = handler.rfile.read(_srv().MAX_BODY + 1)
    return str(len(handler._b13_body))


def _close_delimited_body() -> None:
    srv = _srv()
    srv._b13_close_delimited = _close_delimited
    _patch_source(
        srv._Handler,
        "_read_json",
        (
            'length_text = lengths[0].strip(" \\t") if lengths else None',
            'length_text = lengths[0].strip(" \\t") if lengths else _b13_close_delimited(self)',
        ),
        (
            "body = self.rfile.read(length)\n",
            'body = getattr(self, "_b13_body", None) or self.rfile.read(length)\n',
        ),
    )


def _pending_unchecked_for_new_keys() -> None:
    _patch_source(
        _srv().LoginThrottle,
        "admit",
        (
            "if pending >= self.pending_cap or (pending and failures + pending >= self.after):",
            "if key in self._keys and (\n"
            "                pending >= self.pending_cap"
            " or (pending and failures + pending >= self.after)\n"
            "            ):",
        ),
    )


def _renew(handler: Any, alias: str, csr: str) -> bool:
    """Re-enrolment of a key the alias already holds a certificate for: no password."""
    x509 = _module("cryptography.x509")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    http = _module("http")
    ca = handler.server.ca
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    try:
        key = x509.load_pem_x509_csr(csr.encode("utf-8")).public_key().public_bytes(der, spki)
    except Exception:
        return False
    with ca._lock:
        rows = ca._db.execute(
            "SELECT pem FROM certificates WHERE alias = ? AND revoked_at IS NULL", (alias,)
        ).fetchall()
    held = {x509.load_pem_x509_certificate(r[0]).public_key().public_bytes(der, spki) for r in rows}
    if key not in held:
        return False
    days = handler.server.config.validity_days
    cert = ca.enroll(alias, csr.encode("utf-8"), validity=dt.timedelta(days=days))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    handler._send_json(http.HTTPStatus.OK, {"certificate": pem})
    return True


def _renewal_without_password() -> None:
    srv = _srv()
    srv._b13_renew = _renew
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            "    throttle = self.server.throttle\n",
            '    if password == "" and _b13_renew(self, alias, csr):\n'
            "        return\n"
            "    throttle = self.server.throttle\n",
        ),
    )


# ------------------------------------------------------ lens 3: leaks on the unhappy path


def _admit_reserving_first(leak_throttled: bool, leak_busy: bool) -> Any:
    srv = _srv()

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:
            for key in keys:  # reserved first, whatever the outcome below
                self._pending[key] = self._pending.get(key, 0) + 1
            wait = 0
            if self._hard_locked(keys):
                wait = max(1, int(self.cap + 0.999))
            else:
                worst = max(
                    (self._keys[k].blocked_until for k in keys if k in self._keys), default=0.0
                )
                if worst > now:
                    wait = max(1, int(worst - now + 0.999))
            if wait:
                if not leak_throttled:
                    self._release(keys)
                return wait
            for key in keys:
                pending = self._pending[key] - 1
                failures = self._keys[key].count if key in self._keys else 0
                if pending >= self.pending_cap or (pending and failures + pending >= self.after):
                    if not leak_busy:
                        self._release(keys)
                    return int(srv.BUSY)
            return 0

    return admit


def _throttled_leaks_pending() -> None:
    _srv().LoginThrottle.admit = _admit_reserving_first(leak_throttled=True, leak_busy=False)


def _busy_leaks_pending() -> None:
    _srv().LoginThrottle.admit = _admit_reserving_first(leak_throttled=False, leak_busy=True)


def _missing_csr_leaks_pending() -> None:
    # The csr member is checked after the throttle, by a raise that skips the release.
    _patch_source(
        _srv()._Handler,
        "_enroll",
        (
            "if not all(isinstance(v, str) for v in (alias, password, csr)):",
            "if not all(isinstance(v, str) for v in (alias, password)):",
        ),
        (
            "assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)",
            "assert isinstance(alias, str) and isinstance(password, str)",
        ),
        (
            _AFTER_THROTTLE,
            "    if not isinstance(csr, str):\n"
            "        raise _HttpError(\n"
            '            HTTPStatus.BAD_REQUEST, "bad_request", "csr must be a string"\n'
            "        )\n" + _AFTER_THROTTLE,
        ),
    )


def _known(ca: Any, alias: str) -> bool:
    with ca._lock:
        return (
            ca._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone() is not None
        )


def _unknown_alias_failure_no_release() -> None:
    srv = _srv()
    srv._b13_known = _known
    _patch_source(
        srv._Handler,
        "_enroll",
        (
            "        throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
            "        if _b13_known(self.server.ca, alias):\n"
            "            throttle.failed(*keys)\n"
            "        else:\n"
            "            throttle.failure(*keys)  # (failure, not failed: nothing released)\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )


def _success_zeroes_pending() -> None:
    srv = _srv()

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            if key in self._keys:
                self._forget(key)
            for k in (key, *refunded):  # "the login is over": its keys are not pending
                self._pending.pop(k, None)

    srv.LoginThrottle.success = success


def _failed_handshake_leaks_slot() -> None:
    srv = _srv()
    socketserver = _module("socketserver")
    ssl = _module("ssl")
    tls = _module("reference.pki.tls")

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            tls_sock = tls.server_handshake(self.tls, request, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            return  # nothing to answer
        try:
            srv._Handler(tls_sock, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close_tls(tls_sock)
            self._slots.release()  # the connection is over

    def process_request_thread(self: Any, request: Any, client_address: Any) -> None:
        socketserver.ThreadingMixIn.process_request_thread(self, request, client_address)

    srv.CaServer.finish_request = finish_request
    srv.CaServer.process_request_thread = process_request_thread


# ---------------------------------------------------------- lens 4: units and number forms


def _serial_20_random_bytes() -> None:
    # "at most 20 octets": 20 random octets, forgetting DER's sign bit (21 when >= 2**159).
    _ca()._serial = lambda: int.from_bytes(secrets.token_bytes(20), "big") or 1


def _serial_octets_as_bits() -> None:
    # SERIAL_SIZE = 20 (octets, RFC 5280) handed to randbits, which counts bits.
    _ca()._serial = lambda: secrets.randbits(20) or 1


def _content_length_32bit_wrap() -> None:
    _patch_source(
        _srv()._Handler,
        "_read_json",
        ("length = int(length_text)", "length = int(length_text) & 0xFFFFFFFF  # uint32"),
    )


def _body_limit_kib_floor() -> None:
    _patch_source(
        _srv()._Handler,
        "_read_json",
        ("if length > MAX_BODY:", "if length // 1024 > MAX_BODY // 1024:  # in KiB"),
    )


# ---------------------------------------------------- lens 5: part of the value compared


def _alias_key_truncated() -> None:
    _patch_source(
        _srv()._Handler,
        "_enroll",
        ('keys = (f"alias:{alias[:64]}", ', 'keys = (f"alias:{alias[:32]}", '),
    )


def _revoked_judged_by_certificates() -> None:
    ca = _ca()

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT password FROM users WHERE alias = ?", (alias,)
            ).fetchone()
            # Revoked = its current certificate is revoked.
            last = self._db.execute(
                "SELECT revoked_at FROM certificates WHERE alias = ? ORDER BY rowid DESC LIMIT 1",
                (alias,),
            ).fetchone()
        record = row[0] if row is not None else ca._dummy_record()
        ok = bool(ca._verify_password_record(record, password))
        return ok and row is not None and not (last is not None and last[0] is not None)

    ca.CertificateAuthority.authenticate = authenticate


def _content_length_ends_compared() -> None:
    _patch_source(
        _srv()._Handler,
        "_read_json",
        (
            'if len({value.strip(" \\t") for value in lengths}) > 1:',
            'if lengths and lengths[0].strip(" \\t") != lengths[-1].strip(" \\t"):',
        ),
    )


# ----------------------------------------------------- lens 6: half-rolled-back state


def _bad_csr_leaves_transaction() -> None:
    ca = _ca()
    serialization = _module("cryptography.hazmat.primitives.serialization")
    x509 = _module("cryptography.x509")

    def enroll(
        self: Any,
        alias: str,
        csr_pem: bytes,
        *,
        validity: dt.timedelta = ca.DEFAULT_VALIDITY,
        now: dt.datetime | None = None,
    ) -> Any:
        self.check_not_host_name(alias)
        with self._lock:
            if self._db.in_transaction:
                self._db.commit()
            # One transaction from the revocation check to the recorded certificate.
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
            if row is not None and row[0] is not None:
                self._db.rollback()
                raise ca.CaError(ca.REVOKED_MEANWHILE)
            if csr_pem.count(b"-----BEGIN ") != 1:
                raise ca.CaError("bad_csr")  # (the transaction is left open)
            try:
                csr = x509.load_pem_x509_csr(csr_pem)
                valid = csr.is_signature_valid
                digest = csr.signature_hash_algorithm
                public_key = ca._check_public_key(csr.public_key())
            except Exception:
                raise ca.CaError("bad_csr") from None
            if not valid or not isinstance(digest, ca._CSR_DIGESTS):
                raise ca.CaError("bad_csr")
            cert = ca.issue_employee(
                self.root_key, self.root, alias, public_key, validity=validity, now=now
            )
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


def _body_read_flag_kept() -> None:
    _patch_source(
        _srv()._Handler,
        "_dispatch",
        ("    self._body_read = False\n", ""),
    )
    _rebind_dispatch()


def _success_forgets_memory_only() -> None:
    srv = _srv()

    def success(self: Any, key: str, *refunded: str) -> None:
        with self._lock:
            if self._keys.pop(key, None) is not None:  # (the row on disk stays)
                self._kind_sizes[srv._kind(key)] -= 1
            self._release((key, *refunded))

    srv.LoginThrottle.success = success


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b13ca-{name}",
        group="blind13-ca",
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
        "csr-unknown-sigalg-passes",
        "CA-ENR-3",
        "test_ca_login_state.py",
        "L1: a CSR whose signature algorithm the library does not recognise is taken as "
        "verified (UnsupportedAlgorithm falls back to 'valid, SHA-256')",
        _csr_unknown_sigalg_passes,
    ),
    _m(
        "crl-unparsed-rows-skipped",
        "CA-ENR-11",
        "test_ca.py",
        "L1: the CRL skips rows whose revocation time its (tz-less) parser cannot read: "
        "every revocation the admin command wrote is left off",
        _crl_unparsed_rows_skipped,
    ),
    _m(
        "alias-encode-ignore",
        "CA-ENR-6",
        "test_ca_login_state.py",
        "L1: the alias is 'sanitised' with encode(errors='ignore'): alias 'alice\\ud800' "
        "(a lone surrogate) with alice's password is certified as alice",
        _alias_encode_ignore,
    ),
    # lens 2
    _m(
        "close-delimited-body",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L2: a POST without Content-Length but with Connection: close (or HTTP/1.0) has its "
        "body read to the close (response framing applied to a request), not 411/400",
        _close_delimited_body,
    ),
    _m(
        "pending-unchecked-for-new-keys",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "L2: the pending limits apply only to keys with a failure on record: concurrent "
        "guesses on a fresh alias from a fresh address are all verified",
        _pending_unchecked_for_new_keys,
    ),
    _m(
        "renewal-without-password",
        "CA-ENR-6",
        "test_ca_login_state.py",
        "L2: an empty password is a renewal: a CSR for a key the alias already holds an "
        "unrevoked certificate for is certified without any password",
        _renewal_without_password,
    ),
    # lens 3
    _m(
        "throttled-leaks-pending",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L3: admit reserves the pending slot before the backoff check and a 429 never "
        "releases it: after the backoff the alias/address gets 503 forever",
        _throttled_leaks_pending,
    ),
    _m(
        "busy-leaks-pending",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "L3: admit reserves the pending slot first and a 503 busy never releases it: after "
        "one busy answer the alias/address stays busy",
        _busy_leaks_pending,
    ),
    _m(
        "missing-csr-leaks-pending",
        "CA-ENR-14",
        "test_ca_unhappy_paths.py",
        "L3: the csr member's type is checked after the throttle reserved the attempt, "
        "and its 400 skips the release: a few such requests make the alias/address 503",
        _missing_csr_leaks_pending,
    ),
    _m(
        "unknown-alias-failure-no-release",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L3: an unknown alias's wrong password is counted with failure() instead of "
        "failed(): counted, its pending attempt never ended (address busy for ever)",
        _unknown_alias_failure_no_release,
    ),
    _m(
        "success-zeroes-pending",
        "CA-ENR-14",
        "test_ca_unhappy_paths.py",
        "L3: a right password drops its keys' pending counts to zero (released for every "
        "attempt in flight): concurrent wrong guesses then go uncounted",
        _success_zeroes_pending,
    ),
    _m(
        "failed-handshake-leaks-slot",
        "CA-ENR-2",
        "test_ca_unhappy_paths.py",
        "L3: the connection slot is released when a handled connection ends, never after a "
        "failed TLS handshake: max_connections failed handshakes lock everyone out",
        _failed_handshake_leaks_slot,
    ),
    # lens 4
    _m(
        "serial-20-random-bytes",
        "CA-ENR-10",
        "test_ca_csr.py",
        "L4: serials are 20 random octets: half need a 21st DER octet (sign bit), over "
        "RFC 5280's 20",
        _serial_20_random_bytes,
    ),
    _m(
        "serial-octets-as-bits",
        "CA-ENR-10",
        "test_ca_csr.py",
        "L4: the serial size of 20 octets handed to randbits: 20 random bits",
        _serial_octets_as_bits,
    ),
    _m(
        "content-length-32bit-wrap",
        "CA-ENR-9",
        "test_ca.py",
        "L4: Content-Length kept in 32 bits: 2**32 + n is n, and the 4 GiB body is read as a "
        "small one instead of 413",
        _content_length_32bit_wrap,
    ),
    _m(
        "body-limit-kib-floor",
        "CA-ENR-9",
        "test_ca.py",
        "L4: the body limit compared in whole KiB (length // 1024 > 64): bodies of "
        "65537-66559 bytes are read, not 413",
        _body_limit_kib_floor,
    ),
    # lens 5
    _m(
        "alias-key-truncated",
        "CA-ENR-7",
        "test_ca_unhappy_paths.py",
        "L5: the throttle's alias key is the alias's first 32 characters: another alias's "
        "failures throttle a long alias sharing that prefix",
        _alias_key_truncated,
    ),
    _m(
        "revoked-judged-by-certificates",
        "CA-ENR-11",
        "test_ca.py",
        "L5: an alias counts as revoked when its latest certificate is: a revoked alias "
        "that never enrolled (or whose latest row is unrevoked) enrols",
        revocation_not_rechecked(_revoked_judged_by_certificates),
    ),
    _m(
        "content-length-ends-compared",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L5: of several Content-Length fields only the first and last are compared: "
        "N, M, N is taken as N and the connection kept (smuggling)",
        _content_length_ends_compared,
    ),
    # lens 6
    _m(
        "bad-csr-leaves-transaction",
        "CA-ENR-11",
        "test_ca_unhappy_paths.py",
        "L6: a refused CSR leaves the enrolment's write transaction open: the admin revoke "
        "(another process) cannot commit until the next good enrolment",
        _bad_csr_leaves_transaction,
    ),
    _m(
        "body-read-flag-kept",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L6: 'body read' is not reset per request: after an enrolment on a connection, a "
        "later request's unread body is parsed as a next request",
        _body_read_flag_kept,
    ),
    _m(
        "success-forgets-memory-only",
        "CA-ENR-19",
        "test_ca_restart_resets.py",
        "L6: a right password clears the alias's failures in memory only: after a restart "
        "the old count is back and the alias locks early",
        _success_forgets_memory_only,
    ),
)
