"""Blind red-team round 15: the CA (enrolment, the certificates and CRLs it issues, its store).

Written from docs/SPEC.md (CA-*, PKI-CERT-*, LIM-5, PKI-TLS-9) and the reference's CA,
before any case file was read, through the six lenses of round 15. A first list of 29
was written blind; 22 of them turned out to copy registered mutants (the handshake in
the accept loop, SAN/subject/EKU copied from the CSR, SHA-224, PEM label, Ed25519, P-384,
RSA 1536, TE other than chunked, CRL cache or TLS key, alias-only backoff or pending,
lost updates, ...) and were replaced by the ideas below, still before any case file was
opened. Each mutant is one realistic implementer's mistake breaking ONE MUST a black-box
tester sees over HTTPS (or in what the CA hands out). All run in the CA's server process
(`ca=True`): the admin commands (`user add`, `revoke`) run unmutated in their own
processes, so nothing is planted there.

Blind run (before any case change, files named as above at the time): 14 of 24
detected. The ten that slipped, and what catches their class now (phase 2):
  enrol-lock-over-body, handler-serialised, crl-write-under-lock, vanished-client-leaks-slot
      test_ca_stalled_clients.py (new): connections held after the handshake (silent,
      mid-head, mid-body, idle keep-alive, pipelining without reading) while GET /v1/crl
      and an enrolment must be served in 5 s; 80 clients vanishing mid-request (reset,
      a record that does not decrypt) and then the same honest requests
  413-keeps-alive, error-answer-keeps-body, unread-check-ignores-te
      test_ca_length_forms.py: a body no route reads (404, 405, a query's 400, 413, a GET
      with Content-Length or a Transfer-Encoding) is never a next request
  missing-csr-guess-uncounted   test_ca_bad_csr_guesses.py: a csr that is not a string
  one-enrolment-per-alias       test_ca_concurrent_enrolments.py: one alias enrols twice at once
  csr-pss-refused               test_ca_csr.py: RSASSA-PSS CSRs (SHA-256, SHA-512) are valid
After the blind run only metadata changed here: the mutants above name the file whose
cases now judge their class (they named test_ca_unhappy_paths.py, test_ca.py and
test_ca_throttle.py blind).

Lens 1 (one blocks all):
  b15ca-enrol-lock-over-body        one enrolment at a time, the lock taken before the body is read
  b15ca-crl-write-under-lock        the CRL written to its client under the store's lock
  b15ca-handler-serialised          one lock around each connection's handler (keep-alive too)
  b15ca-handshake-lock              TLS handshakes serialised by a lock ("not thread-safe")
Lens 2 (made for another role, issuer, usage or key):
  b15ca-aki-from-tls-cert           the employee AKI is the CA's TLS certificate's SKI
  b15ca-cert-issuer-tls-subject     the employee issuer is the CA's TLS subject (signed by the root)
  b15ca-leaf-ku-of-root             the employee KeyUsage is the root's (keyCertSign, cRLSign)
  b15ca-enrol-idempotent            an alias with a valid certificate gets it again (another key)
Lens 3 (the default branch):
  b15ca-413-keeps-alive             413 answered at once, the body left as the next request
  b15ca-method-case-folded          the method upper-cased before dispatch: `get` is GET
  b15ca-csr-pss-refused             the CSR signature allow-list lacks RSASSA-PSS
Lens 4 (compound conditions):
  b15ca-get-route-keeps-body        the GET routes never close for a body they did not read
  b15ca-error-answer-keeps-body     error answers never close for a body nobody read
  b15ca-unread-check-ignores-te     "body left unread" sees Content-Length, not Transfer-Encoding
  b15ca-missing-csr-guess-uncounted a wrong password counts only when the request has a csr
  b15ca-busy-without-max1           busy when pending >= N - f (no max(1, .)): 503 for ever after N
  b15ca-tls-groups-p521             the CA's group list adds P-521 ("the strong curves")
  b15ca-bad-csr-counts-right-password a right password with a bad CSR counted as a failure
Lens 5 (asymmetric cost):
  b15ca-vanished-client-leaks-slot  a client that vanishes mid-request never gives its slot back
  b15ca-body-buffer-preallocated    the body buffer allocated from Content-Length before the limit
  b15ca-dummy-hash-fresh            a fresh dummy record (two scrypts) per unknown alias
Lens 6 (check-then-act, concurrency):
  b15ca-serial-time-seeded          serials from a generator seeded with the current second
  b15ca-one-enrolment-per-alias     a second concurrent enrolment of one alias answered 409
  b15ca-body-read-flag-on-class     "body read" set on the handler class, never reset
"""

