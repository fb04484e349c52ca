"""Blind red-team round 20 (helper B116): the CA (HTTP enrolment API, CRL, its admin
commands' effects on a running CA), through the six lenses of /work/briefs/s20/common.md.

Phase 1 (blind): written from docs/SPEC.md (§2, §4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module or independent implementation was opened. The first list was checked against the
names and descriptions of the 719 registered CA mutants; the lens-1 ideas were nearly all
there (curves by size, SHA-224, RSA in bytes, 20 random serial octets, notAfter plus the
skew, the CRL window from now, the certificate hashed as the CSR, TLS 1.2, the cheaper
dummy hash), as was the query refused after the login; they were replaced by the ones
below, written the same way (marked (r)). All run in the CA's server process (`ca=True`);
the admin commands (`user add`, `revoke`, `user unlock`) run unmutated in their own
processes.

Lens 1 — weak parameters accepted:
- b20ca-serial-uuid1 (r): serials are uuid.uuid1().int ("unique 128-bit serials"): the
  clock and the host's node id, a few random bits in the clock sequence, not the 64
  random bits of CA-ENR-10.
- b20ca-csr-pss-params-unread (r): the CSR's signature algorithm judged by its OID
  against an allow-list holding RSASSA-PSS: the hash inside the PSS parameters is never
  read, so a PSS CSR hashed with SHA-1 is certified (CA-ENR-13).
Lens 2 — algorithmic complexity and depth:
- b20ca-json-depth-500: RecursionError dropped from the JSON parser's except clause
  ("json.loads raises ValueError"): a body of 65536 "[" — malformed JSON — is answered
  500 internal, not 400 bad_request (CA-ENR-9).
- b20ca-alias-regex-backtracks: the alias's form checked before the password (as
  CA-ENR-6 allows) with the nested regex [a-z0-9](?:[a-z0-9]*[._-]?)*: an alias of 40
  letters and one '!' takes exponential time with the GIL held: the whole CA stops
  answering (LIM-5).
- b20ca-pem-regex-backtracks: the csr's PEM block located with
  BEGIN\\s*((?:[A-Za-z0-9+/=]+\\s*)+)END: a BEGIN line followed by base64 and no END line
  backtracks exponentially after a right password: the whole CA stops answering (LIM-5).
Lens 3 — administrator actions while serving:
- b20ca-unlock-unseen: the running CA trusts its in-memory set of hard locks and no
  longer looks at the lock table: `sft ca user unlock` takes effect at the next restart,
  the running CA keeps answering 429 (CA-ENR-19: "until an administrator unlocks it").
- b20ca-locks-written-back: every failure the running CA records also writes its whole
  in-memory lock set back to the lock table ("keep the table in sync"): an unlock made
  by the CLI is undone by the next failed login of any alias before the CA saw it.
- b20ca-revoked-snapshot-at-start: the revoked aliases are read once when the CA starts
  (a set kept beside the connection): `sft ca revoke` run while the CA serves is seen by
  the CRL (read per request) but not by logins: the revoked alias enrols again
  (CA-ENR-11).
Lens 4 — peer-controlled bytes reflected:
- b20ca-401-quotes-alias: the 401 message quotes the alias the client sent ("no account
  'x' with this password"): the body of a wrong password and the body of an unknown
  alias differ (CA-ENR-6: the same body).
- b20ca-404-json-by-hand: the 404 body is formatted by hand ('{"error": ..., "message":
  "no such path %s"}'): a path holding '"' or '\\' or a control character makes it
  invalid JSON (CA-ENR-9: a JSON object).
- b20ca-send-error-json-by-hand: the same for the HTTP library's own errors (send_error):
  a method token or request line holding '"' quoted in "Unsupported method (...)" breaks
  the JSON (CA-ENR-9).
Lens 5 — exception taxonomy:
- b20ca-json-decode-error-only: the body's parse catches json.JSONDecodeError only: a
  body that is not UTF-8 (UnicodeDecodeError), NaN (the parser's ValueError) or 65536
  "[" (RecursionError) escapes as 500 internal, not 400 bad_request (CA-ENR-9).
- b20ca-csr-except-valueerror-only: the CSR's parse catches (ValueError, CaError) only:
  a CSR whose signature algorithm the library does not know (UnsupportedAlgorithm)
  escapes as 500 internal, not 400 bad_csr (CA-ENR-13).
- b20ca-csr-type-eafp: the csr member's type is left to `csr.encode()` inside a
  `try/except TypeError` (EAFP): a csr that is a number, null, a list or an object
  raises AttributeError, answered 500 internal after a right password (CA-ENR-13: 400).
Lens 6 — the MUST's later clauses:
- b20ca-revoked-by-certificates: "revoked" derived from the certificates table (the
  latest revocation of its certificates): an alias revoked before its first enrolment —
  it has no certificate — enrols (CA-ENR-11: a revoked alias MUST NOT enrol again).
- b20ca-content-type-case-sensitive: a Content-Type check that compares the media type
  exactly: 'Application/JSON' is answered 415 (CA-ENR-2: in any letter case).

Blind run (phase 2: each mutant against the case file its name suggested, before any
case was read): 4 of 16 detected — 401-quotes-alias, json-decode-error-only,
revoked-by-certificates (test_ca.py), send-error-json-by-hand (test_ca_error_framing.py:
its non-ASCII method). Caught by another file citing the requirement (test_file now names
it): csr-pss-params-unread (test_interop_ca_pss_csr_hashes.py), csr-except-valueerror-only
(test_interop_ca_pss_csr_hashes.py: its PSS-over-MD5 request raises UnsupportedAlgorithm),
csr-type-eafp (test_ca_csr_unencodable_text.py: a lone surrogate in the csr),
revoked-snapshot-at-start (test_ca.py), content-type-case-sensitive
(test_ca_same_request_spellings.py: 'Application/JSON'). Missed by every file citing the
requirement: serial-uuid1, json-depth-500, alias-regex-backtracks, pem-regex-backtracks,
404-json-by-hand; and unlock-unseen, locks-written-back were not observable at all (no
target declared an unlock command: round 16's "locks-not-reread" was kept out for that).
Phase 3, cases for their CLASS (each verified: the mutant FAILs the named file; the
unmodified reference PASSes it three times):
  serial-uuid1             test_ca_serial_varying_bits.py: 8 enrolments, the bit positions
      in which the serials do not all agree are at least 56 (64 random bits: all but
      half a position on average; uuid1, clocks, counters, a clock beside 32 random bits:
      fewer) (CA-ENR-10)
  json-depth-500           test_ca_malformed_deep_json.py: 65000 unclosed '[', 13000
      unclosed '{"a":', an alias opening 60000 '[', 30000 '[' closed by 29999 ']' and a
      '}': each 400 bad_request (CA-ENR-9)
  alias-regex-backtracks, pem-regex-backtracks
                           test_ca_bounded_work.py: an alias 'a' x 63 + '!' and x 60000
      + '!' (wrong password), a csr with BEGIN, base64 (one run; 900 lines) and no END
      (right password): answered within 10 s with a 4xx JSON error, or else another
      connection's GET /v1/root answered within 10 s (LIM-5, CA-ENR-9)
  404-json-by-hand         test_ca_error_messages_quoting.py: '"', '\\', U+0001, U+001F
      in an unknown path, '"' and '\\' in the method, '"' in the version: the error body
      is a JSON object {error, message} (CA-ENR-9); send-error-json-by-hand fails it too
  unlock-unseen, locks-written-back
                           test_ca_unlock_while_serving.py, with a new target declaration
      `[pki] ca_unlock_cmd` (conformance/target.py, embedded.py: `sft ca user unlock
      {alias} --dir D`, README): a fresh account locked (ca_lock_after failures), unlocked
      by the command while the CA serves, another alias fails once, then its right
      password enrols (a Retry-After given after the unlock waited out once) (CA-ENR-19)
  Also written for classes the existing catches reach only incidentally:
                           test_ca_csr_parse_failures.py: a CSR with an unknown signature
      algorithm OID or an unknown public key algorithm OID is 400 bad_csr; a csr member
      that is a number, null, true, a list, an object is 400 (bad_csr or bad_request),
      with the right password (CA-ENR-13); it catches csr-except-valueerror-only and
      csr-type-eafp as well.

Against the clean-room CAs (/work/briefs/s20/run_ca.py): test_ca_bounded_work.py,
test_ca_error_messages_quoting.py, test_ca_csr_parse_failures.py,
test_ca_serial_varying_bits.py and test_ca_unlock_while_serving.py PASS ca1, ca2 and ca3
(the unlock case runs on ca1 and ca2 with their own unlock commands, now declared in
test_ca1.py/test_ca2.py; SKIP on ca3, which has none) and are in ca_harness.CA_FILES.
test_ca_malformed_deep_json.py PASSes ca2 (Go) and FAILs ca1 and ca3 (Python): both catch
(UnicodeDecodeError, ValueError) around json.loads and answer the RecursionError of a
malformed deeply nested body 500 internal — the very bug of json-depth-500, found in
foreign code; it is NOT in CA_FILES until they are fixed (one clause each: RecursionError).

Noticed in the reference (lens 5, not fixed here): _Handler._read_json checks the
Content-Length is ASCII digits and then calls int() on it; Python 3.11's int() refuses a
string of more than 4300 digits (ValueError: Exceeds the limit for integer string
conversion), which escapes to the generic handler: `Content-Length: ` + 5000 x '9' (a
body over 64 KiB: CA-ENR-9 says 413) and `Content-Length: ` + 4999 x '0' + '2' (a body of
2 bytes) are both answered 500 internal. Fix: judge the digits before int() (leading
zeros stripped, more than 6 digits is over the limit).
"""

