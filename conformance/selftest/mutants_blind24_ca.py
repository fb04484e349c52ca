"""Blind red-team round 24 (helper B157): the CA (HTTPS enrolment API, logins, CSR checks,
issuance, revocation, CRL), through the six lenses of /work/briefs/s24/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module or independent implementation was opened, then checked against the names and
descriptions of the ~1,100 registered CA and LIM mutants. Replaced as repeats (r): the
client address from X-Forwarded-For / X-Real-IP (b9ca-forwarded-for-trusted,
b12ca-real-ip-trusted), an alias looked up case-insensitively (b3ca-alias-casefold-lookup),
an unknown CSR signature algorithm taken as verified (b13ca-csr-unknown-sigalg-passes), a
plain-HTTP fallback (ca-serves-plain-http), a traceback in the 500 (b6ca-500-traceback),
OPTIONS answered 204 (b12ca-options-cors), serials from a constant seed
(foreign-ca-serials-seeded-at-start) or uuid1 (b20ca-serial-uuid1), a letter-first alias
rule (b11ca2-alias-letter-first), a CRLF CSR refused (b17ca-csr-crlf-refused), the SAN IPs
left out of the host names (b3ca-hostname-ip-not-checked), a `validity_days` member
(b12ca-validity-from-body), the host check on the CSR's CN (b11ca-host-check-on-csr-cn), an
optional client certificate standing for the password (b22ca-client-certificate-as-password).
All run in the CA's server process (`ca=True`); the admin commands (`user add`, `revoke`,
`user unlock`) run unmutated in their own processes.

Lens 1 — what the authenticator does not cover:
- b24ca-ski-of-root: the employee certificate's SubjectKeyIdentifier is derived from the
  root's key (the AKI line copied): every employee certificate names the root's key as its
  own (PKI-CERT-13).
- b24ca-aki-of-tls-key: the AuthorityKeyIdentifier is taken from the key of the certificate
  the CA presents (its HTTPS one), not the root's: it names a key that signed nothing
  (PKI-CERT-13).
Lens 2 — legacy and downgrade bleed:
- b24ca-legacy-public-key: sft-pki/0 clients send a bare public key; a request without
  `csr` whose `public_key` member holds a PEM SubjectPublicKeyInfo is certified after the
  password check — no proof of possession (CA-ENR-3).
- b24ca-legacy-verify-route: the sft-pki/0 route `POST /verify` kept for old clients,
  pointed at the modern enrolment through the legacy wrapper, which never had a throttle:
  a second door to the login, unthrottled, instead of 404 (CA-ENR-9).
Lens 3 — the scanner's checklist:
- b24ca-trace-echo: TRACE answered 200 `message/http` echoing the request head (the
  method http.server leaves to the application), not 405/501 (CA-ENR-9).
- b24ca-static-files: `/v1/<file>` served from the CA's directory when no route matches
  ("root.pem and the CRL as files, for mirrors"): /v1/ca-tls.key, /v1/root.key and
  /v1/ca.db answered 200 with the keys and the password hashes, not 404 (CA-ENR-9).
- b24ca-forwarded-rfc7239: the per-address key taken from the standard `Forwarded: for=`
  header (RFC 7239) when present: a new value per guess escapes the address's count
  (CA-ENR-7).
Lens 4 — the second-order fix:
- b24ca-client-date-validity: the clock-skew fix: a request's `Date` header is taken as
  the moment of issue, so that the certificate starts when the client thinks it is: a Date
  a day ahead gives a notBefore in the future and a notAfter past the configured period
  (CA-ENR-10).
- b24ca-enrol-lock-spans-body: the fix for the revocation race (CA-ENR-11) serialises
  enrolments with one lock taken before the body is read: a client that sends its head and
  stalls its body holds every other enrolment for the idle timeout (LIM-5).
Lens 5 — debug and test leftovers:
- b24ca-error-echoes-request: a "helpful" 400 (members of the wrong type, bad CSR) quotes
  the request it received, password included (CA-ENR-5: never written to an answer).
- b24ca-users-route: the admin UI's `GET /v1/users` (every alias, certificates, revoked)
  left reachable without any login: the accounts CA-ENR-6 hides, listed; not 404 (CA-ENR-9).
Lens 6 — fitted to the examples:
- b24ca-pending-rule-default-5: the pending-attempt rule of CA-ENR-14 written with the
  default threshold 5, not the configured N: with N = 3, four concurrent wrong passwords
  are all verified (sequential logins get three 401s) (CA-ENR-14).
- b24ca-lock-retry-after-default-cap: a hard-locked alias is told `Retry-After: 300` (the
  default cap) whatever cap the CA is configured with (CA-ENR-19).

Blind run (phase 2: each against the case file its requirement suggested, then every file
citing its requirement): 4 of 13 detected by the named file — aki-of-tls-key
(test_ca_csr.py), enrol-lock-spans-body (test_ca_stalled_clients.py), pending-rule-default-5
and lock-retry-after-default-cap (test_ca_throttle.py). Caught by another citing file:
ski-of-root (test_ca_key_forms.py), legacy-public-key (test_ca_csr_forms.py, through the
bare key it also took in the csr member), forwarded-rfc7239 (test_ca_throttle.py's proxy
headers). Missed by every citing file: legacy-verify-route, trace-echo, static-files,
users-route, client-date-validity, error-echoes-request.

Phase 3, cases for their CLASS (each PASSes the reference three times and ca1, ca3):
  legacy-verify-route, trace-echo, static-files, users-route
                              test_ca_paths_beyond_the_spec.py: POST/GET /verify (modern and
      sft-pki/0 bodies), the CA's file names under /v1/ and /, admin and debug pages: 404
      JSON; TRACE on the three routes: 405/501 JSON, no echo — sibling: files-at-root
  client-date-validity        test_ca_request_date_ignored.py: enrolments with a Date two
      days ahead and two days back, judged by CA-ENR-10's bounds on the suite's clock —
      sibling: client-date-not-before
  error-echoes-request        test_ca_answers_never_quote_password.py: refusals (wrong
      types, no csr, bad csr, malformed or unknown alias, bad csr after a right password),
      each with a marker password: never in the answer's body or head
  (legacy-public-key: caught through its csr-member half) its member-only twin
      legacy-public-key-member-only is new: test_ca_bare_key_requests.py (no csr and a
      public_key member; a PUBLIC KEY PEM and SPKI DER in csr; a public_key beside a valid
      CSR never picks the key)

Post-blind siblings:
- b24ca-legacy-public-key-member-only: the public_key member issued on a path of its own,
  a bare key in csr still refused (CA-ENR-3).
- b24ca-client-date-not-before: only notBefore follows the Date header (CA-ENR-10).
- b24ca-files-at-root: the CA's files served at /NAME (CA-ENR-9).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind24-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """_dispatch edited, and rebound to the do_* names that copied the original."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, name, handler._dispatch)