from __future__ import annotations

import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module

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


def _tls_cert_of(authority: Any) -> Any:
    x509 = _module("cryptography.x509")
    return x509.load_pem_x509_certificate((authority.directory / authority.TLS_CERT).read_bytes())


def _remember_tls_cert() -> None:
    """The CA object keeps its TLS certificate where the recipes can reach it."""
    ca = _ca()
    init = ca.CertificateAuthority.__init__

    def __init__(self: Any, directory: Any) -> None:
        init(self, directory)
        ca._b15_tls_cert = _tls_cert_of(self)

    ca.CertificateAuthority.__init__ = __init__


# --- lens 1 -----------------------------------------------------------------------------


def _enrol_lock_over_body() -> None:
    # "The store is SQLite: one enrolment at a time." The lock is taken where the route is
    # chosen, before the body is read: a client that stops mid-body holds it for the idle
    # timeout.
    srv = _srv()
    handler = srv._Handler
    enroll = handler._enroll
    lock = threading.Lock()

    def _enroll(self: Any) -> None:
        with lock:
            enroll(self)

    handler._enroll = _enroll


def _crl_write_under_lock() -> None:
    # The CRL made and sent under the store's lock "so that no revocation slips between
    # the two": a client that pipelines CRL requests and never reads blocks the write, and
    # with it every login (authenticate takes the lock) and every other CRL.
    _patch_dispatch(
        (
            "self._send(\n"
            '                HTTPStatus.OK, crl, "application/pkix-crl",'
            " close=self._body_left_unread()\n"
            "            )",
            "with self.server.ca._lock:\n"
            "                self._send(\n"
            '                    HTTPStatus.OK, crl, "application/pkix-crl",'
            " close=self._body_left_unread()\n"
            "                )",
        )
    )


def _handler_serialised() -> None:
    # One lock around each connection's handler: "the CA object shares one SQLite
    # connection". Handshakes still run in parallel, but one established connection that
    # sends nothing (or idles between keep-alive requests) stalls every other client for
    # the idle timeout.
    srv = _srv()
    server = srv.CaServer
    ssl = _module("ssl")
    tls = _module("reference.pki.tls")
    lock = threading.Lock()

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            tls_sock = tls.server_handshake(self.tls, request, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            return
        try:
            with lock:
                srv._Handler(tls_sock, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close_tls(tls_sock)

    server.finish_request = finish_request


def _handshake_lock() -> None:
    # TLS handshakes serialised by a lock ("OpenSSL contexts are not thread-safe"): one
    # client that connects and stays silent holds it for the handshake timeout.
    srv = _srv()
    server = srv.CaServer
    ssl = _module("ssl")
    tls = _module("reference.pki.tls")
    lock = threading.Lock()

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            with lock:
                tls_sock = tls.server_handshake(self.tls, request, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            return
        try:
            srv._Handler(tls_sock, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close_tls(tls_sock)

    server.finish_request = finish_request


# --- lens 2 -----------------------------------------------------------------------------


def _aki_from_tls_cert() -> None:
    # The AKI built from the certificate the server has at hand (its own TLS one), not the
    # root's key: the key identifier names another key.
    ca = _ca()
    x509 = _module("cryptography.x509")
    _remember_tls_cert()

    def aki(root: Any) -> Any:
        tls_cert = getattr(ca, "_b15_tls_cert", None)
        if tls_cert is None:  # `ca init`: the TLS certificate itself is being made
            return x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())
        ski = tls_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)

    ca._b15_aki = aki
    _patch(
        ca,
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),",
            "_b15_aki(root),",
        ),
    )


def _cert_issuer_tls_subject() -> None:
    # The issuer name taken from the server's own certificate (the TLS one, issued by the
    # root), while the root's key signs: the certificate names an issuer that did not sign it.
    ca = _ca()
    _remember_tls_cert()

    def issuer(root: Any) -> Any:
        tls_cert = getattr(ca, "_b15_tls_cert", None)
        return root.subject if tls_cert is None else tls_cert.subject

    ca._b15_issuer = issuer
    _patch(ca, "_leaf_builder", (".issuer_name(root.subject)", ".issuer_name(_b15_issuer(root))"))


