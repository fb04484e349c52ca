"""Blind red-team round 27 (helper B203): the CA (root, issuance, CRL, its HTTPS, logins),
through the six lenses of /work/briefs/s27/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, tls.py's contexts) before any case file, conformance
module or independent implementation was opened, then checked against the names and
descriptions of the registered CA mutants. Replaced as repeats (r): the CRL's nextUpdate
counted from now (a dozen *-crl-*-from-now), SHA-224 CSRs accepted (b4ca-csr-sha224...),
the 429/503 codes from the status phrase (b19ca-throttle-codes-from-phrase), an unknown
alias's bad CSR answered 400 (b16ca-unknown-alias-csr-first), a wrong password with a bad
CSR leaving its pending attempt (b5ca-bad-csr-leaks-pending), the CA's groups or suites
widened (x448, P-521, CCM, unpinned: PKI-TLS-9 has no CA idea left that the own key type
does not make unobservable), the password cut at 72 characters (b11ca-password-prefix-72).
All run in the CA's server process (`ca=True`); the admin commands run unmutated, so the
root mutants re-make the root at `ca serve` from its key (as round 26's did).

Lens 1 — the thin MUSTs (PKI-CERT-8: 3, ERR-6: 3, CA-ENR-5: 8):
- b27ca-root-ku-digsig: the root's KeyUsage digitalSignature, keyCertSign, cRLSign (the
  `v3_ca` of many OpenSSL CA tutorials). Planted, missed by every case citing PKI-CERT-8
  (test_ca_served_root_profile.py takes keyCertSign and cRLSign as a minimum), and
  DROPPED as unjudged: PKI-CERT-8 lists the root's bits without PKI-CERT-1's "and nothing
  else" (a SPEC sentence is proposed in the round's report).
- b27ca-badcsr-parser-text: a bad CSR's 400 carries the parser's own error text, a Rust
  Debug dump ("ParseError { kind: UnexpectedTag { actual: Tag { ... } }, location:
  [\"Csr::csr_info\"] }") (ERR-6). Also L2 (the library's message passed through).
Lens 2 — the assistant's draft:
- b27ca-log-internal-repr: the internal-error log line adds `repr(exc)` ("for
  debugging"): a UnicodeEncodeError's repr holds the whole password it failed on (CA-ENR-5).
Lens 3 — cross-references:
- b27ca-log-incomplete-body: "every refusal" read as the login's refusals: a body its
  client ended early is logged with the bytes that did arrive (CA-ENR-5; its 400 is
  CA-ENR-9's incomplete message).
Lens 4 — interop is not conformance:
- b27ca-root-no-ku: the re-made root has no KeyUsage at all (OpenSSL, the own endpoints and
  enrolment client accept it) (PKI-CERT-8).
Lens 5 — two faults at once:
- b27ca-revoked-at-record-only: `authenticate` no longer reads the revocation, left to the
  issuing transaction's recheck (REVOKED_MEANWHILE): a revoked alias's right password with
  a bad CSR is 400 bad_csr while a wrong one is 401, and it clears the alias's failures
  (CA-ENR-11: a revoked alias's logins are answered like a wrong password).
Lens 6 — beyond the toy sizes:
- b27ca-crl-fetchmany: the CRL's rows read with one `fetchmany(50)` (a paging loop never
  written): past 50 revoked certificates the CRL lists the first 50 only (CA-ENR-8). slow.
Post-blind siblings (phase 3, the class each new case aims at):
- b27ca-badcsr-go-struct-dump: the bad_csr message is Go's %+v of an asn1 structure error.
- b27ca-log-bad-json-body: a body that is no JSON is logged, its first 120 bytes.

Blind run (phase 2): 1 of 7 detected by the named file (root-no-ku:
test_ca_served_root_profile.py); the 6 others missed by every case file citing their
requirement (SFT_MUTANT_FILES=citing).

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  badcsr-parser-text        test_ca_parser_errors_no_dump.py: behind the right password,
      malformed CSRs; no answer holds a parser's debug dump (Rust/Go struct syntax, an
      exception's repr, a stack frame, a source line)
  log-internal-repr, log-incomplete-body
                            test_ca_log_refusals_no_password.py: requests refused for
      other reasons (a codec-hostile password, a cut-short body, no JSON, a wrong-typed
      member, a bad CSR), a marker password each: no 12-character piece in the CA's log
  revoked-at-record-only    test_ca_revoked_login_any_csr.py: revoked aliases, right vs
      wrong password with CSRs the CA refuses: same status and error code
  crl-fetchmany             test_ca_crl_many_revocations.py (slow): one alias enrolled 130
      times and revoked: the CRL lists every serial
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module, surrogate_hash_raises

__all__ = ["MUTANTS"]

_GROUP = "blind27-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_module_function(module: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(module, attr, *edits)


def _patch_dispatch(*edits: tuple[str, str]) -> None:
    """_dispatch edited, and rebound to the do_* names that copied the original."""
    handler = _srv()._Handler
    _patch(handler, "_dispatch", *edits)
    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, name, handler._dispatch)


def _root_remade(*edits: tuple[str, str]) -> None:
    """make_root edited, and the root re-made with it from the signing key when the CA
    starts: same key and subject, so the certificates it issued still verify."""
    ca = _ca()
    _patch_module_function(ca, "make_root", *edits)
    authority = ca.CertificateAuthority
    original = authority.__init__

    def __init__(self: Any, directory: Any) -> None:
        original(self, directory)
        row = self._db.execute("SELECT value FROM settings WHERE key = 'org'").fetchone()
        try:
            key = self.root_key
        except ca.CaError:
            return  # an encrypted key: the root on disk is kept
        self.root = ca.make_root(key, row[0] if row else "Example Org")

    authority.__init__ = __init__


_ROOT_KU = (
    "            x509.KeyUsage(\n"
    "                digital_signature=False,\n"
    "                content_commitment=False,\n"
)


def _root_no_ku() -> None:
    src = _module("inspect").getsource(_ca().make_root)
    begin = src.index("        .add_extension(\n" + _ROOT_KU)
    block = src[begin : src.index("        .add_extension(ski, critical=False)\n")]
    _root_remade((block, ""))


def _badcsr_parser_text() -> None:
    ca = _ca()
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "UnsupportedAlgorithm, CaError):\n"
            '            raise CaError("bad_csr") from None\n',
            "UnsupportedAlgorithm, CaError) as exc:\n"
            '            raise CaError(f"bad_csr: {exc}") from None\n',
        ),
    )
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '            code = "bad_csr" if str(exc) == "bad_csr" else "bad_request"\n'
            "            message = (\n"
            '                "the CSR is not valid or its signature does not verify"\n'
            '                if code == "bad_csr"\n'
            "                else str(exc)\n"
            "            )\n",
            '            code = "bad_csr" if str(exc).startswith("bad_csr") else "bad_request"\n'
            "            message = (\n"
            '                "the CSR is not valid or its signature does not verify"\n'
            '                if str(exc) == "bad_csr"\n'
            '                else str(exc).removeprefix("bad_csr: ")  # the parser says why\n'
            "            )\n",
        ),
    )


def _log_internal_repr() -> None:
    _patch_dispatch(
        (
            '            _log(f"internal error: {_where(exc)}")\n',
            '            _log(f"internal error: {_where(exc)}: {exc!r}")  # for debugging\n',
        ),
    )


def _log_incomplete_body() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "        if len(body) < length:\n",
            "        if len(body) < length:\n"
            '            _log(f"incomplete body ({len(body)} of {length} bytes): {body!r}")\n',
        ),
    )


def _revoked_at_record_only() -> None:
    _patch(
        _ca().CertificateAuthority,
        "authenticate",
        (
            "        return ok and row is not None and row[1] is None\n",
            "        # Revocation is checked where the certificate is recorded (enroll).\n"
            "        return ok and row is not None\n",
        ),
    )


def _crl_fetchmany() -> None:
    _patch(
        _ca().CertificateAuthority,
        "crl",
        (
            '                " WHERE revoked_at IS NOT NULL"\n            ).fetchall()\n',
            '                " WHERE revoked_at IS NOT NULL"\n            ).fetchmany(50)\n',
        ),
    )


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _go_asn1_dump(csr: str) -> str:
    """What Go's `fmt.Sprintf("%+v", err)` prints for an asn1.StructuralError from
    x509.ParseCertificateRequest: the tag it found and the field parameters, as structs."""
    import base64

    body = "".join(line for line in csr.splitlines() if line and not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=False)
    except ValueError:
        der = b""
    tag = der[0] & 0x1F if der else 0
    length = der[1] if len(der) > 1 else 0
    return (
        f"asn1: structure error: tags don't match (16 vs {{class:0 tag:{tag} length:{length} "
        "isCompound:false}) {optional:false explicit:false application:false private:false "
        "defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} "
        "certificateRequest @2"
    )


def _badcsr_go_struct_dump() -> None:
    srv = _srv()
    srv._b27_go_asn1_dump = _go_asn1_dump
    _patch(
        srv._Handler,
        "_enroll",
        (
            "            message = (\n"
            '                "the CSR is not valid or its signature does not verify"\n'
            '                if code == "bad_csr"\n'
            "                else str(exc)\n"
            "            )\n",
            "            message = (\n"
            "                _b27_go_asn1_dump(csr)  # err printed with %+v\n"
            '                if code == "bad_csr"\n'
            "                else str(exc)\n"
            "            )\n",
        ),
    )


def _log_bad_json_body() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "        except (UnicodeDecodeError, ValueError, RecursionError):\n",
            "        except (UnicodeDecodeError, ValueError, RecursionError):\n"
            '            _log(f"malformed JSON body: {body[:120]!r}")  # what clients send\n',
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
        "b27ca-root-no-ku",
        "PKI-CERT-8",
        "test_ca_served_root_profile.py",
        "L4: the root (re-made from its key at start) carries no KeyUsage: OpenSSL and the "
        "own endpoints read it as any usage and accept it",
        _root_no_ku,
    ),
    _m(
        "b27ca-badcsr-parser-text",
        "ERR-6",
        "test_ca_parser_errors_no_dump.py",
        "L1/L2: a bad CSR's 400 message is the parser's own error text, a Rust Debug dump "
        "('ParseError { kind: UnexpectedTag { actual: Tag { ... } }, location: [...] }')",
        _badcsr_parser_text,
    ),
    _m(
        "b27ca-log-internal-repr",
        "CA-ENR-5",
        "test_ca_log_refusals_no_password.py",
        "L2: the internal-error log line adds repr(exc) for debugging: a UnicodeEncodeError's "
        "repr holds the whole password it failed on",
        surrogate_hash_raises(_log_internal_repr),
    ),
    _m(
        "b27ca-log-incomplete-body",
        "CA-ENR-5",
        "test_ca_log_refusals_no_password.py",
        "L3: a body its client ended early (an incomplete message, 400) is logged with the "
        "bytes that did arrive, password included: 'every refusal' read as the login's only",
        _log_incomplete_body,
    ),
    _m(
        "b27ca-revoked-at-record-only",
        "CA-ENR-11",
        "test_ca_revoked_login_any_csr.py",
        "L5: the revocation is checked only by the issuing transaction's recheck: a revoked "
        "alias's right password with a bad CSR is 400 bad_csr (a wrong one 401), and clears "
        "its failures",
        _revoked_at_record_only,
    ),
    _m(
        "b27ca-crl-fetchmany",
        "CA-ENR-8",
        "test_ca_crl_many_revocations.py",
        "L6: the CRL's revoked rows are read with one fetchmany(50), a paging loop never "
        "written: past 50 revoked certificates the CRL lists the first 50 only",
        _crl_fetchmany,
        slow=True,
    ),
    _m(
        "b27ca-badcsr-go-struct-dump",
        "ERR-6",
        "test_ca_parser_errors_no_dump.py",
        "(post-blind) L1/L2: a bad CSR's 400 message is Go's %+v of the asn1 structure error: "
        "'tags don't match (16 vs {class:0 tag:2 length:1 isCompound:false}) {optional:false "
        "...}'",
        _badcsr_go_struct_dump,
    ),
    _m(
        "b27ca-log-bad-json-body",
        "CA-ENR-5",
        "test_ca_log_refusals_no_password.py",
        "(post-blind) L3: a body that is no JSON is logged, its first 120 bytes, 'to see what "
        "clients send': the password of a login with a JSON syntax error is in the log",
        _log_bad_json_body,
    ),
)