# --- lens 1 -----------------------------------------------------------------------------


def _ski_of_root() -> None:
    _patch(
        _ca(),
        "_leaf_builder",
        (
            "x509.SubjectKeyIdentifier.from_public_key(public_key)",
            "x509.SubjectKeyIdentifier.from_public_key(root.public_key())",
        ),
    )


def _aki_of_tls_key() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    authority = ca.CertificateAuthority
    init = authority.__init__

    def __init__(self: Any, directory: Any) -> None:
        init(self, directory)
        # "The authority's key": the one the CA presents to its clients.
        ca._b24_authority_key = x509.load_pem_x509_certificate(
            (directory / self.TLS_CERT).read_bytes()
        ).public_key()

    def authority_key(root: Any) -> Any:
        return getattr(ca, "_b24_authority_key", None) or root.public_key()

    ca._b24_authority_key_of = authority_key
    authority.__init__ = __init__
    _patch(
        ca,
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())",
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(_b24_authority_key_of(root))",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


class _LegacyRequest:
    """A bare public key (sft-pki/0) dressed as a request whose signature 'verifies'."""

    def __init__(self, pem: bytes) -> None:
        serialization = _module("cryptography.hazmat.primitives.serialization")
        hashes = _module("cryptography.hazmat.primitives.hashes")
        self._key = serialization.load_pem_public_key(pem)
        self.is_signature_valid = True  # no signature: the old client had none to send
        self.signature_hash_algorithm = hashes.SHA256()

    def public_key(self) -> Any:
        return self._key