def _leaf_ku_of_root() -> None:
    # The KeyUsage block copied from make_root: an employee certificate that may sign
    # certificates and CRLs, and not TLS handshakes.
    _patch(
        _ca(),
        "_leaf_builder",
        ("digital_signature=True,", "digital_signature=False,"),
        ("key_cert_sign=False,", "key_cert_sign=True,"),
        ("crl_sign=False,", "crl_sign=True,"),
    )


def _enrol_idempotent() -> None:
    # "Enrolment is idempotent": a client that lost its answer and retries gets the alias's
    # current certificate again instead of a second one. The CSR's key is not certified.
    ca = _ca()
    x509 = _module("cryptography.x509")
    authority = ca.CertificateAuthority
    enroll = authority.enroll

    def enroll_once(self: Any, alias: str, csr_pem: bytes, **kw: Any) -> Any:
        now = ca._utcnow()
        with self._lock:
            row = self._db.execute(
                "SELECT pem FROM certificates WHERE alias = ? AND revoked_at IS NULL"
                " AND not_after > ? ORDER BY not_after DESC LIMIT 1",
                (alias, now.isoformat()),
            ).fetchone()
        if row is not None:
            x509.load_pem_x509_csr(csr_pem)  # the request must still be a CSR
            return x509.load_pem_x509_certificate(bytes(row[0]))
        return enroll(self, alias, csr_pem, **kw)

    authority.enroll = enroll_once


# --- lens 3 -----------------------------------------------------------------------------


def _413_keeps_alive() -> None:
    # A body over the limit is answered 413 at once, its bytes left unread ("the length
    # was dealt with"), and the connection kept: the body is parsed as the next request.
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "if length <= 16 * MAX_BODY:",
            "self._body_read = True\n        if False:",
        ),
    )
    _patch_dispatch(("or exc.status == 413\n", "\n"))


def _method_case_folded() -> None:
    # Methods normalised to upper case before dispatch (a framework habit): `get` is GET.
    handler = _srv()._Handler
    parse = handler.parse_request

    def parse_request(self: Any) -> bool:
        ok = bool(parse(self))
        if ok:
            self.command = self.command.upper()
        return ok

    handler.parse_request = parse_request


