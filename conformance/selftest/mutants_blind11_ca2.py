"""Blind red-team round 11 (ca2, helper B46): the CA through the round-11 lenses.

Written blind (docs/SPEC.md §4.2/§4.4 and reference/pki/ca*.py only; no case file and no
other mutant module opened before the list was fixed). The first list had 30 mutants; 26
of them turned out to be registered already (by name and description) and were replaced,
also blind, by the ones below. Lenses (brief lenses11.md):

  1 caches, fast paths   users-snapshot-at-start, json-fast-path, 429-answer-cached,
                         key-check-cached-by-type
  2 time                 crl-drops-before-nextupdate, crl-as-of-thisupdate,
                         crl-minute-ceiling
  3 I/O, what is on disk response-length-chars, db-exclusive-lock (413-no-drain dropped:
                         test_ca.py reads CA-ENR-9 as allowing a 413 from the head alone)
  4 lenient/strict       alias-nfkc, content-type-exact, cert-json-bytes,
    parsing              invalid-alias-400
  5 asymmetry            lock-known-only, root-der, ku-nonrepudiation, alias-letter-first
  6 fallbacks            invalid-alias-unthrottled, ed25519-accepted, get-routes-any-method

Blind run: 13 of 21 detected. After it (phase 2): 413-no-drain dropped (a 413 from the
head alone, the body unread, is what test_ca.py reads CA-ENR-9 as allowing);
429-answer-cached re-labelled CA-ENR-19 (with the embedded CA's lock right after its
threshold, an alias's doubled backoff is never seen: the stale Retry-After shows on the
lock's first 429, which must say the cap); the seven other survivors are caught by the
new case files test_ca_unknown_alias_forms.py, test_ca_own_clock.py,
test_ca_error_framing.py and test_ca_admin_while_serving.py.

The CA's admin commands (`sft ca user add`, `sft ca revoke`) run in their own, honest
process: every mutant here lives in the serving process only (`sft ca serve`, which a
SIGHUP restart re-executes through the same mutant launcher).

Unregistered by the lead: invalid-alias-400 and invalid-alias-unthrottled. An alias no
account can have reveals nothing about the accounts, and test_ca.py already lets a CA
refuse a malformed alias as it likes, whatever the password; CA-ENR-6 now says so. Their
two cases were withdrawn with them (each would have FAILed a correct CA that checks the
alias's form first).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _ca() -> Any:
    return _module("reference.pki.ca")


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _rebind_dispatch() -> None:
    """`do_GET = _dispatch` aliases are bound at class creation: point them at the
    (patched) `_dispatch` again."""
    handler = _server()._Handler
    for name in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_PATCH"):
        setattr(handler, name, handler._dispatch)


# ---------------------------------------------------------------- lens 1: caches, fast paths


def _users_snapshot_at_start() -> None:
    """The password records are loaded once, when the CA opens its store."""
    ca = _ca()
    original_init = ca.CertificateAuthority.__init__

    def __init__(self: Any, directory: Any) -> None:
        original_init(self, directory)
        self._snapshot = {
            alias: record for alias, record in self._db.execute("SELECT alias, password FROM users")
        }

    def authenticate(self: Any, alias: str, password: str) -> bool:
        record = self._snapshot.get(alias)
        ok = ca._verify_password_record(record or ca._dummy_record(), password)
        if not ok or record is None:
            return False
        with self._lock:
            row = self._db.execute(
                "SELECT revoked_at FROM users WHERE alias = ?", (alias,)
            ).fetchone()
        return row is not None and row[0] is None

    ca.CertificateAuthority.__init__ = __init__
    ca.CertificateAuthority.authenticate = authenticate


# A body that looks like the common case is cut with a regular expression; only the
# `\\n` of the PEM is unescaped ("the only escape a client sends").
_FAST_RE = re.compile(
    r'\A\{\s*"alias"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"password"\s*:\s*"((?:[^"\\]|\\.)*)"'
    r'\s*,\s*"csr"\s*:\s*"((?:[^"\\]|\\.)*)"\s*\}\s*\Z'
)


def _fast_json(body: bytes) -> dict[str, str] | None:
    match = _FAST_RE.match(body.decode("utf-8", "replace"))
    if match is None:
        return None
    alias, password, csr = (part.replace("\\n", "\n") for part in match.groups())
    return {"alias": alias, "password": password, "csr": csr}


def _json_fast_path() -> None:
    """A fast path for the usual body shape skips JSON unescaping (\\/, \\u0041, \\")."""
    server = _server()
    server._FAST = _fast_json
    _patch_source(
        server._Handler,
        "_read_json",
        (
            'value = json.loads(body.decode("utf-8"), parse_constant=_not_json)',
            'value = _FAST(body) or json.loads(body.decode("utf-8"), parse_constant=_not_json)',
        ),
    )


def _429_answer_cached() -> None:
    """The 429 answer of an alias is cached for the backoff cap ("floods answered
    cheaply"): while the block grows, the cached Retry-After stays the first one."""
    server = _server()
    cache: dict[str, tuple[int, float]] = {}
    original = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        wait: int = original(self, *keys)
        if wait > 0:
            hit = cache.get(keys[0])
            if hit is not None and time.monotonic() < hit[1]:
                return hit[0]
            cache[keys[0]] = (wait, time.monotonic() + self.cap)
        return wait

    server.LoginThrottle.admit = admit


def _key_check_cached_by_type() -> None:
    """The key policy is memoised on the key's class: once a P-256 (or RSA 3072) key
    passed, every EC (or RSA) key passes, P-384 and RSA 1024 included."""
    ca = _ca()
    original = ca._check_public_key
    passed: set[type] = set()

    def _check_public_key(public_key: object) -> Any:
        if type(public_key) in passed:
            return public_key
        checked = original(public_key)
        passed.add(type(public_key))
        return checked

    ca._check_public_key = _check_public_key


# ---------------------------------------------------------------- lens 2: time


def _crl_drops_before_nextupdate() -> None:
    """ "A certificate that expires before this CRL's nextUpdate needs no entry": measured
    against now + 7 days, every revoked certificate of a 7-day CA is dropped."""
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        (
            "if dt.datetime.fromisoformat(not_after) > now - _BACKDATE",
            "if dt.datetime.fromisoformat(not_after) > now + CRL_VALIDITY",
        ),
    )