def _legacy_public_key() -> None:
    ca = _ca()
    srv = _srv()

    def legacy_or_csr(pem: bytes) -> Any:
        if pem.lstrip().startswith(b"-----BEGIN PUBLIC KEY-----"):
            return _LegacyRequest(pem)
        return ca.x509.load_pem_x509_csr(pem)

    ca._b24_legacy_or_csr = legacy_or_csr
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "            csr = x509.load_pem_x509_csr(csr_pem)\n",
            "            csr = _b24_legacy_or_csr(csr_pem)  # sft-pki/0 clients: a bare key\n",
        ),
    )

    def legacy_member(request: Any, csr: Any) -> Any:
        key = request.get("public_key")
        return key if csr is None and isinstance(key, str) else csr

    srv._b24_legacy_member = legacy_member
    _patch(
        srv._Handler,
        "_enroll",
        (
            'for k in ("alias", "password", "csr"))\n',
            'for k in ("alias", "password", "csr"))\n'
            "        csr = _b24_legacy_member(request, csr)\n",
        ),
    )


def _legacy_verify_route() -> None:
    srv = _srv()
    handler = srv._Handler
    handler._ROUTES = {**handler._ROUTES, "/verify": "POST"}
    _patch(
        handler,
        "_enroll",
        (
            "        wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]\n",
            "        # The sft-pki/0 route had no throttle; its wrapper still has none.\n"
            "        wait = 0 if self.path == '/verify' else throttle.admit(*keys)\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _trace_echo() -> None:
    srv = _srv()

    def do_TRACE(self: Any) -> None:
        head = (self.requestline + "\r\n" + str(self.headers)).encode("latin-1", "replace")
        self.send_response(200)
        self.send_header("Content-Type", "message/http")
        self.send_header("Content-Length", str(len(head)))
        self.end_headers()
        self.wfile.write(head)

    srv._Handler.do_TRACE = do_TRACE


def _static_files() -> None:
    srv = _srv()

    def static(handler: Any, path: str) -> bool:
        """Serves /v1/NAME from the CA's directory when it holds such a file."""
        name = path.removeprefix("/v1/")
        if handler.command != "GET" or name == path or not name or "/" in name:
            return False
        candidate = handler.server.ca.directory / name
        if not candidate.is_file():
            return False
        handler._send(200, candidate.read_bytes(), "application/octet-stream")
        return True

    srv._b24_static = static
    _patch_dispatch(
        (
            "            if method is None:\n",
            "            if method is None and _b24_static(self, path):\n"
            "                return\n"
            "            if method is None:\n",
        ),
    )


def _forwarded_rfc7239() -> None:
    srv = _srv()

    def client(handler: Any) -> str:
        # Behind a reverse proxy, the standard way (RFC 7239): the first hop's `for=`.
        for part in (handler.headers.get("Forwarded") or "").split(",")[0].split(";"):
            name, _, value = part.strip().partition("=")
            if name.lower() == "for" and value:
                return value.strip('"')
        return str(handler.client_address[0])

    srv._b24_client = client
    _patch(
        srv._Handler,
        "_enroll",
        ('f"addr:{self.client_address[0]}"', 'f"addr:{_b24_client(self)}"'),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _client_date_hook(srv: Any) -> None:
    email_utils = _module("email.utils")

    def client_now(handler: Any) -> Any:
        text = handler.headers.get("Date")
        if not text:
            return None
        try:
            when = email_utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return when if when.tzinfo is not None else None

    srv._b24_client_now = client_now


def _client_date_validity() -> None:
    srv = _srv()
    _client_date_hook(srv)
    _patch(
        srv._Handler,
        "_enroll",
        (
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n",
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n"
            "                now=_b24_client_now(self),  # the client's clock: no skew\n",
        ),
    )


def _enrol_lock_spans_body() -> None:
    srv = _srv()
    threading = _module("threading")
    handler = srv._Handler
    enroll = handler._enroll
    one_at_a_time = threading.Lock()

    def _enroll(self: Any) -> None:
        # One enrolment at a time: a revocation can never interleave (CA-ENR-11).
        with one_at_a_time:
            enroll(self)

    handler._enroll = _enroll


# --- lens 5 -----------------------------------------------------------------------------


def _error_echoes_request() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '"alias, password and csr must be strings"\n',
            'f"alias, password and csr must be strings (received {request!r})"\n',
        ),
        (
            '                "the CSR is not valid or its signature does not verify"\n',
            '                f"the CSR is not valid or its signature does not verify'
            ' (received {request!r})"\n',
        ),
    )


def _users_route() -> None:
    srv = _srv()

    def users(handler: Any, path: str) -> bool:
        if (handler.command, path) != ("GET", "/v1/users"):
            return False
        listed = [
            {"alias": u.alias, "certificates": u.certificates, "revoked": u.revoked}
            for u in handler.server.ca.list_users()
        ]
        handler._send_json(200, {"users": listed})
        return True

    srv._b24_users = users
    _patch_dispatch(
        (
            "            if method is None:\n",
            "            if method is None and _b24_users(self, path):  # the admin page's\n"
            "                return\n"
            "            if method is None:\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _pending_rule_default_5() -> None:
    _patch(
        _srv().LoginThrottle,
        "admit",
        (
            "(pending and failures + pending >= self.after)",
            "(pending and failures + pending >= 5)",
        ),
    )


def _lock_retry_after_default_cap() -> None:
    _patch(
        _srv().LoginThrottle,
        "admit",
        (
            "            if self._hard_locked(keys):\n"
            "                return max(1, int(self.cap + 0.999))\n",
            "            if self._hard_locked(keys):\n"
            "                return 300  # locked until an administrator acts: come back later\n",
        ),
    )


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _legacy_public_key_member_only() -> None:
    srv = _srv()
    serialization = _module("cryptography.hazmat.primitives.serialization")

    def is_legacy(request: Any) -> bool:
        return request.get("csr") is None and isinstance(request.get("public_key"), str)

    def legacy_issue(handler: Any, alias: str, pem: str) -> Any:
        # The old clients' own path: their key as posted, the modern profile.
        authority = handler.server.ca
        authority.check_not_host_name(alias)
        return _ca().issue_employee(
            authority.root_key,
            authority.root,
            alias,
            serialization.load_pem_public_key(pem.encode()),
            validity=srv.dt.timedelta(days=handler.server.config.validity_days),
        )

    def legacy_member(request: Any, csr: Any) -> Any:
        return request["public_key"] if is_legacy(request) else csr

    srv._b24_is_legacy = is_legacy
    srv._b24_legacy_issue = legacy_issue
    srv._b24_legacy_member = legacy_member
    _patch(
        srv._Handler,
        "_enroll",
        (
            'for k in ("alias", "password", "csr"))\n',
            'for k in ("alias", "password", "csr"))\n'
            "        csr = _b24_legacy_member(request, csr)\n",
        ),
        (
            "            cert = self.server.ca.enroll(\n",
            "            cert = _b24_legacy_issue(self, alias, csr) if _b24_is_legacy(request) "
            "else self.server.ca.enroll(\n",
        ),
    )


def _client_date_not_before() -> None:
    srv = _srv()
    _client_date_hook(srv)

    def skew(handler: Any) -> Any:
        claimed = srv._b24_client_now(handler)
        if claimed is None:
            return srv.dt.timedelta(0)
        return srv.dt.datetime.now(srv.dt.UTC) - claimed

    srv._b24_skew = skew
    _patch(
        srv._Handler,
        "_enroll",
        (
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n",
            "                validity=dt.timedelta(days=self.server.config.validity_days)\n"
            "                + _b24_skew(self),  # notAfter stays the CA's\n"
            "                now=_b24_client_now(self),  # notBefore: the client's clock\n",
        ),
    )


def _files_at_root() -> None:
    srv = _srv()

    def static(handler: Any, path: str) -> bool:
        name = path.removeprefix("/")
        if handler.command != "GET" or not name or "/" in name:
            return False
        candidate = handler.server.ca.directory / name
        if not candidate.is_file():
            return False
        handler._send(200, candidate.read_bytes(), "application/octet-stream")
        return True

    srv._b24_static_root = static
    _patch_dispatch(
        (
            "            if method is None:\n",
            "            if method is None and _b24_static_root(self, path):\n"
            "                return\n"
            "            if method is None:\n",
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
        "b24ca-ski-of-root",
        "PKI-CERT-13",
        "test_ca_key_forms.py",
        "L1: the employee certificate's SubjectKeyIdentifier is derived from the root's key "
        "(the AKI line copied): every certificate the CA issues names the root's key as its own",
        _ski_of_root,
    ),
    _m(
        "b24ca-aki-of-tls-key",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "L1: the AuthorityKeyIdentifier is taken from the key of the CA's HTTPS certificate, "
        "not the root's: it names a key that signed nothing",
        _aki_of_tls_key,
    ),
    _m(
        "b24ca-legacy-public-key",
        "CA-ENR-3",
        "test_ca_csr_forms.py",
        "L2: sft-pki/0 clients' bare key: a request without csr whose public_key member holds "
        "a PEM SubjectPublicKeyInfo is certified after the password check, no proof of "
        "possession",
        _legacy_public_key,
    ),
    _m(
        "b24ca-legacy-verify-route",
        "CA-ENR-9",
        "test_ca_paths_beyond_the_spec.py",
        "L2: the sft-pki/0 route POST /verify kept for old clients and pointed at the modern "
        "enrolment through the legacy wrapper, which has no throttle: served, not 404",
        _legacy_verify_route,
    ),
    _m(
        "b24ca-trace-echo",
        "CA-ENR-9",
        "test_ca_paths_beyond_the_spec.py",
        "L3: TRACE answered 200 message/http echoing the request head, not 405/501",
        _trace_echo,
    ),
    _m(
        "b24ca-static-files",
        "CA-ENR-9",
        "test_ca_paths_beyond_the_spec.py",
        "L3: /v1/NAME served from the CA's directory when no route matches (root.pem for "
        "mirrors): /v1/ca-tls.key, /v1/root.key and /v1/ca.db answered 200, not 404",
        _static_files,
    ),
    _m(
        "b24ca-forwarded-rfc7239",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L3: the per-address key taken from the standard Forwarded: for= header (RFC 7239) "
        "when present: a new value per guess escapes the address's count",
        _forwarded_rfc7239,
    ),
    _m(
        "b24ca-client-date-validity",
        "CA-ENR-10",
        "test_ca_request_date_ignored.py",
        "L4: the clock-skew fix: the request's Date header is the moment of issue: a Date a "
        "day ahead gives a notBefore in the future and a notAfter past the configured period",
        _client_date_validity,
    ),
    _m(
        "b24ca-enrol-lock-spans-body",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L4: the revocation-race fix serialises enrolments with one lock taken before the "
        "body is read: a client that stalls its body holds every other enrolment for the "
        "idle timeout",
        _enrol_lock_spans_body,
    ),
    _m(
        "b24ca-error-echoes-request",
        "CA-ENR-5",
        "test_ca_answers_never_quote_password.py",
        "L5: a helpful 400 (members of the wrong type, bad CSR) quotes the request received, "
        "password included",
        _error_echoes_request,
    ),
    _m(
        "b24ca-users-route",
        "CA-ENR-9",
        "test_ca_paths_beyond_the_spec.py",
        "L5: the admin UI's GET /v1/users (every alias, its certificates, revoked) left "
        "reachable without a login: served, not 404",
        _users_route,
    ),
    _m(
        "b24ca-pending-rule-default-5",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "L6: the pending-attempt rule written with the default threshold 5, not the "
        "configured N: with N = 3, four concurrent wrong passwords are all verified",
        _pending_rule_default_5,
    ),
    _m(
        "b24ca-lock-retry-after-default-cap",
        "CA-ENR-19",
        "test_ca_throttle.py",
        "L6: a hard-locked alias is answered Retry-After: 300 (the default cap) whatever "
        "cap the CA is configured with",
        _lock_retry_after_default_cap,
    ),
    _m(
        "b24ca-legacy-public-key-member-only",
        "CA-ENR-3",
        "test_ca_bare_key_requests.py",
        "(post-blind) L2: the sft-pki/0 public_key member (no csr) issued on a path of its "
        "own, while a csr member holding a bare key is still refused: certified after the "
        "password check, no proof of possession",
        _legacy_public_key_member_only,
    ),
    _m(
        "b24ca-client-date-not-before",
        "CA-ENR-10",
        "test_ca_request_date_ignored.py",
        "(post-blind) L4: only notBefore follows the request's Date header (notAfter stays "
        "the CA's): a Date ahead starts the certificate in the future, one behind backdates "
        "it by days",
        _client_date_not_before,
    ),
    _m(
        "b24ca-files-at-root",
        "CA-ENR-9",
        "test_ca_paths_beyond_the_spec.py",
        "(post-blind) L3: /NAME served from the CA's directory when no route matches: "
        "/ca-tls.key and /ca.db answered 200, not 404",
        _files_at_root,
    ),
)
