"""Round 23 (lead): what a server does instead of EKE4, after its C2 proved the password.

Round 22 made a wrong EKE4 judgeable (conformance/eke_diagnosis.py's diagnose_c4) and an
honest EKE3 refused with `auth_failed`. A server that answers the honest EKE3 with
anything else was still "target down or misconfigured": every login failed, no
requirement was named. A C2 that verified proves the password and the keys, so the
suite's EKE3 is right and EKE-HS-6 says the server MUST answer EKE4; `diagnose_refused_c3`
now judges every other answer except `EROR timeout` (LIM-1 may have run out) and silence
(a slow machine looks the same):

- lead23-eke-c3-ok-closes-silently  the success path fails inside (a store write that
                                    raises OSError) and the server closes with nothing
- lead23-eke-c3-ok-internal         the success path raises an internal error (a check
                                    placed after the verification refuses every login)

B147's b23ops-eke-log-key-id (a failed-login line with the first 4 bytes of pw) could not
be judged: no target key showed the suite a server's log. `[eke] server_log` now names the
file (the embedded harness declares the one it copies the server's output to), and
test_eke_server_log_secrets.py reads what a failed and a successful login added to it. The
other paths of the class:

- lead23-eke-log-session-id         the success line carries a "session id" for operators
                                    to match captures: the first 4 bytes of the server's
                                    c2s record key, in hex
- lead23-eke-log-store-key-debug    the success line carries the account's pw in base64
                                    ("which store entry matched", for a migration)

The CA receives passwords themselves (inside TLS); the seed's CA kept them as typed. SPEC
CA-ENR-5 now says a password a login sends, right or wrong, is written nowhere but as its
salted hash; `[pki] ca_log` names the CA's log file and test_ca_log_no_password.py reads
what a wrong and a right login added to it:

- lead23-ca-log-tried-password      the failed-login line quotes the password tried ("to
                                    help users who mistyped")
- lead23-ca-log-issued-login        the issuance line records the login that earned it,
                                    password included, for an audit trail
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "lead23"
_SEAL_C4 = "c4 = crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], self._th)"


def _c3_ok_closes_silently() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (_SEAL_C4, 'raise OSError("cannot record the login")  # closes with nothing\n'
         "    " + _SEAL_C4),
    )


def _c3_ok_internal() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (
            _SEAL_C4,
            'raise LocalProtocolError(ErrorCode.INTERNAL, "session table full")\n'
            "    " + _SEAL_C4,
        ),
    )


_LOGIN_LINE = 'log.info("login user=%s address=%s", _shown(established.user), address)'


def _log_on_success(extra: str) -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_handshake",
        (
            _LOGIN_LINE,
            'log.info("login user=%s address=%s %s", _shown(established.user), address, '
            + extra
            + ")",
        ),
    )


def _log_session_id() -> None:
    _log_on_success('"session=" + established.keys.key_c2s[:4].hex()')


def _log_store_key_debug() -> None:
    _log_on_success(
        '"entry=" + __import__("base64").b64encode(self.store.key_for(established.user)).decode()'
    )


_FAILED_LINE = '_log(f"failed login for {alias[:64]!r} from {self.client_address[0]}")'
_ISSUED_LINE = '_log(f"issued certificate {cert.serial_number:x} to {alias}")'


def _ca_handler() -> object:
    return _module("reference.pki.ca_server")._Handler


def _ca_log_tried_password() -> None:
    _patch_source(
        _ca_handler(),
        "_enroll",
        (
            _FAILED_LINE,
            '_log(f"failed login for {alias[:64]!r} from {self.client_address[0]}'
            ' (tried {password!r})")',
        ),
    )


def _ca_log_issued_login() -> None:
    _patch_source(
        _ca_handler(),
        "_enroll",
        (
            _ISSUED_LINE,
            '_log(f"issued certificate {cert.serial_number:x} to {alias}'
            ' (login {alias}:{password})")',
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead23-eke-c3-ok-closes-silently",
        group=_GROUP,
        profile="eke",
        requirement="EKE-HS-6",
        test_file="test_eke_handshake.py",
        description="after a verified EKE3 the server's success path raises (a store write)"
        " and it closes with no EKE4 and no EROR: every login fails after a C2 that proved"
        " the password",
        apply=_c3_ok_closes_silently,
    ),
    Mutant(
        name="lead23-eke-c3-ok-internal",
        group=_GROUP,
        profile="eke",
        requirement="EKE-HS-6",
        test_file="test_eke_handshake.py",
        description="after a verified EKE3 the server's success path raises an internal error"
        " (a session table 'full'): no EKE4 for any login",
        apply=_c3_ok_internal,
    ),
    Mutant(
        name="lead23-eke-log-session-id",
        group=_GROUP,
        profile="eke",
        requirement="EKE-THR-3",
        test_file="test_eke_server_log_secrets.py",
        description="the successful-login log line carries a 'session id': the first 4 bytes"
        " of the c2s record key in hex",
        apply=_log_session_id,
    ),
    Mutant(
        name="lead23-eke-log-store-key-debug",
        group=_GROUP,
        profile="eke",
        requirement="EKE-THR-3",
        test_file="test_eke_server_log_secrets.py",
        description="the successful-login log line carries the matched store entry, the"
        " user's pw in base64",
        apply=_log_store_key_debug,
    ),
    Mutant(
        name="lead23-ca-log-tried-password",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-5",
        test_file="test_ca_log_no_password.py",
        description="the CA's failed-login log line quotes the password tried",
        apply=_ca_log_tried_password,
        ca=True,
    ),
    Mutant(
        name="lead23-ca-log-issued-login",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-5",
        test_file="test_ca_log_no_password.py",
        description="the CA's issuance log line records the login that earned it, password"
        " included",
        apply=_ca_log_issued_login,
        ca=True,
    ),
)
