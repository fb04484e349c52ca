"""Blind red-team round 28 (helper B220): the CA (root, issuance, CRL, its HTTPS, logins),
through the six lenses of /work/briefs/s28/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, cli/ca.py) before any case file, conformance module or
independent implementation was opened, then checked against the names and descriptions of
the registered CA mutants. Replaced as repeats (r): the address's pending attempt leaked by
a success (b4ca-addr-pending-leak), a CRL cached across revocations (b9ca-crl-built-once),
a keep-alive connection's login inherited (b3ca-keepalive-skips-password), a revoked
alias's own 401 message (b18b-ca-revoked-message), a bad-CSR guess verified outside the
throttle (ambig-ca-bad-csr-password-unthrottled). All run in the CA's server process
(`ca=True`); the admin commands run unmutated, so the root mutant re-makes the root at
`ca serve` from its key (as rounds 26 and 27 did).

Lens 1 — the thin MUSTs (PKI-CERT-13: 21, PKI-CERT-8: 4, ERR-6: 9):
- b28ca-root-ski-critical: the root's SubjectKeyIdentifier marked critical (PKI-CERT-13).
- b28ca-404-debug-routes: the 404 message is a framework's debug page in one line: the
  route table and the handler object's repr (`<..._Handler object at 0x7f...>`) (ERR-6).
- b28ca-root-bc-noncritical: the root's BasicConstraints not critical. Missed by every
  case citing PKI-CERT-8, which then named no criticality (RFC 5280 §4.2.1.9 does): the
  lead adopted the proposed sentence into PKI-CERT-8 and test_ca_served_root_profile.py
  now checks it.
Lens 2 — lost errors:
- b28ca-locks-db-uncommitted: the throttle's SQLite file opened with sqlite3's default
  (implicit transactions) and never committed: failure counts, backoffs and hard locks
  vanish at a restart (CA-ENR-20).
Lens 3 — every ending of a request:
- b28ca-log-unrouted-body: requests that match no route or method (404/405) are logged
  with the start of their body, "to see what clients try": a login posted to a wrong path
  puts its password in the log (CA-ENR-5).
- DROPPED (unjudged) b28ca-query-after-body: POST /v1/enroll?... routed on its path, its
  body read and parsed, then refused 400 (CA-ENR-15 "before reading any credential").
  Not told apart on the wire from a CA that drains the body unparsed before its 400 (ca3
  does, so that its client sees the answer, not a reset): a SPEC sentence is proposed.
- DROPPED (unjudged) b28ca-empty-crl-cert-validity: a CRL that lists nothing gets the
  certificates' 30 days (CA-ENR-16). test_pki_hardening.py judges every CRL it fetches,
  but a target provisioned with a revocation (the embedded reference) never serves an
  empty one: unobservable there.
Lens 5 — two implementations of one rule:
- b28ca-userinfo-scheme-case: the userinfo refusal recognises an absolute-form target by a
  lower-case scheme, the router by any case: HTTPS://user:pw@host/v1/enroll is served
  (CA-ENR-15).
- b28ca-log-throttled-login: the 429 path logs the attempt without its (long) csr member,
  the password left in: the failed-login path's care written once more, wrong (CA-ENR-5).
- b28ca-badcsr-no-backoff: a wrong password whose csr does not parse is counted by a second,
  hand-written counter (count += 1) that never starts the backoff (CA-ENR-21).
Post-blind siblings (phase 3, the class each new case aims at):
- b28ca-405-python-frame: the 405 message names the stack frame it was raised in (ERR-6).
- b28ca-413-go-struct: the 413 message is Go's %#v of the body reader's error (ERR-6).
- b28ca-log-query-refusal-body: a query-string refusal logs its body (CA-ENR-5).
- b28ca-userinfo-two-spellings: the userinfo check knows https:// and HTTPS:// only
  (CA-ENR-15).

Blind run (phase 2): 3 of 10 detected by the named file (root-ski-critical:
test_ca_served_root_profile.py; locks-db-uncommitted: test_ca_restart.py;
badcsr-no-backoff: test_ca_bad_csr_guesses.py); the 7 others missed by every case file
citing their requirement (SFT_MUTANT_FILES=citing), 3 of them dropped as above.

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  404-debug-routes, 405-python-frame, 413-go-struct
                            test_ca_error_answers_no_debug_dump.py: the refusals made
      before any login (404, 405, 501, 411, 413, no JSON, a query, a bad request line):
      no object repr, address, stack frame, source location, %#v struct, exception type
  log-unrouted-body, log-throttled-login, log-query-refusal-body
                            test_ca_log_unrouted_throttled_no_password.py: marker-password
      logins to wrong paths and methods, with a query, and for a throttled alias (429):
      no 12-character piece of any in the CA's log
  userinfo-scheme-case, userinfo-two-spellings
                            test_ca_userinfo_any_scheme_case.py: userinfo with the scheme
      spelt HTTPS, Https, hTtPs, on the enrolment and the root: 400 bad_request
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_blind27_ca import (
    _patch,
    _patch_dispatch,
    _root_remade,
    _srv,
)

__all__ = ["MUTANTS"]

_GROUP = "blind28-ca"


# --- lens 1 --------------------------------------------------------------------------------


def _root_bc_noncritical() -> None:
    _root_remade(
        (
            "x509.BasicConstraints(ca=True, path_length=0), critical=True)",
            "x509.BasicConstraints(ca=True, path_length=0), critical=False)",
        )
    )


def _root_ski_critical() -> None:
    _root_remade(
        (
            "        .add_extension(ski, critical=False)\n",
            "        .add_extension(ski, critical=True)\n",
        )
    )


def _404_debug_routes() -> None:
    _patch_dispatch(
        (
            '                raise _HttpError(HTTPStatus.NOT_FOUND, "not_found", '
            'f"no such path {path[:64]!r}")\n',
            "                raise _HttpError(\n"
            "                    HTTPStatus.NOT_FOUND,\n"
            '                    "not_found",\n'
            '                    f"no such path {path[:64]!r}; routes: {self._ROUTES!r}; "\n'
            '                    f"handler: {self!r}",  # debug: what the router knows\n'
            "                )\n",
        ),
    )


# --- lens 2 --------------------------------------------------------------------------------


def _locks_db_uncommitted() -> None:
    _patch(
        _srv().LoginThrottle,
        "__post_init__",
        (
            "                self.locks, check_same_thread=False, isolation_level=None, "
            "timeout=DB_WAIT\n",
            "                self.locks, check_same_thread=False, timeout=DB_WAIT\n",
        ),
    )


# --- lens 3 --------------------------------------------------------------------------------


def _log_unrouted(handler: Any) -> None:
    """Reads what a request no route takes announced (within the body limit) and logs it."""
    srv = _srv()
    lengths = handler.headers.get_all("Content-Length") or []
    text = lengths[0].strip(" \t") if lengths else ""
    if not (text.isascii() and text.isdigit()) or int(text) > srv.MAX_BODY:
        return
    body = handler.rfile.read(int(text))
    handler._body_read = True
    srv._log(f"unrouted {handler.command} {handler.path[:64]!r}: {body[:200]!r}")


def _log_unrouted_body() -> None:
    srv = _srv()
    srv._b28_log_unrouted = _log_unrouted
    _patch_dispatch(
        (
            "            method = self._ROUTES.get(path)\n",
            "            method = self._ROUTES.get(path)\n"
            "            if method != self.command:  # 404 or 405: see what clients try\n"
            "                _b28_log_unrouted(self)\n",
        ),
    )


def _userinfo_scheme_case() -> None:
    _patch_dispatch(
        (
            '            if not path.startswith("/") and "@" in urlsplit(path).netloc:\n',
            '            if path.startswith(("https://", "http://")) and "@" in '
            "urlsplit(path).netloc:\n",
        ),
    )


def _log_throttled_login() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            "        if wait:\n",
            "        if wait:\n"
            "            attempt = {k: v for k, v in request.items() if k != \"csr\"}"
            "  # csr: long\n"
            '            _log(f"throttled login {attempt!r} from {self.client_address[0]}")\n',
        ),
    )


def _csr_parses(csr: str) -> bool:
    x509 = _module("cryptography.x509")
    try:
        x509.load_pem_x509_csr(csr.encode("utf-8"))
    except ValueError:
        return False
    return True


def _count_without_backoff(throttle: Any, keys: tuple[str, ...]) -> None:
    """The bad-CSR path's own failure counter: the count only, no backoff."""
    srv = _srv()
    with throttle._lock:
        for key in throttle._release(keys):
            entry = throttle._keys.get(key)
            if entry is None:
                entry = srv._Failures()
                throttle._keys[key] = entry
                kind = srv._kind(key)
                throttle._kind_sizes[kind] = throttle._kind_sizes.get(kind, 0) + 1
            entry.count += 1