def _csr_pss_refused() -> None:
    # The CSR's signature algorithm checked against an allow-list of OIDs that lacks
    # RSASSA-PSS: a valid PSS-signed RSA CSR (SHA-256) is answered bad_csr.
    ca = _ca()
    oid = _module("cryptography.x509.oid").SignatureAlgorithmOID
    ca._B15_SIG_OIDS = frozenset(
        {
            oid.ECDSA_WITH_SHA256,
            oid.ECDSA_WITH_SHA384,
            oid.ECDSA_WITH_SHA512,
            oid.RSA_WITH_SHA256,
            oid.RSA_WITH_SHA384,
            oid.RSA_WITH_SHA512,
        }
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or not isinstance(digest, _CSR_DIGESTS)"
            " or csr.signature_algorithm_oid not in _B15_SIG_OIDS:",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _get_route_keeps_body() -> None:
    # Only the enrolment reads a body, so only it was taught to close for one: the GET
    # routes answer and keep the connection, and a body sent with GET is the next request.
    _patch_dispatch(
        (
            '"application/x-pem-file",\n                close=self._body_left_unread(),',
            '"application/x-pem-file",\n                close=False,',
        ),
        (
            '"application/pkix-crl", close=self._body_left_unread()',
            '"application/pkix-crl", close=False',
        ),
    )


def _error_answer_keeps_body() -> None:
    # Error answers close for framing errors, 5xx and 413 only: a 404, 405 or 400 to a
    # request whose body nobody read keeps the connection, and that body is the next request.
    _patch_dispatch(
        (
            "or exc.status == 413\n            or self._body_left_unread(),",
            "or exc.status == 413,",
        )
    )


def _unread_check_ignores_te() -> None:
    # "A body is announced by Content-Length": a request with Transfer-Encoding and no
    # Content-Length to a route that reads no body is answered and the connection kept.
    _patch(
        _srv()._Handler,
        "_body_left_unread",
        ('if self.headers.get_all("Transfer-Encoding"):\n        return True\n', "pass\n"),
    )


def _missing_csr_guess_uncounted() -> None:
    # The csr member checked after the password, and a request without one "is not an
    # enrolment attempt": its wrong password is answered 401 and released, never counted.
    srv = _srv()

    def release(throttle: Any, keys: tuple[str, ...]) -> None:
        with throttle._lock:
            throttle._release(keys)

    def need_csr(csr: Any) -> None:
        if not isinstance(csr, str):
            raise srv._HttpError(srv.HTTPStatus.BAD_REQUEST, "bad_request", "csr must be a string")

    srv._b15_release = release
    srv._b15_need_csr = need_csr
    _patch_enroll_handler(
        (
            "for v in (alias, password, csr)):",
            "for v in (alias, password)):",
        ),
        (
            "assert isinstance(alias, str) and isinstance(password, str) and isinstance(csr, str)",
            "assert isinstance(alias, str) and isinstance(password, str)",
        ),
        (
            "throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED",
            "(throttle.failed(*keys) if isinstance(csr, str) else _b15_release(throttle, keys))\n"
            "        raise _HttpError(HTTPStatus.UNAUTHORIZED",
        ),
        (
            "throttle.success(keys[0], keys[1])",
            "throttle.success(keys[0], keys[1]); _b15_need_csr(csr)",
        ),
    )


def _busy_without_max1() -> None:
    # CA-ENR-14's "p >= max(1, N - f)" coded as "p >= N - f": once a key has N failures,
    # N - f <= 0 and every attempt is busy, even with nothing pending, for ever.
    _patch(
        _srv().LoginThrottle,
        "admit",
        (
            "if pending >= self.pending_cap or (pending and failures + pending >= self.after):",
            "if pending >= self.pending_cap or pending >= self.after - failures:",
        ),
    )


def _tls_groups_p521() -> None:
    # The CA's groups "X25519:P-256:P-384:P-521" (the strong curves): secp521r1 negotiated.
    tls = _module("reference.pki.tls")
    tls.TLS13_GROUPS = "X25519:P-256:P-384:P-521"


def _bad_csr_counts_right_password() -> None:
    # "A failed enrolment is a failed login": a right password whose CSR is refused is
    # counted as a failure, so an honest client retrying a bad CSR locks itself out.
    _patch_enroll_handler(
        (
            'code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"',
            'code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"\n'
            '        if code == "bad_csr":\n'
            "            throttle.failure(*keys)",
        )
    )


# --- lens 5 -----------------------------------------------------------------------------


def _vanished_client_leaks_slot() -> None:
    # The connection slot given back where the handler returns (and after a failed
    # handshake), not in the thread's `finally`: a client that vanishes mid-request (a
    # reset) never returns its slot, and max_connections of them lock everyone out.
    srv = _srv()
    server = srv.CaServer
    ssl = _module("ssl")
    tls = _module("reference.pki.tls")
    mixin = _module("socketserver").ThreadingMixIn

    def finish_request(self: Any, request: Any, client_address: Any) -> None:
        try:
            tls_sock = tls.server_handshake(self.tls, request, self.config.handshake_timeout)
        except (OSError, ssl.SSLError):
            self._slots.release()
            return
        try:
            srv._Handler(tls_sock, client_address, self)
            self._slots.release()
        except (OSError, ssl.SSLError):
            pass  # the client vanished mid-request
        finally:
            tls.close_tls(tls_sock)

    def process_request_thread(self: Any, request: Any, client_address: Any) -> None:
        mixin.process_request_thread(self, request, client_address)

    server.finish_request = finish_request
    server.process_request_thread = process_request_thread


def _body_buffer_preallocated() -> None:
    # The body's buffer allocated from the announced length before the limit is checked:
    # a Content-Length of a petabyte is a MemoryError (500), not 413.
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "length = int(length_text)\n",
            "length = int(length_text)\n    buffer = bytearray(length)\n",
        ),
        (
            "body = self.rfile.read(length)\n",
            "body = bytes(buffer[: self.rfile.readinto(buffer)])\n",
        ),
    )


