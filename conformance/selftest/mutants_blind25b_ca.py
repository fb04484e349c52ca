"""Blind red-team round 25, second pass (helper B180): the CA (HTTPS enrolment API, logins,
issuance, CRL, its listener), through the six lenses of /work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py) before any case file or independent implementation was
opened, then checked against the registered CA mutants of each requirement and the first
pass (mutants_blind25_ca.py). Replaced as repeats (r): a failure recorded after the 401 is
written (b16ca-failure-recorded-after-answer), the per-address key holding the port
(b3ca-addr-key-includes-port and five more), a subjectAltName DNS = alias on employee
certificates (b10ca2-san-alias), the failed-login / refused-body log lines quoting the
password (lead23-ca-log-tried-password, b25ca-log-refused-body), a wrong password with a
bad CSR released uncounted (nine CA-ENR-21 mutants), TLS 1.2 for clients without ALPN
(b25ca-tls12-without-alpn), the throttle's row written INSERT OR IGNORE
(b25ca-failures-insert-or-ignore). All run in the CA's server process (`ca=True`).

Lens 1 — the thin MUSTs:
- b25bca-cn-dns-safe: the employee CN made a DNS-safe host name ("a CN is used as a host
  name, and DNS labels hold no underscore"): alias a_b is certified CN = a-b (PKI-CERT-1).
- b25bca-aki-sha256: the AuthorityKeyIdentifier computed as RFC 7093 method 1 (SHA-256 of
  the root's key, first 160 bits: "SHA-1 is deprecated") while the root's
  SubjectKeyIdentifier is RFC 5280's SHA-1: they never match (PKI-CERT-13).
Lens 2 — the first draft:
- b25bca-handshakes-not-evictable: a connection is entered in the waiting queue once its
  TLS handshake has completed: sockets silent before their ClientHello are never closed to
  make room, and a flood of them keeps every honest client out (LIM-5).
Lens 3 — compatibility shims:
- b25bca-plain-get-served: "CRL distribution points are plain HTTP (RFC 5280 §4.2.1.13)":
  a connection whose first bytes are `GET ` in clear is served in clear (root and CRL);
  anything else in clear is refused (CA-ENR-1: only over TLS 1.3).
Lens 4 — aging, expiry and wrap:
- b25bca-crl-thisupdate-at-start: the CRL's thisUpdate is the moment the CA started
  ("the revocation list as of start-up"), its nextUpdate now + 7 days: the window grows
  with the CA's uptime (CA-ENR-16).
- b25bca-success-released-after-answer: a right password's pending reservation ends after
  its 200 is written: an honest client that resets before reading its certificate leaves
  the attempt pending for ever; a few such and the alias and the address answer only
  503 busy (CA-ENR-14).
- b25bca-cn-63-chars: the CN copied into a 64-byte C buffer with its NUL: a 64-character
  alias is certified with its first 63 characters (PKI-CERT-1).
Post-blind siblings (lens 1, lens 6):
- b25bca-cn-trailing-dot-dropped: the CN normalised as a DNS name, one trailing dot
  dropped (CA-ENR-17's host-name key reused for the subject): alias x. is certified CN = x
  (PKI-CERT-1).
- b25bca-revoked-hash-locked: revocation locks the stored hash with a '!' (the passwd
  habit), and a record that is no scrypt hash is refused without hashing (CA-ENR-11).
Lens 5 — the platform underneath:
- b25bca-evict-close-without-shutdown: the longest-waiting connection is "closed" by
  closing the listener's duplicate of its descriptor, without shutdown(): the thread
  blocked on it never wakes (close() of one descriptor does not end a read on another),
  its slot is not given back, and the newcomer is refused (LIM-5).
- b25bca-count-persisted-before-increment: the failure row is written before the count is
  incremented (the old state persisted): after a restart every key is one failure short
  and its running backoff the previous one (CA-ENR-20).
Lens 6 — what the wire shows:
- b25bca-revoked-fails-fast: a revoked alias is answered 401 auth_failed before its
  password is hashed: the 401 comes a whole scrypt sooner than a wrong password's and
  tells a revoked account from a live one (CA-ENR-11: answered like a wrong password).
  (r) replaced: a cheaper dummy hash for unknown aliases (b2ca-dummy-hash-cheaper).

Blind run (phase 2; each against the case file its requirement suggested, then every file
citing its requirement): 6 of 10 detected by the named file — aki-sha256 (test_ca_csr.py),
handshakes-not-evictable (test_ca_silent_flood.py), plain-get-served (test_ca.py),
crl-thisupdate-at-start (test_pki_hardening.py), success-released-after-answer
(test_ca_vanished_logins.py), count-persisted-before-increment (test_ca_restart.py).
Caught by another citing file: evict-close-without-shutdown
(test_ca_flood_keeps_the_newcomer.py; named test_ca_stalled_clients.py missed it).
Missed by every pre-existing file citing its requirement: cn-dns-safe (test_ca_alias_forms.py
sees it, but as CA-ENR-4 only), cn-63-chars, revoked-fails-fast.

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  cn-dns-safe, cn-63-chars   test_ca_issued_cn_is_the_alias.py: fresh accounts of eight alias
      forms (64 and 33 characters, underscores, trailing dot / hyphen / underscore, doubled
      separators, digit first), each enrolled: subject exactly CN = the alias
      — sibling: cn-trailing-dot-dropped
  revoked-fails-fast         test_ca_revoked_login_costs_alike.py: two accounts added and
      revoked, their right passwords timed against unknown aliases' wrong ones, interleaved
      from fresh addresses: 401 auth_failed alike, medians within half the slower one
      — sibling: revoked-hash-locked
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25b-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


# --- lens 1 -----------------------------------------------------------------------------


def _cn_dns_safe() -> None:
    _patch(
        _ca(),
        "issue_employee",
        ("        check_alias(alias),\n", '        check_alias(alias).replace("_", "-"),\n'),
    )


def _aki_sha256() -> None:
    ca = _ca()

    def rfc7093_key_id(public_key: Any) -> Any:
        hashlib = _module("hashlib")
        serialization = _module("cryptography.hazmat.primitives.serialization")
        ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            bits = public_key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        else:
            bits = public_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
        digest = hashlib.sha256(bits).digest()[:20]
        return ca.x509.AuthorityKeyIdentifier(digest, None, None)

    ca._b25b_rfc7093_key_id = rfc7093_key_id
    _patch(
        ca,
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())",
            "_b25b_rfc7093_key_id(root.public_key())",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _handshakes_not_evictable() -> None:
    server = _srv().CaServer
    _patch(
        server,
        "_admit",
        (
            "            self._handles[raw] = handle\n            self._waiting[raw] = None\n",
            "            self._handles[raw] = handle\n",
        ),
    )
    _patch(
        server,
        "finish_request",
        (
            "            return  # failed handshake or vanished client: nothing to answer\n",
            "            return  # failed handshake or vanished client: nothing to answer\n"
            "        self.waiting(True)  # established: now it waits for a request\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _plain_get_served() -> None:
    srv = _srv()
    socket = _module("socket")
    http = _module("http")
    server = srv.CaServer
    handshake_first = server.finish_request

    class PlainGets(srv._Handler):  # type: ignore[misc, name-defined]
        """Root and CRL for fetchers that speak plain HTTP; logins only over TLS."""

        def _refuse(self) -> None:
            self._send_json(
                http.HTTPStatus.BAD_REQUEST,
                {"error": "bad_request", "message": "use https"},
                close=True,
            )

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(self.config.handshake_timeout)
            head = request.recv(4, socket.MSG_PEEK)
        except OSError:
            return
        if head == b"GET ":
            try:
                PlainGets(request, client_address, self)
            except OSError:
                pass
            return
        handshake_first(self, request, client_address)

    server.finish_request = finish_request


# --- lens 4 -----------------------------------------------------------------------------


def _crl_thisupdate_at_start() -> None:
    ca = _ca()
    ca._b25b_started = ca._utcnow()
    _patch(
        ca,
        "make_crl",
        (
            "        .last_update(now - _BACKDATE)\n",
            "        .last_update(_b25b_started - _BACKDATE)\n",
        ),
        (
            "        .next_update(now - _BACKDATE + validity)\n",
            "        .next_update(now + validity)\n",
        ),
    )


def _success_released_after_answer() -> None:
    handler = _srv()._Handler
    _patch(
        handler,
        "_enroll",
        ("        throttle.success(keys[0], keys[1])\n        try:\n", "        try:\n"),
        (
            "        except CaError as exc:\n",
            "        except CaError as exc:\n            throttle.success(keys[0], keys[1])\n",
        ),
        (
            "serialization.Encoding.PEM).decode()}\n        )\n",
            "serialization.Encoding.PEM).decode()}\n        )\n"
            "        throttle.success(keys[0], keys[1])  # bookkeeping once the client is served\n",
        ),
    )


def _cn_63_chars() -> None:
    _patch(
        _ca(),
        "issue_employee",
        ("        check_alias(alias),\n", "        check_alias(alias)[:63],\n"),
    )


def _cn_trailing_dot_dropped() -> None:
    _patch(
        _ca(),
        "issue_employee",
        ("        check_alias(alias),\n", '        check_alias(alias).removesuffix("."),\n'),
    )


def _revoked_hash_locked() -> None:
    authority = _ca().CertificateAuthority
    _patch(
        authority,
        "authenticate",
        (
            "        record = row[0] if row is not None else _dummy_record()\n"
            "        ok = _verify_password_record(record, password)\n",
            "        record = row[0] if row is not None else _dummy_record()\n"
            "        if row is not None and row[1] is not None:\n"
            '            record = "!" + record  # revoked: the hash locked, as passwd does\n'
            '        ok = record.startswith("scrypt$")'
            " and _verify_password_record(record, password)\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _evict_close_without_shutdown() -> None:
    _patch(
        _srv().CaServer,
        "_close_oldest_waiting",
        (
            "        with contextlib.suppress(OSError):\n"
            "            handle.shutdown(socket.SHUT_RDWR)\n",
            "",
        ),
    )


def _count_persisted_before_increment() -> None:
    block = (
        "            if self._db is not None:\n"
        "                wall = self.wall_clock()\n"
        "                self._db.execute(\n"
        '                    "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"\n'
        '                    " VALUES (?, ?, ?, ?)",\n'
        "                    (key, entry.count, max(0.0, entry.blocked_until - now) + wall,"
        " wall),\n"
        "                )\n"
    )
    _patch(
        _srv().LoginThrottle,
        "_count",
        (block, ""),
        ("            entry.count += 1\n", block + "            entry.count += 1\n"),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _revoked_fails_fast() -> None:
    _patch(
        _ca().CertificateAuthority,
        "authenticate",
        (
            "        record = row[0] if row is not None else _dummy_record()\n",
            "        if row is not None and row[1] is not None:\n"
            "            return False  # revoked: no need to hash anything\n"
            "        record = row[0] if row is not None else _dummy_record()\n",
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


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25bca-cn-dns-safe",
        "PKI-CERT-1",
        "test_ca_issued_cn_is_the_alias.py",
        "L1: the employee CN made a DNS-safe host name (underscore to hyphen): alias a_b is "
        "certified CN = a-b",
        _cn_dns_safe,
    ),
    _m(
        "b25bca-aki-sha256",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "L1: the AuthorityKeyIdentifier is RFC 7093 method 1 (SHA-256 of the root's key, 160 "
        "bits) while the root's SubjectKeyIdentifier is RFC 5280's SHA-1: they never match",
        _aki_sha256,
    ),
    _m(
        "b25bca-handshakes-not-evictable",
        "LIM-5",
        "test_ca_silent_flood.py",
        "L2: a connection enters the waiting queue once its TLS handshake completed: sockets "
        "silent before their ClientHello are never closed to make room, a flood of them keeps "
        "every honest client out",
        _handshakes_not_evictable,
    ),
    _m(
        "b25bca-plain-get-served",
        "CA-ENR-1",
        "test_ca.py",
        "L3: CRL fetchers' plain HTTP: a connection whose first bytes are 'GET ' in clear is "
        "served in clear (root, CRL); other requests in clear are refused 400",
        _plain_get_served,
    ),
    _m(
        "b25bca-crl-thisupdate-at-start",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "L4: the CRL's thisUpdate is the CA's start-up, its nextUpdate now + 7 d: the window "
        "grows past 7 days with the CA's uptime",
        _crl_thisupdate_at_start,
    ),
    _m(
        "b25bca-success-released-after-answer",
        "CA-ENR-14",
        "test_ca_vanished_logins.py",
        "L4: a right password's pending reservation ends after its 200 is written: a client "
        "that resets before its answer leaves it pending for ever; a few such and the alias "
        "and the address answer 503 busy only",
        _success_released_after_answer,
    ),
    _m(
        "b25bca-cn-63-chars",
        "PKI-CERT-1",
        "test_ca_issued_cn_is_the_alias.py",
        "L4: the CN copied into a 64-byte C buffer with its NUL: a 64-character alias is "
        "certified with its first 63 characters",
        _cn_63_chars,
    ),
    _m(
        "b25bca-evict-close-without-shutdown",
        "LIM-5",
        "test_ca_flood_keeps_the_newcomer.py",
        "L5: the longest-waiting connection is closed through the listener's duplicate "
        "descriptor without shutdown(): its thread never wakes, its slot is not given back, "
        "the newcomer is refused",
        _evict_close_without_shutdown,
    ),
    _m(
        "b25bca-count-persisted-before-increment",
        "CA-ENR-20",
        "test_ca_restart.py",
        "L5: the failure row is written before the count is incremented: after a restart each "
        "key is one failure short and its running backoff the previous one",
        _count_persisted_before_increment,
    ),
    _m(
        "b25bca-revoked-fails-fast",
        "CA-ENR-11",
        "test_ca_revoked_login_costs_alike.py",
        "L6: a revoked alias's login is answered 401 auth_failed without hashing the "
        "password: its 401 comes a whole scrypt sooner than a wrong password's",
        _revoked_fails_fast,
    ),
    _m(
        "b25bca-cn-trailing-dot-dropped",
        "PKI-CERT-1",
        "test_ca_issued_cn_is_the_alias.py",
        "(post-blind) L1: the CN normalised as a DNS name, one trailing dot dropped (the "
        "host-name comparison's key reused): alias x. is certified CN = x",
        _cn_trailing_dot_dropped,
    ),
    _m(
        "b25bca-revoked-hash-locked",
        "CA-ENR-11",
        "test_ca_revoked_login_costs_alike.py",
        "(post-blind) L6: revocation locks the stored hash with a '!' (the passwd habit) and a "
        "record that is no scrypt hash is refused unhashed: a revoked alias's 401 comes a "
        "whole scrypt sooner",
        _revoked_hash_locked,
    ),
)