def _badcsr_no_backoff() -> None:
    srv = _srv()
    srv._b28_csr_parses = _csr_parses
    srv._b28_count_without_backoff = _count_without_backoff
    _patch(
        srv._Handler,
        "_enroll",
        (
            "        if not right:\n"
            '            _log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")\n'
            "            throttle.failed(*keys)\n",
            "        if not right:\n"
            '            _log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")\n'
            "            if _b28_csr_parses(csr):\n"
            "                throttle.failed(*keys)\n"
            "            else:  # a request that was never an enrolment: counted, no backoff\n"
            "                _b28_count_without_backoff(throttle, keys)\n",
        ),
    )


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _405_python_frame() -> None:
    _patch_dispatch(
        (
            '                    f"{path} accepts {method} only",\n',
            '                    f"{path} accepts {method} only "\n'
            '                    f"({traceback.format_stack(limit=1)[0].strip()})",  # where\n',
        ),
    )


def _413_go_struct() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            '                f"request bodies are limited to {MAX_BODY} bytes",\n',
            '                f"&http.MaxBytesError{{Limit:{MAX_BODY}}}",  # err printed with %#v\n',
        ),
    )


def _log_query_refusal_body() -> None:
    srv = _srv()
    srv._b28_log_unrouted = _log_unrouted
    _patch_dispatch(
        (
            '            if "?" in self.path or "#" in self.path:\n',
            '            if "?" in self.path or "#" in self.path:\n'
            "                _b28_log_unrouted(self)  # who sends credentials in a URL?\n",
        ),
    )