def _dummy_hash_fresh() -> None:
    # "No secret kept in memory": the dummy record for unknown aliases made afresh at each
    # use: an unknown alias costs two scrypts, a wrong password one.
    ca = _ca()
    make = ca._dummy_record.__wrapped__
    ca._dummy_record = make


# --- lens 6 -----------------------------------------------------------------------------


def _serial_time_seeded() -> None:
    # Serials from a generator seeded with the current second (and the row written with
    # INSERT OR REPLACE): two certificates issued within one second share their serial.
    ca = _ca()
    random = _module("random")
    time = _module("time")

    def serial() -> int:
        return int(random.Random(int(time.time())).getrandbits(159) | (1 << 158))

    ca._serial = serial
    _patch(
        ca.CertificateAuthority,
        "enroll",
        ('"INSERT INTO certificates', '"INSERT OR REPLACE INTO certificates'),
    )


def _one_enrolment_per_alias() -> None:
    # "Two enrolments of one alias at once are a mistake or an attack": the second is
    # answered 409 while the first runs (a check-then-act guard over-reaching).
    srv = _srv()
    handler = srv._Handler
    enroll = handler._enroll
    running: set[str] = set()
    lock = threading.Lock()

    def guarded(self: Any) -> None:
        request = self._read_json()
        self._body_read = True
        alias = request.get("alias")
        key = alias if isinstance(alias, str) else ""
        with lock:
            if key in running:
                raise srv._HttpError(
                    srv.HTTPStatus.CONFLICT, "conflict", "an enrolment of this alias is running"
                )
            running.add(key)
        try:
            self._read_json = lambda: request
            enroll(self)
        finally:
            del self._read_json
            with lock:
                running.discard(key)

    handler._enroll = guarded


