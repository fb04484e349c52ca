"""Blind red-team round 14: the CA (enrolment, the certificates and CRLs it issues, its store).

Written from docs/SPEC.md (CA-*, PKI-CERT-*) and the reference's CA, before any case file
was read. A first list of 31 was written blind; 26 of them turned out to copy registered
mutants (P-384 accepted, SAN copied, trailing dot, CRL one per alias, caches of users and
CRLs, keep-alive sessions, ...) and were replaced by the ideas below, still before any
case file was opened. Each mutant is one realistic implementer's mistake breaking ONE
MUST a black-box tester sees over HTTPS (or in what the CA hands out). All run in the
CA's server process (`ca=True`): the admin commands (`user add`, `revoke`) run unmutated
in their own processes, so nothing is planted there.

Blind run (before any case change): 10 of 22 detected. One more blind idea, "serials
recorded in hex, read back as decimal" (CRL 500), was detected but dropped: its rows stay
in the embedded reference's shared store, and every later mutant's peer then refuses to
start (its CRL fetch gets 500); b14ca-crl-issuer-printable replaced it. After the blind run
only metadata changed here: csr-on-server names CA-ENR-4 (the suite reports "the
certificate's key is not the CSR's" there) and three mutants name the file whose cases
judge their requirement's class (pem-label-unchecked, password-cesu8,
alias-nul-truncated).

Lens 1 (checks that never run):
  b14ca-query-get-only              the query-string refusal sits in the GET branch only
  b14ca-pem-label-unchecked         the PEM block's label is never looked at (Go's pem.Decode)
  b14ca-internal-error-swallowed    a `return` in `finally` swallows the 500: no answer at all
  b14ca-eku-iterator-consumed       the EKU generator is consumed by a log line: EKU empty
Lens 2 (per item, not in aggregate):
  b14ca-body-limit-per-read         the 64 KiB limit checked per read, never on the total
  b14ca-failure-counted-twice       a wrong password counted by failed() and by failure()
  b14ca-pipelined-request-dropped   the read buffer is made per request: pipelined bytes lost
Lens 3 (shared mutable state):
  b14ca-csr-on-server               the request's CSR parked on the server across the hash
  b14ca-json-members-shared         a module-level defaults dict updated with each body
  b14ca-block-on-class              the backoff's end kept on the throttle's class
  b14ca-handshake-in-accept-loop    the TLS handshake made in the one accept thread
Lens 4 (the checked form is not the used form):
  b14ca-alias-nul-truncated         the alias looked up as a C string (to its first NUL)
  b14ca-alias-host-grammar          the alias parsed with the host-name grammar ('_' refused)
  b14ca-password-cesu8              the candidate password hashed as CESU-8 (Java's UTF-8)
  b14ca-crl-issuer-printable        the CRL's issuer rebuilt as PrintableStrings
  b14ca-json-raw-newlines           json strict=False: raw control characters in strings taken
Lens 5 (effects before authority):
  b14ca-counts-forgiven-valid-csr   a valid CSR clears the failure counts before the password
  b14ca-429-releases-with-success   a 429 "ends the attempt" with success(): the alias forgiven
  b14ca-failures-counted-at-close   the 401 answered, its failure counted when the connection ends
Lens 6 (trust carried over):
  b14ca-csr-verified-per-alias      an alias whose CSR verified once skips the signature check
  b14ca-unknown-alias-cached        an alias found unknown once stays unknown (user added later)
  b14ca-user-row-per-connection     the user row read once per keep-alive connection
"""

from __future__ import annotations

import base64
import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module, revocation_not_rechecked

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited, and its `do_*` aliases rebound to the edited one."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{verb}", handler._dispatch)


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


_COUNT_WRONG = "throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED"


# --- lens 1 -----------------------------------------------------------------------------


def _query_get_only() -> None:
    _patch_dispatch(
        (
            'if "?" in self.path or "#" in self.path:',
            'if self.command == "GET" and ("?" in self.path or "#" in self.path):',
        ),
        ("path = self.path\n", 'path = self.path.split("?", 1)[0].split("#", 1)[0]\n'),
    )