from __future__ import annotations

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


def _patch_enroll_handler(*edits: tuple[str, str]) -> None:
    _patch(_srv()._Handler, "_enroll", *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """`_Handler._dispatch` edited, and the do_* methods bound to it again."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for method in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, method, handler._dispatch)


# --- lens 1 -----------------------------------------------------------------------------


def _serial_uuid1() -> None:
    # "A UUID is unique": 128 bits, positive, at most 17 octets; but uuid1 is the clock
    # and the node id, with 14 bits of clock sequence: not 64 random bits.
    uuid = _module("uuid")
    _ca()._serial = lambda: uuid.uuid1().int


def _csr_pss_params_unread() -> None:
    # The weak-hash check rewritten as an allow-list of signature algorithm OIDs; PSS is
    # on it (its OID names no hash), and the PSS parameters are never read.
    ca = _ca()
    oid = _module("cryptography.x509.oid").SignatureAlgorithmOID
    ca._b20_sig_oids = frozenset(
        {
            oid.RSA_WITH_SHA256,
            oid.RSA_WITH_SHA384,
            oid.RSA_WITH_SHA512,
            oid.ECDSA_WITH_SHA256,
            oid.ECDSA_WITH_SHA384,
            oid.ECDSA_WITH_SHA512,
            oid.RSASSA_PSS,
        }
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or csr.signature_algorithm_oid not in _b20_sig_oids:",
        ),
    )


# --- lens 2 -----------------------------------------------------------------------------


def _json_depth_500() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "except (UnicodeDecodeError, ValueError, RecursionError):",
            "except (UnicodeDecodeError, ValueError):",
        ),
    )


def _alias_regex_backtracks() -> None:
    # CA-ENR-6 lets a CA refuse an alias of impossible form before any password: done
    # with a regex whose nested quantifiers backtrack exponentially on a long run of
    # letters followed by a character outside the set (the length checked after it).
    srv = _srv()
    re = _module("re")
    form = re.compile(r"[a-z0-9](?:[a-z0-9]*[._-]?)*")

    def check(alias: str) -> None:
        if not form.fullmatch(alias) or len(alias) > 64:
            raise srv._HttpError(
                srv.HTTPStatus.BAD_REQUEST, "bad_request", "the alias is not a valid alias"
            )

    srv._b20_alias_form = check
    _patch_enroll_handler(
        (
            "throttle = self.server.throttle\n",
            "_b20_alias_form(alias)\n    throttle = self.server.throttle\n",
        )
    )


def _pem_regex_backtracks() -> None:
    # The PEM block located with a regex before the library reads it ("tolerate blank
    # lines and spaces"): (?:[base64]+\s*)+ splits a run of base64 in every possible way
    # when no END line follows.
    ca = _ca()
    re = _module("re")
    ca._b20_pem = re.compile(
        rb"-----BEGIN CERTIFICATE REQUEST-----\s*((?:[A-Za-z0-9+/=]+\s*)+)"
        rb"-----END CERTIFICATE REQUEST-----"
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            'if csr_pem.count(b"-----BEGIN ") != 1:',
            'if _b20_pem.search(csr_pem) is None or csr_pem.count(b"-----BEGIN ") != 1:',
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _unlock_unseen() -> None:
    # The in-memory lock set is trusted; the table is only written (for restarts).
    _patch(
        _srv().LoginThrottle,
        "_hard_locked",
        (
            'and not self._db.execute("SELECT 1 FROM locks WHERE key = ?", (key,)).fetchone()',
            "and False",
        ),
    )


def _locks_written_back() -> None:
    # Each write of a failure also writes the whole in-memory lock set back ("the table
    # mirrors memory"): a lock the CLI deleted comes back at the next failure of any key.
    _patch(
        _srv().LoginThrottle,
        "_count",
        (
            "(key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),\n"
            "            )\n",
            "(key, entry.count, max(0.0, entry.blocked_until - now) + wall, wall),\n"
            "            )\n"
            "            for held in self._locked:\n"
            "                self._db.execute(\n"
            '                    "INSERT OR IGNORE INTO locks (key, since) VALUES (?, ?)",\n'
            "                    (held, wall),\n"
            "                )\n",
        ),
    )


def _revoked_snapshot_at_start() -> None:
    # The revoked aliases read once at start (a set beside the store); logins consult the
    # set, the CRL still reads the certificates table per request.
    authority = _ca().CertificateAuthority
    init = authority.__init__

    def snapshot_init(self: Any, directory: Any) -> None:
        init(self, directory)
        self._b20_revoked = {
            row[0]
            for row in self._db.execute("SELECT alias FROM users WHERE revoked_at IS NOT NULL")
        }

    authority.__init__ = snapshot_init
    _patch(
        authority,
        "authenticate",
        (
            "return ok and row is not None and row[1] is None",
            "return ok and row is not None and alias not in self._b20_revoked",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _401_quotes_alias() -> None:
    _patch_enroll_handler(
        ('"wrong alias or password"', 'f"no account {alias[:64]!r} with this password"')
    )


def _404_json_by_hand() -> None:
    _patch_dispatch(
        (
            'raise _HttpError(HTTPStatus.NOT_FOUND, "not_found", f"no such path {path[:64]!r}")',
            "self._send(HTTPStatus.NOT_FOUND, ('{\"error\": \"not_found\", \"message\": "
            "\"no such path %s\"}' % path[:64]).encode('utf-8', 'replace'), "
            "'application/json', close=self._body_left_unread())\n"
            "            return",
        )
    )


def _send_error_json_by_hand() -> None:
    _patch(
        _srv()._Handler,
        "send_error",
        (
            'self._send_json(status, {"error": name, "message": status.phrase}, close=True)',
            "self._send(status, ('{\"error\": \"%s\", \"message\": \"%s\"}' % (name, message "
            "or status.phrase)).encode('utf-8', 'replace'), 'application/json', close=True)",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _json_decode_error_only() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "except (UnicodeDecodeError, ValueError, RecursionError):",
            "except json.JSONDecodeError:",
        ),
    )


def _csr_except_valueerror_only() -> None:
    _patch(
        _ca().CertificateAuthority,
        "enroll",
        (
            "except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm, CaError):",
            "except (ValueError, CaError):",
        ),
    )


def _csr_type_eafp() -> None:
    # The csr's type left to its encode(): `except TypeError` where a number, None, a
    # list or a dict raise AttributeError.
    srv = _srv()
    ca = _ca()

    def csr_bytes(csr: Any) -> bytes:
        try:
            return bytes(csr.encode("utf-8"))
        except TypeError:
            raise ca.CaError("bad_csr") from None

    srv._b20_csr_bytes = csr_bytes
    _patch_enroll_handler(
        (
            "isinstance(v, str) for v in (alias, password, csr)",
            "isinstance(v, str) for v in (alias, password)",
        ),
        ('(("alias", alias), ("csr", csr))', '(("alias", alias),)'),
        ('csr.encode("utf-8"),', "_b20_csr_bytes(csr),"),
        (" and isinstance(csr, str)\n", "\n"),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _revoked_by_certificates() -> None:
    # "Revoked" read from the certificates: an alias revoked with no certificate is not.
    authority = _ca().CertificateAuthority
    derived = (
        "(SELECT MAX(c.revoked_at) FROM certificates c WHERE c.alias = users.alias)"
    )
    _patch(
        authority,
        "authenticate",
        (
            '"SELECT password, revoked_at FROM users WHERE alias = ?"',
            f'"SELECT password, {derived} FROM users WHERE alias = ?"',  # noqa: S608
        ),
    )
    _patch(
        authority,
        "enroll",
        (
            '"SELECT revoked_at FROM users WHERE alias = ?"',
            f'"SELECT {derived} FROM users WHERE alias = ?"',  # noqa: S608
        ),
    )


def _content_type_case_sensitive() -> None:
    srv = _srv()

    def check(handler: Any) -> None:
        value = handler.headers.get("Content-Type")
        if value is not None and value.split(";")[0].strip() != "application/json":
            raise srv._HttpError(
                srv.HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send application/json",
            )

    srv._b20_content_type = check
    _patch(
        srv._Handler,
        "_read_json",
        (
            'if self.headers.get_all("Transfer-Encoding"):\n',
            '_b20_content_type(self)\n    if self.headers.get_all("Transfer-Encoding"):\n',
        ),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(f"b20ca-{name}", "blind20-ca", "pki", req, test_file, description, apply, ca=True)


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "serial-uuid1",
        "CA-ENR-10",
        "test_ca_serial_varying_bits.py",
        "L1: serials are uuid1().int: clock and node id, not 64 random bits",
        _serial_uuid1,
    ),
    _m(
        "csr-pss-params-unread",
        "CA-ENR-13",
        "test_interop_ca_pss_csr_hashes.py",
        "L1: CSR signature algorithms allowed by OID, RSASSA-PSS among them: the PSS "
        "parameters' hash is never read, a PSS CSR hashed with SHA-1 is certified",
        _csr_pss_params_unread,
    ),
    # lens 2
    _m(
        "json-depth-500",
        "CA-ENR-9",
        "test_ca_malformed_deep_json.py",
        "L2: RecursionError not caught by the body's parse: 65536 '[' (malformed JSON) is "
        "answered 500 internal, not 400 bad_request",
        _json_depth_500,
    ),
    _m(
        "alias-regex-backtracks",
        "LIM-5",
        "test_ca_bounded_work.py",
        "L2: the alias's form checked before the password with a nested regex: 40 letters "
        "and a '!' backtrack exponentially with the GIL held, the CA stops answering",
        _alias_regex_backtracks,
    ),
    _m(
        "pem-regex-backtracks",
        "LIM-5",
        "test_ca_bounded_work.py",
        "L2: the csr's PEM block located with a nested regex: a BEGIN line and base64 "
        "without END backtrack exponentially after a right password, the CA stops answering",
        _pem_regex_backtracks,
    ),
    # lens 3
    _m(
        "unlock-unseen",
        "CA-ENR-19",
        "test_ca_unlock_while_serving.py",
        "L3: the running CA trusts its in-memory hard locks: `sft ca user unlock` takes "
        "effect only at the next restart",
        _unlock_unseen,
    ),
    _m(
        "locks-written-back",
        "CA-ENR-19",
        "test_ca_unlock_while_serving.py",
        "L3: each recorded failure writes the in-memory lock set back to the table: an "
        "unlock by the CLI is undone by the next failed login of any alias",
        _locks_written_back,
    ),
    _m(
        "revoked-snapshot-at-start",
        "CA-ENR-11",
        "test_ca.py",
        "L3: revoked aliases read once at start: an alias revoked while the CA serves "
        "enrols again (the CRL, read per request, lists it)",
        revocation_not_rechecked(_revoked_snapshot_at_start),
    ),
    # lens 4
    _m(
        "401-quotes-alias",
        "CA-ENR-6",
        "test_ca.py",
        "L4: the 401 message quotes the alias sent: a wrong password's body and an "
        "unknown alias's body differ",
        _401_quotes_alias,
    ),
    _m(
        "404-json-by-hand",
        "CA-ENR-9",
        "test_ca_error_messages_quoting.py",
        "L4: the 404 body formatted by hand around the path: a '\"', '\\\\' or control "
        "character in the path makes it invalid JSON",
        _404_json_by_hand,
    ),
    _m(
        "send-error-json-by-hand",
        "CA-ENR-9",
        "test_ca_error_framing.py",
        "L4: the HTTP library's errors formatted by hand: a '\"' in the method token "
        "quoted by 'Unsupported method (...)' makes the body invalid JSON",
        _send_error_json_by_hand,
    ),
    # lens 5
    _m(
        "json-decode-error-only",
        "CA-ENR-9",
        "test_ca.py",
        "L5: only json.JSONDecodeError caught: a body not UTF-8, NaN or 65536 '[' is "
        "answered 500 internal, not 400 bad_request",
        _json_decode_error_only,
    ),
    _m(
        "csr-except-valueerror-only",
        "CA-ENR-13",
        "test_interop_ca_pss_csr_hashes.py",
        "L5: the CSR's parse catches ValueError only: an unknown signature algorithm "
        "(UnsupportedAlgorithm) is answered 500 internal, not 400 bad_csr",
        _csr_except_valueerror_only,
    ),
    _m(
        "csr-type-eafp",
        "CA-ENR-13",
        "test_ca_csr_unencodable_text.py",
        "L5: the csr member's type left to encode() with except TypeError: a number, null, "
        "list or object csr raises AttributeError, 500 after a right password",
        _csr_type_eafp,
    ),
    # lens 6
    _m(
        "revoked-by-certificates",
        "CA-ENR-11",
        "test_ca.py",
        "L6: 'revoked' derived from the alias's certificates: an alias revoked before its "
        "first enrolment enrols",
        _revoked_by_certificates,
    ),
    _m(
        "content-type-case-sensitive",
        "CA-ENR-2",
        "test_ca_same_request_spellings.py",
        "L6: the media type compared exactly: Content-Type Application/JSON is 415",
        _content_type_case_sensitive,
    ),
)
