"""Blind red-team round 20, second pass (helper B119): the CA (HTTP enrolment API, CRL,
admin commands' effects), through the six lenses of /work/briefs/s20/common_b.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, tls.py, reference/cli/ca.py) before any case file,
conformance module or independent implementation was opened, and before the first pass's
mutants_blind20_ca.py. About thirty ideas were checked against the names and descriptions
of the 736 registered CA mutants; nearly all were there already (lens 1: SHA-224 and
digest deny lists, curves by size or secp256k1, RSA size in bytes, 63-bit serials, the
groups and CCM suites of the CA's TLS, a validity taken from the body; lens 3: unlock
unseen, users/revocations snapshot at start, unknown aliases cached, CRL caches; lens 6:
the pending rule's clauses, Retry-After forms, trailing dots, query checks, chunked bodies
past 64 KiB, PEM labels) and were dropped: lenses 1, 3 and 6 have no new entry here. All
run in the CA's server process (`ca=True`).

Lens 2 — algorithmic complexity and depth:
- b20bca-json-members-quadratic: duplicate members refused by an object_pairs_hook that
  looks each key up among the keys before it (a nested loop): 64 KiB of short distinct
  members cost tens of millions of steps, the CA stops answering (LIM-5).
Lens 4 — peer-controlled bytes reflected:
- b20bca-alias-header-echo: the refused alias is echoed in an `X-Sft-Alias` header of the
  401 (for the front proxy's access log), written raw: an alias holding CR LF adds header
  lines or ends the head, and the answer's body is then the alias's bytes, not the JSON
  error object (CA-ENR-9).
Lens 5 — exception taxonomy:
- b20bca-csr-ascii-encode: the csr encoded with "ascii" ("PEM is ASCII") inside the try
  that catches CaError only: a csr holding any non-ASCII character raises
  UnicodeEncodeError, answered 500 internal, not 400 bad_csr (CA-ENR-13).

Blind run (phase 2: each mutant against the case file its name suggested, before any
case was read): 0 of 3 detected, and each missed by every other file citing its
requirement (json-members-quadratic: the four files citing LIM-5 for the CA;
alias-header-echo: the 22 files citing CA-ENR-9; csr-ascii-encode: the nine files citing
CA-ENR-13).

Phase 3:
- csr-ascii-encode: test_ca_csr_non_ascii_text.py (CA-ENR-13, CA-ENR-9): after the
  account's right password, csr texts with non-ASCII characters — é alone, é / ü / U+00A0
  inside the base64, a Cyrillic Е in the BEGIN label — are 400 bad_csr (or bad_request);
  a valid request with non-ASCII explanatory text before BEGIN or after END is 200 or
  that 400; never 5xx. Catches the class "the csr's text meets an encoder whose error
  the CSR path does not catch" beyond the lone surrogates of
  test_ca_csr_unencodable_text.py.
- alias-header-echo: test_ca_answer_head_untouched.py (CA-ENR-9): logins whose alias
  (or password) holds CR LF + a header line, a bare LF + a header line, CR LF CR LF + a
  forged JSON body, or U+2028 and non-Latin-1 letters, each raw over TLS: a 4xx whose
  head holds none of those bytes and whose framed body is the JSON error object. Catches
  any member reflected into the answer's head (response splitting, a head that cannot
  be written).
Both files PASS the unmodified reference (three runs) and the clean-room CAs ca1, ca2 and
ca3 (/work/briefs/s20/run_ca.py), and are in ca_harness.CA_FILES; each FAILs its mutant.

SPEC_SILENT (below, not in MUTANTS): json-members-quadratic is not observable as a MUST
break. CPython hands the GIL over every 5 ms in a Python loop, so the CA keeps serving:
with four such logins in flight a GET /v1/root was answered in 0.2 s; only the four
logins themselves took 9 s each (0.4 s on the reference). No requirement bounds the time
a single request takes. Proposed (CA-ENR-9 or LIM-5): "The CA's work on a request grows
at most linearly with its size: a request within the 64 KiB body limit, whatever the
shape of its JSON (members, elements, depth), is answered within 2 s plus the time of
its password verification."
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS", "SPEC_SILENT"]


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _json_members_quadratic() -> None:
    from conformance.selftest.mutants_app import _patch_source

    server = _server()

    def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # RFC 8259 §4 leaves duplicate names undefined: refuse them.
        for i, (key, _value) in enumerate(pairs):
            for earlier, _ in pairs[:i]:
                if earlier == key:
                    raise ValueError(f"duplicate member {key[:32]!r}")
        return dict(pairs)

    server._b20b_unique_members = unique_members
    _patch_source(
        server._Handler,
        "_read_json",
        (
            "parse_constant=_not_json)",
            "parse_constant=_not_json, object_pairs_hook=_b20b_unique_members)",
        ),
    )


def _alias_header_echo() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            "throttle.failed(*keys)\n"
            '        raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
            '"wrong alias or password")',
            "throttle.failed(*keys)\n"
            '        raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", '
            '"wrong alias or password", {"X-Sft-Alias": alias})',
        ),
    )


def _csr_ascii_encode() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _server()._Handler,
        "_enroll",
        ('csr.encode("utf-8")', 'csr.encode("ascii")'),
    )


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b20bca-{name}", "blind20b-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 4
    _m(
        "alias-header-echo",
        "CA-ENR-9",
        "test_ca_answer_head_untouched.py",
        "L4: the refused alias echoed raw in an X-Sft-Alias header of the 401: an alias with "
        "CR LF adds header lines or ends the head, the body read is the alias's bytes",
        _alias_header_echo,
    ),
    # lens 5
    _m(
        "csr-ascii-encode",
        "CA-ENR-13",
        "test_ca_csr_non_ascii_text.py",
        "L5: the csr encoded as ASCII inside a try that catches CaError only: a csr with a "
        "non-ASCII character is answered 500 internal, not 400 bad_csr",
        _csr_ascii_encode,
    ),
)


# Not a MUST the wire can show (see the docstring): kept out of MUTANTS.
SPEC_SILENT: tuple[Mutant, ...] = (
    # lens 2
    _m(
        "json-members-quadratic",
        "LIM-5",
        "test_ca_bounded_work.py",
        "L2: duplicate members refused by an object_pairs_hook scanning the keys before each "
        "key: 64 KiB of short distinct members costs seconds of CPU per login (quadratic); "
        "the CA still answers others",
        _json_members_quadratic,
    ),
)
