"""Blind red-team round 17: the CA (enrolment API, accounts, throttle, CSRs, issuance,
revocation, CRL, its own certificate, the admin commands while it serves).

Written from docs/SPEC.md (§0, §2, §4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, alias.py, reference/cli/ca.py) before any case file
was read, through the six lenses of round 17. The first list was checked against the
654 registered CA mutants; ideas that repeat them were replaced (marked (r) below; the
repeats: a CSR CN that must match the alias, `failures + pending > N`, a connection slot
leaked by a failed handshake, a CRL window from now with a backdated thisUpdate); two
more were dropped before measuring (a serial drawn once, as a default argument: every
second enrolment a 500 on the serial's UNIQUE column; a CRL dated by its last revocation:
seen only once that revocation is a second old). Each
mutant is one realistic implementer's mistake breaking ONE MUST a black-box tester sees
over HTTPS (or in what the CA hands out). All run in the CA's server process (`ca=True`):
the admin commands (`user add`, `revoke`, `user unlock`) run unmutated in their own
processes.

Blind run (each mutant against the case file its name suggested, before any case was
read; the two mutants of `_dispatch` rebind its do_* aliases, without which they were
inert in a first run): 3 of 17 detected — nth-failure-answered-429 (test_ca_throttle.py),
alias-reserved-names (test_ca_accounts.py: its ends-with-dot form; no device name was
tried), crl-next-update-ceil-second (test_pki_hardening.py). Six more were caught by
another file citing the requirement (test_file now names it): throttle-gate-first-request
and addr-threshold-doubled (test_ca_throttle.py), csr-crlf-refused
(test_interop_ca_csr_line_ends.py), host-names-from-root (test_pki_hardening.py),
aki-from-tls-key (test_ca_csr.py), cn-printable-string (test_ca_accounts.py, as CA-ENR-2:
the reference's cryptography refuses to sign such a CN, so the planted bug shows as a 500
for an alias with '_'). Seven slipped through (alias-one-char-refused and
alias-ip-form-refused past test_ca_accounts.py; body-read-flag-sticky past
test_ca_error_framing.py; large-413-keeps-connection past test_ca_length_forms.py;
csr-doubled-block-deduped past test_ca_csr_forms.py; same-guess-counted-once past
test_ca_throttle.py; csr-cache-by-bytes: test_ca.py has no CA-ENR-10 case, and by their
code the CA-ENR-10 cases of test_ca_csr.py and test_ca_accounts.py send a new CSR each
time). One is not observable (NOT_OBSERVABLE at the end). Phase 3 (cases for their CLASS):
  alias-one-char-refused, alias-ip-form-refused
                                 test_ca_alias_forms.py: one fresh account per alias at an
      edge of PKI-CERT-2 (one character, a Windows device name, a device name with a
      suffix, '..' inside, an IPv4 address's form, '_'), enrolled: 200, subject exactly
      CN=alias, in a string type whose character set holds it (catches the PrintableString
      CN of an encoder that does not check, too)
  body-read-flag-sticky, large-413-keeps-connection
      (also missed by test_interop_ca_unframed_routes.py, test_interop_ca_pipelined_gets.py
      and test_ca_answer_forms.py)
                                 test_ca_bodies_never_requests.py: bodies that are a
      complete GET /v1/crl — a GET /v1/root's body after nothing / after an enrolment
      answered 400 / 401 on the same connection, and oversized enrolment bodies (limit + 1
      sent whole, 1 MiB + 1, 2^31 announced) — are never answered as a request
  csr-doubled-block-deduped      test_ca_csr.py: test_malformed_csr_is_refused's new
      form one-request-twice (the same PEM block pasted twice)
  csr-cache-by-bytes             test_ca_csr.py: the serials case's sixth enrolment
      repeats the first request byte for byte (a client's retry): a new serial
  same-guess-counted-once        test_ca_repeated_guesses.py: one wrong password repeated
      per alias (fresh addresses) and per address (the very same request): N x 401, then
      429 (up to four late 401s allowed, each after a doubling)

Lens 1 (boundaries and exact multiples):
  b17ca-alias-one-char-refused      issuance's alias pattern wants 2+ characters: 'a', '7' refused
  b17ca-addr-threshold-doubled      addresses get 2N failures before their first 429 (NAT leniency)
  b17ca-nth-failure-answered-429    (r) the failure that starts the block is answered 429, not 401
Lens 2 (fatal vs recoverable; state a refused request leaves behind):
  b17ca-body-read-flag-sticky       'body read' kept per connection: a later GET's body is a request
  b17ca-throttle-gate-first-request (r) the throttle gate runs on a connection's first login only
  b17ca-large-413-keeps-connection  a 413 whose body was not read keeps the connection open
Lens 3 (duplicates and repetition):
  b17ca-csr-cache-by-bytes          a byte-identical request is answered the cached certificate
  b17ca-csr-doubled-block-deduped   a CSR block pasted twice is folded into one before the count
  b17ca-same-guess-counted-once     the same wrong password for an alias counts once
Lens 4 (cryptographic API misuse):
  b17ca-cn-printable-string         the CN encoded as PrintableString ('_' is no PrintableString)
  b17ca-aki-from-tls-key            the AKI computed from the CA's TLS key, not the root's
  b17ca-host-names-from-root        (r) CA-ENR-17's names read from the root, not the TLS cert
Lens 5 (content that looks like structure):
  b17ca-csr-crlf-refused            a hand-written PEM reader: CRLF line ends are bad_csr
  b17ca-alias-reserved-names        file-name-safe aliases only: con, nul.x, com1, 'a.' refused
  b17ca-alias-ip-form-refused       any alias that parses as an IP address is refused
Lens 6 (lifecycle ends):
  b17ca-crl-next-update-ceil-second (r) the CRL's nextUpdate rounded up a second: 7 d + 1 s
  b17ca-locks-flushed-at-close      hard locks written to disk when the server closes only
                                    (not observable: a declared restart is a graceful one,
                                    through which the write at close keeps them)
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import threading
import time
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


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited, and the do_* methods bound to it again (they hold the
    original function, bound when the class was made)."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


_WRONG_401 = (
    'throttle.failed(*keys)\n        raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
    '"wrong alias or password")'
)


# --- lens 1 -----------------------------------------------------------------------------


def _alias_one_char_refused() -> None:
    # The issuing code has its own copy of the alias pattern, written `[a-z0-9][a-z0-9._-]+`
    # ("at least one more"): a one-character alias the account store accepted is refused
    # when its certificate is made.
    ca = _ca()
    pattern = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")

    def check_alias(alias: str) -> str:
        if not pattern.fullmatch(alias):
            raise ca.CaError(f"invalid alias {alias[:64]!r}")
        return alias

    ca.check_alias = check_alias


def _addr_threshold_doubled() -> None:
    # "Many users share an address (NAT): give addresses twice the allowance." The SPEC
    # has one threshold N for both kinds of key.
    srv = _srv()
    srv._b17_after = lambda self, key: self.after * 2 if key.startswith("addr:") else self.after
    _patch(
        srv.LoginThrottle,
        "_count",
        ("if entry.count >= self.after:", "if entry.count >= _b17_after(self, key):"),
        (
            "self.base * 2 ** (entry.count - self.after)",
            "self.base * 2 ** (entry.count - _b17_after(self, key))",
        ),
    )
    _patch(
        srv.LoginThrottle,
        "admit",
        (
            "(pending and failures + pending >= self.after)",
            "(pending and failures + pending >= _b17_after(self, key))",
        ),
    )


def _nth_failure_answered_429() -> None:
    # After recording a failure the handler asks the throttle whether the key is now
    # blocked and, if so, answers 429 at once ("tell the client to back off"): the N-th
    # wrong password, the one that starts the block, is answered 429 instead of 401.
    srv = _srv()

    def after_failure(throttle: Any, keys: tuple[str, ...]) -> None:
        wait = throttle.retry_after(*keys)
        if wait > 0:
            raise srv._HttpError(
                srv.HTTPStatus.TOO_MANY_REQUESTS,
                "throttled",
                f"too many failed logins; retry after {wait} s",
                {"Retry-After": str(wait)},
            )

    srv._b17_after_failure = after_failure
    _patch_enroll_handler(
        (
            _WRONG_401,
            _WRONG_401.replace(
                "throttle.failed(*keys)\n",
                "throttle.failed(*keys)\n        _b17_after_failure(throttle, keys)\n",
            ),
        )
    )


# --- lens 2 -----------------------------------------------------------------------------


def _body_read_flag_sticky() -> None:
    # The "body already read" flag is reset in the handler's constructor, and http.server
    # makes one handler per CONNECTION: after one enrolment on a kept-alive connection,
    # every later request counts as having read its body, and the body of a GET /v1/root
    # or /v1/crl is left in the stream and read as the next request.
    _patch_dispatch(("self._body_read = False\n    try:", "try:"))


def _throttle_gate_first_request() -> None:
    # The throttle is a gate at the start of a connection ("a client that is throttled is
    # refused at its first login"): later logins on the same kept-alive connection are
    # reserved and counted but never refused 429/503.
    srv = _srv()

    def gate(handler: Any, throttle: Any, keys: tuple[str, ...]) -> int:
        if handler.__dict__.get("_b17_gated"):
            with throttle._lock:
                for key in keys:
                    throttle._pending[key] = throttle._pending.get(key, 0) + 1
            return 0
        handler.__dict__["_b17_gated"] = True
        return int(throttle.admit(*keys))

    srv._b17_gate = gate
    _patch_enroll_handler(
        (
            "wait = throttle.admit(*keys)  # pending until verified [CA-ENR-14]",
            "wait = _b17_gate(self, throttle, keys)",
        )
    )


def _large_413_keeps_connection() -> None:
    # "A 413 discards the body": the handler marks the body as consumed and keeps the
    # connection, but above 16 x 64 KiB it never read it: the body's bytes are read as the
    # next request (request smuggling through an oversized body).
    srv = _srv()

    def discarded(handler: Any, status: Any) -> Any:
        handler._body_read = True
        return status

    srv._b17_discarded = discarded
    _patch(
        srv._Handler,
        "_read_json",
        (
            "HTTPStatus.REQUEST_ENTITY_TOO_LARGE,",
            "_b17_discarded(self, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),",
        ),
    )
    _patch_dispatch(
        ("or exc.status >= 500\n            or exc.status == 413", "or exc.status >= 500")
    )


# --- lens 3 -----------------------------------------------------------------------------


def _csr_cache_by_bytes() -> None:
    # Retry safety: "a client that lost our answer sends the same request again; give it
    # the same certificate". A byte-identical CSR from the same alias within an hour gets
    # the certificate issued before: the serial repeats.
    authority = _ca().CertificateAuthority
    enroll = authority.enroll
    cache: dict[tuple[str, bytes], tuple[float, Any]] = {}
    lock = threading.Lock()

    def cached_enroll(self: Any, alias: str, csr_pem: bytes, **kwargs: Any) -> Any:
        key = (alias, bytes(csr_pem))
        with lock:
            hit = cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        cert = enroll(self, alias, csr_pem, **kwargs)
        with lock:
            cache[key] = (time.monotonic() + 3600.0, cert)
        return cert

    authority.enroll = cached_enroll


def _csr_doubled_block_deduped() -> None:
    # "Users paste the CSR twice": identical PEM blocks are folded into one before the
    # one-block check, so a csr holding the same CERTIFICATE REQUEST twice is accepted.
    ca = _ca()

    def dedupe(data: bytes) -> bytes:
        blocks = re.findall(rb"-----BEGIN [^\n]*?-----.*?-----END [^\n]*?-----", data, re.S)
        if not blocks:
            return data
        return b"\n".join(dict.fromkeys(blocks))

    ca._b17_dedupe = dedupe
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            'if csr_pem.count(b"-----BEGIN ") != 1:',
            'if _b17_dedupe(csr_pem).count(b"-----BEGIN ") != 1:',
        ),
    )


def _same_guess_counted_once() -> None:
    # "Repeating the same wrong password teaches an attacker nothing" (a reading of NIST
    # SP 800-63B): a wrong password already counted for this alias is not counted again.
    # A client replaying one guess never meets the throttle.
    srv = _srv()
    seen: set[bytes] = set()
    lock = threading.Lock()

    def failed_once(throttle: Any, keys: tuple[str, ...], alias: str, password: str) -> None:
        digest = hashlib.sha256(
            alias.encode("utf-8", "surrogatepass")
            + b"\0"
            + password.encode("utf-8", "surrogatepass")
        ).digest()
        with lock:
            repeat = digest in seen
            seen.add(digest)
        if repeat:
            with throttle._lock:
                throttle._release(keys)
        else:
            throttle.failed(*keys)

    srv._b17_failed_once = failed_once
    _patch_enroll_handler(
        (
            _WRONG_401,
            _WRONG_401.replace(
                "throttle.failed(*keys)", "_b17_failed_once(throttle, keys, alias, password)"
            ),
        )
    )


# --- lens 4 -----------------------------------------------------------------------------


def _cn_printable_string() -> None:
    # The CN is written as a PrintableString (X.520's traditional choice for names), whose
    # character set has no '_': an alias such as a_b gets a malformed subject that strict
    # parsers (Go's crypto/x509) refuse.
    ca = _ca()
    ca._b17_printable = _module("cryptography.x509.name")._ASN1Type.PrintableString
    _patch(
        ca,
        "_leaf_builder",
        (
            "x509.NameAttribute(NameOID.COMMON_NAME, common_name)",
            "x509.NameAttribute(NameOID.COMMON_NAME, common_name, _b17_printable)",
        ),
    )


def _aki_from_tls_key() -> None:
    # The AuthorityKeyIdentifier is computed from "the CA's certificate" the server has at
    # hand — its HTTPS certificate — instead of the root that signs: every employee
    # certificate names an issuer key that did not sign it.
    ca = _ca()
    x509 = _module("cryptography.x509")
    holder: dict[str, Any] = {}

    def issuer_key(root: Any) -> Any:
        return holder.get("key") or root.public_key()

    authority = ca.CertificateAuthority
    enroll = authority.enroll

    def enroll_with_tls(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "key" not in holder:
            tls = x509.load_pem_x509_certificate((self.directory / self.TLS_CERT).read_bytes())
            holder["key"] = tls.public_key()
        return enroll(self, *args, **kwargs)

    ca._b17_issuer_key = issuer_key
    _patch(
        ca,
        "_leaf_builder",
        (
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key())",
            "x509.AuthorityKeyIdentifier.from_issuer_public_key(_b17_issuer_key(root))",
        ),
    )
    authority.enroll = enroll_with_tls


def _host_names_from_root() -> None:
    # CA-ENR-17's names are read from "the CA certificate" — the root — instead of the
    # CA's HTTPS certificate: the root has no subjectAltName and a CN that is no host name,
    # so the CA's own names (localhost, 127.0.0.1) are enrolable aliases.
    ca = _ca()
    authority = ca.CertificateAuthority
    init = authority.__init__

    def init_from_root(self: Any, directory: Any) -> None:
        init(self, directory)
        self.host_names = ca._host_names(self.root)

    authority.__init__ = init_from_root


# --- lens 5 -----------------------------------------------------------------------------


def _csr_crlf_refused() -> None:
    # A hand-written PEM reader: split on "\n", the first and last lines compared exactly,
    # the rest base64-decoded strictly. A CSR with CRLF line ends (Windows tools, RFC 7468
    # allows them) keeps a "\r" on each line and is refused bad_csr.
    ca = _ca()
    x509 = _module("cryptography.x509")

    def load_strict(data: bytes) -> Any:
        lines = data.strip().split(b"\n")
        if (
            len(lines) < 3
            or lines[0] != b"-----BEGIN CERTIFICATE REQUEST-----"
            or lines[-1] != b"-----END CERTIFICATE REQUEST-----"
        ):
            raise ValueError("not a PEM certificate request")
        der = base64.b64decode(b"".join(lines[1:-1]), validate=True)
        return x509.load_der_x509_csr(der)

    ca._b17_load_strict = load_strict
    _patch(
        ca.CertificateAuthority,
        "enroll",
        ("csr = x509.load_pem_x509_csr(csr_pem)", "csr = _b17_load_strict(csr_pem)"),
    )


_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def _alias_reserved_names() -> None:
    # Certificates are also written as files named after the alias, so the CA refuses
    # aliases that are no portable file name: Windows device names (con, nul.x, com1 ...)
    # and names ending in a dot. The account store accepted them (CA-ENR-2).
    ca = _ca()

    def file_safe(alias: str) -> None:
        if alias.split(".", 1)[0] in _RESERVED or alias.endswith("."):
            raise ca.CaError(f"the alias {alias} cannot be used as a file name")

    ca._b17_alias_form = file_safe
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "self.check_not_host_name(alias)\n",
            "self.check_not_host_name(alias)\n    _b17_alias_form(alias)\n",
        ),
    )


def _alias_ip_form_refused() -> None:
    # CA-ENR-17 over-read: "an alias must never look like a host address", so every alias
    # that parses as an IP address (10.0.0.1, 192.168.1.20) is refused, not only the CA's
    # own addresses.
    ca = _ca()

    def not_an_address(alias: str) -> None:
        try:
            ipaddress.ip_address(alias)
        except ValueError:
            return
        raise ca.CaError(f"the alias {alias} is an IP address")

    ca._b17_alias_form = not_an_address
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "self.check_not_host_name(alias)\n",
            "self.check_not_host_name(alias)\n    _b17_alias_form(alias)\n",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _crl_next_update_ceil_second() -> None:
    # The CRL's times are written in whole seconds: thisUpdate is truncated (as the DER
    # encoder does) and nextUpdate rounded UP "so that no client sees it expire early":
    # the window is 7 days and one second.
    _patch(
        _ca(),
        "make_crl",
        (".last_update(now - _BACKDATE)", ".last_update((now - _BACKDATE).replace(microsecond=0))"),
        (
            ".next_update(now - _BACKDATE + validity)",
            ".next_update((now - _BACKDATE + validity).replace(microsecond=0)"
            " + dt.timedelta(seconds=1))",
        ),
    )


def _locks_flushed_at_close() -> None:
    # Hard locks kept in memory and written to disk when the server closes ("one write at
    # shutdown"): a graceful stop keeps them, a crash or a kill loses them, and the CA
    # comes back with the alias unlocked.
    srv = _srv()
    _patch(
        srv.LoginThrottle,
        "_count",
        ('"INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)",', '"SELECT ?, ?",'),
    )
    _patch(srv.LoginThrottle, "_hard_locked", ("self._db is not None\n", "False\n"))
    server = srv.CaServer
    server_close = server.server_close

    def close_and_flush(self: Any) -> None:
        throttle = self.throttle
        with throttle._lock:
            if throttle._db is not None:
                for key in sorted(throttle._locked):
                    throttle._db.execute(
                        "INSERT OR REPLACE INTO locks (key, since) VALUES (?, ?)",
                        (key, time.time()),
                    )
        server_close(self)

    server.server_close = close_and_flush


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b17ca-{name}", "blind17-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "alias-one-char-refused",
        "CA-ENR-2",
        "test_ca_alias_forms.py",
        "L1: the issuing code's alias pattern wants two or more characters ('+' for '*'): a "
        "one-character alias the account store accepted ('a', '7') is refused at enrolment",
        _alias_one_char_refused,
    ),
    _m(
        "addr-threshold-doubled",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L1: addresses get twice the threshold (NAT leniency): 2N wrong passwords from one "
        "address, at different aliases, are verified before its first 429",
        _addr_threshold_doubled,
    ),
    _m(
        "nth-failure-answered-429",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L1: after counting a failure the handler answers 429 if the key is now blocked: the "
        "N-th wrong password, the one that starts the backoff, gets 429 instead of 401",
        _nth_failure_answered_429,
    ),
    # lens 2
    _m(
        "body-read-flag-sticky",
        "CA-ENR-9",
        "test_ca_bodies_never_requests.py",
        "L2: the 'body read' flag is per connection, not per request: after one enrolment on "
        "a kept-alive connection, a later GET's unread body is read as the next request",
        _body_read_flag_sticky,
    ),
    _m(
        "throttle-gate-first-request",
        "CA-ENR-7",
        "test_ca_throttle.py",
        "L2: the throttle is a gate at a connection's first login: later logins on the same "
        "kept-alive connection are counted but never refused 429/503",
        _throttle_gate_first_request,
    ),
    _m(
        "large-413-keeps-connection",
        "CA-ENR-9",
        "test_ca_bodies_never_requests.py",
        "L2: a 413 marks the body as discarded and keeps the connection, but above 1 MiB the "
        "body was never read: its bytes are answered as the next request",
        _large_413_keeps_connection,
    ),
    # lens 3
    _m(
        "csr-cache-by-bytes",
        "CA-ENR-10",
        "test_ca_csr.py",
        "L3: a byte-identical enrolment request within an hour is answered the certificate "
        "issued for it before (retry safety): the serial repeats",
        _csr_cache_by_bytes,
    ),
    _m(
        "csr-doubled-block-deduped",
        "CA-ENR-13",
        "test_ca_csr.py",
        "L3: identical PEM blocks are folded before the one-block check: a csr holding the "
        "same CERTIFICATE REQUEST twice is certified instead of bad_csr",
        _csr_doubled_block_deduped,
    ),
    _m(
        "same-guess-counted-once",
        "CA-ENR-7",
        "test_ca_repeated_guesses.py",
        "L3: a wrong password already counted for an alias is not counted again: one guess "
        "replayed never meets the throttle",
        _same_guess_counted_once,
    ),
    # lens 4
    _m(
        "cn-printable-string",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L4: the employee CN is encoded as a PrintableString, whose character set has no '_': "
        "an alias such as a_b gets a malformed subject (encoders that do not check write it and "
        "strict parsers refuse it; the reference's cryptography refuses to sign it: 500)",
        _cn_printable_string,
    ),
    _m(
        "aki-from-tls-key",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "L4: the AuthorityKeyIdentifier is computed from the CA's HTTPS certificate's key, "
        "not the signing root's: it differs from the root's SubjectKeyIdentifier",
        _aki_from_tls_key,
    ),
    _m(
        "host-names-from-root",
        "CA-ENR-17",
        "test_pki_hardening.py",
        "L4: the CA's own names are read from the root (no subjectAltName, a CN that is no "
        "host name) instead of its HTTPS certificate: alias localhost or 127.0.0.1 enrols",
        _host_names_from_root,
    ),
    # lens 5
    _m(
        "csr-crlf-refused",
        "CA-ENR-2",
        "test_interop_ca_csr_line_ends.py",
        "L5: a hand-written PEM reader (split on LF, exact header lines, strict base64): a "
        "valid CSR with CRLF line ends is refused bad_csr",
        _csr_crlf_refused,
    ),
    _m(
        "alias-reserved-names",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "L5: aliases must be portable file names: con, nul.x, com1, lpt9 and names ending in "
        "a dot, accepted by the account store, are refused at enrolment",
        _alias_reserved_names,
    ),
    _m(
        "alias-ip-form-refused",
        "CA-ENR-2",
        "test_ca_alias_forms.py",
        "L5: CA-ENR-17 over-read: every alias that parses as an IP address (10.0.0.1), not "
        "only the CA's own, is refused at enrolment",
        _alias_ip_form_refused,
    ),
    # lens 6 (locks-flushed-at-close: NOT_OBSERVABLE below)
    _m(
        "crl-next-update-ceil-second",
        "CA-ENR-16",
        "test_pki_hardening.py",
        "L6: the CRL's thisUpdate truncated to the second and its nextUpdate rounded up: "
        "the window is 7 days and one second",
        _crl_next_update_ceil_second,
    ),
)

# Written blind, measured, then found unobservable by any portable case: not registered.
# A target's declared restart (`[pki] ca_restart_cmd`) is a restart the CA is told of (the
# reference: SIGHUP; a supervisor: SIGTERM), through which a write-at-close keeps its locks;
# only a crash loses them, and no target declares how to crash its CA.
NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "locks-flushed-at-close",
        "CA-ENR-19",
        "test_ca_restart.py",
        "L6: hard locks kept in memory and written to disk when the server closes: a CA that "
        "is killed comes back with the locked alias unlocked",
        _locks_flushed_at_close,
    ),
)