def _crl_as_of_thisupdate() -> None:
    """ "A CRL states the revocations as of its thisUpdate": with thisUpdate backdated by
    5 minutes, a revocation of the last 5 minutes is not listed yet."""
    _patch_source(
        _ca().CertificateAuthority,
        "crl",
        (
            "if dt.datetime.fromisoformat(not_after) > now - _BACKDATE",
            "if dt.datetime.fromisoformat(not_after) > now - _BACKDATE"
            " and dt.datetime.fromisoformat(when) <= now - _BACKDATE",
        ),
    )


def _ceil_minute(moment: dt.datetime) -> dt.datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + dt.timedelta(minutes=1)


def _crl_minute_ceiling() -> None:
    """CRLs are issued "on the minute": thisUpdate is now rounded UP to the minute (up to
    60 s in the future), nextUpdate 7 days after it."""
    ca = _ca()
    ca._CEIL_MINUTE = _ceil_minute
    _patch_source(
        ca,
        "make_crl",
        (".last_update(now - _BACKDATE)", ".last_update(_CEIL_MINUTE(now))"),
        (".next_update(now - _BACKDATE + validity)", ".next_update(_CEIL_MINUTE(now) + validity)"),
    )


# ---------------------------------------------------------------- lens 3: I/O, what is on disk


def _response_length_chars() -> None:
    """JSON answers are written readable (ensure_ascii=False) and their Content-Length
    counted in characters: an answer holding non-ASCII text is cut short."""
    server = _server()

    def _send_json(
        self: Any,
        status: Any,
        body: dict[str, Any],
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        text = json.dumps(body, ensure_ascii=False)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text.encode("utf-8"))

    server._Handler._send_json = _send_json


def _db_exclusive_lock() -> None:
    """SQLite tuned with `PRAGMA locking_mode=EXCLUSIVE` ("the CA is the only user of its
    database"): once the CA has read it, `sft ca user add` / `revoke` cannot write."""
    ca = _ca()
    original_init = ca.CertificateAuthority.__init__

    def __init__(self: Any, directory: Any) -> None:
        original_init(self, directory)
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")

    ca.CertificateAuthority.__init__ = __init__


# ---------------------------------------------------------------- lens 4: lenient/strict parsing


def _alias_nfkc() -> None:
    """Aliases are NFKC-normalised on arrival (Django's normalize_username):
    `ｓｕｉｔｅ` (full-width) with suite's password enrols as suite."""
    server = _server()
    server._NFKC = lambda alias: unicodedata.normalize("NFKC", alias)
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "    throttle = self.server.throttle",
            "    alias = _NFKC(alias)\n    throttle = self.server.throttle",
        ),
    )


