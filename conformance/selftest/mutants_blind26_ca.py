"""Blind red-team round 26 (helper B186): the CA (root, issuance, CRL, its HTTPS, logins),
through the six lenses of /work/briefs/s26/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, tls.py's contexts) before any case file, conformance
module or independent implementation was opened, then checked against the names and
descriptions of the registered CA mutants. Replaced as repeats (r): a revoked alias's 401
naming the revocation (b18b-ca-revoked-message), X-Forwarded-For / X-Real-IP as the
throttle's address (b9ca-forwarded-for-trusted, b12ca-real-ip-trusted), addresses
hard-locked (b4ca-address-hard-locked), a right password releasing the alias's reservation
only (b9ca-success-leaks-address-pending), serials of 20 random octets
(b13ca-serial-20-random-bytes), aliases refused for a digit first or a dot
(b11ca2-alias-letter-first, b10ca-alias-no-dots), a 503 counted as a failure
(b9ca-busy-counted), the 417 to Expect: 100-continue (b22ca-expect-continue-refused).
All run in the CA's server process (`ca=True`); the admin commands (`sft ca init`, user
add, revoke) run unmutated, so the root mutants re-make the root at `ca serve` from its key,
as a CA that keeps only its signing key does.

Lens 1 — the thin MUSTs (PKI-CERT-8: 0, ERR-6: 1, PKI-TLS-9: 5):
- b26ca-root-no-pathlen: the root's BasicConstraints is CA:TRUE without a pathLenConstraint
  (the library's default, "unlimited"): the root allows intermediates (PKI-CERT-8). Also L5.
- b26ca-root-no-crlsign: the root's KeyUsage is keyCertSign alone ("the root signs
  certificates"), though the same key signs the CRL (PKI-CERT-8).
- b26ca-500-exception-repr: an internal error's 500 carries repr() of the exception, a
  debug dump ("UnicodeEncodeError('utf-8', '<the password>', ...)"), not a fixed message
  (ERR-6).
- b26ca-tls-groups-x448: the CA's groups are "X25519:X448:P-256:P-384" ("both modern
  curves"): a ClientHello offering x448 only is served (PKI-TLS-9).
Lens 2 — the second half of the sentence:
- b26ca-tls-suite-ccm: "never the CCM suites" read through its reason (CCM_8's 64-bit tag):
  TLS_AES_128_CCM_SHA256, the 128-bit-tag CCM, is enabled (PKI-TLS-9).
- b26ca-root-no-ski: the root carries no SubjectKeyIdentifier (PKI-CERT-13's first clause;
  the employee certificates still carry the AKI computed from the root's key).
Lens 3 — passing the vectors: (no fresh idea survived the novelty check; see lens 4/6).
Lens 4 — neighbouring-protocol habits:
- b26ca-json-batch: JSON-RPC's batch: a JSON array of enrolment objects is a batch, admitted
  once per alias and answered with an array; every element's password is verified
  (CA-ENR-14: no more wrong passwords verified than the throttle allows one after the other).
- b26ca-notbefore-from-request: ACME's newOrder notBefore/notAfter: an optional `notBefore`
  member (RFC 3339) post-dates the certificate (a new hire's first day), validity counted
  from it (CA-ENR-10: nothing in the request moves notBefore or notAfter; never in the
  future).
Lens 5 — insecure defaults: b26ca-root-no-pathlen (above).
Lens 6 — crossing frames: b26ca-413-undrained (a body over 64 KiB answered 413 and closed
  without reading what the client still sends, the reset destroying the 413) was planted,
  missed by the whole suite, and DROPPED: test_ca_refused_body_remainder.py says "a CA MAY
  answer and close as soon as it sees the length", and the SPEC does not say how much of an
  oversize body a CA must drain (a SPEC sentence is proposed in the round's report).
Post-blind siblings (phase 3, the class each new case aims at):
- b26ca-root-pathlen-one: the re-made root has pathlen 1 (room for an issuing CA later).
- b26ca-500-exception-type: the 500's message is the exception's type and text.
- b26ca-bulk-requests-member: a bulk endpoint's {"requests": [...]}, each verified.
- b26ca-lifetime-member: step-ca/Vault's validity_days / ttl member, up to a year.

Blind run (phase 2): 2 of 9 detected by the named file (tls-groups-x448, tls-suite-ccm:
test_pki_hardening.py); the 7 others missed by every pre-existing file citing their
requirement (the root mutants fail CA-ENR-8's byte comparison in test_ca.py, under
another requirement; no case profiles the root the CA serves).

Phase 3, cases for their CLASS (each PASSes the reference three times, and ca1, ca3):
  root-no-pathlen, root-no-crlsign, root-no-ski
                            test_ca_served_root_profile.py: GET /v1/root judged on its own
      (PKI-CERT-8 profile, a non-critical SKI, the declared root's subject and key)
  500-exception-repr        test_ca_failure_answers_dump_nothing.py: logins with values a
      handler may fail on, a marker password each: no piece of it and no exception dump
  json-batch                test_ca_batched_logins.py: N + 3 wrong passwords and the right
      one in one body (array, {"requests": [...]}, JSON-RPC calls): no 2xx, no certificate
  notbefore-from-request    test_ca_request_members_ignored.py: notBefore/notAfter,
      not_before/not_after and lifetime members: refused, or validity from the CA's clock
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance.selftest.mutant import Mutant, _module, surrogate_hash_raises

__all__ = ["MUTANTS"]

_GROUP = "blind26-ca"


def _ca() -> Any:
    return _module("reference.pki.ca")


def _srv() -> Any:
    return _module("reference.pki.ca_server")


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits as they stand in the file (method bodies at their file indentation)."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _patch_module_function(module: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits of a module-level function, as they stand in the file."""
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
    starts (a CA that keeps only its key and builds its self-signed root at each start):
    same key and subject, so the certificates it issued still verify."""
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


# --- lens 1 -----------------------------------------------------------------------------


def _root_no_pathlen() -> None:
    _root_remade(
        (
            "x509.BasicConstraints(ca=True, path_length=0)",
            "x509.BasicConstraints(ca=True, path_length=None)",
        )
    )


def _root_no_crlsign() -> None:
    _root_remade(
        (
            "                key_cert_sign=True,\n                crl_sign=True,\n",
            "                key_cert_sign=True,\n                crl_sign=False,\n",
        )
    )


def _exception_repr_500() -> None:
    _patch_dispatch(
        (
            '                {"error": "internal", "message": "internal error"},\n',
            '                {"error": "internal", "message": f"internal error: {exc!r}"},\n',
        ),
    )


def _tls_groups_x448() -> None:
    tls = _module("reference.pki.tls")
    tls.TLS13_GROUPS = "X25519:X448:P-256:P-384"


# --- lens 2 -----------------------------------------------------------------------------


def _tls_suite_ccm() -> None:
    tls = _module("reference.pki.tls")
    tls.TLS13_CIPHERSUITES = f"{tls.TLS13_CIPHERSUITES}:TLS_AES_128_CCM_SHA256"


def _root_no_ski() -> None:
    _root_remade(
        ("        .add_extension(ski, critical=False)\n", ""),
    )


# --- lens 4 -----------------------------------------------------------------------------


def _batch(self: Any, items: list[Any]) -> None:
    """A JSON-RPC style batch of enrolments: one admission per alias, every element
    verified, one answer per element."""
    srv = _srv()
    throttle = self.server.throttle
    answers: list[dict[str, Any]] = []
    outcome: dict[tuple[str, str], bool] = {}
    for item in items[:64]:
        fields = [
            item.get(k) if isinstance(item, dict) else None for k in ("alias", "password", "csr")
        ]
        alias, password, csr = (v if isinstance(v, str) else "" for v in fields)
        if not all(isinstance(v, str) for v in fields):
            answers.append({"error": "bad_request", "message": "alias, password and csr"})
            continue
        keys = (f"alias:{alias[:64]}", f"addr:{self.client_address[0]}")
        if keys not in outcome:
            wait = throttle.admit(*keys)
            if wait:
                answers.append({"error": "throttled", "message": "retry later"})
                continue
            outcome[keys] = False
        if not self.server.ca.authenticate(alias, password):
            answers.append({"error": "auth_failed", "message": "wrong alias or password"})
            continue
        outcome[keys] = True
        try:
            cert = self.server.ca.enroll(
                alias,
                csr.encode("utf-8"),
                validity=dt.timedelta(days=self.server.config.validity_days),
            )
        except srv.CaError:
            answers.append({"error": "bad_csr", "message": "the CSR is not valid"})
            continue
        pem = cert.public_bytes(srv.serialization.Encoding.PEM).decode()
        answers.append({"certificate": pem})
    for keys, right in outcome.items():
        if right:
            throttle.success(keys[0], keys[1])
        else:
            throttle.failed(*keys)
    self._send(srv.HTTPStatus.OK, srv.json.dumps(answers).encode(), "application/json")


def _json_batch() -> None:
    srv = _srv()
    handler = srv._Handler
    handler._b26_batch = _batch
    _patch(
        handler,
        "_read_json",
        (
            "        if not isinstance(value, dict):\n",
            "        if not isinstance(value, (dict, list)):\n",
        ),
    )
    _patch(
        handler,
        "_enroll",
        (
            "        self._body_read = True  # what follows the body is a next request\n",
            "        self._body_read = True  # what follows the body is a next request\n"
            "        if isinstance(request, list):  # a batch (JSON-RPC 2.0 §6)\n"
            "            self._b26_batch(request)\n"
            "            return\n",
        ),
    )


def _post_dated(request: dict[str, Any]) -> dt.datetime | None:
    value = request.get("notBefore")
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # Only post-dating (a start date to come), never back-dating; within a year.
    now = dt.datetime.now(dt.UTC)
    return when if now < when < now + dt.timedelta(days=365) else None


def _notbefore_from_request() -> None:
    srv = _srv()
    srv._b26_post_dated = _post_dated
    _patch(
        srv._Handler,
        "_enroll",
        (
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n"
            "            )\n",
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n"
            "                now=_b26_post_dated(request),  # ACME's notBefore\n"
            "            )\n",
        ),
    )


# --- post-blind siblings (phase 3: the class each new case aims at) -----------------------


def _root_pathlen_one() -> None:
    _root_remade(
        (
            "x509.BasicConstraints(ca=True, path_length=0)",
            "x509.BasicConstraints(ca=True, path_length=1)",  # room for an issuing CA later
        )
    )


def _exception_type_500() -> None:
    _patch_dispatch(
        (
            '                {"error": "internal", "message": "internal error"},\n',
            '                {"error": "internal", "message": f"{type(exc).__name__}: {exc}"},\n',
        ),
    )


def _bulk_requests_member() -> None:
    """The batch as a bulk endpoint's `{"requests": [...]}`: each request verified."""
    srv = _srv()
    handler = srv._Handler
    handler._b26_batch = _batch
    _patch(
        handler,
        "_enroll",
        (
            "        self._body_read = True  # what follows the body is a next request\n",
            "        self._body_read = True  # what follows the body is a next request\n"
            '        if isinstance(request.get("requests"), list):  # a bulk enrolment\n'
            '            self._b26_batch(request["requests"])\n'
            "            return\n",
        ),
    )


