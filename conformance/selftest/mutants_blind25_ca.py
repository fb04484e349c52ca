"""Blind red-team round 25 (helper B169): the CA (HTTPS enrolment API, logins, CSR checks,
issuance, CRL, its listener), through the six lenses of /work/briefs/s25/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py) before any case file, conformance module or
independent implementation was opened, then checked against the names and descriptions of
the registered CA mutants of each requirement. Replaced as repeats (r): nextUpdate counted
from now (a dozen CRL-window mutants), a query string dropped by urlsplit routing
(b5ca-query-after-urlsplit, b9ca-query-ignored-by-router), a query refused on POST only
(b3ca-query-only-on-post), the CA's failed-login log line quoting the password
(lead23-ca-log-tried-password), a CA negotiating TLS 1.2 for everyone (b9ca-tls12-allowed
and seven more), a critical SubjectKeyIdentifier (b9ca-key-ids-critical), the slot kept by a
client that resets mid-request (b15ca-vanished-client-leaks-slot), a running backoff
evicted when the table is full (judged too slow to observe with a 2 s backoff cap).
All run in the CA's server process (`ca=True`); the admin commands run unmutated.

Lens 1 — the thin MUSTs (CA-ENR-5, CA-ENR-21, CA-ENR-20 side):
- b25ca-log-refused-body: every 400 refusal is logged with the request body it refused
  ("for debugging clients"): a body with a wrong-typed member or a bad CSR puts the
  password in the CA's log (CA-ENR-5).
- b25ca-sha1-csr-guess-uncounted: a wrong password with a well-formed CSR signed with
  SHA-1 ("an old client's openssl req, not a guesser") is answered 401 and the attempt
  released uncounted (CA-ENR-21). [Blind draft answered 400 bad_csr after verifying:
  from outside that is a conforming CSR-first CA but for the time of the hash; replaced.]
- b25ca-bad-csr-alias-only: a wrong password with a bad CSR is counted against the alias
  only ("a broken client, not an attack from the address"): guesses spread over aliases
  with bad CSRs never throttle the address (CA-ENR-21).
Lens 2 — the first draft:
- b25ca-aki-critical: every extension the CA sets marked critical but the EKU: the
  AuthorityKeyIdentifier is critical (PKI-CERT-13: neither critical).
Lens 3 — compatibility shims:
- b25ca-query-absolute-form: absolute-form targets (RFC 9112 §3.2.2, for proxies) are
  normalised to their path before the query check: `https://HOST:PORT/v1/enroll?x=1`
  is served, only origin-form queries are refused (CA-ENR-15).
- b25ca-tls12-without-alpn: TLS 1.2 tolerated for clients that offer no ALPN ("old Java
  and curl builds"); a TLS 1.2 client that offers http/1.1 is closed (CA-ENR-1).
- b25ca-subject-uid: the employee subject carries UID = alias beside the CN, for LDAP
  directories that look users up by uid (PKI-CERT-1: exactly one attribute).
Lens 4 — aging, expiry and wrap:
- b25ca-crl-next-midnight: the CRL's nextUpdate is rounded up to the next midnight UTC
  (a daily publication schedule): the window is up to 8 days (CA-ENR-16).
- b25ca-evict-newest-waiting: room for a newcomer is made by closing the NEWEST waiting
  connection (OrderedDict.popitem()'s default), not the longest-waiting: a flood that
  keeps reconnecting closes each honest client still in its handshake (LIM-5).
Lens 5 — the platform underneath:
- b25ca-handshake-failure-leaks-slot: the connection slot is given back where a served
  connection ends; a TLS handshake that fails (a port scanner, a plain-HTTP probe, a
  reset, a TLS 1.2 client) returns early and keeps its slot: max_connections failed
  handshakes and the CA answers nobody again (LIM-5).
- b25ca-failures-insert-or-ignore: failure counts written with INSERT OR IGNORE: the
  first failure's row sticks, later counts and backoffs never reach the disk, and a
  restart brings back a count of 1 (CA-ENR-20).
Post-blind sibling:
- b25ca-query-absolute-empty-passes: the absolute-form target rebuilt as path + "?query"
  when the query is non-empty, then checked: a bare `?` is lost (CA-ENR-15) — the bug
  test_ca_query_in_every_target_form.py found in ca1 and ca3.
Lens 6 — what the wire shows:
- b25ca-json-error-quotes-body: the malformed-JSON refusal says where the parser
  stopped the way V8's JSON.parse does, quoting the start of the body: the password's
  first characters are in the answer (CA-ENR-5).

Blind run (phase 2; each against the case file its requirement suggested, then every file
citing its requirement): 6 of 12 detected by the named file — aki-critical, subject-uid
(test_ca_csr.py), tls12-without-alpn (test_ca.py), crl-next-midnight
(test_pki_hardening.py), handshake-failure-leaks-slot (test_ca_stalled_clients.py),
failures-insert-or-ignore (test_ca_restart.py). Caught by another citing file:
log-refused-body and json-error-quotes-body (test_ca_refusal_kinds_keep_password.py).
Missed by every pre-existing citing file: query-absolute-form, bad-csr-alias-only,
sha1-csr-guess-uncounted, evict-newest-waiting.

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  query-absolute-form       test_ca_query_in_every_target_form.py: every route in absolute
      form (https:// and HTTPS://) with a named and a bare query: 400 bad_request
  bad-csr-alias-only, sha1-csr-guess-uncounted
                            test_ca_bad_csr_guesses_per_address.py: guesses with SHA-1,
      RSA-1024, bit-flipped and non-PEM CSRs from one address over new aliases, and for
      one alias from new addresses: 400 throughout or 401 until 429/503
  evict-newest-waiting      test_ca_flood_keeps_the_newcomer.py: a flood above the limit,
      an honest connection, 4 later silent ones admitted, then the honest GET: 200
  (log-refused-body, json-error-quotes-body: already caught; their class widened by
      test_ca_refusals_quote_no_fragment.py: 10-character pieces of a marker password
      put first in 9 malformed or refused bodies, in answers and in the declared log)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind25-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_module_function(module: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits of a module-level function, as they stand in the file."""
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(module, attr, *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """_dispatch edited, and rebound to the do_* names that copied the original."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, name, handler._dispatch)


def _csr_fault(pem: str) -> str | None:
    """None for a CSR the reference would sign; "policy" for a well-formed, well-signed
    CSR with a key PKI-CERT-1 does not allow, "weak-hash" for one signed with a hash
    weaker than SHA-256; "bad" for any other fault."""
    ca = _ca()
    try:
        csr = ca.x509.load_pem_x509_csr(pem.encode("utf-8"))
        valid = csr.is_signature_valid
        digest = csr.signature_hash_algorithm
        key = csr.public_key()
    except Exception:
        return "bad"
    if not valid and isinstance(digest, _module("cryptography.hazmat.primitives.hashes").SHA1):
        # The library refuses SHA-1 signatures outright: verified by hand, as an
        # implementation whose library still takes them sees them.
        ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
        try:
            key.verify(csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(digest))
        except Exception:
            return "bad"
        return "weak-hash"
    if not valid:
        return "bad"
    try:
        ca._check_public_key(key)
    except ca.CaError:
        return "policy"
    if not isinstance(digest, ca._CSR_DIGESTS):
        return "weak-hash"
    return None


# --- lens 1 -----------------------------------------------------------------------------


def _log_refused_body() -> None:
    srv = _srv()
    _patch(
        srv._Handler,
        "_read_json",
        (
            "        body = self.rfile.read(length)\n",
            "        body = self.rfile.read(length)\n        self._b25_body = body\n",
        ),
    )
    _patch_dispatch(
        (
            "        except _HttpError as exc:\n",
            "        except _HttpError as exc:\n"
            "            if exc.status == 400:  # what the client sent, to debug clients\n"
            "                _log(f'refused {exc.code}: '\n"
            "                     f'{getattr(self, \"_b25_body\", b\"\")[:300]!r}')\n",
        ),
    )


def _weak_hash_csr_uncounted() -> None:
    srv = _srv()
    srv._b25_csr_fault = _csr_fault
    _patch(
        srv._Handler,
        "_enroll",
        (
            "        if not right:\n",
            "        if not right and _b25_csr_fault(csr) == 'weak-hash':\n"
            "            # An old client (openssl req -sha1), not a guesser: no count.\n"
            "            throttle._release(keys)\n"
            '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
            '"wrong alias or password")\n'
            "        if not right:\n",
        ),
    )


def _bad_csr_alias_only() -> None:
    srv = _srv()
    srv._b25_csr_fault = _csr_fault
    _patch(
        srv._Handler,
        "_enroll",
        (
            "            throttle.failed(*keys)\n"
            '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
            '"wrong alias or password")\n',
            "            if _b25_csr_fault(csr) is not None:\n"
            "                # A broken client, not an attack from its address.\n"
            "                throttle.failed(keys[0])\n"
            "                throttle._release((keys[1],))\n"
            "            else:\n"
            "                throttle.failed(*keys)\n"
            '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
            '"wrong alias or password")\n',
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _aki_critical() -> None:
    _patch_module_function(
        _ca(),
        "_leaf_builder",
        (
            "            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),"
            "  # type: ignore[arg-type]\n"
            "            critical=False,\n",
            "            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),\n"
            "            critical=True,\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _query_absolute_form() -> None:
    _patch_dispatch(
        (
            '            if "?" in self.path or "#" in self.path:\n',
            "            path = self.path\n"
            '            if not path.startswith("/"):\n'
            "                path = _origin_form(path)  # proxies' absolute form: its path\n"
            '            if "?" in path or "#" in path:\n',
        ),
    )


def _tls12_without_alpn() -> None:
    srv = _srv()
    ssl = _module("ssl")
    make = srv.https_server_context

    def https_server_context(cert: Any, key: Any) -> Any:
        ctx = make(cert, key)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # old clients, see finish_request
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
        return ctx

    def legacy_only(tls_sock: Any) -> bool:
        # TLS 1.2 is for clients too old to send ALPN; a modern one must use 1.3.
        return tls_sock.version() == "TLSv1.3" or tls_sock.selected_alpn_protocol() is None

    srv.https_server_context = https_server_context
    srv._b25_legacy_only = legacy_only
    _patch(
        srv.CaServer,
        "finish_request",
        (
            "        try:\n            _Handler(tls_sock, client_address, self)\n",
            "        if not _b25_legacy_only(tls_sock):\n"
            "            close_tls(tls_sock)\n"
            "            return\n"
            "        try:\n            _Handler(tls_sock, client_address, self)\n",
        ),
    )


def _subject_uid() -> None:
    _patch_module_function(
        _ca(),
        "_leaf_builder",
        (
            "        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "
            "common_name)]))\n",
            "        .subject_name(\n"
            "            x509.Name(\n"
            "                [\n"
            "                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),\n"
            "                    x509.NameAttribute(NameOID.USER_ID, common_name),  # LDAP uid\n"
            "                ]\n"
            "            )\n"
            "        )\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _crl_next_midnight() -> None:
    ca = _ca()

    def midnight_after(when: Any) -> Any:
        day = when.replace(hour=0, minute=0, second=0, microsecond=0)
        return day if day == when else day + ca.dt.timedelta(days=1)

    ca._b25_midnight_after = midnight_after
    _patch_module_function(
        ca,
        "make_crl",
        (
            "        .next_update(now - _BACKDATE + validity)\n",
            "        .next_update(_b25_midnight_after(now - _BACKDATE + validity))  # daily\n",
        ),
    )


def _evict_newest_waiting() -> None:
    _patch(
        _srv().CaServer,
        "_close_oldest_waiting",
        ("self._waiting.popitem(last=False)", "self._waiting.popitem()"),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _handshake_failure_leaks_slot() -> None:
    srv = _srv()
    _patch(
        srv.CaServer,
        "finish_request",
        (
            "        finally:\n            close_tls(tls_sock)\n",
            "        finally:\n            close_tls(tls_sock)\n"
            "            self._slots.release()  # the connection we served has ended\n",
        ),
    )
    _patch(
        srv.CaServer,
        "process_request_thread",
        (
            "            self._forget(request)\n            self._slots.release()\n",
            "            self._forget(request)\n",
        ),
    )


def _failures_insert_or_ignore() -> None:
    _patch(
        _srv().LoginThrottle,
        "_count",
        ('"INSERT OR REPLACE INTO failures', '"INSERT OR IGNORE INTO failures'),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _json_error_quotes_body() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            '                HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"\n',
            "                HTTPStatus.BAD_REQUEST,\n"
            '                "bad_request",\n'
            "                f\"Unexpected token, {body[:40].decode('utf-8', 'replace')!r}..."
            ' is not valid JSON",\n',
        ),
    )


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _query_absolute_empty_passes() -> None:
    _patch_module_function(
        _srv(),
        "_origin_form",
        (
            "        return urlsplit(target).path or \"/\"\n",
            "        parts = urlsplit(target)  # the query kept for the check that follows\n"
            "        return (parts.path or \"/\") + "
            "(f\"?{parts.query}\" if parts.query else \"\")\n",
        ),
    )
    _query_absolute_form()


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
        "b25ca-log-refused-body",
        "CA-ENR-5",
        "test_ca_refusals_quote_no_fragment.py",
        "L1: every 400 refusal is logged with the request body it refused: a wrong-typed "
        "member or a bad CSR puts the password in the CA's log",
        _log_refused_body,
    ),
    _m(
        "b25ca-sha1-csr-guess-uncounted",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses_per_address.py",
        "L1: a wrong password with a well-formed CSR signed with SHA-1 (an old client's "
        "openssl req) is answered 401 and released uncounted: an unthrottled oracle",
        _weak_hash_csr_uncounted,
    ),
    _m(
        "b25ca-bad-csr-alias-only",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses_per_address.py",
        "L1: a wrong password with a bad CSR is counted against the alias only, never the "
        "address: guesses spread over aliases with bad CSRs never throttle the address",
        _bad_csr_alias_only,
    ),
    _m(
        "b25ca-aki-critical",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "L2: the employee certificate's AuthorityKeyIdentifier is marked critical",
        _aki_critical,
    ),
    _m(
        "b25ca-query-absolute-form",
        "CA-ENR-15",
        "test_ca_query_in_every_target_form.py",
        "L3: absolute-form targets are normalised to their path before the query check: "
        "https://HOST:PORT/v1/enroll?x=1 is served; only origin-form queries are refused",
        _query_absolute_form,
    ),
    _m(
        "b25ca-tls12-without-alpn",
        "CA-ENR-1",
        "test_ca.py",
        "L3: TLS 1.2 tolerated for clients that offer no ALPN (old clients); a TLS 1.2 "
        "client offering http/1.1 is closed",
        _tls12_without_alpn,
    ),
    _m(
        "b25ca-subject-uid",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "L3: the employee subject carries UID = alias beside CN = alias (LDAP lookups): two "
        "attributes",
        _subject_uid,
    ),
    _m(
        "b25ca-crl-next-midnight",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "L4: the CRL's nextUpdate rounded up to the next midnight UTC (daily publication): "
        "the window is up to 8 days",
        _crl_next_midnight,
    ),
    _m(
        "b25ca-evict-newest-waiting",
        "LIM-5",
        "test_ca_flood_keeps_the_newcomer.py",
        "L4: room is made by closing the newest waiting connection (OrderedDict.popitem()'s "
        "default), not the longest-waiting: a reconnecting flood closes each honest client "
        "still in its handshake",
        _evict_newest_waiting,
    ),
    _m(
        "b25ca-handshake-failure-leaks-slot",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L5: the slot is given back where a served connection ends; a failed TLS handshake "
        "(scanner, plain-HTTP probe, reset) returns early and keeps it: max_connections "
        "failed handshakes and the CA answers nobody",
        _handshake_failure_leaks_slot,
    ),
    _m(
        "b25ca-failures-insert-or-ignore",
        "CA-ENR-20",
        "test_ca_restart.py",
        "L5: failure counts written with INSERT OR IGNORE: the first failure's row sticks, "
        "and a restart brings back a count of 1 and no backoff",
        _failures_insert_or_ignore,
    ),
    _m(
        "b25ca-json-error-quotes-body",
        "CA-ENR-5",
        "test_ca_refusals_quote_no_fragment.py",
        "L6: the malformed-JSON refusal quotes the start of the body as V8's JSON.parse "
        "does: the password's first characters are in the answer",
        _json_error_quotes_body,
    ),
    _m(
        "b25ca-query-absolute-empty-passes",
        "CA-ENR-15",
        "test_ca_query_in_every_target_form.py",
        "(post-blind) L3: an absolute-form target is rebuilt from urlsplit (path, and the "
        "query when non-empty) before the query check: a bare '?' is dropped and served "
        "(found in two independent CAs)",
        _query_absolute_empty_passes,
    ),
)