def _body_read_flag_on_class() -> None:
    # "body read" kept on the handler class (`_Handler._body_read = True`) and never reset:
    # after any enrolment, on any connection, every unread body is taken as a next request.
    _patch_dispatch(("self._body_read = False\n", "\n"))
    _patch_enroll_handler(
        ("self._body_read = True", "_Handler._body_read = True"),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b15ca-{name}", "blind15-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "enrol-lock-over-body",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L1: one enrolment at a time, the lock taken before the body is read: a client that "
        "sends its head and stops mid-body stalls every other enrolment for the idle timeout",
        _enrol_lock_over_body,
    ),
    _m(
        "crl-write-under-lock",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L1: the CRL is written to its client under the store's lock: a client that pipelines "
        "CRL requests and never reads blocks the write, and every login and CRL with it",
        _crl_write_under_lock,
    ),
    _m(
        "handler-serialised",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L1: one lock around each connection's handler (the shared SQLite connection): an "
        "established TLS connection that sends nothing stalls every other client",
        _handler_serialised,
    ),
    _m(
        "handshake-lock",
        "LIM-5",
        "test_ca_unhappy_paths.py",
        "L1: TLS handshakes serialised by a lock ('OpenSSL is not thread-safe'): a client "
        "that connects and stays silent stalls every handshake for the handshake timeout",
        _handshake_lock,
    ),
    # lens 2
    _m(
        "aki-from-tls-cert",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "L2: the employee certificate's AuthorityKeyIdentifier is the CA's TLS certificate's "
        "SubjectKeyIdentifier (the certificate at hand), not the root's",
        _aki_from_tls_cert,
    ),
    _m(
        "cert-issuer-tls-subject",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "L2: the employee certificate's issuer is the CA's TLS certificate's subject while "
        "the root signs it: it names an issuer that did not sign it",
        _cert_issuer_tls_subject,
    ),
    _m(
        "leaf-ku-of-root",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "L2: the KeyUsage block copied from make_root: employee certificates carry "
        "keyCertSign and cRLSign, not digitalSignature",
        _leaf_ku_of_root,
    ),
    _m(
        "enrol-idempotent",
        "CA-ENR-4",
        "test_ca_csr.py",
        "L2: enrolment made 'idempotent': an alias holding a valid certificate gets that "
        "certificate again, for its old key, not one for the CSR's key",
        _enrol_idempotent,
    ),
    # lens 3
    _m(
        "413-keeps-alive",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L3: a body over 64 KiB is answered 413 at once and marked dealt with, the connection "
        "kept: its bytes are parsed as the next request (smuggling)",
        _413_keeps_alive,
    ),
    _m(
        "method-case-folded",
        "CA-ENR-9",
        "test_ca.py",
        "L3: methods upper-cased before dispatch (a framework habit): `get /v1/root` and "
        "`post /v1/enroll` are served, not 405/501",
        _method_case_folded,
    ),
    _m(
        "csr-pss-refused",
        "CA-ENR-2",
        "test_ca_csr.py",
        "L3: the CSR's signature algorithm checked against an OID allow-list without "
        "RSASSA-PSS: a valid PSS-signed RSA CSR (SHA-256) is answered bad_csr",
        _csr_pss_refused,
    ),
    # lens 4
    _m(
        "get-route-keeps-body",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L4: only the enrolment closes for a body it did not read: GET /v1/root or /v1/crl "
        "with a Content-Length body is answered and the body parsed as the next request",
        _get_route_keeps_body,
    ),
    _m(
        "error-answer-keeps-body",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L4: error answers close for framing errors, 5xx and 413 only: a 404/405/400 to a "
        "request with an unread body keeps the connection, the body taken as a request",
        _error_answer_keeps_body,
    ),
    _m(
        "unread-check-ignores-te",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L4: 'body left unread' looks at Content-Length only: GET with Transfer-Encoding and "
        "no Content-Length is answered and its body parsed as the next request",
        _unread_check_ignores_te,
    ),
    _m(
        "missing-csr-guess-uncounted",
        "CA-ENR-21",
        "test_ca_bad_csr_guesses.py",
        "L4: the csr member is checked after the password, and a request without one is no "
        "enrolment attempt: its wrong password is answered 401 and never counted",
        _missing_csr_guess_uncounted,
    ),
    _m(
        "busy-without-max1",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L4: busy when pending >= N - f (the max(1, .) left out): once an alias or address "
        "has N failures every later login is 503, even after its backoff",
        _busy_without_max1,
    ),
    _m(
        "tls-groups-p521",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "L4: the CA's TLS groups list is 'X25519:P-256:P-384:P-521': a ClientHello offering "
        "secp521r1 only is accepted",
        _tls_groups_p521,
    ),
    _m(
        "bad-csr-counts-right-password",
        "CA-ENR-14",
        "test_ca_throttle.py",
        "L4: a failed enrolment counts as a failed login: a right password whose CSR is "
        "refused bad_csr is counted, and its retries end in 429",
        _bad_csr_counts_right_password,
    ),
    # lens 5
    _m(
        "vanished-client-leaks-slot",
        "LIM-5",
        "test_ca_stalled_clients.py",
        "L5: the connection slot is given back where the handler returns, not in a finally: "
        "clients that reset mid-request keep their slots, and max_connections of them lock "
        "everyone out",
        _vanished_client_leaks_slot,
    ),
    _m(
        "body-buffer-preallocated",
        "CA-ENR-9",
        "test_ca.py",
        "L5: the body's buffer is allocated from Content-Length before the 64 KiB check: a "
        "petabyte Content-Length is a MemoryError answered 500, not 413",
        _body_buffer_preallocated,
    ),
    _m(
        "dummy-hash-fresh",
        "CA-ENR-6",
        "test_timing.py",
        "L5: the unknown alias's dummy record is made afresh at each use: an unknown alias "
        "costs two scrypts, a wrong password one",
        _dummy_hash_fresh,
    ),
    # lens 6
    _m(
        "serial-time-seeded",
        "CA-ENR-10",
        "test_ca_csr.py",
        "L6: serials from a generator seeded with the current second (rows written with "
        "INSERT OR REPLACE): certificates issued within one second share their serial",
        _serial_time_seeded,
    ),
    _m(
        "one-enrolment-per-alias",
        "CA-ENR-2",
        "test_ca_concurrent_enrolments.py",
        "L6: a second enrolment of an alias while one runs is answered 409 conflict: "
        "concurrent honest enrolments of one alias are refused",
        _one_enrolment_per_alias,
    ),
    _m(
        "body-read-flag-on-class",
        "CA-ENR-9",
        "test_ca_length_forms.py",
        "L6: 'body read' set on the handler class and never reset: after any enrolment on "
        "any connection, every unread body is parsed as the next request",
        _body_read_flag_on_class,
    ),
)