def _lifetime_member() -> None:
    """step-ca's and Vault's habit: a `validity_days` (or `ttl` in hours, "720h") member
    sets the lifetime, capped at a year."""
    srv = _srv()

    def lifetime(request: dict[str, Any], configured: int) -> dt.timedelta:
        days = request.get("validity_days")
        ttl = request.get("ttl")
        if isinstance(ttl, str) and ttl.endswith("h") and ttl[:-1].isdigit():
            days = int(ttl[:-1]) / 24
        if isinstance(days, int | float) and 0 < days <= 365:
            return dt.timedelta(days=days)
        return dt.timedelta(days=configured)

    srv._b26_lifetime = lifetime
    _patch(
        srv._Handler,
        "_enroll",
        (
            "                validity=dt.timedelta(days=self.server.config.validity_days),\n",
            "                validity=_b26_lifetime(request, self.server.config.validity_days),\n",
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
        "b26ca-root-no-pathlen",
        "PKI-CERT-8",
        "test_ca_served_root_profile.py",
        "L1/L5: the root (re-made from its key at start) is CA:TRUE without a pathLenConstraint "
        "(the library's default, unlimited): intermediates allowed",
        _root_no_pathlen,
    ),
    _m(
        "b26ca-root-no-crlsign",
        "PKI-CERT-8",
        "test_ca_served_root_profile.py",
        "L1: the root's KeyUsage is keyCertSign alone, though its key also signs the CRL",
        _root_no_crlsign,
    ),
    _m(
        "b26ca-500-exception-repr",
        "ERR-6",
        "test_ca_failure_answers_dump_nothing.py",
        "L1: an internal error's 500 message is repr() of the exception, a debug dump that "
        "quotes what it failed on (a lone-surrogate password: the password)",
        surrogate_hash_raises(_exception_repr_500),
    ),
    _m(
        "b26ca-tls-groups-x448",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "L1: the CA's groups are X25519:X448:P-256:P-384 ('both modern curves'): a "
        "ClientHello offering x448 only is served",
        _tls_groups_x448,
    ),
    _m(
        "b26ca-tls-suite-ccm",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "L2: 'never the CCM suites' read through its reason (CCM_8's short tag): "
        "TLS_AES_128_CCM_SHA256 is enabled on the CA",
        _tls_suite_ccm,
    ),
    _m(
        "b26ca-root-no-ski",
        "PKI-CERT-13",
        "test_ca_served_root_profile.py",
        "L2: the root (re-made from its key at start) carries no SubjectKeyIdentifier; the "
        "employee certificates' AKI is still computed from its key",
        _root_no_ski,
    ),
    _m(
        "b26ca-json-batch",
        "CA-ENR-14",
        "test_ca_batched_logins.py",
        "L4: JSON-RPC's batch: a JSON array of enrolment objects is admitted once per alias "
        "and every element's password verified: N+ guesses per admission, answered per element",
        _json_batch,
    ),
    _m(
        "b26ca-notbefore-from-request",
        "CA-ENR-10",
        "test_ca_request_members_ignored.py",
        "L4: ACME's newOrder habit: a notBefore member (RFC 3339, within a year ahead) "
        "post-dates the certificate, its validity counted from it",
        _notbefore_from_request,
    ),
    _m(
        "b26ca-root-pathlen-one",
        "PKI-CERT-8",
        "test_ca_served_root_profile.py",
        "(post-blind) L1: the root (re-made from its key at start) has pathlen 1, room for an "
        "issuing CA later",
        _root_pathlen_one,
    ),
    _m(
        "b26ca-500-exception-type",
        "ERR-6",
        "test_ca_failure_answers_dump_nothing.py",
        "(post-blind) L1: an internal error's 500 message is the exception's type and text "
        "('UnicodeEncodeError: ...codec can't encode...'), Express/ASP.NET's development "
        "error body",
        surrogate_hash_raises(_exception_type_500),
    ),
    _m(
        "b26ca-bulk-requests-member",
        "CA-ENR-14",
        "test_ca_batched_logins.py",
        "(post-blind) L4: a bulk endpoint's {\"requests\": [...]}: every enrolment it holds "
        "verified under one admission per alias",
        _bulk_requests_member,
    ),
    _m(
        "b26ca-lifetime-member",
        "CA-ENR-10",
        "test_ca_request_members_ignored.py",
        "(post-blind) L4: step-ca/Vault's habit: a validity_days or ttl ('720h') member sets "
        "the certificate's lifetime, up to a year, past the configured period",
        _lifetime_member,
    ),
)
