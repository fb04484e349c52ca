"""Blind red-team round 12 (ca): filled by its helper (B54).

Written from docs/SPEC.md §4.2/§4.4 and reference/pki/ca*.py (the HTTPS adapter, the
store) alone, through the six lenses of round 12 (lenses12.md). Every mutant is the
reference's CA server (`ca=True`); `sft ca user add` and `sft ca revoke` run in their
own (unmutated) processes, so a mutant lives in `ca serve` only.

Lens 1 — two values of the same type mixed up:
  b12ca-issuer-printable        the issuer DN re-encoded (PrintableString), not the root's
                                subject bytes
  b12ca-leaf-ski-of-root        the employee's SubjectKeyIdentifier made from the root's key
  b12ca-dup-alias-split         the password checked for the first `alias` member, the
                                certificate named after the last
  b12ca-row-alias-from-csr      the certificate recorded under the CSR's CN, not the alias
Lens 2 — acknowledged before done:
  b12ca-failure-counted-async   a wrong password's failure counted 1 s after the 401
  b12ca-counts-flushed-late     failure counts written to disk by a 30 s flush, not at once
  b12ca-row-at-connection-end   certificate rows recorded when the connection ends
Lens 3 — peer-claimed values trusted:
  b12ca-real-ip-trusted         the client address taken from X-Real-IP (nginx habit)
  b12ca-validity-from-body      a `validity_days` member of the request honoured
  b12ca-charset-believed        the body decoded with the Content-Type's charset
Lens 4 — sloppy output:
  b12ca-enroll-201              the enrolment answered 201 Created
  b12ca-error-text-plain        error answers labelled text/plain (Go's http.Error)
  b12ca-throttled-no-message    the 429 body carries retry_after, no message
  b12ca-bad-csr-422             a bad CSR answered 422, not 400
  b12ca-certificate-fullchain   `certificate` holds the leaf and the root (a full chain)
Lens 5 — two principals at once:
  b12ca-shared-answer-slot      the issued certificate parked on the CA object: concurrent
                                enrolments can be answered each other's certificate
  b12ca-alias-class-attr        the request's alias kept on the handler class: concurrent
                                enrolments name each other's alias
  b12ca-addr-subnet             the per-address key is the /24: a neighbour's failures
                                throttle a clean address
Lens 6 — deny-lists and enumerations:
  b12ca-rsa-size-allowlist      RSA keys of 2048, 3072, 4096 bits only (2304/2560 refused)
  b12ca-dsa-accepted            a deny list of key types (Ed25519/Ed448/X*) lets DSA through
  b12ca-te-chunked-only         only `chunked` makes the length unknown: gzip + CL kept alive
  b12ca-options-cors            OPTIONS answered 204 with CORS headers (not 405/501)
  b12ca-route-trailing-slash    routes matched after rstrip('/'): /v1/crl/ served
  b12ca-host-refusal-500        only bad_csr is mapped: the host-name refusal escapes as 500

Written blind: 30 first (/tmp/b54/blind_list.md); 22 of them duplicated registered
mutants (AKI of the leaf key, CRL signed by the TLS key, CN-only host names, write-behind
rows, CRL caches, CSR subject/SAN/KeyUsage copied, X-Forwarded-For, serial size,
notBefore sign, CRL window, CRL PEM, characters as Content-Length, curve and hash
deny-lists, second PEM block, address with port, query on POST only...) and were
replaced before the run by the new ones above (checked by name and description only).
Blind run (25, a 25th `b12ca-db-unlocked` — the recording transaction on the shared
SQLite connection without its lock — since dropped: Python's sqlite3 commits the other
thread's transaction instead of failing, so concurrent enrolments almost never see an
error; not observable): 10 detected (issuer-printable, failure-counted-async,
counts-flushed-late, real-ip-trusted, enroll-201, bad-csr-422, addr-subnet,
te-chunked-only, options-cors, route-trailing-slash). Phase 2 added
test_ca_answer_forms.py, test_ca_concurrent_enrolments.py, test_ca_revocation_records.py
and test_ca_key_forms.py: 24 of 24.

`_Handler.do_GET = _dispatch` (and its siblings) were bound at class creation: a mutant
of `_dispatch` rebinds them.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind12-ca"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _handler() -> Any:
    return _srv()._Handler


def _authority() -> Any:
    return _ca().CertificateAuthority


def _rebind_dispatch() -> None:
    handler = _handler()
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{method}", handler._dispatch)


# --- lens 1: two values mixed up -----------------------------------------------------------


def _issuer_printable() -> None:
    # The issuer rebuilt from the root's attributes, each as a PrintableString: the same
    # names, other bytes than the root's subject (OpenSSL's canonical compare still
    # chains it; byte-comparing verifiers do not).
    _patch(
        _ca(),
        "_leaf_builder",
        (
            ".issuer_name(root.subject)",
            ".issuer_name(x509.Name([x509.NameAttribute(a.oid, str(a.value),"
            " x509.name._ASN1Type.PrintableString) for a in root.subject]))",
        ),
    )


def _leaf_ski_of_root() -> None:
    _patch(
        _ca(),
        "_leaf_builder",
        (
            "x509.SubjectKeyIdentifier.from_public_key(public_key)",
            "x509.SubjectKeyIdentifier.from_public_key(root.public_key())",
        ),
    )


def _first_alias(body: bytes) -> object:
    """The first `alias` member of a JSON object (a pre-scan for the login)."""
    found: list[object] = []

    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        if not found:
            found.extend(v for k, v in pairs if k == "alias")
        return dict(pairs)

    try:
        json.loads(body.decode("utf-8"), object_pairs_hook=hook)
    except ValueError:
        return None
    return found[0] if found else None


def _dup_alias_split() -> None:
    srv = _srv()
    srv._b12_first_alias = _first_alias
    _patch(
        srv._Handler,
        "_read_json",
        (
            "body = self.rfile.read(length)",
            "body = self.rfile.read(length)\n    self._b12_login = _b12_first_alias(body)",
        ),
    )
    _patch(
        srv._Handler,
        "_enroll",
        (
            "right = self.server.ca.authenticate(alias, password)",
            "login = self._b12_login if isinstance(self._b12_login, str) else alias\n"
            "        right = self.server.ca.authenticate(login, password)",
        ),
        (
            'keys = (f"alias:{alias[:64]}"',
            'keys = (f"alias:{(self._b12_login if isinstance(self._b12_login, str)'
            ' else alias)[:64]}"',
        ),
    )


def _csr_cn(csr_pem: bytes) -> str | None:
    x509 = _module("cryptography.x509")
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
        names = csr.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    except ValueError:
        return None
    return str(names[0].value) if names else None


def _row_alias_from_csr() -> None:
    ca = _ca()
    ca._b12_csr_cn = _csr_cn
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "str(cert.serial_number),\n                    alias,",
            "str(cert.serial_number),\n                    _b12_csr_cn(csr_pem) or alias,",
        ),
    )


# --- lens 2: acknowledged before done -----------------------------------------------------


def _count_later(throttle: Any, keys: tuple[str, ...]) -> None:
    with throttle._lock:
        throttle._release(keys)  # the reservation ends with the answer
    timer = threading.Timer(1.0, throttle.failure, keys)  # the audit counts it later
    timer.daemon = True
    timer.start()


def _failure_counted_async() -> None:
    srv = _srv()
    srv._b12_count_later = _count_later
    _patch(
        srv._Handler,
        "_enroll",
        (
            "throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
            "_b12_count_later(throttle, keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
    )
    _rebind_dispatch()


def _counts_flushed_late() -> None:
    srv = _srv()
    throttle_cls = srv.LoginThrottle
    _patch(
        throttle_cls,
        "_count",
        (
            "if self._db is not None:\n            wall = self.wall_clock()",
            "if False:\n            wall = self.wall_clock()",
        ),
    )
    original_init = throttle_cls.__post_init__

    def __post_init__(self: Any) -> None:
        original_init(self)
        if self._db is None:
            return

        def flush() -> None:
            while True:
                time.sleep(30.0)
                with self._lock:
                    now, wall = self.clock(), self.wall_clock()
                    for key, entry in list(self._keys.items()):
                        self._db.execute(
                            "INSERT OR REPLACE INTO failures (key, count, blocked_until, last)"
                            " VALUES (?, ?, ?, ?)",
                            (key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),
                        )

        threading.Thread(target=flush, daemon=True).start()

    throttle_cls.__post_init__ = __post_init__


_UNIT = threading.local()


def _row_at_connection_end() -> None:
    ca = _ca()
    srv = _srv()
    authority = ca.CertificateAuthority
    ca._b12_unit = _UNIT
    # The row goes to this connection's unit of work; it is written when the connection
    # ends (one thread serves one connection).
    _patch(
        authority,
        "enroll",
        (
            'self._db.execute(\n                "INSERT INTO certificates',
            '_b12_unit.__dict__.setdefault("rows", []).append(\n'
            '                ("INSERT INTO certificates',
        ),
        (
            "cert.public_bytes(serialization.Encoding.PEM),\n                ),\n            )",
            "cert.public_bytes(serialization.Encoding.PEM),\n                ),\n            ))",
        ),
    )
    original = srv.CaServer.finish_request

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            original(self, request, client_address)
        finally:
            rows = _UNIT.__dict__.pop("rows", [])
            if rows:
                with self.ca._lock:
                    for sql, values in rows:
                        self.ca._db.execute(sql, values)
                    self.ca._db.commit()

    srv.CaServer.finish_request = finish_request


# --- lens 3: peer-claimed values ----------------------------------------------------------


def _real_ip_trusted() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            'f"addr:{self.client_address[0]}"',
            "f\"addr:{self.headers.get('X-Real-IP') or self.client_address[0]}\"",
        ),
    )


def _validity_from_body() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            "validity=dt.timedelta(days=self.server.config.validity_days),",
            "validity=dt.timedelta(days=request.get('validity_days')"
            " or self.server.config.validity_days),",
        ),
    )


def _charset_believed() -> None:
    _patch(
        _handler(),
        "_read_json",
        (
            'value = json.loads(body.decode("utf-8"), parse_constant=_not_json)',
            'value = json.loads(body.decode(self.headers.get_content_charset("utf-8")),'
            " parse_constant=_not_json)",
        ),
    )


# --- lens 4: sloppy output ----------------------------------------------------------------


def _enroll_201() -> None:
    _patch(
        _handler(),
        "_enroll",
        ('HTTPStatus.OK, {"certificate"', 'HTTPStatus.CREATED, {"certificate"'),
    )


def _error_text_plain() -> None:
    _patch(
        _handler(),
        "_send_json",
        (
            '"application/json"',
            '"application/json" if status < 400 else "text/plain; charset=utf-8"',
        ),
    )


def _throttled_no_message() -> None:
    _patch(
        _handler(),
        "_dispatch",
        (
            '{"error": exc.code, "message": exc.message},',
            '{"error": exc.code, "message": exc.message} if exc.code != "throttled"'
            ' else {"error": exc.code, "retry_after": int(exc.headers["Retry-After"])},',
        ),
    )
    _rebind_dispatch()


def _bad_csr_422() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            "raise _HttpError(HTTPStatus.BAD_REQUEST, code, message) from None",
            "raise _HttpError(HTTPStatus.UNPROCESSABLE_ENTITY if code == 'bad_csr'"
            " else HTTPStatus.BAD_REQUEST, code, message) from None",
        ),
    )


def _certificate_fullchain() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}',
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()'
            " + self.server.ca.root_pem().decode()}",
        ),
    )


# --- lens 5: two principals at once -------------------------------------------------------


def _shared_answer_slot() -> None:
    _patch(
        _authority(),
        "enroll",
        (
            "validity=validity, now=now\n    )",
            "validity=validity, now=now\n    )\n    self.last_issued = cert",
        ),
    )
    _patch(
        _handler(),
        "_enroll",
        (
            '{"certificate": cert.public_bytes(',
            '{"certificate": self.server.ca.last_issued.public_bytes(',
        ),
    )


def _alias_class_attr() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            "assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)",
            "assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)\n"
            "    type(self).alias = alias",
        ),
        (
            "cert = self.server.ca.enroll(\n            alias,",
            "cert = self.server.ca.enroll(\n            type(self).alias,",
        ),
    )


def _addr_subnet() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            'f"addr:{self.client_address[0]}"',
            "f\"addr:{self.client_address[0].rpartition('.')[0]}.0/24\"",
        ),
    )


# --- lens 6: deny-lists and enumerations --------------------------------------------------


def _rsa_size_allowlist() -> None:
    _patch(
        _ca(),
        "_check_public_key",
        ("if public_key.key_size < 2048:", "if public_key.key_size not in (2048, 3072, 4096):"),
    )


def _dsa_accepted() -> None:
    _patch(
        _ca(),
        "_check_public_key",
        (
            'raise CaError("unsupported key type: use ECDSA P-256 or RSA >= 2048")',
            'if type(public_key).__name__.startswith(("Ed", "X")):\n'
            '        raise CaError("unsupported key type: use ECDSA P-256 or RSA >= 2048")\n'
            "    return public_key",
        ),
    )


def _te_chunked_only() -> None:
    handler = _handler()
    _patch(
        handler,
        "_read_json",
        (
            'if self.headers.get_all("Transfer-Encoding"):',
            'if any(v.strip().lower() == "chunked"'
            ' for v in self.headers.get_all("Transfer-Encoding") or []):',
        ),
    )
    _patch(
        handler,
        "_body_left_unread",
        (
            'if self.headers.get_all("Transfer-Encoding"):',
            'if any(v.strip().lower() == "chunked"'
            ' for v in self.headers.get_all("Transfer-Encoding") or []):',
        ),
    )


def _options_cors() -> None:
    handler = _handler()
    http = _module("http")

    def do_OPTIONS(self: Any) -> None:  # a CORS preflight answer on every path
        self.send_response(http.HTTPStatus.NO_CONTENT)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    handler.do_OPTIONS = do_OPTIONS


def _route_trailing_slash() -> None:
    _patch(_handler(), "_dispatch", ("path = self.path\n", 'path = self.path.rstrip("/") or "/"\n'))
    _rebind_dispatch()


def _host_refusal_500() -> None:
    _patch(
        _handler(),
        "_enroll",
        (
            'code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"',
            'if str(exc) != "bad_csr":\n            raise\n        code = "bad_csr"',
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
    # lens 1
    _m(
        "b12ca-issuer-printable",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "L1: the employee certificate's issuer is rebuilt from the root's attributes as "
        "PrintableStrings: the same names, not the root's subject bytes",
        _issuer_printable,
    ),
    _m(
        "b12ca-leaf-ski-of-root",
        "PKI-CERT-13",
        "test_ca_key_forms.py",
        "L1: the employee certificate's SubjectKeyIdentifier is computed from the root's "
        "key (a copy of the AKI line): it names the root's key, not the employee's",
        _leaf_ski_of_root,
    ),
    _m(
        "b12ca-dup-alias-split",
        "CA-ENR-4",
        "test_ca_answer_forms.py",
        "L1: with two `alias` members the password is checked for the first and the "
        "certificate names the last: an account's password buys any alias",
        _dup_alias_split,
    ),
    _m(
        "b12ca-row-alias-from-csr",
        "CA-ENR-11",
        "test_ca_revocation_records.py",
        "L1: the issued certificate is recorded under the CSR's CN (when it has one), "
        "not the alias: revoking the alias misses it",
        _row_alias_from_csr,
    ),
    # lens 2
    _m(
        "b12ca-failure-counted-async",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L2: a wrong password's reservation ends with the 401 and the failure is counted "
        "by a timer 1 s later: fast sequential guesses pass the threshold",
        _failure_counted_async,
    ),
    _m(
        "b12ca-counts-flushed-late",
        "CA-ENR-20",
        "test_ca_restart.py",
        "L2: failure counts are written to disk by a flush every 30 s, not at each "
        "failure: a restart right after the failures forgets them",
        _counts_flushed_late,
    ),
    _m(
        "b12ca-row-at-connection-end",
        "CA-ENR-11",
        "test_ca_revocation_records.py",
        "L2: an enrolment's certificate row is written when its connection ends: a "
        "revocation while the client keeps the connection open misses it",
        _row_at_connection_end,
    ),
    # lens 3
    _m(
        "b12ca-real-ip-trusted",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L3: the client address for the throttle is taken from X-Real-IP when present "
        "(an nginx habit): a new header value per guess escapes the per-address count",
        _real_ip_trusted,
    ),
    _m(
        "b12ca-validity-from-body",
        "CA-ENR-10",
        "test_ca_answer_forms.py",
        "L3: a `validity_days` member of the enrolment request sets the certificate's "
        "validity, past the configured period",
        _validity_from_body,
    ),
    _m(
        "b12ca-charset-believed",
        "CA-ENR-2",
        "test_ca_answer_forms.py",
        "L3: the body is decoded with the Content-Type's charset parameter: a UTF-8 "
        "password labelled iso-8859-1 is misread and refused",
        _charset_believed,
    ),
    # lens 4
    _m(
        "b12ca-enroll-201",
        "CA-ENR-2",
        "test_ca.py",
        "L4: a successful enrolment is answered 201 Created, not 200",
        _enroll_201,
    ),
    _m(
        "b12ca-error-text-plain",
        "CA-ENR-9",
        "test_ca_answer_forms.py",
        "L4: error answers carry their JSON body labelled Content-Type text/plain "
        "(Go's http.Error idiom)",
        _error_text_plain,
    ),
    _m(
        "b12ca-throttled-no-message",
        "CA-ENR-9",
        "test_ca_answer_forms.py",
        'L4: the 429 body is {"error": "throttled", "retry_after": n}: no message',
        _throttled_no_message,
    ),
    _m(
        "b12ca-bad-csr-422",
        "CA-ENR-3",
        "test_ca_csr.py",
        "L4: a bad CSR is answered 422 Unprocessable Entity (bad_csr), not 400",
        _bad_csr_422,
    ),
    _m(
        "b12ca-certificate-fullchain",
        "CA-ENR-2",
        "test_ca_answer_forms.py",
        "L4: the answer's `certificate` is the full chain: the employee certificate "
        "followed by the root",
        _certificate_fullchain,
    ),
    # lens 5
    _m(
        "b12ca-shared-answer-slot",
        "CA-ENR-4",
        "test_ca_concurrent_enrolments.py",
        "L5: the issued certificate is parked on the CA object and the answer reads it "
        "back: concurrent enrolments can be answered each other's certificate",
        _shared_answer_slot,
    ),
    _m(
        "b12ca-alias-class-attr",
        "CA-ENR-4",
        "test_ca_concurrent_enrolments.py",
        "L5: the request's alias is kept on the handler class: concurrent enrolments get "
        "certificates naming each other's alias",
        _alias_class_attr,
    ),
    _m(
        "b12ca-addr-subnet",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L5: the per-address key is the address's /24: a neighbour's failures throttle "
        "a clean address's right password",
        _addr_subnet,
    ),
    # lens 6
    _m(
        "b12ca-rsa-size-allowlist",
        "CA-ENR-2",
        "test_ca_key_forms.py",
        "L6: RSA keys of 2048, 3072 and 4096 bits only: a valid RSA-2304 or 2560 CSR is "
        "refused bad_csr",
        _rsa_size_allowlist,
    ),
    _m(
        "b12ca-dsa-accepted",
        "CA-ENR-13",
        "test_ca_key_forms.py",
        "L6: key types refused by a deny list (Ed25519, Ed448, X25519, X448): a DSA CSR "
        "is certified",
        _dsa_accepted,
    ),
    _m(
        "b12ca-te-chunked-only",
        "CA-ENR-9",
        "test_ca.py",
        "L6: only `Transfer-Encoding: chunked` makes the length unknown: gzip with a "
        "Content-Length is read by the length and the connection kept (smuggling)",
        _te_chunked_only,
    ),
    _m(
        "b12ca-options-cors",
        "CA-ENR-9",
        "test_ca.py",
        "L6: OPTIONS is answered 204 with CORS headers on every path, not 405/501",
        _options_cors,
    ),
    _m(
        "b12ca-route-trailing-slash",
        "CA-ENR-9",
        "test_ca.py",
        "L6: routes are matched after rstrip('/'): /v1/crl/ and /v1/root/ are served",
        _route_trailing_slash,
    ),
    _m(
        "b12ca-host-refusal-500",
        "CA-ENR-17",
        "test_ca_answer_forms.py",
        "L6: only bad_csr CA errors are mapped: the host-name refusal escapes as 500 internal",
        _host_refusal_500,
    ),
)