def _content_type_exact() -> None:
    """The Content-Type must be exactly `application/json`: `; charset=utf-8` is 415."""
    _patch_source(
        _server()._Handler,
        "_enroll",
        (
            "    request = self._read_json()",
            '    if self.headers.get("Content-Type") != "application/json":\n'
            "        raise _HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,"
            ' "unsupported_media_type", "send application/json")\n'
            "    request = self._read_json()",
        ),
    )


def _cert_json_bytes() -> None:
    """The answer's certificate is DER bytes in a JSON field (Go's []byte): base64, no
    PEM armour."""
    server = _server()
    server._B64 = lambda der: base64.b64encode(der).decode("ascii")
    _patch_source(
        server._Handler,
        "_enroll",
        (
            '{"certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}',
            '{"certificate": _B64(cert.public_bytes(serialization.Encoding.DER))}',
        ),
    )


def _invalid_alias_400() -> None:
    """Input validation first: an alias of no valid form is `400 bad_request`, not the
    401 of an unknown alias."""
    server = _server()
    server._ALIAS_OK = lambda alias: bool(_ca().ALIAS_RE.fullmatch(alias))
    _patch_source(
        server._Handler,
        "_enroll",
        (
            "    throttle = self.server.throttle",
            "    if not _ALIAS_OK(alias):\n"
            '        raise _HttpError(HTTPStatus.BAD_REQUEST, "bad_request", "invalid alias")\n'
            "    throttle = self.server.throttle",
        ),
    )


# ---------------------------------------------------------------- lens 5: asymmetry


def _lock_known_only() -> None:
    """The hard lock is a column of the users table: unknown aliases are never locked."""
    server = _server()
    original_init = server.CaServer.__init__

    def __init__(self: Any, ca: Any, config: Any, inherited: Any = None) -> None:
        original_init(self, ca, config, inherited)
        directory = ca.directory / ca.DB

        def known(key: str) -> bool:
            sqlite3 = _module("sqlite3")
            db = sqlite3.connect(directory)
            try:
                return (
                    db.execute(
                        "SELECT 1 FROM users WHERE alias = ?", (key.removeprefix("alias:"),)
                    ).fetchone()
                    is not None
                )
            finally:
                db.close()

        server._KNOWN = known

    server._KNOWN = lambda key: True
    server.CaServer.__init__ = __init__
    _patch_source(
        server.LoginThrottle,
        "_count",
        (
            'if key.startswith("alias:") and entry.count >= self.lock_after:',
            'if key.startswith("alias:") and entry.count >= self.lock_after and _KNOWN(key):',
        ),
    )


def _root_der() -> None:
    """GET /v1/root shares the CRL route's encoding: the root is served as DER."""
    ca = _ca()
    serialization = _module("cryptography.hazmat.primitives.serialization")
    ca.CertificateAuthority.root_pem = lambda self: self.root.public_bytes(
        serialization.Encoding.DER
    )


def _ku_nonrepudiation() -> None:
    """Employees "sign documents": KeyUsage digitalSignature + nonRepudiation."""
    _patch_source(_ca(), "_leaf_builder", ("content_commitment=False,", "content_commitment=True,"))


def _alias_letter_first() -> None:
    """The enrolment's alias rule is the host-name one (a letter first), stricter than
    the account store's: an account `7zip` cannot enrol."""
    ca = _ca()
    strict = re.compile(r"[a-z][a-z0-9._-]{0,63}")
    original = ca.check_alias

    def check_alias(alias: str) -> str:
        if not strict.fullmatch(alias):
            raise ca.CaError(f"invalid alias {alias[:64]!r}")
        result: str = original(alias)
        return result

    ca.check_alias = check_alias


# ---------------------------------------------------------------- lens 6: fallbacks


def _invalid_alias_unthrottled() -> None:
    """An alias of no valid form cannot exist: it is answered 401 with no throttle
    bookkeeping (the table stays small)."""
    server = _server()
    server._ALIAS_OK = lambda alias: bool(_ca().ALIAS_RE.fullmatch(alias))
    _patch_source(
        server._Handler,
        "_enroll",
        ("wait = throttle.admit(*keys)", "wait = throttle.admit(*keys) if _ALIAS_OK(alias) else 0"),
    )


def _ed25519_accepted() -> None:
    """The key policy is a deny list of the known weak keys (short RSA, other curves):
    a key type it does not know (Ed25519, Ed448) falls through and is certified, its
    CSR's missing hash passing the hash check too."""
    ca = _ca()
    ec = _module("cryptography.hazmat.primitives.asymmetric.ec")
    rsa = _module("cryptography.hazmat.primitives.asymmetric.rsa")

    def _check_public_key(public_key: Any) -> Any:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and not isinstance(
            public_key.curve, ec.SECP256R1
        ):
            raise ca.CaError("unsupported curve: use P-256")
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < 2048:
            raise ca.CaError("RSA keys must have at least 2048 bits")
        return public_key

    ca._check_public_key = _check_public_key
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        (
            "if not valid or not isinstance(digest, _CSR_DIGESTS):",
            "if not valid or (digest is not None and not isinstance(digest, _CSR_DIGESTS)):",
        ),
    )


