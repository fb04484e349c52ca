"""Blind red-team round 19, third pass (helper B111): the CA (HTTP enrolment API), through
the six lenses of /work/briefs/s19/common_c.md.

Phase 1 (blind): written from docs/SPEC.md (§4.4, PKI-CERT-2) and the reference's CA
(reference/pki/ca.py, ca_server.py) before any case file, conformance module or
independent implementation was opened. A short pass (~6 mutants): the first ideas
(a case-insensitive SQL collation for the alias lookup, a Latin-1 password, the chain in
`certificate`, Retry-After forms, an in-memory lock set that ignores `sft ca user unlock`
— not observable: no target declares an unlock command) were checked against the 714
registered CA mutants and dropped or replaced by the ones below, written the same way. All
run in the CA's server process (`ca=True`).

Lens 1 — library defaults and their surprises:
- b19c-ca-host-key-rstrip-dots: `name.lower().rstrip(".")` (the pre-3.9 idiom for
  removesuffix) for "ignoring one trailing dot": str.rstrip strips every trailing dot, so
  the valid aliases `localhost..` and `127.0.0.1..` (PKI-CERT-2 allows dots anywhere
  after the first character) are refused as the CA's host names (CA-ENR-2: an alias the
  store accepted is never refused for its form).
Lens 2 — porting idioms:
- b19c-ca-host-names-strncmp: the CA-ENR-17 check ported from C as
  `strncasecmp(alias, host, strlen(alias)) == 0`: every alias that is a prefix of one of
  the CA's names (`local`, `l`, `127`, `127.0.0`) is refused (CA-ENR-2).
Lens 3 — feature interactions:
- b19c-ca-oversize-counted: the body limit and the throttle: an enrolment refused 413 for
  its size is counted as a failed login of its address (a flooding client is "an
  attacker"); after N of them the address's right password is 429 (CA-ENR-14: only a
  wrong password counts).
Lens 5 — what the user and the peer are told:
- b19c-ca-member-errors-object: the member-type refusal answered the way validation
  frameworks do: `{"error": "bad_request", "message": {"password": "must be a string"}}`,
  a message that is an object, not a string (CA-ENR-9).
Lens 6 — refactoring slips:
- b19c-ca-text-check-first-only: a `break` left after the first member's Unicode check
  (alias, then csr): a csr holding a lone surrogate reaches the CA after a right
  password, and its UTF-8 encoding raises: 500 internal instead of a 400 refusal
  (CA-ENR-13: a csr that is not one PEM request is 400).

Blind run (phase 2: each mutant against the case file its name suggested, before any case
was read): 0 of 5 detected by the guessed file. Caught by another file citing the
requirement (each mutant run once against every case file citing it, --only-req; test_file
now names the catching file): host-key-rstrip-dots and host-names-strncmp
(test_interop_ca_alias_near_own_names.py: its prefixes and its `localhost..`),
member-errors-object (test_ca.py::test_ca_errors_are_json). Missed by every file citing
the requirement: text-check-first-only (test_ca_hostile_values_spill.py sends its
surrogate csr with a WRONG password, which ends at 401 before the csr is read) and
oversize-counted (test_ca_unhappy_paths.py waits out any 429 before its honest login).
Phase 3, cases for their CLASS (each verified: the mutant FAILs the named file; the
unmodified reference PASSes it three times; ca1, ca2, ca3 PASS it; both in CA_FILES):
  text-check-first-only   test_ca_csr_unencodable_text.py: with the account's RIGHT
      password, csr strings holding a lone surrogate (alone, inside the base64, after the
      END line, a low one before BEGIN): each 400 {bad_csr or bad_request, message: str},
      never 200 or 5xx
  oversize-counted        test_ca_unverified_refusals_uncounted.py: from one fresh address,
      N + 1 requests of each kind refused before a password is verified (body over 64 KiB,
      query string, malformed JSON, unknown path, wrong method), each naming the account
      with a wrong password; no 429 among them, and the right password then 200 at once
"""

from __future__ import annotations

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


# --- lens 1 -----------------------------------------------------------------------------


def _host_key_rstrip_dots() -> None:
    # "Ignore the trailing dot" written with str.rstrip, which takes every trailing dot:
    # `localhost..` compares equal to `localhost`.
    ca = _ca()

    def host_key(name: str) -> str:
        return name.lower().rstrip(".")

    ca._host_key = host_key


# --- lens 2 -----------------------------------------------------------------------------


def _host_names_strncmp() -> None:
    # C's strncasecmp(alias, host, strlen(alias)): equal when the alias is a prefix of
    # one of the CA's names.
    _patch(
        _ca().CertificateAuthority,
        "check_not_host_name",
        (
            "if _host_key(alias) in self.host_names:",
            "if any(h.startswith(_host_key(alias)) for h in self.host_names):",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------


def _oversize_counted() -> None:
    # A body over the limit counts as a failed login of its address (before the 413).
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "if length > MAX_BODY:\n",
            "if length > MAX_BODY:\n"
            '        self.server.throttle.failure(f"addr:{self.client_address[0]}")\n',
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------


def _member_errors_object() -> None:
    # Field-level validation errors as the message (DRF, pydantic): an object.
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '"alias, password and csr must be strings"',
            '{k: "must be a string" for k in ("alias", "password", "csr")'
            " if not isinstance(request.get(k), str)}",
        ),
    )


# --- lens 6 -----------------------------------------------------------------------------


def _text_check_first_only() -> None:
    # A `break` left at the end of the loop body: only the alias is checked.
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            'f"the {what} is not valid Unicode text"\n            )\n',
            'f"the {what} is not valid Unicode text"\n            )\n        break\n',
        ),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b19c-ca-{name}", "blind19c-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "host-key-rstrip-dots",
        "CA-ENR-2",
        "test_interop_ca_alias_near_own_names.py",
        "L1: the host-name key is name.lower().rstrip('.'): every trailing dot dropped, the "
        "valid aliases localhost.. and 127.0.0.1.. are refused as the CA's names",
        _host_key_rstrip_dots,
    ),
    _m(
        "host-names-strncmp",
        "CA-ENR-2",
        "test_interop_ca_alias_near_own_names.py",
        "L2: strncasecmp(alias, host, strlen(alias)): an alias that is a prefix of a CA "
        "name (local, 127) is refused as a host name",
        _host_names_strncmp,
    ),
    _m(
        "oversize-counted",
        "CA-ENR-14",
        "test_ca_unverified_refusals_uncounted.py",
        "L3: a body refused 413 counts as a failed login of its address: after N of them "
        "the address's right password is answered 429",
        _oversize_counted,
    ),
    _m(
        "member-errors-object",
        "CA-ENR-9",
        "test_ca.py",
        "L5: a member of the wrong type is answered 400 with a message that is an object "
        "of field errors, not a string",
        _member_errors_object,
    ),
    _m(
        "text-check-first-only",
        "CA-ENR-13",
        "test_ca_csr_unencodable_text.py",
        "L6: a break after the alias's Unicode check: a csr with a lone surrogate is "
        "encoded after a right password and answered 500, not 400",
        _text_check_first_only,
    ),
)
