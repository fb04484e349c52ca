"""Blind red-team round 22, second pass (helper B140): the CA (HTTP enrolment API, CRL,
the effects of its admin commands on a running CA), through the six lenses of
/work/briefs/s22/common_b.md, looking where the first pass did not.

Phase 1 (blind): written from docs/SPEC.md (§2, §4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module or independent implementation was opened. The first list was checked against the
names and descriptions of the 858 registered CA mutants; nearly every first idea repeated
a registered one (the body-read flag kept per connection, one failure table for aliases and
addresses, a bad CSR leaking its pending attempt, a PSS CSR refused, 21-octet serials, the
user row read once per connection, a right password cleared in memory only, Content-Length
with leading zeros, an escaped surrogate pair not joined, the CRL cached per connection)
and was replaced by the ones marked (r), written the same way. All run in the CA's server
process (`ca=True`); the admin commands run unmutated in their own processes.

Lens 2 — the peer's freedom:
- b22bca-accept-negotiated-exactly (r): "content negotiation" on the enrolment: an
  `Accept` field that names neither `application/json` nor `*/*` as written is answered
  406 — `Accept: Application/JSON` (media types are case-insensitive) and `application/*`
  are refused though the head is the client's choice and does not change the answer
  (CA-ENR-2).
Lens 4 — two spellings of one value:
- b22bca-absolute-scheme-lowercase-only (r): an absolute-form request target is recognised
  by `startswith(("https://", "http://"))`: `HTTPS://HOST:PORT/v1/enroll` (a scheme is
  case-insensitive, RFC 3986 §3.1, RFC 9110 §4.2.3) is taken for a path and answered 404
  (CA-ENR-2).
- b22bca-throttle-key-escaped-spelling (r): the throttle's alias key is the alias as it
  was spelled in the body (found in the raw JSON text "to key the throttle before the
  parse"), the account lookup uses the decoded alias: `\\u0061lice` is a fresh key for
  alice, and a throttled alias's guesses go on being verified under each new spelling
  (CA-ENR-7).
Lens 5 — half-done actions:
- b22bca-failures-persisted-at-connection-end (r): failure counts are booked in memory at
  once (the throttle works live) and written to the SQLite file in one batch when the
  connection ends: a restart while a kept-alive connection that made the failures is
  still open loses them (CA-ENR-20).
- b22bca-alias-reserved-before-address-check (r): `admit` checks and reserves key by key
  (alias, then address) in one loop: when the address is under its backoff the 429 comes
  after the alias's pending reservation was made, and nothing releases it — four such
  refusals from a throttled address and the alias answers every login, its owner's right
  password from another address included, 503 busy for ever (CA-ENR-14).

(No lens-1, lens-3 or lens-6 mutant survived the check against the registered ones: a
per-connection login cache, a failed-login mark, a per-connection CRL, the address
checked at the head, the client certificate or the alias's own certificate taken as a
credential, keys of the two throttle kinds in one namespace were all there already.)

Blind run (phase 2: each mutant against the case file its name suggested, before any case
was read): 3 of 5 detected — throttle-key-escaped-spelling (test_ca_throttle_keys.py: N
wrong passwords for one alias, each spelled with another JSON escape, the next one 401),
failures-persisted-at-connection-end (test_ca_restart.py: a backoff started right before
the restart, a login 0.47 s after it answered 401), alias-reserved-before-address-check
(test_interop_ca_busy_leftovers.py: five wrong passwords of a fresh alias from a held
address answered 401, 503, 503, ...). Missed by the guessed file and by every other file
citing CA-ENR-2 (none sends an Accept field or an absolute-form scheme in capitals):
accept-negotiated-exactly, absolute-scheme-lowercase-only.

Phase 3, a case for their class (verified: both mutants FAIL it; the unmodified reference
PASSes it three times; ca1, ca2 and ca3 PASS it; in ca_harness.CA_FILES):
  test_ca_case_insensitive_head_tokens.py: the enrolee's login with one case-insensitive
      head token spelled otherwise — `POST HTTPS://HOST:PORT/v1/enroll`, `Accept:
      Application/JSON`, `Accept: application/*` — is 200 with a certificate (CA-ENR-2).

Post-blind (written after case files had been opened, so not measured blind; no existing
case sends what they need), lens 2, each with its case:
- b22bca-rsa-exponent-65537-only: RSA CSR keys must have e = 65537; a valid RSA-2048 CSR
  with another exponent is bad_csr (CA-ENR-2). test_ca_rsa_public_exponents.py: e = 65539
  (default run) and e = 3 (slow): 200 with a certificate for that key.
- b22bca-csr-attributes-allow-list: a CSR attribute other than extensionRequest is
  refused bad_csr (CA-ENR-2). test_ca_csr_attributes_ignored.py: a challengePassword and
  an unstructuredName attribute (what `openssl req` writes when its prompts are
  answered): 200 with a certificate for the key.
Both detected; both PASS the reference three times and ca1, ca2, ca3 (in CA_FILES).
"""