def _pem_label_unchecked() -> None:
    ca = _ca()

    def pem_body(data: bytes) -> bytes:
        # The one block's base64, whatever its BEGIN line names (block.Type never read).
        lines = data.decode("ascii", "replace").splitlines()
        inside = [ln for ln in lines if ln.strip() and not ln.startswith("-----")]
        return base64.b64decode("".join(inside))

    ca._b14_pem_body = pem_body
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "csr = x509.load_pem_x509_csr(csr_pem)",
            "csr = x509.load_der_x509_csr(_b14_pem_body(csr_pem))",
        ),
    )


def _internal_error_swallowed() -> None:
    _patch_dispatch(
        (
            '_log(f"internal error: {_where(exc)}")',
            "return  # a `return` in the handler's `finally` swallowed the answer",
        )
    )
    # Since session 16 the reference hashes a lone surrogate like any wrong password: the
    # hash that raises on one (as it did when this mutant was written) is planted with it,
    # or nothing would reach the swallowing handler.
    _patch(
        _ca(),
        "_hash_password",
        ('secret = password.encode("utf-8", "surrogatepass")', 'secret = password.encode("utf-8")'),
    )


def _eku_iterator_consumed() -> None:
    ca = _ca()
    oid = _module("cryptography.x509.oid")

    def purposes() -> Any:
        gen = (
            o for o in (oid.ExtendedKeyUsageOID.CLIENT_AUTH, oid.ExtendedKeyUsageOID.SERVER_AUTH)
        )
        ca._b14_last_purposes = ", ".join(o.dotted_string for o in gen)  # for the log line
        return gen  # exhausted: the extension is built from nothing

    ca._b14_purposes = purposes
    _patch(
        ca,
        "issue_employee",
        ("[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],", "_b14_purposes(),"),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _body_limit_per_read() -> None:
    srv = _srv()

    def read_chunks(rfile: Any, length: int) -> bytes:
        parts: list[bytes] = []
        left = length
        while left > 0:
            chunk = rfile.read1(min(left, srv.MAX_BODY))
            if not chunk:
                break
            if len(chunk) > srv.MAX_BODY:  # per read: never true, the reads are smaller
                raise srv._HttpError(srv.HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", "big")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    srv._b14_read_chunks = read_chunks
    _patch(
        srv._Handler,
        "_read_json",
        ("if length > MAX_BODY:", "if False:"),
        ("body = self.rfile.read(length)", "body = _b14_read_chunks(self.rfile, length)"),
    )


def _failure_counted_twice() -> None:
    _patch_enroll_handler(
        (
            '_log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")',
            '_log(f"failed login for {alias[:64]!r} from {self.client_address[0]}");'
            " throttle.failure(*keys)",
        )
    )


def _pipelined_request_dropped() -> None:
    srv = _srv()
    base = srv.BaseHTTPRequestHandler.handle_one_request

    def handle_one_request(self: Any) -> None:
        base(self)
        # A fresh reader for each request: what the old one had read ahead is lost.
        self.rfile = self.connection.makefile("rb", self.rbufsize)

    srv._Handler.handle_one_request = handle_one_request


# --- lens 3 -----------------------------------------------------------------------------


def _csr_on_server() -> None:
    # The request's CSR parked on the server (shared by every handler thread) while the
    # password is hashed; the certificate is made from whatever CSR is parked then.
    _patch_enroll_handler(
        (
            "throttle = self.server.throttle",
            "throttle = self.server.throttle; self.server._b14_csr = csr",
        ),
        ('csr.encode("utf-8"),', 'self.server._b14_csr.encode("utf-8"),'),
    )


def _json_members_shared() -> None:
    srv = _srv()
    srv._B14_FIELDS = dict.fromkeys(("alias", "password", "csr"))
    # `request = _FIELDS; request.update(body)` where `dict(_FIELDS, **body)` was meant.
    _patch_enroll_handler(
        ("request = self._read_json()", "request = _B14_FIELDS; request.update(self._read_json())")
    )


def _block_on_class() -> None:
    srv = _srv()
    throttle = srv.LoginThrottle
    throttle._b14_block = 0.0
    _patch(
        throttle,
        "_count",
        (
            "entry.blocked_until = now + delay",
            "entry.blocked_until = LoginThrottle._b14_block = now + delay",
        ),
    )
    _patch(
        throttle,
        "admit",
        (
            "worst = max((self._keys[k].blocked_until for k in keys if k in self._keys),"
            " default=0.0)",
            "worst = max(LoginThrottle._b14_block, max((self._keys[k].blocked_until"
            " for k in keys if k in self._keys), default=0.0))",
        ),
    )


def _handshake_in_accept_loop() -> None:
    srv = _srv()
    server = srv.CaServer
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    finish = server.finish_request

    def process_request(self: Any, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:  # the handshake here, in serve_forever's thread: one slow client stalls all
            wrapped = tls.server_handshake(self.tls, request, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            self._slots.release()
            self.shutdown_request(request)
            return
        self.__dict__.setdefault("_b14_done", {})[id(request)] = wrapped
        try:
            srv.ThreadingHTTPServer.process_request(self, request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        wrapped = self.__dict__.get("_b14_done", {}).pop(id(request), None)
        if wrapped is None:
            finish(self, request, client_address)
            return
        try:
            srv._Handler(wrapped, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close_tls(wrapped)

    server.process_request = process_request
    server.finish_request = finish_request


# --- lens 4 -----------------------------------------------------------------------------


def _alias_nul_truncated() -> None:
    # A C string: the account is looked up (and certified) up to the first NUL; the
    # throttle keys keep the alias as sent.
    _patch_enroll_handler(
        (
            "right = self.server.ca.authenticate(alias, password)",
            "right = self.server.ca.authenticate(alias.split(chr(0), 1)[0], password)",
        ),
        (
            "throttle.success(keys[0], keys[1])",
            "throttle.success(keys[0], keys[1]); alias = alias.split(chr(0), 1)[0]",
        ),
    )


def _alias_host_grammar() -> None:
    ca = _ca()
    label = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
    check = ca.CertificateAuthority.check_not_host_name

    def check_not_host_name(self: Any, alias: str) -> None:
        # The alias parsed as a host name (STD3 labels) to compare it with the CA's names.
        labels = alias.lower().removesuffix(".").split(".")
        if not all(label.fullmatch(part) for part in labels):
            raise ca.CaError(f"the alias {alias} is not a valid host name")
        check(self, alias)

    ca.CertificateAuthority.check_not_host_name = check_not_host_name


def _password_cesu8() -> None:
    ca = _ca()

    def cesu8(text: str) -> bytes:
        units = []
        for ch in text:
            code = ord(ch)
            if code > 0xFFFF:  # a surrogate pair, each half encoded on its own
                code -= 0x10000
                units += [chr(0xD800 + (code >> 10)), chr(0xDC00 + (code & 0x3FF))]
            else:
                units.append(ch)
        return "".join(units).encode("utf-8", "surrogatepass")

    ca._b14_cesu8 = cesu8
    _patch(
        ca,
        "_hash_password",
        ('password.encode("utf-8", "surrogatepass")', "_b14_cesu8(password)"),
    )


def _crl_issuer_printable() -> None:
    ca = _ca()
    x509 = _module("cryptography.x509")
    asn1 = _module("cryptography.x509.name")._ASN1Type

    def issuer_of(root: Any) -> Any:
        # The CRL's issuer rebuilt from the root's attributes, each a PrintableString
        # (OpenSSL's default string mask): the same text, not the root's subject bytes.
        return x509.Name(
            [
                x509.NameAttribute(a.oid, str(a.value), _type=asn1.PrintableString)
                for a in root.subject
            ]
        )

    ca._b14_issuer_of = issuer_of
    _patch(ca, "make_crl", (".issuer_name(root.subject)", ".issuer_name(_b14_issuer_of(root))"))


def _json_raw_newlines() -> None:
    # "Clients send PEM with raw newlines": the JSON decoder made lenient.
    _patch(
        _srv()._Handler,
        "_read_json",
        ("parse_constant=_not_json)", "parse_constant=_not_json, strict=False)"),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _counts_forgiven_valid_csr() -> None:
    srv = _srv()
    x509 = _module("cryptography.x509")

    def forgive_if_csr_ok(throttle: Any, keys: tuple[str, ...], csr: str) -> None:
        # "A well-formed request is a fresh start": the CSR is checked first and its
        # success clears the failure counts, before the password is known.
        try:
            ok = x509.load_pem_x509_csr(csr.encode("utf-8")).is_signature_valid
        except Exception:
            return
        if ok:
            with throttle._lock:
                for key in keys:
                    throttle._forget(key)

    srv._b14_forgive_if_csr_ok = forgive_if_csr_ok
    _patch_enroll_handler(
        (
            "wait = throttle.admit(*keys)",
            "_b14_forgive_if_csr_ok(throttle, keys, csr); wait = throttle.admit(*keys)",
        )
    )


def _429_releases_with_success() -> None:
    # The 429 path "ends the attempt" with the API that ends a right one.
    _patch_enroll_handler(("if wait:\n", "if wait:\n        throttle.success(keys[0])\n"))


def _failures_counted_at_close() -> None:
    srv = _srv()
    handler = srv._Handler
    finish = handler.finish

    def defer(self: Any, throttle: Any, keys: tuple[str, ...]) -> None:
        with throttle._lock:
            throttle._release(keys)
        self.__dict__.setdefault("_b14_deferred", []).append(keys)

    def finish_connection(self: Any) -> None:
        for keys in self.__dict__.pop("_b14_deferred", []):
            self.server.throttle.failure(*keys)
        finish(self)

    srv._b14_defer = defer
    handler.finish = finish_connection
    _patch_enroll_handler(
        (
            _COUNT_WRONG,
            _COUNT_WRONG.replace(
                "throttle.failed(*keys)", "_b14_defer(self, throttle, keys)"
            ),
        )
    )


# --- lens 6 -----------------------------------------------------------------------------


def _csr_verified_per_alias() -> None:
    ca = _ca()
    ca._b14_verified = set()
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "valid = csr.is_signature_valid",
            "valid = alias in _b14_verified or csr.is_signature_valid",
        ),
        ("cert = issue_employee(", "_b14_verified.add(alias); cert = issue_employee("),
    )


def _unknown_alias_cached() -> None:
    ca = _ca()

    def authenticate(self: Any, alias: str, password: str) -> bool:
        unknown: set[str] = self.__dict__.setdefault("_b14_unknown", set())
        row = None
        if alias not in unknown:
            with self._lock:
                row = self._db.execute(
                    "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
                ).fetchone()
            if row is None:
                unknown.add(alias)  # spares the next lookup of a guessed alias
        record = row[0] if row is not None else ca._dummy_record()
        ok = ca._verify_password_record(record, password)
        return bool(ok and row is not None and row[1] is None)

    ca.CertificateAuthority.authenticate = authenticate


def _user_row_per_connection() -> None:
    ca = _ca()
    srv = _srv()

    def authenticate_on_connection(handler: Any, alias: str, password: str) -> bool:
        rows: dict[str, Any] = handler.__dict__.setdefault("_b14_rows", {})
        authority = handler.server.ca
        if alias not in rows:
            with authority._lock:
                rows[alias] = authority._db.execute(
                    "SELECT password, revoked_at FROM users WHERE alias = ?", (alias,)
                ).fetchone()
        row = rows[alias]
        record = row[0] if row is not None else ca._dummy_record()
        ok = ca._verify_password_record(record, password)
        return bool(ok and row is not None and row[1] is None)

    srv._b14_authenticate_on_connection = authenticate_on_connection
    _patch_enroll_handler(
        (
            "right = self.server.ca.authenticate(alias, password)",
            "right = _b14_authenticate_on_connection(self, alias, password)",
        )
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b14ca-{name}", "blind14-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "query-get-only",
        "CA-ENR-15",
        "test_ca.py",
        "L1: the query-string refusal is in the GET branch only: POST /v1/enroll?x=... is "
        "routed on its path and served",
        _query_get_only,
    ),
    _m(
        "pem-label-unchecked",
        "CA-ENR-13",
        "test_ca_csr_forms.py",
        "L1: the csr's PEM block is decoded whatever its label (Go's pem.Decode, Type never "
        "read): a CSR armoured as CERTIFICATE or PUBLIC KEY is certified",
        _pem_label_unchecked,
    ),
    _m(
        "internal-error-swallowed",
        "CA-ENR-9",
        "test_ca.py",
        "L1: a `return` in the handler's `finally` swallows internal errors: a request that "
        "raises (a lone surrogate in the password) gets no answer at all, not a JSON 500",
        _internal_error_swallowed,
    ),
    _m(
        "eku-iterator-consumed",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "L1: the EKU purposes are a generator a log line consumes first: employee "
        "certificates carry an empty ExtendedKeyUsage",
        _eku_iterator_consumed,
    ),
    # lens 2
    _m(
        "body-limit-per-read",
        "CA-ENR-9",
        "test_ca.py",
        "L2: the 64 KiB body limit is checked per read, never on the total: a body over "
        "65536 bytes is read and answered, not 413",
        _body_limit_per_read,
    ),
    _m(
        "failure-counted-twice",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L2: a wrong password is counted twice (failed() and failure()): the 429 comes "
        "after about N/2 failures, not N",
        _failure_counted_twice,
    ),
    _m(
        "pipelined-request-dropped",
        "CA-ENR-9",
        "test_ca_request_pieces.py",
        "L2: a fresh reader per request: a request pipelined behind another in the same "
        "TLS record is lost and never answered",
        _pipelined_request_dropped,
    ),
    # lens 3
    _m(
        "csr-on-server",
        "CA-ENR-4",
        "test_ca_concurrent_enrolments.py",
        "L3: the request's CSR is parked on the server object during the password hash: "
        "concurrent enrolments get certificates for each other's keys",
        _csr_on_server,
    ),
    _m(
        "json-members-shared",
        "CA-ENR-6",
        "test_ca_login_state.py",
        "L3: each body updates one module-level dict of members: a request without a "
        "password inherits the last request's, and is certified",
        _json_members_shared,
    ),
    _m(
        "block-on-class",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L3: the backoff's end is kept on the throttle's class, not the key's entry: while "
        "any alias or address is blocked every login (a clean alias and address's right "
        "password) is answered 429",
        _block_on_class,
    ),
    _m(
        "handshake-in-accept-loop",
        "LIM-5",
        "test_ca_unhappy_paths.py",
        "L3: the TLS handshake is made in the one accept thread: a client that connects "
        "and stays silent stalls every other enrolment for the handshake timeout",
        _handshake_in_accept_loop,
    ),
    # lens 4
    _m(
        "alias-nul-truncated",
        "CA-ENR-6",
        "test_ca_login_state.py",
        "L4: the alias is looked up and certified as a C string, the throttle keyed on it "
        "as sent: the unknown alias 'suite\\0x' with suite's password is certified as suite",
        _alias_nul_truncated,
    ),
    _m(
        "alias-host-grammar",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L4: the alias is parsed with the host-name grammar before the CA-ENR-17 "
        "comparison: accounts such as a_b, a-, a..b (valid aliases) are refused 400",
        _alias_host_grammar,
    ),
    _m(
        "password-cesu8",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L4: the candidate password is hashed as CESU-8 (each surrogate half encoded, "
        "Java's modified UTF-8): an account whose password is outside the BMP cannot log in",
        _password_cesu8,
    ),
    _m(
        "crl-issuer-printable",
        "CA-ENR-8",
        "test_ca.py",
        "L4: the CRL's issuer is rebuilt from the root's attribute values as PrintableStrings: "
        "the same text, not the root's subject (its UTF8String bytes)",
        _crl_issuer_printable,
    ),
    _m(
        "json-raw-newlines",
        "CA-ENR-9",
        "test_ca.py",
        "L4: the JSON decoder is made lenient (strict=False) for PEM with raw newlines: a "
        "body with raw control characters inside strings is read as a login, not 400",
        _json_raw_newlines,
    ),
    # lens 5
    _m(
        "counts-forgiven-valid-csr",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L5: a request whose CSR verifies clears the alias's and address's failure counts "
        "before the password is checked: wrong passwords with valid CSRs never reach 429",
        _counts_forgiven_valid_csr,
    ),
    _m(
        "429-releases-with-success",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L5: a 429 'ends the attempt' with success(), which forgets the alias's failures: "
        "after each 429 the alias starts again from zero",
        _429_releases_with_success,
    ),
    _m(
        "failures-counted-at-close",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L5: a wrong password is answered 401 at once and counted when its connection "
        "ends: guesses on one keep-alive connection are never throttled",
        _failures_counted_at_close,
    ),
    # lens 6
    _m(
        "csr-verified-per-alias",
        "CA-ENR-3",
        "test_ca_csr.py",
        "L6: an alias whose CSR verified once skips the signature check afterwards: a "
        "tampered CSR is certified",
        _csr_verified_per_alias,
    ),
    _m(
        "unknown-alias-cached",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L6: an alias found unknown is remembered as unknown: an account added after a "
        "login was tried for it can never enrol",
        _unknown_alias_cached,
    ),
    _m(
        "user-row-per-connection",
        "CA-ENR-11",
        "test_ca_revocation_records.py",
        "L6: the user's row is read once per keep-alive connection: an alias revoked while "
        "its connection stays open enrols again on it",
        revocation_not_rechecked(_user_row_per_connection),
    ),
)