def _userinfo_two_spellings() -> None:
    _patch_dispatch(
        (
            '            if not path.startswith("/") and "@" in urlsplit(path).netloc:\n',
            "            absolute = (\"https://\", \"HTTPS://\", \"http://\", \"HTTP://\")\n"
            '            if path.startswith(absolute) and "@" in urlsplit(path).netloc:\n',
        ),
    )


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    slow: bool = False,
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
        slow=slow,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b28ca-root-bc-noncritical",
        "PKI-CERT-8",
        "test_ca_served_root_profile.py",
        "L1: the root (re-made from its key at start) leaves its BasicConstraints "
        "non-critical; OpenSSL and Python's ssl accept it (RFC 5280 §4.2.1.9 does not)",
        _root_bc_noncritical,
    ),
    _m(
        "b28ca-root-ski-critical",
        "PKI-CERT-13",
        "test_ca_served_root_profile.py",
        "L1: the root (re-made from its key at start) marks its SubjectKeyIdentifier "
        "critical; OpenSSL and Python's ssl accept it",
        _root_ski_critical,
    ),
    _m(
        "b28ca-404-debug-routes",
        "ERR-6",
        "test_ca_error_answers_no_debug_dump.py",
        "L1: the 404 message is a framework's debug page on one line: the route table and "
        "the handler's repr ('<reference.pki.ca_server._Handler object at 0x7f...>')",
        _404_debug_routes,
    ),
    _m(
        "b28ca-locks-db-uncommitted",
        "CA-ENR-20",
        "test_ca_restart.py",
        "L2: the throttle's SQLite file is opened with sqlite3's implicit transactions and "
        "never committed: failure counts, running backoffs and hard locks are rolled back "
        "at a restart",
        _locks_db_uncommitted,
    ),
    _m(
        "b28ca-log-unrouted-body",
        "CA-ENR-5",
        "test_ca_log_unrouted_throttled_no_password.py",
        "L3: a request no route or method takes (404/405) is logged with the start of its "
        "body, 'to see what clients try': a login posted to a wrong path logs its password",
        _log_unrouted_body,
    ),
    _m(
        "b28ca-userinfo-scheme-case",
        "CA-ENR-15",
        "test_ca_userinfo_any_scheme_case.py",
        "L5: the userinfo refusal recognises an absolute-form target by a lower-case scheme, "
        "the router by any case: HTTPS://user:pw@HOST:PORT/v1/enroll is served",
        _userinfo_scheme_case,
    ),
    _m(
        "b28ca-log-throttled-login",
        "CA-ENR-5",
        "test_ca_log_unrouted_throttled_no_password.py",
        "L5: the 429 path logs the attempt without its long csr member, the password left "
        "in: the failed-login line's care written once more, and wrong",
        _log_throttled_login,
    ),
    _m(
        "b28ca-badcsr-no-backoff",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses.py",
        "L5: a wrong password whose csr does not parse is counted by a second, hand-written "
        "counter (count += 1) that never starts the backoff: such guesses never get a 429",
        _badcsr_no_backoff,
    ),
    _m(
        "b28ca-405-python-frame",
        "ERR-6",
        "test_ca_error_answers_no_debug_dump.py",
        "(post-blind) L1: the 405 message names where it was raised, the stack's last entry "
        "('File \"/.../ca_server.py\", line 520, in _dispatch')",
        _405_python_frame,
    ),
    _m(
        "b28ca-413-go-struct",
        "ERR-6",
        "test_ca_error_answers_no_debug_dump.py",
        "(post-blind) L1: the 413 message is the body reader's error printed with Go's %#v "
        "('&http.MaxBytesError{Limit:65536}')",
        _413_go_struct,
    ),
    _m(
        "b28ca-log-query-refusal-body",
        "CA-ENR-5",
        "test_ca_log_unrouted_throttled_no_password.py",
        "(post-blind) L3: a request refused for its query string is logged with the start "
        "of its body ('who sends credentials in a URL?'): the password of its login with it",
        _log_query_refusal_body,
    ),
    _m(
        "b28ca-userinfo-two-spellings",
        "CA-ENR-15",
        "test_ca_userinfo_any_scheme_case.py",
        "(post-blind) L5: the userinfo check knows the scheme in two spellings (https://, "
        "HTTPS://), the router in any case: Https://user:pw@HOST:PORT/v1/enroll is served",
        _userinfo_two_spellings,
    ),
)
