"""Blind red-team round 27, second pass (helper B209): the CA (issuance, logins, its HTTPS
answers and log), through the six lenses of /work/briefs/s27/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py) before any case file was opened, then checked against
the names and descriptions of the registered CA mutants (none repeated) and the first
pass's table (report_ca.md: none repeated). All run in the CA's server process (`ca=True`).

Lens 1 — the thin MUSTs (ERR-6, CA-ENR-5, CA-ENR-15):
- b27bca-401-auth-header-by-cause: RFC 9110 says a 401 carries WWW-Authenticate, so the
  CA adds one, and puts the cause in its error parameter: `unknown_user` for an unknown
  alias, `invalid_password` for a known one. The body stays the same (ERR-6). Also L2.
Lens 2 — the assistant's draft:
- b27bca-log-password-fingerprint: the failed-login log line adds `pw=sha256:<12 hex>` of
  the tried password "to spot credential stuffing" (CA-ENR-5: a fast digest of a password
  written to the log).
- b27bca-ok-echoes-login: the 200 answer is the request minus its csr plus the
  certificate (`{**request, "certificate": ...}`), so the password comes back in the
  answer (CA-ENR-5: "not to an answer").
Lens 3 — cross-references:
- b27bca-wrong-type-value-quoted: "a member of the wrong type" is told in detail: the 400
  names each wrong-typed member with its repr, and a password sent as an array or object
  is quoted (CA-ENR-5).
Lens 4 — interop is not conformance:
- b27bca-ski-from-csr: the SubjectKeyIdentifier the CSR asks for (extensionRequest) is
  kept, as OpenSSL's `copy_extensions` habit does; the computed one is used only when
  there is none. The CA's own client never asks for one (CA-ENR-4).
Lens 5 — two faults at once:
- b27bca-query-after-throttle: the query check on /v1/enroll is moved behind the
  throttle's admission. A login with a query string for a throttled alias is answered 429,
  not 400 (CA-ENR-15: refused "before reading any credential").
- b27bca-remaining-header-known-only: the 401 of a known alias carries
  `X-RateLimit-Remaining` (its attempts left before the throttle); an unknown alias's 401
  carries none. The answer differs by the cause (ERR-6).
Lens 6 — beyond the toy sizes:
- b27bca-log-oversized-body: a body over 64 KiB (413) is logged with its first 160 bytes,
  "to see who sends them". A login whose csr member makes the body too large puts its
  password in the log (CA-ENR-5).
Post-blind siblings (phase 3, the class each new case aims at):
- b27bca-close-after-known-wrong: a known alias's wrong password is answered with
  Connection: close, an unknown alias's 401 keeps the connection (ERR-6).
- b27bca-log-password-md5: the failed-login log line is tagged with the first 8 hex
  digits of the tried password's MD5 (CA-ENR-5).

Blind run (phase 2): 1 of 8 detected by the file first named (ski-from-csr:
test_ca_csr.py). Of the 7 it missed, 2 were caught elsewhere in the suite
(401-auth-header-by-cause and remaining-header-known-only, by test_ca.py's
same-answer case). The other 5 were missed by every case file citing their requirement.

Phase 3: conformance/test_ca_login_traces.py (4 cases). It PASSes the reference three
times; on ca3 it PASSes; on ca1 it PASSes, except the log case, which is INCONCLUSIVE
because ca1 writes no log:
  ok-echoes-login, wrong-type-value-quoted
      test_answers_never_carry_the_password: the right login's 200, and passwords sent
      as a list, an object or a list of characters. No answer holds the password.
  log-oversized-body, log-password-fingerprint, log-password-md5
      test_log_holds_no_oversized_body_and_no_password_digest: a wrong password, and two
      bodies over 64 KiB (password first, password after the alias). The log holds no
      12-character piece of a password, and no 8-hex (either case) or base64 prefix of
      its md5/sha1/sha2/sha3/blake2b digest.
  401-auth-header-by-cause, remaining-header-known-only, close-after-known-wrong
      test_401_heads_do_not_tell_known_from_unknown: two fresh accounts' wrong passwords
      against two unknown aliases'. A header is judged only when it is stable within
      each kind and differs between the kinds.
  query-after-throttle
      test_query_refused_even_for_a_throttled_alias: an unknown alias is driven to its
      429, then its login is sent to /v1/enroll?x=1. The answer must be 400 bad_request.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27b-ca"


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


def _alias_known(ca: Any, alias: str) -> bool:
    with ca._lock:
        row = ca._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
    return row is not None


_AUTH_RAISE = (
    "            throttle.failed(*keys)\n"
    '            raise _HttpError(HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or'
    ' password")\n'
)


def _401_auth_header_by_cause() -> None:
    srv = _srv()
    srv._b27b_known = _alias_known
    _patch(
        srv._Handler,
        "_enroll",
        (
            _AUTH_RAISE,
            "            throttle.failed(*keys)\n"
            "            # RFC 9110 §11.6.1: a 401 MUST carry WWW-Authenticate.\n"
            "            reason = (\n"
            '                "invalid_password" if _b27b_known(self.server.ca, alias) else'
            ' "unknown_user"\n'
            "            )\n"
            "            raise _HttpError(\n"
            '                HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password",\n'
            "                {\"WWW-Authenticate\": f'Basic realm=\"sft-ca\","
            " error=\"{reason}\"'},\n"
            "            )\n",
        ),
    )


def _remaining_header_known_only() -> None:
    srv = _srv()
    srv._b27b_known = _alias_known
    _patch(
        srv._Handler,
        "_enroll",
        (
            _AUTH_RAISE,
            "            throttle.failed(*keys)\n"
            "            extra = {}\n"
            "            if _b27b_known(self.server.ca, alias):  # tell the employee\n"
            "                entry = throttle._keys.get(keys[0])\n"
            "                used = entry.count if entry is not None else 0\n"
            '                extra["X-RateLimit-Remaining"] = str(max(0, throttle.after - used))\n'
            "            raise _HttpError(\n"
            '                HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or'
            ' password", extra\n'
            "            )\n",
        ),
    )


def _close_after_known_wrong() -> None:
    srv = _srv()
    srv._b27b_known = _alias_known
    _patch(
        srv._Handler,
        "_enroll",
        (
            _AUTH_RAISE,
            "            throttle.failed(*keys)\n"
            "            raise _HttpError(\n"
            '                HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password",\n'
            "                close=_b27b_known(self.server.ca, alias),  # a guesser reconnects\n"
            "            )\n",
        ),
    )


def _log_password_md5() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '            _log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")\n',
            "            tag = __import__('hashlib').md5(\n"
            '                password.encode("utf-8", "surrogatepass")\n'
            "            ).hexdigest()[:8]\n"
            '            _log(f"failed login for {alias[:64]!r} from'
            ' {self.client_address[0]} [{tag}]")\n',
        ),
    )


def _log_password_fingerprint() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '            _log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")\n',
            "            fingerprint = __import__('hashlib').sha256(\n"
            '                password.encode("utf-8", "surrogatepass")\n'
            "            ).hexdigest()[:12]  # spots one password tried on many aliases\n"
            "            _log(\n"
            '                f"failed login for {alias[:64]!r} from {self.client_address[0]}"\n'
            '                f" pw=sha256:{fingerprint}"\n'
            "            )\n",
        ),
    )


def _ok_echoes_login() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            "        self._send_json(\n"
            '            HTTPStatus.OK, {"certificate":'
            ' cert.public_bytes(serialization.Encoding.PEM).decode()}\n'
            "        )\n",
            "        answer = {k: v for k, v in request.items() if k != \"csr\"}  # what"
            " was enrolled\n"
            '        answer["certificate"] ='
            ' cert.public_bytes(serialization.Encoding.PEM).decode()\n'
            "        self._send_json(HTTPStatus.OK, answer)\n",
        ),
    )


def _wrong_type_value_quoted() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            "            raise _HttpError(\n"
            '                HTTPStatus.BAD_REQUEST, "bad_request", "alias, password and'
            ' csr must be strings"\n'
            "            )\n",
            "            wrong = [\n"
            '                f"{name} must be a string, not {value!r}"\n'
            '                for name, value in (("alias", alias), ("password", password),'
            ' ("csr", csr))\n'
            "                if not isinstance(value, str)\n"
            "            ]\n"
            '            raise _HttpError(HTTPStatus.BAD_REQUEST, "bad_request", ";'
            ' ".join(wrong))\n',
        ),
    )


def _ski_from_csr() -> None:
    ca = _ca()
    ca._b27b_ski = _module("threading").local()
    _patch_module_function(
        ca,
        "_leaf_builder",
        (
            "        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),"
            " critical=False)\n",
            "        .add_extension(\n"
            '            getattr(_b27b_ski, "value", None)\n'
            "            or x509.SubjectKeyIdentifier.from_public_key(public_key),\n"
            "            critical=False,\n"
            "        )\n",
        ),
    )
    _patch(
        ca.CertificateAuthority,
        "enroll",
        (
            "        cert = issue_employee(\n"
            "            self.root_key, self.root, alias, public_key, validity=validity, now=now\n"
            "        )\n",
            "        try:  # copy_extensions: keep the key identifier the requester computed\n"
            "            _b27b_ski.value = csr.extensions.get_extension_for_class(\n"
            "                x509.SubjectKeyIdentifier\n"
            "            ).value\n"
            "        except (x509.ExtensionNotFound, ValueError):\n"
            "            _b27b_ski.value = None\n"
            "        try:\n"
            "            cert = issue_employee(\n"
            "                self.root_key, self.root, alias, public_key,"
            " validity=validity, now=now\n"
            "            )\n"
            "        finally:\n"
            "            _b27b_ski.value = None\n",
        ),
    )


def _query_after_throttle() -> None:
    srv = _srv()
    _patch_dispatch(
        (
            '            if "?" in self.path or "#" in self.path:\n',
            '            if ("?" in self.path or "#" in self.path) and not self.path.startswith(\n'
            '                "/v1/enroll"\n'
            "            ):  # the enrolment checks its own target, after the throttle\n",
        ),
        (
            "            path = self.path\n",
            '            path = self.path.split("?")[0].split("#")[0]\n',
        ),
    )
    _patch(
        srv._Handler,
        "_enroll",
        (
            "        # Same answer, same cost for an unknown alias and a wrong password"
            " [CA-ENR-6].\n",
            '        if "?" in self.path or "#" in self.path:\n'
            "            with throttle._lock:\n"
            "                throttle._release(keys)\n"
            "            raise _HttpError(\n"
            '                HTTPStatus.BAD_REQUEST, "bad_request", "no query strings: send'
            ' a JSON body"\n'
            "            )\n"
            "        # Same answer, same cost for an unknown alias and a wrong password"
            " [CA-ENR-6].\n",
        ),
    )


def _log_oversized_body() -> None:
    _patch(
        _srv()._Handler,
        "_read_json",
        (
            "                self.rfile.read(length)\n",
            "                head = self.rfile.read(length)[:160]\n"
            '                _log(f"request body over the limit ({length} bytes), starts'
            ' {head!r}")\n',
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
        "b27bca-401-auth-header-by-cause",
        "ERR-6",
        "test_ca_login_traces.py",
        "L1/L2: the 401 carries WWW-Authenticate (RFC 9110) with the cause in its error "
        "parameter: unknown_user for an unknown alias, invalid_password for a known one",
        _401_auth_header_by_cause,
    ),
    _m(
        "b27bca-remaining-header-known-only",
        "ERR-6",
        "test_ca_login_traces.py",
        "L5: a known alias's 401 carries X-RateLimit-Remaining (attempts left before the "
        "throttle), an unknown alias's none: the answer differs by the cause",
        _remaining_header_known_only,
    ),
    _m(
        "b27bca-log-password-fingerprint",
        "CA-ENR-5",
        "test_ca_login_traces.py",
        "L2: the failed-login log line adds pw=sha256:<12 hex> of the tried password to spot "
        "credential stuffing: a fast digest of every guessed password in the log",
        _log_password_fingerprint,
    ),
    _m(
        "b27bca-ok-echoes-login",
        "CA-ENR-5",
        "test_ca_login_traces.py",
        "L2/L3: the 200 answer is the request without its csr plus the certificate: the "
        "password comes back in the answer",
        _ok_echoes_login,
    ),
    _m(
        "b27bca-wrong-type-value-quoted",
        "CA-ENR-5",
        "test_ca_login_traces.py",
        "L3: a wrong-typed member is named with its repr in the 400: a password sent as an "
        "array or object is quoted in the answer",
        _wrong_type_value_quoted,
    ),
    _m(
        "b27bca-ski-from-csr",
        "CA-ENR-4",
        "test_ca_csr.py",
        "L4: the SubjectKeyIdentifier the CSR requests is copied into the certificate "
        "(copy_extensions); the computed one only when the CSR asks for none",
        _ski_from_csr,
    ),
    _m(
        "b27bca-query-after-throttle",
        "CA-ENR-15",
        "test_ca_login_traces.py",
        "L5: /v1/enroll's query check runs after the throttle's admission: a login with a "
        "query string for a throttled alias is answered 429, not 400",
        _query_after_throttle,
    ),
    _m(
        "b27bca-log-oversized-body",
        "CA-ENR-5",
        "test_ca_login_traces.py",
        "L6: a body over 64 KiB (413) is logged with its first 160 bytes: a login whose csr "
        "makes the body too large puts its password in the log",
        _log_oversized_body,
    ),
    _m(
        "b27bca-close-after-known-wrong",
        "ERR-6",
        "test_ca_login_traces.py",
        "(post-blind) L5: a known alias's wrong password closes the connection (Connection: "
        "close), an unknown alias's 401 keeps it: the head differs by the cause",
        _close_after_known_wrong,
    ),
    _m(
        "b27bca-log-password-md5",
        "CA-ENR-5",
        "test_ca_login_traces.py",
        "(post-blind) L2: the failed-login log line is tagged with the first 8 hex digits of "
        "the tried password's MD5",
        _log_password_md5,
    ),
)