def _get_routes_any_method() -> None:
    """Read-only routes answer whatever the method (a mux without method routing):
    POST /v1/root is the root, not 405."""
    _patch_source(
        _server()._Handler,
        "_dispatch",
        ("if method != self.command:", 'if method != self.command and method != "GET":'),
    )
    _rebind_dispatch()


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b11ca2-{name}",
        group="blind11-ca2",
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
        "users-snapshot-at-start",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "password records loaded when the CA starts: a user added later cannot enrol",
        _users_snapshot_at_start,
    ),
    _m(
        "json-fast-path",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "a regex fast path for the usual body shape: escapes (\\/, \\u0041) are not decoded",
        _json_fast_path,
    ),
    _m(
        "429-answer-cached",
        "CA-ENR-19",
        "test_ca_unknown_alias_forms.py",
        "an alias's 429 is cached for the backoff cap: its Retry-After stays the first one",
        _429_answer_cached,
    ),
    _m(
        "key-check-cached-by-type",
        "CA-ENR-13",
        "test_ca_csr.py",
        "the key policy memoised on the key's class: after one P-256 key every curve passes",
        _key_check_cached_by_type,
    ),
    # lens 2
    _m(
        "crl-drops-before-nextupdate",
        "CA-ENR-11",
        "test_ca.py",
        "revoked certificates expiring before now + 7 d are left off the CRL",
        _crl_drops_before_nextupdate,
    ),
    _m(
        "crl-as-of-thisupdate",
        "CA-ENR-11",
        "test_ca.py",
        "the CRL lists revocations up to its (backdated) thisUpdate: the last 5 min missing",
        _crl_as_of_thisupdate,
    ),
    _m(
        "crl-minute-ceiling",
        "CA-ENR-8",
        "test_ca_own_clock.py",
        "the CRL's thisUpdate is now rounded up to the minute: up to 60 s in the future",
        _crl_minute_ceiling,
    ),
    # lens 3
    _m(
        "response-length-chars",
        "CA-ENR-9",
        "test_ca_error_framing.py",
        "JSON answers with ensure_ascii=False and Content-Length in characters: cut short",
        _response_length_chars,
    ),
    _m(
        "db-exclusive-lock",
        "CA-ENR-11",
        "test_ca_admin_while_serving.py",
        "PRAGMA locking_mode=EXCLUSIVE: the admin commands cannot write while the CA runs",
        _db_exclusive_lock,
    ),
    # lens 4
    _m(
        "alias-nfkc",
        "CA-ENR-6",
        "test_ca.py",
        "aliases NFKC-normalised on arrival: a full-width alias enrols as the ASCII one",
        _alias_nfkc,
    ),
    _m(
        "content-type-exact",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "Content-Type compared exactly: application/json; charset=utf-8 is 415",
        _content_type_exact,
    ),
    _m(
        "cert-json-bytes",
        "CA-ENR-2",
        "test_ca_csr.py",
        "the answer's certificate is base64 DER (Go []byte), not PEM",
        _cert_json_bytes,
    ),
    # lens 5
    _m(
        "lock-known-only",
        "CA-ENR-19",
        "test_ca_unknown_alias_forms.py",
        "unknown aliases are never hard-locked",
        _lock_known_only,
    ),
    _m(
        "root-der",
        "CA-ENR-8",
        "test_ca.py",
        "GET /v1/root serves the root as DER, like the CRL",
        _root_der,
    ),
    _m(
        "ku-nonrepudiation",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "employee KeyUsage digitalSignature + nonRepudiation",
        _ku_nonrepudiation,
    ),
    _m(
        "alias-letter-first",
        "CA-ENR-2",
        "test_ca_accounts.py",
        "enrolment requires a letter first: a digit-first account cannot enrol",
        _alias_letter_first,
    ),
    # lens 6
    _m(
        "ed25519-accepted",
        "CA-ENR-13",
        "test_ca_csr.py",
        "a deny list of weak keys: Ed25519/Ed448 CSRs are certified",
        _ed25519_accepted,
    ),
    _m(
        "get-routes-any-method",
        "CA-ENR-9",
        "test_ca.py",
        "read-only routes answer any method: POST /v1/root is 200, not 405",
        _get_routes_any_method,
    ),
)
