"""Blind red-team round 19 (helper B105): the CA (HTTP enrolment API, CRL, throttle, its
restart, its admin commands' effects), through the six lenses of /work/briefs/s19/common.md.

Phase 1 (blind): written from docs/SPEC.md (§0, §2, §4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, tls.py, reference/cli/ca.py) before any case file,
conformance module or independent implementation was opened. A first list of about forty
ideas was checked against the names and descriptions of the 793 registered CA mutants; most
were there already (Content-Length in 32 bits, the body limit in characters, a NUL in the
password, bcrypt's 72, 63-bit serials, int() lenient lengths, the CSR as bare base64,
success clearing the address, the locked alias's right password, revoked 403, the
generator seeded at start, TLS 1.2 from create_default_context, local time in the CRL,
raw_decode, SQL LIKE, ...) and were replaced by the ones below, written the same way.
All run in the CA's server process (`ca=True`); the admin commands (`user add`, `revoke`)
run unmutated in their own processes. A mutant that re-executes itself on SIGHUP (the
reference's restart) is planted again in the new process image.

Lens 1 — library defaults and their surprises:
- b19ca-json-bytes-autodetect: json.loads() is handed the body's bytes: Python detects
  UTF-16 and UTF-32 by their NUL pattern, so a UTF-16 or UTF-32 login is read as a login
  (application/json is UTF-8 only, RFC 8259 §8.1: malformed, 400 bad_request).
- b19ca-password-cap-4096: Django's MAXIMUM_PASSWORD_LENGTH habit: a candidate password
  over 4096 characters is answered as a wrong one without hashing (the account store
  took it: CA-ENR-2 "no cap on its length that the account store did not apply").
- b19ca-restart-joins-connections: socketserver's defaults (block_on_close=True,
  non-daemon threads): server_close() at a SIGHUP restart waits for every open
  connection's thread; one idle keep-alive connection holds the restarted CA silent
  until its idle timeout (LIM-5).
Lens 2 — porting idioms:
- b19ca-csr-nul-terminated: the csr handed to the PEM reader and the one-block check as a
  C string: a second PEM block after a NUL is invisible, the first is certified (CA-ENR-13).
- b19ca-csr-last-char-chomped: `csr[:-1]` drops "the" trailing newline: a CSR sent without
  one loses the last dash of its END line and is refused bad_csr (CA-ENR-2).
- b19ca-alias-key-63: the throttle's alias key cut at 63 characters (a slice one short of
  the 64 an alias may have): two 64-character aliases differing in their last character
  share one failure count (CA-ENR-7).
- b19ca-host-names-js-in: the CA-ENR-17 check ported from JavaScript's `alias in names`,
  which tests an array's indices: the aliases '0' and '1' are refused as host names, the
  CA's own names ('localhost', '127.0.0.1') enrol.
Lens 3 — feature interactions:
- b19ca-throttle-gates-every-route: the login throttle as a per-address gate in front of
  every route (a rate-limit middleware's default scope): an address in backoff gets 429
  for GET /v1/crl and /v1/root too (CA-ENR-8).
- b19ca-body-budget-per-connection: the 64 KiB body limit kept as a per-connection budget
  (set in setup()): a second 40 KiB request on a kept-alive connection is answered 413.
- b19ca-restart-tls-default-context: the restart path (an inherited listening socket)
  builds its HTTPS context with ssl.create_default_context(): after a SIGHUP restart the
  CA negotiates TLS 1.2 (CA-ENR-1).
Lens 4 — trusting its own earlier state:
- b19ca-restart-pending-rule-fresh: the pending rule (CA-ENR-14) reads failure counts from
  an in-memory table of its own that a restart does not rebuild from the persisted counts:
  after a restart, concurrent guesses at an alias with N failures are all verified.
- b19ca-locked-retry-after-from-since: the hard lock's Retry-After is computed from the
  lock's stored `since` like a running backoff (cap - elapsed): it shrinks to 1 s while
  the lock holds (CA-ENR-19: the cap).
- b19ca-restart-drops-ghost-locks: start-up housekeeping trusts the account table: hard
  locks of aliases that have no account are deleted ("deleted users"): a restart unlocks
  an unknown alias (CA-ENR-19, CA-ENR-7: unknown aliases count like known ones).
Lens 5 — what the user and the peer are told:
- b19ca-locked-403: a hard-locked alias is answered 403 {"error": "locked"} (the account
  lock's usual REST answer) instead of 429 throttled.
- b19ca-throttle-codes-from-phrase: the 429 and 503 refusals go through the generic
  status helper: their error codes are "too_many_requests" and "service_unavailable"
  (headers kept), not "throttled" and "busy".
- b19ca-huge-length-silent-close: a Content-Length over 1 MiB is dropped without an
  answer ("an attacker gets nothing"): the client sees a bare close, not 413.
- b19ca-wrong-password-403: REST's 401/403 confusion: a wrong password (and an unknown
  alias, alike) is answered 403 auth_failed.
Lens 6 — refactoring slips:
- b19ca-not-after-from-not-before: the certificate row's not_after is written from
  not_valid_before_utc (autocomplete): the CRL's expiry filter drops every revoked
  certificate at once (CA-ENR-11).
- b19ca-address-key-server-address: `self.server.server_address[0]` for
  `self.client_address[0]`: every client's failures land on one address key (the CA's
  own), so one client's guesses throttle every other address (CA-ENR-7).
- b19ca-query-check-after-routing: the route lookup moved above the query-string check:
  `/v1/enroll?x=1` is 404 not_found instead of 400 bad_request (CA-ENR-15).

Blind run (phase 2: each mutant against the case file its name suggested, before any
case was read): 7 of 20 detected — locked-retry-after-from-since, locked-403,
throttle-codes-from-phrase (test_ca_throttle.py), wrong-password-403,
query-check-after-routing (test_ca.py), not-after-from-not-before
(test_ca_revocation_records.py), address-key-server-address (test_ca_throttle_keys.py).
Caught by another file citing the requirement (test_file now names it): host-names-js-in
(test_ca_answer_forms.py, test_ca_csr_forms.py), huge-length-silent-close (test_ca.py:
its 64 MiB / 1 TiB announced bodies), csr-last-char-chomped
(test_interop_ca_csr_line_ends.py: its requests without a final line end). Missed by
every file citing the requirement (each mutant run once against all of them with
--only-req): the ten below. json-bytes-autodetect breaks nothing the SPEC says
(SPEC_SILENT at the end). Phase 3, cases for the CLASS of the other nine (each verified:
the mutant FAILs the named file; the unmodified reference PASSes it three times):
  csr-nul-terminated             test_ca_csr_whole_string.py: the csr is the whole JSON
      string: a request, U+0000 and a second block (another request; the root: slow) is
      400 bad_csr
  password-cap-4096              test_ca_password_lengths.py: a password the store took is
      checked whole: 4097 characters and 60 000 characters (4097 UTF-8 bytes in 2049
      characters: slow) enrol, and the same with the last character changed is 401
  throttle-gates-every-route     test_ca_read_routes_while_throttled.py: an address in
      backoff (failed to its 429) still gets GET /v1/crl and /v1/root, 200
  body-budget-per-connection     test_ca_body_limit_per_request.py: on one kept-alive
      connection, 1000 then 65536 bytes (the boundary) and 40000 + 40000 bytes are each
      answered as their own login, never 413
  restart-tls-default-context, restart-pending-rule-fresh, restart-joins-connections,
  restart-drops-ghost-locks      test_ca_restart_keeps_every_rule.py: one restart
      (ca_restart_cmd) with a made-up alias at its hard lock, another at N failures and a
      client trickling a login's body; after it: a fresh GET answered within 20 s (LIM-5),
      TLS 1.2 refused (CA-ENR-1), 4 concurrent guesses at the N-failure alias get at most
      one 401 (CA-ENR-14), the made-up alias still 429 past its backoff (CA-ENR-19)
  alias-key-63                   test_ca_alias_keys_whole_length.py: two 64-character
      aliases one letter apart (the last; the first: slow) are throttled apart
The six files PASS the unmodified clean-room CAs ca2 and ca3 and ca1 (whose target has no
ca_restart_cmd: the restart case SKIPs there), and are in ca_harness.CA_FILES.

Noticed in the reference (lens 1, not fixed here): the CA reads Content-Length with
str.strip(), which on the header's Latin-1 text also strips VT, FF, U+001C-U+001F, U+0085
and U+00A0: "Content-Length: 65" followed by U+00A0 (or VT, U+001C, U+0085) is taken as 65
and the login is certified, where CA-ENR-9 makes such a length none (411/400 and close;
only SP and HTAB are OWS, RFC 9110 §5.5). ca_server.py: _read_json (both strip() calls)
and _body_left_unread; the fix is to strip SP and HTAB only.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS", "SPEC_SILENT"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited, and the do_* methods bound to it again (they hold the
    original function, bound when the class was made)."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


_AUTH_LINE = "right = self.server.ca.authenticate(alias, password)"


# --- lens 1 -----------------------------------------------------------------------------


def _json_bytes_autodetect() -> None:
    # "json.loads takes bytes": the decode step is dropped, and Python's json detects the
    # encoding of a bytes argument (UTF-8, UTF-16 or UTF-32, by the NULs of the first
    # bytes): a login encoded in UTF-16 is read as a login.
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            'value = json.loads(body.decode("utf-8"), parse_constant=_not_json)',
            "value = json.loads(body, parse_constant=_not_json)",
        ),
    )


def _password_cap_4096() -> None:
    # Django's MAXIMUM_PASSWORD_LENGTH (CVE-2013-1443's fix): a candidate password over
    # 4096 characters is a wrong password, answered (and counted) without hashing.
    _patch_enroll_handler(
        (
            _AUTH_LINE,
            "right = len(password) <= 4096 and self.server.ca.authenticate(alias, password)",
        )
    )


def _restart_joins_connections() -> None:
    # socketserver's defaults left in place: handler threads are tracked and joined by
    # server_close(). At a SIGHUP restart the old process waits for every open
    # connection's handler to end (an idle keep-alive one: its idle timeout) before the
    # new image starts; connections queue unanswered in the kept listener meanwhile.
    server = _srv().CaServer
    server.block_on_close = True
    server.daemon_threads = False


# --- lens 2 -----------------------------------------------------------------------------


def _csr_nul_terminated() -> None:
    # The csr is handed to a C PEM reader (BIO_new_mem_buf(csr, -1): strlen) and the
    # one-block check runs on the same C string: whatever follows a NUL — a second
    # CERTIFICATE REQUEST block — is invisible; the first block is certified.
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            'if csr_pem.count(b"-----BEGIN ") != 1:',
            'csr_pem = csr_pem.split(bytes(1), 1)[0]\n    if csr_pem.count(b"-----BEGIN ") != 1:',
        ),
    )


def _csr_last_char_chomped() -> None:
    # "PEM ends with a newline; drop it" as a slice (Perl's chop, not chomp): a csr that
    # does not end with a newline loses the last dash of its END line.
    _patch_enroll_handler(('csr.encode("utf-8"),', 'csr[:-1].encode("utf-8"),'))


def _alias_key_63() -> None:
    # The alias part of the throttle key cut one short ([:63] for the 64 an alias may
    # have): two 64-character aliases that differ only in their last character share one
    # failure count, one alias's guesses throttle the other.
    _patch_enroll_handler(('f"alias:{alias[:64]}"', 'f"alias:{alias[:63]}"'))


def _host_names_js_in() -> None:
    # `if (alias in hostNames)` ported from JavaScript, where `in` on an array tests its
    # indices: the check refuses the aliases '0', '1' (valid aliases the account store
    # accepts) and lets the CA's own names through.
    _patch(
        _ca().CertificateAuthority,
        "check_not_host_name",
        (
            "if _host_key(alias) in self.host_names:",
            "if _host_key(alias) in [str(i) for i in range(len(self.host_names))]:",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _throttle_gates_every_route() -> None:
    # The throttle as a rate-limit middleware whose scope is the whole API (the usual
    # default of such middlewares): an address in backoff is answered 429 on every route,
    # GET /v1/crl and /v1/root included, before routing.
    srv = _srv()

    def gate(handler: Any) -> None:
        wait = handler.server.throttle.retry_after(f"addr:{handler.client_address[0]}")
        if wait:
            raise srv._HttpError(
                srv.HTTPStatus.TOO_MANY_REQUESTS,
                "throttled",
                f"too many failed logins; retry after {wait} s",
                {"Retry-After": str(wait)},
            )

    srv._b19_gate = gate
    _patch_dispatch(("path = self.path\n", "path = self.path\n        _b19_gate(self)\n"))


def _body_budget_per_connection() -> None:
    # "No connection may send more than 64 KiB of bodies": the limit becomes a budget set
    # once per connection (in setup()) and spent by each body: a second sizeable request
    # on a kept-alive connection is answered 413 though it is under 64 KiB.
    srv = _srv()
    handler = srv._Handler
    setup = handler.setup

    def budgeted_setup(self: Any) -> None:
        setup(self)
        self._b19_budget = srv.MAX_BODY

    handler.setup = budgeted_setup
    _patch(
        handler,
        "_read_json",
        ("if length > MAX_BODY:", "if length > self._b19_budget:"),
        (
            "body = self.rfile.read(length)\n",
            "body = self.rfile.read(length)\n    self._b19_budget -= len(body)\n",
        ),
    )


def _restart_tls_default_context() -> None:
    # The restart path (a listening socket inherited from the previous image) was added
    # later and builds its HTTPS context with the stdlib recipe: TLS 1.2 and OpenSSL's
    # default suites are back after a SIGHUP restart.
    srv = _srv()
    ssl = _module("ssl")
    make = srv.https_server_context
    holder: dict[str, Any] = {}

    def https_server_context(cert: Any, key: Any) -> Any:
        if not holder.get("inherited"):
            return make(cert, key)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    server_init = srv.CaServer.__init__

    def init(self: Any, ca: Any, config: Any, inherited: Any = None) -> None:
        holder["inherited"] = inherited is not None
        server_init(self, ca, config, inherited)

    srv.https_server_context = https_server_context
    srv.CaServer.__init__ = init


# --- lens 4 -----------------------------------------------------------------------------


def _live(throttle: Any) -> dict[str, int]:
    live: dict[str, int] = throttle.__dict__.setdefault("_b19_live", {})
    return live


def _restart_pending_rule_fresh() -> None:
    # The concurrency rule keeps its own in-memory failure counts, updated at each
    # failure; the persisted counts rebuild only the backoff table at start. After a
    # restart an alias with N failures has none for the pending rule: once its backoff
    # has run out, concurrent guesses (up to the pending cap) are all verified.
    srv = _srv()
    srv._b19_live = _live
    throttle = srv.LoginThrottle
    _patch(
        throttle,
        "admit",
        (
            "failures = self._keys[key].count if key in self._keys else 0",
            "failures = _b19_live(self).get(key, 0)",
        ),
    )
    _patch(
        throttle,
        "_count",
        ("entry.count += 1\n", "entry.count += 1\n        _b19_live(self)[key] = entry.count\n"),
    )
    _patch(
        throttle,
        "_forget",
        (
            "if self._keys.pop(key, None) is not None:",
            "_b19_live(self).pop(key, None)\n    if self._keys.pop(key, None) is not None:",
        ),
    )


def _locked_retry_after_from_since() -> None:
    # The hard lock answered like a running backoff: Retry-After is the cap minus the time
    # since the lock was recorded (its `since`), at least 1: it shrinks while the lock
    # holds for good.
    srv = _srv()
    time = _module("time")

    def lock_wait(throttle: Any, keys: tuple[str, ...]) -> int:
        since = None
        if throttle._db is not None:
            for key in keys:
                row = throttle._db.execute(
                    "SELECT since FROM locks WHERE key = ?", (key,)
                ).fetchone()
                if row is not None:
                    since = float(row[0])
                    break
        left = throttle.cap if since is None else throttle.cap - (time.time() - since)
        return max(1, int(left + 0.999))

    srv._b19_lock_wait = lock_wait
    for method in ("admit", "retry_after"):
        _patch(
            srv.LoginThrottle,
            method,
            (
                "if self._hard_locked(keys):\n            return max(1, int(self.cap + 0.999))",
                "if self._hard_locked(keys):\n            return _b19_lock_wait(self, keys)",
            ),
        )


def _restart_drops_ghost_locks() -> None:
    # Start-up housekeeping of the lock table: a lock whose alias has no account ("a
    # deleted user") is dropped. Unknown aliases are counted and locked like known ones
    # (CA-ENR-7); a restart unlocks them.
    srv = _srv()

    def sweep(locks: Path | None) -> None:
        if locks is None:
            return
        users = Path(locks).with_name("ca.db")
        if not users.is_file():
            return
        with closing(sqlite3.connect(users)) as db:
            known = {f"alias:{row[0]}" for row in db.execute("SELECT alias FROM users")}
        with closing(sqlite3.connect(locks, isolation_level=None)) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, since REAL NOT NULL)"
            )
            for (key,) in db.execute("SELECT key FROM locks").fetchall():
                if key.startswith("alias:") and key not in known:
                    db.execute("DELETE FROM locks WHERE key = ?", (key,))

    post_init = srv.LoginThrottle.__post_init__

    def swept(self: Any) -> None:
        sweep(self.locks)
        post_init(self)

    srv.LoginThrottle.__post_init__ = swept


# --- lens 5 -----------------------------------------------------------------------------


def _locked_403() -> None:
    # An account lock answered the REST way: 403 {"error": "locked"} "ask an
    # administrator", before the throttle's own answer.
    srv = _srv()

    def locked(throttle: Any, keys: tuple[str, ...]) -> None:
        with throttle._lock:
            held = throttle._hard_locked(keys)
        if held:
            raise srv._HttpError(
                srv.HTTPStatus.FORBIDDEN, "locked", "this alias is locked: ask an administrator"
            )

    srv._b19_locked = locked
    _patch_enroll_handler(
        (
            "wait = throttle.admit(*keys)",
            "_b19_locked(throttle, keys)\n    wait = throttle.admit(*keys)",
        )
    )


def _throttle_codes_from_phrase() -> None:
    # The refusals unified under one helper whose error code is the status's phrase (as
    # send_error's table does for the codes it does not list): too_many_requests and
    # service_unavailable. The Retry-After headers are kept.
    _patch_enroll_handler(
        ('"busy",', 'HTTPStatus.SERVICE_UNAVAILABLE.phrase.lower().replace(" ", "_"),'),
        ('"throttled",', 'HTTPStatus.TOO_MANY_REQUESTS.phrase.lower().replace(" ", "_"),'),
    )


def _huge_length_silent_close() -> None:
    # "Nothing for an attacker": an announced body over 1 MiB is dropped with a bare
    # close, no answer (the 413 only for bodies the CA would read anyway).
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "if length <= 16 * MAX_BODY:",
            "if length > 16 * MAX_BODY:\n"
            '            raise ConnectionAbortedError("dropped")\n'
            "        if length <= 16 * MAX_BODY:",
        ),
    )


def _wrong_password_403() -> None:
    # 401 or 403? "The client is known to be refused": a wrong password (and an unknown
    # alias, the same answer) is 403 auth_failed.
    _patch_enroll_handler(
        (
            'HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password"',
            'HTTPStatus.FORBIDDEN, "auth_failed", "wrong alias or password"',
        )
    )


# --- lens 6 -----------------------------------------------------------------------------


def _not_after_from_not_before() -> None:
    # Autocomplete picked the sibling attribute: each certificate is recorded with its
    # notBefore in the not_after column; the CRL's "not yet expired" filter then drops
    # every revoked certificate (notBefore is 5 minutes in the past).
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        ("cert.not_valid_after_utc.isoformat(),", "cert.not_valid_before_utc.isoformat(),"),
    )


def _address_key_server_address() -> None:
    # The wrong one of two address attributes of the handler: the server's own address
    # for the client's. Every client's failures land on one key.
    _patch_enroll_handler(
        ('f"addr:{self.client_address[0]}"', 'f"addr:{self.server.server_address[0]}"')
    )


def _query_check_after_routing() -> None:
    # The route lookup moved to the top of the handler ("unknown paths first"): a target
    # with a query string is no route, answered 404, and the query check below never runs.
    _patch_dispatch(
        (
            'if "?" in self.path or "#" in self.path:',
            "if self._ROUTES.get(self.path) is None:\n"
            '            raise _HttpError(HTTPStatus.NOT_FOUND, "not_found", "no such path")\n'
            '        if "?" in self.path or "#" in self.path:',
        )
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b19ca-{name}", "blind19-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "password-cap-4096",
        "CA-ENR-2",
        "test_ca_password_lengths.py",
        "L1: Django's 4096-character password cap: a right password over 4096 characters "
        "(the account store took it) is answered 401 without hashing",
        _password_cap_4096,
    ),
    _m(
        "restart-joins-connections",
        "LIM-5",
        "test_ca_restart_keeps_every_rule.py",
        "L1: socketserver's block_on_close default: a SIGHUP restart waits for every open "
        "connection (an idle keep-alive one: its idle timeout); nobody is answered meanwhile",
        _restart_joins_connections,
    ),
    # lens 2
    _m(
        "csr-nul-terminated",
        "CA-ENR-13",
        "test_ca_csr_whole_string.py",
        "L2: the csr read as a C string: a second PEM block after a NUL is invisible to the "
        "one-block check, the first block is certified",
        _csr_nul_terminated,
    ),
    _m(
        "csr-last-char-chomped",
        "CA-ENR-2",
        "test_interop_ca_csr_line_ends.py",
        "L2: csr[:-1] drops 'the' trailing newline: a CSR sent without one loses the last "
        "dash of its END line and is refused bad_csr",
        _csr_last_char_chomped,
    ),
    _m(
        "alias-key-63",
        "CA-ENR-7",
        "test_ca_alias_keys_whole_length.py",
        "L2: the throttle's alias key is alias[:63]: two 64-character aliases differing in "
        "their last character share one failure count",
        _alias_key_63,
    ),
    _m(
        "host-names-js-in",
        "CA-ENR-17",
        "test_ca_answer_forms.py",
        "L2: JavaScript's `alias in names` on an array tests indices: the aliases 0 and 1 "
        "are refused as host names, localhost and 127.0.0.1 enrol",
        _host_names_js_in,
    ),
    # lens 3
    _m(
        "throttle-gates-every-route",
        "CA-ENR-8",
        "test_ca_read_routes_while_throttled.py",
        "L3: the throttle gates every route per address: an address in backoff gets 429 for "
        "GET /v1/crl and /v1/root",
        _throttle_gates_every_route,
    ),
    _m(
        "body-budget-per-connection",
        "CA-ENR-9",
        "test_ca_body_limit_per_request.py",
        "L3: the 64 KiB body limit is a per-connection budget: a second 40 KiB request on a "
        "kept-alive connection is answered 413",
        _body_budget_per_connection,
    ),
    _m(
        "restart-tls-default-context",
        "CA-ENR-1",
        "test_ca_restart_keeps_every_rule.py",
        "L3: after a SIGHUP restart (inherited listener) the HTTPS context comes from "
        "ssl.create_default_context(): TLS 1.2 is negotiated",
        _restart_tls_default_context,
    ),
    # lens 4
    _m(
        "restart-pending-rule-fresh",
        "CA-ENR-14",
        "test_ca_restart_keeps_every_rule.py",
        "L4: the pending rule's failure counts are an in-memory table a restart does not "
        "rebuild: after a restart, concurrent guesses at an alias with N failures are all "
        "verified",
        _restart_pending_rule_fresh,
    ),
    _m(
        "locked-retry-after-from-since",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "L4: a hard lock's Retry-After is the cap minus the time since the lock was recorded: "
        "it shrinks to 1 s while the lock holds",
        _locked_retry_after_from_since,
    ),
    _m(
        "restart-drops-ghost-locks",
        "CA-ENR-19",
        "test_ca_restart_keeps_every_rule.py",
        "L4: start-up housekeeping drops the hard locks of aliases without an account: a "
        "restart unlocks an unknown alias",
        _restart_drops_ghost_locks,
    ),
    # lens 5
    _m(
        "locked-403",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "L5: a hard-locked alias is answered 403 {'error': 'locked'}, not 429 throttled",
        _locked_403,
    ),
    _m(
        "throttle-codes-from-phrase",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L5: the 429 and 503 error codes come from the status phrase: too_many_requests and "
        "service_unavailable, not throttled and busy",
        _throttle_codes_from_phrase,
    ),
    _m(
        "huge-length-silent-close",
        "CA-ENR-9",
        "test_ca.py",
        "L5: a Content-Length over 1 MiB is dropped with a bare close, no 413",
        _huge_length_silent_close,
    ),
    _m(
        "wrong-password-403",
        "CA-ENR-6",
        "test_ca.py",
        "L5: a wrong password and an unknown alias are answered 403 auth_failed, not 401",
        _wrong_password_403,
    ),
    # lens 6
    _m(
        "not-after-from-not-before",
        "CA-ENR-11",
        "test_ca_revocation_records.py",
        "L6: the certificate row's not_after holds notBefore: the CRL's expiry filter drops "
        "every revoked certificate",
        _not_after_from_not_before,
    ),
    _m(
        "address-key-server-address",
        "CA-ENR-7",
        "test_ca_throttle_keys.py",
        "L6: the address key is the server's own address: every client's failures land on "
        "one key, one client's guesses throttle all",
        _address_key_server_address,
    ),
    _m(
        "query-check-after-routing",
        "CA-ENR-15",
        "test_ca.py",
        "L6: the route lookup moved above the query check: /v1/enroll?x=1 is 404, not 400 "
        "bad_request",
        _query_check_after_routing,
    ),
)

# Written blind, measured (missed by every case citing CA-ENR-9), and not registered: the
# SPEC does not say what it breaks. CA-ENR-9 says "malformed JSON 400 bad_request", and
# §4.4 "bodies are JSON (application/json)"; RFC 8259 §8.1 requires UTF-8 of JSON text
# exchanged between systems, but that is a sender's rule, and RFC 7159 let receivers
# detect UTF-16/32 (Python's json.loads(bytes) and Jackson still do). Unlike FRM-9 for
# frames, no CA requirement says a body that is not UTF-8 is malformed. Proposed SPEC
# sentence (CA-ENR-9): "A body that is not UTF-8 (RFC 8259 §8.1) — UTF-16 or UTF-32, with
# or without a byte order mark — is malformed JSON: 400 bad_request, never a login."
SPEC_SILENT: tuple[Mutant, ...] = (
    _m(
        "json-bytes-autodetect",
        "CA-ENR-9",
        "test_ca_answer_forms.py",
        "L1: json.loads() handed the body's bytes detects UTF-16/UTF-32: a login encoded in "
        "UTF-16 or UTF-32 is read as a login, not 400 bad_request",
        _json_bytes_autodetect,
    ),
)