from __future__ import annotations

import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


# --- lens 2 -----------------------------------------------------------------------------


def _accept_negotiated_exactly() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            "    self._body_read = True  # what follows the body is a next request\n",
            "    self._body_read = True  # what follows the body is a next request\n"
            "    accept = self.headers.get('Accept')\n"
            "    if accept is not None and 'application/json' not in accept"
            " and '*/*' not in accept:\n"
            "        raise _HttpError(HTTPStatus.NOT_ACCEPTABLE, 'not_acceptable',"
            " 'this API answers application/json only')\n",
        ),
    )


def _rsa_exponent_65537_only() -> None:
    ca = _module("reference.pki.ca")
    _patch(
        ca,
        "_check_public_key",
        (
            "        if public_key.key_size < 2048:\n",
            "        if public_key.public_numbers().e != 65537:  # 'weak exponents'\n"
            '            raise CaError("RSA keys must use the public exponent 65537")\n'
            "        if public_key.key_size < 2048:\n",
        ),
    )


def _csr_attributes_allow_list() -> None:
    ca = _module("reference.pki.ca")
    ca._b22b_extension_request = _module("cryptography.x509").ObjectIdentifier(
        "1.2.840.113549.1.9.14"
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "        valid = csr.is_signature_valid\n",
            "        # 'attributes we do not understand': only an extensionRequest is allowed\n"
            "        if any(a.oid != _b22b_extension_request for a in csr.attributes):\n"
            "            raise CaError('bad_csr')\n"
            "        valid = csr.is_signature_valid\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _absolute_scheme_lowercase_only() -> None:
    _patch(
        _srv(),
        "_origin_form",
        (
            'if target[:8].lower() == "https://" or target[:7].lower() == "http://":',
            'if target.startswith(("https://", "http://")):',
        ),
    )


def _throttle_key_escaped_spelling() -> None:
    srv = _srv()
    re = _module("re")
    pattern = re.compile(rb'"alias"\s*:\s*"((?:[^"\\]|\\.)*)"')

    def alias_as_sent(handler: Any, alias: str) -> str:
        found = pattern.search(getattr(handler, "_b22b_raw", b""))
        return found.group(1).decode("latin-1") if found else alias

    srv._b22b_alias_as_sent = alias_as_sent
    _patch(
        srv._Handler,
        "_read_json",
        (
            "    body = self.rfile.read(length)\n",
            "    body = self.rfile.read(length)\n    self._b22b_raw = body\n",
        ),
    )
    _patch(
        srv._Handler,
        "_enroll",
        (
            'keys = (f"alias:{alias[:64]}", ',
            'keys = (f"alias:{_b22b_alias_as_sent(self, alias)[:64]}", ',
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _failures_persisted_at_connection_end() -> None:
    srv = _srv()
    local = threading.local()
    insert = "INSERT OR REPLACE INTO failures (key, count, blocked_until, last) VALUES (?, ?, ?, ?)"

    def defer(db: Any, row: tuple[Any, ...]) -> None:
        rows = getattr(local, "rows", None)
        if rows is None:
            rows = local.rows = []
        rows.append((db, row))

    srv._b22b_defer = defer
    _patch(
        srv.LoginThrottle,
        "_count",
        (
            "self._db.execute(\n"
            '                "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"\n'
            '                " VALUES (?, ?, ?, ?)",\n',
            "_b22b_defer(\n                self._db,\n",
        ),
    )
    original = srv.CaServer.process_request_thread

    def process_request_thread(self: Any, request: Any, client_address: Any) -> None:
        try:
            original(self, request, client_address)
        finally:
            rows = getattr(local, "rows", None) or []
            local.rows = []
            if rows:
                with self.throttle._lock:  # one write per connection, at its end
                    for db, row in rows:
                        db.execute(insert, row)

    srv.CaServer.process_request_thread = process_request_thread


def _alias_reserved_before_address_check() -> None:
    srv = _srv()

    def admit(self: Any, *keys: str) -> int:
        now = self.clock()
        with self._lock:
            if self._hard_locked(keys):
                return max(1, int(self.cap + 0.999))
            for key in keys:
                entry = self._keys.get(key)
                if entry is not None and entry.blocked_until > now:
                    worst = max(self._keys[k].blocked_until for k in keys if k in self._keys)
                    return max(1, int(worst - now + 0.999))
                pending = self._pending.get(key, 0)
                failures = entry.count if entry is not None else 0
                if pending >= self.pending_cap or (pending and failures + pending >= self.after):
                    return int(srv.BUSY)
                self._pending[key] = pending + 1
            return 0

    srv.LoginThrottle.admit = admit


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b22bca-{name}", "blind22b-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 2
    _m(
        "accept-negotiated-exactly",
        "CA-ENR-2",
        # blind: test_ca_head_field_freedom.py (missed, as every file citing CA-ENR-2)
        "test_ca_case_insensitive_head_tokens.py",
        "L2: an enrolment's Accept must name application/json or */* as written: "
        "Accept: Application/JSON or application/* is answered 406",
        _accept_negotiated_exactly,
    ),
    _m(
        "rsa-exponent-65537-only",
        "CA-ENR-2",
        "test_ca_rsa_public_exponents.py",
        "(post-blind) L2: RSA CSR keys must have the public exponent 65537: a valid "
        "RSA-2048 CSR with e = 3 or e = 65539 is answered bad_csr",
        _rsa_exponent_65537_only,
    ),
    _m(
        "csr-attributes-allow-list",
        "CA-ENR-2",
        "test_ca_csr_attributes_ignored.py",
        "(post-blind) L2: a CSR attribute other than extensionRequest is refused: a valid "
        "CSR carrying openssl's challengePassword or unstructuredName is answered bad_csr",
        _csr_attributes_allow_list,
    ),
    # lens 4
    _m(
        "absolute-scheme-lowercase-only",
        "CA-ENR-2",
        # blind: test_ca_same_request_spellings.py (missed, as every file citing CA-ENR-2)
        "test_ca_case_insensitive_head_tokens.py",
        "L4: an absolute-form target is recognised by a lower-case scheme only: "
        "HTTPS://HOST:PORT/v1/enroll is taken for a path and answered 404",
        _absolute_scheme_lowercase_only,
    ),
    _m(
        "throttle-key-escaped-spelling",
        "CA-ENR-7",
        "test_ca_throttle_keys.py",
        "L4: the throttle's alias key is the alias as spelled in the raw body, the lookup "
        "uses the decoded alias: each JSON-escaped spelling of a throttled alias gets "
        "fresh verified guesses",
        _throttle_key_escaped_spelling,
    ),
    # lens 5
    _m(
        "failures-persisted-at-connection-end",
        "CA-ENR-20",
        "test_ca_restart.py",
        "L5: failures are counted in memory at once and written to disk when their "
        "connection ends: a restart while that kept-alive connection is open loses them",
        _failures_persisted_at_connection_end,
    ),
    _m(
        "alias-reserved-before-address-check",
        "CA-ENR-14",
        "test_interop_ca_busy_leftovers.py",
        "L5: admit checks and reserves key by key: a 429 for a throttled address comes "
        "after the alias's pending reservation, never released; four and the alias is "
        "503 busy for ever",
        _alias_reserved_before_address_check,
    ),
)
