"""Blind red-team round 18, second pass (B99): the CA (enrolment API, accounts, throttle,
CSRs, issuance, revocation, CRL).

Written from docs/SPEC.md (§4.4) and the reference's CA (reference/pki/ca.py,
ca_server.py) before any case file was read, through the six lenses of round 18. The
first ideas were checked against the registered mutants' names and descriptions and
replaced where they repeated one (marked (r); the repeats: SHA-384 CSRs refused, the
address key with the source port, a body read with one read1/recv, Content-Type compared
exactly, notAfter plus the backdate, Content-Length with leading zeros, a trailing-slash
route, X-Forwarded-For trusted, a revoked alias answered 403, a hard lock for accounts
only, an RSA size allow-list; and, after reading round 18's first CA list, a one-block
check that counts CERTIFICATE REQUEST labels only). Each mutant is one realistic
implementer's mistake breaking ONE MUST a black-box tester sees over HTTPS (or in what the
CA hands out); all run in the CA's server process (`ca=True`), the admin commands unmutated.

Lens 1 (negotiation and versions):
  b18b-ca-path-case-folded         the router folds the target's case: /V1/ROOT served
  b18b-ca-te-identity-ignored      (r) 'Transfer-Encoding: identity' read as no coding:
                                   the body framed by Content-Length, the connection kept
Lens 2 (round trips):
  b18b-ca-password-latin1          the login's password hashed as Latin-1 ('replace'), the
                                   account's as UTF-8: a non-ASCII right password is 401
  b18b-ca-crl-naive-not-after      notAfter read back without its zone: the CRL's expiry
                                   filter compares naive with aware, 500 once one is revoked
Lens 3 (out of order / pipelining):
  b18b-ca-pipelined-reader-reset   a fresh socket reader after each answer: a pipelined
                                   next request already read is lost (never answered)
Lens 4 (deployment: clocks):
  b18b-ca-crl-this-update-ceil     (r) (NOT_OBSERVABLE) thisUpdate rounded up to the next
                                   whole second (no backdate): up to 1 s in the future
Lens 5 (distinguishers):
  b18b-ca-unknown-alias-closes     an unknown alias's 401 closes the connection, a wrong
                                   password's keeps it
  b18b-ca-revoked-message          a revoked alias's right password: 401 auth_failed, but
                                   the message says the alias was revoked
Lens 6 (sibling paths):
  b18b-ca-get-route-first-length   the GET routes judge a body by the FIRST Content-Length
                                   only (POST checks all): 0 then 40 keeps the connection
  b18b-ca-csr-digest-rsa-only      the CSR hash check on the RSA branch only: an
                                   ecdsa-with-SHA1 CSR is certified

Blind run (each mutant against the case file its name suggested, before any case was
read): 2 of 10 detected — pipelined-reader-reset (test_interop_ca_pipelined_gets.py),
csr-digest-rsa-only (test_ca_csr.py). Five more were caught by another file citing the
requirement (test_file now names it; found with the whole suite run with --only-req):
path-case-folded (test_ca.py, its /V1 form; test_ca_unhappy_paths.py has no CA-ENR-9
case), crl-naive-not-after (test_ca.py: test_revoking_an_alias_revokes_all_its_certificates,
and test_ca_crl_fresh_per_request.py; test_ca_revocation_records.py has no CA-ENR-8 case),
unknown-alias-closes (test_ca.py: test_wrong_password_and_unknown_alias_get_the_same_answer
compares the headers), revoked-message (test_ca.py: the revoked alias's body against an
unknown alias's), password-latin1 (test_ca_accounts.py; test_ca_password_bytes.py has no
non-ASCII right password). Two slipped through every case citing CA-ENR-9 that was tried
(test_ca_length_forms.py, test_interop_ca_unframed_routes.py: its conflicting lengths come
non-zero first, its unread coding is gzip): te-identity-ignored, get-route-first-length.
One is not observable (NOT_OBSERVABLE at the end: crl-this-update-ceil, a thisUpdate up to
one second ahead, inside the second of resolution the suite must allow). Phase 3:
  te-identity-ignored, get-route-first-length
                                 test_ca_framing_spellings.py (merged by the lead into
      test_interop_ca_unframed_routes.py, whose copy it was): on POST /v1/enroll, GET
      /v1/root and GET /v1/crl, a head with `Content-Length: 0` then a second, different
      length (plain and with leading zeros), or `Transfer-Encoding: identity` / `Identity`
      beside a Content-Length, then a complete GET /v1/crl in the same write: one answer,
      then the close (never two answers, never a kept connection)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS", "NOT_OBSERVABLE"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited, and the do_* methods bound to it again."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


_WRONG_401 = (
    'throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
    '"wrong alias or password")'
)


# --- lens 1 -----------------------------------------------------------------------------


def _path_case_folded() -> None:
    # "Be liberal in what you accept": the router looks the path up lower-cased, so
    # /V1/ROOT, /v1/CRL and /V1/Enroll are served. Paths are case-sensitive (RFC 3986
    # §6.2.2.1): an unknown path is 404.
    _patch_dispatch(("path = self.path\n", "path = self.path.lower()\n"))


def _te_identity_ignored() -> None:
    # RFC 2616's "identity" coding (removed by RFC 7230) treated as no coding at all: a
    # request with `Transfer-Encoding: identity` and a Content-Length is framed by the
    # Content-Length and the connection kept — the bytes after it are read as a next
    # request, where a proxy in front that honours the Transfer-Encoding sees a body.
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            'if self.headers.get_all("Transfer-Encoding"):',
            'if [te for te in self.headers.get_all("Transfer-Encoding") or []'
            ' if te.strip().lower() != "identity"]:',
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _password_latin1() -> None:
    # "HTTP is Latin-1": the login's password is encoded as ISO-8859-1 (unencodable
    # characters replaced) before hashing, while the account was stored from UTF-8: a
    # right password with a non-ASCII character is refused (and two wrong ones outside
    # Latin-1 of the same length compare equal).
    _patch(
        _ca(),
        "_hash_password",
        (
            'secret = password.encode("utf-8", "surrogatepass")',
            'secret = password.encode("latin-1", "replace")',
        ),
    )


def _crl_naive_not_after() -> None:
    # The certificate's notAfter is read back without its zone (naive UTC); the CRL's
    # expiry filter then compares a naive datetime with an aware one: TypeError, a 500 for
    # every CRL once a certificate is revoked. (Planted on the read, not the write, by the
    # lead: a naive value written to the store outlived the mutant and broke the plain CA
    # the next self-test restarted on the same store.)
    _patch(
        _ca().CertificateAuthority,
        "crl",
        (
            "if dt.datetime.fromisoformat(not_after) > now - _BACKDATE",
            "if dt.datetime.fromisoformat(not_after).replace(tzinfo=None) > now - _BACKDATE",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _pipelined_reader_reset() -> None:
    # A fresh reader for each request ("no state carried between requests"): after an
    # answer the handler wraps the socket again, and what the old reader had already
    # buffered — a pipelined next request sent with the first — is dropped; the client
    # waits for an answer that never comes.
    srv = _srv()
    handler = srv._Handler
    send = handler._send

    def send_then_new_reader(self: Any, *args: Any, **kwargs: Any) -> None:
        send(self, *args, **kwargs)
        if not self.close_connection:
            self.rfile = self.connection.makefile("rb", self.rbufsize)

    handler._send = send_then_new_reader


# --- lens 4 -----------------------------------------------------------------------------


def _crl_this_update_ceil() -> None:
    # "Whole seconds, so that nextUpdate - thisUpdate is exactly 7 days": thisUpdate is
    # now rounded UP to the next second, without the backdate — up to a second in the
    # future of the moment the CRL is served (and of a client's clock).
    _patch(
        _ca(),
        "make_crl",
        (
            ".last_update(now - _BACKDATE)",
            ".last_update(now.replace(microsecond=0) + dt.timedelta(seconds=1))",
        ),
        (
            ".next_update(now - _BACKDATE + validity)",
            ".next_update(now.replace(microsecond=0) + dt.timedelta(seconds=1) + validity)",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _unknown_alias_closes() -> None:
    # authenticate() says why (None: no such alias), and the handler drops a client that
    # guesses aliases ("a scanner"): the 401 for an unknown alias carries
    # `Connection: close` and closes, a wrong password's 401 keeps the connection.
    ca = _ca()
    _patch(
        ca.CertificateAuthority,
        "authenticate",
        (
            "return ok and row is not None and row[1] is None",
            "return None if row is None else (ok and row[1] is None)",
        ),
    )
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            _WRONG_401,
            _WRONG_401[:-1] + ", close=right is None)",
        ),
    )


def _revoked_message() -> None:
    # The status and code are right (401 auth_failed) but the message helps the user: a
    # revoked alias's right password is told "this alias was revoked" — the body tells a
    # revoked account (and its right password) from a wrong password.
    ca = _ca()
    _patch(
        ca.CertificateAuthority,
        "authenticate",
        (
            "return ok and row is not None and row[1] is None",
            'return "revoked" if ok and row is not None and row[1] is not None '
            "else (ok and row is not None)",
        ),
    )
    _patch(
        _srv()._Handler,
        "_enroll",
        ("if not right:\n", 'if not right or right == "revoked":\n'),
        (
            _WRONG_401,
            _WRONG_401[: -len('"wrong alias or password")')]
            + '"this alias was revoked; ask an administrator" if right == "revoked" '
            'else "wrong alias or password")',
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _get_route_first_length() -> None:
    # The GET routes decide whether a body was left unread from the first Content-Length
    # field only (headers.get), while the enrolment's reader checks them all: a GET with
    # `Content-Length: 0` and `Content-Length: 40` keeps the connection and its 40 bytes
    # are read as the next request.
    _patch(
        _srv()._Handler,
        "_body_left_unread",
        (
            'return any(value.strip(" \\t") != "0" for value in lengths)',
            'return self.headers.get("Content-Length", "0").strip() != "0"',
        ),
    )


def _csr_digest_rsa_only() -> None:
    # "SHA-1 is an RSA problem": the weak-hash check sits on the RSA branch only; an
    # ECDSA P-256 CSR signed ecdsa-with-SHA1 is certified.
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or (isinstance(public_key, rsa.RSAPublicKey)"
            " and not isinstance(digest, _CSR_DIGESTS)):",
        ),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b18b-ca-{name}", "blind18b-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "path-case-folded",
        "CA-ENR-9",
        "test_ca.py",
        "L1: the router looks the target up lower-cased: /V1/ROOT and /v1/CRL are served "
        "200 instead of 404 (paths are case-sensitive)",
        _path_case_folded,
    ),
    _m(
        "te-identity-ignored",
        "CA-ENR-9",
        "test_interop_ca_unframed_routes.py",
        "L1: 'Transfer-Encoding: identity' read as no coding: an enrolment with it and a "
        "Content-Length is framed by the length and the connection kept (not closed)",
        _te_identity_ignored,
    ),
    # lens 2
    _m(
        "password-latin1",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L2: the login's password is hashed from its Latin-1 encoding ('replace'), the "
        "account's from UTF-8: a right password with a non-ASCII character is answered 401",
        _password_latin1,
    ),
    _m(
        "crl-naive-not-after",
        "CA-ENR-8",
        "test_ca.py",
        "L2: notAfter read back as naive; the CRL's expiry filter compares naive with "
        "aware: GET /v1/crl answers 500 once one of the CA's certificates is revoked",
        _crl_naive_not_after,
    ),
    # lens 3
    _m(
        "pipelined-reader-reset",
        "CA-ENR-9",
        "test_interop_ca_pipelined_gets.py",
        "L3: a fresh socket reader after each answer: a pipelined next request the old "
        "reader had buffered is dropped and never answered",
        _pipelined_reader_reset,
    ),
    # lens 5
    _m(
        "unknown-alias-closes",
        "CA-ENR-6",
        "test_ca.py",
        "L5: an unknown alias's 401 carries Connection: close and closes the connection; "
        "a wrong password's 401 keeps it",
        _unknown_alias_closes,
    ),
    _m(
        "revoked-message",
        "CA-ENR-11",
        "test_ca.py",
        "L5: a revoked alias's right password is answered 401 auth_failed with the message "
        "'this alias was revoked': its body differs from a wrong password's",
        _revoked_message,
    ),
    # lens 6
    _m(
        "get-route-first-length",
        "CA-ENR-9",
        "test_interop_ca_unframed_routes.py",
        "L6: the GET routes read only the first Content-Length to decide whether a body was "
        "left unread: Content-Length 0 then 40 keeps the connection, the body is a request",
        _get_route_first_length,
    ),
    _m(
        "csr-digest-rsa-only",
        "CA-ENR-13",
        "test_ca_csr.py",
        "L6: the weak-hash check sits on the RSA branch only: an ECDSA P-256 CSR signed "
        "ecdsa-with-SHA1 is certified",
        _csr_digest_rsa_only,
    ),
)

# Written blind, measured, then found unobservable by any portable case: not registered.
# thisUpdate and the answer's Date both have a second's resolution, and a conforming CA may
# take its Date when the request arrives and date its CRL a moment later — in the next
# second: a thisUpdate one second past the Date is what test_ca_own_clock.py must allow, and
# all this mutant does. The tester's own clock is not the CA's (the suite does not assume
# one clock, conformance/test_ca_own_clock.py).
NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "crl-this-update-ceil",
        "CA-ENR-8",
        "test_ca_own_clock.py",
        "L4: the CRL's thisUpdate is now rounded up to the next second, not backdated: a "
        "CRL dated up to one second after the moment it is served",
        _crl_this_update_ceil,
    ),
)
